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
use tokio::task::JoinSet;

use super::{Client, Inner, TopicPartition, millis};
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

/// Batches for one partition: one or more complete v2 record batches, back to back.
#[derive(Debug, Clone)]
pub struct ProducePartition {
    /// Target partition.
    pub tp: TopicPartition,
    /// The encoded batches.
    pub records: Bytes,
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

impl Client {
    /// Sends batches to partition leaders, one request per leader, in parallel; a single
    /// attempt (see [`IdempotentProducer`](super::IdempotentProducer) for retries).
    pub async fn produce(
        &self,
        options: &ProduceOptions,
        partitions: Vec<ProducePartition>,
    ) -> Vec<ProducedPartition> {
        let inner = self.inner();
        let mut results = Vec::with_capacity(partitions.len());
        let mut by_leader: BTreeMap<i32, Vec<ProducePartition>> = BTreeMap::new();
        for p in partitions {
            match inner.leader_for(&p.tp.topic, p.tp.partition).await {
                Ok((leader, _)) => by_leader.entry(leader).or_default().push(p),
                Err(e) => results.push(ProducedPartition {
                    tp: p.tp,
                    result: Err(e),
                }),
            }
        }
        let mut tasks = JoinSet::new();
        for (leader, parts) in by_leader {
            let inner = inner.clone();
            let options = options.clone();
            tasks.spawn(async move { produce_to(&inner, leader, &options, parts).await });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Ok(batch) = joined {
                results.extend(batch);
            }
        }
        results
    }
}

async fn produce_to(
    inner: &Arc<Inner>,
    leader: i32,
    options: &ProduceOptions,
    parts: Vec<ProducePartition>,
) -> Vec<ProducedPartition> {
    let tps: Vec<TopicPartition> = parts.iter().map(|p| p.tp.clone()).collect();
    let sent = async {
        let conn = inner.broker_connection(leader).await?;
        let version = conn.negotiate(ApiKey::Produce)?;
        let data = parts.into_iter().map(|p| (p.tp, p.records));
        let req = request(options, data);
        if options.acks == Acks::None {
            conn.send_without_response(&req, version)?;
            return Ok(None);
        }
        let resp = conn
            .start(&req, version, inner.config.request_timeout)?
            .wait()
            .await?;
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
    tps.into_iter()
        .zip(results)
        .map(|(tp, result)| ProducedPartition { tp, result })
        .collect()
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
