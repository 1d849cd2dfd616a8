//! The one typed configuration model every input format maps onto (`docs/mm2-compatibility.md`,
//! "Configuration keys and defaults"):
//! clusters with their connection security, and replication flows `A->B` with MM2's
//! connector settings, effective client properties and strait's own safety settings.

pub(crate) mod assemble;
pub(crate) mod client_keys;
pub(crate) mod flow;
pub mod jaas;
pub(crate) mod keys;
pub mod security;
pub(crate) mod typed;
pub use typed::MAX_DURATION;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::document::value::ValueMap;
use crate::model::security::SecurityConfig;
use crate::policy::{
    ConfigPropertyFilter, GroupFilter, ReplicationPolicy, TopicFilter, replicates_topic,
};

/// A whole configuration: clusters by alias, and the flows this process drives.
#[derive(Clone, Debug)]
pub struct MirrorConfig {
    /// Clusters taking part in at least one flow, by alias.
    pub clusters: BTreeMap<String, ClusterConfig>,
    /// Flows in `clusters` order (source-major). Includes heartbeats-only flows.
    pub flows: Vec<FlowConfig>,
    /// The file the configuration was read from.
    pub source_file: String,
    /// Keys that were read but are not used by MM2 or strait (key, line).
    pub ignored_keys: Vec<(String, usize)>,
    /// How many strait processes the deployment asks for (`spec.replicas` of a Strimzi
    /// custom resource); `None` when the input does not say (mm2.properties, JSON, CLI).
    pub replicas: Option<u32>,
}

impl MirrorConfig {
    /// The flow `source->target`, if configured.
    pub fn flow(&self, source: &str, target: &str) -> Option<&FlowConfig> {
        self.flows
            .iter()
            .find(|f| f.source == source && f.target == target)
    }

    /// Flows that replicate data (not only heartbeats).
    pub fn enabled_flows(&self) -> impl Iterator<Item = &FlowConfig> {
        self.flows.iter().filter(|f| f.enabled)
    }
}

/// One cluster: `<alias>.*` properties with MM2's top-level fallbacks applied.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// The alias from `clusters`.
    pub alias: String,
    /// `bootstrap.servers`.
    pub bootstrap_servers: Vec<String>,
    /// Cluster-level security (`<alias>.security.protocol`, `.ssl.*`, `.sasl.*`).
    pub security: SecurityConfig,
    /// `<alias>.consumer.*` overrides as written (prefix stripped).
    pub consumer: ValueMap,
    /// `<alias>.producer.*` overrides as written (prefix stripped).
    pub producer: ValueMap,
    /// `<alias>.admin.*` overrides as written (prefix stripped).
    pub admin: ValueMap,
    /// Every other cluster property (Connect worker settings and the like), unprefixed.
    pub other: ValueMap,
}

/// The effective properties of one Kafka client a flow uses.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `bootstrap.servers`.
    pub bootstrap_servers: Vec<String>,
    /// Parsed security settings.
    pub security: SecurityConfig,
    /// All properties after MM2's precedence rules (unprefixed).
    pub props: ValueMap,
}

/// The clients of one flow, each assembled exactly as MM2 assembles it.
#[derive(Clone, Debug)]
pub struct FlowClients {
    /// Reads the source topics (`replication-consumer`).
    pub source_consumer: ClientConfig,
    /// Writes to the source cluster (offset syncs when they live there).
    pub source_producer: ClientConfig,
    /// Admin on the source.
    pub source_admin: ClientConfig,
    /// Reads from the target (checkpoints, offset syncs when they live there).
    pub target_consumer: ClientConfig,
    /// Writes internal records to the target (offset syncs when they live there).
    pub target_producer: ClientConfig,
    /// Admin on the target.
    pub target_admin: ClientConfig,
    /// Writes the replicated records: MM2's Connect worker producer on the target.
    pub replication_producer: ClientConfig,
}

/// A periodic task (`*.enabled` + `*.interval.seconds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Periodic {
    /// Whether it runs.
    pub enabled: bool,
    /// How often.
    #[serde(rename = "interval_seconds", serialize_with = "secs")]
    pub interval: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// `offset-syncs.topic.location`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TopicLocation {
    /// On the source cluster (MM2's default).
    #[default]
    Source,
    /// On the target cluster.
    Target,
}

/// Offset syncs (KIP-1031 `emit.offset-syncs.enabled`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OffsetSyncsConfig {
    /// `emit.offset-syncs.enabled` (default true).
    pub enabled: bool,
    /// `offset-syncs.topic.location` (default source).
    pub location: TopicLocation,
    /// The topic name (from the policy; named after the *other* cluster of the flow).
    pub topic: String,
    /// `offset-syncs.topic.replication.factor` (default 3).
    pub replication_factor: i32,
    /// `offset.lag.max` (default 100).
    pub lag_max: i64,
}

/// Checkpoints (`<source>.checkpoints.internal` on the target).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckpointsConfig {
    /// `emit.checkpoints.enabled` / `.interval.seconds` (true / 60).
    pub emit: Periodic,
    /// The topic name.
    pub topic: String,
    /// `checkpoints.topic.replication.factor` (default 3).
    pub replication_factor: i32,
}

/// Heartbeats (`heartbeats` on the target).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeartbeatsConfig {
    /// `emit.heartbeats.enabled` / `.interval.seconds` (true / 1).
    pub emit: Periodic,
    /// `heartbeats`.
    pub topic: String,
    /// `heartbeats.topic.replication.factor` (default 3).
    pub replication_factor: i32,
    /// `heartbeats.replication.enabled` (KIP-1089, default true): replicate heartbeats
    /// topics even when `topics` excludes them.
    pub replication_enabled: bool,
}

/// Connect worker settings of MM2's herder for this flow (where Java MM2 keeps state).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkerConfig {
    /// `group.id` (default `<source>-mm2`).
    pub group_id: String,
    /// `offset.storage.topic` (default `mm2-offsets.<source>.internal`): source positions.
    pub offsets_topic: String,
    /// `config.storage.topic` (default `mm2-configs.<source>.internal`).
    pub configs_topic: String,
    /// `status.storage.topic` (default `mm2-status.<source>.internal`).
    pub status_topic: String,
    /// The whole Connect worker config of the herder (target cluster props, top-level
    /// `offset.storage.*` and other worker keys): where `offset.storage.replication.factor`,
    /// `offset.storage.partitions` and `offset.flush.interval.ms` come from.
    #[serde(skip)]
    pub props: ValueMap,
}

/// `auto.offset.reset` of the source consumer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoOffsetReset {
    /// `earliest` (MM2's default).
    Earliest,
    /// `latest`.
    Latest,
    /// `none`: fail when there is no position.
    None,
    /// `by_duration:<ISO-8601 duration>` (KIP-1106).
    ByDuration(String),
}

/// `isolation.level` of the source consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IsolationLevel {
    /// Only committed transactional data (strait's default: aborted data is never mirrored).
    ReadCommitted,
    /// Everything, including aborted transactions (Kafka's default).
    ReadUncommitted,
}

/// Producer `acks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Acks {
    /// `all` / `-1` (default).
    All,
    /// `1`.
    Leader,
    /// `0`.
    None,
}

/// `strait.data.loss.policy`: what to do when the source deleted data before it was
/// copied (retention, topic re-created). MM2 silently skips; strait fails by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataLossPolicy {
    /// Stop the affected partition and report (default).
    #[default]
    Fail,
    /// Report, count in metrics, and continue from the earliest available offset.
    Continue,
}

/// Where a flow stores its source positions (the next source offset to copy).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PositionStore {
    /// MM2: Connect source offsets in the worker's `offset.storage.topic` on the target
    /// ([`WorkerConfig::offsets_topic`]), key `["MirrorSourceConnector",{cluster,partition,topic}]`.
    #[default]
    ConnectOffsets,
    /// MirrorMaker 1: offsets committed to a consumer group on the *source* cluster
    /// (`group.id` of the consumer config), every `offset.commit.interval.ms`.
    ConsumerGroup {
        /// The source consumer group.
        group_id: String,
        /// `offset.commit.interval.ms` / `offsetCommitInterval` (default 60000).
        #[serde(rename = "commit_interval_ms", serialize_with = "millis")]
        commit_interval: Duration,
    },
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One replication flow `source->target` (one MM2 herder).
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// Source cluster alias.
    pub source: String,
    /// Target cluster alias.
    pub target: String,
    /// `A->B.enabled` (default false): replicate data and checkpoints. A disabled flow
    /// exists only to emit heartbeats (MM2 `clusterPairs()`).
    pub enabled: bool,
    /// `replication.policy.class` and separators.
    pub replication_policy: ReplicationPolicy,
    /// `topics` / `topics.exclude`.
    pub topic_filter: TopicFilter,
    /// `groups` / `groups.exclude`.
    pub group_filter: GroupFilter,
    /// `config.properties.exclude` / `use.defaults.from`.
    pub config_property_filter: ConfigPropertyFilter,
    /// `replication.factor` for remote topics (default 2; -1 = broker default).
    pub replication_factor: i32,
    /// `refresh.topics.*` (true / 600 s).
    pub refresh_topics: Periodic,
    /// `refresh.groups.*` (true / 600 s).
    pub refresh_groups: Periodic,
    /// `sync.topic.configs.*` (true / 600 s).
    pub sync_topic_configs: Periodic,
    /// `sync.topic.acls.*` (true / 600 s).
    pub sync_topic_acls: Periodic,
    /// `sync.group.offsets.*` (false / 60 s).
    pub sync_group_offsets: Periodic,
    /// Offset syncs.
    pub offset_syncs: OffsetSyncsConfig,
    /// Checkpoints.
    pub checkpoints: CheckpointsConfig,
    /// Heartbeats.
    pub heartbeats: HeartbeatsConfig,
    /// `tasks.max` (default 1).
    pub tasks_max: u32,
    /// `consumer.poll.timeout.ms` (default 1000).
    pub consumer_poll_timeout: Duration,
    /// `admin.timeout.ms` (default 60000).
    pub admin_timeout: Duration,
    /// Source consumer `auto.offset.reset` (MM2 default earliest).
    pub auto_offset_reset: AutoOffsetReset,
    /// Source consumer `isolation.level` (strait default read_committed).
    pub isolation_level: IsolationLevel,
    /// Replication producer `acks` (default all).
    pub acks: Acks,
    /// `strait.data.loss.policy` (default fail).
    pub data_loss_policy: DataLossPolicy,
    /// Connect worker names of the equivalent Java MM2 herder.
    pub worker: WorkerConfig,
    /// Where source positions are stored (MM2's Connect offsets unless the input is
    /// MirrorMaker 1).
    pub position_store: PositionStore,
    /// Effective client properties.
    pub clients: FlowClients,
    /// The connector-level settings after MM2's precedence (top level < `A->B.`), for
    /// anything not modelled above.
    pub raw: ValueMap,
}

impl FlowConfig {
    /// `A->B`.
    pub fn name(&self) -> String {
        format!("{}->{}", self.source, self.target)
    }

    /// The heartbeat connector runs even when the flow is disabled (it does not check
    /// `enabled`), as long as heartbeats are on.
    pub fn emits_heartbeats(&self) -> bool {
        self.heartbeats.emit.enabled
    }

    /// True for a flow that exists only to write heartbeats into its target.
    pub fn is_heartbeats_only(&self) -> bool {
        !self.enabled
    }

    /// Whether the source topic is mirrored (`shouldReplicateTopic`: filter or heartbeats,
    /// never internal, never a cycle). Always false for disabled flows.
    pub fn replicates_topic(&self, topic: &str) -> bool {
        self.enabled
            && replicates_topic(
                &self.topic_filter,
                &self.replication_policy,
                &self.target,
                self.heartbeats.replication_enabled,
                topic,
            )
    }

    /// The remote name of a source topic on the target.
    pub fn remote_topic(&self, topic: &str) -> String {
        self.replication_policy
            .format_remote_topic(&self.source, topic)
    }

    /// The cluster holding the offset-syncs topic.
    pub fn offset_syncs_cluster(&self) -> &str {
        match self.offset_syncs.location {
            TopicLocation::Source => &self.source,
            TopicLocation::Target => &self.target,
        }
    }

    /// The producer that writes offset syncs (source or target, per the location).
    pub fn offset_syncs_producer(&self) -> &ClientConfig {
        match self.offset_syncs.location {
            TopicLocation::Source => &self.clients.source_producer,
            TopicLocation::Target => &self.clients.target_producer,
        }
    }
}
