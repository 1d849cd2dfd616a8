//! The running flow `A->B` (design.md "Data flow"): fetch from source leaders, plan each batch
//! (forward or re-encode), produce in order through one idempotent producer, and advance the
//! stored source position only after the target acknowledged everything before it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use kwire::client::{
    Client, DeliveryFuture, FetchOptions, FetchPartition, IdempotentProducer, IsolationLevel,
    OffsetSpec, ProducerConfig, TopicPartition,
};
use kwire::protocol::ResponseError;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::metrics::FlowMetrics;
use super::store::{ConnectOffsets, PositionStore};
use super::transform::{Path, SourceOffsets, Step, TransformContext, plan};
use crate::error::ReplicateError;
use crate::offsets::sync::{PartitionSyncs, SyncRecord};
use crate::offsets::writer::{SyncWriter, start_sync_writer};
use crate::settings::{DataLossPolicy, FlowSettings, StartFrom};
use crate::topics::{MirroredTopic, discover, sync_remote_topics};

/// Acknowledged source positions (last replicated offset) not yet written to the store.
type Acked = Arc<Mutex<BTreeMap<TopicPartition, i64>>>;

/// Pause after a failed fetch of the whole round (e.g. a source broker restarting).
const RETRY_BACKOFF: std::time::Duration = std::time::Duration::from_millis(500);

/// A partition whose produce failed, and its last acknowledged source offset.
type Failure = (TopicPartition, i64);

/// One step's outcome to wait for, in source order.
enum Pending {
    Produced(Vec<(DeliveryFuture, SourceOffsets)>, i64),
    Skipped(i64),
}

struct PartitionState {
    target: TopicPartition,
    next_offset: i64,
    max_batch_bytes: usize,
    acks: mpsc::UnboundedSender<Pending>,
}

/// Runs flow `A->B` until `shutdown` turns true, then drains in-flight produce, stores the
/// final positions and returns.
pub async fn run_flow(
    source: Client,
    target: Client,
    settings: FlowSettings,
    metrics: Arc<FlowMetrics>,
    shutdown: watch::Receiver<bool>,
) -> Result<(), ReplicateError> {
    let store = open_store(&source, &target, &settings).await?;
    let stored = store.load().await?;
    tracing::info!(flow = %flow_name(&settings), positions = stored.len(), store = %store.describe(), "loaded source positions");
    let producer = Arc::new(IdempotentProducer::new(target.clone(), producer_config()).await?);
    let sync_writer = match &settings.offset_syncs {
        Some(syncs) => {
            let cluster = if syncs.on_target { &target } else { &source };
            let client = syncs.client.clone().unwrap_or_else(|| cluster.clone());
            Some(start_sync_writer(client, syncs).await?)
        }
        None => None,
    };
    let syncs = sync_writer.as_ref().map(|w| w.sender.clone());
    let mut flow = Flow {
        source,
        target,
        settings,
        metrics,
        producer: producer.clone(),
        stored,
        topics: HashMap::new(),
        partitions: BTreeMap::new(),
        acked: Arc::new(Mutex::new(BTreeMap::new())),
        ackers: JoinSet::new(),
        failures: mpsc::unbounded_channel(),
        syncs,
    };
    let result = flow.run(&store, &shutdown).await;
    flow.partitions.clear();
    while flow.ackers.join_next().await.is_some() {}
    // The ackers sent their last syncs when they stopped: let the writer finish them.
    flow.syncs = None;
    if let Some(SyncWriter { sender, task }) = sync_writer {
        drop(sender);
        let _ = task.await;
    }
    let flushed = flush_positions(&store, &producer, &flow.acked, &flow.metrics).await;
    if let Ok(producer) = Arc::try_unwrap(producer) {
        producer.close().await;
    }
    tracing::info!(flow = %flow_name(&flow.settings), "flow stopped");
    result.and(flushed)
}

async fn open_store(
    source: &Client,
    target: &Client,
    settings: &FlowSettings,
) -> Result<PositionStore, ReplicateError> {
    if let Some(group) = &settings.source_group {
        return Ok(PositionStore::SourceGroup {
            client: source.clone(),
            group: group.clone(),
        });
    }
    let offsets = ConnectOffsets::open(
        target.clone(),
        &settings.offsets_topic,
        settings.offsets_topic_partitions,
        settings.offsets_topic_replication_factor,
        &settings.connector_name,
        &settings.source_alias,
    )
    .await?;
    Ok(PositionStore::Connect(offsets))
}

/// Bounds memory: at most this many batches per partition wait for the target.
fn producer_config() -> ProducerConfig {
    ProducerConfig {
        max_queued_sends: 16,
        ..ProducerConfig::default()
    }
}

fn flow_name(s: &FlowSettings) -> String {
    format!("{}->{}", s.source_alias, s.target_alias)
}

struct Flow {
    source: Client,
    target: Client,
    settings: FlowSettings,
    metrics: Arc<FlowMetrics>,
    producer: Arc<IdempotentProducer>,
    stored: HashMap<TopicPartition, i64>,
    topics: HashMap<String, MirroredTopic>,
    partitions: BTreeMap<TopicPartition, PartitionState>,
    acked: Acked,
    ackers: JoinSet<()>,
    /// Partitions whose produce failed: (source partition, last acknowledged offset).
    failures: (
        mpsc::UnboundedSender<Failure>,
        mpsc::UnboundedReceiver<Failure>,
    ),
    /// Offset syncs to the writer task; `None` when `emit.offset-syncs.enabled=false`.
    syncs: Option<mpsc::Sender<SyncRecord>>,
}

impl Flow {
    /// The flow's loop. A fetch round is never cancelled halfway: every batch handed to the
    /// producer must reach its partition's acker, or a failed send could go unnoticed. So
    /// refresh, flush and shutdown are checked between rounds (a round lasts at most about
    /// `fetch.max.wait.ms` plus the produce backpressure).
    async fn run(
        &mut self,
        store: &PositionStore,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<(), ReplicateError> {
        self.refresh_topics().await?;
        let mut refresh_at = Instant::now() + self.settings.refresh_topics_interval;
        let mut flush_at = Instant::now() + self.settings.position_flush_interval;
        while !*shutdown.borrow() {
            while let Ok((tp, acked)) = self.failures.1.try_recv() {
                self.restart_partition(&tp, acked);
            }
            if Instant::now() >= refresh_at {
                if let Err(e) = self.refresh_topics().await {
                    tracing::warn!(flow = %flow_name(&self.settings), error = %e, "topic refresh failed; retrying at the next interval");
                }
                refresh_at = Instant::now() + self.settings.refresh_topics_interval;
            }
            match self.fetch_round().await {
                Ok(()) => {}
                Err(e) if e.is_retriable() => {
                    tracing::warn!(flow = %flow_name(&self.settings), error = %e, "fetch failed; retrying");
                    tokio::time::sleep(RETRY_BACKOFF).await;
                }
                Err(e) => return Err(e),
            }
            if Instant::now() >= flush_at {
                flush_positions(store, &self.producer, &self.acked, &self.metrics).await?;
                flush_at = Instant::now() + self.settings.position_flush_interval;
            }
        }
        Ok(())
    }

    async fn refresh_topics(&mut self) -> Result<(), ReplicateError> {
        let discovered = discover(&self.source, &self.settings).await?;
        let changed = sync_remote_topics(
            &self.source,
            &self.target,
            &self.settings,
            &discovered,
            &self.topics,
        )
        .await?;
        for topic in changed {
            let first_new = self.topics.get(&topic.source).map_or(0, |t| t.partitions);
            let share = self.settings.share;
            let new: Vec<TopicPartition> = (first_new..topic.partitions)
                .filter(|p| share.owns(&topic.source, *p))
                .map(|p| TopicPartition::new(topic.source.clone(), p))
                .collect();
            self.add_partitions(&topic, new).await?;
            self.topics.insert(topic.source.clone(), topic);
        }
        Ok(())
    }

    async fn add_partitions(
        &mut self,
        topic: &MirroredTopic,
        new: Vec<TopicPartition>,
    ) -> Result<(), ReplicateError> {
        let bounds = log_bounds(&self.source, &new).await?;
        for tp in new {
            let Some(&(start, end)) = bounds.get(&tp) else {
                continue;
            };
            let stored = self.stored.get(&tp).copied();
            let next_offset = match stored {
                Some(last) => last + 1,
                None if self.settings.start_from == StartFrom::Latest => end,
                None => start,
            };
            let Some(next_offset) = self.check_loss(&tp, next_offset, start, end) else {
                continue;
            };
            tracing::info!(flow = %flow_name(&self.settings), partition = %tp, next_offset, stored = ?stored, "replicating partition");
            let target = TopicPartition::new(topic.target.clone(), tp.partition);
            let acks = self.spawn_acker(tp.clone(), next_offset - 1);
            let state = PartitionState {
                target,
                next_offset,
                max_batch_bytes: topic.max_batch_bytes,
                acks,
            };
            self.partitions.insert(tp, state);
        }
        Ok(())
    }

    /// Compares the position to resume from with the source log's current range. Returns the
    /// offset to continue at, or `None` when the data-loss policy stops this partition.
    fn check_loss(&self, tp: &TopicPartition, next: i64, start: i64, end: i64) -> Option<i64> {
        let lost = if next < start {
            format!(
                "offsets {next}..{} were deleted by the source before replication",
                start - 1
            )
        } else if next > end {
            format!(
                "the position {next} is beyond the source log end {end}: the topic was re-created or truncated"
            )
        } else {
            return Some(next);
        };
        FlowMetrics::add(&self.metrics.data_loss_events, 1);
        let flow = flow_name(&self.settings);
        match self.settings.data_loss {
            DataLossPolicy::Fail => {
                FlowMetrics::add(&self.metrics.partitions_stopped, 1);
                tracing::error!(%flow, partition = %tp, lost, policy = "fail", "DATA LOSS: source data was never replicated; this partition is stopped (set strait.data.loss.policy=continue to resume from the oldest data)");
                None
            }
            DataLossPolicy::Continue => {
                tracing::error!(%flow, partition = %tp, lost, policy = "continue", resume_at = start, "DATA LOSS: source data was never replicated; continuing from the oldest available offset");
                Some(start)
            }
        }
    }

    /// Waits for acknowledgements of one partition in order, recording the replicated position.
    fn spawn_acker(
        &mut self,
        tp: TopicPartition,
        acked_before: i64,
    ) -> mpsc::UnboundedSender<Pending> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Pending>();
        let acked = self.acked.clone();
        let metrics = self.metrics.clone();
        let failures = self.failures.0.clone();
        let mut syncs = self.sync_emitter(&tp, acked_before + 1);
        let mut idle = tokio::time::interval(self.settings.position_flush_interval);
        idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.ackers.spawn(async move {
            let mut last = acked_before;
            loop {
                let pending = tokio::select! {
                    pending = rx.recv() => match pending {
                        Some(pending) => pending,
                        None => break,
                    },
                    _ = idle.tick() => {
                        // A quiet partition still gets a sync for its newest position.
                        if let Some(syncs) = &mut syncs {
                            syncs.idle();
                        }
                        continue;
                    }
                };
                let position = match pending {
                    Pending::Skipped(offset) => offset,
                    Pending::Produced(futures, offset) => {
                        for (future, sources) in futures {
                            match future.await {
                                Ok(delivery) => {
                                    if let Some(syncs) = &mut syncs {
                                        syncs.landed(&sources, &delivery);
                                    }
                                }
                                Err(e) => {
                                    FlowMetrics::add(&metrics.produce_failures, 1);
                                    tracing::warn!(partition = %tp, error = %e, resume_at = last + 1, "produce failed; replaying from the last acknowledged position");
                                    let _ = failures.send((tp.clone(), last));
                                    return;
                                }
                            }
                        }
                        offset
                    }
                };
                last = position;
                if let Some(syncs) = &mut syncs {
                    syncs.processed(position);
                }
                if let Ok(mut map) = acked.lock() {
                    map.insert(tp.clone(), position);
                }
            }
            if let Some(syncs) = &mut syncs {
                syncs.idle();
            }
        });
        tx
    }

    fn sync_emitter(&self, tp: &TopicPartition, start: i64) -> Option<AckerSyncs> {
        let sender = self.syncs.clone()?;
        let lag_max = self.settings.offset_syncs.as_ref()?.lag_max;
        Some(AckerSyncs {
            state: PartitionSyncs::new(&tp.topic, tp.partition, lag_max, start),
            sender,
            out: Vec::new(),
            metrics: self.metrics.clone(),
        })
    }

    fn restart_partition(&mut self, tp: &TopicPartition, acked: i64) {
        let acks = self.spawn_acker(tp.clone(), acked);
        if let Some(state) = self.partitions.get_mut(tp) {
            state.next_offset = acked + 1;
            state.acks = acks;
        }
    }

    /// One Fetch to every source leader, then every returned batch planned and queued for
    /// produce. Sends wait when a partition's queue is full: that is the backpressure.
    async fn fetch_round(&mut self) -> Result<(), ReplicateError> {
        if self.partitions.is_empty() {
            tokio::time::sleep(self.settings.fetch_max_wait).await;
            return Ok(());
        }
        let options = FetchOptions {
            max_wait: self.settings.fetch_max_wait,
            isolation: self.isolation(),
            ..Default::default()
        };
        let requests = self
            .partitions
            .iter()
            .map(|(tp, s)| FetchPartition {
                tp: tp.clone(),
                offset: s.next_offset,
                max_bytes: self.settings.max_partition_fetch_bytes,
                current_leader_epoch: None,
            })
            .collect();
        let fetched = self.source.fetch(&options, requests).await?;
        let mut retriable_errors = 0;
        for part in fetched {
            match part.result {
                Ok(data) => {
                    FlowMetrics::add(&self.metrics.bytes_fetched, data.records.len() as u64);
                    self.forward(&part.tp, data.records, &data.aborted_transactions)
                        .await?;
                }
                Err(e) if e.code() == Some(ResponseError::OffsetOutOfRange) => {
                    self.out_of_range(&part.tp).await?
                }
                Err(e) if e.is_retriable() => retriable_errors += 1,
                Err(e) => {
                    tracing::error!(flow = %flow_name(&self.settings), partition = %part.tp, error = %e, "fetch failed; partition stopped");
                    FlowMetrics::add(&self.metrics.partitions_stopped, 1);
                    self.partitions.remove(&part.tp);
                }
            }
        }
        if retriable_errors > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(())
    }

    fn isolation(&self) -> IsolationLevel {
        if self.settings.read_committed {
            IsolationLevel::ReadCommitted
        } else {
            IsolationLevel::ReadUncommitted
        }
    }

    async fn forward(
        &mut self,
        tp: &TopicPartition,
        records: bytes::Bytes,
        aborted: &[kwire::client::AbortedTransaction],
    ) -> Result<(), ReplicateError> {
        let Some(state) = self.partitions.get_mut(tp) else {
            return Ok(());
        };
        let ctx = TransformContext {
            read_committed: self.settings.read_committed,
            max_batch_bytes: state.max_batch_bytes,
        };
        let planned = plan(&ctx, state.next_offset, records, aborted)?;
        for step in planned.steps {
            let pending = match step {
                Step::Produce {
                    batches,
                    sources,
                    source_last_offset,
                    path,
                } => {
                    let counter = match path {
                        Path::Forwarded => &self.metrics.batches_forwarded,
                        Path::ReEncoded(_) => &self.metrics.batches_reencoded,
                    };
                    FlowMetrics::add(counter, 1);
                    let mut futures = Vec::with_capacity(batches.len());
                    for (batch, sources) in batches.into_iter().zip(sources) {
                        FlowMetrics::add(
                            &self.metrics.records_replicated,
                            batch.records_count().max(0) as u64,
                        );
                        FlowMetrics::add(
                            &self.metrics.bytes_produced,
                            batch.as_bytes().len() as u64,
                        );
                        let future = self.producer.send(state.target.clone(), batch).await?;
                        futures.push((future, sources));
                    }
                    Pending::Produced(futures, source_last_offset)
                }
                Step::Skip {
                    source_last_offset, ..
                } => {
                    FlowMetrics::add(&self.metrics.batches_skipped, 1);
                    Pending::Skipped(source_last_offset)
                }
            };
            // A closed acker means this partition is being restarted; the rest is replayed.
            let _ = state.acks.send(pending);
        }
        state.next_offset = planned.next_offset;
        Ok(())
    }

    /// The source no longer has the offset we asked for: retention deleted it, or the topic
    /// was re-created. Never skipped in silence.
    async fn out_of_range(&mut self, tp: &TopicPartition) -> Result<(), ReplicateError> {
        let bounds = log_bounds(&self.source, std::slice::from_ref(tp)).await?;
        let Some(&(start, end)) = bounds.get(tp) else {
            return Ok(());
        };
        let Some(state) = self.partitions.get(tp) else {
            return Ok(());
        };
        match self.check_loss(tp, state.next_offset, start, end) {
            Some(next) => {
                if let Some(state) = self.partitions.get_mut(tp) {
                    state.next_offset = next;
                }
            }
            None => {
                self.partitions.remove(tp);
            }
        }
        Ok(())
    }
}

/// One acker's offset-sync state and the way to the writer.
struct AckerSyncs {
    state: PartitionSyncs,
    sender: mpsc::Sender<SyncRecord>,
    out: Vec<SyncRecord>,
    metrics: Arc<FlowMetrics>,
}

impl AckerSyncs {
    /// A batch's records landed from the acknowledged base offset on.
    fn landed(&mut self, sources: &SourceOffsets, delivery: &kwire::client::Delivery) {
        // A broker that reported only "duplicate" names no offset; a count that differs from
        // what was sent means the mapping is not what we think: claim nothing across it.
        if delivery.base_offset < 0 || i64::from(delivery.record_count) != sources.count() {
            self.state.lost_track();
            return;
        }
        let mut downstream = delivery.base_offset;
        for &(upstream, count) in &sources.0 {
            self.state
                .landed(upstream, downstream, count, &mut self.out);
            downstream += count;
        }
        self.send();
    }

    fn processed(&mut self, through: i64) {
        self.state.processed(through);
    }

    fn idle(&mut self) {
        self.state.idle(&mut self.out);
        self.send();
    }

    fn send(&mut self) {
        for sync in self.out.drain(..) {
            // A closed writer means the flow is stopping. A full queue means the syncs cluster
            // is behind: drop rather than stall replication (see `SYNC_QUEUE`).
            if let Err(mpsc::error::TrySendError::Full(_)) = self.sender.try_send(sync) {
                FlowMetrics::add(&self.metrics.offset_syncs_dropped, 1);
            }
        }
    }
}

/// Earliest and latest offsets of source partitions.
async fn log_bounds(
    source: &Client,
    partitions: &[TopicPartition],
) -> Result<HashMap<TopicPartition, (i64, i64)>, ReplicateError> {
    let isolation = IsolationLevel::ReadUncommitted;
    let request = |spec| partitions.iter().map(|tp| (tp.clone(), spec)).collect();
    let earliest = source
        .list_offsets(isolation, request(OffsetSpec::Earliest))
        .await;
    let mut latest = source
        .list_offsets(isolation, request(OffsetSpec::Latest))
        .await;
    let mut out = HashMap::new();
    for (tp, start) in earliest {
        let end = latest
            .remove(&tp)
            .ok_or(ReplicateError::TopicUnavailable {
                cluster: source.cluster_name().to_owned(),
                topic: tp.to_string(),
            })??;
        out.insert(tp, (start?.offset, end.offset));
    }
    Ok(out)
}

/// Writes acknowledged positions that changed since the last flush.
async fn flush_positions(
    store: &PositionStore,
    producer: &IdempotentProducer,
    acked: &Acked,
    metrics: &FlowMetrics,
) -> Result<(), ReplicateError> {
    let changed: Vec<(TopicPartition, i64)> = match acked.lock() {
        Ok(mut map) => std::mem::take(&mut *map).into_iter().collect(),
        Err(_) => return Ok(()),
    };
    if changed.is_empty() {
        return Ok(());
    }
    store.store(producer, &changed).await?;
    FlowMetrics::add(&metrics.positions_stored, changed.len() as u64);
    Ok(())
}

#[cfg(test)]
mod sync_queue_tests {
    use super::*;
    use crate::offsets::records::OffsetSync;

    fn sync(upstream: i64) -> SyncRecord {
        SyncRecord {
            sync: OffsetSync {
                topic: "t".into(),
                partition: 0,
                upstream,
                downstream: upstream,
            },
            segment: None,
        }
    }

    #[test]
    fn a_full_sync_queue_drops_and_counts_instead_of_blocking() {
        let (sender, mut receiver) = mpsc::channel(2);
        let metrics = Arc::new(FlowMetrics::default());
        let mut syncs = AckerSyncs {
            state: PartitionSyncs::new("t", 0, 100, 0),
            sender,
            out: (0..5).map(sync).collect(),
            metrics: metrics.clone(),
        };
        syncs.send();
        assert_eq!(metrics.snapshot().offset_syncs_dropped, 3);
        assert_eq!(receiver.try_recv().ok(), Some(sync(0)));
        assert_eq!(receiver.try_recv().ok(), Some(sync(1)));
        // Room again: nothing more is dropped.
        syncs.out.push(sync(5));
        syncs.send();
        assert_eq!(receiver.try_recv().ok(), Some(sync(5)));
        assert_eq!(metrics.snapshot().offset_syncs_dropped, 3);
    }
}
