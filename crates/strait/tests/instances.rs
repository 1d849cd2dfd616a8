//! Several strait processes on one configuration (`strait run --instance I/N`, what a Strimzi
//! resource's `replicas` asks for): together they copy every partition exactly once, each
//! partition by one instance, and their positions live side by side in one offsets topic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use kwire::client::Client;
use strait_harness::{Harness, unique_topic};

const PARTITIONS: i32 = 6;
const INSTANCES: u32 = 2;

fn start_instance(config: &Path, dir: &Path, index: u32) -> Proc {
    let name = format!("instance-{index}");
    let mut command = Command::new(strait_bin());
    command
        .arg("run")
        .arg(config)
        .args(["--instance", &format!("{index}/{INSTANCES}")])
        .env("STRAIT_LOG", "info");
    Proc::spawn(&name, command, &dir.join(format!("{name}.log")))
}

/// The source partitions an instance's log says it replicates.
fn replicated_partitions(log: &str, topic: &str) -> BTreeSet<String> {
    log.lines()
        .filter(|l| l.contains("replicating partition"))
        .filter_map(|l| l.split("partition=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|tp| tp.starts_with(topic))
        .map(str::to_owned)
        .collect()
}

async fn wait_all_copied(target: &Client, remote: &str, want: &[i64], procs: &mut [Proc]) {
    let (timeout, every) = (Duration::from_secs(120), Duration::from_millis(300));
    poll_running(procs, timeout, every, 0, || async {
        let ends = end_offsets_if_exists(target, remote, PARTITIONS).await;
        if ends.as_deref() == Some(want) {
            return Ok(());
        }
        Err(format!("{remote} has {ends:?}, expected {want:?}"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_copy_every_partition_exactly_once() {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic("instances");
    let config = format!(
        "{base}\nA->B.enabled = true\nA->B.topics = {topics}\nB->A.enabled = false\n\
         emit.heartbeats.enabled = false\n",
        base = base_properties(&h),
        topics = exact_topics(&[&topic])
    );
    let config = write_file(dir.path(), "mm2.properties", &config);
    let source = connect(h.a(), "instances-source").await;
    let target = connect(h.b(), "instances-target").await;
    create_topic(&source, &topic, PARTITIONS).await;
    produce_tagged(&source, &topic, PARTITIONS, "v", 300, 50).await;
    let want = read_values(&source, &topic, PARTITIONS).await;
    let ends: Vec<i64> = want.iter().map(|p| p.len() as i64).collect();

    let mut procs: Vec<Proc> = (0..INSTANCES)
        .map(|i| start_instance(&config, dir.path(), i))
        .collect();
    let remote = format!("A.{topic}");
    wait_all_copied(&target, &remote, &ends, &mut procs).await;
    assert_eq!(read_values(&target, &remote, PARTITIONS).await, want);
    // Both stored their final positions, for their own partitions only.
    let logs: Vec<String> = procs.iter().map(Proc::log).collect();
    for p in procs {
        assert!(p.terminate(Duration::from_secs(60)).await.success());
    }
    let shares: Vec<BTreeSet<String>> = logs
        .iter()
        .map(|l| replicated_partitions(l, &topic))
        .collect();
    assert!(
        shares.iter().all(|s| !s.is_empty()),
        "an idle instance: {shares:?}"
    );
    assert!(shares[0].is_disjoint(&shares[1]), "{shares:?}");
    assert_eq!(shares[0].len() + shares[1].len(), PARTITIONS as usize);
    let positions = positions_of(&target, "A", &topic, PARTITIONS).await;
    let last: Vec<Option<i64>> = ends.iter().map(|e| Some(e - 1)).collect();
    assert_eq!(positions, last);
}
