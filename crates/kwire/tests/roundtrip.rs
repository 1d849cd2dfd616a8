//! Metadata, topic creation, raw produce and fetch, offsets, configs and group operations
//! against Kafka 4.x (cluster A) and Kafka 3.9 (cluster LEGACY).
#![allow(clippy::unwrap_used)]

mod common;

use bytes::BytesMut;
use kwire::client::{
    Acks, AlterConfigOp, Client, CommittedOffset, ConfigResource, CoordinatorType, IsolationLevel,
    OffsetSpec, ProduceOptions, ProducePartition,
};
use kwire::protocol::supported_versions;

use common::{batch, connect, create_topic, fetch_all, tp, unique, var};

async fn produce_and_fetch(cluster: &str, bootstrap: &str) {
    let client = connect(bootstrap, cluster).await;
    let meta = client.metadata(None).await.unwrap();
    assert!(!meta.brokers.is_empty(), "no brokers in metadata");
    assert!(meta.cluster_id.is_some());

    let topic = unique("kwire-rt");
    create_topic(&client, &topic, 2).await;
    let meta = client.metadata(None).await.unwrap();
    let info = meta.topic(&topic).unwrap();
    assert!(!info.is_internal && info.topic_id != 0);
    assert_eq!(info.partitions.len(), 2);

    // Produce v3+ takes one batch per partition per request: two requests to partition 0.
    let options = ProduceOptions {
        acks: Acks::All,
        ..ProduceOptions::default()
    };
    let first = vec![
        ProducePartition {
            tp: tp(&topic, 0),
            records: batch(&[b"a0", b"a1", b"a2"], 1_700_000_000_000),
        },
        ProducePartition {
            tp: tp(&topic, 1),
            records: batch(&[b"b0", b"b1"], 1_700_000_000_002),
        },
    ];
    let acks = client.produce(&options, first).await;
    assert_eq!(acks.len(), 2);
    for a in &acks {
        assert_eq!(a.result.as_ref().unwrap().base_offset, 0, "{}", a.tp);
    }
    let second = vec![ProducePartition {
        tp: tp(&topic, 0),
        records: batch(&[b"a3"], 1_700_000_000_001),
    }];
    let acks = client.produce(&options, second).await;
    assert_eq!(acks[0].result.as_ref().unwrap().base_offset, 3);

    // Two batches back to back for one partition are refused before sending.
    let mut two = BytesMut::new();
    two.extend_from_slice(&batch(&[b"x"], 1));
    two.extend_from_slice(&batch(&[b"y"], 1));
    let refused = client
        .produce(
            &options,
            vec![ProducePartition {
                tp: tp(&topic, 0),
                records: two.freeze(),
            }],
        )
        .await;
    assert!(matches!(
        refused[0].result,
        Err(kwire::error::Error::InvalidArgument(_))
    ));

    let fetched = fetch_all(&client, &tp(&topic, 0), 0).await;
    let values: Vec<Vec<u8>> = fetched.iter().flat_map(|b| b.values.clone()).collect();
    assert_eq!(
        values,
        vec![
            b"a0".to_vec(),
            b"a1".to_vec(),
            b"a2".to_vec(),
            b"a3".to_vec()
        ]
    );
    assert_eq!(
        fetched.iter().map(|b| b.base_offset).collect::<Vec<_>>(),
        vec![0, 3]
    );
    let fetched = fetch_all(&client, &tp(&topic, 1), 0).await;
    assert_eq!(fetched[0].values, vec![b"b0".to_vec(), b"b1".to_vec()]);

    let offsets = client
        .list_offsets(
            IsolationLevel::ReadCommitted,
            vec![
                (tp(&topic, 0), OffsetSpec::Earliest),
                (tp(&topic, 1), OffsetSpec::Latest),
            ],
        )
        .await;
    assert_eq!(offsets[&tp(&topic, 0)].as_ref().unwrap().offset, 0);
    assert_eq!(offsets[&tp(&topic, 1)].as_ref().unwrap().offset, 2);
    let by_time = client
        .list_offsets(
            IsolationLevel::ReadUncommitted,
            vec![(tp(&topic, 0), OffsetSpec::Timestamp(1_700_000_000_001))],
        )
        .await;
    assert_eq!(by_time[&tp(&topic, 0)].as_ref().unwrap().offset, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_and_fetch_kafka4() {
    produce_and_fetch("A", &var("STRAIT_KAFKA_A")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_and_fetch_kafka39() {
    produce_and_fetch("LEGACY", &var("STRAIT_KAFKA_LEGACY")).await;
}

async fn admin_and_groups(cluster: &str, bootstrap: &str) {
    let client = connect(bootstrap, cluster).await;
    let topic = unique("kwire-admin");
    create_topic(&client, &topic, 1).await;

    // Creating it again is reported per topic, not as a failed call.
    let again = client
        .create_topics(vec![kwire::client::NewTopic::new(&topic, 1, 1)], false)
        .await
        .unwrap();
    assert_eq!(
        again[0].1.as_ref().unwrap_err().code(),
        Some(kafka_protocol::ResponseError::TopicAlreadyExists)
    );

    let grown = client
        .create_partitions(vec![(topic.clone(), 3)], false)
        .await
        .unwrap();
    grown[0].1.as_ref().unwrap();
    common::wait_for_leaders(&client, &topic, 3).await;

    let res = ConfigResource::topic(&topic);
    let changes = vec![(
        res.clone(),
        vec![(
            "retention.ms".to_owned(),
            AlterConfigOp::Set("3600000".into()),
        )],
    )];
    let altered = client
        .incremental_alter_configs(changes, false)
        .await
        .unwrap();
    altered[0].1.as_ref().unwrap();
    // The broker applies an altered config once its metadata log catches up: poll briefly.
    let mut entries = Vec::new();
    for _ in 0..50 {
        let described = client.describe_configs(vec![res.clone()]).await.unwrap();
        entries = described[0].1.as_ref().unwrap().clone();
        let current = entries.iter().find(|e| e.name == "retention.ms");
        if current.and_then(|e| e.value.as_deref()) == Some("3600000") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let retention = entries.iter().find(|e| e.name == "retention.ms").unwrap();
    assert_eq!(retention.value.as_deref(), Some("3600000"));
    assert!(!retention.is_default());
    let segment = entries.iter().find(|e| e.name == "segment.bytes").unwrap();
    assert!(segment.value.is_some());

    // Offsets committed as an admin into an empty group, then read back.
    let group = unique("kwire-group");
    let commits = vec![(
        tp(&topic, 0),
        CommittedOffset {
            offset: 0,
            leader_epoch: None,
            metadata: Some("kwire".into()),
        },
    )];
    let committed = client.offset_commit(&group, commits).await.unwrap();
    committed[&tp(&topic, 0)].as_ref().unwrap();
    let read = client.offset_fetch(&group, None).await.unwrap();
    assert_eq!(read[&tp(&topic, 0)].offset, 0);
    assert_eq!(read[&tp(&topic, 0)].metadata.as_deref(), Some("kwire"));
    let read = client
        .offset_fetch(&group, Some(vec![tp(&topic, 1)]))
        .await
        .unwrap();
    assert!(
        read.is_empty(),
        "no offset was committed for partition 1: {read:?}"
    );

    let coordinator = client
        .find_coordinator(CoordinatorType::Group, &group)
        .await
        .unwrap();
    assert!(
        client
            .cached_metadata()
            .brokers
            .contains_key(&coordinator.node_id)
    );
    let groups = client.list_groups().await.unwrap();
    assert!(
        groups.iter().any(|g| g.group_id == group),
        "{group} not listed"
    );
    let described = client.describe_groups(vec![group.clone()]).await;
    let d = described[&group].as_ref().unwrap();
    assert_eq!(d.state, "Empty");
    assert!(d.members.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_and_groups_kafka4() {
    admin_and_groups("A", &var("STRAIT_KAFKA_A")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_and_groups_kafka39() {
    admin_and_groups("LEGACY", &var("STRAIT_KAFKA_LEGACY")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_reports_unknown_topics() {
    let client: Client = connect(&var("STRAIT_KAFKA_A"), "A").await;
    let topic = unique("kwire-missing");
    let meta = client
        .metadata(Some(std::slice::from_ref(&topic)))
        .await
        .unwrap();
    assert_eq!(
        meta.topic(&topic).unwrap().error,
        Some(kafka_protocol::ResponseError::UnknownTopicOrPartition)
    );
    assert!(
        supported_versions(kafka_protocol::messages::ApiKey::Fetch)
            .unwrap()
            .max
            <= 12
    );
}
