//! Per-flow replication `A->B`, the MM2 MirrorSourceConnector equivalent (KIP-382): the record
//! path as stages, one file each, in the order a record meets them:
//!
//! 1. [`fetch`]: one Fetch per round from the source leaders, positions checked against the
//!    source log (data loss is reported, never skipped).
//! 2. [`plan`]: each fetched batch forwarded as it is or re-encoded.
//! 3. [`produce`]: the planned batches sent in order through one idempotent producer.
//! 4. [`ack`]: a task per partition awaits the target's acknowledgements in order.
//! 5. [`positions`]: acknowledged source positions written to the position store.
//! 6. [`offset_syncs`]: offset syncs emitted from the acknowledgements, written by one task.
//!
//! [`run`] wires the stages and keeps the partitions in step with the topics (remote topics
//! themselves are managed by the crate's `topics` module).

mod ack;
mod fetch;
mod metrics;
pub mod offset_syncs;
pub mod plan;
pub mod positions;
mod produce;
mod run;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kwire::client::{Client, IdempotentProducer, TopicPartition};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub use metrics::{FlowMetrics, MetricsSnapshot};
pub use run::run_flow;

use crate::offsets::sync::SyncRecord;
use crate::settings::FlowSettings;
use crate::topics::MirroredTopic;
use ack::{Acked, Failure, Pending};

/// A partition being replicated: where it goes, where the next fetch starts, and its acker.
struct PartitionState {
    target: TopicPartition,
    next_offset: i64,
    max_batch_bytes: usize,
    acks: mpsc::UnboundedSender<Pending>,
}

/// `source->target`, for logs.
fn flow_name(s: &FlowSettings) -> String {
    format!("{}->{}", s.source_alias, s.target_alias)
}

/// The state of a running flow, shared by its stages.
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
