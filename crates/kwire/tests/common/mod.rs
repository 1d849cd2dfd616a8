//! Shared helpers for kwire's integration tests against the real Kafka clusters started by
//! `scripts/harness up`. Missing clusters fail the tests with instructions; nothing skips.
#![allow(dead_code, clippy::unwrap_used, clippy::panic, unreachable_pub)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use kwire::client::{Client, FetchOptions, FetchPartition, NewTopic, TopicPartition};
use kwire::connection::ClientConfig;
use strait_harness::Harness;

/// `KEY=value` pairs: process environment first, then the harness's `clusters.env`.
fn harness_vars() -> &'static HashMap<String, String> {
    static VARS: OnceLock<HashMap<String, String>> = OnceLock::new();
    VARS.get_or_init(|| {
        let path = env_file();
        std::fs::read_to_string(&path)
            .map(|text| {
                text.lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn env_file() -> PathBuf {
    if let Ok(p) = std::env::var("STRAIT_HARNESS_ENV") {
        return PathBuf::from(p);
    }
    if let Ok(d) = std::env::var("STRAIT_HARNESS_DIR") {
        return Path::new(&d).join("clusters.env");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.harness/clusters.env")
}

/// A harness value such as `STRAIT_KAFKA_A`; panics with instructions when absent.
pub fn var(key: &str) -> String {
    if let Ok(v) = std::env::var(key) {
        return v;
    }
    harness_vars().get(key).cloned().unwrap_or_else(|| {
        panic!(
            "{key} is not set and not in {} — start the Kafka clusters with `scripts/harness up` \
             (or run `scripts/test`), or point STRAIT_HARNESS_ENV at a clusters.env file",
            env_file().display()
        )
    })
}

/// A name no other test or earlier run uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A plaintext config with test-friendly timeouts.
pub fn config(bootstrap: &str, cluster: &str) -> ClientConfig {
    let mut c = ClientConfig::new(vec![bootstrap.to_owned()], cluster);
    c.client_id = "kwire-it".into();
    c.api_timeout = Duration::from_secs(30);
    c
}

/// Logs to the test output when `RUST_LOG` is set (e.g. `RUST_LOG=kwire=debug`).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

pub async fn connect(bootstrap: &str, cluster: &str) -> Client {
    init_tracing();
    Client::connect(config(bootstrap, cluster)).await.unwrap()
}

/// Creates a topic and waits until every partition has a leader.
pub async fn create_topic(client: &Client, topic: &str, partitions: i32) {
    let res = client
        .create_topics(vec![NewTopic::new(topic, partitions, 1)], false)
        .await
        .unwrap();
    assert_eq!(res.len(), 1);
    res[0].1.as_ref().unwrap();
    wait_for_leaders(client, topic, partitions).await;
}

pub async fn wait_for_leaders(client: &Client, topic: &str, partitions: i32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let meta = client.metadata(Some(&[topic.to_owned()])).await.unwrap();
        let ready = meta.topic(topic).is_some_and(|t| {
            t.error.is_none()
                && t.partitions.len() == partitions as usize
                && t.partitions.values().all(|p| p.leader.is_some())
        });
        if ready {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "topic {topic} has no leaders after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

fn put_varint(buf: &mut BytesMut, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        buf.put_u8((z as u8) | 0x80);
        z >>= 7;
    }
    buf.put_u8(z as u8);
}

fn get_varint(b: &[u8], pos: &mut usize) -> i64 {
    let (mut z, mut shift) = (0u64, 0);
    loop {
        let byte = b[*pos];
        *pos += 1;
        z |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// An uncompressed v2 record batch (no producer id) with one record per value, built by hand
/// from the Kafka protocol guide's "Record Batch" layout.
pub fn batch(values: &[&[u8]], timestamp: i64) -> Bytes {
    let mut records = BytesMut::new();
    for (i, v) in values.iter().enumerate() {
        let mut rec = BytesMut::new();
        rec.put_i8(0); // attributes
        put_varint(&mut rec, 0); // timestamp delta
        put_varint(&mut rec, i as i64); // offset delta
        put_varint(&mut rec, -1); // null key
        put_varint(&mut rec, v.len() as i64);
        rec.put_slice(v);
        put_varint(&mut rec, 0); // no headers
        put_varint(&mut records, rec.len() as i64);
        records.put_slice(&rec);
    }
    let mut tail = BytesMut::new(); // attributes .. end: what the CRC covers
    tail.put_i16(0);
    tail.put_i32(values.len() as i32 - 1);
    tail.put_i64(timestamp);
    tail.put_i64(timestamp);
    tail.put_i64(-1); // producer id
    tail.put_i16(-1); // producer epoch
    tail.put_i32(-1); // base sequence
    tail.put_i32(values.len() as i32);
    tail.put_slice(&records);
    let mut out = BytesMut::new();
    out.put_i64(0);
    out.put_i32((4 + 1 + 4 + tail.len()) as i32);
    out.put_i32(-1); // partition leader epoch
    out.put_i8(2);
    out.put_u32(crc32c::crc32c(&tail));
    out.put_slice(&tail);
    out.freeze()
}

/// What a test needs to know about a fetched batch.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub base_offset: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub values: Vec<Vec<u8>>,
}

/// Parses the complete uncompressed batches of a fetch blob (a truncated tail is ignored).
pub fn parse_batches(blob: &[u8]) -> Vec<Fetched> {
    let mut out = Vec::new();
    let mut pos = 0;
    while blob.len() >= pos + 12 {
        let len = i32::from_be_bytes(blob[pos + 8..pos + 12].try_into().unwrap()) as usize;
        if blob.len() < pos + 12 + len {
            break;
        }
        let b = &blob[pos..pos + 12 + len];
        let crc = u32::from_be_bytes(b[17..21].try_into().unwrap());
        assert_eq!(
            crc,
            crc32c::crc32c(&b[21..]),
            "CRC mismatch in fetched batch"
        );
        let count = i32::from_be_bytes(b[57..61].try_into().unwrap());
        let mut p = 61;
        let mut values = Vec::new();
        for _ in 0..count {
            let _len = get_varint(b, &mut p);
            p += 1; // attributes
            get_varint(b, &mut p);
            get_varint(b, &mut p);
            let klen = get_varint(b, &mut p);
            if klen > 0 {
                p += klen as usize;
            }
            let vlen = get_varint(b, &mut p) as usize;
            values.push(b[p..p + vlen].to_vec());
            p += vlen;
            let headers = get_varint(b, &mut p);
            assert_eq!(headers, 0);
        }
        out.push(Fetched {
            base_offset: i64::from_be_bytes(b[0..8].try_into().unwrap()),
            producer_id: i64::from_be_bytes(b[43..51].try_into().unwrap()),
            producer_epoch: i16::from_be_bytes(b[51..53].try_into().unwrap()),
            base_sequence: i32::from_be_bytes(b[53..57].try_into().unwrap()),
            values,
        });
        pos += 12 + len;
    }
    out
}

/// Fetches a partition from `from` up to its high watermark and parses every batch.
pub async fn fetch_all(client: &Client, tp: &TopicPartition, from: i64) -> Vec<Fetched> {
    let mut out: Vec<Fetched> = Vec::new();
    fetch_to_hw(client, tp, from, 1024 * 1024, |records, mut offset| {
        for b in parse_batches(&records) {
            offset = b.base_offset + b.values.len() as i64;
            out.push(b);
        }
        offset
    })
    .await;
    out
}

/// Fetches `tp` from `from` until its high watermark, at most `max_bytes` a request. `take`
/// gets each answer's raw batches and the offset they were asked from, and returns the offset
/// to ask from next. Fails when 30 s pass without reaching the high watermark.
pub async fn fetch_to_hw(
    client: &Client,
    tp: &TopicPartition,
    from: i64,
    max_bytes: i32,
    mut take: impl FnMut(Bytes, i64) -> i64,
) {
    let mut offset = from;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let req = FetchPartition {
            tp: tp.clone(),
            offset,
            max_bytes,
            current_leader_epoch: None,
        };
        let mut res = client
            .fetch(&FetchOptions::default(), vec![req])
            .await
            .unwrap();
        let part = res.pop().unwrap().result.unwrap();
        offset = take(part.records, offset);
        if offset >= part.high_watermark {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{tp}: fetch stuck at {offset}, HW {}",
            part.high_watermark
        );
    }
}

/// Compiles the Java source `src` against the harness's Kafka jars into `classes`.
pub fn javac(h: &Harness, src: &Path, classes: &Path) {
    let out = Command::new("javac")
        .arg("-cp")
        .arg(format!("{}/*", h.var("STRAIT_KAFKA_LIB")))
        .arg("-d")
        .arg(classes)
        .arg(src)
        .output()
        .expect("cannot run javac");
    assert!(
        out.status.success(),
        "javac {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The class path of compiled test classes in `classes` and the harness's Kafka jars.
pub fn java_classpath(h: &Harness, classes: &Path) -> String {
    format!("{}:{}/*", classes.display(), h.var("STRAIT_KAFKA_LIB"))
}
