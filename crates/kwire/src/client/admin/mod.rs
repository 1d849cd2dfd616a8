//! Admin operations: topic creation (KIP-4 CreateTopics), partition increases (KIP-195
//! CreatePartitions), configs (KIP-133 DescribeConfigs, KIP-339 IncrementalAlterConfigs) and
//! ACLs (KIP-140). Requests are retried on retriable errors until the API timeout; results
//! come back per topic / resource.

mod acls;
mod configs;

pub use acls::{
    AclBinding, AclBindingFilter, AclOperation, AclPermission, AclResourceType, PatternType,
};
pub use configs::{
    AlterConfigOp, ConfigChanges, ConfigEntry, ConfigResource, ConfigResourceType, ConfigSource,
};

use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::{ApiKey, CreatePartitionsRequest, CreateTopicsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{Client, Inner, millis, retry};
use crate::connection::Messenger;
use crate::error::Result;

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// Name.
    pub name: String,
    /// Partitions; -1 for the broker's `num.partitions`.
    pub num_partitions: i32,
    /// Replication factor; -1 for the broker's `default.replication.factor`.
    pub replication_factor: i16,
    /// Topic configs (`cleanup.policy`, `retention.ms`, ...).
    pub configs: Vec<(String, String)>,
}

impl NewTopic {
    /// A topic with explicit partitions and replication factor and no config overrides.
    pub fn new(name: impl Into<String>, num_partitions: i32, replication_factor: i16) -> Self {
        Self {
            name: name.into(),
            num_partitions,
            replication_factor,
            configs: Vec::new(),
        }
    }
}

/// Per-item results of an admin call, in request order.
pub type ItemResults<K> = Vec<(K, Result<()>)>;

impl Client {
    /// Creates topics. TOPIC_ALREADY_EXISTS comes back as that topic's error (also after a
    /// retry of a request whose first attempt did create it).
    pub async fn create_topics(
        &self,
        topics: Vec<NewTopic>,
        validate_only: bool,
    ) -> Result<ItemResults<String>> {
        let inner = self.inner();
        let timeout_ms = millis(inner.config.request_timeout);
        let topics = &topics;
        let resp = retry::with_retries(inner, "create topics", || async move {
            let conn = inner.controller_connection().await?;
            let req = CreateTopicsRequest::default()
                .with_topics(topics.iter().map(creatable).collect())
                .with_timeout_ms(timeout_ms)
                .with_validate_only(validate_only);
            let resp = inner.send(&conn, |_| req).await?;
            let results: Vec<_> = resp
                .topics
                .into_iter()
                .map(|t| (t.name.0.to_string(), t.error_code, t.error_message))
                .collect();
            retry_if_not_controller(inner, &conn, ApiKey::CreateTopics, &results)?;
            Ok((conn, results))
        })
        .await?;
        Ok(item_results(inner, &resp.0, ApiKey::CreateTopics, resp.1))
    }

    /// Raises topics' partition counts to the given totals.
    pub async fn create_partitions(
        &self,
        totals: Vec<(String, i32)>,
        validate_only: bool,
    ) -> Result<ItemResults<String>> {
        let inner = self.inner();
        let timeout_ms = millis(inner.config.request_timeout);
        let totals = &totals;
        let resp = retry::with_retries(inner, "create partitions", || async move {
            let conn = inner.controller_connection().await?;
            let topics = totals
                .iter()
                .map(|(name, count)| {
                    CreatePartitionsTopic::default()
                        .with_name(topic_name(name))
                        .with_count(*count)
                        .with_assignments(None)
                })
                .collect();
            let req = CreatePartitionsRequest::default()
                .with_topics(topics)
                .with_timeout_ms(timeout_ms)
                .with_validate_only(validate_only);
            let resp = inner.send(&conn, |_| req).await?;
            let results: Vec<_> = resp
                .results
                .into_iter()
                .map(|t| (t.name.0.to_string(), t.error_code, t.error_message))
                .collect();
            retry_if_not_controller(inner, &conn, ApiKey::CreatePartitions, &results)?;
            Ok((conn, results))
        })
        .await?;
        Ok(item_results(
            inner,
            &resp.0,
            ApiKey::CreatePartitions,
            resp.1,
        ))
    }
}

impl Inner {
    /// The controller (KRaft brokers forward controller requests, so any broker would do;
    /// the advertised controller saves a hop on ZooKeeper-era clusters).
    pub(crate) async fn controller_connection(&self) -> Result<Arc<Messenger>> {
        match self.metadata.current().controller_id {
            Some(id) => self.broker_connection(id).await,
            None => self.any_connection().await,
        }
    }
}

pub(crate) fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

fn creatable(t: &NewTopic) -> CreatableTopic {
    let configs = t
        .configs
        .iter()
        .map(|(k, v)| {
            CreatableTopicConfig::default()
                .with_name(StrBytes::from_string(k.clone()))
                .with_value(Some(StrBytes::from_string(v.clone())))
        })
        .collect();
    CreatableTopic::default()
        .with_name(topic_name(&t.name))
        .with_num_partitions(t.num_partitions)
        .with_replication_factor(t.replication_factor)
        .with_configs(configs)
}

type RawResult = (String, i16, Option<StrBytes>);

/// NOT_CONTROLLER on any item means the whole request went to the wrong broker: retry it.
fn retry_if_not_controller(
    inner: &Inner,
    conn: &Messenger,
    api: ApiKey,
    results: &[RawResult],
) -> Result<()> {
    let code = ResponseError::NotController.code();
    match results.iter().find(|(_, c, _)| *c == code) {
        Some((name, c, msg)) => inner.check(
            Some(conn),
            api,
            || format!("topic '{name}'"),
            *c,
            msg.as_ref(),
        ),
        None => Ok(()),
    }
}

fn item_results(
    inner: &Inner,
    conn: &Messenger,
    api: ApiKey,
    raw: Vec<RawResult>,
) -> ItemResults<String> {
    raw.into_iter()
        .map(|(name, code, msg)| {
            let r = inner.check(
                Some(conn),
                api,
                || format!("topic '{name}'"),
                code,
                msg.as_ref(),
            );
            (name, r)
        })
        .collect()
}

/// A resource-level error code as a `Result`.
pub(crate) fn resource_result(
    inner: &Inner,
    conn: &Messenger,
    api: ApiKey,
    resource: String,
    code: i16,
    message: Option<&StrBytes>,
) -> Result<()> {
    inner.check(Some(conn), api, || resource, code, message)
}
