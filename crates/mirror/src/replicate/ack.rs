//! Stage 4, acknowledge: one task per partition awaits the target's acknowledgements in source
//! order, records the replicated source position for the positions stage, feeds the offset-syncs
//! emitter, and on a failed produce restarts the partition from the last acknowledged position.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use kwire::client::{DeliveryFuture, TopicPartition};
use tokio::sync::mpsc;
use tokio::time::Interval;

use super::Flow;
use super::metrics::FlowMetrics;
use super::offset_syncs::AckerSyncs;
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
    /// Starts the acker of one partition: a task that waits for its acknowledgements in order,
    /// recording the replicated position.
    pub(super) fn spawn_acker(
        &mut self,
        tp: TopicPartition,
        acked_before: i64,
    ) -> mpsc::UnboundedSender<Pending> {
        let (tx, rx) = mpsc::unbounded_channel::<Pending>();
        let syncs = self.sync_emitter(&tp, acked_before + 1);
        let mut idle = tokio::time::interval(self.settings.position_flush_interval);
        idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let acker = Acker {
            tp,
            last: acked_before,
            acked: self.acked.clone(),
            metrics: self.metrics.clone(),
            failures: self.failures.0.clone(),
            syncs,
        };
        self.ackers.spawn(acker.run(rx, idle));
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

/// One partition's acker task.
struct Acker {
    tp: TopicPartition,
    /// The last acknowledged source offset.
    last: i64,
    acked: Acked,
    metrics: Arc<FlowMetrics>,
    failures: mpsc::UnboundedSender<Failure>,
    syncs: Option<AckerSyncs>,
}

impl Acker {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Pending>, mut idle: Interval) {
        loop {
            let pending = tokio::select! {
                pending = rx.recv() => match pending {
                    Some(pending) => pending,
                    None => break,
                },
                _ = idle.tick() => {
                    // A quiet partition still gets a sync for its newest position.
                    if let Some(syncs) = &mut self.syncs {
                        syncs.idle();
                    }
                    continue;
                }
            };
            let Some(position) = self.settle(pending).await else {
                return;
            };
            self.last = position;
            if let Some(syncs) = &mut self.syncs {
                syncs.processed(position);
            }
            if let Ok(mut map) = self.acked.lock() {
                map.insert(self.tp.clone(), position);
            }
        }
        if let Some(syncs) = &mut self.syncs {
            syncs.idle();
        }
    }

    /// The source position one step reaches once the target acknowledged it; `None` when a
    /// produce failed: the flow restarts the partition from the last acknowledged position.
    async fn settle(&mut self, pending: Pending) -> Option<i64> {
        match pending {
            Pending::Skipped(offset) => Some(offset),
            Pending::Produced(futures, offset) => {
                for (future, sources) in futures {
                    match future.await {
                        Ok(delivery) => {
                            if let Some(syncs) = &mut self.syncs {
                                syncs.landed(&sources, &delivery);
                            }
                        }
                        Err(e) => {
                            FlowMetrics::add(&self.metrics.produce_failures, 1);
                            tracing::warn!(partition = %self.tp, error = %e, resume_at = self.last + 1, "produce failed; replaying from the last acknowledged position");
                            let _ = self.failures.send((self.tp.clone(), self.last));
                            return None;
                        }
                    }
                }
                Some(offset)
            }
        }
    }
}
