//! Acceptance: Java MM2's checkpoint connector, pointed at strait's offset-syncs topic,
//! produces checkpoints consistent with strait's.
//!
//! strait mirrors a topic `A -> B` (into a remote topic that already held other records, so
//! target offsets differ from source offsets), writes its offset syncs on A and its own
//! checkpoints on B. Then Apache Kafka's `MirrorCheckpointConnector` (4.3.1, alone in Kafka
//! Connect standalone) reads strait's syncs topic and writes its checkpoints to the `legacy`
//! cluster, which strait never writes. For every committed group position both agree on the
//! source offset and metadata; Java's target offset is exactly what MM2's translation rules
//! give from strait's sync records (docs/mm2-compatibility.md "Offset translation"): the same as strait's where the
//! position is a sync point or past the newest sync, conservatively behind strait's exact one
//! elsewhere, never past it, never past the target's log end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::java::{QUICK_JVM, formatted, jvm, terminate};
use common::kafka::{clusters, connect, create_topic, eventually, numbered, produce};
use common::log::{Log, read_log};
use common::offsets::{Names, commit, exact_target, start_mirror, sync_records};
use kwire::client::Client;
use mirror::internal_topics::TopicTail;
use mirror::offsets::records::Checkpoint;
use strait_harness::{Harness, unique_topic};

/// Bound of every wait.
const WAIT_SECS: u64 = 90;
/// Records already on each partition of the remote topic before strait starts: target offsets
/// are source offsets plus these.
const SHIFT: [i64; 3] = [3, 7, 11];
/// Where Java's checkpoints land (on `legacy`): MM2 names it after the source alias.
const JAVA_CHECKPOINTS: &str = "A.checkpoints.internal";

/// How Java's target offset must compare with strait's exact one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    /// The position is a sync point, or at/after the partition's newest sync.
    Same,
    /// Strictly behind: MM2 only knows an older sync and adds one.
    Behind,
}

/// `(group suffix, partition, committed source offset, relation)`.
const CASES: &[(&str, i32, i64, Relation)] = &[
    // Partition 0: 60 records, idle. The log end (after the final sync at 59) and the last
    // record (the final sync point).
    ("a", 0, 60, Relation::Same),
    ("b", 0, 59, Relation::Same),
    // Partition 1: 60 records in one batch, syncs at its first and last record only. The first
    // record is a sync point; in the middle MM2 can only say "one past the first sync".
    ("b", 1, 0, Relation::Same),
    ("a", 1, 30, Relation::Behind),
    // Partition 2: 250 records in batches of 50, a sync about every `offset.lag.max` (100)
    // records and one at the last. Between syncs, which older one MM2 still holds depends on
    // its retention (`Mm2::OneOf`); it is behind strait's exact offset either way.
    ("a", 2, 249, Relation::Same),
    ("c", 2, 250, Relation::Same),
    ("b", 2, 120, Relation::Behind),
];

/// What MM2's `OffsetSyncStore` answers for a group at `position`, from the syncs of the
/// partition in the order it read them (upstream offsets never going back, so nothing is
/// cleared; and the task loaded its checkpoints topic, so it keeps history while reading the
/// syncs topic to its end). It keeps only some syncs (exponentially spaced), but always the newest
/// (invariant A) and the first it read (invariant D), and translates with the newest kept
/// sync at or before the position: its target offset, plus one when the position is past it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mm2 {
    /// Before every sync: MM2 answers -1 and emits no checkpoint.
    Nothing,
    /// Decided by the newest or the first sync alone.
    Exactly(i64),
    /// Several syncs are at or before the position; which of them MM2 kept depends on its
    /// retention. Any of these, never more than the last.
    OneOf(BTreeSet<i64>),
}

fn mm2_translation(syncs: &[(i64, i64)], position: i64) -> Mm2 {
    let from = |(upstream, downstream): (i64, i64)| downstream + i64::from(position != upstream);
    let newest = *syncs.last().expect("no syncs");
    if newest.0 <= position {
        return Mm2::Exactly(from(newest));
    }
    let before: BTreeSet<(i64, i64)> = syncs.iter().copied().filter(|s| s.0 <= position).collect();
    match before.len() {
        0 => Mm2::Nothing,
        // With upstream offsets in order, the only one at or before is the first read.
        1 => Mm2::Exactly(from(*before.first().unwrap())),
        _ => Mm2::OneOf(before.into_iter().map(from).collect()),
    }
}

#[test]
fn mm2_translation_rules() {
    let syncs = [(0, 7), (59, 66)];
    assert_eq!(mm2_translation(&syncs, 60), Mm2::Exactly(67));
    assert_eq!(mm2_translation(&syncs, 59), Mm2::Exactly(66));
    assert_eq!(mm2_translation(&syncs, 30), Mm2::Exactly(8));
    assert_eq!(mm2_translation(&syncs, 0), Mm2::Exactly(7));
    assert_eq!(mm2_translation(&[(5, 5), (9, 9)], 4), Mm2::Nothing);
    let three = [(0, 11), (100, 111), (200, 211), (249, 260)];
    assert_eq!(mm2_translation(&three, 120), Mm2::OneOf([12, 112].into()));
}

/// Kafka Connect standalone running one connector, killed (with a watchdog for the case the
/// test process itself dies) however the test ends.
struct ConnectStandalone {
    java: Child,
    watchdog: Child,
    log: PathBuf,
}

impl ConnectStandalone {
    fn start(h: &Harness, dir: &Path, worker: &[String], connector: &[String]) -> Self {
        let write = |name: &str, lines: &[String]| {
            let path = dir.join(name);
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            path
        };
        let worker = write("worker.properties", worker);
        let connector = write("connector.properties", connector);
        let log4j = write(
            "log4j2.properties",
            &[
                "status = warn",
                "appender.out.type = Console",
                "appender.out.name = STDOUT",
                "appender.out.layout.type = PatternLayout",
                "appender.out.layout.pattern = [%d] %p %m (%c)%n",
                "rootLogger.level = warn",
                "rootLogger.appenderRef.out.ref = STDOUT",
                "logger.cli.name = org.apache.kafka.connect.cli",
                "logger.cli.level = info",
                "logger.mirror.name = org.apache.kafka.connect.mirror",
                "logger.mirror.level = debug",
            ]
            .map(str::to_owned),
        );
        let log = dir.join("connect.log");
        let out = File::create(&log).unwrap();
        let class = "org.apache.kafka.connect.cli.ConnectStandalone";
        let java = jvm(h, &QUICK_JVM, &log4j.display().to_string(), None, class)
            .arg(&worker)
            .arg(&connector)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("cannot start java");
        // Kills the JVM if this test process disappears without running `drop`.
        let watchdog = Command::new("sh")
            .args([
                "-c",
                "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; kill -9 \"$2\" 2>/dev/null",
                "watchdog",
                &std::process::id().to_string(),
                &java.id().to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start the watchdog");
        ConnectStandalone {
            java,
            watchdog,
            log,
        }
    }

    /// The last lines Connect printed.
    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!(
            "--- last lines of {} ---\n{}",
            self.log.display(),
            lines[from..].join("\n")
        )
    }

    /// Fails when the JVM has exited.
    fn alive(&mut self) -> Result<(), String> {
        match self.java.try_wait().unwrap() {
            None => Ok(()),
            Some(status) => Err(format!("Connect exited ({status})")),
        }
    }

    /// SIGTERM (Connect stops its connector and tasks), then at most 20 s for the exit.
    fn stop(mut self) -> Duration {
        terminate(&mut self.java, Duration::from_secs(20))
    }
}

impl Drop for ConnectStandalone {
    fn drop(&mut self) {
        let _ = self.java.kill();
        let _ = self.java.wait();
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

/// Every checkpoint record of `topic` (partition 0) whose group starts with `groups`, in order.
async fn checkpoints(
    client: &Client,
    topic: &str,
    groups: &str,
) -> Result<Vec<Checkpoint>, String> {
    let records = TopicTail::new(client.clone(), topic)
        .read_to_end()
        .await
        .map_err(|e| format!("read {topic}: {e}"))?;
    Ok(records
        .iter()
        .filter_map(|r| Checkpoint::decode(r.key.as_deref()?, r.value.as_deref()?).ok())
        .filter(|c| c.group.starts_with(groups))
        .collect())
}

/// The newest checkpoint per `(group, topic, partition)`.
fn latest(all: &[Checkpoint]) -> BTreeMap<(String, String, i32), Checkpoint> {
    all.iter()
        .map(|c| ((c.group.clone(), c.topic.clone(), c.partition), c.clone()))
        .collect()
}

/// Java's `CheckpointFormatter` lines of `topic` for groups starting with `groups`, parsed
/// into checkpoints.
fn formatted_checkpoints(bootstrap: String, topic: String, groups: String) -> Vec<Checkpoint> {
    let h = Harness::get();
    formatted(&h, &bootstrap, &topic, "CheckpointFormatter")
        .iter()
        .filter_map(|line| {
            let fields = line.strip_prefix("Checkpoint{")?.strip_suffix('}')?;
            let field: BTreeMap<&str, &str> = fields
                .split(", ")
                .map(|kv| kv.split_once('=').unwrap())
                .collect();
            let (remote, partition) = field["topicPartition"].rsplit_once('-').unwrap();
            Some(Checkpoint {
                group: field["consumerGroupId"].to_owned(),
                topic: remote.to_owned(),
                partition: partition.parse().unwrap(),
                upstream: field["upstreamOffset"].parse().unwrap(),
                downstream: field["downstreamOffset"].parse().unwrap(),
                metadata: field["metadata"].to_owned(),
            })
        })
        .filter(|c| c.group.starts_with(&groups))
        .collect()
}

/// How checkpoints are keyed: `(group, remote topic, partition)`.
type Key = (String, String, i32);

/// The clusters, names and clients every phase of the scenario shares.
struct Scenario {
    h: Harness,
    names: Names,
    target_alias: String,
    topic: String,
    remote: String,
    source: Client,
    target: Client,
    legacy: Client,
}

impl Scenario {
    async fn connect() -> Scenario {
        let (h, source, target) = clusters().await;
        let names = Names::new("ckpt-java");
        // Java's checkpoint connector reads `mm2-offset-syncs.<target alias>.internal` on the
        // source: the target alias is the test's prefix, so it reads exactly strait's topic.
        let target_alias = names.prefix.clone();
        assert_eq!(
            names.syncs_topic,
            format!("mm2-offset-syncs.{target_alias}.internal")
        );
        let topic = format!("{}-t", names.prefix);
        let remote = format!("A.{topic}");
        let legacy = connect(h.legacy(), "legacy").await;
        Scenario {
            h,
            names,
            target_alias,
            topic,
            remote,
            source,
            target,
            legacy,
        }
    }

    /// The remote topic already holds `SHIFT` records per partition, so a checkpoint that
    /// merely copied source offsets would fail.
    async fn write_records_and_commits(&self) {
        create_topic(&self.source, &self.topic, 3, &[]).await;
        create_topic(&self.target, &self.remote, 3, &[]).await;
        for (partition, shift) in SHIFT.iter().enumerate() {
            let partition = partition as i32;
            let values = numbered(&format!("before-{partition}"), 0, *shift as usize);
            produce(&self.target, &self.remote, partition, &values, values.len()).await;
        }
        produce(&self.source, &self.topic, 0, &numbered("p0", 0, 60), 60).await;
        produce(&self.source, &self.topic, 1, &numbered("p1", 0, 60), 60).await;
        produce(&self.source, &self.topic, 2, &numbered("p2", 0, 250), 50).await;
        for &(group, partition, offset, _) in CASES {
            commit(
                &self.source,
                &self.group(group),
                &self.topic,
                partition,
                offset,
            )
            .await;
        }
    }

    fn group(&self, name: &str) -> String {
        format!("{}-{name}", self.names.groups)
    }

    fn key(&self, group: &str, partition: i32) -> Key {
        (self.group(group), self.remote.clone(), partition)
    }

    /// The keys every checkpointer must write: one per case.
    fn case_keys(&self) -> BTreeSet<Key> {
        CASES
            .iter()
            .map(|&(group, partition, _, _)| self.key(group, partition))
            .collect()
    }

    /// Runs strait until it has written everything Java will read, then stops it so that its
    /// syncs and checkpoints stay frozen. Returns how long strait took.
    async fn run_strait(&self) -> Duration {
        let started = Instant::now();
        let mirror = start_mirror(&self.h, &self.names).await;
        eventually("strait's checkpoints and final syncs", WAIT_SECS, || {
            self.strait_done()
        })
        .await;
        let took = started.elapsed();
        mirror.stop().await;
        took
    }

    /// Every group's checkpoint exact, and every partition's newest sync at its last record
    /// (for the idle partition, its final sync), so MM2's "past the newest sync" cases apply.
    async fn strait_done(&self) -> Result<(), String> {
        let last_records = [59, 59, 249];
        let mut pending = Vec::new();
        let names = &self.names;
        let store =
            latest(&checkpoints(&self.target, &names.checkpoints_topic, &names.groups).await?);
        for &(group, partition, offset, _) in CASES {
            let want = offset + SHIFT[partition as usize];
            let got = store
                .get(&self.key(group, partition))
                .map(|c| (c.upstream, c.downstream));
            if got != Some((offset, want)) {
                pending.push(format!(
                    "{group} p{partition}: {got:?}, want ({offset}, {want})"
                ));
            }
        }
        let syncs = syncs_by_partition(&self.source, &names.syncs_topic).await;
        for (partition, last) in last_records.iter().enumerate() {
            let newest = syncs.get(&(partition as i32)).and_then(|s| s.last());
            if newest.map(|s| s.0) != Some(*last) {
                pending.push(format!("p{partition} newest sync {newest:?}"));
            }
        }
        if pending.is_empty() {
            Ok(())
        } else {
            Err(pending.join("; "))
        }
    }
}

/// What strait wrote, read once it stopped: the reference Java is judged against.
struct StraitRun {
    syncs: BTreeMap<i32, Vec<(i64, i64)>>,
    all: Vec<Checkpoint>,
    newest: BTreeMap<Key, Checkpoint>,
    target_logs: Vec<Log>,
}

impl StraitRun {
    async fn read(s: &Scenario) -> StraitRun {
        let syncs = syncs_by_partition(&s.source, &s.names.syncs_topic).await;
        let all = checkpoints(&s.target, &s.names.checkpoints_topic, &s.names.groups)
            .await
            .unwrap();
        let newest = latest(&all);
        let mut target_logs = Vec::new();
        for partition in 0..3 {
            let source_log = read_log(&s.source, &s.topic, partition).await;
            let target_log = read_log(&s.target, &s.remote, partition).await;
            // strait's checkpoints are exact: the target offset of the same record (by content).
            for &(group, p, offset, _) in CASES.iter().filter(|c| c.1 == partition) {
                let exact = exact_target(&source_log, &target_log, offset).unwrap();
                let cp = &newest[&s.key(group, p)];
                assert_eq!(cp.downstream, exact, "strait's checkpoint {cp:?}");
            }
            // MM2 reads the syncs in topic order; its store clears itself on an upstream rewind,
            // which a single run of the flow never writes.
            let ps = &syncs[&partition];
            assert!(
                ps.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1),
                "p{partition} syncs go back: {ps:?}"
            );
            target_logs.push(target_log);
        }
        for (partition, ps) in &syncs {
            eprintln!("[java-ckpt] strait's syncs of p{partition} (upstream, downstream): {ps:?}");
        }
        StraitRun {
            syncs,
            all,
            newest,
            target_logs,
        }
    }
}

/// What Java's checkpoint connector wrote on `legacy` (which strait never writes).
struct JavaRun {
    all: Vec<Checkpoint>,
    /// From Connect's start until every case had a checkpoint.
    took: Duration,
    stop_took: Duration,
}

impl JavaRun {
    /// The connector alone in Connect standalone; the JVM dies with the guard however this
    /// ends.
    async fn run(s: &Scenario) -> JavaRun {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique_topic("connect-standalone"));
        std::fs::create_dir_all(&dir).unwrap();
        let (worker, connector) = (worker_properties(s, &dir), connector_properties(s));
        let started = Instant::now();
        let mut connect = ConnectStandalone::start(&s.h, &dir, &worker, &connector);
        let took = await_java_checkpoints(s, &mut connect, started).await;
        let all = checkpoints(&s.legacy, JAVA_CHECKPOINTS, &s.names.groups)
            .await
            .unwrap();
        let stop_took = connect.stop();
        JavaRun {
            all,
            took,
            stop_took,
        }
    }
}

fn worker_properties(s: &Scenario, dir: &Path) -> [String; 7] {
    [
        format!("bootstrap.servers={}", s.h.legacy()),
        "key.converter=org.apache.kafka.connect.converters.ByteArrayConverter".into(),
        "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter".into(),
        format!(
            "offset.storage.file.filename={}",
            dir.join("connect.offsets").display()
        ),
        "offset.flush.interval.ms=1000".into(),
        "listeners=http://127.0.0.1:0".into(),
        // The connectors on the class path declare themselves (KIP-898): no reflective scan.
        "plugin.discovery=service_load".into(),
    ]
}

fn connector_properties(s: &Scenario) -> [String; 12] {
    [
        format!("name={}-checkpoints", s.names.prefix),
        "connector.class=org.apache.kafka.connect.mirror.MirrorCheckpointConnector".into(),
        "tasks.max=1".into(),
        "source.cluster.alias=A".into(),
        format!("target.cluster.alias={}", s.target_alias),
        format!("source.cluster.bootstrap.servers={}", s.h.a()),
        format!("target.cluster.bootstrap.servers={}", s.h.legacy()),
        format!("groups={}-.*", s.names.groups),
        format!("topics={}", s.topic),
        "emit.checkpoints.interval.seconds=1".into(),
        "sync.group.offsets.enabled=false".into(),
        "checkpoints.topic.replication.factor=1".into(),
    ]
}

/// Waits until Java has checkpointed every case, failing at once if the JVM died (its log
/// says why). Returns how long after `started` that first happened.
async fn await_java_checkpoints(
    s: &Scenario,
    connect: &mut ConnectStandalone,
    started: Instant,
) -> Duration {
    let want = s.case_keys();
    let mut java_took = Duration::ZERO;
    let deadline = Instant::now() + Duration::from_secs(WAIT_SECS);
    loop {
        if let Err(e) = connect.alive() {
            panic!("{e}\n{}", connect.tail());
        }
        let got = match checkpoints(&s.legacy, JAVA_CHECKPOINTS, &s.names.groups).await {
            Ok(all) => latest(&all).into_keys().collect::<BTreeSet<_>>(),
            Err(e) => {
                eprintln!("[java-ckpt] {e}");
                BTreeSet::new()
            }
        };
        if want.is_subset(&got) {
            if java_took.is_zero() {
                java_took = started.elapsed();
            }
            // A few more emission rounds: nothing may change any more.
            if started.elapsed() > java_took + Duration::from_secs(4) {
                return java_took;
            }
        }
        assert!(
            Instant::now() < deadline,
            "Java's checkpoints: not after {WAIT_SECS} s: have {got:?}, want {want:?}\n{}",
            connect.tail()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Java's own `CheckpointFormatter` must read both topics as we decode them, so the
/// comparisons below rest on Kafka's reading, not only ours.
async fn cross_check_formatter(s: &Scenario, java_all: &[Checkpoint], strait_all: &[Checkpoint]) {
    let formatter = |bootstrap: &str, topic: &str| {
        let (b, t, groups) = (
            bootstrap.to_owned(),
            topic.to_owned(),
            s.names.groups.clone(),
        );
        tokio::task::spawn_blocking(move || formatted_checkpoints(b, t, groups))
    };
    // Both spawned before either is awaited: each is a JVM start.
    let (java_formatted, strait_formatted) = (
        formatter(s.h.legacy(), JAVA_CHECKPOINTS),
        formatter(s.h.b(), &s.names.checkpoints_topic),
    );
    let (java_formatted, strait_formatted) = (
        java_formatted.await.unwrap(),
        strait_formatted.await.unwrap(),
    );
    assert_eq!(
        java_formatted, java_all,
        "Java's topic, decoded vs formatted"
    );
    assert_eq!(
        strait_formatted, strait_all,
        "strait's topic, decoded vs formatted"
    );
}

/// Java's newest checkpoint per key. Nothing moved while it ran, so it must have written
/// exactly the cases and never revised one.
fn java_newest(java_all: &[Checkpoint], want: &BTreeSet<Key>) -> BTreeMap<Key, Checkpoint> {
    let java = latest(java_all);
    assert_eq!(
        java.keys().cloned().collect::<BTreeSet<_>>(),
        *want,
        "Java checkpointed exactly the committed partitions"
    );
    for cp in java_all {
        assert_eq!(
            &java[&(cp.group.clone(), cp.topic.clone(), cp.partition)],
            cp,
            "Java changed a checkpoint while nothing moved"
        );
    }
    java
}

/// Prints the comparison table before judging each row, so a failure shows its context.
fn check_cases(s: &Scenario, strait: &StraitRun, java: &BTreeMap<Key, Checkpoint>) {
    eprintln!(
        "[java-ckpt] group              partition  committed  strait  java  MM2 rule      target end"
    );
    for &case in CASES {
        let key = s.key(case.0, case.1);
        let partition = case.1 as usize;
        let end = strait.target_logs[partition].end;
        check_case(
            case,
            &strait.newest[&key],
            &java[&key],
            &strait.syncs[&case.1],
            end,
        );
    }
}

/// One case: Java agrees with strait on the source offset and metadata, follows MM2's rule
/// from strait's `syncs`, keeps the case's `Relation` to strait's exact offset, and neither
/// passes the target's log `end`.
fn check_case(
    (group, partition, offset, relation): (&str, i32, i64, Relation),
    s: &Checkpoint,
    j: &Checkpoint,
    syncs: &[(i64, i64)],
    end: i64,
) {
    let rule = mm2_translation(syncs, offset);
    eprintln!(
        "[java-ckpt] {:<18} {partition:>9}  {offset:>9}  {:>6}  {:>4}  {rule:?}  {end}",
        group, s.downstream, j.downstream
    );
    let what = format!("group {group} p{partition} at {offset}: strait {s:?}, Java {j:?}");
    assert_eq!((j.upstream, &j.metadata), (offset, &s.metadata), "{what}");
    assert_eq!(s.upstream, offset, "{what}");
    match &rule {
        Mm2::Exactly(v) => assert_eq!(j.downstream, *v, "{what}: MM2's rule says {v}"),
        Mm2::OneOf(vs) => assert!(vs.contains(&j.downstream), "{what}: MM2 allows {vs:?}"),
        Mm2::Nothing => panic!("{what}: the scenario commits before every sync"),
    }
    assert!(
        j.downstream <= s.downstream,
        "{what}: Java past strait's exact"
    );
    match relation {
        Relation::Same => assert_eq!(j.downstream, s.downstream, "{what}"),
        Relation::Behind => assert!(j.downstream < s.downstream, "{what}"),
    }
    assert!(
        s.downstream <= end && j.downstream <= end,
        "{what}: past the end {end}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_checkpoint_connector_on_strait_syncs_agrees_with_strait() {
    let test_started = Instant::now();
    let s = Scenario::connect().await;
    s.write_records_and_commits().await;
    let strait_took = s.run_strait().await;
    let strait = StraitRun::read(&s).await;
    let java = JavaRun::run(&s).await;
    cross_check_formatter(&s, &java.all, &strait.all).await;
    let want = s.case_keys();
    let java_newest = java_newest(&java.all, &want);
    check_cases(&s, &strait, &java_newest);
    eprintln!(
        "[java-ckpt] strait caught up and checkpointed in {strait_took:?}; Java's connector \
         checkpointed {} groups/partitions {:?} after its start ({} records); Connect \
         stopped in {:?}; test took {:?}",
        want.len(),
        java.took,
        java.all.len(),
        java.stop_took,
        test_started.elapsed()
    );
}

/// strait's syncs of the test topic's partitions, `(upstream, downstream)` in topic order.
async fn syncs_by_partition(source: &Client, topic: &str) -> BTreeMap<i32, Vec<(i64, i64)>> {
    let mut out: BTreeMap<i32, Vec<(i64, i64)>> = BTreeMap::new();
    for record in sync_records(source, topic).await {
        let s = record.sync;
        out.entry(s.partition)
            .or_default()
            .push((s.upstream, s.downstream));
    }
    out
}
