//! The effective-configuration summary `strait validate FILE` prints (text) or emits as
//! JSON: flows, patterns, internal topic names (`docs/mm2-compatibility.md`, "Internal topics"), policy,
//! and per-cluster security with every secret shown as `[redacted]`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::document::value::REDACTED;
use crate::model::security::{self, Jaas, KeySource, SecurityConfig, TrustSource};
use crate::model::{
    Acks, AutoOffsetReset, ClusterConfig, DataLossPolicy, FlowConfig, IsolationLevel, MirrorConfig,
    Periodic, PositionStore,
};
use crate::policy::PatternList;

/// The whole summary.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The input file.
    pub source_file: String,
    /// Clusters by alias.
    pub clusters: Vec<ClusterSummary>,
    /// Flows.
    pub flows: Vec<FlowSummary>,
    /// Keys read but not used, as `key (line N)`.
    pub ignored_keys: Vec<String>,
    /// Number of strait processes the deployment asks for (Strimzi `spec.replicas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
}

/// One cluster.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterSummary {
    /// Alias.
    pub alias: String,
    /// `bootstrap.servers`.
    pub bootstrap_servers: Vec<String>,
    /// Security.
    pub security: SecuritySummary,
    /// Client overrides by role (`consumer`, `producer`, `admin`), secrets redacted.
    pub overrides: BTreeMap<String, BTreeMap<String, String>>,
}

/// Security of a cluster.
#[derive(Clone, Debug, Serialize)]
pub struct SecuritySummary {
    /// `security.protocol`.
    pub protocol: String,
    /// TLS description, when TLS is used.
    pub tls: Option<TlsSummary>,
    /// SASL description, when SASL is used.
    pub sasl: Option<SaslSummary>,
}

/// TLS settings.
#[derive(Clone, Debug, Serialize)]
pub struct TlsSummary {
    /// Where trusted certificates come from.
    pub truststore: String,
    /// Client certificate, if any.
    pub keystore: Option<String>,
    /// Host name verification.
    pub endpoint_identification: bool,
}

/// SASL settings.
#[derive(Clone, Debug, Serialize)]
pub struct SaslSummary {
    /// `sasl.mechanism`.
    pub mechanism: String,
    /// Login module class.
    pub login_module: Option<String>,
    /// Username (PLAIN / SCRAM).
    pub username: Option<String>,
    /// Always `[redacted]` when a password or JAAS config is set.
    pub password: Option<String>,
}

/// One internal topic and the cluster it lives on.
#[derive(Clone, Debug, Serialize)]
pub struct TopicSummary {
    /// Topic name.
    pub topic: String,
    /// Cluster alias.
    pub cluster: String,
    /// Replication factor (-1 = broker default), when strait creates it.
    pub replication_factor: Option<i32>,
    /// Whether it is written.
    pub enabled: bool,
}

/// One flow.
#[derive(Clone, Debug, Serialize)]
pub struct FlowSummary {
    /// `A->B`.
    pub name: String,
    /// Replicates data (false: heartbeats only).
    pub enabled: bool,
    /// Replication policy class.
    pub policy: String,
    /// `replication.policy.separator`.
    pub separator: String,
    /// Example remote name of a topic `<topic>`.
    pub remote_topic_example: String,
    /// Pattern lists.
    pub patterns: PatternsSummary,
    /// Internal topics.
    pub internal_topics: InternalTopicsSummary,
    /// `replication.factor`.
    pub replication_factor: i32,
    /// `tasks.max`.
    pub tasks_max: u32,
    /// Periodic tasks.
    pub schedule: ScheduleSummary,
    /// Source consumer `auto.offset.reset`.
    pub auto_offset_reset: AutoOffsetReset,
    /// Source consumer `isolation.level`.
    pub isolation_level: IsolationLevel,
    /// Replication producer `acks`.
    pub acks: Acks,
    /// `strait.data.loss.policy`.
    pub data_loss_policy: DataLossPolicy,
}

/// The pattern lists of a flow, under their MM2 key names.
#[derive(Clone, Debug, Serialize)]
pub struct PatternsSummary {
    /// `topics`.
    pub topics: Vec<String>,
    /// `topics.exclude`.
    #[serde(rename = "topics.exclude")]
    pub topics_exclude: Vec<String>,
    /// `groups`.
    pub groups: Vec<String>,
    /// `groups.exclude`.
    #[serde(rename = "groups.exclude")]
    pub groups_exclude: Vec<String>,
    /// `config.properties.exclude`.
    #[serde(rename = "config.properties.exclude")]
    pub config_properties_exclude: Vec<String>,
}

/// The topics a flow keeps its state and beacons in (KIP-382 internal topics).
#[derive(Clone, Debug, Serialize)]
pub struct InternalTopicsSummary {
    /// `mm2-offset-syncs.<other>.internal`.
    pub offset_syncs: TopicSummary,
    /// `<source>.checkpoints.internal` on the target.
    pub checkpoints: TopicSummary,
    /// `heartbeats` on the target.
    pub heartbeats: TopicSummary,
    /// The source's heartbeats as replicated (`<source>.heartbeats`).
    pub remote_heartbeats: TopicSummary,
    /// Source positions in Connect format (`mm2-offsets.<source>.internal`).
    pub source_positions: TopicSummary,
}

/// A flow's periodic tasks, under their MM2 key prefixes.
#[derive(Clone, Debug, Serialize)]
pub struct ScheduleSummary {
    /// `refresh.topics.*`.
    #[serde(rename = "refresh.topics")]
    pub refresh_topics: Periodic,
    /// `refresh.groups.*`.
    #[serde(rename = "refresh.groups")]
    pub refresh_groups: Periodic,
    /// `sync.topic.configs.*`.
    #[serde(rename = "sync.topic.configs")]
    pub sync_topic_configs: Periodic,
    /// `sync.topic.acls.*`.
    #[serde(rename = "sync.topic.acls")]
    pub sync_topic_acls: Periodic,
    /// `sync.group.offsets.*`.
    #[serde(rename = "sync.group.offsets")]
    pub sync_group_offsets: Periodic,
    /// `emit.checkpoints.*`.
    #[serde(rename = "emit.checkpoints")]
    pub emit_checkpoints: Periodic,
    /// `emit.heartbeats.*`.
    #[serde(rename = "emit.heartbeats")]
    pub emit_heartbeats: Periodic,
}

impl MirrorConfig {
    /// The summary of this configuration.
    pub fn summary(&self) -> Summary {
        Summary {
            source_file: self.source_file.clone(),
            clusters: self.clusters.values().map(cluster_summary).collect(),
            flows: self.flows.iter().map(flow_summary).collect(),
            ignored_keys: self
                .ignored_keys
                .iter()
                .map(|(k, l)| format!("{k} (line {l})"))
                .collect(),
            replicas: self.replicas,
        }
    }
}

impl Summary {
    /// Pretty JSON (`strait validate --output json`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

fn cluster_summary(c: &ClusterConfig) -> ClusterSummary {
    let mut overrides = BTreeMap::new();
    for (role, map) in [
        ("consumer", &c.consumer),
        ("producer", &c.producer),
        ("admin", &c.admin),
    ] {
        if !map.is_empty() {
            overrides.insert(role.to_owned(), security::shown(map));
        }
    }
    ClusterSummary {
        alias: c.alias.clone(),
        bootstrap_servers: c.bootstrap_servers.clone(),
        security: security_summary(&c.security),
        overrides,
    }
}

fn security_summary(s: &SecurityConfig) -> SecuritySummary {
    let tls = s.ssl.as_ref().map(|ssl| TlsSummary {
        truststore: match &ssl.truststore {
            None => "system roots".into(),
            Some(t) => match &t.source {
                TrustSource::Location(p) => format!("{} ({})", p.display(), t.store_type.name()),
                TrustSource::InlinePem(_) => "inline PEM certificates".into(),
            },
        },
        keystore: ssl.keystore.as_ref().map(|k| match &k.source {
            KeySource::Location(p) => format!("{} ({})", p.display(), k.store_type.name()),
            KeySource::InlinePem { .. } => format!("inline PEM, key {REDACTED}"),
        }),
        endpoint_identification: ssl.endpoint_identification,
    });
    let sasl = s.sasl.as_ref().map(|sasl| {
        let (login_module, username, password) = match &sasl.jaas {
            Some(Jaas::Credentials {
                module, username, ..
            }) => (
                Some(format!("{module:?}LoginModule")),
                Some(username.clone()),
                Some(REDACTED.to_owned()),
            ),
            Some(Jaas::Other { module, .. }) => {
                (Some(module.clone()), None, Some(REDACTED.to_owned()))
            }
            None => (None, None, None),
        };
        SaslSummary {
            mechanism: sasl.mechanism.name().to_owned(),
            login_module,
            username,
            password,
        }
    });
    SecuritySummary {
        protocol: s.protocol.name().to_owned(),
        tls,
        sasl,
    }
}

fn list(p: &PatternList) -> Vec<String> {
    p.patterns().to_vec()
}

fn topic(topic: &str, cluster: &str, rf: Option<i32>, enabled: bool) -> TopicSummary {
    TopicSummary {
        topic: topic.to_owned(),
        cluster: cluster.to_owned(),
        replication_factor: rf,
        enabled,
    }
}

fn internal_topics(f: &FlowConfig) -> InternalTopicsSummary {
    let (os, cp, hb) = (&f.offset_syncs, &f.checkpoints, &f.heartbeats);
    InternalTopicsSummary {
        offset_syncs: topic(
            &os.topic,
            f.offset_syncs_cluster(),
            Some(os.replication_factor),
            f.enabled && os.enabled,
        ),
        checkpoints: topic(
            &cp.topic,
            &f.target,
            Some(cp.replication_factor),
            f.enabled && cp.emit.enabled,
        ),
        heartbeats: topic(
            &hb.topic,
            &f.target,
            Some(hb.replication_factor),
            hb.emit.enabled,
        ),
        remote_heartbeats: topic(
            &f.remote_topic(&hb.topic),
            &f.target,
            None,
            f.enabled && hb.replication_enabled,
        ),
        source_positions: match &f.position_store {
            PositionStore::ConnectOffsets => {
                topic(&f.worker.offsets_topic, &f.target, None, f.enabled)
            }
            PositionStore::ConsumerGroup { group_id, .. } => topic(
                &format!("__consumer_offsets (group {group_id})"),
                &f.source,
                None,
                f.enabled,
            ),
        },
    }
}

fn flow_summary(f: &FlowConfig) -> FlowSummary {
    FlowSummary {
        name: f.name(),
        enabled: f.enabled,
        policy: f.replication_policy.class_name().to_owned(),
        separator: f.replication_policy.separator().to_owned(),
        remote_topic_example: f.remote_topic("<topic>"),
        patterns: PatternsSummary {
            topics: list(&f.topic_filter.include),
            topics_exclude: list(&f.topic_filter.exclude),
            groups: list(&f.group_filter.include),
            groups_exclude: list(&f.group_filter.exclude),
            config_properties_exclude: list(&f.config_property_filter.exclude),
        },
        internal_topics: internal_topics(f),
        replication_factor: f.replication_factor,
        tasks_max: f.tasks_max,
        schedule: ScheduleSummary {
            refresh_topics: f.refresh_topics,
            refresh_groups: f.refresh_groups,
            sync_topic_configs: f.sync_topic_configs,
            sync_topic_acls: f.sync_topic_acls,
            sync_group_offsets: f.sync_group_offsets,
            emit_checkpoints: f.checkpoints.emit,
            emit_heartbeats: f.heartbeats.emit,
        },
        auto_offset_reset: f.auto_offset_reset.clone(),
        isolation_level: f.isolation_level,
        acks: f.acks,
        data_loss_policy: f.data_loss_policy,
    }
}

fn every(p: &Periodic) -> String {
    if p.enabled {
        format!("every {} s", p.interval.as_secs())
    } else {
        "off".into()
    }
}

fn rf(n: Option<i32>) -> String {
    match n {
        Some(-1) => ", broker-default replication".into(),
        Some(n) => format!(", replication factor {n}"),
        None => String::new(),
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "effective configuration of {}", self.source_file)?;
        if let Some(n) = self.replicas {
            writeln!(
                f,
                "replicas: {n}: run {n} strait process(es), `strait run --instance I/{n}` with I \
                 from 0 to {}, each copying its share of the partitions",
                n.saturating_sub(1)
            )?;
        }
        writeln!(f, "\nclusters")?;
        for c in &self.clusters {
            write_cluster(f, c)?;
        }
        writeln!(f, "\nflows")?;
        for flow in &self.flows {
            write_flow(f, flow)?;
        }
        if !self.ignored_keys.is_empty() {
            writeln!(f, "\nignored keys (not used by MM2 or strait)")?;
            for k in &self.ignored_keys {
                writeln!(f, "  {k}")?;
            }
        }
        Ok(())
    }
}

fn write_cluster(f: &mut fmt::Formatter<'_>, c: &ClusterSummary) -> fmt::Result {
    writeln!(
        f,
        "  {}: {} via {}",
        c.alias,
        c.security.protocol,
        c.bootstrap_servers.join(",")
    )?;
    if let Some(t) = &c.security.tls {
        let host = if t.endpoint_identification {
            "on"
        } else {
            "OFF"
        };
        writeln!(
            f,
            "    tls: trust {}; host name verification {host}",
            t.truststore
        )?;
        if let Some(k) = &t.keystore {
            writeln!(f, "    tls client certificate: {k}")?;
        }
    }
    if let Some(s) = &c.security.sasl {
        write!(f, "    sasl: {}", s.mechanism)?;
        if let Some(m) = &s.login_module {
            write!(f, " ({m})")?;
        }
        if let Some(u) = &s.username {
            write!(f, " username {u}")?;
        }
        if let Some(p) = &s.password {
            write!(f, " password {p}")?;
        }
        writeln!(f)?;
    }
    for (role, map) in &c.overrides {
        let kv: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(f, "    {role} overrides: {}", kv.join(", "))?;
    }
    Ok(())
}

fn write_flow(f: &mut fmt::Formatter<'_>, s: &FlowSummary) -> fmt::Result {
    let t = &s.internal_topics;
    if !s.enabled {
        let hb = &t.heartbeats;
        return writeln!(
            f,
            "  {}: heartbeats only (not enabled): writes `{}` on {}",
            s.name, hb.topic, hb.cluster
        );
    }
    writeln!(f, "  {}: replicating", s.name)?;
    writeln!(
        f,
        "    policy: {} (separator {:?}): <topic> -> {}",
        s.policy, s.separator, s.remote_topic_example
    )?;
    let p = &s.patterns;
    for (k, v) in [
        ("topics", &p.topics),
        ("topics.exclude", &p.topics_exclude),
        ("groups", &p.groups),
        ("groups.exclude", &p.groups_exclude),
        ("config.properties.exclude", &p.config_properties_exclude),
    ] {
        let shown = if v.is_empty() {
            "(none)".to_owned()
        } else {
            v.join(", ")
        };
        writeln!(f, "    {k}: {shown}")?;
    }
    writeln!(f, "    internal topics:")?;
    for (role, t) in [
        ("offset syncs", &t.offset_syncs),
        ("checkpoints", &t.checkpoints),
        ("heartbeats", &t.heartbeats),
        ("remote heartbeats", &t.remote_heartbeats),
        ("source positions", &t.source_positions),
    ] {
        let state = if t.enabled { "" } else { " (off)" };
        writeln!(
            f,
            "      {role}: {} on {}{}{state}",
            t.topic,
            t.cluster,
            rf(t.replication_factor)
        )?;
    }
    writeln!(
        f,
        "    remote topics: replication factor {}, tasks.max {}",
        s.replication_factor, s.tasks_max
    )?;
    let c = &s.schedule;
    for (k, p) in [
        ("refresh.topics", &c.refresh_topics),
        ("refresh.groups", &c.refresh_groups),
        ("sync.topic.configs", &c.sync_topic_configs),
        ("sync.topic.acls", &c.sync_topic_acls),
        ("sync.group.offsets", &c.sync_group_offsets),
        ("emit.checkpoints", &c.emit_checkpoints),
        ("emit.heartbeats", &c.emit_heartbeats),
    ] {
        writeln!(f, "    {k}: {}", every(p))?;
    }
    writeln!(
        f,
        "    source consumer: auto.offset.reset={}, isolation.level={}; producer acks={}; data loss policy: {}",
        json_name(&s.auto_offset_reset),
        json_name(&s.isolation_level),
        json_name(&s.acks),
        json_name(&s.data_loss_policy)
    )
}

/// The serde name of an enum value (one spelling for text and JSON).
fn json_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => o
            .iter()
            .map(|(k, v)| format!("{k}:{}", v.as_str().unwrap_or_default()))
            .collect(),
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
