//! Stage 6, offset syncs (KIP-382 OffsetSync, MM2's OffsetSyncWriter; docs/mm2-compatibility.md
//! "Offset syncs"): each acker emits its partition's syncs from the target's acknowledgements
//! into a bounded queue, dropping (and counting) when it is full; one task writes them, in
//! order, to `mm2-offset-syncs.<cluster>.internal` partition 0 through its own idempotent
//! producer, so the data path never waits on it. A failed write is logged and dropped, as MM2
//! does: the next sync of the partition describes the positions before it again (its
//! segment), so only a short stretch falls back to MM2's conservative translation.

use std::sync::Arc;

use kwire::batch::{BatchBuilder, BatchView, Record};
use kwire::client::{Client, IdempotentProducer, ProducerConfig, TopicPartition};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Flow;
use super::metrics::FlowMetrics;
use super::plan::SourceOffsets;
use crate::error::ReplicateError;
use crate::internal_topics::{create_compacted_topic, now_millis};
use crate::offsets::sync::{PartitionSyncs, SyncRecord};
use crate::settings::{FlowSettings, OffsetSyncSettings};

impl Flow {
    pub(super) fn sync_emitter(&self, tp: &TopicPartition, start: i64) -> Option<AckerSyncs> {
        let sender = self.syncs.clone()?;
        let lag_max = self.settings.offset_syncs.as_ref()?.lag_max;
        Some(AckerSyncs {
            state: PartitionSyncs::new(&tp.topic, tp.partition, lag_max, start),
            sender,
            out: Vec::new(),
            metrics: self.metrics.clone(),
        })
    }
}

/// One acker's offset-sync state and the way to the writer.
pub(super) struct AckerSyncs {
    state: PartitionSyncs,
    sender: mpsc::Sender<SyncRecord>,
    out: Vec<SyncRecord>,
    metrics: Arc<FlowMetrics>,
}

impl AckerSyncs {
    /// A batch's records landed from the acknowledged base offset on.
    pub(super) fn landed(&mut self, sources: &SourceOffsets, delivery: &kwire::client::Delivery) {
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

    pub(super) fn processed(&mut self, through: i64) {
        self.state.processed(through);
    }

    pub(super) fn idle(&mut self) {
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

/// At most this many syncs per produced batch.
const MAX_BATCH: usize = 2000;

/// Syncs waiting for the writer, at most. Each sync describes its own stretch of positions, so
/// one that is dropped while the syncs cluster is slow only makes translation inside that
/// stretch conservative (MM2's answer) instead of exact; it never holds back replication and
/// never makes a translation wrong.
pub const SYNC_QUEUE: usize = 8192;

/// A running writer: send syncs into `sender`; drop every sender, then await `task` to have
/// everything sent written.
#[derive(Debug)]
pub struct SyncWriter {
    pub sender: mpsc::Sender<SyncRecord>,
    pub task: JoinHandle<()>,
}

/// The flow's offset-sync writer, on the cluster that holds the offset-syncs topic; `None` when
/// `emit.offset-syncs.enabled=false`.
pub(super) async fn start_offset_syncs(
    source: &Client,
    target: &Client,
    settings: &FlowSettings,
) -> Result<Option<SyncWriter>, ReplicateError> {
    let sync_writer = match &settings.offset_syncs {
        Some(syncs) => {
            let cluster = if syncs.on_target { target } else { source };
            let client = syncs.client.clone().unwrap_or_else(|| cluster.clone());
            Some(start_sync_writer(client, syncs).await?)
        }
        None => None,
    };
    Ok(sync_writer)
}

/// Creates the single-partition compacted topic when missing, and starts the writer task.
pub async fn start_sync_writer(
    client: Client,
    settings: &OffsetSyncSettings,
) -> Result<SyncWriter, ReplicateError> {
    let setting = "offset-syncs.topic.replication.factor";
    create_compacted_topic(
        &client,
        &settings.topic,
        settings.replication_factor,
        setting,
    )
    .await?;
    let producer = IdempotentProducer::new(client.clone(), ProducerConfig::default()).await?;
    let (sender, receiver) = mpsc::channel(SYNC_QUEUE);
    let tp = TopicPartition::new(settings.topic.clone(), 0);
    let task = tokio::spawn(write_syncs(client, producer, tp, receiver));
    Ok(SyncWriter { sender, task })
}

async fn write_syncs(
    client: Client,
    producer: IdempotentProducer,
    tp: TopicPartition,
    mut receiver: mpsc::Receiver<SyncRecord>,
) {
    let mut pending = Vec::new();
    while let Some(first) = receiver.recv().await {
        pending.push(first);
        while pending.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(sync) => pending.push(sync),
                Err(_) => break,
            }
        }
        let count = pending.len();
        if let Err(e) = write(&producer, &tp, &pending).await {
            tracing::warn!(cluster = client.cluster_name(), topic = %tp.topic, syncs = count, error = %e, "offset syncs not written");
        }
        pending.clear();
    }
    producer.close().await;
}

async fn write(
    producer: &IdempotentProducer,
    tp: &TopicPartition,
    syncs: &[SyncRecord],
) -> Result<(), ReplicateError> {
    let now = now_millis();
    let mut records = Vec::with_capacity(syncs.len());
    for (i, sync) in syncs.iter().enumerate() {
        let (key, value) = sync
            .encode()
            .map_err(|e| ReplicateError::Format(e.to_string()))?;
        records.push(Record {
            offset: i as i64,
            timestamp: now,
            key: Some(key),
            value: Some(value),
            headers: Vec::new(),
        });
    }
    let batch = BatchView::new(BatchBuilder::default().build(&records)?)?;
    producer.send(tp.clone(), batch).await?.await?;
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
