//! Shared support of the end-to-end tests: the `strait` binary and Java MirrorMaker 2 as child
//! processes (killed when dropped), mm2.properties files for the harness clusters, and kwire
//! helpers to produce, count and read records.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kwire::batch::{Batch, BatchBuilder, BatchView, Compression, Record, split};
use kwire::client::{
    Client, FetchOptions, FetchPartition, IdempotentProducer, IsolationLevel, NewTopic, OffsetSpec,
    ProducerConfig, TopicPartition,
};
use kwire::connection::ClientConfig;
use mirror::replicate::positions::ConnectOffsets;
use strait_harness::{Harness, unique_topic};
use tempfile::TempDir;

/// The `strait` binary cargo built for these tests.
pub fn strait_bin() -> &'static str {
    env!("CARGO_BIN_EXE_strait")
}

/// A child process that is killed (SIGKILL) and reaped when dropped, so that no strait or JVM
/// outlives a failing test. Its output goes to a log file, whose tail is printed on panic.
pub struct Proc {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Proc {
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Proc {
        let out = File::create(log).unwrap();
        let err = out.try_clone().unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        eprintln!("[e2e] started {name} (pid {})", child.id());
        Proc {
            name: name.to_owned(),
            child: Some(child),
            log: log.to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last `n` lines of the output.
    pub fn log_tail(&self, n: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Panics (with the log) when the process has already exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
            panic!(
                "{} exited early with {status}:\n{}",
                self.name,
                self.log_tail(60)
            );
        }
    }

    /// [`poll_running`] of this process alone.
    pub async fn poll<T, F, Fut>(&mut self, timeout: Duration, every: Duration, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        poll_running(std::slice::from_mut(self), timeout, every, 0, check).await
    }

    /// With `STRAIT_E2E_LOGS` set, prints the whole output (for `--nocapture` runs).
    fn show_log(&self) {
        if std::env::var_os("STRAIT_E2E_LOGS").is_some() {
            eprintln!("[e2e] ---- output of {} ----\n{}", self.name, self.log());
        }
    }

    /// SIGKILL, then reap.
    pub fn kill9(mut self) {
        let mut child = self.child.take().unwrap();
        let _ = child.kill();
        let status = child.wait().unwrap();
        eprintln!("[e2e] killed {} with SIGKILL ({status})", self.name);
        self.show_log();
    }

    /// SIGTERM, then waits up to `timeout` for the exit (SIGKILL and panic after that).
    pub async fn terminate(mut self, timeout: Duration) -> ExitStatus {
        let pid = self.pid();
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM {pid} failed");
        let Some(status) = self.exited_within(timeout).await else {
            panic!(
                "{} did not stop within {timeout:?} of SIGTERM:\n{}",
                self.name,
                self.log_tail(60)
            );
        };
        eprintln!("[e2e] {} stopped by SIGTERM ({status})", self.name);
        self.show_log();
        status
    }

    /// Waits for the process to exit on its own, at most `timeout`.
    pub async fn wait_exit(mut self, timeout: Duration) -> (ExitStatus, String) {
        let Some(status) = self.exited_within(timeout).await else {
            panic!(
                "{} still running after {timeout:?}:\n{}",
                self.name,
                self.log_tail(60)
            );
        };
        self.show_log();
        (status, self.log())
    }

    /// The exit status once the process has exited (reaped, so that drop leaves it alone), or
    /// `None` while it still runs after `timeout`: the caller's panic then kills it at drop.
    async fn exited_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            if std::thread::panicking() {
                eprintln!(
                    "[e2e] {} (pid {}) killed; last output:\n{}",
                    self.name,
                    child.id(),
                    self.log_tail(80)
                );
            } else {
                eprintln!("[e2e] {} (pid {}) killed at drop", self.name, child.id());
            }
        }
    }
}

/// `strait run CONFIG`, logging at info (debug for the replication layer) into `dir`.
pub fn start_strait(config: &Path, dir: &Path, name: &str) -> Proc {
    let mut command = Command::new(strait_bin());
    command
        .arg("run")
        .arg(config)
        .env("STRAIT_LOG", "info,mirror=debug");
    Proc::spawn(name, command, &dir.join(format!("{name}.log")))
}

/// Java MirrorMaker 2 (dedicated mode) of the harness's Kafka 4.3.1 jars on `config`,
/// driving only the flows into `target`.
pub fn start_java_mm2(h: &Harness, config: &Path, dir: &Path, target: &str, name: &str) -> Proc {
    let log4j = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mm2-log4j2.properties");
    let mut command = Command::new("java");
    command
        .args(["-Xms256m", "-Xmx1g", "-XX:+UseSerialGC"])
        .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
        .arg("-cp")
        .arg(format!("{}/*", h.var("STRAIT_KAFKA_LIB")))
        .arg("org.apache.kafka.connect.mirror.MirrorMaker")
        .arg(config)
        .args(["--clusters", target]);
    Proc::spawn(name, command, &dir.join(format!("{name}.log")))
}

/// The part of an mm2.properties every test shares: the harness clusters A and B, single-broker
/// replication factors, fast cadence, and only what Java MM2 needs on top of strait.
pub fn base_properties(h: &Harness) -> String {
    format!(
        "\
clusters = A, B
A.bootstrap.servers = {a}
B.bootstrap.servers = {b}

replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
offset.storage.replication.factor = 1
status.storage.replication.factor = 1
config.storage.replication.factor = 1
tasks.max = 2

refresh.topics.interval.seconds = 2
emit.checkpoints.enabled = false
sync.group.offsets.enabled = false
sync.topic.acls.enabled = false
",
        a = h.a(),
        b = h.b()
    )
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Where most end-to-end tests start: the harness, a temporary folder, a fresh topic on A
/// (a name no other test uses, starting with `prefix`, with `partitions`), its remote name
/// `A.<topic>` on B under the default replication policy, and clients of A and B.
pub async fn setup(
    prefix: &str,
    partitions: i32,
) -> (Harness, TempDir, String, String, Client, Client) {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic(prefix);
    let remote = format!("A.{topic}");
    let source = connect(h.a(), "A").await;
    let target = connect(h.b(), "B").await;
    create_topic(&source, &topic, partitions).await;
    (h, dir, topic, remote, source, target)
}

pub async fn connect(bootstrap: &str, name: &str) -> Client {
    Client::connect(ClientConfig::new(vec![bootstrap.to_owned()], name))
        .await
        .unwrap()
}

pub async fn create_topic(client: &Client, topic: &str, partitions: i32) {
    for (name, result) in client
        .create_topics(vec![NewTopic::new(topic, partitions, 1)], false)
        .await
        .unwrap()
    {
        result.unwrap_or_else(|e| panic!("creating {name}: {e}"));
    }
}

/// Whether `topic` exists on the cluster.
pub async fn topic_exists(client: &Client, topic: &str) -> bool {
    let md = client.metadata(Some(&[topic.to_owned()])).await.unwrap();
    md.topic(topic)
        .is_some_and(|t| t.error.is_none() && !t.partitions.is_empty())
}

/// Every topic name of the cluster.
pub async fn topic_names(client: &Client) -> Vec<String> {
    let md = client.metadata(None).await.unwrap();
    md.topics.keys().cloned().collect()
}

/// One batch (`codec`) with the given values, keyed `k<i>`.
pub fn batch(codec: Compression, values: &[Bytes]) -> BatchView {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            offset: i as i64,
            timestamp: 1_700_000_000_000 + i as i64,
            key: Some(Bytes::from(format!("k{i}"))),
            value: Some(v.clone()),
            headers: Vec::new(),
        })
        .collect();
    let builder = BatchBuilder {
        compression: codec,
        ..Default::default()
    };
    BatchView::new(builder.build(&records).unwrap()).unwrap()
}

/// Produces `count` records to every partition of `topic`, `per_batch` records per lz4 batch,
/// with values `<tag>-p<partition>-<n>` (unique per tag).
pub async fn produce_tagged(
    client: &Client,
    topic: &str,
    partitions: i32,
    tag: &str,
    count: usize,
    per_batch: usize,
) {
    let producer = IdempotentProducer::new(client.clone(), ProducerConfig::default())
        .await
        .unwrap();
    let mut acks = Vec::new();
    for p in 0..partitions {
        let values: Vec<Bytes> = (0..count)
            .map(|n| Bytes::from(format!("{tag}-p{p}-{n}")))
            .collect();
        for chunk in values.chunks(per_batch) {
            let b = batch(Compression::Lz4, chunk);
            acks.push(
                producer
                    .send(TopicPartition::new(topic, p), b)
                    .await
                    .unwrap(),
            );
        }
    }
    for ack in acks {
        ack.await.unwrap();
    }
    producer.close().await;
}

/// End offsets of partitions `0..partitions` (−1 for a partition that cannot be listed).
pub async fn end_offsets(client: &Client, topic: &str, partitions: i32) -> Vec<i64> {
    let request = (0..partitions)
        .map(|p| (TopicPartition::new(topic, p), OffsetSpec::Latest))
        .collect();
    client
        .list_offsets(IsolationLevel::ReadUncommitted, request)
        .await
        .into_values()
        .map(|r| r.map(|o| o.offset).unwrap_or(-1))
        .collect()
}

/// End offsets, or `None` while the topic does not exist (yet).
pub async fn end_offsets_if_exists(
    client: &Client,
    topic: &str,
    partitions: i32,
) -> Option<Vec<i64>> {
    if !topic_exists(client, topic).await {
        return None;
    }
    Some(end_offsets(client, topic, partitions).await)
}

/// Record values of one partition from `from` to the current end, in order, with offsets.
pub async fn read_partition_from(
    client: &Client,
    topic: &str,
    partition: i32,
    from: i64,
) -> Vec<(i64, Bytes)> {
    let end = end_offsets(client, topic, partition + 1).await[partition as usize];
    let tp = TopicPartition::new(topic, partition);
    let options = FetchOptions {
        max_wait: Duration::from_millis(100),
        ..Default::default()
    };
    let mut offset = from;
    let mut out = Vec::new();
    while offset < end {
        let req = FetchPartition {
            tp: tp.clone(),
            offset,
            max_bytes: 8 << 20,
            current_leader_epoch: None,
        };
        let fetched = client.fetch(&options, vec![req]).await.unwrap();
        let data = fetched.into_iter().next().unwrap().result.unwrap();
        for b in split(data.records) {
            let Batch::V2(b) = b.unwrap() else {
                panic!("legacy batch on a 4.x topic")
            };
            let next = b.last_offset() + 1;
            if !b.is_control() {
                for r in b.records().unwrap() {
                    if r.offset >= offset {
                        out.push((r.offset, r.value.unwrap_or_default()));
                    }
                }
            }
            offset = offset.max(next);
        }
    }
    out
}

/// Every record value of every partition, in order.
pub async fn read_values(client: &Client, topic: &str, partitions: i32) -> Vec<Vec<Bytes>> {
    let mut out = Vec::new();
    for p in 0..partitions {
        let records = read_partition_from(client, topic, p, 0).await;
        out.push(records.into_iter().map(|(_, v)| v).collect());
    }
    out
}

/// Polls `check` every 250 ms until it returns `Some`, or panics with `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let every = Duration::from_millis(250);
    poll_running(&mut [], timeout, every, 0, || {
        let answer = check();
        async move {
            answer
                .await
                .ok_or_else(|| format!("timed out after {timeout:?}: {what}"))
        }
    })
    .await
}

/// Polls `check` every `every` until it returns `Ok`, asserting before each check that every
/// process of `procs` still runs, so that a crashed strait or JVM fails the wait at once with
/// its log instead of at the timeout. After `timeout` it panics with the last `Err`, followed
/// by the last `log_tail` lines of the first process's output when `log_tail` is not 0.
pub async fn poll_running<T, F, Fut>(
    procs: &mut [Proc],
    timeout: Duration,
    every: Duration,
    log_tail: usize,
    mut check: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        for proc in procs.iter_mut() {
            proc.assert_running();
        }
        let last = match check().await {
            Ok(t) => return t,
            Err(last) => last,
        };
        if Instant::now() >= deadline {
            match procs.first() {
                Some(proc) if log_tail > 0 => panic!("{last}:\n{}", proc.log_tail(log_tail)),
                _ => panic!("{last}"),
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// The position store of flow `source->…` on `target`: Connect's offsets topic
/// `mm2-offsets.<source>.internal`, in the format strait and Java MM2 share.
pub async fn position_store(target: &Client, source_alias: &str) -> ConnectOffsets {
    ConnectOffsets::open(
        target.clone(),
        &format!("mm2-offsets.{source_alias}.internal"),
        25,
        1,
        "MirrorSourceConnector",
        source_alias,
    )
    .await
    .unwrap()
}

/// Source positions (last replicated offset per source partition) of flow `source->…` stored
/// in the Connect offsets topic on `target`, by strait or Java MM2.
pub async fn stored_positions(target: &Client, source_alias: &str) -> HashMap<TopicPartition, i64> {
    let store = position_store(target, source_alias).await;
    store.load().await.unwrap()
}

/// The stored positions of `topic`'s partitions, `None` for partitions without one.
pub async fn positions_of(
    target: &Client,
    source_alias: &str,
    topic: &str,
    partitions: i32,
) -> Vec<Option<i64>> {
    let all = stored_positions(target, source_alias).await;
    (0..partitions)
        .map(|p| all.get(&TopicPartition::new(topic, p)).copied())
        .collect()
}

/// A regex for exactly these topic names (test topic names have no regex metacharacters
/// except `.`, which is escaped).
pub fn exact_topics(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| n.replace('.', "\\\\."))
        .collect::<Vec<_>>()
        .join("|")
}
