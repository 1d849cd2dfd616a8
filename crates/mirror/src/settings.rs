//! The engine's settings, already resolved from configuration by the runtime module (MM2's
//! MirrorSourceConnector keys, see docs/mm2-compatibility.md "Configuration keys and defaults"):
//! what one flow replicates and how, its offset syncs, and this process's share of the
//! partitions when several instances run the same configuration.

use std::sync::Arc;
use std::time::Duration;

use kwire::client::Client;
pub use strait_config::model::DataLossPolicy;

/// Connector name Java MM2 uses in dedicated mode for the source connector's offsets.
pub const SOURCE_CONNECTOR: &str = "MirrorSourceConnector";

/// Where a partition with no stored position starts (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    #[default]
    Earliest,
    Latest,
}

/// This process's share of a flow's partitions when several strait processes run the same
/// configuration (`strait run --instance I/N`, e.g. a Strimzi resource's `replicas`): partition
/// `p` of topic `t` belongs to instance `(fnv1a32(t) + p) mod N`, so the partitions of one topic
/// spread over all instances and every partition has exactly one owner, without coordination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    index: u32,
    count: u32,
}

impl Default for Share {
    fn default() -> Self {
        Share { index: 0, count: 1 }
    }
}

impl Share {
    /// Instance `index` of `count`; `None` unless `index < count`.
    pub fn new(index: u32, count: u32) -> Option<Self> {
        (index < count).then_some(Share { index, count })
    }

    /// This instance's number.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many instances share the flows.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether this instance copies `partition` of `topic`.
    pub fn owns(&self, topic: &str, partition: i32) -> bool {
        let hash = topic.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let slot = u64::from(hash) + u64::from(partition.unsigned_abs());
        slot % u64::from(self.count) == u64::from(self.index)
    }
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
    /// Which partitions this process copies.
    pub share: Share,
    /// Offset syncs (`emit.offset-syncs.enabled`); `None` writes none.
    pub offset_syncs: Option<OffsetSyncSettings>,
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
            .field(
                "share",
                &format_args!("{}/{}", self.share.index, self.share.count),
            )
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
            connector_name: SOURCE_CONNECTOR.to_owned(),
            position_flush_interval: Duration::from_secs(1),
            max_partition_fetch_bytes: 1 << 20,
            fetch_max_wait: Duration::from_millis(500),
            source_group: None,
            share: Share::default(),
            offset_syncs: None,
        }
    }
}

/// Offset syncs of one flow (`emit.offset-syncs.enabled`, `offset-syncs.topic.*`,
/// `offset.lag.max`).
#[derive(Clone)]
pub struct OffsetSyncSettings {
    /// `mm2-offset-syncs.<other cluster>.internal`.
    pub topic: String,
    /// `offset-syncs.topic.location=target`; else the source cluster holds the topic.
    pub on_target: bool,
    /// `offset-syncs.topic.replication.factor`.
    pub replication_factor: i16,
    /// `offset.lag.max`.
    pub lag_max: i64,
    /// A client of the cluster holding the topic with the producer's settings (MM2 writes
    /// syncs with the source or target producer config); `None`: the flow's own client of
    /// that cluster.
    pub client: Option<Client>,
}

impl std::fmt::Debug for OffsetSyncSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetSyncSettings")
            .field("topic", &self.topic)
            .field("on_target", &self.on_target)
            .field("replication_factor", &self.replication_factor)
            .field("lag_max", &self.lag_max)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod share_tests {
    use super::Share;

    #[test]
    fn every_partition_has_exactly_one_owner() {
        for count in 1..=5 {
            let shares: Vec<Share> = (0..count).filter_map(|i| Share::new(i, count)).collect();
            let mut per_instance = vec![0usize; count as usize];
            for topic in ["orders", "payments", "a", "", "ümlaut-topic"] {
                for partition in 0..64 {
                    let owners: Vec<u32> = shares
                        .iter()
                        .filter(|s| s.owns(topic, partition))
                        .map(Share::index)
                        .collect();
                    assert_eq!(
                        owners.len(),
                        1,
                        "{topic}-{partition} of {count}: {owners:?}"
                    );
                    per_instance[owners[0] as usize] += 1;
                }
            }
            // Consecutive partitions of a topic go to consecutive instances: an even spread.
            let (min, max) = (per_instance.iter().min(), per_instance.iter().max());
            assert!(
                max.zip(min).is_some_and(|(a, b)| a - b <= 5),
                "{per_instance:?}"
            );
        }
        assert_eq!(Share::new(2, 2), None);
        assert_eq!(Share::default(), Share::new(0, 1).unwrap_or_default());
    }
}
