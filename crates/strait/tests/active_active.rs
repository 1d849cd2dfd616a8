//! Acceptance: active/active with the default replication policy. One `strait run` drives
//! `A->B` and `B->A`; each cluster's topic appears on the other with the source prefix, and
//! nothing is sent back where it came from, even though both flows' topic patterns match the
//! remote topics too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use strait_harness::{Harness, unique_topic};

const PARTITIONS: i32 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_directions_replicate_without_cycles() {
    let h = Harness::get();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let base = unique_topic("aa");
    let (t, u) = (format!("{base}-t"), format!("{base}-u"));
    let a = connect(h.a(), "A").await;
    let b = connect(h.b(), "B").await;
    create_topic(&a, &t, PARTITIONS).await;
    create_topic(&b, &u, PARTITIONS).await;
    produce_tagged(&a, &t, PARTITIONS, "t", 120, 40).await;
    produce_tagged(&b, &u, PARTITIONS, "u", 80, 40).await;

    // Both patterns also match every remote name of these topics (A.t, B.u, B.A.t, ...):
    // only the replication policy's cycle detection keeps them from going round.
    let config = write_file(
        dir.path(),
        "mm2.properties",
        &format!(
            "{}\nA->B.enabled = true\nB->A.enabled = true\ntopics = .*{base}-[tu]\n\
             refresh.topics.interval.seconds = 1\n",
            base_properties(&h)
        ),
    );
    let mut strait = start_strait(&config, dir.path(), "strait");
    let (at, bu) = (format!("A.{t}"), format!("B.{u}"));
    let (timeout, every) = (Duration::from_secs(60), Duration::from_millis(300));
    strait
        .poll(timeout, every, || async {
            let on_b = end_offsets_if_exists(&b, &at, PARTITIONS).await;
            let on_a = end_offsets_if_exists(&a, &bu, PARTITIONS).await;
            if on_b == Some(vec![120; 2]) && on_a == Some(vec![80; 2]) {
                return Ok(());
            }
            Err(format!(
                "{at} on B: {on_b:?} (want 120 per partition), {bu} on A: {on_a:?} (want 80)"
            ))
        })
        .await;
    eprintln!(
        "[active-active] both remote topics complete after {:?}",
        started.elapsed()
    );

    // Several refresh intervals (1 s) later: still no cycle, counts unchanged.
    tokio::time::sleep(Duration::from_secs(6)).await;
    strait.assert_running();
    let names_a = topic_names(&a).await;
    let names_b = topic_names(&b).await;
    let ours = |names: &[String]| -> Vec<String> {
        let mut v: Vec<String> = names
            .iter()
            .filter(|n| n.contains(&base))
            .cloned()
            .collect();
        v.sort();
        v
    };
    assert_eq!(ours(&names_a), vec![bu.clone(), t.clone()], "topics on A");
    assert_eq!(ours(&names_b), vec![at.clone(), u.clone()], "topics on B");
    assert_eq!(end_offsets(&b, &at, PARTITIONS).await, vec![120; 2]);
    assert_eq!(end_offsets(&a, &bu, PARTITIONS).await, vec![80; 2]);
    // The sources were not written to.
    assert_eq!(end_offsets(&a, &t, PARTITIONS).await, vec![120; 2]);
    assert_eq!(end_offsets(&b, &u, PARTITIONS).await, vec![80; 2]);
    assert!(read_values(&a, &t, PARTITIONS).await == read_values(&b, &at, PARTITIONS).await);
    assert!(read_values(&b, &u, PARTITIONS).await == read_values(&a, &bu, PARTITIONS).await);

    let status = strait.terminate(Duration::from_secs(30)).await;
    assert!(status.success(), "strait exited with {status}");
    let log = std::fs::read_to_string(dir.path().join("strait.log")).unwrap();
    assert!(log.contains("A->B") && log.contains("B->A"), "{log}");
    eprintln!("[active-active] done in {:?}", started.elapsed());
}
