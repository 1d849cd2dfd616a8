//! MM2's precedence (KIP-382 `MirrorMakerConfig`): top-level < `<alias>.` cluster props <
//! `A->B.` flow overrides, and which client keys reach which client.

use strait_config::{
    AutoOffsetReset, IsolationLevel, LoadOptions, MirrorConfig, Origin, SecurityProtocol,
    parse_mm2_properties,
};

const BASE: &str = "clusters = A, B, C\nA.bootstrap.servers = a:1\nB.bootstrap.servers = b:1\nC.bootstrap.servers = c:1\n";

fn load(extra: &str) -> MirrorConfig {
    match parse_mm2_properties(
        &format!("{BASE}{extra}"),
        "mm2.properties",
        &LoadOptions::default(),
    ) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

fn prop<'a>(map: &'a strait_config::ValueMap, key: &str) -> Option<&'a str> {
    map.get(key).map(|v| v.expose())
}

#[test]
fn connector_settings_top_level_then_flow() {
    let c = load(
        "A->B.enabled = true\nA->C.enabled = true\n\
         replication.factor = 3\nA->C.replication.factor = 1\n\
         topics = orders.*\nA->C.topics = payments\n\
         tasks.max = 4\n",
    );
    let ab = c.flow("A", "B").expect("A->B");
    let ac = c.flow("A", "C").expect("A->C");
    assert_eq!((ab.replication_factor, ac.replication_factor), (3, 1));
    assert!(ab.replicates_topic("orders-eu") && !ab.replicates_topic("payments"));
    assert!(ac.replicates_topic("payments") && !ac.replicates_topic("orders-eu"));
    assert_eq!((ab.tasks_max, ac.tasks_max), (4, 4));
    // Cluster-prefixed connector keys are cluster props, not connector settings (MM2).
    let c = load("A->B.enabled = true\nB.replication.factor = 1\n");
    assert_eq!(c.flow("A", "B").expect("A->B").replication_factor, 2);
}

#[test]
fn every_pair_exists_with_heartbeats_and_only_enabled_ones_replicate() {
    let c = load("A->B.enabled = true\n");
    assert_eq!(c.flows.len(), 6);
    assert_eq!(c.enabled_flows().count(), 1);
    let ba = c.flow("B", "A").expect("B->A");
    assert!(!ba.replicates_topic("orders"));
    assert!(ba.emits_heartbeats());
}

#[test]
fn security_inheritance() {
    let c = load(
        "A->B.enabled = true\n\
         security.protocol = SSL\n\
         B.security.protocol = SASL_SSL\n\
         B.sasl.mechanism = PLAIN\n\
         B.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";\n\
         B.admin.security.protocol = SSL\n",
    );
    assert_eq!(c.clusters["A"].security.protocol, SecurityProtocol::Ssl);
    assert_eq!(c.clusters["B"].security.protocol, SecurityProtocol::SaslSsl);
    let f = c.flow("A", "B").expect("A->B");
    assert_eq!(
        f.clients.source_consumer.security.protocol,
        SecurityProtocol::Ssl
    );
    assert_eq!(
        f.clients.replication_producer.security.protocol,
        SecurityProtocol::SaslSsl
    );
    assert_eq!(
        f.clients.target_producer.security.protocol,
        SecurityProtocol::SaslSsl
    );
    // `<alias>.admin.*` beats the copied cluster-level key.
    assert_eq!(
        f.clients.target_admin.security.protocol,
        SecurityProtocol::Ssl
    );
    // Provenance survives: the producer's protocol points at the line that set it.
    let origin = f
        .clients
        .replication_producer
        .props
        .get("security.protocol")
        .map(|v| v.origin().clone());
    assert_eq!(origin, Some(Origin::line("B.security.protocol", 7)));
}

#[test]
fn source_consumer_settings() {
    let c = load(
        "A->B.enabled = true\nA->C.enabled = true\n\
         A.consumer.isolation.level = read_uncommitted\n\
         A->C.source.consumer.isolation.level = read_committed\n\
         A->B.consumer.auto.offset.reset = latest\n\
         consumer.max.poll.records = 1\n",
    );
    let ab = c.flow("A", "B").expect("A->B");
    let ac = c.flow("A", "C").expect("A->C");
    assert_eq!(ab.isolation_level, IsolationLevel::ReadUncommitted);
    assert_eq!(ac.isolation_level, IsolationLevel::ReadCommitted);
    assert_eq!(ab.auto_offset_reset, AutoOffsetReset::Latest);
    assert_eq!(ac.auto_offset_reset, AutoOffsetReset::Earliest);
    assert_eq!(
        prop(&ab.clients.source_consumer.props, "enable.auto.commit"),
        Some("false")
    );
    // Top-level `consumer.*` is not read by MM2 dedicated mode: reported as ignored.
    assert_eq!(
        prop(&ab.clients.source_consumer.props, "max.poll.records"),
        None
    );
    assert!(
        c.ignored_keys
            .iter()
            .any(|(k, l)| k == "consumer.max.poll.records" && *l == 10)
    );
    let strait_default = load("A->B.enabled = true\n");
    let f = strait_default.flow("A", "B").expect("A->B");
    assert_eq!(f.isolation_level, IsolationLevel::ReadCommitted);
}

#[test]
fn policy_and_separator_precedence() {
    let c = load(
        "A->B.enabled = true\nA->C.enabled = true\n\
         replication.policy.separator = _\n\
         A->C.replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n",
    );
    let ab = c.flow("A", "B").expect("A->B");
    let ac = c.flow("A", "C").expect("A->C");
    assert_eq!(ab.remote_topic("t"), "A_t");
    assert_eq!(ab.checkpoints.topic, "A_checkpoints_internal");
    assert_eq!(ac.remote_topic("t"), "t");
    assert_eq!(ac.remote_topic("heartbeats"), "A_heartbeats");
    let legacy = load(
        "A->B.enabled = true\nreplication.policy.separator = _\n\
         replication.policy.internal.topic.separator.enabled = false\n",
    );
    let f = legacy.flow("A", "B").expect("A->B");
    assert_eq!(f.checkpoints.topic, "A.checkpoints.internal");
    assert_eq!(f.offset_syncs.topic, "mm2-offset-syncs.B.internal");
}

#[test]
fn deprecated_blacklist_names_still_read() {
    let c = load("A->B.enabled = true\ntopics.blacklist = secret.*\ngroups.blacklist = g1\n");
    let f = c.flow("A", "B").expect("A->B");
    assert!(!f.replicates_topic("secret-1"));
    assert!(f.replicates_topic("public"));
    assert!(!f.group_filter.should_replicate_group("g1"));
    // The new name wins when both are set.
    let c = load("A->B.enabled = true\ntopics.blacklist = a\ntopics.exclude = b\n");
    let f = c.flow("A", "B").expect("A->B");
    assert!(f.replicates_topic("a") && !f.replicates_topic("b"));
}

#[test]
fn worker_names_follow_mm2() {
    let c = load("A->B.enabled = true\nB.group.id = custom-group\n");
    let f = c.flow("A", "B").expect("A->B");
    assert_eq!(f.worker.group_id, "custom-group");
    assert_eq!(f.worker.offsets_topic, "mm2-offsets.A.internal");
    assert_eq!(f.worker.configs_topic, "mm2-configs.A.internal");
    assert_eq!(f.worker.status_topic, "mm2-status.A.internal");
}

#[test]
fn secrets_in_raw_maps_are_redacted() {
    let c = load(
        "A->B.enabled = true\nA.ssl.keystore.password = kspass\nA.security.protocol = SSL\n\
         A.ssl.keystore.location = /k.jks\nA->B.strait.data.loss.policy = continue\n",
    );
    let f = c.flow("A", "B").expect("A->B");
    let v = f
        .clients
        .source_consumer
        .props
        .get("ssl.keystore.password")
        .expect("set");
    assert!(v.is_sensitive());
    assert_eq!(v.shown(), "[redacted]");
    assert!(!format!("{c:?}").contains("kspass"));
    assert_eq!(f.data_loss_policy, strait_config::DataLossPolicy::Continue);
}
