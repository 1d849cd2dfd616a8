//! Cluster client: bootstrap, metadata cache, leader routing, a broker connection pool and
//! the typed operations (Kafka protocol guide, "Partitioning and bootstrapping").
//!
//! Operations that can safely be repeated (metadata, offsets, admin, group reads) retry
//! retriable errors with backoff for up to `api_timeout`; fatal errors come back at once.
//! [`Client::fetch`] and [`Client::produce`] are single attempts: a fetch loop simply polls
//! again, and raw produce retries would duplicate data (use [`IdempotentProducer`]).

mod admin;
mod fetch;
mod groups;
mod metadata;
mod offsets;
mod pool;
mod produce;
mod producer;
mod retry;

pub use admin::{
    AclBinding, AclBindingFilter, AclOperation, AclPermission, AclResourceType, AlterConfigOp,
    ConfigChanges, ConfigEntry, ConfigResource, ConfigResourceType, ConfigSource, ItemResults,
    NewTopic, PatternType,
};
// TEMPORARY: re-exports the batch stand-in; remove when `crate::batch` provides these.
pub use fetch::{
    AbortedTransaction, FetchOptions, FetchPartition, FetchedPartition, IsolationLevel,
    PartitionRecords,
};
pub use groups::{CommittedOffset, CoordinatorType, GroupDescription, GroupMember, ListedGroup};
pub use metadata::{BrokerInfo, ClusterMetadata, PartitionInfo, TopicInfo};
pub use offsets::{ListedOffset, OffsetSpec};
pub use produce::{Acks, ProduceAck, ProduceOptions, ProducePartition, ProducedPartition};
pub use producer::{
    Delivery, DeliveryFuture, IdempotentProducer, MAX_IN_FLIGHT_BATCHES, ProducerConfig,
};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kafka_protocol::ResponseError;
use kafka_protocol::messages::ApiKey;

use crate::connection::{ClientConfig, Connector, Messenger, check_bootstrap_names};
use crate::error::{Error, Result, ServerError};
use crate::protocol::KafkaRequest;
use metadata::{MetadataCache, TopicSelection};
use pool::BrokerPool;

/// A topic and partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
}

impl TopicPartition {
    /// Builds a topic-partition.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A client for one Kafka cluster. Cheap to clone; clones share connections and metadata.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) cluster: Arc<str>,
    pub(crate) pool: BrokerPool,
    pub(crate) metadata: MetadataCache,
    pub(crate) coordinators: Mutex<HashMap<(CoordinatorType, String), i32>>,
}

impl Client {
    /// Connects to the cluster: opens a bootstrap connection (TLS and SASL included) and loads
    /// the broker list. Bad credentials or certificates fail here, once, without retries.
    pub async fn connect(config: ClientConfig) -> Result<Self> {
        if config.bootstrap_servers.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "cluster '{}': bootstrap_servers is empty",
                config.cluster_name
            )));
        }
        let config = Arc::new(config);
        let connector = Connector::new(config.clone())?;
        let cluster: Arc<str> = Arc::from(config.cluster_name.as_str());
        check_bootstrap_names(&cluster, &config.bootstrap_servers).await?;
        let inner = Arc::new(Inner {
            cluster,
            metadata: MetadataCache::new(config.metadata_max_age),
            pool: BrokerPool::new(connector),
            coordinators: Mutex::new(HashMap::new()),
            config,
        });
        inner
            .refresh_metadata(TopicSelection::Including(Vec::new()))
            .await?;
        Ok(Self { inner })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The cluster alias used in errors and logs.
    pub fn cluster_name(&self) -> &str {
        &self.inner.cluster
    }

    /// The cached metadata snapshot, without any network round trip.
    pub fn cached_metadata(&self) -> Arc<ClusterMetadata> {
        self.inner.metadata.current()
    }

    /// Fetches fresh metadata: for every topic (`None`) or at least the given ones. The
    /// snapshot also keeps previously cached topics. Topic errors (unknown, unauthorized) are
    /// reported in [`TopicInfo::error`], not as an `Err`.
    pub async fn metadata(&self, topics: Option<&[String]>) -> Result<Arc<ClusterMetadata>> {
        let selection = match topics {
            None => TopicSelection::All,
            Some(ts) => TopicSelection::Including(ts.to_vec()),
        };
        self.inner.metadata.invalidate();
        self.inner.refresh_metadata(selection).await
    }

    /// The leader broker id and leader epoch of a partition (from cache when fresh).
    pub async fn leader(&self, topic: &str, partition: i32) -> Result<(i32, Option<i32>)> {
        self.inner.leader_for(topic, partition).await
    }

    /// Marks cached metadata stale so the next operation refreshes it.
    pub fn invalidate_metadata(&self) {
        self.inner.metadata.invalidate();
    }

    /// Closes every broker connection now. Requests in flight fail with a retriable error and
    /// connections re-open on demand. Tests use it to simulate a network failure.
    pub fn close_connections(&self) {
        self.inner.pool.close_all("closed by the client");
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }
}

/// A duration as Kafka's `int32` milliseconds, saturating.
pub(crate) fn millis(d: std::time::Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

impl Inner {
    /// Some usable connection: an open one, else a known broker, else a bootstrap server.
    pub(crate) async fn any_connection(&self) -> Result<Arc<Messenger>> {
        if let Some(c) = self.pool.live_connection() {
            return Ok(c);
        }
        let meta = self.metadata.current();
        let mut candidates: Vec<(Option<i32>, String)> = meta
            .brokers
            .values()
            .map(|b| (Some(b.node_id), b.addr()))
            .collect();
        if !candidates.is_empty() {
            // Spread first contact over brokers instead of always hitting the lowest id.
            let start = rand::random_range(0..candidates.len());
            candidates.rotate_left(start);
        }
        candidates.extend(
            self.config
                .bootstrap_servers
                .iter()
                .map(|a| (None, a.clone())),
        );
        let mut last = None;
        for (node_id, addr) in candidates {
            let attempt = match node_id {
                Some(id) => self.pool.broker(id, &addr).await,
                None => self.pool.bootstrap(&addr).await,
            };
            match attempt {
                Ok(c) => return Ok(c),
                Err(e) if !e.is_retriable() => return Err(e.into()),
                Err(e) => last = Some(e),
            }
        }
        let last = match last {
            Some(e) => Error::from(e),
            None => Error::InvalidArgument("bootstrap_servers is empty".into()),
        };
        Err(Error::NoBrokerReachable {
            cluster: self.cluster.clone(),
            last: Box::new(last),
        })
    }

    /// The connection to a specific broker, as addressed by current metadata.
    pub(crate) async fn broker_connection(&self, node_id: i32) -> Result<Arc<Messenger>> {
        let addr = self
            .metadata
            .current()
            .brokers
            .get(&node_id)
            .map(|b| b.addr())
            .ok_or_else(|| Error::UnknownBroker {
                cluster: self.cluster.clone(),
                node_id,
            })?;
        Ok(self.pool.broker(node_id, &addr).await?)
    }

    /// Sends a request built for the negotiated version and waits for the response.
    pub(crate) async fn send<R: KafkaRequest>(
        &self,
        conn: &Arc<Messenger>,
        build: impl FnOnce(i16) -> R,
    ) -> Result<R::Response> {
        let version = conn.negotiate(R::KEY)?;
        let req = build(version);
        let resp = conn
            .start(&req, version, self.config.request_timeout)?
            .wait()
            .await?;
        Ok(resp)
    }

    /// A broker error with context.
    pub(crate) fn server_error(
        &self,
        broker: Option<i32>,
        api: ApiKey,
        resource: String,
        code: ResponseError,
        message: Option<String>,
    ) -> Error {
        ServerError {
            cluster: self.cluster.clone(),
            broker,
            api,
            resource,
            code,
            message,
        }
        .into()
    }

    /// A broker error code with context, or `Ok` for code 0.
    pub(crate) fn check(
        &self,
        conn: Option<&Messenger>,
        api: ApiKey,
        resource: impl FnOnce() -> String,
        code: i16,
        message: Option<&kafka_protocol::protocol::StrBytes>,
    ) -> Result<()> {
        match ResponseError::try_from_code(code) {
            None => Ok(()),
            Some(code) => Err(ServerError {
                cluster: self.cluster.clone(),
                broker: conn.and_then(|c| c.endpoint().node_id),
                api,
                resource: resource(),
                code,
                message: message.map(|m| m.to_string()),
            }
            .into()),
        }
    }
}
