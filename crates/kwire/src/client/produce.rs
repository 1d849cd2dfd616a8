//! Produce (Kafka protocol guide, Produce API; KIP-98 idempotence fields in the batch header):
//! already-encoded record batches per partition, sent raw to each leader at Produce v3..=12.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ProduceRequest, ProduceResponse, TopicName, TransactionalId,
};
use kafka_protocol::protocol::StrBytes;

use super::{Client, Inner, TopicPartition, millis, retry};
use crate::error::{Error, Result};

/// `acks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// Fire and forget: no response at all.
    None,
    /// The leader wrote it.
    Leader,
    /// All in-sync replicas have it (required for idempotence).
    #[default]
    All,
}

impl Acks {
    pub(crate) fn code(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

/// Request-wide produce settings.
#[derive(Debug, Clone)]
pub struct ProduceOptions {
    /// `acks`.
    pub acks: Acks,
    /// How long the broker may wait for replication (the request's `timeout_ms`).
    pub timeout: Duration,
    /// Transactional id, for batches of a transaction started elsewhere.
    pub transactional_id: Option<String>,
}

impl Default for ProduceOptions {
    fn default() -> Self {
        Self {
            acks: Acks::All,
            timeout: Duration::from_secs(30),
            transactional_id: None,
        }
    }
}

/// The batch for one partition. Produce v3+ accepts exactly one v2 record batch per partition
/// per request (the broker answers INVALID_RECORD otherwise), so kwire checks that up front.
#[derive(Debug, Clone)]
pub struct ProducePartition {
    /// Target partition.
    pub tp: TopicPartition,
    /// One encoded record batch.
    pub records: Bytes,
}

/// Whether `records` is exactly one batch, judged by its length field.
fn is_single_batch(records: &[u8]) -> bool {
    records
        .get(8..12)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .and_then(|b| usize::try_from(i32::from_be_bytes(b)).ok())
        .is_some_and(|len| len + 12 == records.len())
}

/// A broker's acknowledgement for one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProduceAck {
    /// Offset of the first record written (-1 with `acks=0` or a duplicate reported without
    /// an offset by an old broker).
    pub base_offset: i64,
    /// Broker time, when the topic uses LogAppendTime.
    pub log_append_time: Option<i64>,
    /// The partition's log start offset, when reported.
    pub log_start_offset: Option<i64>,
}

/// The outcome for one partition.
#[derive(Debug, Clone)]
pub struct ProducedPartition {
    /// Which partition.
    pub tp: TopicPartition,
    /// The acknowledgement or the partition's error.
    pub result: Result<ProduceAck>,
}

impl retry::Routed for ProducePartition {
    type Key = TopicPartition;
    fn key(&self) -> TopicPartition {
        self.tp.clone()
    }
    fn route(&self) -> retry::RouteTo<'_> {
        retry::RouteTo::Leader(&self.tp)
    }
}

/// Errors after which the broker certainly did not append the batch, so sending it again
/// cannot duplicate it. Timeouts and broken connections are not among them.
fn surely_not_written(e: &Error) -> bool {
    use crate::connection::ConnectionError as C;
    match e {
        Error::NoLeader { .. } | Error::UnknownBroker { .. } | Error::NoBrokerReachable { .. } => {
            true
        }
        Error::Connection(C::Connect { .. } | C::ConnectTimeout { .. }) => true,
        _ => matches!(
            e.code(),
            Some(
                ResponseError::NotLeaderOrFollower
                    | ResponseError::LeaderNotAvailable
                    | ResponseError::UnknownTopicOrPartition
                    | ResponseError::FencedLeaderEpoch
                    | ResponseError::UnknownLeaderEpoch
                    | ResponseError::ReplicaNotAvailable
                    | ResponseError::NotEnoughReplicas
                    | ResponseError::KafkaStorageError
            )
        ),
    }
}

impl Client {
    /// Sends one batch per partition to the partition leaders, one request per leader, in
    /// parallel. Partitions rejected in a way that proves nothing was written (leader moved,
    /// not enough replicas, ...) are retried until the API timeout; errors that leave the
    /// outcome unknown (timeouts, lost connections) are returned, since a blind resend could
    /// duplicate data — use [`IdempotentProducer`](super::IdempotentProducer) for that.
    pub async fn produce(
        &self,
        options: &ProduceOptions,
        partitions: Vec<ProducePartition>,
    ) -> Vec<ProducedPartition> {
        let mut results = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut valid = Vec::with_capacity(partitions.len());
        for p in partitions {
            let problem = if !is_single_batch(&p.records) {
                Some("must carry exactly one record batch")
            } else if !seen.insert(p.tp.clone()) {
                Some("appears twice in one produce call")
            } else {
                None
            };
            match problem {
                Some(why) => results.push(ProducedPartition {
                    result: Err(Error::InvalidArgument(format!(
                        "produce to {}: {why}",
                        p.tp
                    ))),
                    tp: p.tp,
                }),
                None => valid.push(p),
            }
        }
        let options = options.clone();
        let done = retry::routed(
            self.inner(),
            "produce",
            valid,
            surely_not_written,
            move |inner, leader, parts| {
                let options = options.clone();
                async move { produce_to(&inner, leader, &options, parts).await }
            },
        )
        .await;
        results.extend(
            done.into_iter()
                .map(|(tp, result)| ProducedPartition { tp, result }),
        );
        results
    }
}

async fn produce_to(
    inner: &Arc<Inner>,
    leader: i32,
    options: &ProduceOptions,
    parts: Vec<ProducePartition>,
) -> Vec<(ProducePartition, Result<ProduceAck>)> {
    let tps: Vec<TopicPartition> = parts.iter().map(|p| p.tp.clone()).collect();
    let sent = async {
        let conn = inner.broker_connection(leader).await?;
        let version = conn.negotiate(ApiKey::Produce)?;
        let data = parts.iter().map(|p| (p.tp.clone(), p.records.clone()));
        let req = request(options, data);
        if options.acks == Acks::None {
            conn.send_without_response(&req, version)?;
            return Ok(None);
        }
        let timeout = response_timeout(inner.config.request_timeout, options.timeout);
        let resp = conn.start(&req, version, timeout)?.wait().await?;
        Ok::<_, Error>(Some((conn.endpoint().node_id, resp)))
    }
    .await;
    let results = match sent {
        Ok(Some((broker, resp))) => read_response(inner, broker, resp, &tps),
        Ok(None) => tps.iter().map(|_| Ok(no_ack())).collect(),
        Err(e) => tps.iter().map(|_| Err(e.clone())).collect(),
    };
    if results
        .iter()
        .any(|r| r.as_ref().err().is_some_and(Error::needs_metadata_refresh))
    {
        inner.metadata.invalidate();
    }
    parts.into_iter().zip(results).collect()
}

/// How long to wait for a Produce response: the broker may legitimately wait the request's own
/// `timeout_ms` for replication before answering, so never give up before that.
pub(crate) fn response_timeout(request_timeout: Duration, ack_timeout: Duration) -> Duration {
    request_timeout.max(ack_timeout + Duration::from_secs(5))
}

fn no_ack() -> ProduceAck {
    ProduceAck {
        base_offset: -1,
        log_append_time: None,
        log_start_offset: None,
    }
}

/// Builds a Produce request; the records bytes are moved in, not copied.
pub(crate) fn request(
    options: &ProduceOptions,
    parts: impl IntoIterator<Item = (TopicPartition, Bytes)>,
) -> ProduceRequest {
    let mut topics: BTreeMap<String, Vec<PartitionProduceData>> = BTreeMap::new();
    for (tp, records) in parts {
        let data = PartitionProduceData::default()
            .with_index(tp.partition)
            .with_records(Some(records));
        topics.entry(tp.topic).or_default().push(data);
    }
    let topic_data = topics
        .into_iter()
        .map(|(name, partition_data)| {
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_string(name)))
                .with_partition_data(partition_data)
        })
        .collect();
    ProduceRequest::default()
        .with_transactional_id(
            options
                .transactional_id
                .clone()
                .map(|t| TransactionalId(StrBytes::from_string(t))),
        )
        .with_acks(options.acks.code())
        .with_timeout_ms(millis(options.timeout))
        .with_topic_data(topic_data)
}

/// One result per `tps` entry, in order.
pub(crate) fn read_response(
    inner: &Inner,
    broker: Option<i32>,
    resp: ProduceResponse,
    tps: &[TopicPartition],
) -> Vec<Result<ProduceAck>> {
    let mut answers = BTreeMap::new();
    for t in resp.responses {
        for p in t.partition_responses {
            answers.insert((t.name.0.to_string(), p.index), p);
        }
    }
    tps.iter()
        .map(|tp| {
            let Some(p) = answers.remove(&(tp.topic.clone(), tp.partition)) else {
                return Err(Error::UnexpectedResponse {
                    cluster: inner.cluster.clone(),
                    detail: format!("produce response lacks {tp}"),
                });
            };
            match ResponseError::try_from_code(p.error_code) {
                None => Ok(ProduceAck {
                    base_offset: p.base_offset,
                    log_append_time: Some(p.log_append_time_ms).filter(|t| *t >= 0),
                    log_start_offset: Some(p.log_start_offset).filter(|o| *o >= 0),
                }),
                // Brokers before 2.x reported a retried duplicate as an error; it was written.
                Some(ResponseError::DuplicateSequenceNumber) => Ok(no_ack()),
                Some(code) => {
                    let message = p.error_message.map(|m| m.to_string());
                    Err(inner.server_error(
                        broker,
                        ApiKey::Produce,
                        format!("partition {tp}"),
                        code,
                        message,
                    ))
                }
            }
        })
        .collect()
}
