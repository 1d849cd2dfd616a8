//! From the typed configuration to what runs: kwire connection settings for a cluster role
//! (Kafka client configs: bootstrap.servers, security.protocol, ssl.*, sasl.*, timeouts) and the
//! engine's settings ([`crate::settings`], checkpoints, heartbeats) of one flow (MM2 connector
//! keys; docs/mm2-compatibility.md "Configuration keys and defaults").

use std::sync::Arc;
use std::time::Duration;

use kwire::connection::{
    CaSource, ClientCert, ClientConfig as KafkaClient, PemSource, SaslConfig as KafkaSasl,
    SaslMechanism as KafkaMechanism, Secret as KafkaSecret, SecurityProtocol as KafkaProtocol,
};

use crate::checkpoint::CheckpointSettings;
use crate::heartbeat::HeartbeatSettings;
use crate::settings::{FlowSettings, OffsetSyncSettings, StartFrom};
use strait_config::model::{
    AutoOffsetReset, ClientConfig, FlowConfig, IsolationLevel, PositionStore, TopicLocation,
};
use strait_config::security::{
    Jaas, KeySource, SaslConfig, SaslMechanism, SecurityProtocol, SslConfig, StoreType, TrustSource,
};
use strait_config::value::ValueMap;

/// A configuration strait understands but cannot run yet, or cannot run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    #[error("cluster '{cluster}': {what} is not supported yet ({hint})")]
    Unsupported {
        cluster: String,
        what: String,
        hint: &'static str,
    },
    #[error("cluster '{cluster}': {key} = '{value}' is not a valid {expected}")]
    Invalid {
        cluster: String,
        key: String,
        value: String,
        expected: &'static str,
    },
}

/// Kafka client settings of one role (e.g. the flow's source consumer) on cluster `alias`.
pub fn kafka_client(
    alias: &str,
    role: &str,
    c: &ClientConfig,
) -> Result<KafkaClient, RuntimeError> {
    let mut k = KafkaClient::new(c.bootstrap_servers.clone(), alias);
    k.client_id = match c.props.get("client.id") {
        Some(v) => v.expose().to_owned(),
        None => format!("strait-{alias}-{role}"),
    };
    k.security = match c.security.protocol {
        SecurityProtocol::Plaintext => KafkaProtocol::Plaintext,
        SecurityProtocol::Ssl => KafkaProtocol::Ssl,
        SecurityProtocol::SaslPlaintext => KafkaProtocol::SaslPlaintext,
        SecurityProtocol::SaslSsl => KafkaProtocol::SaslSsl,
    };
    if let Some(ssl) = &c.security.ssl {
        apply_tls(alias, ssl, &mut k)?;
    }
    if c.security.protocol.uses_sasl() {
        k.sasl = Some(sasl(alias, c.security.sasl.as_ref())?);
    }
    let ms = |key, default| millis(alias, &c.props, key, default);
    k.request_timeout = ms("request.timeout.ms", k.request_timeout)?;
    k.connections_max_idle = ms("connections.max.idle.ms", k.connections_max_idle)?;
    k.metadata_max_age = ms("metadata.max.age.ms", k.metadata_max_age)?;
    k.reconnect_backoff = ms("reconnect.backoff.ms", k.reconnect_backoff)?;
    k.reconnect_backoff_max = ms("reconnect.backoff.max.ms", k.reconnect_backoff_max)?;
    k.retry_backoff = ms("retry.backoff.ms", k.retry_backoff)?;
    k.api_timeout = ms("default.api.timeout.ms", k.api_timeout)?;
    Ok(k)
}

fn apply_tls(alias: &str, ssl: &SslConfig, k: &mut KafkaClient) -> Result<(), RuntimeError> {
    let unsupported = |what: String| RuntimeError::Unsupported {
        cluster: alias.to_owned(),
        what,
        hint: "convert the store to PEM: ssl.truststore.type=PEM / ssl.keystore.type=PEM",
    };
    k.tls.verify_hostname = ssl.endpoint_identification;
    if let Some(trust) = &ssl.truststore {
        k.tls.ca = match (&trust.store_type, &trust.source) {
            (StoreType::Pem, TrustSource::Location(p)) => CaSource::PemFile(p.clone()),
            (_, TrustSource::InlinePem(text)) => CaSource::PemInline(text.clone()),
            (t, _) => {
                return Err(unsupported(format!(
                    "ssl.truststore.type={}",
                    store_name(t)
                )));
            }
        };
    }
    if let Some(key) = &ssl.keystore {
        k.tls.client_auth = Some(match (&key.store_type, &key.source) {
            (StoreType::Pem, KeySource::Location(p)) => ClientCert {
                cert_chain: PemSource::File(p.clone()),
                private_key: PemSource::File(p.clone()),
            },
            (
                _,
                KeySource::InlinePem {
                    certificate_chain,
                    key,
                },
            ) => ClientCert {
                cert_chain: PemSource::Inline(KafkaSecret::new(certificate_chain.clone())),
                private_key: PemSource::Inline(KafkaSecret::new(key.expose().to_owned())),
            },
            (t, _) => return Err(unsupported(format!("ssl.keystore.type={}", store_name(t)))),
        });
    }
    Ok(())
}

fn store_name(t: &StoreType) -> &'static str {
    match t {
        StoreType::Jks => "JKS",
        StoreType::Pkcs12 => "PKCS12",
        StoreType::Pem => "PEM",
    }
}

fn sasl(alias: &str, sasl: Option<&SaslConfig>) -> Result<KafkaSasl, RuntimeError> {
    let unsupported = |what: String, hint| RuntimeError::Unsupported {
        cluster: alias.to_owned(),
        what,
        hint,
    };
    let Some(sasl) = sasl else {
        return Err(unsupported(
            "SASL without sasl.mechanism / sasl.jaas.config".into(),
            "set both",
        ));
    };
    let mechanism = match sasl.mechanism {
        SaslMechanism::Plain => KafkaMechanism::Plain,
        SaslMechanism::ScramSha256 => KafkaMechanism::ScramSha256,
        SaslMechanism::ScramSha512 => KafkaMechanism::ScramSha512,
        ref other => {
            let what = format!("sasl.mechanism={}", other.name());
            return Err(unsupported(
                what,
                "use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
            ));
        }
    };
    match &sasl.jaas {
        Some(Jaas::Credentials {
            username, password, ..
        }) => Ok(KafkaSasl {
            mechanism,
            username: username.clone(),
            password: KafkaSecret::new(password.expose().to_owned()),
        }),
        Some(Jaas::Other { module, .. }) => Err(unsupported(
            format!("the JAAS login module {module}"),
            "use PlainLoginModule or ScramLoginModule with username and password",
        )),
        None => Err(unsupported(
            "SASL without sasl.jaas.config".into(),
            "set sasl.jaas.config",
        )),
    }
}

fn millis(
    alias: &str,
    props: &ValueMap,
    key: &str,
    default: Duration,
) -> Result<Duration, RuntimeError> {
    let Some(v) = props.get(key) else {
        return Ok(default);
    };
    v.expose()
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_millis)
        .filter(|d| *d <= strait_config::MAX_DURATION)
        .ok_or_else(|| RuntimeError::Invalid {
            cluster: alias.to_owned(),
            key: key.to_owned(),
            value: v.shown().to_owned(),
            expected: "number of milliseconds up to 31536000000 (365 days)",
        })
}

fn number<T: std::str::FromStr>(props: &ValueMap, key: &str, default: T) -> T {
    props
        .get(key)
        .and_then(|v| v.expose().trim().parse().ok())
        .unwrap_or(default)
}

/// The replication settings of an enabled flow.
pub fn flow_settings(flow: &FlowConfig) -> FlowSettings {
    let shared = Arc::new(flow.clone());
    let mut s = FlowSettings::new(&flow.source, &flow.target);
    let selecting = shared.clone();
    s.select_topic = Arc::new(move |t| selecting.replicates_topic(t));
    let naming = shared.clone();
    s.remote_topic = Arc::new(move |t| naming.remote_topic(t));
    s.exclude_config = Arc::new(move |k| {
        !shared
            .config_property_filter
            .should_replicate_config_property(k)
    });
    s.replication_factor = i16::try_from(flow.replication_factor).unwrap_or(-1);
    s.refresh_topics_interval = if flow.refresh_topics.enabled {
        flow.refresh_topics.interval.max(Duration::from_millis(100))
    } else {
        Duration::from_secs(365 * 24 * 3600)
    };
    s.read_committed = flow.isolation_level == IsolationLevel::ReadCommitted;
    s.start_from = match flow.auto_offset_reset {
        AutoOffsetReset::Latest => StartFrom::Latest,
        _ => StartFrom::Earliest,
    };
    s.data_loss = flow.data_loss_policy;
    s.offsets_topic = flow.worker.offsets_topic.clone();
    // The source connector's name keys the Connect offsets: `MirrorSourceConnector` in MM2
    // dedicated mode, `A->B.MirrorSourceConnector` under Strimzi, the connector's own name
    // when deployed as Connect JSON. The same key lets Java MM2 and strait take over.
    if let Some(name) = flow.raw.get("name") {
        s.connector_name = name.expose().trim().to_owned();
    }
    // Worker settings, exactly where MM2's herder reads them: the target cluster's props with
    // top-level `offset.storage.*` applied over them. Flow keys (`A->B.…`) are not read.
    let worker = |key: &str| flow.worker.props.get(key);
    let number_of = |key: &str, default: i64| {
        worker(key)
            .and_then(|v| v.expose().trim().parse().ok())
            .unwrap_or(default)
    };
    s.offsets_topic_partitions =
        i32::try_from(number_of("offset.storage.partitions", 25)).unwrap_or(25);
    s.offsets_topic_replication_factor =
        i16::try_from(number_of("offset.storage.replication.factor", 3)).unwrap_or(3);
    let flush_ms = u64::try_from(number_of("offset.flush.interval.ms", 1000)).unwrap_or(1000);
    s.position_flush_interval = Duration::from_millis(flush_ms.max(10));
    let consumer = &flow.clients.source_consumer.props;
    s.max_partition_fetch_bytes = number(consumer, "max.partition.fetch.bytes", 1 << 20);
    s.fetch_max_wait = Duration::from_millis(number(consumer, "fetch.max.wait.ms", 500u64));
    if let PositionStore::ConsumerGroup {
        group_id,
        commit_interval,
    } = &flow.position_store
    {
        s.source_group = Some(group_id.clone());
        s.position_flush_interval = (*commit_interval).max(Duration::from_millis(10));
    }
    s.offset_syncs = flow.offset_syncs.enabled.then(|| OffsetSyncSettings {
        topic: flow.offset_syncs.topic.clone(),
        on_target: flow.offset_syncs.location == TopicLocation::Target,
        replication_factor: i16::try_from(flow.offset_syncs.replication_factor).unwrap_or(-1),
        lag_max: flow.offset_syncs.lag_max,
        client: None,
    });
    s
}

/// Heartbeat settings of a flow that emits them (`emit.heartbeats.*`).
pub fn heartbeat_settings(flow: &FlowConfig) -> HeartbeatSettings {
    HeartbeatSettings {
        source_alias: flow.source.clone(),
        target_alias: flow.target.clone(),
        topic: flow.heartbeats.topic.clone(),
        replication_factor: i16::try_from(flow.heartbeats.replication_factor).unwrap_or(-1),
        interval: flow.heartbeats.emit.interval,
    }
}

/// Checkpoint settings of an enabled flow (`emit.checkpoints.*`, `refresh.groups.*`,
/// `groups`, `sync.group.offsets.*`); `None` when the flow emits no checkpoints. MM2 (3.9+)
/// refuses checkpoints without offset syncs: there is nothing to translate with.
pub fn checkpoint_settings(flow: &FlowConfig) -> Option<CheckpointSettings> {
    if !flow.enabled || !flow.checkpoints.emit.enabled || !flow.offset_syncs.enabled {
        return None;
    }
    let shared = Arc::new(flow.clone());
    let (groups, topics, naming) = (shared.clone(), shared.clone(), shared);
    Some(CheckpointSettings {
        source_alias: flow.source.clone(),
        target_alias: flow.target.clone(),
        topic: flow.checkpoints.topic.clone(),
        replication_factor: i16::try_from(flow.checkpoints.replication_factor).unwrap_or(-1),
        offset_syncs_topic: flow.offset_syncs.topic.clone(),
        offset_syncs_on_target: flow.offset_syncs.location == TopicLocation::Target,
        emit_interval: flow.checkpoints.emit.interval,
        refresh_groups_interval: flow
            .refresh_groups
            .enabled
            .then_some(flow.refresh_groups.interval),
        select_group: Arc::new(move |g| groups.group_filter.should_replicate_group(g)),
        select_topic: Arc::new(move |t| topics.replicates_topic(t)),
        // MM2's renameTopicPartition: a topic that came from the target goes back to its
        // original name (failback); any other gets the remote name.
        rename_topic: Arc::new(move |t| {
            let policy = &naming.replication_policy;
            if policy.topic_source(t).as_deref() == Some(naming.target.as_str()) {
                policy.original_topic(t)
            } else {
                policy.format_remote_topic(&naming.source, t)
            }
        }),
        sync_group_offsets: flow
            .sync_group_offsets
            .enabled
            .then_some(flow.sync_group_offsets.interval),
    })
}
