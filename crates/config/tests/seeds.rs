//! The users' own configurations (shared/seeds), written as mm2.properties, load with the
//! meaning MM2 gives them.

use strait_config::{LoadOptions, MirrorConfig, parse_mm2_properties};

fn load(text: &str) -> MirrorConfig {
    match parse_mm2_properties(text, "mm2.properties", &LoadOptions::default()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// Seed 003: IBM Event Streams active/passive with Strimzi's identity policy and an empty
/// separator; `topicsPattern`/`topicsExcludePattern` lists.
#[test]
fn seed_003_identity_with_empty_separator() {
    let c = load(
        "clusters = es-source, es-target\n\
         es-source.bootstrap.servers = rt-inventory-dev-kafka-bootstrap.example:443\n\
         es-source.security.protocol = SSL\n\
         es-source.ssl.endpoint.identification.algorithm = https\n\
         es-target.bootstrap.servers = rt-inventory-stg-kafka-bootstrap.example:443\n\
         es-source->es-target.enabled = true\n\
         replication.factor = 3\n\
         sync.topic.acls.enabled = false\n\
         replication.policy.separator =\n\
         replication.policy.class = io.strimzi.kafka.connect.mirror.IdentityReplicationPolicy\n\
         refresh.topics.interval.seconds : 10\n\
         refresh.groups.interval.seconds: 5\n\
         emit.checkpoints.enabled = true\n\
         sync.group.offsets.enabled = true\n\
         topics = items, store.inventory, items.inventory\n\
         topics.exclude = .apicurio\n\
         groups = .*\n",
    );
    let f = c.flow("es-source", "es-target").expect("flow");
    assert!(f.replication_policy.is_identity());
    assert_eq!(f.replication_policy.separator(), "");
    assert_eq!(f.remote_topic("items.inventory"), "items.inventory");
    // Kafka's policy concatenates with the empty separator, internal names included.
    assert_eq!(f.remote_topic("heartbeats"), "es-sourceheartbeats");
    assert_eq!(f.checkpoints.topic, "es-sourcecheckpointsinternal");
    assert_eq!(f.offset_syncs.topic, "mm2-offset-syncses-targetinternal");
    for t in ["items", "store.inventory", "items.inventory"] {
        assert!(f.replicates_topic(t), "{t}");
    }
    assert!(!f.replicates_topic("xapicurio"));
    assert!(!f.replicates_topic("other"));
    assert_eq!(f.refresh_topics.interval.as_secs(), 10);
    assert_eq!(f.refresh_groups.interval.as_secs(), 5);
    assert!(f.sync_group_offsets.enabled);
    assert_eq!(f.replication_factor, 3);
}

/// Seed 004: a migration's group patterns, including the negative look-ahead "deny list"
/// and an anchored alternation.
#[test]
fn seed_004_group_patterns() {
    let c = load(
        "clusters = my-source-cluster, my-target-cluster\n\
         my-source-cluster.bootstrap.servers = src:9093\n\
         my-target-cluster.bootstrap.servers = dst:9093\n\
         my-source-cluster->my-target-cluster.enabled = true\n\
         my-source-cluster->my-target-cluster.topics = ^app1.*|app2.*$\n\
         my-source-cluster->my-target-cluster.groups = ^(?!.*(heartbeats|)).*$\n\
         my-target-cluster->my-source-cluster.groups = ^(app1.*|app2.*)$\n",
    );
    let f = c
        .flow("my-source-cluster", "my-target-cluster")
        .expect("flow");
    assert!(f.replicates_topic("app1-t1"));
    assert!(f.replicates_topic("app2-x"));
    assert!(!f.replicates_topic("app3-t1"));
    // `(heartbeats|)` also matches the empty string, so the look-ahead rejects every
    // group: MM2 would sync no groups with this pattern, and neither does strait.
    assert!(!f.group_filter.should_replicate_group("app1-consumers"));
    let rev = c
        .flow("my-target-cluster", "my-source-cluster")
        .expect("reverse");
    assert!(rev.group_filter.should_replicate_group("app1-consumers"));
    assert!(!rev.group_filter.should_replicate_group("app3"));
}

/// Seed 004's producer tuning on the target cluster (Strimzi `config` → `<alias>.` keys).
#[test]
fn seed_004_target_producer_tuning() {
    let c = load(
        "clusters = s, t\ns.bootstrap.servers = s:1\nt.bootstrap.servers = t:1\ns->t.enabled = true\n\
         t.producer.acks = 1\nt.producer.batch.size = 50000\nt.producer.linger.ms = 1500\n\
         t.producer.compression.type = gzip\n",
    );
    let f = c.flow("s", "t").expect("flow");
    assert_eq!(f.acks, strait_config::Acks::Leader);
    let p = &f.clients.replication_producer.props;
    assert_eq!(p.get("linger.ms").map(|v| v.expose()), Some("1500"));
    // The same cluster as a *source* does not get the target-side producer tuning.
    let rev = c.flow("t", "s").expect("reverse");
    assert_eq!(rev.acks, strait_config::Acks::All);
}
