//! Loads every file in `examples/` and checks the effective flows and settings.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use strait_config::{
    Acks, AutoOffsetReset, DataLossPolicy, Env, IsolationLevel, Jaas, LoadOptions, MirrorConfig,
    SaslMechanism, SecurityProtocol, StoreType, TopicLocation, TrustSource,
    load_mm2_properties_with,
};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn load(name: &str, env: &[(&str, &str)]) -> MirrorConfig {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let options = LoadOptions {
        env: Env::Map(env),
        ..LoadOptions::default()
    };
    match load_mm2_properties_with(example(name), &options) {
        Ok(c) => c,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn flow_names(c: &MirrorConfig) -> Vec<(String, bool)> {
    c.flows.iter().map(|f| (f.name(), f.enabled)).collect()
}

#[test]
fn two_clusters() {
    let c = load("two-clusters.properties", &[]);
    assert_eq!(flow_names(&c), [("A->B".to_owned(), true)]);
    let f = c.flow("A", "B").expect("A->B");
    assert_eq!(c.clusters["A"].bootstrap_servers, ["127.0.0.1:19092"]);
    assert_eq!(c.clusters["B"].bootstrap_servers, ["127.0.0.1:29092"]);
    assert_eq!(f.replication_factor, 1);
    assert_eq!(f.offset_syncs.replication_factor, 1);
    assert_eq!(f.checkpoints.replication_factor, 1);
    assert_eq!(f.heartbeats.replication_factor, 1);
    assert_eq!(f.tasks_max, 2);
    assert_eq!(f.refresh_topics.interval, Duration::from_secs(5));
    assert!(f.sync_group_offsets.enabled);
    assert!(!f.sync_topic_acls.enabled);
    assert_eq!(f.offset_syncs.topic, "mm2-offset-syncs.B.internal");
    assert_eq!(f.offset_syncs_cluster(), "A");
    assert_eq!(f.checkpoints.topic, "A.checkpoints.internal");
    assert_eq!(f.worker.offsets_topic, "mm2-offsets.A.internal");
    assert_eq!(f.remote_topic("orders"), "A.orders");
    assert!(f.replicates_topic("orders"));
    assert!(!f.replicates_topic("__consumer_offsets"));
    assert_eq!(f.auto_offset_reset, AutoOffsetReset::Earliest);
    assert_eq!(f.isolation_level, IsolationLevel::ReadCommitted);
    assert_eq!(f.acks, Acks::All);
    assert_eq!(f.data_loss_policy, DataLossPolicy::Fail);
    assert!(c.ignored_keys.is_empty(), "{:?}", c.ignored_keys);
}

#[test]
fn active_active() {
    let c = load("active-active.properties", &[]);
    assert_eq!(
        flow_names(&c),
        [
            ("east->west".to_owned(), true),
            ("west->east".to_owned(), true)
        ]
    );
    let ew = c.flow("east", "west").expect("east->west");
    let we = c.flow("west", "east").expect("west->east");
    assert_eq!(c.clusters["east"].bootstrap_servers.len(), 3);
    // No cycles: what came from west is not sent back to west.
    assert!(ew.replicates_topic("orders"));
    assert!(!ew.replicates_topic("west.orders"));
    assert!(!we.replicates_topic("east.orders"));
    assert_eq!(ew.remote_topic("orders"), "east.orders");
    // Heartbeats go round once: east's heartbeats reach west as `east.heartbeats`.
    assert!(ew.replicates_topic("heartbeats"));
    assert!(!ew.replicates_topic("west.heartbeats"));
    assert_eq!(ew.sync_group_offsets.interval, Duration::from_secs(30));
    let linger = |f: &strait_config::FlowConfig| {
        f.clients
            .replication_producer
            .props
            .get("linger.ms")
            .map(|v| v.expose().to_owned())
    };
    assert_eq!(linger(ew).as_deref(), Some("20"));
    assert_eq!(linger(we), None);
    let zstd = ew
        .clients
        .replication_producer
        .props
        .get("compression.type");
    assert_eq!(zstd.map(|v| v.expose()), Some("zstd"));
    assert_eq!(ew.replication_factor, 3);
}

#[test]
fn identity_migration() {
    let c = load(
        "identity-migration.properties",
        &[("MIGRATION_TARGET_PASSWORD", "pw-123")],
    );
    // The reverse flow is not even created: no heartbeats written into the source.
    assert_eq!(
        flow_names(&c),
        [("my-source-cluster->my-target-cluster".to_owned(), true)]
    );
    let f = c
        .flow("my-source-cluster", "my-target-cluster")
        .expect("flow");
    assert!(f.replication_policy.is_identity());
    assert_eq!(f.remote_topic("app1-t1"), "app1-t1");
    assert_eq!(f.remote_topic("heartbeats"), "my-source-cluster.heartbeats");
    assert!(f.replicates_topic("app1-t1"));
    assert!(!f.replicates_topic("app4-t1"));
    assert!(f.group_filter.should_replicate_group("app1-consumers"));
    assert!(!f.group_filter.should_replicate_group("app3-consumers"));
    assert_eq!(f.offset_syncs.location, TopicLocation::Target);
    assert_eq!(
        f.offset_syncs.topic,
        "mm2-offset-syncs.my-source-cluster.internal"
    );
    assert_eq!(f.offset_syncs_cluster(), "my-target-cluster");
    assert!(!f.refresh_topics.enabled && !f.sync_topic_configs.enabled);
    assert!(f.sync_group_offsets.enabled);
    assert_eq!(f.sync_group_offsets.interval, Duration::from_secs(10));
    assert_eq!(f.tasks_max, 32);

    let src = &c.clusters["my-source-cluster"].security;
    assert_eq!(src.protocol, SecurityProtocol::Ssl);
    let ts = src
        .ssl
        .as_ref()
        .and_then(|s| s.truststore.as_ref())
        .expect("truststore");
    assert_eq!(ts.store_type, StoreType::Pem);
    assert!(matches!(&ts.source, TrustSource::Location(p) if p.ends_with("ca.crt")));

    let tgt = &c.clusters["my-target-cluster"].security;
    assert_eq!(tgt.protocol, SecurityProtocol::SaslSsl);
    let sasl = tgt.sasl.as_ref().expect("sasl");
    assert_eq!(sasl.mechanism, SaslMechanism::ScramSha512);
    match &sasl.jaas {
        Some(Jaas::Credentials {
            username, password, ..
        }) => {
            assert_eq!(username, "kafka.mm2.migration-user");
            assert_eq!(password.expose(), "pw-123");
        }
        other => panic!("unexpected {other:?}"),
    }
    // The producer tuning reaches the replicating producer, security too.
    let p = &f.clients.replication_producer;
    assert_eq!(
        p.props.get("compression.type").map(|v| v.expose()),
        Some("gzip")
    );
    assert_eq!(p.security.protocol, SecurityProtocol::SaslSsl);
    // Secrets never show in the summary.
    let text = c.summary().to_string();
    assert!(!text.contains("pw-123"), "{text}");
    assert!(!c.summary().to_json().contains("pw-123"));
    assert!(!format!("{c:?}").contains("pw-123"));
}

#[test]
fn eventhubs_target() {
    let secret = "Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=abc=";
    let c = load(
        "eventhubs-target.properties",
        &[("EVENTHUBS_CONNECTION_STRING", secret)],
    );
    assert_eq!(
        flow_names(&c),
        [
            ("my-cluster->eventhub".to_owned(), true),
            ("eventhub->my-cluster".to_owned(), false)
        ]
    );
    let f = c.flow("my-cluster", "eventhub").expect("flow");
    assert_eq!(f.replication_factor, 1);
    assert!(!f.sync_topic_acls.enabled && !f.sync_topic_configs.enabled);
    assert_eq!(f.remote_topic("testeh"), "my-cluster.testeh");
    let eh = &c.clusters["eventhub"];
    assert_eq!(eh.security.protocol, SecurityProtocol::SaslSsl);
    let sasl = eh.security.sasl.as_ref().expect("sasl");
    assert_eq!(sasl.mechanism, SaslMechanism::Plain);
    match &sasl.jaas {
        Some(Jaas::Credentials {
            username, password, ..
        }) => {
            assert_eq!(username, "$ConnectionString");
            assert_eq!(password.expose(), secret);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        eh.security
            .ssl
            .as_ref()
            .is_some_and(|s| s.endpoint_identification)
    );
    let producer = &f.clients.replication_producer.props;
    assert_eq!(
        producer.get("connections.max.idle.ms").map(|v| v.expose()),
        Some("180000")
    );
    assert_eq!(
        producer.get("metadata.max.age.ms").map(|v| v.expose()),
        Some("180000")
    );
    // Every client of the flow that talks to Event Hubs authenticates.
    assert_eq!(
        f.clients.target_admin.security.protocol,
        SecurityProtocol::SaslSsl
    );
    assert_eq!(
        f.clients.source_consumer.security.protocol,
        SecurityProtocol::Plaintext
    );
    // The reverse flow only writes heartbeats into my-cluster.
    let rev = c.flow("eventhub", "my-cluster").expect("reverse");
    assert!(rev.is_heartbeats_only() && rev.emits_heartbeats());
    let summary = c.summary();
    let text = summary.to_string();
    assert!(!text.contains("SharedAccessKey"), "{text}");
    assert!(text.contains("[redacted]"));
    assert!(text.contains("heartbeats only"));
    assert!(!summary.to_json().contains("SharedAccessKey"));
}

#[test]
fn examples_fail_clearly_without_their_secrets() {
    let options = LoadOptions {
        env: Env::Map(BTreeMap::new()),
        ..LoadOptions::default()
    };
    let e = load_mm2_properties_with(example("eventhubs-target.properties"), &options)
        .expect_err("no env var");
    let msg = e.to_string();
    assert!(msg.contains("`eventhub.sasl.jaas.config`"), "{msg}");
    assert!(msg.contains("EVENTHUBS_CONNECTION_STRING"), "{msg}");
    assert!(msg.contains("eventhubs-target.properties:"), "{msg}");
}
