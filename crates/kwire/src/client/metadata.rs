//! Cluster metadata and its cache (Kafka protocol guide, Metadata API; KIP-320 leader epochs;
//! `metadata.max.age.ms`).
//!
//! The cache holds one immutable snapshot behind an `Arc`; a refresh builds a new snapshot
//! and bumps a generation counter, so concurrent callers that all saw the same stale snapshot
//! trigger one Metadata request, not one each.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{ApiKey, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::time::Instant;

use super::{Inner, retry};
use crate::error::{Result, ServerError};

/// One broker as advertised in metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// `node.id`.
    pub node_id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: i32,
    /// `broker.rack`, if set.
    pub rack: Option<String>,
}

impl BrokerInfo {
    /// `host:port`, with IPv6 literals bracketed.
    pub fn addr(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition's leadership and replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    /// Partition index.
    pub partition: i32,
    /// The leader's node id; `None` while no leader is elected.
    pub leader: Option<i32>,
    /// The leader epoch (KIP-320), when the broker reports one.
    pub leader_epoch: Option<i32>,
    /// All replicas.
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
    /// Offline replicas.
    pub offline_replicas: Vec<i32>,
    /// Partition-level error (e.g. LEADER_NOT_AVAILABLE).
    pub error: Option<ResponseError>,
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// Topic name.
    pub name: String,
    /// Topic id (KIP-516) as a 128-bit number; 0 when the broker sent none. A changed id
    /// means the topic was deleted and re-created.
    pub topic_id: u128,
    /// Whether Kafka marks it internal (`__consumer_offsets`, `__transaction_state`).
    pub is_internal: bool,
    /// Topic-level error (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED, ...).
    pub error: Option<ResponseError>,
    /// Partitions by index.
    pub partitions: BTreeMap<i32, PartitionInfo>,
}

/// A snapshot of what the cluster said about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterMetadata {
    /// The cluster id, when the broker reports one.
    pub cluster_id: Option<String>,
    /// The controller (in KRaft: a broker that forwards controller requests).
    pub controller_id: Option<i32>,
    /// Brokers by node id.
    pub brokers: BTreeMap<i32, BrokerInfo>,
    /// Topics by name.
    pub topics: BTreeMap<String, TopicInfo>,
}

impl ClusterMetadata {
    /// A topic by name.
    pub fn topic(&self, name: &str) -> Option<&TopicInfo> {
        self.topics.get(name)
    }

    /// A partition of a topic.
    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionInfo> {
        self.topics.get(topic)?.partitions.get(&partition)
    }

    fn from_response(resp: MetadataResponse) -> Self {
        let brokers = resp
            .brokers
            .into_iter()
            .map(|b| {
                let info = BrokerInfo {
                    node_id: b.node_id.0,
                    host: b.host.to_string(),
                    port: b.port,
                    rack: b.rack.map(|r| r.to_string()),
                };
                (b.node_id.0, info)
            })
            .collect();
        let topics = resp
            .topics
            .into_iter()
            .filter_map(|t| {
                let name = t.name?.0.to_string();
                let partitions = t
                    .partitions
                    .into_iter()
                    .map(|p| (p.partition_index, partition_info(p)))
                    .collect();
                let info = TopicInfo {
                    name: name.clone(),
                    topic_id: t.topic_id.as_u128(),
                    is_internal: t.is_internal,
                    error: ResponseError::try_from_code(t.error_code),
                    partitions,
                };
                Some((name, info))
            })
            .collect();
        Self {
            cluster_id: resp.cluster_id.map(|c| c.to_string()),
            controller_id: Some(resp.controller_id.0).filter(|id| *id >= 0),
            brokers,
            topics,
        }
    }
}

fn partition_info(
    p: kafka_protocol::messages::metadata_response::MetadataResponsePartition,
) -> PartitionInfo {
    let ids = |v: Vec<kafka_protocol::messages::BrokerId>| v.into_iter().map(|b| b.0).collect();
    PartitionInfo {
        partition: p.partition_index,
        leader: Some(p.leader_id.0).filter(|id| *id >= 0),
        leader_epoch: Some(p.leader_epoch).filter(|e| *e >= 0),
        replicas: ids(p.replica_nodes),
        isr: ids(p.isr_nodes),
        offline_replicas: ids(p.offline_replicas),
        error: ResponseError::try_from_code(p.error_code),
    }
}

/// Which topics a metadata request asks about.
#[derive(Debug, Clone)]
pub(crate) enum TopicSelection {
    /// Every topic in the cluster.
    All,
    /// These topics, plus those already cached (so the cache stays complete).
    Including(Vec<String>),
}

#[derive(Debug)]
struct CacheState {
    meta: Arc<ClusterMetadata>,
    fetched_at: Option<Instant>,
    generation: u64,
    stale: bool,
    /// The cache came from an all-topics request; periodic refreshes ask for all again.
    all_topics: bool,
}

/// The metadata cache of one client.
#[derive(Debug)]
pub(crate) struct MetadataCache {
    state: RwLock<CacheState>,
    refresh_lock: tokio::sync::Mutex<()>,
    max_age: Duration,
}

impl MetadataCache {
    pub(crate) fn new(max_age: Duration) -> Self {
        Self {
            state: RwLock::new(CacheState {
                meta: Arc::new(ClusterMetadata::default()),
                fetched_at: None,
                generation: 0,
                stale: true,
                all_topics: false,
            }),
            refresh_lock: tokio::sync::Mutex::new(()),
            max_age,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, CacheState> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, CacheState> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The current snapshot, whatever its age.
    pub(crate) fn current(&self) -> Arc<ClusterMetadata> {
        self.read().meta.clone()
    }

    /// The snapshot if it is neither invalidated nor older than `metadata.max.age.ms`.
    fn fresh(&self) -> Option<Arc<ClusterMetadata>> {
        let st = self.read();
        let young = st.fetched_at.is_some_and(|t| t.elapsed() < self.max_age);
        (young && !st.stale).then(|| st.meta.clone())
    }

    /// Marks the snapshot stale; the next lookup refreshes it.
    pub(crate) fn invalidate(&self) {
        self.write().stale = true;
    }

    fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Installs a Metadata answer; `complete` says it listed every topic of the cluster.
    fn install(&self, fetched: ClusterMetadata, complete: bool) -> Arc<ClusterMetadata> {
        let mut st = self.write();
        let mut next = fetched;
        if complete {
            st.all_topics = true;
        } else {
            // A partial answer: keep cached topics the request did not cover.
            for (name, t) in &st.meta.topics {
                next.topics.entry(name.clone()).or_insert_with(|| t.clone());
            }
        }
        st.meta = Arc::new(next);
        st.fetched_at = Some(Instant::now());
        st.generation += 1;
        st.stale = false;
        st.meta.clone()
    }
}

impl Inner {
    /// Metadata covering `topics`, from the cache when fresh enough.
    pub(crate) async fn metadata_for(&self, topics: &[&str]) -> Result<Arc<ClusterMetadata>> {
        if let Some(meta) = self.metadata.fresh()
            && topics.iter().all(|t| meta.topics.contains_key(*t))
        {
            return Ok(meta);
        }
        let wanted = topics.iter().map(|t| (*t).to_owned()).collect();
        self.refresh_metadata(TopicSelection::Including(wanted))
            .await
    }

    /// Fetches metadata now (coalescing with a concurrent refresh) and installs it.
    pub(crate) async fn refresh_metadata(
        &self,
        selection: TopicSelection,
    ) -> Result<Arc<ClusterMetadata>> {
        let seen = self.metadata.generation();
        let _guard = self.metadata.refresh_lock.lock().await;
        // Someone else refreshed while we waited for the lock: reuse it if it suffices.
        if self.metadata.generation() != seen
            && let (Some(meta), TopicSelection::Including(wanted)) =
                (self.metadata.fresh(), &selection)
            && wanted.iter().all(|t| meta.topics.contains_key(t))
        {
            return Ok(meta);
        }
        let request_topics = self.request_topics(&selection);
        let fetched = retry::with_retries(self, "metadata", || {
            self.fetch_metadata(request_topics.as_deref())
        })
        .await?;
        Ok(self.metadata.install(fetched, request_topics.is_none()))
    }

    fn request_topics(&self, selection: &TopicSelection) -> Option<Vec<String>> {
        let st = self.metadata.read();
        match selection {
            TopicSelection::All => None,
            // Once the cache holds every topic, keep it that way.
            TopicSelection::Including(_) if st.all_topics => None,
            TopicSelection::Including(wanted) => {
                let mut all: BTreeSet<String> = st.meta.topics.keys().cloned().collect();
                all.extend(wanted.iter().cloned());
                Some(all.into_iter().collect())
            }
        }
    }

    async fn fetch_metadata(&self, topics: Option<&[String]>) -> Result<ClusterMetadata> {
        let conn = self.any_connection().await?;
        let version = conn.negotiate(ApiKey::Metadata)?;
        let mut req = MetadataRequest::default().with_topics(topics.map(|ts| {
            ts.iter()
                .map(|t| {
                    MetadataRequestTopic::default()
                        .with_name(Some(TopicName(StrBytes::from_string(t.clone()))))
                })
                .collect()
        }));
        if version >= 4 {
            // kwire never creates topics as a side effect of looking them up.
            req = req.with_allow_auto_topic_creation(false);
        }
        let resp = conn
            .start(&req, version, self.config.request_timeout)?
            .wait()
            .await?;
        Ok(ClusterMetadata::from_response(resp))
    }

    /// The leader of a partition and its epoch, refreshing metadata when needed.
    pub(crate) async fn leader_for(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<(i32, Option<i32>)> {
        let meta = self.metadata_for(&[topic]).await?;
        let err = |code| -> crate::error::Error {
            ServerError {
                cluster: self.cluster.clone(),
                broker: None,
                api: ApiKey::Metadata,
                resource: format!("topic '{topic}' partition {partition}"),
                code,
                message: None,
            }
            .into()
        };
        let t = meta
            .topic(topic)
            .ok_or_else(|| err(ResponseError::UnknownTopicOrPartition))?;
        if let Some(code) = t.error {
            return Err(err(code));
        }
        let p = t
            .partitions
            .get(&partition)
            .ok_or_else(|| err(ResponseError::UnknownTopicOrPartition))?;
        match p.leader {
            Some(leader) if meta.brokers.contains_key(&leader) => Ok((leader, p.leader_epoch)),
            _ => Err(crate::error::Error::NoLeader {
                cluster: self.cluster.clone(),
                topic: topic.to_owned(),
                partition,
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_are_bracketed() {
        let b = BrokerInfo {
            node_id: 1,
            host: "::1".into(),
            port: 9092,
            rack: None,
        };
        assert_eq!(b.addr(), "[::1]:9092");
    }

    #[test]
    fn partial_refresh_keeps_other_topics() {
        let cache = MetadataCache::new(Duration::from_secs(300));
        let topic = |name: &str| TopicInfo {
            name: name.into(),
            topic_id: 0,
            is_internal: false,
            error: None,
            partitions: BTreeMap::new(),
        };
        let mut first = ClusterMetadata::default();
        first.topics.insert("a".into(), topic("a"));
        cache.install(first, true);
        let mut second = ClusterMetadata::default();
        second.topics.insert("b".into(), topic("b"));
        let meta = cache.install(second, false);
        assert!(meta.topics.contains_key("a") && meta.topics.contains_key("b"));
        assert!(cache.fresh().is_some());
        cache.invalidate();
        assert!(cache.fresh().is_none());
    }
}
