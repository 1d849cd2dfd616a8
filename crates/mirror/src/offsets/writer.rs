//! The offset-syncs writer (MM2's OffsetSyncWriter, mm2-behaviour §4.4): the ackers hand syncs
//! to a channel; one task writes them, in order, to `mm2-offset-syncs.<cluster>.internal`
//! partition 0 through its own idempotent producer, so the data path never waits on it. A
//! failed write is logged and dropped, as MM2 does: the next sync of the partition describes
//! the positions before it again (its segment), so only a short stretch falls back to MM2's
//! conservative translation.

use kwire::batch::{BatchBuilder, BatchView, Record};
use kwire::client::{Client, IdempotentProducer, ProducerConfig, TopicPartition};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::sync::SyncRecord;
use crate::error::ReplicateError;
use crate::internal_topics::{create_compacted_topic, now_millis};
use crate::settings::OffsetSyncSettings;

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
