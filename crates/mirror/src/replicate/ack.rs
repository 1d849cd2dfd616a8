//! Stage 4, acknowledge: one task per partition awaits the target's acknowledgements in source
//! order, records the replicated source position for the positions stage, feeds the offset-syncs
//! emitter, and on a failed produce restarts the partition from the last acknowledged position.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use kwire::client::{DeliveryFuture, TopicPartition};
use tokio::sync::mpsc;

use super::Flow;
use super::metrics::FlowMetrics;
use super::plan::SourceOffsets;

/// Acknowledged source positions (last replicated offset) not yet written to the store.
pub(super) type Acked = Arc<Mutex<BTreeMap<TopicPartition, i64>>>;

/// A partition whose produce failed, and its last acknowledged source offset.
pub(super) type Failure = (TopicPartition, i64);

/// One step's outcome to wait for, in source order.
pub(super) enum Pending {
    Produced(Vec<(DeliveryFuture, SourceOffsets)>, i64),
    Skipped(i64),
}

impl Flow {
    /// Waits for acknowledgements of one partition in order, recording the replicated position.
    pub(super) fn spawn_acker(
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

    pub(super) fn restart_partition(&mut self, tp: &TopicPartition, acked: i64) {
        let acks = self.spawn_acker(tp.clone(), acked);
        if let Some(state) = self.partitions.get_mut(tp) {
            state.next_offset = acked + 1;
            state.acks = acks;
        }
    }
}
