//! Acceptance on 3-node clusters: `strait run` mirrors a replication-factor-3 topic from `a3` to
//! `b3` while records stream in and the test kills and restarts a broker of the source, moves the
//! target's leaders (reordered replicas and elections), then kills and restarts a broker of the
//! target. Every source record must arrive exactly once, in the same partition and in
//! source order, and the remote topic must have replication factor 3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use kwire::batch::Compression;
use kwire::client::{Client, IdempotentProducer, NewTopic, ProducerConfig, TopicPartition};
use kwire::connection::ClientConfig;
use strait_harness::{Harness, unique_topic};

const PARTITIONS: i32 = 6;
const TOTAL: u64 = 30_000;
const PER_BATCH: u64 = 50;
/// The producer paces its batches over this long, so that the disturbances hit a live stream.
const PRODUCE_FOR: Duration = Duration::from_secs(50);

fn value(seq: u64, partition: i32) -> Bytes {
    Bytes::from(format!("seq={seq:09} p={partition} {}", "x".repeat(60)))
}

fn seq_of(value: &[u8]) -> u64 {
    std::str::from_utf8(&value[4..13])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("foreign record {:?}", String::from_utf8_lossy(value)))
}

async fn connect_all(bootstrap: &str, name: &str) -> Client {
    let servers = bootstrap.split(',').map(str::to_owned).collect();
    Client::connect(ClientConfig::new(servers, name))
        .await
        .unwrap_or_else(|e| panic!("connecting to {name} at {bootstrap}: {e}"))
}

/// Streams TOTAL records (lz4 batches of PER_BATCH, partitions round-robin) over PRODUCE_FOR
/// with kwire's idempotent producer (acks=all).
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

/// Runs a blocking harness command (a `scripts/harness` process) off the async workers.
async fn harness<T: Send + 'static>(
    h: &Harness,
    f: impl FnOnce(&Harness) -> T + Send + 'static,
) -> T {
    let h = h.clone();
    tokio::task::spawn_blocking(move || f(&h)).await.unwrap()
}

/// Waits until every replica of `topic` is in sync again, then elects the preferred leaders
/// (retried: an internal topic's restarted replica may still be catching up).
async fn rejoin_and_elect(h: &Harness, cluster: &'static str, bootstrap: String, topic: String) {
    let started = Instant::now();
    wait_for(Duration::from_secs(60), "ISR 3 after the restart", || {
        let (bootstrap, topic) = (bootstrap.clone(), topic.clone());
        harness(h, move |h| {
            let parts = h.try_describe_topic(&bootstrap, &topic).ok()?;
            (!parts.is_empty() && parts.iter().all(|p| p.isr.len() == 3)).then_some(())
        })
    })
    .await;
    wait_for(Duration::from_secs(30), "preferred leader election", || {
        harness(h, move |h| match h.elect_leaders(cluster) {
            Ok(_) => Some(()),
            Err(e) => {
                eprintln!("[topology] election on {cluster} not yet possible: {e}");
                None
            }
        })
    })
    .await;
    eprintln!(
        "[topology] {cluster}: {topic} back in sync, preferred leaders elected in {:?}",
        started.elapsed()
    );
}

/// Kills one node with SIGKILL, lets the cluster run without it for a few seconds, restarts it
/// on its data and waits until it serves again.
async fn kill_restart(h: &Harness, cluster: &'static str, node: u8) {
    harness(h, move |h| h.kill_node(cluster, node)).await;
    eprintln!("[topology] {cluster} node {node} killed (SIGKILL)");
    tokio::time::sleep(Duration::from_secs(4)).await;
    harness(h, move |h| h.start_node(cluster, node)).await;
    eprintln!("[topology] {cluster} node {node} restarted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rf3_mirror_survives_leader_elections_and_broker_kills_on_both_sides() {
    let test_started = Instant::now();
    let h = Harness::get();
    let (a3, b3) = (h.a3().to_owned(), h.b3().to_owned());
    harness(&h, |h| {
        h.heal("a3");
        h.heal("b3");
    })
    .await;
    let _heal_a3 = h.heal_on_drop("a3");
    let _heal_b3 = h.heal_on_drop("b3");

    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic("topology");
    let remote = format!("A.{topic}");
    let source = connect_all(&a3, "A3").await;
    let target = connect_all(&b3, "B3").await;
    for (name, result) in source
        .create_topics(vec![NewTopic::new(&topic, PARTITIONS, 3)], false)
        .await
        .unwrap()
    {
        result.unwrap_or_else(|e| panic!("creating {name}: {e}"));
    }

    let config = write_file(
        dir.path(),
        "mm2.properties",
        &format!(
            "\
clusters = A, B
A.bootstrap.servers = {a3}
B.bootstrap.servers = {b3}
A->B.enabled = true
A->B.topics = {topic}
B->A.enabled = false
B->A.emit.heartbeats.enabled = false

replication.factor = 3
checkpoints.topic.replication.factor = 3
heartbeats.topic.replication.factor = 3
offset-syncs.topic.replication.factor = 3
offset.storage.replication.factor = 3
status.storage.replication.factor = 3
config.storage.replication.factor = 3
tasks.max = 2

refresh.topics.interval.seconds = 2
emit.checkpoints.enabled = false
sync.group.offsets.enabled = false
sync.topic.acls.enabled = false
"
        ),
    );
    let mut strait = start_strait(&config, dir.path(), "strait-topology");
    let producer = tokio::spawn(stream(source.clone(), topic.clone()));

    // Disturb once records flow.
    strait
        .poll(
            Duration::from_secs(60),
            Duration::from_millis(250),
            || async {
                let ends = end_offsets_if_exists(&target, &remote, PARTITIONS).await;
                match ends {
                    Some(ends) if ends.iter().any(|e| *e > 0) => Ok(()),
                    _ => Err("strait copies nothing".to_owned()),
                }
            },
        )
        .await;
    eprintln!("[topology] records flow after {:?}", test_started.elapsed());

    // Each kill must hit a live stream, or it proves nothing.
    let still_producing = |what: &str| {
        assert!(
            !producer.is_finished(),
            "the producer finished before {what} ({:?} into the test): the machine is too slow \
             for PRODUCE_FOR",
            test_started.elapsed()
        );
    };
    // The source: a3 node 3 killed and restarted (it leads a third of the partitions).
    still_producing("the source broker kill");
    eprintln!(
        "[topology] {:?}: disturbing the source",
        test_started.elapsed()
    );
    kill_restart(&h, "a3", 3).await;
    strait.assert_running();

    // The target: leaders moved off node 2 (replicas reordered, preferred leaders elected), then
    // node 1 killed and restarted, while the source's restarted node catches up.
    eprintln!(
        "[topology] {:?}: disturbing the target",
        test_started.elapsed()
    );
    harness(&h, |h| h.drain_leaders("b3", 2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("[topology] b3: leaders moved off node 2");
    strait.assert_running();
    still_producing("the target broker kill");
    kill_restart(&h, "b3", 1).await;
    strait.assert_running();
    rejoin_and_elect(&h, "a3", a3.clone(), topic.clone()).await;
    rejoin_and_elect(&h, "b3", b3.clone(), remote.clone()).await;
    strait.assert_running();
    let disturbed_until = test_started.elapsed();
    let produced_in = producer.await.unwrap();
    eprintln!(
        "[topology] disturbances done after {disturbed_until:?}; producer wrote {TOTAL} in {produced_in:?}"
    );

    // Caught up: every partition of the target as long as the source (or longer: duplicates).
    let source_ends = end_offsets(&source, &topic, PARTITIONS).await;
    assert_eq!(source_ends.iter().sum::<i64>(), TOTAL as i64);
    strait
        .poll(
            Duration::from_secs(90),
            Duration::from_millis(500),
            || async {
                let Some(ends) = end_offsets_if_exists(&target, &remote, PARTITIONS).await else {
                    return Err("no remote topic".to_owned());
                };
                if (0..PARTITIONS as usize).all(|p| ends[p] >= source_ends[p]) {
                    Ok(())
                } else {
                    Err(format!("target {ends:?} behind source {source_ends:?}"))
                }
            },
        )
        .await;
    // Whatever is still in flight lands before the check.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = strait.terminate(Duration::from_secs(30)).await;
    assert!(
        status.success(),
        "strait exited with {status} after SIGTERM"
    );

    // Remote topic with replication factor 3.
    let parts = harness(&h, {
        let (b3, remote) = (b3.clone(), remote.clone());
        move |h| h.describe_topic(&b3, &remote)
    })
    .await;
    assert_eq!(parts.len(), PARTITIONS as usize, "{remote}: {parts:?}");
    for p in &parts {
        assert_eq!(p.replicas.len(), 3, "{remote}: {p:?}");
    }

    // Every source record exactly once, same partition, source order.
    let want = read_values(&source, &topic, PARTITIONS).await;
    let got = read_values(&target, &remote, PARTITIONS).await;
    let mut lost_or_reordered = Vec::new();
    let mut duplicates = Vec::new();
    for p in 0..PARTITIONS as usize {
        let want: Vec<u64> = want[p].iter().map(|v| seq_of(v)).collect();
        let got: Vec<u64> = got[p].iter().map(|v| seq_of(v)).collect();
        let index: HashMap<u64, usize> = want.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        assert_eq!(index.len(), want.len(), "source values are unique");
        let mut next = 0;
        let mut dups = 0;
        for (offset, seq) in got.iter().enumerate() {
            match index.get(seq) {
                Some(&i) if i == next => next += 1,
                Some(&i) if i < next => dups += 1,
                Some(&i) => {
                    lost_or_reordered.push(format!(
                        "partition {p}: target offset {offset} holds source #{i} but source #{next} \
                         (seq {}) never arrived before it",
                        want[next]
                    ));
                    break;
                }
                None => lost_or_reordered.push(format!(
                    "partition {p}: target offset {offset} holds seq {seq}, not of this partition"
                )),
            }
        }
        if next < want.len() && lost_or_reordered.is_empty() {
            lost_or_reordered.push(format!(
                "partition {p}: {} source records missing from #{next}",
                want.len() - next
            ));
        }
        eprintln!(
            "[topology] partition {p}: {} source records, {} on the target, {dups} duplicates",
            want.len(),
            got.len()
        );
        if dups > 0 {
            duplicates.push(format!("partition {p}: {dups}"));
        }
    }
    eprintln!("[topology] test took {:?}", test_started.elapsed());
    assert!(
        lost_or_reordered.is_empty(),
        "records lost or reordered:\n{}",
        lost_or_reordered.join("\n")
    );
    assert!(
        duplicates.is_empty(),
        "duplicates on the target (strait's idempotent producer promises none): {duplicates:?}"
    );
}
