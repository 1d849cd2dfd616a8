//! Shared support of the offset-translation tests: a flow `A->B` with offset syncs plus the
//! checkpoint task running against the harness clusters, logs read by content, group commits
//! made as an administrator, and Java processes (consumers, formatters) from the harness jars.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kwire::batch::{Batch, BatchBuilder, BatchView, Record, split};
use kwire::client::{
    Client, CommittedOffset, FetchOptions, FetchPartition, IdempotentProducer, IsolationLevel,
    NewTopic, OffsetSpec, ProducerConfig, TopicPartition,
};
use kwire::connection::ClientConfig;
use mirror::offsets::checkpoint::{CheckpointSettings, run_checkpoints};
use mirror::offsets::index::TranslationIndex;
use mirror::offsets::log::TopicTail;
use mirror::offsets::sync::SyncRecord;
use mirror::offsets::writer::OffsetSyncSettings;
use mirror::replicate::{FlowMetrics, FlowSettings, ReplicateError, run_flow};
use strait_harness::{Harness, unique_topic};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub async fn connect(bootstrap: &str, name: &str) -> Client {
    Client::connect(ClientConfig::new(vec![bootstrap.to_owned()], name))
        .await
        .unwrap()
}

pub async fn create_topic(client: &Client, topic: &str, partitions: i32, configs: &[(&str, &str)]) {
    let mut new = NewTopic::new(topic, partitions, 1);
    new.configs = configs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (name, result) in client.create_topics(vec![new], false).await.unwrap() {
        result.unwrap_or_else(|e| panic!("create {name}: {e}"));
    }
}

/// Polls `probe` until it answers `Ok`, failing with its last answer after `secs` seconds.
pub async fn eventually<T, F, Fut>(what: &str, secs: u64, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) if Instant::now() > deadline => panic!("{what}: not after {secs} s: {last}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Writes `values` (key = value) to one partition in batches of `per_batch`.
pub async fn produce(
    client: &Client,
    topic: &str,
    partition: i32,
    values: &[String],
    per_batch: usize,
) {
    let producer = IdempotentProducer::new(client.clone(), ProducerConfig::default())
        .await
        .unwrap();
    let mut acks = Vec::new();
    for chunk in values.chunks(per_batch.max(1)) {
        let records: Vec<Record> = chunk
            .iter()
            .enumerate()
            .map(|(i, v)| Record {
                offset: i as i64,
                timestamp: 1_700_000_000_000,
                key: Some(Bytes::from(v.clone())),
                value: Some(Bytes::from(v.clone())),
                headers: vec![],
            })
            .collect();
        let batch = BatchView::new(BatchBuilder::default().build(&records).unwrap()).unwrap();
        acks.push(
            producer
                .send(TopicPartition::new(topic, partition), batch)
                .await
                .unwrap(),
        );
    }
    for ack in acks {
        ack.await.unwrap();
    }
    producer.close().await;
}

pub fn numbered(prefix: &str, from: usize, n: usize) -> Vec<String> {
    (from..from + n).map(|i| format!("{prefix}-{i}")).collect()
}

/// A partition as a consumer sees it: `(offset, value)` of every record (control batches
/// left out), and the log end offset.
#[derive(Debug, Clone)]
pub struct Log {
    pub records: Vec<(i64, Option<Bytes>)>,
    pub end: i64,
}

impl Log {
    /// The first record at or after `position`.
    pub fn first_from(&self, position: i64) -> Option<&(i64, Option<Bytes>)> {
        self.records.iter().find(|(o, _)| *o >= position)
    }
}

pub async fn end_offset(client: &Client, tp: &TopicPartition) -> i64 {
    let answers = client
        .list_offsets(
            IsolationLevel::ReadUncommitted,
            vec![(tp.clone(), OffsetSpec::Latest)],
        )
        .await;
    answers.into_values().next().unwrap().unwrap().offset
}

pub async fn read_log(client: &Client, topic: &str, partition: i32) -> Log {
    let tp = TopicPartition::new(topic, partition);
    let end = end_offset(client, &tp).await;
    let mut log = Log {
        records: Vec::new(),
        end,
    };
    let mut offset = 0;
    while offset < end {
        let req = FetchPartition {
            tp: tp.clone(),
            offset,
            max_bytes: 8 << 20,
            current_leader_epoch: None,
        };
        let fetched = client
            .fetch(&FetchOptions::default(), vec![req])
            .await
            .unwrap();
        let data = fetched.into_iter().next().unwrap().result.unwrap();
        let before = offset;
        for batch in split(data.records) {
            let Batch::V2(b) = batch.unwrap() else {
                panic!("legacy batch on a 4.x topic")
            };
            if b.last_offset() < offset {
                continue;
            }
            offset = b.last_offset() + 1;
            if !b.is_control() {
                for r in b.records().unwrap() {
                    if r.offset >= before {
                        log.records.push((r.offset, r.value));
                    }
                }
            }
        }
        assert!(offset > before, "{tp}: no progress reading at {offset}");
    }
    log
}

/// Commits `offset` for `group` as an administrator (the group has no members).
pub async fn commit(client: &Client, group: &str, topic: &str, partition: i32, offset: i64) {
    let position = CommittedOffset {
        offset,
        leader_epoch: None,
        metadata: Some(format!("meta-{offset}")),
    };
    let tp = TopicPartition::new(topic, partition);
    let answers = client
        .offset_commit(group, vec![(tp.clone(), position)])
        .await
        .unwrap();
    answers[&tp].clone().unwrap();
}

pub async fn committed(client: &Client, group: &str, topic: &str, partition: i32) -> Option<i64> {
    let tp = TopicPartition::new(topic, partition);
    let offsets = client
        .offset_fetch(group, Some(vec![tp.clone()]))
        .await
        .unwrap();
    offsets.get(&tp).map(|c| c.offset).filter(|o| *o >= 0)
}

/// Names of one test's flow: source topics start with `prefix`, groups with `groups`.
#[derive(Debug, Clone)]
pub struct Names {
    pub prefix: String,
    pub groups: String,
    pub syncs_topic: String,
    pub checkpoints_topic: String,
}

impl Names {
    pub fn new(what: &str) -> Names {
        let prefix = unique_topic(what);
        Names {
            groups: format!("{prefix}-g"),
            syncs_topic: format!("mm2-offset-syncs.{prefix}.internal"),
            checkpoints_topic: format!("{prefix}.checkpoints.internal"),
            prefix,
        }
    }
}

pub fn flow_settings(names: &Names) -> FlowSettings {
    let prefix = names.prefix.clone();
    let mut s = FlowSettings::new("A", "B");
    s.select_topic = Arc::new(move |t| t.starts_with(&prefix));
    s.replication_factor = 1;
    s.offsets_topic_replication_factor = 1;
    s.refresh_topics_interval = Duration::from_secs(1);
    s.position_flush_interval = Duration::from_millis(200);
    s.offset_syncs = Some(OffsetSyncSettings {
        topic: names.syncs_topic.clone(),
        on_target: false,
        replication_factor: 1,
        lag_max: 100,
        client: None,
    });
    s
}

pub fn checkpoint_settings(names: &Names) -> CheckpointSettings {
    let (prefix, groups) = (names.prefix.clone(), names.groups.clone());
    CheckpointSettings {
        source_alias: "A".into(),
        target_alias: "B".into(),
        topic: names.checkpoints_topic.clone(),
        replication_factor: 1,
        offset_syncs_topic: names.syncs_topic.clone(),
        offset_syncs_on_target: false,
        emit_interval: Duration::from_millis(500),
        refresh_groups_interval: Some(Duration::from_millis(500)),
        select_group: Arc::new(move |g| g.starts_with(&groups)),
        select_topic: Arc::new(move |t| t.starts_with(&prefix)),
        rename_topic: Arc::new(|t| format!("A.{t}")),
        sync_group_offsets: Some(Duration::from_millis(500)),
    }
}

/// A running flow and checkpoint task.
pub struct Mirror {
    stop: watch::Sender<bool>,
    flow: JoinHandle<Result<(), ReplicateError>>,
    checkpoints: JoinHandle<Result<(), ReplicateError>>,
}

impl Mirror {
    pub async fn start(h: &Harness, flow: FlowSettings, checkpoints: CheckpointSettings) -> Mirror {
        let (stop, stopped) = watch::channel(false);
        let (source, target) = (connect(h.a(), "A").await, connect(h.b(), "B").await);
        let metrics = Arc::new(FlowMetrics::default());
        let flow = tokio::spawn(run_flow(
            source.clone(),
            target.clone(),
            flow,
            metrics,
            stopped.clone(),
        ));
        let checkpoints = tokio::spawn(run_checkpoints(source, target, checkpoints, stopped));
        Mirror {
            stop,
            flow,
            checkpoints,
        }
    }

    pub async fn stop(self) {
        self.stop.send(true).unwrap();
        for task in [self.flow, self.checkpoints] {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("task did not stop in 30 s")
                .unwrap()
                .expect("task failed");
        }
    }
}

/// The translation index as strait's checkpoint task builds it: from the whole syncs topic.
pub async fn index_from_topic(source: &Client, topic: &str) -> TranslationIndex {
    let mut index = TranslationIndex::default();
    let records = TopicTail::new(source.clone(), topic)
        .read_to_end()
        .await
        .unwrap();
    for r in records {
        let sync =
            SyncRecord::decode(r.key.as_deref().unwrap(), r.value.as_deref().unwrap()).unwrap();
        index.insert(&sync);
    }
    index
}

/// Where a consumer of the target should start for source position `position`: the target
/// offset holding the first source record at or after it (compared by content), or the
/// target's end when there is none. `None` while that record has not arrived.
pub fn exact_target(source: &Log, target: &Log, position: i64) -> Option<i64> {
    match source.first_from(position) {
        Some((_, value)) => {
            let hits: Vec<i64> = target
                .records
                .iter()
                .filter(|(_, v)| v == value)
                .map(|(o, _)| *o)
                .collect();
            assert!(
                hits.len() <= 1,
                "source record {value:?} is on the target {} times",
                hits.len()
            );
            hits.first().copied()
        }
        None => Some(target.end),
    }
}

/// A Java process killed when dropped.
pub struct JavaProcess(Child);

impl JavaProcess {
    /// SIGTERM, so that a consumer leaves its group at once (a killed one stays a member until
    /// its session times out), then waits for the exit.
    pub fn terminate(mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for JavaProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Kafka's ConsoleConsumer in group `group`, subscribed to `topic`, running until dropped.
pub fn console_consumer(h: &Harness, bootstrap: &str, topic: &str, group: &str) -> JavaProcess {
    let child = Command::new("java")
        .args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"])
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            h.var("STRAIT_KAFKA_LOG4J2")
        ))
        .arg("-cp")
        .arg(format!("{}/*", h.var("STRAIT_KAFKA_LIB")))
        .arg("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args([
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--group",
            group,
        ])
        .args(["--timeout-ms", "600000"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start java");
    JavaProcess(child)
}

/// What MM2's formatter prints for every record of `topic` (partition 0, from the beginning).
pub fn formatted(h: &Harness, bootstrap: &str, topic: &str, formatter: &str) -> Vec<String> {
    let out = h
        .tool("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args([
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--from-beginning",
        ])
        .args(["--timeout-ms", "10000"])
        .args([
            "--formatter",
            &format!("org.apache.kafka.connect.mirror.formatters.{formatter}"),
        ])
        .run();
    out.stdout.lines().map(str::to_owned).collect()
}

/// Compiles `tests/java/<name>.java` against the harness's Kafka jars.
pub fn java_classes(h: &Harness, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/java/{name}.java"));
    let classes = Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique_topic(name));
    let out = Command::new("javac")
        .arg("-cp")
        .arg(format!("{}/*", h.var("STRAIT_KAFKA_LIB")))
        .arg("-d")
        .arg(&classes)
        .arg(&src)
        .output()
        .expect("cannot run javac");
    assert!(
        out.status.success(),
        "javac {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    classes
}

/// `java` with the harness's jars and the compiled helpers on the class path.
pub fn java(h: &Harness, classes: &Path, class: &str, args: &[&str]) -> Command {
    let mut command = Command::new("java");
    command
        .args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"])
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            h.var("STRAIT_KAFKA_LOG4J2")
        ))
        .arg("-cp")
        .arg(format!(
            "{}:{}/*",
            classes.display(),
            h.var("STRAIT_KAFKA_LIB")
        ))
        .arg(class)
        .args(args);
    command
}
