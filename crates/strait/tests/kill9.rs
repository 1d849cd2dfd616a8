//! Acceptance: `strait run` killed with SIGKILL in the middle of a stream and restarted loses
//! nothing. Every source record arrives in the same partition and in source order; records
//! copied after the last stored position may arrive twice (at-least-once), and are counted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use kwire::batch::Compression;
use kwire::client::{Client, IdempotentProducer, ProducerConfig, TopicPartition};

const PARTITIONS: i32 = 8;
const TOTAL: u64 = 200_000;
const PER_BATCH: u64 = 100;
/// How long the producer takes for all records: strait is killed while it streams.
const PRODUCE_FOR: Duration = Duration::from_secs(10);

/// A unique value of 100–200 bytes: `seq=<9 digits> p=<partition> |` and filler.
fn value(seq: u64, partition: i32) -> Bytes {
    let mut s = format!("seq={seq:09} p={partition} |");
    let len = 100 + (seq % 101) as usize;
    let filler = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut i = (seq % 36) as usize;
    while s.len() < len {
        s.push(filler[i % filler.len()] as char);
        i += 7;
    }
    Bytes::from(s)
}

fn seq_of(value: &[u8]) -> u64 {
    std::str::from_utf8(&value[4..13])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("foreign record {:?}", String::from_utf8_lossy(value)))
}

/// Streams TOTAL records (lz4 batches of PER_BATCH, partitions round-robin) over PRODUCE_FOR.
async fn stream(source: Client, topic: String) -> Duration {
    let started = Instant::now();
    let producer = IdempotentProducer::new(source, ProducerConfig::default())
        .await
        .unwrap();
    let batches = TOTAL / PER_BATCH;
    let pace = PRODUCE_FOR / batches as u32;
    let mut acks = Vec::with_capacity(batches as usize);
    for b in 0..batches {
        let partition = (b % PARTITIONS as u64) as i32;
        let values: Vec<Bytes> = (b * PER_BATCH..(b + 1) * PER_BATCH)
            .map(|seq| value(seq, partition))
            .collect();
        let tp = TopicPartition::new(topic.clone(), partition);
        acks.push(
            producer
                .send(tp, batch(Compression::Lz4, &values))
                .await
                .unwrap(),
        );
        tokio::time::sleep_until((started + pace * (b as u32 + 1)).into()).await;
    }
    for ack in acks {
        ack.await.unwrap();
    }
    producer.close().await;
    started.elapsed()
}

/// The last record value of a partition (None when empty).
async fn last_value(client: &Client, topic: &str, partition: i32, end: i64) -> Option<Bytes> {
    if end <= 0 {
        return None;
    }
    read_partition_from(client, topic, partition, end - 1)
        .await
        .into_iter()
        .last()
        .map(|(_, v)| v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_then_restart_loses_nothing() {
    let test_started = Instant::now();
    let (h, dir, topic, remote, source, target) = setup("kill9", PARTITIONS).await;

    let config = write_file(
        dir.path(),
        "mm2.properties",
        &format!(
            "{}\nA->B.enabled = true\nA->B.topics = {topic}\nB->A.enabled = false\n\
             B->A.emit.heartbeats.enabled = false\n",
            base_properties(&h)
        ),
    );
    let first = start_strait(&config, dir.path(), "strait-1");
    let producer = tokio::spawn(stream(source.clone(), topic.clone()));

    // Kill strait while it copies: once a good share of the stream has arrived on B (or after
    // 5 s on a slow machine, as long as something arrived).
    let copied_before_kill = wait_for(Duration::from_secs(60), "strait copying", || async {
        let ends = end_offsets_if_exists(&target, &remote, PARTITIONS).await?;
        let copied: i64 = ends.iter().map(|e| e.max(&0)).sum();
        let enough = copied >= (TOTAL / 4) as i64
            || (copied > 0 && test_started.elapsed() > Duration::from_secs(5));
        enough.then_some(copied)
    })
    .await;
    let mut first = first;
    first.assert_running();
    first.kill9();
    assert!(
        !producer.is_finished(),
        "the producer finished before the kill: the test did not kill strait mid-stream"
    );
    let positions_at_kill: i64 = positions_of(&target, "A", &topic, PARTITIONS)
        .await
        .iter()
        .map(|p| p.map_or(0, |o| o + 1))
        .sum();
    eprintln!(
        "[kill9] SIGKILL after {:?}: {copied_before_kill} records on the target, \
         positions stored for {positions_at_kill}",
        test_started.elapsed()
    );

    let mut second = start_strait(&config, dir.path(), "strait-2");
    let produced_in = producer.await.unwrap();
    eprintln!("[kill9] producer wrote {TOTAL} records in {produced_in:?}");

    // Caught up: every partition's target ends with the source's last record.
    let source_ends = end_offsets(&source, &topic, PARTITIONS).await;
    assert_eq!(source_ends.iter().sum::<i64>(), TOTAL as i64);
    let mut last_source = Vec::new();
    for (p, end) in source_ends.iter().enumerate() {
        last_source.push(last_value(&source, &topic, p as i32, *end).await);
    }
    let (timeout, every) = (Duration::from_secs(120), Duration::from_millis(500));
    second
        .poll(timeout, every, || async {
            let not_yet = || Err("the target did not catch up".to_owned());
            let Some(ends) = end_offsets_if_exists(&target, &remote, PARTITIONS).await else {
                return not_yet();
            };
            for p in 0..PARTITIONS as usize {
                if ends[p] < source_ends[p]
                    || last_value(&target, &remote, p as i32, ends[p]).await != last_source[p]
                {
                    return not_yet();
                }
            }
            Ok(())
        })
        .await;
    eprintln!("[kill9] caught up after {:?}", test_started.elapsed());
    let status = second.terminate(Duration::from_secs(30)).await;
    assert!(
        status.success(),
        "strait exited with {status} after SIGTERM"
    );

    // Every source record, in the same partition and order; duplicates counted.
    let want = read_values(&source, &topic, PARTITIONS).await;
    let got = read_values(&target, &remote, PARTITIONS).await;
    let mut total_duplicates = 0;
    let mut problems = Vec::new();
    for p in 0..PARTITIONS as usize {
        let want: Vec<u64> = want[p].iter().map(|v| seq_of(v)).collect();
        let got: Vec<u64> = got[p].iter().map(|v| seq_of(v)).collect();
        let index: HashMap<u64, usize> = want.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        assert_eq!(index.len(), want.len(), "source values are unique");
        let mut next = 0;
        let mut duplicates = 0;
        let mut rewinds = Vec::new();
        let mut replaying = false;
        for (offset, seq) in got.iter().enumerate() {
            match index.get(seq) {
                None => problems.push(format!(
                    "partition {p}: target offset {offset} holds seq {seq}, not in this source partition"
                )),
                Some(&i) if i == next => {
                    next += 1;
                    replaying = false;
                }
                Some(&i) if i < next => {
                    if !replaying {
                        rewinds.push(format!("at target offset {offset}: {} back", next - i));
                    }
                    replaying = true;
                    duplicates += 1;
                }
                Some(&i) => {
                    problems.push(format!(
                        "partition {p}: target offset {offset} holds source #{i} but source #{next} \
                         (seq {}) never arrived before it: lost or out of order",
                        want[next]
                    ));
                    break;
                }
            }
        }
        if next < want.len() {
            problems.push(format!(
                "partition {p}: {} source records missing from #{next} (seq {})",
                want.len() - next,
                want[next]
            ));
        }
        eprintln!(
            "[kill9] partition {p}: {} source records, {} on the target, {duplicates} duplicates {rewinds:?}",
            want.len(),
            got.len()
        );
        total_duplicates += duplicates;
    }
    eprintln!(
        "[kill9] {TOTAL} records, {total_duplicates} duplicates ({:.2}%), test took {:?}",
        total_duplicates as f64 * 100.0 / TOTAL as f64,
        test_started.elapsed()
    );
    assert!(
        problems.is_empty(),
        "data lost or reordered after kill -9:\n{}",
        problems.join("\n")
    );
}
