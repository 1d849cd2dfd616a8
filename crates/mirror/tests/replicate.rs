//! Flow `A->B` between two real Kafka clusters: every record arrives on `A.<topic>` in the same
//! partition and order with identical keys, values, headers and timestamps; dense batches take
//! the forward path; positions are stored in MM2's format and a restart resumes from them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::flow::{Running, position_store, settings, wait_caught_up};
use common::kafka::{CODECS, clusters, create_topic, end_offsets, header, send};
use common::log::{assert_same_records, read_topic};
use kwire::batch::{Compression, Record};
use kwire::client::{Client, TopicPartition};
use mirror::settings::FlowSettings;
use strait_harness::unique_topic;

const PARTITIONS: i32 = 8;

fn records(partition: i32, batch: i64, n: i64) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let seq = batch * n + i;
            Record {
                offset: i,
                timestamp: 1_600_000_000_000 + seq * 3_600_000,
                key: (seq % 5 != 0).then(|| Bytes::from(format!("key-{partition}-{seq}"))),
                value: (seq % 7 != 3).then(|| Bytes::from(format!("value {seq} ").repeat(20))),
                headers: vec![
                    header(b"dup", Some(b"1")),
                    header(b"dup", Some(b"2")),
                    header(&[0xff, 0x00, 0xfe], None),
                ],
            }
        })
        .collect()
}

/// Produces `batches` batches of `per_batch` records to every partition of `topic`.
async fn produce(client: &Client, topic: &str, codec: Compression, batches: i64, per_batch: i64) {
    let all = (0..PARTITIONS)
        .flat_map(|p| (0..batches).map(move |b| (p, records(p, b, per_batch))))
        .collect();
    send(client, topic, codec, all).await;
}

/// [`settings`] with the 2 s topic refresh these tests have always run with.
fn flow_settings(prefix: &str) -> FlowSettings {
    let mut s = settings(prefix);
    s.refresh_topics_interval = Duration::from_secs(2);
    s
}

/// Waits (at most 90 s) until `A.<topic>` has the end offsets `topic` has now.
async fn wait_remote_caught_up(source: &Client, target: &Client, topic: &str) {
    let pair = [(topic.to_owned(), format!("A.{topic}"))];
    wait_caught_up(source, target, &pair, PARTITIONS, 90).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_codec_arrives_identical_in_the_same_partitions_and_order() {
    let (h, source, target) = clusters().await;
    let prefix = unique_topic("codecs");
    let topics: Vec<String> = CODECS.iter().map(|c| format!("{prefix}-{c}")).collect();
    for (topic, codec) in topics.iter().zip(CODECS) {
        create_topic(&source, topic, PARTITIONS, &[]).await;
        produce(&source, topic, codec, 3, 50).await;
    }
    let flow = Running::start(&h, flow_settings(&prefix)).await;
    for topic in &topics {
        wait_remote_caught_up(&source, &target, topic).await;
    }
    let metrics = flow.stop().await;
    for topic in &topics {
        assert_same_records(
            topic,
            &read_topic(&source, topic, PARTITIONS).await,
            &read_topic(&target, &format!("A.{topic}"), PARTITIONS).await,
        );
    }
    let batches = (CODECS.len() as i64 * PARTITIONS as i64 * 3) as u64;
    assert_eq!(metrics.batches_forwarded, batches, "{metrics:?}");
    assert_eq!(metrics.batches_reencoded, 0, "{metrics:?}");

    // Positions were stored in MM2's format: the last replicated offset of every partition.
    let store = position_store(&target, "MirrorSourceConnector").await;
    let positions = store.load().await.unwrap();
    for topic in &topics {
        for p in 0..PARTITIONS {
            assert_eq!(
                positions.get(&TopicPartition::new(topic.clone(), p)),
                Some(&149),
                "{topic}-{p}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resumes_from_stored_positions_without_copying_again() {
    let (h, source, target) = clusters().await;
    let topic = unique_topic("resume");
    let remote = format!("A.{topic}");
    create_topic(&source, &topic, PARTITIONS, &[]).await;
    produce(&source, &topic, Compression::Lz4, 2, 100).await;
    let flow = Running::start(&h, flow_settings(&topic)).await;
    wait_remote_caught_up(&source, &target, &topic).await;
    let first = flow.stop().await;
    assert!(
        first.batches_forwarded * 100 >= (first.batches_forwarded + first.batches_reencoded) * 99
    );

    produce(&source, &topic, Compression::Lz4, 1, 100).await;
    let flow = Running::start(&h, flow_settings(&topic)).await;
    wait_remote_caught_up(&source, &target, &topic).await;
    let second = flow.stop().await;
    assert_eq!(
        second.records_replicated,
        (PARTITIONS * 100) as u64,
        "only the new records are copied"
    );
    assert_eq!(
        end_offsets(&target, &remote, PARTITIONS).await,
        vec![300; PARTITIONS as usize]
    );
}
