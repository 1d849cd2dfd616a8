//! Checkpoints (KIP-382 MirrorCheckpointConnector; docs/mm2-compatibility.md "Checkpoints and
//! group offset sync"): finds the source's
//! consumer groups (`groups`/`groups.exclude`, every `refresh.groups.interval.seconds`), reads
//! their committed positions on replicated topics, translates them with the offset-syncs index
//! and writes Checkpoint v0 records to `<source>.checkpoints.internal` on the target every
//! `emit.checkpoints.interval.seconds`, with MM2's monotonicity rules against what the
//! topic already holds. With `sync.group.offsets.enabled` the checkpoints are also committed to
//! the target's groups (KIP-545, [`crate::offsets::group_sync`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use kwire::batch::{BatchBuilder, BatchView, Record};
use kwire::client::{Client, IdempotentProducer, ProducerConfig, TopicPartition};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::ReplicateError;
use crate::internal_topics::{TopicTail, create_compacted_topic, now_millis};
use crate::offsets::group_sync::{TargetGroup, apply_plan, plan_group};
use crate::offsets::index::{Translation, TranslationIndex};
use crate::offsets::records::Checkpoint;
use crate::offsets::sync::SyncRecord;
use crate::settings::{NameFilter, TopicRenamer};

/// Everything the checkpoint task of flow `source->target` needs, resolved from configuration.
#[derive(Clone)]
pub struct CheckpointSettings {
    pub source_alias: String,
    pub target_alias: String,
    /// `<source>.checkpoints.internal` on the target.
    pub topic: String,
    /// `checkpoints.topic.replication.factor`.
    pub replication_factor: i16,
    /// The offset-syncs topic and whether it lives on the target (else on the source).
    pub offset_syncs_topic: String,
    pub offset_syncs_on_target: bool,
    /// `emit.checkpoints.interval.seconds`.
    pub emit_interval: Duration,
    /// `refresh.groups.interval.seconds`; `None`: groups are listed once, at start.
    pub refresh_groups_interval: Option<Duration>,
    /// `groups` / `groups.exclude`.
    pub select_group: NameFilter,
    /// Source topics whose positions are checkpointed (the flow's topic selection).
    pub select_topic: NameFilter,
    /// Source topic → checkpoint topic (MM2's `renameTopicPartition`).
    pub rename_topic: TopicRenamer,
    /// `sync.group.offsets.interval.seconds` when `sync.group.offsets.enabled`.
    pub sync_group_offsets: Option<Duration>,
}

impl std::fmt::Debug for CheckpointSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSettings")
            .field(
                "flow",
                &format_args!("{}->{}", self.source_alias, self.target_alias),
            )
            .field("topic", &self.topic)
            .field("offset_syncs_topic", &self.offset_syncs_topic)
            .field("emit_interval", &self.emit_interval)
            .field("refresh_groups_interval", &self.refresh_groups_interval)
            .field("sync_group_offsets", &self.sync_group_offsets)
            .finish_non_exhaustive()
    }
}

/// The newest checkpoint per group and target partition, as read from the checkpoints topic
/// (last record wins, as in MM2's CheckpointStore and RemoteClusterUtils).
#[derive(Debug, Clone, Default)]
pub struct CheckpointStore {
    latest: HashMap<String, BTreeMap<TopicPartition, Checkpoint>>,
}

impl CheckpointStore {
    /// Reads a whole checkpoints topic.
    pub async fn read(client: &Client, topic: &str) -> Result<Self, ReplicateError> {
        let mut store = CheckpointStore::default();
        store.apply(&TopicTail::new(client.clone(), topic).read_to_end().await?);
        Ok(store)
    }

    /// Adds records read from the topic; records that do not decode are skipped, as MM2's
    /// readers skip them.
    pub fn apply(&mut self, records: &[Record]) {
        for r in records {
            let (Some(key), Some(value)) = (&r.key, &r.value) else {
                continue;
            };
            if let Ok(cp) = Checkpoint::decode(key, value) {
                self.insert(cp);
            }
        }
    }

    pub fn insert(&mut self, cp: Checkpoint) {
        let tp = TopicPartition::new(cp.topic.clone(), cp.partition);
        self.latest
            .entry(cp.group.clone())
            .or_default()
            .insert(tp, cp);
    }

    /// MM2's `checkpointIsMoreRecent`: the first for its partition, a group that moved back
    /// on the source (rewound), or a target offset that moved forward. Never a repeat, never a
    /// target offset going back for the same source position.
    pub fn is_more_recent(&self, cp: &Checkpoint) -> bool {
        let tp = TopicPartition::new(cp.topic.clone(), cp.partition);
        match self.latest.get(&cp.group).and_then(|g| g.get(&tp)) {
            None => true,
            Some(last) => cp.upstream < last.upstream || cp.downstream > last.downstream,
        }
    }

    /// The newest checkpoints of one group, by target partition.
    pub fn group(&self, group: &str) -> Option<&BTreeMap<TopicPartition, Checkpoint>> {
        self.latest.get(group)
    }

    /// Groups with at least one checkpoint.
    pub fn groups(&self) -> BTreeSet<&str> {
        self.latest.keys().map(String::as_str).collect()
    }
}

/// Runs the checkpoint task (and the group offset sync, when enabled) until `shutdown`.
/// Failures of one round are logged and retried at the next interval.
pub async fn run_checkpoints(
    source: Client,
    target: Client,
    settings: CheckpointSettings,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ReplicateError> {
    let setting = "checkpoints.topic.replication.factor";
    create_compacted_topic(
        &target,
        &settings.topic,
        settings.replication_factor,
        setting,
    )
    .await?;
    let mut task = CheckpointTask::start(source, target, settings).await?;
    let emit_every = task.settings.emit_interval.max(Duration::from_millis(10));
    let mut emit_at = Instant::now();
    let mut refresh_at = Instant::now();
    let mut sync_at = task.settings.sync_group_offsets.map(|i| Instant::now() + i);
    let mut summary_at = Instant::now() + SUMMARY_INTERVAL;
    while !*shutdown.borrow() {
        let next = [Some(emit_at), Some(refresh_at), sync_at, Some(summary_at)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(emit_at);
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tokio::time::sleep_until(next) => {}
        }
        let now = Instant::now();
        if now >= refresh_at {
            task.refresh_groups().await;
            refresh_at = match task.settings.refresh_groups_interval {
                Some(every) => now + every.max(Duration::from_millis(10)),
                None => now + Duration::from_secs(365 * 24 * 3600),
            };
        }
        if now >= emit_at {
            match task.emit().await {
                Ok(n) => task.counts.checkpoints_emitted += n as u64,
                Err(e) => {
                    task.counts.emit_failures += 1;
                    tracing::warn!(flow = %task.flow(), error = %e, "checkpoints not emitted; retrying at the next interval");
                }
            }
            emit_at = Instant::now() + emit_every;
        }
        if let (Some(at), Some(every)) = (sync_at, task.settings.sync_group_offsets)
            && now >= at
        {
            task.sync_groups().await;
            sync_at = Some(Instant::now() + every.max(Duration::from_millis(10)));
        }
        if now >= summary_at {
            task.log_summary();
            summary_at = Instant::now() + SUMMARY_INTERVAL;
        }
    }
    task.log_summary();
    task.producer.close().await;
    Ok(())
}

/// How often the task logs its counters (as a flow logs its replication summary).
const SUMMARY_INTERVAL: Duration = Duration::from_secs(30);

/// What the task did since it started, for the periodic summary line.
#[derive(Debug, Default)]
struct CheckpointCounts {
    checkpoints_emitted: u64,
    emit_failures: u64,
    group_offsets_synced: u64,
    groups_skipped_active: u64,
    group_sync_failures: u64,
}

struct CheckpointTask {
    counts: CheckpointCounts,
    source: Client,
    target: Client,
    settings: CheckpointSettings,
    syncs: TopicTail,
    index: TranslationIndex,
    store: CheckpointStore,
    producer: IdempotentProducer,
    groups: Vec<String>,
}

impl CheckpointTask {
    async fn start(
        source: Client,
        target: Client,
        settings: CheckpointSettings,
    ) -> Result<Self, ReplicateError> {
        // MM2 (KAFKA-15905) reads the checkpoints written before, so a restart neither repeats
        // them nor lets them go backwards.
        let store = CheckpointStore::read(&target, &settings.topic).await?;
        let syncs_cluster = if settings.offset_syncs_on_target {
            target.clone()
        } else {
            source.clone()
        };
        let syncs = TopicTail::new(syncs_cluster, &settings.offset_syncs_topic);
        let producer = IdempotentProducer::new(target.clone(), ProducerConfig::default()).await?;
        tracing::info!(flow = %format_args!("{}->{}", settings.source_alias, settings.target_alias), topic = %settings.topic, groups = store.groups().len(), "loaded checkpoints");
        Ok(CheckpointTask {
            counts: CheckpointCounts::default(),
            source,
            target,
            settings,
            syncs,
            index: TranslationIndex::default(),
            store,
            producer,
            groups: Vec::new(),
        })
    }

    fn log_summary(&self) {
        let c = &self.counts;
        tracing::info!(
            flow = %self.flow(),
            groups = self.groups.len(),
            checkpoints_emitted = c.checkpoints_emitted,
            emit_failures = c.emit_failures,
            group_offsets_synced = c.group_offsets_synced,
            groups_skipped_active = c.groups_skipped_active,
            group_sync_failures = c.group_sync_failures,
            "checkpoint summary"
        );
    }

    fn flow(&self) -> String {
        format!(
            "{}->{}",
            self.settings.source_alias, self.settings.target_alias
        )
    }

    /// Consumer groups of the source that the group filter accepts.
    async fn refresh_groups(&mut self) {
        match self.source.list_groups().await {
            Ok(listed) => {
                let mut groups: Vec<String> = listed
                    .into_iter()
                    .filter(|g| matches!(g.protocol_type.as_str(), "consumer" | ""))
                    .map(|g| g.group_id)
                    .filter(|g| (self.settings.select_group)(g))
                    .collect();
                groups.sort();
                groups.dedup();
                tracing::debug!(flow = %self.flow(), groups = groups.len(), "consumer groups refreshed");
                self.groups = groups;
            }
            Err(e) => {
                tracing::warn!(flow = %self.flow(), error = %e, "listing consumer groups failed; keeping the known ones")
            }
        }
    }

    /// Reads new offset syncs, then translates and writes what changed.
    async fn emit(&mut self) -> Result<usize, ReplicateError> {
        for record in self.syncs.read_to_end().await? {
            let (Some(key), Some(value)) = (&record.key, &record.value) else {
                continue;
            };
            match SyncRecord::decode(key, value) {
                Ok(sync) => self.index.insert(&sync),
                Err(e) => {
                    tracing::debug!(topic = self.syncs.topic(), offset = record.offset, error = %e, "skipping an offset-syncs record")
                }
            }
        }
        let listed_at = now_millis();
        let mut emitted = Vec::new();
        for group in &self.groups {
            let committed = match self.source.offset_fetch(group, None).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(flow = %self.flow(), group, error = %e, "reading committed offsets failed");
                    continue;
                }
            };
            for (tp, position) in committed {
                if position.offset < 0 || !(self.settings.select_topic)(&tp.topic) {
                    continue;
                }
                let downstream = match self.index.translate(&tp, position.offset) {
                    Translation::Exact(d) | Translation::Conservative(d) => d,
                    // Nothing safe to say yet (no sync, or the group is ahead of the mirror).
                    Translation::Unknown => continue,
                };
                let cp = Checkpoint {
                    group: group.clone(),
                    topic: (self.settings.rename_topic)(&tp.topic),
                    partition: tp.partition,
                    upstream: position.offset,
                    downstream,
                    metadata: position.metadata.unwrap_or_default(),
                };
                if self.store.is_more_recent(&cp) {
                    emitted.push(cp);
                }
            }
        }
        if emitted.is_empty() {
            return Ok(0);
        }
        self.write(&emitted, listed_at).await?;
        tracing::debug!(flow = %self.flow(), checkpoints = emitted.len(), "checkpoints emitted");
        let count = emitted.len();
        for cp in emitted {
            self.store.insert(cp);
        }
        Ok(count)
    }

    async fn write(
        &self,
        checkpoints: &[Checkpoint],
        timestamp: i64,
    ) -> Result<(), ReplicateError> {
        let mut records = Vec::with_capacity(checkpoints.len());
        for (i, cp) in checkpoints.iter().enumerate() {
            let (key, value) = cp
                .encode()
                .map_err(|e| ReplicateError::Format(e.to_string()))?;
            records.push(Record {
                offset: i as i64,
                timestamp,
                key: Some(key),
                value: Some(value),
                headers: Vec::new(),
            });
        }
        let tp = TopicPartition::new(self.settings.topic.clone(), 0);
        for chunk in records.chunks(2000) {
            let batch = BatchView::new(BatchBuilder::default().build(chunk)?)?;
            self.producer.send(tp.clone(), batch).await?.await?;
        }
        Ok(())
    }

    /// Commits the newest checkpoints into the target's groups that have no active members,
    /// never moving a partition back.
    async fn sync_groups(&mut self) {
        let groups: Vec<String> = self
            .store
            .groups()
            .into_iter()
            .filter(|g| (self.settings.select_group)(g))
            .map(str::to_owned)
            .collect();
        for group in groups {
            let Some(checkpoints) = self.store.group(&group) else {
                continue;
            };
            let translated = checkpoints
                .iter()
                .map(|(tp, cp)| (tp.clone(), (cp.downstream, cp.metadata.clone())))
                .collect();
            let plan = match plan_group(&self.target, &group, &translated).await {
                Ok(plan) => plan,
                Err(e) => {
                    self.counts.group_sync_failures += 1;
                    tracing::warn!(flow = %self.flow(), group, error = %e, "reading the target group failed");
                    continue;
                }
            };
            if let TargetGroup::Active(state) = &plan.state {
                self.counts.groups_skipped_active += 1;
                tracing::debug!(flow = %self.flow(), group, state, "target group has active members; not synced");
                continue;
            }
            if plan.writes().next().is_none() {
                continue;
            }
            match apply_plan(&self.target, &plan).await {
                Ok(applied) => {
                    self.counts.group_offsets_synced += applied.written.len() as u64;
                    self.counts.group_sync_failures += applied.failed.len() as u64;
                    for (tp, e) in &applied.failed {
                        tracing::warn!(flow = %self.flow(), group, partition = %tp, error = %e, "group offset not synced");
                    }
                    tracing::debug!(flow = %self.flow(), group, written = applied.written.len(), "group offsets synced");
                }
                Err(e) => {
                    self.counts.group_sync_failures += 1;
                    tracing::warn!(flow = %self.flow(), group, error = %e, "group offsets not synced")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(group: &str, upstream: i64, downstream: i64) -> Checkpoint {
        Checkpoint {
            group: group.into(),
            topic: "A.t".into(),
            partition: 0,
            upstream,
            downstream,
            metadata: String::new(),
        }
    }

    fn record(cp: &Checkpoint) -> Record {
        let (key, value) = cp.encode().unwrap();
        Record {
            offset: 0,
            timestamp: 0,
            key: Some(key),
            value: Some(value),
            headers: vec![],
        }
    }

    #[test]
    fn monotonicity_follows_mm2() {
        let mut store = CheckpointStore::default();
        assert!(
            store.is_more_recent(&cp("g", 10, 10)),
            "first of its partition"
        );
        store.insert(cp("g", 10, 10));
        assert!(!store.is_more_recent(&cp("g", 10, 10)), "a repeat");
        assert!(
            store.is_more_recent(&cp("g", 12, 11)),
            "target offset forward"
        );
        assert!(!store.is_more_recent(&cp("g", 12, 9)), "target offset back");
        assert!(
            store.is_more_recent(&cp("g", 3, 3)),
            "the group rewound on the source"
        );
        assert!(store.is_more_recent(&cp("h", 10, 10)), "another group");
    }

    #[test]
    fn the_last_record_wins_and_garbage_is_skipped() {
        let mut store = CheckpointStore::default();
        let mut garbage = record(&cp("g", 1, 1));
        garbage.value = Some(bytes::Bytes::from_static(&[0, 7]));
        let tombstone = Record {
            value: None,
            ..record(&cp("g", 1, 1))
        };
        store.apply(&[
            record(&cp("g", 5, 4)),
            garbage,
            tombstone,
            record(&cp("g", 8, 7)),
        ]);
        let g = store.group("g").unwrap();
        let latest = &g[&TopicPartition::new("A.t", 0)];
        assert_eq!((latest.upstream, latest.downstream), (8, 7));
        assert_eq!(store.groups().into_iter().collect::<Vec<_>>(), ["g"]);
    }
}
