//! Typed flow and cluster settings from the effective MM2 maps, with MM2's defaults
//! (KIP-382: MirrorSourceConfig, MirrorCheckpointConfig, MirrorHeartbeatConfig)
//! and strait's own keys (`strait.data.loss.policy`).

use crate::document::error::{ConfigError, Location};
use crate::document::value::{Value, ValueMap};
use crate::model::assemble::{self, Side};
use crate::model::security::parse_security;
use crate::model::typed::{Reader, parse_bootstrap};
use crate::model::{
    Acks, AutoOffsetReset, CheckpointsConfig, ClientConfig, ClusterConfig, DataLossPolicy,
    FlowClients, FlowConfig, HeartbeatsConfig, IsolationLevel, OffsetSyncsConfig, Periodic,
    PositionStore, TopicLocation, WorkerConfig,
};
use crate::policy::filter::{
    DEFAULT_CONFIG_PROPERTIES_EXCLUDE, DEFAULT_GROUPS, DEFAULT_GROUPS_EXCLUDE, DEFAULT_TOPICS,
    DEFAULT_TOPICS_EXCLUDE,
};
use crate::policy::replication::{
    DEFAULT_POLICY_CLASS, DEFAULT_SEPARATOR, IDENTITY_POLICY_CLASS, STRIMZI_IDENTITY_POLICY_CLASS,
};
use crate::policy::{
    ConfigPropertyFilter, GroupFilter, PatternList, PolicyError, ReplicationPolicy, TopicFilter,
    UseDefaultsFrom,
};

/// Replication factors are INT for remote topics and SHORT for internal topics.
const SHORT_MAX: i32 = i16::MAX as i32;

/// Builds a cluster from its MM2 cluster properties. `clusters_line` is where the alias
/// was declared, for the "missing bootstrap.servers" error.
pub(crate) fn build_cluster(
    file: &str,
    all: &ValueMap,
    alias: &str,
    clusters_line: usize,
) -> Result<ClusterConfig, ConfigError> {
    let props = assemble::cluster_props(all, alias);
    let bootstrap = props
        .get("bootstrap.servers")
        .ok_or_else(|| ConfigError::Missing {
            at: Location::new(file, clusters_line, format!("{alias}.bootstrap.servers")),
            expected: format!(
                "host:port addresses of cluster `{alias}` (listed in `clusters`), or a top-level \
             `bootstrap.servers`"
            ),
        })?;
    let bootstrap_servers = parse_bootstrap(file, "bootstrap.servers", bootstrap)?;
    let own: ValueMap = props
        .iter()
        .filter(|(k, _)| !crate::model::keys::is_role_prefixed(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let security = parse_security(file, &own)?;
    let explicit = |role: &str| assemble::strip_prefix(all, &format!("{alias}.{role}."));
    Ok(ClusterConfig {
        alias: alias.to_owned(),
        bootstrap_servers,
        security,
        consumer: explicit("consumer"),
        producer: explicit("producer"),
        admin: explicit("admin"),
        other: own
            .into_iter()
            .filter(|(k, _)| !crate::model::keys::is_client_key(k))
            .collect(),
    })
}

fn client(file: &str, props: ValueMap, who: &str) -> Result<ClientConfig, ConfigError> {
    let bootstrap = props
        .get("bootstrap.servers")
        .ok_or_else(|| ConfigError::Missing {
            at: Location::new(file, 0, "bootstrap.servers"),
            expected: format!("bootstrap servers for the {who}"),
        })?;
    Ok(ClientConfig {
        bootstrap_servers: parse_bootstrap(file, "bootstrap.servers", bootstrap)?,
        security: parse_security(file, &props)?,
        props,
    })
}

fn build_clients(file: &str, c: &ValueMap, w: &ValueMap) -> Result<FlowClients, ConfigError> {
    let cc = |side, role, who: &str| client(file, assemble::connector_client(c, side, role), who);
    Ok(FlowClients {
        source_consumer: client(file, assemble::source_consumer(c), "source consumer")?,
        source_producer: cc(Side::Source, "producer", "source producer")?,
        source_admin: cc(Side::Source, "admin", "source admin")?,
        target_consumer: cc(Side::Target, "consumer", "target consumer")?,
        target_producer: cc(Side::Target, "producer", "target producer")?,
        target_admin: cc(Side::Target, "admin", "target admin")?,
        replication_producer: client(
            file,
            assemble::replication_producer(w, c),
            "replication producer",
        )?,
    })
}

fn regex_error(file: &str, v: Option<&Value>, key: &str, e: PolicyError) -> ConfigError {
    let at = v.map_or_else(
        || Location::new(file, 0, key),
        |v| Location::of(file, v, key),
    );
    match e {
        PolicyError::Regex { pattern, reason } => ConfigError::Regex {
            at,
            pattern,
            reason,
        },
        PolicyError::UnknownPolicyClass { .. } => ConfigError::InvalidValue {
            at,
            value: v.and_then(Value::for_error),
            expected: format!(
                "one of {DEFAULT_POLICY_CLASS}, {IDENTITY_POLICY_CLASS} or \
                 {STRIMZI_IDENTITY_POLICY_CLASS} (custom policies need a JVM)"
            ),
        },
    }
}

/// A pattern list with MM2's default; `deprecated` is the 3.x name used only when the new
/// key is absent (KIP-629 `*.blacklist`, removed in Kafka 4.0).
fn patterns(
    r: &Reader<'_>,
    key: &str,
    deprecated: Option<&str>,
    default: &str,
) -> Result<PatternList, ConfigError> {
    let (used_key, v) = match (
        r.get(key),
        deprecated.and_then(|d| r.get(d).map(|v| (d, v))),
    ) {
        (Some(v), _) => (key, Some(v)),
        (None, Some((d, v))) => (d, Some(v)),
        (None, None) => (key, None),
    };
    let text = v.map_or(default, Value::expose);
    PatternList::parse_list(text).map_err(|e| regex_error(r.file, v, used_key, e))
}

fn policy(r: &Reader<'_>, source: &str) -> Result<ReplicationPolicy, ConfigError> {
    let key = "replication.policy.class";
    let class = r.str_or(key, DEFAULT_POLICY_CLASS);
    // Kafka reads the separator untrimmed-but-ConfigDef-trimmed; an empty one is allowed.
    let separator = r.str_or("replication.policy.separator", DEFAULT_SEPARATOR);
    let internal = r.bool_or("replication.policy.internal.topic.separator.enabled", true)?;
    ReplicationPolicy::from_class_name(&class, &separator, internal, Some(source.to_owned()))
        .map_err(|e| regex_error(r.file, r.get(key), key, e))
}

fn periodic(
    r: &Reader<'_>,
    prefix: &str,
    enabled: bool,
    secs: u64,
) -> Result<Periodic, ConfigError> {
    Ok(Periodic {
        enabled: r.bool_or(&format!("{prefix}.enabled"), enabled)?,
        interval: r.seconds_or(&format!("{prefix}.interval.seconds"), secs)?,
    })
}

fn auto_offset_reset(file: &str, consumer: &ValueMap) -> Result<AutoOffsetReset, ConfigError> {
    const BY_DURATION: &str = "by_duration:";
    let key = "auto.offset.reset";
    let Some(v) = consumer.get(key) else {
        return Ok(AutoOffsetReset::Earliest);
    };
    let t = v.expose().trim();
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "earliest" => Ok(AutoOffsetReset::Earliest),
        "latest" => Ok(AutoOffsetReset::Latest),
        "none" => Ok(AutoOffsetReset::None),
        // KIP-1106; ISO-8601 durations are case-insensitive, kept as written.
        _ if lower.starts_with(BY_DURATION) && t.len() > BY_DURATION.len() => Ok(
            AutoOffsetReset::ByDuration(t[BY_DURATION.len()..].to_owned()),
        ),
        _ => Err(ConfigError::invalid(
            file,
            v,
            key,
            "earliest, latest, none or by_duration:<ISO-8601 duration>",
        )),
    }
}

fn acks(file: &str, producer: &ValueMap) -> Result<Acks, ConfigError> {
    let r = Reader::new(file, producer);
    r.choice_or(
        "acks",
        Acks::All,
        &[
            ("all", Acks::All),
            ("-1", Acks::All),
            ("1", Acks::Leader),
            ("0", Acks::None),
        ],
    )
}

fn worker(w: &ValueMap) -> WorkerConfig {
    let get = |k: &str| {
        w.get(k)
            .map(|v| v.expose().trim().to_owned())
            .unwrap_or_default()
    };
    WorkerConfig {
        group_id: get("group.id"),
        offsets_topic: get("offset.storage.topic"),
        configs_topic: get("config.storage.topic"),
        status_topic: get("status.storage.topic"),
        props: w.clone(),
    }
}

/// strait implements MM2's default filters only; a custom class would silently change
/// what is mirrored, so it is an error rather than ignored.
fn check_filter_classes(r: &Reader<'_>) -> Result<(), ConfigError> {
    const PACKAGE: &str = "org.apache.kafka.connect.mirror.";
    for (key, class) in [
        ("topic.filter.class", "DefaultTopicFilter"),
        ("group.filter.class", "DefaultGroupFilter"),
        (
            "config.property.filter.class",
            "DefaultConfigPropertyFilter",
        ),
    ] {
        if let Some(v) = r
            .get(key)
            .filter(|v| v.expose().trim() != format!("{PACKAGE}{class}"))
        {
            return Err(ConfigError::invalid(
                r.file,
                v,
                key,
                format!(
                    "{PACKAGE}{class} (custom filters need a JVM; use `topics`, `groups` and their excludes)"
                ),
            ));
        }
    }
    Ok(())
}

fn filters(
    r: &Reader<'_>,
) -> Result<(TopicFilter, GroupFilter, ConfigPropertyFilter), ConfigError> {
    check_filter_classes(r)?;
    let topics = TopicFilter {
        include: patterns(r, "topics", None, DEFAULT_TOPICS)?,
        exclude: patterns(
            r,
            "topics.exclude",
            Some("topics.blacklist"),
            DEFAULT_TOPICS_EXCLUDE,
        )?,
    };
    let groups = GroupFilter {
        include: patterns(r, "groups", None, DEFAULT_GROUPS)?,
        exclude: patterns(
            r,
            "groups.exclude",
            Some("groups.blacklist"),
            DEFAULT_GROUPS_EXCLUDE,
        )?,
    };
    let use_defaults_from = r.choice_or(
        "use.defaults.from",
        UseDefaultsFrom::Target,
        &[
            ("target", UseDefaultsFrom::Target),
            ("source", UseDefaultsFrom::Source),
        ],
    )?;
    let configs = ConfigPropertyFilter {
        exclude: patterns(
            r,
            "config.properties.exclude",
            Some("config.properties.blacklist"),
            DEFAULT_CONFIG_PROPERTIES_EXCLUDE,
        )?,
        use_defaults_from,
    };
    Ok((topics, groups, configs))
}

fn offset_syncs(
    r: &Reader<'_>,
    p: &ReplicationPolicy,
    s: &str,
    t: &str,
) -> Result<OffsetSyncsConfig, ConfigError> {
    let location = r.choice_or(
        "offset-syncs.topic.location",
        TopicLocation::Source,
        &[
            ("source", TopicLocation::Source),
            ("target", TopicLocation::Target),
        ],
    )?;
    // The topic is named after the cluster it does *not* live on.
    let topic = match location {
        TopicLocation::Source => p.offset_syncs_topic(t),
        TopicLocation::Target => p.offset_syncs_topic(s),
    };
    Ok(OffsetSyncsConfig {
        enabled: r.bool_or("emit.offset-syncs.enabled", true)?,
        location,
        topic,
        replication_factor: r.replication_factor_or(
            "offset-syncs.topic.replication.factor",
            3,
            SHORT_MAX,
        )?,
        lag_max: r.long_or("offset.lag.max", 100, 0)?,
    })
}

/// Builds one flow from the whole (resolved) property map.
pub(crate) fn build_flow(
    file: &str,
    all: &ValueMap,
    source: &str,
    target: &str,
) -> Result<FlowConfig, ConfigError> {
    let c = assemble::connector_config(all, source, target);
    let w = assemble::worker_config(all, source, target);
    build_flow_from(file, &c, &w, source, target)
}

/// Builds one flow from an assembled connector config `c` (connector key space:
/// `topics`, `source.cluster.*`, …) and Connect worker config `w` (used by the Strimzi,
/// Connect JSON and MirrorMaker 1 loaders, whose inputs are already in that shape).
pub(crate) fn build_flow_from(
    file: &str,
    c: &ValueMap,
    w: &ValueMap,
    source: &str,
    target: &str,
) -> Result<FlowConfig, ConfigError> {
    let r = Reader::new(file, c);
    let replication_policy = policy(&r, source)?;
    let (topic_filter, group_filter, config_property_filter) = filters(&r)?;
    let clients = build_clients(file, c, w)?;
    let consumer = &clients.source_consumer.props;
    let isolation_level = Reader::new(file, consumer).choice_or(
        "isolation.level",
        IsolationLevel::ReadCommitted,
        &[
            ("read_committed", IsolationLevel::ReadCommitted),
            ("read_uncommitted", IsolationLevel::ReadUncommitted),
        ],
    )?;
    Ok(FlowConfig {
        source: source.to_owned(),
        target: target.to_owned(),
        enabled: r.bool_or("enabled", false)?,
        replication_factor: r.replication_factor_or("replication.factor", 2, i32::MAX)?,
        refresh_topics: periodic(&r, "refresh.topics", true, 600)?,
        refresh_groups: periodic(&r, "refresh.groups", true, 600)?,
        sync_topic_configs: periodic(&r, "sync.topic.configs", true, 600)?,
        sync_topic_acls: periodic(&r, "sync.topic.acls", true, 600)?,
        sync_group_offsets: periodic(&r, "sync.group.offsets", false, 60)?,
        offset_syncs: offset_syncs(&r, &replication_policy, source, target)?,
        checkpoints: CheckpointsConfig {
            emit: periodic(&r, "emit.checkpoints", true, 60)?,
            topic: replication_policy.checkpoints_topic(source),
            replication_factor: r.replication_factor_or(
                "checkpoints.topic.replication.factor",
                3,
                SHORT_MAX,
            )?,
        },
        heartbeats: HeartbeatsConfig {
            emit: periodic(&r, "emit.heartbeats", true, 1)?,
            topic: replication_policy.heartbeats_topic().to_owned(),
            replication_factor: r.replication_factor_or(
                "heartbeats.topic.replication.factor",
                3,
                SHORT_MAX,
            )?,
            replication_enabled: r.bool_or("heartbeats.replication.enabled", true)?,
        },
        tasks_max: u32::try_from(r.int_or("tasks.max", 1, 1)?).unwrap_or(1),
        consumer_poll_timeout: r.millis_or("consumer.poll.timeout.ms", 1000)?,
        admin_timeout: r.millis_or("admin.timeout.ms", 60_000)?,
        auto_offset_reset: auto_offset_reset(file, consumer)?,
        isolation_level,
        acks: acks(file, &clients.replication_producer.props)?,
        data_loss_policy: r.choice_or(
            "strait.data.loss.policy",
            DataLossPolicy::Fail,
            &[
                ("fail", DataLossPolicy::Fail),
                ("continue", DataLossPolicy::Continue),
            ],
        )?,
        worker: worker(w),
        position_store: PositionStore::ConnectOffsets,
        raw: raw_settings(c),
        replication_policy,
        topic_filter,
        group_filter,
        config_property_filter,
        clients,
    })
}

/// Connector-level settings only: cluster-derived `source.*`/`target.*` entries are
/// represented by the typed clients.
fn raw_settings(c: &ValueMap) -> ValueMap {
    c.iter()
        .filter(|(k, _)| {
            !(k.starts_with("source.") || k.starts_with("target."))
                || k.as_str() == "source.cluster.alias"
                || k.as_str() == "target.cluster.alias"
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether MM2 creates a herder for `source->target` (`clusterPairs()`): the flow is
/// enabled, or heartbeats are on for it (globally or per flow; default on).
pub(crate) fn pair_exists(
    file: &str,
    all: &ValueMap,
    source: &str,
    target: &str,
) -> Result<bool, ConfigError> {
    let r = Reader::new(file, all);
    let prefix = format!("{source}->{target}.");
    let enabled = r.bool_or(&format!("{prefix}enabled"), false)?;
    let global = r.bool_or("emit.heartbeats.enabled", true)?;
    let heartbeats = r.bool_or(&format!("{prefix}emit.heartbeats.enabled"), global)?;
    Ok(enabled || heartbeats)
}
