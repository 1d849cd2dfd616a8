//! Flow `A->B` checked by an independent client: Kafka's own Java `KafkaConsumer`
//! (`crates/kwire/tests/java/ReadTopic.java`) reads every source topic on A and its remote topic
//! on B and must print the same records (partition, offset, timestamp type and value, key,
//! value, headers) — every codec, null keys, tombstones, duplicate and binary header keys, and
//! values of 1 MB, across 8 partitions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kwire::batch::{BatchBuilder, BatchView, Compression, Header, Record};
use kwire::client::{
    Client, IdempotentProducer, IsolationLevel, NewTopic, OffsetSpec, ProducerConfig,
    TopicPartition,
};
use kwire::connection::ClientConfig;
use mirror::replicate::{FlowMetrics, FlowSettings, run_flow};
use strait_harness::{Harness, unique_topic};
use tokio::sync::watch;

const PARTITIONS: i32 = 8;

async fn connect(bootstrap: &str, name: &str) -> Client {
    Client::connect(ClientConfig::new(vec![bootstrap.to_owned()], name))
        .await
        .unwrap()
}

fn header(key: &[u8], value: Option<&[u8]>) -> Header {
    Header {
        key: Bytes::copy_from_slice(key),
        value: value.map(Bytes::copy_from_slice),
    }
}

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
    let producer = IdempotentProducer::new(client.clone(), ProducerConfig::default())
        .await
        .unwrap();
    let mut acks = Vec::new();
    for p in 0..PARTITIONS {
        for b in 0..3 {
            let builder = BatchBuilder {
                compression: codec,
                ..Default::default()
            };
            let batch = BatchView::new(builder.build(&records(p, b)).unwrap()).unwrap();
            acks.push(
                producer
                    .send(TopicPartition::new(topic, p), batch)
                    .await
                    .unwrap(),
            );
        }
    }
    for ack in acks {
        ack.await.unwrap();
    }
    producer.close().await;
}

async fn end_offsets(client: &Client, topic: &str) -> Vec<i64> {
    let request = (0..PARTITIONS)
        .map(|p| (TopicPartition::new(topic, p), OffsetSpec::Latest))
        .collect();
    let answers = client
        .list_offsets(IsolationLevel::ReadUncommitted, request)
        .await;
    answers
        .into_values()
        .map(|r| r.map(|o| o.offset).unwrap_or(-1))
        .collect()
}

fn compile_reader(h: &Harness) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kwire/tests/java/ReadTopic.java");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique_topic("read-topic-classes"));
    let status = Command::new("javac")
        .arg("-cp")
        .arg(format!("{}/*", h.var("STRAIT_KAFKA_LIB")))
        .arg("-d")
        .arg(&out)
        .arg(&src)
        .status()
        .expect("javac");
    assert!(status.success(), "javac {} failed", src.display());
    out
}

/// ReadTopic's record lines per topic, with the topic name left out so that a source topic
/// and its remote copy can be compared line for line.
fn java_read(
    h: &Harness,
    classes: &Path,
    bootstrap: &str,
    topics: &[String],
) -> BTreeMap<String, Vec<String>> {
    let out = Command::new("java")
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            h.var("STRAIT_KAFKA_LOG4J2")
        ))
        .arg("-cp")
        .arg(format!(
            "{}:{}/*",
            classes.display(),
            h.var("STRAIT_KAFKA_LIB")
        ))
        .arg("ReadTopic")
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
    let h = Harness::get();
    let prefix = unique_topic("java-read");
    let source = connect(h.a(), "A").await;
    let target = connect(h.b(), "B").await;
    let codecs = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
    let topics: Vec<String> = codecs.iter().map(|c| format!("{prefix}-{c}")).collect();
    let new = topics
        .iter()
        .map(|t| NewTopic::new(t, PARTITIONS, 1))
        .collect();
    for (_, r) in source.create_topics(new, false).await.unwrap() {
        r.unwrap();
    }
    for (topic, codec) in topics.iter().zip(codecs) {
        produce(&source, topic, codec).await;
    }

    let (stop, stopped) = watch::channel(false);
    let metrics = Arc::new(FlowMetrics::default());
    let mut settings = FlowSettings::new("A", "B");
    let selected = prefix.clone();
    settings.select_topic = Arc::new(move |t| t.starts_with(&selected));
    settings.replication_factor = 1;
    settings.offsets_topic_replication_factor = 1;
    let flow = tokio::spawn(run_flow(
        connect(h.a(), "A").await,
        connect(h.b(), "B").await,
        settings,
        metrics.clone(),
        stopped,
    ));

    let remotes: Vec<String> = topics.iter().map(|t| format!("A.{t}")).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    for (topic, remote) in topics.iter().zip(&remotes) {
        let want = end_offsets(&source, topic).await;
        while end_offsets(&target, remote).await != want {
            assert!(
                Instant::now() < deadline,
                "{remote} did not catch up with {topic}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), flow)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    let classes = compile_reader(&h);
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
    let m = metrics.snapshot();
    assert_eq!(m.batches_reencoded, 0, "{m:?}");
    assert_eq!(
        m.batches_forwarded,
        (codecs.len() as u64) * (PARTITIONS as u64) * 3,
        "{m:?}"
    );
}
