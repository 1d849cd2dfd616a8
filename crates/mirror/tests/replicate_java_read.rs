//! Flow `A->B` checked by an independent client: Kafka's own Java `KafkaConsumer`
//! (`crates/kwire/tests/java/ReadTopic.java`) reads every source topic on A and its remote topic
//! on B and must print the same records (partition, offset, timestamp type and value, key,
//! value, headers) — every codec, null keys, tombstones, duplicate and binary header keys, and
//! values of 1 MB, across 8 partitions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use common::flow::{Running, base_settings, wait_caught_up};
use common::java::{compile_java, jvm};
use common::kafka::{CODECS, clusters, create_topic, header, send};
use kwire::batch::{Compression, Record};
use kwire::client::Client;
use strait_harness::{Harness, unique_topic};

const PARTITIONS: i32 = 8;

/// A batch of assorted records for partition `p`; batch 0 of partition 0 carries a 1 MB value.
fn records(p: i32, batch: i64) -> Vec<Record> {
    if p == 0 && batch == 0 {
        let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        return vec![Record {
            offset: 0,
            timestamp: 1_500_000_000_000,
            key: Some(Bytes::from_static(b"big")),
            value: Some(Bytes::from(big)),
            headers: vec![header(b"size", Some(b"1MB"))],
        }];
    }
    (0..30)
        .map(|i| {
            let n = batch * 30 + i;
            Record {
                offset: i,
                timestamp: 1_600_000_000_000 + n * 86_400_000 * 7,
                key: (n % 4 != 0).then(|| Bytes::from(format!("key-{p}-{n}"))),
                value: (n % 9 != 5)
                    .then(|| Bytes::from(format!("{{\"p\":{p},\"n\":{n}}}").repeat(5))),
                headers: vec![
                    header(b"dup", Some(b"first")),
                    header(b"dup", Some(b"second")),
                    header(&[0xc3, 0x28, b'k'], Some(&[0, 1, 2, 255])),
                    header(b"nullvalue", None),
                ],
            }
        })
        .collect()
}

async fn produce(client: &Client, topic: &str, codec: Compression) {
    let batches = (0..PARTITIONS)
        .flat_map(|p| (0..3).map(move |b| (p, records(p, b))))
        .collect();
    send(client, topic, codec, batches).await;
}

/// ReadTopic's record lines per topic, with the topic name left out so that a source topic
/// and its remote copy can be compared line for line.
fn java_read(
    h: &Harness,
    classes: &Path,
    bootstrap: &str,
    topics: &[String],
) -> BTreeMap<String, Vec<String>> {
    // The JVM's default heap, not a small one: the 1 MB values of every topic pass through
    // this one consumer.
    let log4j2 = h.var("STRAIT_KAFKA_LOG4J2");
    let out = jvm(h, &[], log4j2, Some(classes), "ReadTopic")
        .arg(bootstrap)
        .args(topics)
        .output()
        .expect("java");
    assert!(
        out.status.success(),
        "ReadTopic failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut by_topic: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut fields = line.splitn(3, ' ');
        if fields.next() != Some("REC") {
            continue;
        }
        let (Some(topic), Some(rest)) = (fields.next(), fields.next()) else {
            continue;
        };
        by_topic
            .entry(topic.to_owned())
            .or_default()
            .push(rest.to_owned());
    }
    // The consumer interleaves partitions as polls return them: order by (partition, offset).
    let position = |line: &String| -> (i64, i64) {
        let mut f = line.split(' ').map(|x| x.parse::<i64>().unwrap_or(-1));
        (f.next().unwrap_or(-1), f.next().unwrap_or(-1))
    };
    for lines in by_topic.values_mut() {
        lines.sort_by_key(position);
    }
    by_topic
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javas_consumer_reads_the_same_records_on_both_sides() {
    let (h, source, target) = clusters().await;
    let prefix = unique_topic("java-read");
    let topics: Vec<String> = CODECS.iter().map(|c| format!("{prefix}-{c}")).collect();
    for (topic, codec) in topics.iter().zip(CODECS) {
        create_topic(&source, topic, PARTITIONS, &[]).await;
        produce(&source, topic, codec).await;
    }

    let flow = Running::start(&h, base_settings(&prefix)).await;
    let remotes: Vec<String> = topics.iter().map(|t| format!("A.{t}")).collect();
    let pairs: Vec<(String, String)> = topics.iter().cloned().zip(remotes.clone()).collect();
    wait_caught_up(&source, &target, &pairs, PARTITIONS, 120).await;
    let m = flow.stop().await;

    let classes = compile_java(&h, "../kwire/tests/java/ReadTopic.java");
    let on_a = tokio::task::spawn_blocking({
        let (h, classes, bootstrap, topics) =
            (h.clone(), classes.clone(), h.a().to_owned(), topics.clone());
        move || java_read(&h, &classes, &bootstrap, &topics)
    });
    let on_b = java_read(&h, &classes, h.b(), &remotes);
    let on_a = on_a.await.unwrap();
    for (topic, remote) in topics.iter().zip(&remotes) {
        let (want, got) = (&on_a[topic], &on_b[remote]);
        assert_eq!(
            want.len(),
            (PARTITIONS as usize) * 90 - 29,
            "{topic}: records read on A"
        );
        assert_eq!(got.len(), want.len(), "{remote}: records read on B");
        for (w, g) in want.iter().zip(got) {
            assert!(
                w == g,
                "{remote} differs from {topic}:\n  A: {:.200}\n  B: {:.200}",
                w,
                g
            );
        }
    }
    assert_eq!(m.batches_reencoded, 0, "{m:?}");
    assert_eq!(
        m.batches_forwarded,
        (CODECS.len() as u64) * (PARTITIONS as u64) * 3,
        "{m:?}"
    );
}
