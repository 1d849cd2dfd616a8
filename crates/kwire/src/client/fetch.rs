//! Fetch (Kafka protocol guide, Fetch API; KIP-98 isolation levels, KIP-320 leader epochs).
//!
//! Records come back as the raw `records` bytes of each partition, a zero-copy slice of the
//! response: kwire does not decode or decompress them. Requests are sessionless full
//! fetches (KIP-227 fetch sessions are not used) at Fetch v4..=12, grouped per leader.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::fetch_request::{FetchPartition as WirePartition, FetchTopic};
use kafka_protocol::messages::fetch_response::PartitionData;
use kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::task::JoinSet;

use super::{Client, Inner, TopicPartition, millis};
use crate::error::{Error, Result};

/// `isolation.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationLevel {
    /// Everything up to the high watermark, including open and aborted transactions.
    #[default]
    ReadUncommitted,
    /// Only up to the last stable offset; aborted transactions are listed for filtering.
    ReadCommitted,
}

impl IsolationLevel {
    pub(crate) fn code(self) -> i8 {
        match self {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        }
    }
}

/// Request-wide fetch settings.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// `fetch.max.wait.ms`: how long the broker may wait for `min_bytes`.
    pub max_wait: Duration,
    /// `fetch.min.bytes`.
    pub min_bytes: i32,
    /// `fetch.max.bytes`: limit per response (per broker).
    pub max_bytes: i32,
    /// `isolation.level`.
    pub isolation: IsolationLevel,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_millis(500),
            min_bytes: 1,
            max_bytes: 50 * 1024 * 1024,
            isolation: IsolationLevel::ReadUncommitted,
        }
    }
}

/// One partition to fetch.
#[derive(Debug, Clone)]
pub struct FetchPartition {
    /// Which partition.
    pub tp: TopicPartition,
    /// The first offset wanted.
    pub offset: i64,
    /// `max.partition.fetch.bytes`.
    pub max_bytes: i32,
    /// The leader epoch the caller last saw (KIP-320); lets the broker detect a stale leader.
    pub current_leader_epoch: Option<i32>,
}

/// A transaction the broker reports aborted within the fetched range (read_committed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTransaction {
    /// The producer of the aborted transaction.
    pub producer_id: i64,
    /// Its first offset.
    pub first_offset: i64,
}

/// What a partition returned.
#[derive(Debug, Clone)]
pub struct PartitionRecords {
    /// The high watermark.
    pub high_watermark: i64,
    /// The last stable offset (-1 when unknown).
    pub last_stable_offset: i64,
    /// The log start offset (-1 when unknown).
    pub log_start_offset: i64,
    /// Aborted transactions overlapping the records (read_committed only).
    pub aborted_transactions: Vec<AbortedTransaction>,
    /// KIP-392 preferred read replica, if the broker proposes one.
    pub preferred_read_replica: Option<i32>,
    /// Raw record batches; the last one may be truncated, as Kafka allows.
    pub records: Bytes,
}

/// The outcome for one partition.
#[derive(Debug, Clone)]
pub struct FetchedPartition {
    /// Which partition.
    pub tp: TopicPartition,
    /// Records and offsets, or the partition's error (retriable ones have already marked
    /// metadata for refresh, so the next fetch goes to the new leader).
    pub result: Result<PartitionRecords>,
}

impl Client {
    /// Fetches the given partitions from their leaders, one request per leader, in parallel.
    /// Returns one entry per requested partition.
    pub async fn fetch(
        &self,
        options: &FetchOptions,
        partitions: Vec<FetchPartition>,
    ) -> Result<Vec<FetchedPartition>> {
        let inner = self.inner();
        let mut results = Vec::with_capacity(partitions.len());
        let mut by_leader: BTreeMap<i32, Vec<FetchPartition>> = BTreeMap::new();
        for p in partitions {
            match inner.leader_for(&p.tp.topic, p.tp.partition).await {
                Ok((leader, _)) => by_leader.entry(leader).or_default().push(p),
                Err(e) if e.is_retriable() => {
                    inner.metadata.invalidate();
                    results.push(FetchedPartition {
                        tp: p.tp,
                        result: Err(e),
                    });
                }
                Err(e) => results.push(FetchedPartition {
                    tp: p.tp,
                    result: Err(e),
                }),
            }
        }
        let mut tasks = JoinSet::new();
        for (leader, parts) in by_leader {
            let inner = inner.clone();
            let options = options.clone();
            tasks.spawn(async move { fetch_from(&inner, leader, &options, parts).await });
        }
        while let Some(joined) = tasks.join_next().await {
            let batch = joined.map_err(|e| Error::UnexpectedResponse {
                cluster: inner.cluster.clone(),
                detail: format!("fetch task failed: {e}"),
            })?;
            results.extend(batch);
        }
        Ok(results)
    }
}

/// One Fetch request to one leader; connection failures fail all of its partitions.
async fn fetch_from(
    inner: &Arc<Inner>,
    leader: i32,
    options: &FetchOptions,
    parts: Vec<FetchPartition>,
) -> Vec<FetchedPartition> {
    let outcome = async {
        let conn = inner.broker_connection(leader).await?;
        let version = conn.negotiate(ApiKey::Fetch)?;
        let req = build_request(options, &parts, version);
        // The broker may hold the request for max_wait before answering.
        let timeout = inner.config.request_timeout + options.max_wait;
        let resp = conn.start(&req, version, timeout)?.wait().await?;
        Ok::<_, Error>((conn, resp))
    }
    .await;
    match outcome {
        Ok((conn, resp)) => read_response(inner, conn.endpoint().node_id, resp, parts),
        Err(e) => {
            if e.needs_metadata_refresh() {
                inner.metadata.invalidate();
            }
            parts
                .into_iter()
                .map(|p| FetchedPartition {
                    tp: p.tp,
                    result: Err(e.clone()),
                })
                .collect()
        }
    }
}

fn build_request(options: &FetchOptions, parts: &[FetchPartition], version: i16) -> FetchRequest {
    let mut topics: BTreeMap<&str, Vec<WirePartition>> = BTreeMap::new();
    for p in parts {
        let mut wp = WirePartition::default()
            .with_partition(p.tp.partition)
            .with_fetch_offset(p.offset)
            .with_partition_max_bytes(p.max_bytes);
        if version >= 9 {
            wp = wp.with_current_leader_epoch(p.current_leader_epoch.unwrap_or(-1));
        }
        topics.entry(&p.tp.topic).or_default().push(wp);
    }
    let topics = topics
        .into_iter()
        .map(|(name, partitions)| {
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_string(name.to_owned())))
                .with_partitions(partitions)
        })
        .collect();
    let mut req = FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(millis(options.max_wait))
        .with_min_bytes(options.min_bytes)
        .with_max_bytes(options.max_bytes)
        .with_isolation_level(options.isolation.code())
        .with_topics(topics);
    if version >= 7 {
        // Sessionless: session id 0 with the "final" epoch -1 means a full fetch that creates
        // no session on the broker.
        req = req.with_session_id(0).with_session_epoch(-1);
    }
    req
}

fn read_response(
    inner: &Inner,
    broker: Option<i32>,
    resp: FetchResponse,
    parts: Vec<FetchPartition>,
) -> Vec<FetchedPartition> {
    if resp.throttle_time_ms > 0 {
        tracing::debug!(cluster = %inner.cluster, broker, throttle_ms = resp.throttle_time_ms, "fetch throttled");
    }
    let mut by_tp: BTreeMap<(String, i32), PartitionData> = BTreeMap::new();
    for t in resp.responses {
        let topic = t.topic.0.to_string();
        for p in t.partitions {
            by_tp.insert((topic.clone(), p.partition_index), p);
        }
    }
    let top_error = ResponseError::try_from_code(resp.error_code);
    let mut refresh = false;
    let out = parts
        .into_iter()
        .map(|p| {
            let key = (p.tp.topic.clone(), p.tp.partition);
            let result = match (top_error, by_tp.remove(&key)) {
                // A request-level error (e.g. a fetch-session error) applies to every partition.
                (Some(code), _) => Err(inner.server_error(
                    broker,
                    ApiKey::Fetch,
                    format!("partition {}", p.tp),
                    code,
                    None,
                )),
                (None, Some(data)) => partition_records(inner, broker, &p.tp, data),
                (None, None) => Err(Error::UnexpectedResponse {
                    cluster: inner.cluster.clone(),
                    detail: format!("fetch response lacks {}", p.tp),
                }),
            };
            refresh |= result
                .as_ref()
                .err()
                .is_some_and(Error::needs_metadata_refresh);
            FetchedPartition { tp: p.tp, result }
        })
        .collect();
    if refresh {
        inner.metadata.invalidate();
    }
    out
}

fn partition_records(
    inner: &Inner,
    broker: Option<i32>,
    tp: &TopicPartition,
    data: PartitionData,
) -> Result<PartitionRecords> {
    if let Some(code) = ResponseError::try_from_code(data.error_code) {
        return Err(inner.server_error(
            broker,
            ApiKey::Fetch,
            format!("partition {tp}"),
            code,
            None,
        ));
    }
    let aborted = data
        .aborted_transactions
        .unwrap_or_default()
        .into_iter()
        .map(|a| AbortedTransaction {
            producer_id: a.producer_id.0,
            first_offset: a.first_offset,
        })
        .collect();
    Ok(PartitionRecords {
        high_watermark: data.high_watermark,
        last_stable_offset: data.last_stable_offset,
        log_start_offset: data.log_start_offset,
        aborted_transactions: aborted,
        preferred_read_replica: Some(data.preferred_read_replica.0).filter(|id| *id >= 0),
        records: data.records.unwrap_or_default(),
    })
}
