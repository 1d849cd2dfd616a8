//! Key names and their classification for MM2 dedicated mode (KIP-382 `MirrorMakerConfig`;
//! `docs/mm2-compatibility.md`, "Configuration keys and defaults"): which keys are connector settings, which are client
//! security keys copied to producer/consumer/admin, which are worker settings.

/// The cluster alias list.
pub(crate) const CLUSTERS: &str = "clusters";
/// strait's own keys live under this prefix.
pub(crate) const STRAIT_PREFIX: &str = "strait.";
/// Client roles of a cluster's properties.
pub(crate) const ROLES: [&str; 3] = ["producer", "consumer", "admin"];

/// Keys defined by the MM2 connector ConfigDefs (MirrorSourceConfig, MirrorCheckpointConfig,
/// MirrorHeartbeatConfig, their Connect `ConnectorConfig` base), including the 3.x names
/// removed in 4.0. MM2 passes top-level keys to connectors only if they are in this set.
pub(crate) const CONNECTOR_KEYS: &[&str] = &[
    "enabled",
    "name",
    "connector.class",
    "tasks.max",
    "key.converter",
    "value.converter",
    "header.converter",
    "transforms",
    "predicates",
    "config.action.reload",
    "errors.retry.timeout",
    "errors.retry.delay.max.ms",
    "errors.tolerance",
    "errors.log.enable",
    "errors.log.include.messages",
    "exactly.once.support",
    "transaction.boundary",
    "transaction.boundary.interval.ms",
    "offsets.storage.topic",
    "topic.creation.enable",
    "source.cluster.alias",
    "target.cluster.alias",
    "replication.policy.class",
    "replication.policy.separator",
    "replication.policy.internal.topic.separator.enabled",
    "admin.timeout.ms",
    "forwarding.admin.class",
    "metric.reporters",
    "topic.filter.class",
    "offset-syncs.topic.location",
    "emit.offset-syncs.enabled",
    "add.source.alias.to.metrics",
    "topics",
    "topics.exclude",
    "topics.blacklist",
    "config.properties.exclude",
    "config.properties.blacklist",
    "config.property.filter.class",
    "use.defaults.from",
    "consumer.poll.timeout.ms",
    "refresh.topics.enabled",
    "refresh.topics.interval.seconds",
    "sync.topic.configs.enabled",
    "sync.topic.configs.interval.seconds",
    "sync.topic.acls.enabled",
    "sync.topic.acls.interval.seconds",
    "replication.factor",
    "offset-syncs.topic.replication.factor",
    "offset.lag.max",
    "heartbeats.replication.enabled",
    "use.incremental.alter.configs",
    "groups",
    "groups.exclude",
    "groups.blacklist",
    "group.filter.class",
    "refresh.groups.enabled",
    "refresh.groups.interval.seconds",
    "emit.checkpoints.enabled",
    "emit.checkpoints.interval.seconds",
    "sync.group.offsets.enabled",
    "sync.group.offsets.interval.seconds",
    "checkpoints.topic.replication.factor",
    "emit.heartbeats.enabled",
    "emit.heartbeats.interval.seconds",
    "heartbeats.topic.replication.factor",
];

/// Top-level prefixes MM2 forwards to every herder's Connect worker (`workerConfig`).
/// Plain prefixes, not dotted: `task` also matches `tasks.max`, as in MM2.
pub(crate) const WORKER_PREFIXES: &[&str] = &[
    "offset.storage",
    "config.storage",
    "status.storage",
    "key.converter",
    "value.converter",
    "header.converter",
    "task",
    "worker",
    "replication.policy",
];

/// Other top-level keys `MirrorMakerConfig` itself understands.
const MM2_TOP_LEVEL: &[&str] = &[
    CLUSTERS,
    "dedicated.mode.enable.internal.rest",
    "listeners",
    "rest.advertised.host.name",
    "rest.advertised.port",
    "rest.advertised.listener",
];

/// `MirrorClientConfig.CLIENT_CONFIG_DEF`: bootstrap servers plus the client SSL and SASL
/// settings. These are copied to a cluster's producer/consumer/admin and inherited from
/// the top level.
pub(crate) fn is_client_key(key: &str) -> bool {
    key == "bootstrap.servers"
        || key == "security.protocol"
        || key.starts_with("ssl.")
        || key.starts_with("sasl.")
}

/// MM2's `(^consumer.*|^producer.*|^admin.*)` test (note: no dot after the role).
pub(crate) fn is_role_prefixed(key: &str) -> bool {
    ROLES.iter().any(|r| key.starts_with(r))
}

/// Keys a connector accepts at top level or after `A->B.`.
pub(crate) fn is_connector_key(key: &str) -> bool {
    CONNECTOR_KEYS.contains(&key)
        || key.starts_with(STRAIT_PREFIX)
        || (is_client_key(key) && key != "bootstrap.servers")
}

/// True for top-level keys MM2 (or strait) uses; anything else is logged and ignored.
pub(crate) fn is_known_top_level(key: &str) -> bool {
    is_connector_key(key)
        || is_client_key(key)
        || MM2_TOP_LEVEL.contains(&key)
        || key.starts_with("config.providers")
        || key.starts_with("rest.")
        || key.starts_with("listeners.")
        || WORKER_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Top-level keys to suggest for a misspelled one.
pub(crate) fn top_level_names() -> impl Iterator<Item = &'static str> {
    CONNECTOR_KEYS
        .iter()
        .chain(MM2_TOP_LEVEL)
        .chain(super::client_keys::WORKER)
        .copied()
        .chain(super::client_keys::role_keys("admin"))
}

/// Keys to suggest for a misspelled key after `A->B.`.
pub(crate) fn flow_names() -> impl Iterator<Item = &'static str> {
    CONNECTOR_KEYS
        .iter()
        .copied()
        .chain(["strait.data.loss.policy"])
}

/// True for keys that make sense after an `A->B.` prefix.
pub(crate) fn is_known_flow_key(key: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "source.cluster.",
        "target.cluster.",
        "source.consumer.",
        "source.producer.",
        "source.admin.",
        "target.consumer.",
        "target.producer.",
        "target.admin.",
        "consumer.",
        "producer.",
        "admin.",
    ];
    is_connector_key(key) || PREFIXES.iter().any(|p| key.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert!(is_client_key("sasl.jaas.config"));
        assert!(is_client_key("bootstrap.servers"));
        assert!(!is_client_key("producer.acks"));
        assert!(is_role_prefixed("consumer.max.poll.records"));
        assert!(is_role_prefixed("admin.x"));
        assert!(!is_role_prefixed("config.storage.topic"));
        assert!(is_connector_key("topics"));
        assert!(is_connector_key("strait.data.loss.policy"));
        assert!(!is_connector_key("bootstrap.servers"));
        assert!(is_known_top_level("offset.storage.replication.factor"));
        assert!(is_known_top_level("tasks.max"));
        assert!(!is_known_top_level("producer.linger.ms"));
        assert!(!is_known_top_level("made.up"));
        assert!(is_known_flow_key("producer.override.linger.ms"));
        assert!(is_known_flow_key("source.consumer.isolation.level"));
    }
}
