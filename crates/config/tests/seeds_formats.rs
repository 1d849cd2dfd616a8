//! The users' own configurations (shared/seeds), kept verbatim as fixtures in their own
//! formats — Strimzi `KafkaMirrorMaker2` (v1alpha1 and v1beta2, IBM Event Streams),
//! `KafkaMirrorMaker`, and Kafka Connect connector JSON with its worker properties — load,
//! and the effective flows are what MM2 (or MM1) would run.

use std::fs;
use std::path::{Path, PathBuf};

use strait_config::{
    AutoOffsetReset, ClusterConfig, FlowConfig, Jaas, LoadConfigOptions, MirrorConfig,
    PositionStore, SaslMechanism, SecurityProtocol, StoreType, TopicLocation, TrustSource,
    load_config_files,
};

const EVENTHUBS_PASSWORD: &str = "Endpoint=sb://ns.servicebus.windows.net/;\
    SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=s3cr3t-Acc3ss-Key=";
const SCRAM_PASSWORD: &str = "scram-Pa55word-value";
const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAAS-secret-key\n-----END PRIVATE KEY-----\n";
const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUca\n-----END CERTIFICATE-----\n";

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seeds")
        .join(rel)
}

/// A secrets directory laid out as Kubernetes mounts Secrets: `DIR/<secret>/<key>`.
fn secrets_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let put = |secret: &str, key: &str, value: &str| {
        let d = dir.path().join(secret);
        fs::create_dir_all(&d).expect("mkdir");
        fs::write(d.join(key), value).expect("write");
    };
    put("eventhubssecret", "eventhubspassword", EVENTHUBS_PASSWORD);
    put("rt-inv-dev-user", "password", SCRAM_PASSWORD);
    put("rt-inv-stg-user", "password", SCRAM_PASSWORD);
    put("rt-inventory-dev-cluster-ca-cert", "ca.crt", CA);
    put("rt-inventory-stg-cluster-ca-cert", "ca.crt", CA);
    put("my-source-cluster-cluster-ca-cert", "ca.crt", CA);
    put("my-target-cluster-cluster-ca-cert", "ca.crt", CA);
    put("mm2-source-cluster", "tls.crt", CA);
    put("mm2-source-cluster", "tls.key", PRIVATE_KEY);
    put(
        "mm2-target-cluster",
        "password",
        &format!("{SCRAM_PASSWORD}\n"),
    );
    dir
}

fn options(secrets: &Path) -> LoadConfigOptions {
    LoadConfigOptions {
        secrets_dir: Some(secrets.to_owned()),
        ..LoadConfigOptions::default()
    }
}

fn load(paths: &[PathBuf], options: &LoadConfigOptions) -> MirrorConfig {
    match load_config_files(paths, options) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

fn credentials(c: &ClusterConfig) -> (String, String) {
    match c.security.sasl.as_ref().and_then(|s| s.jaas.as_ref()) {
        Some(Jaas::Credentials {
            username, password, ..
        }) => (username.clone(), password.expose().to_owned()),
        other => panic!("no credentials: {other:?}"),
    }
}

fn patterns(p: &strait_config::policy::PatternList) -> Vec<&str> {
    p.patterns().iter().map(String::as_str).collect()
}

fn prop<'a>(m: &'a strait_config::ValueMap, k: &str) -> Option<&'a str> {
    m.get(k).map(|v| v.expose())
}

/// Nothing secret shows in the summary, text or JSON.
fn assert_no_secrets(c: &MirrorConfig) {
    let text = format!("{}\n{}", c.summary(), c.summary().to_json());
    for secret in [
        EVENTHUBS_PASSWORD,
        "s3cr3t",
        SCRAM_PASSWORD,
        "secret-key",
        "mirrormaker1-secret",
        "mirrormaker2-secret",
        "connect2-secret",
    ] {
        assert!(!text.contains(secret), "summary shows a secret: {text}");
    }
    assert!(!format!("{c:?}").contains("s3cr3t"));
}

/// The Event Hubs cluster of seeds 000 and 001: SASL_SSL + PLAIN with `$ConnectionString`
/// and the system trust store (`trustedCertificates: []`).
fn assert_event_hubs(c: &ClusterConfig) {
    assert_eq!(
        c.bootstrap_servers,
        ["<eventhubs-namespace>.servicebus.windows.net:9093"]
    );
    assert_eq!(c.security.protocol, SecurityProtocol::SaslSsl);
    let sasl = c.security.sasl.as_ref().expect("sasl");
    assert_eq!(sasl.mechanism, SaslMechanism::Plain);
    assert_eq!(
        credentials(c),
        (
            "$ConnectionString".to_owned(),
            EVENTHUBS_PASSWORD.to_owned()
        )
    );
    let ssl = c.security.ssl.as_ref().expect("tls");
    assert!(ssl.truststore.is_none(), "system trust store");
    assert!(ssl.keystore.is_none());
    assert!(ssl.endpoint_identification);
}

fn assert_default_mm2_flow(f: &FlowConfig, source: &str, target: &str) {
    assert!(f.enabled);
    assert_eq!((f.source.as_str(), f.target.as_str()), (source, target));
    assert!(!f.replication_policy.is_identity());
    assert_eq!(f.replication_policy.separator(), ".");
    assert_eq!(f.remote_topic("testeh"), format!("{source}.testeh"));
    assert_eq!(patterns(&f.topic_filter.include), [".*"]);
    assert_eq!(
        patterns(&f.topic_filter.exclude),
        [".*[\\-\\.]internal", ".*\\.replica", "__.*"]
    );
    assert_eq!(patterns(&f.group_filter.include), [".*"]);
    assert_eq!(f.replication_factor, 1);
    assert_eq!(f.offset_syncs.replication_factor, 1);
    assert_eq!(f.offset_syncs.location, TopicLocation::Source);
    assert_eq!(
        f.offset_syncs.topic,
        format!("mm2-offset-syncs.{target}.internal")
    );
    assert!(!f.sync_topic_acls.enabled);
    assert!(f.sync_topic_configs.enabled);
    assert!(f.checkpoints.emit.enabled);
    assert_eq!(f.checkpoints.replication_factor, 1);
    assert_eq!(
        f.checkpoints.topic,
        format!("{source}.checkpoints.internal")
    );
    assert!(f.heartbeats.emit.enabled);
    assert_eq!(f.heartbeats.emit.interval.as_secs(), 1);
    assert_eq!(f.heartbeats.replication_factor, 1);
    assert_eq!(f.heartbeats.topic, "heartbeats");
    assert!(!f.sync_group_offsets.enabled);
    assert_eq!(f.tasks_max, 1);
    // Strimzi's Connect worker for MM2.
    assert_eq!(f.worker.group_id, "mirrormaker2-cluster");
    assert_eq!(f.worker.offsets_topic, "mirrormaker2-cluster-offsets");
    assert_eq!(f.worker.configs_topic, "mirrormaker2-cluster-configs");
    assert_eq!(f.worker.status_topic, "mirrormaker2-cluster-status");
    assert_eq!(f.position_store, PositionStore::ConnectOffsets);
    assert_eq!(
        prop(&f.raw, "name"),
        Some(format!("{source}->{target}.MirrorSourceConnector").as_str())
    );
}

/// Seed 000, first resource: on-premise Kafka to Azure Event Hubs (v1alpha1), with the
/// producer idle-timeout fix in the Event Hubs cluster's `config`.
#[test]
fn seed_000_kafka_to_event_hubs() {
    let secrets = secrets_dir();
    let c = load(
        &[fixture("000/kafka-mirror-maker-2-to-eh.yaml")],
        &options(secrets.path()),
    );
    assert_eq!(c.replicas, Some(1));
    assert_eq!(c.flows.len(), 1);
    let local = &c.clusters["my-cluster"];
    assert_eq!(local.bootstrap_servers, ["my-cluster-kafka-bootstrap:9092"]);
    assert_eq!(local.security.protocol, SecurityProtocol::Plaintext);
    assert_event_hubs(&c.clusters["eventhub"]);
    let f = c.flow("my-cluster", "eventhub").expect("flow");
    assert_default_mm2_flow(f, "my-cluster", "eventhub");
    // The Connect worker's producer (writes the mirrored records) gets the fix.
    let p = &f.clients.replication_producer;
    assert_eq!(prop(&p.props, "connections.max.idle.ms"), Some("180000"));
    assert_eq!(prop(&p.props, "metadata.max.age.ms"), Some("180000"));
    assert_eq!(p.security.protocol, SecurityProtocol::SaslSsl);
    assert_eq!(
        p.bootstrap_servers,
        ["<eventhubs-namespace>.servicebus.windows.net:9093"]
    );
    assert_eq!(
        f.clients.source_consumer.security.protocol,
        SecurityProtocol::Plaintext
    );
    assert_eq!(
        f.clients.target_admin.security.protocol,
        SecurityProtocol::SaslSsl
    );
    assert_no_secrets(&c);
}

/// Seed 000, second resource: Event Hubs back to Kafka; the consumer idle-timeout fix
/// reaches the consumer reading Event Hubs.
#[test]
fn seed_000_event_hubs_to_kafka() {
    let secrets = secrets_dir();
    let c = load(
        &[fixture("000/kafka-mirror-maker-2-from-eh.yaml")],
        &options(secrets.path()),
    );
    let f = c.flow("eventhub", "my-cluster").expect("flow");
    assert_default_mm2_flow(f, "eventhub", "my-cluster");
    assert_event_hubs(&c.clusters["eventhub"]);
    let consumer = &f.clients.source_consumer;
    assert_eq!(consumer.security.protocol, SecurityProtocol::SaslSsl);
    assert_eq!(
        prop(&consumer.props, "connections.max.idle.ms"),
        Some("180000")
    );
    assert_eq!(prop(&consumer.props, "metadata.max.age.ms"), Some("180000"));
    assert_eq!(
        f.clients.replication_producer.security.protocol,
        SecurityProtocol::Plaintext
    );
    assert_no_secrets(&c);
}

/// Seed 000 as deployed: every resource of the post at once (KafkaTopic and Secret are
/// skipped), as separate files and as one multi-document file — active/active.
#[test]
fn seed_000_all_documents_active_active() {
    let secrets = secrets_dir();
    let files: Vec<PathBuf> = [
        "000/kafka-topic.yaml",
        "000/eventhubs-secret.yaml",
        "000/kafka-mirror-maker-2-to-eh.yaml",
        "000/kafka-mirror-maker-2-from-eh.yaml",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    let c = load(&files, &options(secrets.path()));
    let names: Vec<String> = c.flows.iter().map(FlowConfig::name).collect();
    assert_eq!(names, ["my-cluster->eventhub", "eventhub->my-cluster"]);
    assert_eq!(c.clusters.len(), 2);
    // Cycle prevention: each side does not mirror back what it received.
    let back = c.flow("eventhub", "my-cluster").expect("flow");
    assert!(!back.replicates_topic("my-cluster.testeh"));
    assert!(back.replicates_topic("testeh"));

    let dir = tempfile::tempdir().expect("tempdir");
    let all = dir.path().join("all.yaml");
    let text: Vec<String> = files
        .iter()
        .map(|f| fs::read_to_string(f).expect("read"))
        .collect();
    fs::write(&all, text.join("---\n")).expect("write");
    let one = load(&[all], &options(secrets.path()));
    assert_eq!(one.flows.len(), 2);
    assert_eq!(one.replicas, Some(1));
    assert_no_secrets(&one);

    // `--clusters my-cluster` keeps only the flow that targets it.
    let mut opts = options(secrets.path());
    opts.load.clusters = Some(vec!["my-cluster".into()]);
    let filtered = load(&files, &opts);
    let names: Vec<String> = filtered.flows.iter().map(FlowConfig::name).collect();
    assert_eq!(names, ["eventhub->my-cluster"]);
}

/// Seed 001: MirrorMaker 1 (`KafkaMirrorMaker`) from Kafka to Event Hubs: identity topic
/// names, positions committed to the source group, nothing else written.
#[test]
fn seed_001_kafka_mirror_maker() {
    let secrets = secrets_dir();
    let c = load(
        &[
            fixture("001/kafka-topic.yaml"),
            fixture("001/eventhubs-secret.yaml"),
            fixture("001/kafka-mirror-maker.yaml"),
        ],
        &options(secrets.path()),
    );
    assert_eq!(c.replicas, Some(1));
    let source = &c.clusters["source"];
    assert_eq!(
        source.bootstrap_servers,
        ["my-cluster-kafka-bootstrap:9092"]
    );
    assert_eq!(source.security.protocol, SecurityProtocol::Plaintext);
    assert_event_hubs(&c.clusters["target"]);
    let f = c.flow("source", "target").expect("flow");
    assert!(f.enabled);
    assert!(f.replication_policy.is_identity());
    assert_eq!(f.remote_topic("testeh"), "testeh");
    assert_eq!(patterns(&f.topic_filter.include), [".*"]);
    assert!(f.topic_filter.exclude.is_empty());
    assert!(f.replicates_topic("testeh"));
    assert_eq!(
        f.position_store,
        PositionStore::ConsumerGroup {
            group_id: "my-source-group-id".into(),
            commit_interval: std::time::Duration::from_secs(60),
        }
    );
    assert!(!f.checkpoints.emit.enabled);
    assert!(!f.heartbeats.emit.enabled);
    assert!(!f.heartbeats.replication_enabled);
    assert!(!f.offset_syncs.enabled);
    assert!(!f.sync_topic_configs.enabled);
    assert!(!f.sync_topic_acls.enabled);
    assert!(!f.sync_group_offsets.enabled);
    assert_eq!(f.tasks_max, 1);
    assert_eq!(f.auto_offset_reset, AutoOffsetReset::Latest);
    assert_eq!(
        prop(&f.clients.source_consumer.props, "group.id"),
        Some("my-source-group-id")
    );
    let p = &f.clients.replication_producer;
    assert_eq!(p.security.protocol, SecurityProtocol::SaslSsl);
    let summary = c.summary().to_string();
    assert!(
        summary.contains("__consumer_offsets (group my-source-group-id) on source"),
        "{summary}"
    );
    assert_no_secrets(&c);
}

/// Seed 002: three connector JSON files submitted to a Connect cluster, their `${file:...}`
/// references resolved through the worker's `config.providers`; the container path
/// `/opt/kafka/custom-config` is mounted from the fixture directory.
#[test]
fn seed_002_connect_json() {
    let connect = fixture("002/connect");
    let opts = LoadConfigOptions {
        mounts: vec![(PathBuf::from("/opt/kafka/custom-config"), connect.clone())],
        ..LoadConfigOptions::default()
    };
    let c = load(
        &[
            connect.join("connect.properties"),
            connect.join("connectors"),
        ],
        &opts,
    );
    assert_eq!(c.replicas, None);
    assert_eq!(c.flows.len(), 1);
    let k1 = &c.clusters["kafka-1"];
    assert_eq!(k1.bootstrap_servers, ["kafka1:39092"]);
    assert_eq!(k1.security.protocol, SecurityProtocol::SaslPlaintext);
    assert_eq!(
        k1.security.sasl.as_ref().map(|s| s.mechanism.clone()),
        Some(SaslMechanism::Plain)
    );
    assert_eq!(
        credentials(k1),
        ("mirrormaker".to_owned(), "mirrormaker1-secret".to_owned())
    );
    let k2 = &c.clusters["kafka-2"];
    assert_eq!(k2.bootstrap_servers, ["kafka2:39092"]);
    assert_eq!(k2.security.protocol, SecurityProtocol::SaslPlaintext);
    // The value as the file has it (the last line of the post's block ends in spaces).
    assert_eq!(credentials(k2).1.trim_end(), "mirrormaker2-secret");

    let f = c.flow("kafka-1", "kafka-2").expect("flow");
    assert!(f.enabled);
    assert_eq!(f.remote_topic("test"), "kafka-1.test");
    assert_eq!(patterns(&f.topic_filter.include), ["test"]);
    assert!(f.replicates_topic("test"));
    assert!(!f.replicates_topic("other"));
    assert_eq!(patterns(&f.group_filter.include), [".*"]);
    assert_eq!(
        patterns(&f.group_filter.exclude),
        ["console-consumer-.*", "connect-.*", "__.*"]
    );
    assert_eq!(f.replication_factor, 1);
    assert!(!f.sync_topic_acls.enabled);
    assert!(!f.sync_topic_configs.enabled);
    assert_eq!(f.offset_syncs.replication_factor, 1);
    assert_eq!(f.offset_syncs.location, TopicLocation::Source);
    assert_eq!(f.offset_syncs.topic, "mm2-offset-syncs.kafka-2.internal");
    assert!(f.checkpoints.emit.enabled);
    assert_eq!(f.checkpoints.emit.interval.as_secs(), 60);
    assert_eq!(f.checkpoints.topic, "kafka-1.checkpoints.internal");
    assert!(f.sync_group_offsets.enabled);
    assert_eq!(f.sync_group_offsets.interval.as_secs(), 60);
    assert!(f.refresh_groups.enabled);
    assert_eq!(f.refresh_groups.interval.as_secs(), 60);
    assert!(f.heartbeats.emit.enabled);
    assert_eq!(f.heartbeats.emit.interval.as_secs(), 1);
    assert_eq!(f.heartbeats.replication_factor, 1);
    assert_eq!(f.tasks_max, 1);
    // Where the Connect worker kept MM2's state, and the producer it wrote with.
    assert_eq!(f.worker.group_id, "connect-cluster");
    assert_eq!(f.worker.offsets_topic, "connect-offsets");
    assert_eq!(f.worker.configs_topic, "connect-configs");
    assert_eq!(f.worker.status_topic, "connect-status");
    assert_eq!(prop(&f.raw, "name"), Some("mirror-source-connector"));
    let p = &f.clients.replication_producer;
    assert_eq!(p.bootstrap_servers, ["kafka2:39092"]);
    assert_eq!(p.security.protocol, SecurityProtocol::SaslPlaintext);
    match p.security.sasl.as_ref().and_then(|s| s.jaas.as_ref()) {
        Some(Jaas::Credentials { username, .. }) => assert_eq!(username, "connect"),
        other => panic!("{other:?}"),
    }
    // The source consumer uses the connector's source.cluster.* credentials.
    let consumer = &f.clients.source_consumer;
    assert_eq!(consumer.bootstrap_servers, ["kafka1:39092"]);
    assert_eq!(consumer.security.protocol, SecurityProtocol::SaslPlaintext);
    // Misspelt keys and `source.cluster.admin.*` (which MM2 drops) are reported.
    let ignored: Vec<&str> = c.ignored_keys.iter().map(|(k, _)| k.as_str()).collect();
    for key in [
        "emit.checkpoint.enabled",
        "emit.heartbeat.enabled",
        "emit.heartbeat.interval.seconds",
        "source.cluster.admin.sasl.mechanism",
    ] {
        assert!(
            ignored.iter().any(|k| k.contains(key)),
            "{key}: {ignored:?}"
        );
    }
    assert_no_secrets(&c);
}

/// Seed 003: IBM Event Streams (`eventstreams.ibm.com/v1beta2`) active/passive with
/// Strimzi's identity policy and an empty separator, SCRAM-SHA-512 over TLS with the
/// clusters' CA certificates, fast checkpoints and group offset sync; no heartbeat
/// connector, so no heartbeats.
#[test]
fn seed_003_event_streams_identity() {
    let secrets = secrets_dir();
    let c = load(&[fixture("003/mm2.yaml")], &options(secrets.path()));
    assert_eq!(c.replicas, Some(1));
    for (alias, host, user) in [
        (
            "es-src",
            "rt-inventory-dev-kafka-bootstrap-rt-inventory-dev.itzroks-4b4a.us-south.containers.appdomain.cloud:443",
            "rt-inv-dev-user",
        ),
        (
            "es-tgt",
            "rt-inventory-stg-kafka-bootstrap-rt-inventory-stg.itzroks-4b4b.us-south.containers.appdomain.cloud:443",
            "rt-inv-stg-user",
        ),
    ] {
        let cl = &c.clusters[alias];
        assert_eq!(cl.bootstrap_servers, [host]);
        assert_eq!(cl.security.protocol, SecurityProtocol::SaslSsl);
        assert_eq!(
            cl.security.sasl.as_ref().map(|s| s.mechanism.clone()),
            Some(SaslMechanism::ScramSha512)
        );
        assert_eq!(
            credentials(cl),
            (user.to_owned(), SCRAM_PASSWORD.to_owned())
        );
        let ssl = cl.security.ssl.as_ref().expect("tls");
        assert!(ssl.endpoint_identification);
        let ts = ssl.truststore.as_ref().expect("truststore");
        assert_eq!(ts.store_type, StoreType::Pem);
        assert_eq!(ts.source, TrustSource::InlinePem(CA.trim().to_owned()));
    }
    let f = c.flow("es-src", "es-tgt").expect("flow");
    assert!(f.enabled);
    assert!(f.replication_policy.is_identity());
    assert_eq!(f.replication_policy.separator(), "");
    assert_eq!(f.remote_topic("items.inventory"), "items.inventory");
    assert_eq!(
        patterns(&f.topic_filter.include),
        ["items", "store.inventory", "items.inventory"]
    );
    assert_eq!(patterns(&f.topic_filter.exclude), [".apicurio"]);
    assert_eq!(patterns(&f.group_filter.include), [".*"]);
    assert_eq!(f.replication_factor, 3);
    assert!(!f.sync_topic_acls.enabled);
    assert_eq!(f.refresh_topics.interval.as_secs(), 10);
    assert_eq!(f.refresh_groups.interval.as_secs(), 5);
    assert!(f.checkpoints.emit.enabled);
    assert_eq!(f.checkpoints.emit.interval.as_secs(), 5);
    assert_eq!(f.checkpoints.replication_factor, 3);
    assert_eq!(f.checkpoints.topic, "es-srccheckpointsinternal");
    assert!(f.sync_group_offsets.enabled);
    assert_eq!(f.sync_group_offsets.interval.as_secs(), 5);
    assert_eq!(f.offset_syncs.replication_factor, 3);
    assert_eq!(f.offset_syncs.topic, "mm2-offset-syncses-tgtinternal");
    assert!(!f.heartbeats.emit.enabled, "no heartbeatConnector");
    assert_eq!(f.worker.offsets_topic, "mirrormaker2-cluster-offsets");
    assert_no_secrets(&c);
}

/// Seed 004: AMQ Streams migration with identity names, TLS client authentication to the
/// source, SCRAM to the target, offset syncs on the target, producer tuning on the target
/// cluster, 32 source tasks. The post's YAML (non-breaking-space indentation, a value
/// wrapped onto its own line) loads as written; KafkaUser resources are skipped.
#[test]
fn seed_004_migration() {
    let secrets = secrets_dir();
    let c = load(
        &[
            fixture("004/kafka-user-source.yaml"),
            fixture("004/kafka-user-target.yaml"),
            fixture("004/mm2.yaml"),
        ],
        &options(secrets.path()),
    );
    assert_eq!(c.replicas, Some(2));
    let src = &c.clusters["my-source-cluster"];
    assert_eq!(
        src.bootstrap_servers,
        ["my-source-cluster-kafka-bootstrap:9093"]
    );
    assert_eq!(src.security.protocol, SecurityProtocol::Ssl);
    let ssl = src.security.ssl.as_ref().expect("tls");
    let ks = ssl.keystore.as_ref().expect("client certificate");
    assert_eq!(ks.store_type, StoreType::Pem);
    match &ks.source {
        strait_config::KeySource::InlinePem {
            certificate_chain,
            key,
        } => {
            assert_eq!(certificate_chain, CA.trim());
            assert_eq!(key.expose(), PRIVATE_KEY);
        }
        other => panic!("{other:?}"),
    }
    let tgt = &c.clusters["my-target-cluster"];
    assert_eq!(tgt.security.protocol, SecurityProtocol::SaslSsl);
    assert_eq!(
        credentials(tgt),
        (
            "kafka.mm2.migration-user".to_owned(),
            SCRAM_PASSWORD.to_owned()
        )
    );

    let f = c
        .flow("my-source-cluster", "my-target-cluster")
        .expect("flow");
    assert!(f.enabled);
    assert!(f.replication_policy.is_identity());
    assert_eq!(f.replication_policy.separator(), ".");
    assert_eq!(f.remote_topic("app1-t1"), "app1-t1");
    assert_eq!(
        patterns(&f.topic_filter.include),
        ["app1-t1", "app1-t2", "app2-t1", "app3-t1", "app3-t2"]
    );
    assert_eq!(patterns(&f.group_filter.include), ["^(app1.*|app2.*)$"]);
    assert_eq!(f.tasks_max, 32);
    assert!(!f.sync_topic_acls.enabled);
    assert!(!f.sync_topic_configs.enabled);
    assert!(!f.refresh_topics.enabled);
    assert_eq!(prop(&f.raw, "topic.creation.enable"), Some("false"));
    assert_eq!(f.offset_syncs.location, TopicLocation::Target);
    assert_eq!(f.offset_syncs_cluster(), "my-target-cluster");
    assert_eq!(
        f.offset_syncs.topic,
        "mm2-offset-syncs.my-source-cluster.internal"
    );
    assert!(f.sync_group_offsets.enabled);
    assert_eq!(f.sync_group_offsets.interval.as_secs(), 10);
    assert_eq!(f.checkpoints.replication_factor, 3);
    assert_eq!(
        f.checkpoints.topic,
        "my-source-cluster.checkpoints.internal"
    );
    assert!(f.heartbeats.emit.enabled);
    assert_eq!(f.heartbeats.replication_factor, 3);
    assert_eq!(f.worker.group_id, "mirrormaker2-cluster");
    let p = &f.clients.replication_producer.props;
    assert_eq!(prop(p, "batch.size"), Some("50000"));
    assert_eq!(prop(p, "buffer.memory"), Some("225000000"));
    assert_eq!(prop(p, "compression.type"), Some("gzip"));
    assert_eq!(prop(p, "linger.ms"), Some("1500"));
    assert_eq!(prop(p, "max.request.size"), Some("157286400"));
    assert_eq!(
        f.acks,
        strait_config::Acks::All,
        "`producer.ack` is not `acks`"
    );
    assert_eq!(
        f.clients.replication_producer.security.protocol,
        SecurityProtocol::SaslSsl
    );
    assert_no_secrets(&c);
}
