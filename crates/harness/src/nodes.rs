//! The 3-node clusters `a3` and `b3` (3 KRaft nodes, each broker+controller, replication
//! factor 3, `min.insync.replicas=2`) and the `scripts/harness` commands that disturb them:
//! stopping, killing, restarting, pausing and resuming one node, and moving partition leaders.

use std::process::Command;

use crate::{Harness, workspace_root};

/// What `scripts/harness broker CLUSTER NODE ACTION` does to one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeAction {
    /// SIGTERM (controlled shutdown), waits for the exit.
    Stop,
    /// SIGKILL, waits for the exit.
    Kill,
    /// Restarts a stopped or killed node on its data; waits until it serves again.
    Start,
    /// SIGSTOP: the node hangs, its sessions time out.
    Pause,
    /// SIGCONT.
    Resume,
}

impl NodeAction {
    fn as_str(self) -> &'static str {
        match self {
            NodeAction::Stop => "stop",
            NodeAction::Kill => "kill",
            NodeAction::Start => "start",
            NodeAction::Pause => "pause",
            NodeAction::Resume => "resume",
        }
    }
}

/// One partition as `TopicCommand --describe` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub partition: i32,
    /// The leader's node id, `None` when the partition has no leader.
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

fn cluster_key(cluster: &str) -> String {
    format!("STRAIT_KAFKA_{}", cluster.to_uppercase())
}

fn ids(list: &str) -> Vec<i32> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

impl Harness {
    /// Bootstrap list of cluster `a3` (3 nodes, Kafka 4.x, PLAINTEXT), comma-separated.
    pub fn a3(&self) -> &str {
        self.var("STRAIT_KAFKA_A3")
    }
    /// Bootstrap list of cluster `b3` (3 nodes, Kafka 4.x, PLAINTEXT), comma-separated.
    pub fn b3(&self) -> &str {
        self.var("STRAIT_KAFKA_B3")
    }
    /// The address of one node (1, 2 or 3) of a 3-node cluster; its broker id is `node`.
    pub fn node(&self, cluster: &str, node: u8) -> &str {
        self.var(&format!("{}_{node}", cluster_key(cluster)))
    }

    /// Runs `scripts/harness ARGS` against this harness (its state folder and port offset):
    /// standard output on success, an error naming the command with both streams otherwise.
    pub fn script(&self, args: &[&str]) -> Result<String, String> {
        let script = workspace_root().join("scripts/harness");
        let mut command = Command::new(&script);
        command
            .args(args)
            .env("STRAIT_HARNESS_DIR", self.dir())
            .env(
                "STRAIT_HARNESS_PORT_OFFSET",
                self.vars
                    .get("STRAIT_HARNESS_PORT_OFFSET")
                    .map_or("0", String::as_str),
            );
        let out = command
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "`scripts/harness {}` failed ({}):\n{stdout}{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// `scripts/harness broker CLUSTER NODE ACTION`.
    pub fn broker(&self, cluster: &str, node: u8, action: NodeAction) -> Result<(), String> {
        self.script(&["broker", cluster, &node.to_string(), action.as_str()])
            .map(drop)
    }

    fn broker_or_panic(&self, cluster: &str, node: u8, action: NodeAction) {
        if let Err(e) = self.broker(cluster, node, action) {
            panic!("{} of cluster {cluster} node {node}: {e}", action.as_str());
        }
    }

    /// Controlled shutdown of one node (SIGTERM), waiting for its exit. Panics on failure.
    pub fn stop_node(&self, cluster: &str, node: u8) {
        self.broker_or_panic(cluster, node, NodeAction::Stop);
    }
    /// SIGKILL of one node, waiting for its exit. Panics on failure.
    pub fn kill_node(&self, cluster: &str, node: u8) {
        self.broker_or_panic(cluster, node, NodeAction::Kill);
    }
    /// Restarts a stopped or killed node on its data, waiting until it serves. Panics on failure.
    pub fn start_node(&self, cluster: &str, node: u8) {
        self.broker_or_panic(cluster, node, NodeAction::Start);
    }
    /// SIGSTOP of one node. Panics on failure.
    pub fn pause_node(&self, cluster: &str, node: u8) {
        self.broker_or_panic(cluster, node, NodeAction::Pause);
    }
    /// SIGCONT of one node. Panics on failure.
    pub fn resume_node(&self, cluster: &str, node: u8) {
        self.broker_or_panic(cluster, node, NodeAction::Resume);
    }

    /// Preferred leader election over all partitions (`LeaderElectionCommand`). Fails when some
    /// partition's preferred leader cannot lead (for example while it is down).
    pub fn elect_leaders(&self, cluster: &str) -> Result<String, String> {
        self.script(&["elect", cluster])
    }

    /// Puts `node` last in every partition's replica list and elects the preferred leaders, so
    /// that leadership leaves `node` wherever another in-sync replica exists.
    pub fn drain_leaders(&self, cluster: &str, node: u8) -> Result<(), String> {
        self.script(&["drain", cluster, &node.to_string()])
            .map(drop)
    }

    /// Resumes paused nodes and restarts stopped ones. Panics on failure.
    pub fn heal(&self, cluster: &str) {
        if let Err(e) = self.script(&["heal", cluster]) {
            panic!("healing cluster {cluster}: {e}");
        }
    }

    /// A guard that heals `cluster` when dropped, also when the test panics, so that a failing
    /// test leaves no node down or paused for the next one.
    pub fn heal_on_drop(&self, cluster: &str) -> HealOnDrop {
        HealOnDrop {
            harness: self.clone(),
            cluster: cluster.to_owned(),
        }
    }

    /// The partitions of `topic` on the cluster at `bootstrap`, by `TopicCommand --describe`,
    /// in partition order. Panics when the tool fails.
    pub fn describe_topic(&self, bootstrap: &str, topic: &str) -> Vec<PartitionState> {
        self.try_describe_topic(bootstrap, topic)
            .unwrap_or_else(|e| panic!("describing {topic} at {bootstrap}: {e}"))
    }

    /// [`Harness::describe_topic`], with an error instead of a panic. Its admin client gives up
    /// on a request after 5 s and on the whole call after 10 s, so that a paused node (whose
    /// connections stay open and silent) costs seconds, not Kafka's default minute.
    pub fn try_describe_topic(
        &self,
        bootstrap: &str,
        topic: &str,
    ) -> Result<Vec<PartitionState>, String> {
        let config = self.client_properties(
            "describe-short-timeouts",
            &[
                "request.timeout.ms=5000".into(),
                "default.api.timeout.ms=10000".into(),
            ],
        );
        let out = self
            .tool("org.apache.kafka.tools.TopicCommand")
            .args([
                "--bootstrap-server",
                bootstrap,
                "--describe",
                "--topic",
                topic,
            ])
            .args(["--command-config".into(), config.display().to_string()])
            .run();
        if !out.success {
            return Err(format!("TopicCommand --describe failed:\n{}", out.all()));
        }
        let mut parts: Vec<PartitionState> = out
            .stdout
            .lines()
            .filter(|l| l.contains("Partition: "))
            .map(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                let after = |key: &str| {
                    words
                        .iter()
                        .position(|w| *w == key)
                        .and_then(|i| words.get(i + 1))
                        .copied()
                        .filter(|v| !v.ends_with(':'))
                        .unwrap_or("")
                };
                PartitionState {
                    partition: after("Partition:").parse().unwrap(),
                    leader: after("Leader:").parse().ok().filter(|l: &i32| *l >= 0),
                    replicas: ids(after("Replicas:")),
                    isr: ids(after("Isr:")),
                }
            })
            .collect();
        parts.sort_by_key(|p| p.partition);
        Ok(parts)
    }
}

/// Heals a 3-node cluster when dropped (see [`Harness::heal_on_drop`]).
#[derive(Debug)]
pub struct HealOnDrop {
    harness: Harness,
    cluster: String,
}

impl Drop for HealOnDrop {
    fn drop(&mut self) {
        if let Err(e) = self.harness.script(&["heal", &self.cluster]) {
            eprintln!("[harness] healing cluster {} failed: {e}", self.cluster);
        }
    }
}
