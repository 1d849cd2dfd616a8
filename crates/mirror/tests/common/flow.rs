//! strait's flow `A->B` (and its checkpoint task) running inside the test process against the
//! harness clusters, its stored positions, and waits for the target to catch up.

use std::sync::Arc;
use std::time::Duration;

use kwire::client::{Client, IsolationLevel, OffsetSpec, TopicPartition};
use mirror::checkpoint::{CheckpointSettings, run_checkpoints};
use mirror::error::ReplicateError;
use mirror::replicate::positions::ConnectOffsets;
use mirror::replicate::{FlowMetrics, MetricsSnapshot, run_flow};
use mirror::settings::FlowSettings;
use strait_harness::Harness;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::kafka::{connect, end_offsets, eventually, list_offsets};

/// Flow `A->B` of the topics starting with `prefix`, on the single-broker harness clusters.
pub fn base_settings(prefix: &str) -> FlowSettings {
    let prefix = prefix.to_owned();
    let mut s = FlowSettings::new("A", "B");
    s.select_topic = Arc::new(move |t| t.starts_with(&prefix));
    s.replication_factor = 1;
    s.offsets_topic_replication_factor = 1;
    s
}

/// [`base_settings`] that find new topics and store positions quickly enough for a test.
pub fn settings(prefix: &str) -> FlowSettings {
    let mut s = base_settings(prefix);
    s.refresh_topics_interval = Duration::from_secs(1);
    s.position_flush_interval = Duration::from_millis(200);
    s
}

/// A running flow, and checkpoint task if started with one.
pub struct Running {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<Result<(), ReplicateError>>)>,
    pub metrics: Arc<FlowMetrics>,
}

impl Running {
    pub async fn start(h: &Harness, settings: FlowSettings) -> Running {
        let (stop, stopped) = watch::channel(false);
        let metrics = Arc::new(FlowMetrics::default());
        let (source, target) = (connect(h.a(), "A").await, connect(h.b(), "B").await);
        let task = tokio::spawn(run_flow(source, target, settings, metrics.clone(), stopped));
        Running {
            stop,
            tasks: vec![("flow", task)],
            metrics,
        }
    }

    /// The flow and the checkpoint task, sharing their clients as strait's process does.
    pub async fn with_checkpoints(
        h: &Harness,
        flow: FlowSettings,
        checkpoints: CheckpointSettings,
    ) -> Running {
        let (stop, stopped) = watch::channel(false);
        let metrics = Arc::new(FlowMetrics::default());
        let (source, target) = (connect(h.a(), "A").await, connect(h.b(), "B").await);
        let flow = run_flow(
            source.clone(),
            target.clone(),
            flow,
            metrics.clone(),
            stopped.clone(),
        );
        let checkpoints = run_checkpoints(source, target, checkpoints, stopped);
        Running {
            stop,
            tasks: vec![
                ("flow", tokio::spawn(flow)),
                ("checkpoint task", tokio::spawn(checkpoints)),
            ],
            metrics,
        }
    }

    /// Stops every task, failing unless each ends cleanly within 30 s.
    pub async fn stop(self) -> MetricsSnapshot {
        self.stop.send(true).unwrap();
        for (name, task) in self.tasks {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .unwrap_or_else(|_| panic!("{name} did not stop in 30 s"))
                .unwrap()
                .unwrap_or_else(|e| panic!("{name} failed: {e:?}"));
        }
        self.metrics.snapshot()
    }
}

/// The positions the flow stores on B for `connector` (MM2's offsets topic of source `A`).
pub async fn position_store(target: &Client, connector: &str) -> ConnectOffsets {
    ConnectOffsets::open(
        target.clone(),
        "mm2-offsets.A.internal",
        25,
        1,
        connector,
        "A",
    )
    .await
    .unwrap()
}

/// Waits until the stored positions of `topic`'s partitions are `want` (`None`: nothing stored).
pub async fn wait_positions(store: &ConnectOffsets, topic: &str, want: &[Option<i64>]) {
    eventually(
        &format!("{topic} stored positions {want:?}"),
        60,
        || async move {
            let stored = store.load().await.unwrap();
            let got: Vec<Option<i64>> = (0..want.len() as i32)
                .map(|p| stored.get(&TopicPartition::new(topic, p)).copied())
                .collect();
            if got == want {
                Ok(())
            } else {
                Err(format!("{got:?}"))
            }
        },
    )
    .await;
}

/// How many partitions `topic` has (0 while it does not exist).
async fn partition_count(client: &Client, topic: &str) -> usize {
    let md = client.metadata(Some(&[topic.to_owned()])).await.unwrap();
    md.topic(topic)
        .filter(|t| t.error.is_none())
        .map_or(0, |t| t.partitions.len())
}

/// Waits until the remote topic holds exactly `want[p]` records in partition `p`, failing at
/// once when it holds more (targets only grow).
pub async fn wait_target_ends(target: &Client, remote: &str, want: &[i64]) {
    let partitions = want.len() as i32;
    eventually(
        &format!("{remote} end offsets {want:?}"),
        90,
        || async move {
            let n = partition_count(target, remote).await;
            if n < want.len() {
                return Err(format!("{n} partitions"));
            }
            let ends = end_offsets(target, remote, partitions).await;
            assert!(
                ends.iter().zip(want).all(|(e, w)| e <= w),
                "{remote} holds more records than expected: {ends:?}, want {want:?}"
            );
            if ends == want {
                Ok(())
            } else {
                Err(format!("{ends:?}"))
            }
        },
    )
    .await;
}

/// End offsets with -1 for a partition the broker has no answer for yet (a remote topic the
/// flow has not created).
async fn end_offsets_or_missing(client: &Client, topic: &str, partitions: i32) -> Vec<i64> {
    let isolation = IsolationLevel::ReadUncommitted;
    let answers = list_offsets(client, topic, 0..partitions, isolation, OffsetSpec::Latest).await;
    answers.into_iter().map(|r| r.unwrap_or(-1)).collect()
}

/// Waits until every `(topic, remote)` pair's remote topic on the target has the end offsets
/// its topic has on the source now; `secs` bounds the wait for all pairs together.
pub async fn wait_caught_up(
    source: &Client,
    target: &Client,
    pairs: &[(String, String)],
    partitions: i32,
    secs: u64,
) {
    let mut want = Vec::new();
    for (topic, _) in pairs {
        want.push(end_offsets_or_missing(source, topic, partitions).await);
    }
    let (pairs, want) = (&pairs, &want);
    eventually("remote topics caught up", secs, || async move {
        for ((topic, remote), want) in pairs.iter().zip(want) {
            let exists = partition_count(target, remote).await > 0;
            let got = end_offsets_or_missing(target, remote, partitions).await;
            if !exists || got != *want {
                return Err(format!(
                    "{remote} did not catch up with {topic} ({want:?}): {got:?}"
                ));
            }
        }
        Ok(())
    })
    .await;
}
