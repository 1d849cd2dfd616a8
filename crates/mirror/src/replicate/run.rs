//! The running flow `A->B` (KIP-382 MirrorSourceConnector task): wires the stages (fetch → plan → produce → acknowledge → positions → offset syncs), adds
//! partitions as remote topics are created or grow, and drains everything on shutdown.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use kwire::client::{Client, IdempotentProducer, TopicPartition};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::fetch::log_bounds;
use super::metrics::FlowMetrics;
use super::offset_syncs::{SyncWriter, start_offset_syncs};
use super::positions::{PositionStore, flush_positions, open_store};
use super::produce::producer_config;
use super::{Flow, PartitionState, flow_name};
use crate::error::ReplicateError;
use crate::settings::{FlowSettings, StartFrom};
use crate::topics::{MirroredTopic, discover, sync_remote_topics};

/// Pause after a failed fetch of the whole round (e.g. a source broker restarting).
const RETRY_BACKOFF: std::time::Duration = std::time::Duration::from_millis(500);

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
    let sync_writer = start_offset_syncs(&source, &target, &settings).await?;
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
}
