//! Counters of one flow's data path: how many batches were forwarded untouched versus
//! re-encoded, what was skipped, and every detected loss of source data.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared between the data path and whoever reports them.
#[derive(Debug, Default)]
pub struct FlowMetrics {
    pub batches_forwarded: AtomicU64,
    pub batches_reencoded: AtomicU64,
    pub batches_skipped: AtomicU64,
    pub records_replicated: AtomicU64,
    pub bytes_fetched: AtomicU64,
    pub bytes_produced: AtomicU64,
    pub data_loss_events: AtomicU64,
    pub partitions_stopped: AtomicU64,
    pub produce_failures: AtomicU64,
    pub positions_stored: AtomicU64,
    /// Offset syncs not written because the writer's queue was full.
    pub offset_syncs_dropped: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    pub batches_forwarded: u64,
    pub batches_reencoded: u64,
    pub batches_skipped: u64,
    pub records_replicated: u64,
    pub bytes_fetched: u64,
    pub bytes_produced: u64,
    pub data_loss_events: u64,
    pub partitions_stopped: u64,
    pub produce_failures: u64,
    pub positions_stored: u64,
    pub offset_syncs_dropped: u64,
}

impl FlowMetrics {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            batches_forwarded: get(&self.batches_forwarded),
            batches_reencoded: get(&self.batches_reencoded),
            batches_skipped: get(&self.batches_skipped),
            records_replicated: get(&self.records_replicated),
            bytes_fetched: get(&self.bytes_fetched),
            bytes_produced: get(&self.bytes_produced),
            data_loss_events: get(&self.data_loss_events),
            partitions_stopped: get(&self.partitions_stopped),
            produce_failures: get(&self.produce_failures),
            positions_stored: get(&self.positions_stored),
            offset_syncs_dropped: get(&self.offset_syncs_dropped),
        }
    }
}
