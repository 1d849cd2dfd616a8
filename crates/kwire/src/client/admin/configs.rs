//! Config description and incremental changes (KIP-133 DescribeConfigs, KIP-339
//! IncrementalAlterConfigs). Broker and broker-logger resources go to that broker; the rest
//! to any broker.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::DescribeConfigsResult;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{ApiKey, DescribeConfigsRequest, IncrementalAlterConfigsRequest};
use kafka_protocol::protocol::StrBytes;

use super::{ItemResults, resource_result};
use crate::client::{Client, Inner, retry};
use crate::connection::Messenger;
use crate::error::Result;

/// Kinds of config resources (`ConfigResource.Type` in Kafka).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfigResourceType {
    /// A topic.
    Topic,
    /// A broker (name: its id, or empty for the cluster-wide default).
    Broker,
    /// A broker's log4j loggers.
    BrokerLogger,
    /// Client metrics subscriptions (KIP-714).
    ClientMetrics,
    /// A consumer group (KIP-848).
    Group,
    /// A code kwire does not know.
    Other(i8),
}

impl ConfigResourceType {
    fn code(self) -> i8 {
        match self {
            Self::Topic => 2,
            Self::Broker => 4,
            Self::BrokerLogger => 8,
            Self::ClientMetrics => 16,
            Self::Group => 32,
            Self::Other(c) => c,
        }
    }

    fn from_code(c: i8) -> Self {
        match c {
            2 => Self::Topic,
            4 => Self::Broker,
            8 => Self::BrokerLogger,
            16 => Self::ClientMetrics,
            32 => Self::Group,
            other => Self::Other(other),
        }
    }
}

/// A config resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigResource {
    /// Its kind.
    pub kind: ConfigResourceType,
    /// Its name (topic name, broker id, ...).
    pub name: String,
}

impl ConfigResource {
    /// A topic resource.
    pub fn topic(name: impl Into<String>) -> Self {
        Self {
            kind: ConfigResourceType::Topic,
            name: name.into(),
        }
    }

    /// The broker that must answer for it, if any (per-broker configs).
    fn target_broker(&self) -> Option<i32> {
        match self.kind {
            ConfigResourceType::Broker | ConfigResourceType::BrokerLogger => self.name.parse().ok(),
            _ => None,
        }
    }
}

/// Where a config value comes from (`ConfigEntry.ConfigSource` in Kafka).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// Set on the topic.
    DynamicTopic,
    /// Set dynamically for this broker.
    DynamicBroker,
    /// Set dynamically as the cluster-wide broker default.
    DynamicDefaultBroker,
    /// From the broker's `server.properties`.
    StaticBroker,
    /// Kafka's built-in default.
    Default,
    /// Set dynamically on a broker logger.
    DynamicBrokerLogger,
    /// Client metrics config.
    ClientMetrics,
    /// Set on the group.
    DynamicGroup,
    /// Unknown code.
    Other(i8),
}

impl ConfigSource {
    fn from_code(c: i8) -> Self {
        match c {
            1 => Self::DynamicTopic,
            2 => Self::DynamicBroker,
            3 => Self::DynamicDefaultBroker,
            4 => Self::StaticBroker,
            5 => Self::Default,
            6 => Self::DynamicBrokerLogger,
            7 => Self::ClientMetrics,
            8 => Self::DynamicGroup,
            other => Self::Other(other),
        }
    }
}

/// One described config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// Config name.
    pub name: String,
    /// Value; `None` for sensitive configs and unset ones.
    pub value: Option<String>,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// Whether it can be changed.
    pub read_only: bool,
    /// Whether Kafka hides it (passwords, keys).
    pub sensitive: bool,
}

impl ConfigEntry {
    /// Whether the value is Kafka's built-in default.
    pub fn is_default(&self) -> bool {
        self.source == ConfigSource::Default
    }
}

/// One incremental change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterConfigOp {
    /// Set the value.
    Set(String),
    /// Remove the override (back to the default).
    Delete,
    /// Append to a list config.
    Append(String),
    /// Remove from a list config.
    Subtract(String),
}

impl AlterConfigOp {
    fn wire(&self) -> (i8, Option<StrBytes>) {
        let s = |v: &String| Some(StrBytes::from_string(v.clone()));
        match self {
            Self::Set(v) => (0, s(v)),
            Self::Delete => (1, None),
            Self::Append(v) => (2, s(v)),
            Self::Subtract(v) => (3, s(v)),
        }
    }
}

/// Changes per resource.
pub type ConfigChanges = Vec<(ConfigResource, Vec<(String, AlterConfigOp)>)>;

impl Client {
    /// Describes all configs of each resource.
    pub async fn describe_configs(
        &self,
        resources: Vec<ConfigResource>,
    ) -> Result<Vec<(ConfigResource, Result<Vec<ConfigEntry>>)>> {
        let inner = self.inner();
        let mut out = Vec::new();
        for (target, group) in by_target(resources) {
            let group = &group;
            let answered = retry::with_retries(inner, "describe configs", || async move {
                let conn = inner.config_connection(target).await?;
                let req = DescribeConfigsRequest::default().with_resources(
                    group
                        .iter()
                        .map(|r| {
                            DescribeConfigsResource::default()
                                .with_resource_type(r.kind.code())
                                .with_resource_name(StrBytes::from_string(r.name.clone()))
                                .with_configuration_keys(None)
                        })
                        .collect(),
                );
                let resp = inner.send(&conn, |_| req).await?;
                Ok((conn, resp.results))
            })
            .await?;
            let (conn, results) = answered;
            out.extend(
                results
                    .into_iter()
                    .map(|r| describe_result(inner, &conn, r)),
            );
        }
        Ok(out)
    }

    /// Applies incremental config changes (IncrementalAlterConfigs).
    pub async fn incremental_alter_configs(
        &self,
        changes: ConfigChanges,
        validate_only: bool,
    ) -> Result<ItemResults<ConfigResource>> {
        let inner = self.inner();
        let mut grouped: BTreeMap<Option<i32>, ConfigChanges> = BTreeMap::new();
        for change in changes {
            grouped
                .entry(change.0.target_broker())
                .or_default()
                .push(change);
        }
        let mut out = Vec::new();
        for (target, group) in grouped {
            let group = &group;
            let (conn, responses) = retry::with_retries(inner, "alter configs", || async move {
                let conn = inner.config_connection(target).await?;
                let req = IncrementalAlterConfigsRequest::default()
                    .with_resources(group.iter().map(alter_resource).collect())
                    .with_validate_only(validate_only);
                let resp = inner.send(&conn, |_| req).await?;
                Ok((conn, resp.responses))
            })
            .await?;
            out.extend(responses.into_iter().map(|r| {
                let res = ConfigResource {
                    kind: ConfigResourceType::from_code(r.resource_type),
                    name: r.resource_name.to_string(),
                };
                let label = format!("{:?} '{}'", res.kind, res.name);
                let result = resource_result(
                    inner,
                    &conn,
                    ApiKey::IncrementalAlterConfigs,
                    label,
                    r.error_code,
                    r.error_message.as_ref(),
                );
                (res, result)
            }));
        }
        Ok(out)
    }
}

impl Inner {
    async fn config_connection(&self, target: Option<i32>) -> Result<std::sync::Arc<Messenger>> {
        match target {
            Some(id) => self.broker_connection(id).await,
            None => self.any_connection().await,
        }
    }
}

fn by_target(resources: Vec<ConfigResource>) -> BTreeMap<Option<i32>, Vec<ConfigResource>> {
    let mut map: BTreeMap<Option<i32>, Vec<ConfigResource>> = BTreeMap::new();
    for r in resources {
        map.entry(r.target_broker()).or_default().push(r);
    }
    map
}

fn alter_resource(
    (res, ops): &(ConfigResource, Vec<(String, AlterConfigOp)>),
) -> AlterConfigsResource {
    let configs = ops
        .iter()
        .map(|(name, op)| {
            let (code, value) = op.wire();
            AlterableConfig::default()
                .with_name(StrBytes::from_string(name.clone()))
                .with_config_operation(code)
                .with_value(value)
        })
        .collect();
    AlterConfigsResource::default()
        .with_resource_type(res.kind.code())
        .with_resource_name(StrBytes::from_string(res.name.clone()))
        .with_configs(configs)
}

fn describe_result(
    inner: &Inner,
    conn: &Messenger,
    r: DescribeConfigsResult,
) -> (ConfigResource, Result<Vec<ConfigEntry>>) {
    let res = ConfigResource {
        kind: ConfigResourceType::from_code(r.resource_type),
        name: r.resource_name.to_string(),
    };
    let label = format!("{:?} '{}'", res.kind, res.name);
    let check = resource_result(
        inner,
        conn,
        ApiKey::DescribeConfigs,
        label,
        r.error_code,
        r.error_message.as_ref(),
    );
    let entries = check.map(|()| {
        r.configs
            .into_iter()
            .map(|c| ConfigEntry {
                name: c.name.to_string(),
                value: c.value.map(|v| v.to_string()),
                source: ConfigSource::from_code(c.config_source),
                read_only: c.read_only,
                sensitive: c.is_sensitive,
            })
            .collect()
    });
    (res, entries)
}
