//! Acceptance: strait and Java MirrorMaker 2 (Kafka 4.3.1, dedicated mode) take over from each
//! other on the same mm2.properties without copying anything twice: both keep source positions
//! in Connect's offsets topic `mm2-offsets.A.internal` on B, in the same format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use kwire::client::{Client, IdempotentProducer, ProducerConfig, TopicPartition};
use strait_harness::{Harness, unique_topic};

const PARTITIONS: i32 = 3;
/// Records per partition before the handover, and after it.
const N: i64 = 300;
const M: i64 = 200;

/// One mm2.properties for both implementations. The Connect worker settings only matter to
/// Java MM2: its own group and config/status topics per test (so that concurrent tests and
/// earlier runs never share a Connect cluster), a fast position flush, and no classpath scan.
fn config(h: &Harness, dir: &Path, topic: &str) -> PathBuf {
    let worker = unique_topic("e2e-mm2");
    write_file(
        dir,
        "mm2.properties",
        &format!(
            "{base}
A->B.enabled = true
A->B.topics = {topic}
A->B.emit.heartbeats.enabled = false
B->A.enabled = false
B->A.emit.heartbeats.enabled = false

B.group.id = {worker}
config.storage.topic = {worker}-configs.internal
status.storage.topic = {worker}-status.internal
B.offset.flush.interval.ms = 1000
plugin.discovery = service_load
B.plugin.discovery = service_load
",
            base = base_properties(h)
        ),
    )
}

/// Waits until `remote` holds exactly `want` records per partition and the stored positions
/// say that the last of them was replicated.
async fn wait_replicated(target: &Client, topic: &str, remote: &str, want: i64, who: &mut Proc) {
    let full = Some(vec![want; PARTITIONS as usize]);
    let last = vec![Some(want - 1); PARTITIONS as usize];
    let (timeout, every) = (Duration::from_secs(120), Duration::from_millis(500));
    who.poll(timeout, every, || async {
        let ends = end_offsets_if_exists(target, remote, PARTITIONS).await;
        let positions = positions_of(target, "A", topic, PARTITIONS).await;
        if let Some(ends) = &ends {
            assert!(
                ends.iter().all(|e| *e <= want),
                "{remote} has more than {want} records per partition: {ends:?} (copied twice)"
            );
        }
        if ends == full && positions == last {
            return Ok(());
        }
        Err(format!(
            "{remote}: end offsets {ends:?}, positions {positions:?}; want {want} records and \
             positions {} per partition",
            want - 1
        ))
    })
    .await;
}

/// A few refresh intervals later the count is unchanged, and the target is an exact copy.
async fn assert_exact_copy(source: &Client, target: &Client, topic: &str, remote: &str) {
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        end_offsets(target, remote, PARTITIONS).await,
        vec![N + M; PARTITIONS as usize],
        "{remote} changed after catching up"
    );
    let want = read_values(source, topic, PARTITIONS).await;
    let got = read_values(target, remote, PARTITIONS).await;
    for p in 0..PARTITIONS as usize {
        assert!(want[p] == got[p], "partition {p} of {remote} differs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_mm2_continues_where_strait_stopped() {
    let started = Instant::now();
    let (h, dir, topic, remote, source, target) = setup("to-java", PARTITIONS).await;
    let config = config(&h, dir.path(), &topic);
    produce_tagged(&source, &topic, PARTITIONS, "n", N as usize, 50).await;

    let mut strait = start_strait(&config, dir.path(), "strait");
    wait_replicated(&target, &topic, &remote, N, &mut strait).await;
    let status = strait.terminate(Duration::from_secs(30)).await;
    assert!(status.success(), "strait exited with {status}");
    eprintln!(
        "[handover] strait copied {N}/partition, {:?}",
        started.elapsed()
    );

    produce_tagged(&source, &topic, PARTITIONS, "m", M as usize, 50).await;
    let mut mm2 = start_java_mm2(&h, &config, dir.path(), "B", "java-mm2");
    wait_replicated(&target, &topic, &remote, N + M, &mut mm2).await;
    eprintln!(
        "[handover] Java MM2 copied the rest, {:?}",
        started.elapsed()
    );
    assert_exact_copy(&source, &target, &topic, &remote).await;
    mm2.assert_running();
    let status = mm2.terminate(Duration::from_secs(60)).await;
    eprintln!(
        "[handover] Java MM2 stopped ({status}), {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strait_continues_where_java_mm2_stopped() {
    let started = Instant::now();
    let (h, dir, topic, remote, source, target) = setup("from-java", PARTITIONS).await;
    let config = config(&h, dir.path(), &topic);
    produce_tagged(&source, &topic, PARTITIONS, "n", N as usize, 50).await;

    let mut mm2 = start_java_mm2(&h, &config, dir.path(), "B", "java-mm2");
    // Copied, and the positions flushed to the offsets topic.
    wait_replicated(&target, &topic, &remote, N, &mut mm2).await;
    eprintln!(
        "[handover] Java MM2 copied {N}/partition, {:?}",
        started.elapsed()
    );
    let status = mm2.terminate(Duration::from_secs(60)).await;
    eprintln!(
        "[handover] Java MM2 stopped ({status}), {:?}",
        started.elapsed()
    );
    assert_eq!(
        positions_of(&target, "A", &topic, PARTITIONS).await,
        vec![Some(N - 1); PARTITIONS as usize]
    );

    produce_tagged(&source, &topic, PARTITIONS, "m", M as usize, 50).await;
    let mut strait = start_strait(&config, dir.path(), "strait");
    wait_replicated(&target, &topic, &remote, N + M, &mut strait).await;
    assert_exact_copy(&source, &target, &topic, &remote).await;
    let status = strait.terminate(Duration::from_secs(30)).await;
    assert!(status.success(), "strait exited with {status}");
    eprintln!("[handover] strait copied the rest, {:?}", started.elapsed());
}

/// Java MM2 stores the last offset of each record it copied, so a position may point into the
/// middle of a source batch: strait resumes at the very next record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strait_resumes_inside_a_batch_from_a_per_record_position() {
    let (h, dir, topic, remote, source, target) = setup("mid-batch", PARTITIONS).await;
    // Two lz4 batches of 50 per partition; positions: inside the first batch, at its last
    // record, inside the second.
    produce_tagged(&source, &topic, PARTITIONS, "r", 100, 50).await;
    let positions = [36, 49, 77];
    let store = position_store(&target, "A").await;
    let producer = IdempotentProducer::new(target.clone(), ProducerConfig::default())
        .await
        .unwrap();
    let stored: Vec<(TopicPartition, i64)> = positions
        .iter()
        .enumerate()
        .map(|(p, o)| (TopicPartition::new(topic.clone(), p as i32), *o))
        .collect();
    store.store(&producer, &stored).await.unwrap();
    producer.close().await;

    let config = config(&h, dir.path(), &topic);
    let mut strait = start_strait(&config, dir.path(), "strait");
    let want: Vec<i64> = positions.iter().map(|o| 99 - o).collect();
    let (timeout, every) = (Duration::from_secs(60), Duration::from_millis(300));
    strait
        .poll(timeout, every, || async {
            let ends = end_offsets_if_exists(&target, &remote, PARTITIONS).await;
            if ends.as_ref() == Some(&want)
                && positions_of(&target, "A", &topic, PARTITIONS).await == vec![Some(99); 3]
            {
                return Ok(());
            }
            Err(format!("{remote}: {ends:?}, want {want:?}"))
        })
        .await;
    let status = strait.terminate(Duration::from_secs(30)).await;
    assert!(status.success(), "strait exited with {status}");
    let all = read_values(&source, &topic, PARTITIONS).await;
    let got = read_values(&target, &remote, PARTITIONS).await;
    for (p, position) in positions.iter().enumerate() {
        let expected = &all[p][*position as usize + 1..];
        assert!(
            got[p] == expected,
            "partition {p}: resumed wrongly after position {position}: first {:?}",
            got[p].first()
        );
    }
}
