//! kwire clients of the harness clusters: topics, records written through the idempotent
//! producer, offsets as ListOffsets answers them, and waiting for a condition.

use std::future::Future;
use std::ops::Range;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use kwire::batch::{BatchBuilder, BatchView, Compression, Header, Record};
use kwire::client::{
    Client, IdempotentProducer, IsolationLevel, NewTopic, OffsetSpec, ProducerConfig,
    TopicPartition,
};
use kwire::connection::ClientConfig;
use strait_harness::Harness;

pub async fn connect(bootstrap: &str, name: &str) -> Client {
    Client::connect(ClientConfig::new(vec![bootstrap.to_owned()], name))
        .await
        .unwrap()
}

pub async fn create_topic(client: &Client, topic: &str, partitions: i32, configs: &[(&str, &str)]) {
    let mut new = NewTopic::new(topic, partitions, 1);
    new.configs = configs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (name, result) in client.create_topics(vec![new], false).await.unwrap() {
        result.unwrap_or_else(|e| panic!("create {name}: {e}"));
    }
}

/// Polls `probe` until it answers `Ok`, failing with its last answer after `secs` seconds.
pub async fn eventually<T, F, Fut>(what: &str, secs: u64, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) => assert!(
                Instant::now() < deadline,
                "{what}: not reached in {secs} s; last state: {last}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn header(key: &[u8], value: Option<&[u8]>) -> Header {
    Header {
        key: Bytes::copy_from_slice(key),
        value: value.map(Bytes::copy_from_slice),
    }
}

/// A record of UTF-8 key, value and headers (the batch builder numbers records itself).
pub fn record(
    timestamp: i64,
    key: Option<&str>,
    value: Option<&str>,
    headers: &[(&str, &str)],
) -> Record {
    Record {
        offset: 0,
        timestamp,
        key: key.map(|k| Bytes::from(k.to_owned())),
        value: value.map(|v| Bytes::from(v.to_owned())),
        headers: headers
            .iter()
            .map(|(k, v)| header(k.as_bytes(), Some(v.as_bytes())))
            .collect(),
    }
}

/// Sends each `(partition, records)` as one batch through one idempotent producer, all in
/// flight at once, and waits for every acknowledgement.
pub async fn send(
    client: &Client,
    topic: &str,
    codec: Compression,
    batches: Vec<(i32, Vec<Record>)>,
) {
    let batches = batches.into_iter().map(|(p, r)| (p, codec, r)).collect();
    send_coded(client, topic, batches).await;
}

/// [`send`] with a codec per batch.
pub async fn send_coded(
    client: &Client,
    topic: &str,
    batches: Vec<(i32, Compression, Vec<Record>)>,
) {
    let producer = IdempotentProducer::new(client.clone(), ProducerConfig::default())
        .await
        .unwrap();
    let mut acks = Vec::new();
    for (partition, codec, records) in batches {
        let builder = BatchBuilder {
            compression: codec,
            ..Default::default()
        };
        let batch = BatchView::new(builder.build(&records).unwrap()).unwrap();
        let tp = TopicPartition::new(topic, partition);
        acks.push(producer.send(tp, batch).await.unwrap());
    }
    for ack in acks {
        ack.await.unwrap();
    }
    producer.close().await;
}

/// Writes `values` (key = value) to one partition in uncompressed batches of `per_batch`.
pub async fn produce(
    client: &Client,
    topic: &str,
    partition: i32,
    values: &[String],
    per_batch: usize,
) {
    let batches = values
        .chunks(per_batch.max(1))
        .map(|chunk| {
            let records = chunk
                .iter()
                .map(|v| record(1_700_000_000_000, Some(v), Some(v), &[]))
                .collect();
            (partition, records)
        })
        .collect();
    send(client, topic, Compression::None, batches).await;
}

pub fn numbered(prefix: &str, from: usize, n: usize) -> Vec<String> {
    (from..from + n).map(|i| format!("{prefix}-{i}")).collect()
}

/// ListOffsets for `partitions` of `topic`, in partition order; an `Err` where the broker had
/// no answer (a topic or leader not there yet).
pub async fn list_offsets(
    client: &Client,
    topic: &str,
    partitions: Range<i32>,
    isolation: IsolationLevel,
    spec: OffsetSpec,
) -> Vec<kwire::error::Result<i64>> {
    let request = partitions
        .map(|p| (TopicPartition::new(topic, p), spec))
        .collect();
    let answers = client.list_offsets(isolation, request).await;
    answers.into_values().map(|r| r.map(|o| o.offset)).collect()
}

/// The end offsets (high watermark, or last stable offset under read_committed).
pub async fn latest(
    client: &Client,
    topic: &str,
    partitions: i32,
    isolation: IsolationLevel,
) -> Vec<i64> {
    list_offsets(client, topic, 0..partitions, isolation, OffsetSpec::Latest)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

pub async fn end_offsets(client: &Client, topic: &str, partitions: i32) -> Vec<i64> {
    latest(client, topic, partitions, IsolationLevel::ReadUncommitted).await
}

/// `(log start, log end)` of `partitions`, read_uncommitted.
pub async fn bounds(client: &Client, topic: &str, partitions: Range<i32>) -> Vec<(i64, i64)> {
    let isolation = IsolationLevel::ReadUncommitted;
    let ask = |spec| list_offsets(client, topic, partitions.clone(), isolation, spec);
    let (start, end) = (
        ask(OffsetSpec::Earliest).await,
        ask(OffsetSpec::Latest).await,
    );
    start
        .into_iter()
        .zip(end)
        .map(|(s, e)| (s.unwrap(), e.unwrap()))
        .collect()
}

/// The end offsets once no transaction is open (the last stable offset is the high watermark
/// of every partition); a probe for [`eventually`].
pub async fn stable_ends(
    client: &Client,
    topic: &str,
    partitions: i32,
) -> Result<Vec<i64>, String> {
    let stable = latest(client, topic, partitions, IsolationLevel::ReadCommitted).await;
    let end = latest(client, topic, partitions, IsolationLevel::ReadUncommitted).await;
    if stable == end {
        Ok(end)
    } else {
        Err(format!("last stable {stable:?}, end {end:?}"))
    }
}

/// The harness, and a client of its cluster `A` and one of `B`: where every flow test starts.
pub async fn clusters() -> (Harness, Client, Client) {
    let h = Harness::get();
    let (source, target) = (connect(h.a(), "A").await, connect(h.b(), "B").await);
    (h, source, target)
}

/// Every codec a batch can have; the codec tests write a topic with each.
pub const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];
