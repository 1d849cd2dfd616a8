//! Stage 3, produce: the steps planned for a fetched batch sent in source order through the
//! flow's one idempotent producer (KIP-98), each step handed to the partition's acker. A full
//! producer queue makes the send wait: that is the flow's backpressure.

use kwire::batch::BatchView;
use kwire::client::{DeliveryFuture, IdempotentProducer, ProducerConfig, TopicPartition};

use super::Flow;
use super::ack::Pending;
use super::metrics::FlowMetrics;
use super::plan::{Path, SourceOffsets, Step, TransformContext, plan};
use crate::error::ReplicateError;

/// Bounds memory: at most this many batches per partition wait for the target.
pub(super) fn producer_config() -> ProducerConfig {
    ProducerConfig {
        max_queued_sends: 16,
        ..ProducerConfig::default()
    }
}

impl Flow {
    /// Plans the records fetched from one partition and sends each step, in order, to the
    /// producer and to the partition's acker.
    pub(super) async fn forward(
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
                    let futures = send_batches(
                        &self.producer,
                        &self.metrics,
                        &state.target,
                        batches,
                        sources,
                    )
                    .await?;
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
}

/// Sends one step's batches to the target partition; the futures resolve when the target
/// acknowledges each batch.
async fn send_batches(
    producer: &IdempotentProducer,
    metrics: &FlowMetrics,
    target: &TopicPartition,
    batches: Vec<BatchView>,
    sources: Vec<SourceOffsets>,
) -> Result<Vec<(DeliveryFuture, SourceOffsets)>, ReplicateError> {
    let mut futures = Vec::with_capacity(batches.len());
    for (batch, sources) in batches.into_iter().zip(sources) {
        FlowMetrics::add(
            &metrics.records_replicated,
            batch.records_count().max(0) as u64,
        );
        FlowMetrics::add(&metrics.bytes_produced, batch.as_bytes().len() as u64);
        let future = producer.send(target.clone(), batch).await?;
        futures.push((future, sources));
    }
    Ok(futures)
}
