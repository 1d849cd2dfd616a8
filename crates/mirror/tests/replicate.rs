//! Flow `A->B` between two real Kafka clusters: every record arrives on `A.<topic>` in the same
//! partition and order with identical keys, values, headers and timestamps; dense batches take
//! the forward path; positions are stored in MM2's format and a restart resumes from them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kwire::batch::{Batch, BatchBuilder, BatchView, Compression, Header, Record, split};
use kwire::client::{
    Client, FetchOptions, FetchPartition, IdempotentProducer, IsolationLevel, NewTopic, OffsetSpec,
    ProducerConfig, TopicPartition,
};
use kwire::connection::ClientConfig;
use mirror::replicate::{FlowMetrics, FlowSettings, run_flow, store::ConnectOffsets};
use strait_harness::{Harness, unique_topic};
use tokio::sync::watch;

const PARTITIONS: i32 = 8;

async fn connect(bootstrap: &str, name: &str) -> Client {
    Client::connect(ClientConfig::new(vec![bootstrap.to_owned()], name))
        .await
        .unwrap()
}

fn records(partition: i32, batch: i64, n: i64) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let seq = batch * n + i;
            let header = |k: &[u8], v: Option<&[u8]>| Header {
                key: Bytes::copy_from_slice(k),
                value: v.map(Bytes::copy_from_slice),
            };
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
    let producer = IdempotentProducer::new(client.clone(), ProducerConfig::default())
        .await
        .unwrap();
    let mut acks = Vec::new();
    for p in 0..PARTITIONS {
        for b in 0..batches {
            let builder = BatchBuilder {
                compression: codec,
                ..Default::default()
            };
            let batch = BatchView::new(builder.build(&records(p, b, per_batch)).unwrap()).unwrap();
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

/// Every record of every partition, in order (offsets made relative: they may differ).
async fn read_all(
    client: &Client,
    topic: &str,
) -> Vec<Vec<(i64, Option<Bytes>, Option<Bytes>, Vec<Header>)>> {
    let ends = end_offsets(client, topic).await;
    let mut out = Vec::new();
    for (p, end) in ends.into_iter().enumerate() {
        let tp = TopicPartition::new(topic, p as i32);
        let mut offset = 0;
        let mut got = Vec::new();
        while offset < end {
            let req = FetchPartition {
                tp: tp.clone(),
                offset,
                max_bytes: 4 << 20,
                current_leader_epoch: None,
            };
            let fetched = client
                .fetch(&FetchOptions::default(), vec![req])
                .await
                .unwrap();
            let data = fetched.into_iter().next().unwrap().result.unwrap();
            for batch in split(data.records) {
                let Batch::V2(b) = batch.unwrap() else {
                    panic!("legacy batch on a 4.x topic")
                };
                offset = offset.max(b.last_offset() + 1);
                for r in b.records().unwrap() {
                    got.push((r.timestamp, r.key, r.value, r.headers));
                }
            }
        }
        out.push(got);
    }
    out
}

async fn wait_caught_up(source: &Client, target: &Client, topic: &str, remote: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let want = end_offsets(source, topic).await;
    loop {
        let metadata = target.metadata(Some(&[remote.to_owned()])).await.unwrap();
        if metadata.topic(remote).is_some_and(|t| t.error.is_none())
            && end_offsets(target, remote).await == want
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{remote} did not catch up with {topic} ({want:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn settings(prefix: &str) -> FlowSettings {
    let prefix = prefix.to_owned();
    let mut s = FlowSettings::new("A", "B");
    s.select_topic = Arc::new(move |t| t.starts_with(&prefix));
    s.replication_factor = 1;
    s.offsets_topic_replication_factor = 1;
    s.refresh_topics_interval = Duration::from_secs(2);
    s.position_flush_interval = Duration::from_millis(200);
    s
}

struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), mirror::replicate::ReplicateError>>,
    metrics: Arc<FlowMetrics>,
}

async fn start(h: &Harness, settings: FlowSettings) -> Running {
    let (stop, stopped) = watch::channel(false);
    let metrics = Arc::new(FlowMetrics::default());
    let (source, target) = (connect(h.a(), "A").await, connect(h.b(), "B").await);
    let task = tokio::spawn(run_flow(source, target, settings, metrics.clone(), stopped));
    Running {
        stop,
        task,
        metrics,
    }
}

impl Running {
    async fn stop(self) -> Arc<FlowMetrics> {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        self.metrics
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_codec_arrives_identical_in_the_same_partitions_and_order() {
    let h = Harness::get();
    let prefix = unique_topic("codecs");
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
        produce(&source, topic, codec, 3, 50).await;
    }
    let flow = start(&h, settings(&prefix)).await;
    for topic in &topics {
        wait_caught_up(&source, &target, topic, &format!("A.{topic}")).await;
    }
    let metrics = flow.stop().await.snapshot();
    for topic in &topics {
        let (want, got) = (
            read_all(&source, topic).await,
            read_all(&target, &format!("A.{topic}")).await,
        );
        assert_eq!(want.len(), got.len());
        for (p, (w, g)) in want.iter().zip(&got).enumerate() {
            assert_eq!(w.len(), g.len(), "{topic} partition {p}: record count");
            assert!(w == g, "{topic} partition {p}: records differ");
        }
    }
    let batches = (codecs.len() as i64 * PARTITIONS as i64 * 3) as u64;
    assert_eq!(metrics.batches_forwarded, batches, "{metrics:?}");
    assert_eq!(metrics.batches_reencoded, 0, "{metrics:?}");

    // Positions were stored in MM2's format: the last replicated offset of every partition.
    let store = ConnectOffsets::open(
        target.clone(),
        "mm2-offsets.A.internal",
        25,
        1,
        "MirrorSourceConnector",
        "A",
    )
    .await
    .unwrap();
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
    let h = Harness::get();
    let topic = unique_topic("resume");
    let remote = format!("A.{topic}");
    let source = connect(h.a(), "A").await;
    let target = connect(h.b(), "B").await;
    source
        .create_topics(vec![NewTopic::new(&topic, PARTITIONS, 1)], false)
        .await
        .unwrap()[0]
        .1
        .clone()
        .unwrap();
    produce(&source, &topic, Compression::Lz4, 2, 100).await;
    let flow = start(&h, settings(&topic)).await;
    wait_caught_up(&source, &target, &topic, &remote).await;
    let first = flow.stop().await.snapshot();
    assert!(
        first.batches_forwarded * 100 >= (first.batches_forwarded + first.batches_reencoded) * 99
    );

    produce(&source, &topic, Compression::Lz4, 1, 100).await;
    let flow = start(&h, settings(&topic)).await;
    wait_caught_up(&source, &target, &topic, &remote).await;
    let second = flow.stop().await.snapshot();
    assert_eq!(
        second.records_replicated,
        (PARTITIONS * 100) as u64,
        "only the new records are copied"
    );
    assert_eq!(
        end_offsets(&target, &remote).await,
        vec![300; PARTITIONS as usize]
    );
}
