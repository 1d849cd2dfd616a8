//! An independent client reads what kwire writes: for every codec, on Kafka 4.x (cluster `a`)
//! and Kafka 3.9 (cluster `legacy`), kwire's idempotent producer writes batches full of edge
//! cases (null keys, empty and null values, duplicate and binary header keys, null header
//! values, a ~1 MiB value, CreateTime timestamps more than 2^31 ms apart), and Kafka's own Java
//! `KafkaConsumer` (`tests/java/ReadTopic.java`, read_committed) must see exactly those records.
//!
//! Then the forward path: the raw fetched batches of every topic are sent unchanged through a
//! second idempotent producer to a second topic; the target batches must carry the very same
//! payload bytes after the 61-byte header, and the Java consumer must read identical records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use kwire::batch::{
    Batch, BatchBuilder, BatchView, Compression, Header, Record, TimestampType, decode_records,
    split,
};
use kwire::client::{Client, IdempotentProducer, ProducerConfig, TopicPartition};
use strait_harness::Harness;

use common::{connect, create_topic, fetch_to_hw, java_classpath, javac, tp};

const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];
const PARTITIONS: i32 = 2;
/// The broker's default `max.message.bytes`: the largest batch (with its 12-byte log overhead).
const MAX_MESSAGE_BYTES: usize = 1_048_588;
/// The big value: as large as fits one batch under `MAX_MESSAGE_BYTES`, uncompressed.
const BIG_VALUE_LEN: usize = 1_040_000;
/// Timestamps this far apart do not fit an i32 delta (2^31 ms is about 24.9 days).
const FAR: i64 = 3_000_000_000;
const _: () = assert!(FAR > 1 << 31);

/// A small deterministic generator (xorshift64*) for binary keys, values and headers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, len: usize) -> Bytes {
        (0..len).map(|_| (self.next() >> 32) as u8).collect()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn b(s: &[u8]) -> Bytes {
    Bytes::copy_from_slice(s)
}

fn header(key: &[u8], value: Option<&[u8]>) -> Header {
    Header {
        key: b(key),
        value: value.map(b),
    }
}

fn record(
    timestamp: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
    headers: Vec<Header>,
) -> Record {
    Record {
        offset: 0,
        timestamp,
        key,
        value,
        headers,
    }
}

/// Non-UTF-8 header keys (each invalid byte stands alone, so every UTF-8 decoder replaces it
/// the same way).
const BINARY_KEY: &[u8] = &[0xff, 0xfe, 0x00, 0x80, b'k'];
const LONE_LEAD_BYTE_KEY: &[u8] = &[0xc3];

/// The batches to write: `[partition][batch][record]`. Every batch also holds a recent
/// timestamp, so time-based retention never sees an old segment.
fn plan(seed: u64, now: i64) -> Vec<Vec<Vec<Record>>> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    // Half noise, half text: compressible, yet every codec has real work on both kinds.
    let mut big = rng.bytes(BIG_VALUE_LEN / 2).to_vec();
    big.extend((0..BIG_VALUE_LEN - big.len()).map(|i| b"strait replicates kafka "[i % 24]));

    let edge_cases = vec![
        record(
            now - 2 * FAR,
            None,
            Some(b(b"first")),
            vec![
                header(b"dup", Some(b"1")),
                header(b"dup", Some(b"2")),
                header(b"dup", None),
            ],
        ),
        record(
            now,
            Some(b(b"k1")),
            None,
            vec![
                header(BINARY_KEY, Some(&[0x00, 0xff, 0x10, 0x80])),
                header(b"n", None),
            ],
        ),
        record(
            now - FAR,
            Some(Bytes::new()),
            Some(Bytes::new()),
            vec![header(b"", Some(b""))],
        ),
        record(
            now - 1,
            Some(rng.bytes(16)),
            Some(rng.bytes(200)),
            vec![
                header("utf8-ключ-\u{1F980}".as_bytes(), Some(&rng.bytes(8))),
                header(LONE_LEAD_BYTE_KEY, Some(&[0xc3, 0x28])),
                header(BINARY_KEY, None),
                header(BINARY_KEY, Some(b"")),
            ],
        ),
        record(now + 1, None, None, vec![]),
    ];
    let big_batch = vec![
        record(
            now - FAR - 7,
            Some(b(b"big")),
            Some(Bytes::from(big)),
            vec![header(b"size", Some(BIG_VALUE_LEN.to_string().as_bytes()))],
        ),
        record(now, None, None, vec![header(b"after-big", None)]),
    ];
    let mixed: Vec<Record> = (0..40i64)
        .map(|i| {
            let key = (i % 2 == 1).then(|| Bytes::from(format!("k{i}")));
            let value = match i % 5 {
                0 => None,
                1 => Some(Bytes::new()),
                _ => {
                    let len = rng.below(300) as usize;
                    Some(rng.bytes(len))
                }
            };
            let headers = match i % 4 {
                0 => vec![],
                1 => vec![header(b"h", Some(b"a")), header(b"h", Some(b"b"))],
                2 => vec![header(LONE_LEAD_BYTE_KEY, Some(&rng.bytes(5)))],
                _ => vec![header(BINARY_KEY, None), header(b"h", None)],
            };
            // Older and newer records interleaved: negative deltas from the first timestamp.
            record(now - (i % 3) * FAR + i, key, value, headers)
        })
        .collect();
    let single = vec![record(now, None, None, vec![])];
    let keyed: Vec<Record> = (0..10i64)
        .map(|i| {
            let ts = if i % 2 == 0 {
                now - 2 * FAR - i
            } else {
                now + i
            };
            record(
                ts,
                Some(Bytes::from(format!("key-{i}"))),
                Some(rng.bytes(20 + i as usize)),
                vec![header(b"i", Some(i.to_string().as_bytes()))],
            )
        })
        .collect();
    vec![vec![edge_cases, big_batch, mixed], vec![single, keyed]]
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

fn hex_opt(b: &Option<Bytes>) -> String {
    b.as_deref().map_or_else(|| "null".into(), hex)
}

/// The line ReadTopic.java prints for a record. Java holds header keys as Strings, decoded
/// from UTF-8 with replacement characters, so a non-UTF-8 key reads back "lossy"; kwire's
/// own decoding is checked byte for byte separately.
fn java_line(topic: &str, partition: i32, r: &Record) -> String {
    let headers: Vec<String> = r
        .headers
        .iter()
        .map(|h| {
            let key = String::from_utf8_lossy(&h.key);
            format!("{}={}", hex(key.as_bytes()), hex_opt(&h.value))
        })
        .collect();
    format!(
        "REC {topic} {partition} {} CreateTime {} {} {} {}",
        r.offset,
        r.timestamp,
        hex_opt(&r.key),
        hex_opt(&r.value),
        if headers.is_empty() {
            "-".to_owned()
        } else {
            headers.join(",")
        }
    )
}

fn short(s: &str) -> String {
    const MAX: usize = 160;
    if s.len() <= MAX {
        s.to_owned()
    } else {
        format!("{}… ({} chars)", &s[..MAX], s.len())
    }
}

/// Compares record lines field by field, naming the first difference without dumping
/// megabytes of hex.
fn assert_lines(what: &str, got: &[String], want: &[String]) {
    const FIELDS: [&str; 9] = [
        "tag",
        "topic",
        "partition",
        "offset",
        "timestamp type",
        "timestamp",
        "key",
        "value",
        "headers",
    ];
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g == w {
            continue;
        }
        let (gf, wf): (Vec<&str>, Vec<&str>) = (g.split(' ').collect(), w.split(' ').collect());
        for (n, name) in FIELDS.iter().enumerate() {
            let (a, e) = (gf.get(n).copied(), wf.get(n).copied());
            assert!(
                a == e,
                "{what}: record #{i}: {name} differs\n  java:     {}\n  expected: {}\n  line java:     {}\n  line expected: {}",
                short(a.unwrap_or("<missing>")),
                short(e.unwrap_or("<missing>")),
                short(g),
                short(w)
            );
        }
        panic!("{what}: record #{i} differs: {} vs {}", short(g), short(w));
    }
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: Java read {} records, expected {}",
        got.len(),
        want.len()
    );
}

fn describe(r: &Record) -> String {
    short(&format!(
        "offset={} ts={} key={} value={} headers={:?}",
        r.offset,
        r.timestamp,
        hex_opt(&r.key),
        hex_opt(&r.value),
        r.headers
            .iter()
            .map(|h| format!("{}={}", hex(&h.key), hex_opt(&h.value)))
            .collect::<Vec<_>>()
    ))
}

/// Exact comparison of records kwire decoded (binary header keys included).
fn assert_records(what: &str, got: &[Record], want: &[Record]) {
    assert_eq!(got.len(), want.len(), "{what}: record count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g == w,
            "{what}: record #{i} differs\n  got:  {}\n  want: {}",
            describe(g),
            describe(w)
        );
    }
}

/// Every batch of a partition from offset 0 up to its high watermark, as fetched.
async fn fetch_batches(client: &Client, tp: &TopicPartition) -> Vec<BatchView> {
    let mut out = Vec::new();
    // 4 MiB a request: room for the batch with the big value.
    fetch_to_hw(client, tp, 0, 4 << 20, |records, mut offset| {
        for batch in split(records) {
            match batch.unwrap() {
                Batch::V2(v) => {
                    v.verify_crc().unwrap();
                    if v.last_offset() >= offset {
                        offset = v.next_offset();
                        out.push(v);
                    }
                }
                Batch::Legacy(m) => panic!("{tp}: unexpected magic {} message", m.magic()),
            }
        }
        offset
    })
    .await;
    out
}

/// Writes the plan to `topic` in `codec` and returns the records per partition, with the
/// offsets the broker acknowledged.
async fn produce(
    producer: &IdempotentProducer,
    topic: &str,
    codec: Compression,
    plan: &[Vec<Vec<Record>>],
) -> Vec<Vec<Record>> {
    let mut pending = Vec::new();
    for (p, batches) in plan.iter().enumerate() {
        for records in batches {
            let builder = BatchBuilder {
                compression: codec,
                timestamp_type: TimestampType::CreateTime,
                ..Default::default()
            };
            let bytes = builder.build(records).unwrap();
            assert!(
                bytes.len() <= MAX_MESSAGE_BYTES,
                "{codec} batch of {} bytes exceeds max.message.bytes",
                bytes.len()
            );
            let view = BatchView::new(bytes).unwrap();
            assert_eq!(view.compression(), codec);
            let delivery = producer
                .send(tp(topic, p as i32), view)
                .await
                .unwrap_or_else(|e| panic!("send to {topic}-{p}: {e}"));
            pending.push((p, records, delivery));
        }
    }
    let mut expected = vec![Vec::new(); plan.len()];
    for (p, records, delivery) in pending {
        let d = delivery
            .await
            .unwrap_or_else(|e| panic!("{codec} batch to {topic}-{p} failed: {e}"));
        let out: &mut Vec<Record> = &mut expected[p];
        assert_eq!(
            d.base_offset,
            out.len() as i64,
            "{topic}-{p}: acknowledged offset"
        );
        assert_eq!(d.record_count as usize, records.len());
        assert_eq!(d.producer_id, producer.producer_id());
        out.extend(records.iter().enumerate().map(|(i, r)| Record {
            offset: d.base_offset + i as i64,
            ..r.clone()
        }));
    }
    expected
}

/// Compiles ReadTopic.java against the harness's Kafka 4.x jars into a fresh folder.
fn compile_reader(h: &Harness) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/ReadTopic.java");
    let classes = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(strait_harness::unique_topic("java-consumer-interop"));
    javac(h, &src, &classes);
    classes
}

/// What ReadTopic printed: end offsets and record lines per topic-partition.
#[derive(Debug, Default)]
struct JavaRead {
    ends: BTreeMap<(String, i32), i64>,
    records: BTreeMap<(String, i32), Vec<String>>,
}

/// Runs ReadTopic.java (Kafka's KafkaConsumer, read_committed) over `topics`.
fn java_read(h: &Harness, classes: &Path, bootstrap: &str, topics: &[String]) -> JavaRead {
    let mut child = Command::new("java")
        .args(["-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"])
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            h.var("STRAIT_KAFKA_LOG4J2")
        ))
        .arg("-cp")
        .arg(java_classpath(h, classes))
        .arg("ReadTopic")
        .arg(bootstrap)
        .args(topics)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start java");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            r.read_to_end(&mut buf).map(|_| buf)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    // ReadTopic gives up after 60 s by itself; this only guards against a hung JVM.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ReadTopic on {bootstrap} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = String::from_utf8(stdout.join().unwrap().unwrap()).unwrap();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap().unwrap()).into_owned();
    assert!(
        status.success(),
        "ReadTopic on {bootstrap} failed ({status})\nstderr:\n{stderr}\nstdout:\n{}",
        short(
            &stdout
                .lines()
                .filter(|l| !l.starts_with("REC "))
                .collect::<Vec<_>>()
                .join("\n")
        )
    );
    let mut read = JavaRead::default();
    for line in stdout.lines() {
        let mut f = line.splitn(5, ' ');
        let tag = f.next().unwrap();
        if tag != "END" && tag != "REC" {
            continue; // a log line
        }
        let topic = f.next().unwrap().to_owned();
        let partition: i32 = f.next().unwrap().parse().unwrap();
        if tag == "END" {
            read.ends
                .insert((topic, partition), f.next().unwrap().parse().unwrap());
        } else {
            read.records
                .entry((topic, partition))
                .or_default()
                .push(line.to_owned());
        }
    }
    read
}

/// Checks that Java read exactly `expected[partition]` from `topic`.
fn check_java(read: &JavaRead, cluster: &str, topic: &str, expected: &[Vec<Record>]) {
    for (p, records) in expected.iter().enumerate() {
        let key = (topic.to_owned(), p as i32);
        let what = format!("{cluster}: {topic}-{p}");
        assert_eq!(
            read.ends.get(&key).copied(),
            Some(records.len() as i64),
            "{what}: end offset seen by Java"
        );
        let want: Vec<String> = records
            .iter()
            .map(|r| java_line(topic, p as i32, r))
            .collect();
        let got = read.records.get(&key).map_or(&[][..], Vec::as_slice);
        assert_lines(&what, got, &want);
    }
    let partitions = read.ends.keys().filter(|(t, _)| t == topic).count();
    assert_eq!(partitions, expected.len(), "{cluster}: {topic} partitions");
}

/// Forwards every fetched source batch unchanged to the same partition of `dst`, then checks
/// that the stored target batches differ from the source only in the producer fields.
async fn forward(
    client: &Client,
    forwarder: &IdempotentProducer,
    src_batches: &[Vec<BatchView>],
    dst: &str,
) {
    let mut pending = Vec::new();
    for (p, batches) in src_batches.iter().enumerate() {
        for batch in batches {
            let d = forwarder
                .send(tp(dst, p as i32), batch.clone())
                .await
                .unwrap();
            pending.push((p, batch, d));
        }
    }
    for (p, batch, d) in pending {
        let d = d
            .await
            .unwrap_or_else(|e| panic!("forward to {dst}-{p}: {e}"));
        assert_eq!(d.base_offset, batch.base_offset(), "{dst}-{p}: offset");
        assert_eq!(d.record_count, batch.last_offset_delta() + 1);
    }
    for (p, src) in src_batches.iter().enumerate() {
        let target = fetch_batches(client, &tp(dst, p as i32)).await;
        assert_eq!(target.len(), src.len(), "{dst}-{p}: batch count");
        for (i, (s, t)) in src.iter().zip(&target).enumerate() {
            let what = format!("{dst}-{p} batch #{i}");
            assert!(
                s.records_payload() == t.records_payload(),
                "{what}: payload after the 61-byte header differs ({} vs {} bytes)",
                s.records_payload().len(),
                t.records_payload().len()
            );
            assert_eq!(t.base_offset(), s.base_offset(), "{what}: base offset");
            assert_eq!(t.attributes(), s.attributes(), "{what}: attributes");
            assert_eq!(t.last_offset_delta(), s.last_offset_delta(), "{what}");
            assert_eq!(t.records_count(), s.records_count(), "{what}");
            assert_eq!(t.base_timestamp(), s.base_timestamp(), "{what}");
            assert_eq!(t.max_timestamp(), s.max_timestamp(), "{what}");
            assert_eq!(t.producer_id(), forwarder.producer_id(), "{what}");
            assert_ne!(t.producer_id(), s.producer_id(), "{what}");
        }
    }
}

async fn run(cluster: &str, bootstrap: &str) {
    let started = Instant::now();
    let h = Harness::get();
    let classes = tokio::task::spawn_blocking({
        let h = h.clone();
        move || compile_reader(&h)
    });
    let client = connect(bootstrap, cluster).await;
    let producer = IdempotentProducer::new(client.clone(), ProducerConfig::default())
        .await
        .unwrap();
    let forwarder = IdempotentProducer::new(client.clone(), ProducerConfig::default())
        .await
        .unwrap();
    assert_ne!(producer.producer_id(), forwarder.producer_id());
    let now = now_ms();

    let mut topics = Vec::new(); // (source, target, expected records per partition)
    for codec in CODECS {
        let src = strait_harness::unique_topic(&format!("kwire-java-{codec}"));
        let dst = strait_harness::unique_topic(&format!("kwire-java-fwd-{codec}"));
        create_topic(&client, &src, PARTITIONS).await;
        create_topic(&client, &dst, PARTITIONS).await;
        let plan = plan(u64::from(codec.id()) + 1, now);
        let expected = produce(&producer, &src, codec, &plan).await;

        // kwire's own view of the stored batches: exact bytes, binary header keys included.
        let mut src_batches = Vec::new();
        for (p, want) in expected.iter().enumerate() {
            let batches = fetch_batches(&client, &tp(&src, p as i32)).await;
            let mut got = Vec::new();
            for batch in &batches {
                assert_eq!(batch.compression(), codec, "{src}-{p}: stored codec");
                assert_eq!(batch.timestamp_type(), TimestampType::CreateTime);
                assert_eq!(batch.producer_id(), producer.producer_id());
                got.extend(decode_records(batch).unwrap());
            }
            assert_records(&format!("{cluster}: kwire fetch of {src}-{p}"), &got, want);
            src_batches.push(batches);
        }
        forward(&client, &forwarder, &src_batches, &dst).await;
        topics.push((src, dst, expected));
    }
    producer.close().await;
    forwarder.close().await;

    let classes = classes.await.unwrap();
    let names: Vec<String> = topics
        .iter()
        .flat_map(|(s, d, _)| [s.clone(), d.clone()])
        .collect();
    let read = tokio::task::spawn_blocking({
        let (h, classes, bootstrap) = (h.clone(), classes.clone(), bootstrap.to_owned());
        move || java_read(&h, &classes, &bootstrap, &names)
    })
    .await
    .unwrap();
    for (src, dst, expected) in &topics {
        check_java(&read, cluster, src, expected);
        check_java(&read, cluster, dst, expected);
    }
    let _ = std::fs::remove_dir_all(&classes);
    eprintln!(
        "{cluster}: {} topics written, forwarded and read by Java in {:.1?}",
        topics.len() * 2,
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_consumer_reads_kwire_batches_kafka4() {
    let h = Harness::get();
    run("a", h.a()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_consumer_reads_kwire_batches_kafka39() {
    let h = Harness::get();
    run("legacy", h.legacy()).await;
}
