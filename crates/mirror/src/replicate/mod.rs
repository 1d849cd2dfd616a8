//! Per-flow replication `A->B`, the MM2 MirrorSourceConnector equivalent (KIP-382): topic
//! discovery and creation, the fetch → forward/re-encode → idempotent produce path, and source
//! positions stored after the target's acknowledgement.

mod flow;
mod metrics;
pub mod positions;
pub mod store;
mod topics;
pub mod transform;

use std::sync::Arc;
use std::time::Duration;

pub use crate::config::model::DataLossPolicy;
pub use flow::run_flow;
pub use metrics::{FlowMetrics, MetricsSnapshot};

/// Where a partition with no stored position starts (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    #[default]
    Earliest,
    Latest,
}

/// A predicate over names (topics, config keys), as decided by the policy layer.
pub type NameFilter = Arc<dyn Fn(&str) -> bool + Send + Sync>;
/// Source topic name → target topic name (the replication policy).
pub type TopicRenamer = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Everything one flow's replication needs to know, already resolved from configuration.
#[derive(Clone)]
pub struct FlowSettings {
    pub source_alias: String,
    pub target_alias: String,
    /// True for source topics this flow replicates (filters, internal topics, cycles applied).
    pub select_topic: NameFilter,
    /// The remote topic name on the target.
    pub remote_topic: TopicRenamer,
    /// True for topic config keys not copied to the target (`config.properties.exclude`).
    pub exclude_config: NameFilter,
    /// `replication.factor` for created topics (-1: broker default).
    pub replication_factor: i16,
    /// `refresh.topics.interval.seconds`.
    pub refresh_topics_interval: Duration,
    /// Source isolation: read_committed unless the user set `isolation.level=read_uncommitted`.
    pub read_committed: bool,
    /// `auto.offset.reset` for partitions without a stored position.
    pub start_from: StartFrom,
    /// `strait.data.loss.policy`.
    pub data_loss: DataLossPolicy,
    /// The Connect offsets topic on the target (`mm2-offsets.<source>.internal`).
    pub offsets_topic: String,
    /// Partitions and replication factor when strait creates the offsets topic.
    pub offsets_topic_partitions: i32,
    pub offsets_topic_replication_factor: i16,
    /// Connector name in the offsets topic keys (`MirrorSourceConnector` in dedicated mode).
    pub connector_name: String,
    /// How often acknowledged positions are written (`offset.flush.interval.ms`).
    pub position_flush_interval: Duration,
    /// `max.partition.fetch.bytes` of the source consumer.
    pub max_partition_fetch_bytes: i32,
    /// `fetch.max.wait.ms` of the source consumer.
    pub fetch_max_wait: Duration,
    /// MirrorMaker 1: positions are this source consumer group's committed offsets, written
    /// every `position_flush_interval`, instead of Connect offsets in `offsets_topic`.
    pub source_group: Option<String>,
    /// Offset syncs (`emit.offset-syncs.enabled`); `None` writes none.
    pub offset_syncs: Option<crate::offsets::writer::OffsetSyncSettings>,
}

impl std::fmt::Debug for FlowSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowSettings")
            .field(
                "flow",
                &format_args!("{}->{}", self.source_alias, self.target_alias),
            )
            .field("replication_factor", &self.replication_factor)
            .field("read_committed", &self.read_committed)
            .field("start_from", &self.start_from)
            .field("data_loss", &self.data_loss)
            .field("offsets_topic", &self.offsets_topic)
            .field("offset_syncs", &self.offset_syncs)
            .finish_non_exhaustive()
    }
}

impl FlowSettings {
    /// MM2's defaults for flow `source->target`, replicating every non-internal topic with the
    /// default replication policy (`source.` prefix).
    pub fn new(source_alias: &str, target_alias: &str) -> Self {
        let prefix = format!("{source_alias}.");
        FlowSettings {
            source_alias: source_alias.to_owned(),
            target_alias: target_alias.to_owned(),
            select_topic: Arc::new(|_| true),
            remote_topic: Arc::new(move |t| format!("{prefix}{t}")),
            exclude_config: Arc::new(|_| false),
            replication_factor: 2,
            refresh_topics_interval: Duration::from_secs(600),
            read_committed: true,
            start_from: StartFrom::Earliest,
            data_loss: DataLossPolicy::Fail,
            offsets_topic: format!("mm2-offsets.{source_alias}.internal"),
            offsets_topic_partitions: 25,
            offsets_topic_replication_factor: 3,
            connector_name: positions::SOURCE_CONNECTOR.to_owned(),
            position_flush_interval: Duration::from_secs(1),
            max_partition_fetch_bytes: 1 << 20,
            fetch_max_wait: Duration::from_millis(500),
            source_group: None,
            offset_syncs: None,
        }
    }
}

/// Errors of the replication layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicateError {
    #[error(transparent)]
    Kafka(#[from] kwire::error::Error),
    #[error("malformed record batch: {0}")]
    Batch(#[from] kwire::batch::BatchError),
    #[error("internal record format: {0}")]
    Format(String),
    #[error("cluster '{cluster}': topic '{topic}' did not become available")]
    TopicUnavailable { cluster: String, topic: String },
    #[error(
        "consumer group '{group}' has active members on the target (state {state}); stop its consumers first"
    )]
    GroupActive { group: String, state: String },
    #[error(
        "consumer group '{group}' on the source has active members, so strait cannot commit this MirrorMaker 1 flow's positions to it; stop MirrorMaker 1 first"
    )]
    SourceGroupActive { group: String },
}

impl ReplicateError {
    /// Whether trying again later may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            ReplicateError::Kafka(e) => e.is_retriable(),
            ReplicateError::Batch(_) | ReplicateError::Format(_) => false,
            ReplicateError::TopicUnavailable { .. } => true,
            ReplicateError::GroupActive { .. } | ReplicateError::SourceGroupActive { .. } => false,
        }
    }
}
