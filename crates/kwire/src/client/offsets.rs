//! ListOffsets (Kafka protocol guide, ListOffsets API; KIP-79 timestamps, KIP-98 isolation,
//! KIP-734 max timestamp): earliest, latest or by-timestamp offsets, sent to each leader.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{ApiKey, BrokerId, ListOffsetsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::fetch::IsolationLevel;
use super::{Client, Inner, TopicPartition, millis, retry};
use crate::error::{Error, Result};

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The log end offset (high watermark, or last stable offset under read_committed).
    Latest,
    /// The first offset whose timestamp is at or after this many ms since the epoch.
    Timestamp(i64),
    /// The offset of the record with the highest timestamp (ListOffsets v7+).
    MaxTimestamp,
}

impl OffsetSpec {
    fn wire(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
            OffsetSpec::MaxTimestamp => -3,
            OffsetSpec::Timestamp(t) => t,
        }
    }
}

/// A looked-up offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedOffset {
    /// The offset; -1 when no record matches a timestamp query.
    pub offset: i64,
    /// The timestamp of that record, when the query was by timestamp.
    pub timestamp: Option<i64>,
    /// The leader epoch of that offset (ListOffsets v4+).
    pub leader_epoch: Option<i32>,
}

type Item = (TopicPartition, OffsetSpec);

impl retry::Routed for Item {
    type Key = TopicPartition;
    fn key(&self) -> TopicPartition {
        self.0.clone()
    }
    fn route(&self) -> retry::RouteTo<'_> {
        retry::RouteTo::Leader(&self.0)
    }
}

impl Client {
    /// Looks up offsets, retrying retriable per-partition errors (leader moves,
    /// OFFSET_NOT_AVAILABLE) until the API timeout. Every partition gets its own result.
    pub async fn list_offsets(
        &self,
        isolation: IsolationLevel,
        partitions: Vec<(TopicPartition, OffsetSpec)>,
    ) -> BTreeMap<TopicPartition, Result<ListedOffset>> {
        retry::routed(
            self.inner(),
            "list offsets",
            partitions,
            Error::is_retriable,
            move |inner, leader, items| list_from(inner, leader, isolation, items),
        )
        .await
    }
}

async fn list_from(
    inner: Arc<Inner>,
    leader: i32,
    isolation: IsolationLevel,
    items: Vec<Item>,
) -> Vec<(Item, Result<ListedOffset>)> {
    let sent = async {
        let conn = inner.broker_connection(leader).await?;
        let timeout_ms = millis(inner.config.request_timeout);
        let resp = inner
            .send(&conn, |v| build(&items, isolation, timeout_ms, v))
            .await?;
        Ok::<_, Error>((conn.endpoint().node_id, resp))
    }
    .await;
    let (broker, resp) = match sent {
        Ok(r) => r,
        Err(e) => return items.into_iter().map(|i| (i, Err(e.clone()))).collect(),
    };
    let mut answers = BTreeMap::new();
    for t in resp.topics {
        for p in t.partitions {
            answers.insert((t.name.0.to_string(), p.partition_index), p);
        }
    }
    items
        .into_iter()
        .map(|item| {
            let key = (item.0.topic.clone(), item.0.partition);
            let result = match answers.remove(&key) {
                None => Err(Error::UnexpectedResponse {
                    cluster: inner.cluster.clone(),
                    detail: format!("ListOffsets response lacks {}", item.0),
                }),
                Some(p) => match ResponseError::try_from_code(p.error_code) {
                    Some(code) => Err(inner.server_error(
                        broker,
                        ApiKey::ListOffsets,
                        format!("partition {}", item.0),
                        code,
                        None,
                    )),
                    None => Ok(ListedOffset {
                        offset: p.offset,
                        timestamp: Some(p.timestamp).filter(|t| *t >= 0),
                        leader_epoch: Some(p.leader_epoch).filter(|e| *e >= 0),
                    }),
                },
            };
            (item, result)
        })
        .collect()
}

fn build(
    items: &[Item],
    isolation: IsolationLevel,
    timeout_ms: i32,
    version: i16,
) -> ListOffsetsRequest {
    let mut topics: BTreeMap<&str, Vec<ListOffsetsPartition>> = BTreeMap::new();
    for (tp, spec) in items {
        let p = ListOffsetsPartition::default()
            .with_partition_index(tp.partition)
            .with_timestamp(spec.wire());
        topics.entry(&tp.topic).or_default().push(p);
    }
    let topics = topics
        .into_iter()
        .map(|(name, partitions)| {
            ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_string(name.to_owned())))
                .with_partitions(partitions)
        })
        .collect();
    let mut req = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(topics);
    if version >= 2 {
        req = req.with_isolation_level(isolation.code());
    }
    if version >= 10 {
        // Bounds the broker's wait on tiered storage (KIP-1075).
        req = req.with_timeout_ms(timeout_ms);
    }
    req
}
