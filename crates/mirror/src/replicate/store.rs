//! The position store, read once at start and written after the target acknowledged data:
//! Kafka Connect's offsets topic on the target (`mm2-offsets.<source>.internal` in MM2 dedicated
//! mode; records go to the partition Java's default partitioner picks, as Connect's producer
//! does), or for MirrorMaker 1 flows the committed offsets of the source consumer group.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use kwire::batch::{BatchBuilder, BatchView, Record, split};
use kwire::client::{
    Client, CommittedOffset, FetchOptions, FetchPartition, IdempotentProducer, IsolationLevel,
    NewTopic, OffsetSpec, TopicPartition,
};
use kwire::partitioner::partition_for_key;
use kwire::protocol::ResponseError;

use super::positions::{parse_position, position_key, position_value};
use crate::error::ReplicateError;

/// Where positions of one flow live. Positions are the last replicated source offset.
#[derive(Debug, Clone)]
pub enum PositionStore {
    /// MM2: Connect source offsets.
    Connect(ConnectOffsets),
    /// MirrorMaker 1: the source consumer group's committed offsets (the next offset to read).
    SourceGroup { client: Client, group: String },
}

impl PositionStore {
    /// Where the positions are, for logs.
    pub fn describe(&self) -> String {
        match self {
            PositionStore::Connect(c) => format!("offsets topic '{}'", c.topic),
            PositionStore::SourceGroup { group, .. } => format!("source consumer group '{group}'"),
        }
    }

    /// The last replicated source offset per source partition.
    pub async fn load(&self) -> Result<HashMap<TopicPartition, i64>, ReplicateError> {
        match self {
            PositionStore::Connect(c) => c.load().await,
            PositionStore::SourceGroup { client, group } => {
                let committed = client.offset_fetch(group, None).await?;
                // A committed offset is the next one to read; -1 means "nothing committed".
                Ok(committed
                    .into_iter()
                    .filter(|(_, c)| c.offset >= 0)
                    .map(|(tp, c)| (tp, c.offset - 1))
                    .collect())
            }
        }
    }

    /// Writes positions and waits until they are durable.
    pub async fn store(
        &self,
        producer: &IdempotentProducer,
        positions: &[(TopicPartition, i64)],
    ) -> Result<(), ReplicateError> {
        match self {
            PositionStore::Connect(c) => c.store(producer, positions).await,
            PositionStore::SourceGroup { client, group } => {
                commit_to_group(client, group, positions).await
            }
        }
    }
}

/// Commits `last + 1` per partition as an administrator, as MM1's consumer committed the next
/// offset to read. The coordinator refuses while another consumer (an MM1 still running) is a
/// member of the group: that is fatal, two mirrors must not write the same target.
async fn commit_to_group(
    client: &Client,
    group: &str,
    positions: &[(TopicPartition, i64)],
) -> Result<(), ReplicateError> {
    let offsets = positions
        .iter()
        .map(|(tp, last)| {
            let committed = CommittedOffset {
                offset: last + 1,
                leader_epoch: None,
                metadata: None,
            };
            (tp.clone(), committed)
        })
        .collect();
    for (tp, result) in client.offset_commit(group, offsets).await? {
        if let Err(e) = result {
            tracing::error!(group, partition = %tp, error = %e, "committing the MirrorMaker 1 position to the source group failed");
            return Err(match e.code() {
                Some(ResponseError::UnknownMemberId | ResponseError::IllegalGeneration) => {
                    ReplicateError::SourceGroupActive {
                        group: group.to_owned(),
                    }
                }
                _ => e.into(),
            });
        }
    }
    Ok(())
}

/// The Connect offsets topic of one flow, and whose records in it are the flow's.
#[derive(Debug, Clone)]
pub struct ConnectOffsets {
    client: Client,
    topic: String,
    partitions: i32,
    connector: String,
    source_alias: String,
}

impl ConnectOffsets {
    /// Opens (creating when missing: compacted, `default_partitions`) the offsets topic.
    pub async fn open(
        client: Client,
        topic: &str,
        default_partitions: i32,
        replication_factor: i16,
        connector: &str,
        source_alias: &str,
    ) -> Result<Self, ReplicateError> {
        let spec = TopicSpec {
            name: topic,
            partitions: default_partitions,
            replication_factor,
            setting: "offset.storage.replication.factor",
        };
        ensure_topic(&client, &spec, compacted()).await?;
        let partitions = partition_count(&client, topic).await?;
        Ok(ConnectOffsets {
            client,
            topic: topic.to_owned(),
            partitions,
            connector: connector.to_owned(),
            source_alias: source_alias.to_owned(),
        })
    }

    /// The offsets topic's name.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Reads the whole topic: the last replicated source offset per source partition of this
    /// flow's source cluster (last record wins, as in Connect's KafkaOffsetBackingStore).
    pub async fn load(&self) -> Result<HashMap<TopicPartition, i64>, ReplicateError> {
        let mut positions = HashMap::new();
        for partition in 0..self.partitions {
            let tp = TopicPartition::new(self.topic.clone(), partition);
            for record in read_all(&self.client, &tp).await? {
                let Some(key) = record.key.as_deref() else {
                    continue;
                };
                let Some(p) = parse_position(&self.connector, key, record.value.as_deref()) else {
                    continue;
                };
                if p.cluster == self.source_alias {
                    positions.insert(TopicPartition::new(p.topic, p.partition), p.offset);
                }
            }
        }
        positions.retain(|_, offset| *offset >= 0);
        Ok(positions)
    }

    /// Writes positions and waits for the target's acknowledgement.
    pub async fn store(
        &self,
        producer: &IdempotentProducer,
        positions: &[(TopicPartition, i64)],
    ) -> Result<(), ReplicateError> {
        let mut by_partition: HashMap<i32, Vec<Record>> = HashMap::new();
        let now = now_millis();
        for (tp, offset) in positions {
            let key = position_key(&self.connector, &self.source_alias, &tp.topic, tp.partition);
            let partition = partition_for_key(&key, self.partitions);
            let records = by_partition.entry(partition).or_default();
            records.push(Record {
                offset: records.len() as i64,
                timestamp: now,
                key: Some(Bytes::from(key)),
                value: Some(Bytes::from(position_value(*offset))),
                headers: Vec::new(),
            });
        }
        let mut acks = Vec::new();
        for (partition, records) in by_partition {
            let batch = BatchView::new(BatchBuilder::default().build(&records)?)?;
            let tp = TopicPartition::new(self.topic.clone(), partition);
            acks.push(producer.send(tp, batch).await?);
        }
        for ack in acks {
            ack.await?;
        }
        Ok(())
    }
}

/// A topic strait creates (internal or remote), and the setting that sizes it.
pub(crate) struct TopicSpec<'a> {
    pub name: &'a str,
    pub partitions: i32,
    pub replication_factor: i16,
    /// The MM2 key an operator changes when the cluster cannot hold this many replicas.
    pub setting: &'static str,
}

/// The config of strait's compacted internal topics.
pub(crate) fn compacted() -> Vec<(String, String)> {
    vec![("cleanup.policy".to_owned(), "compact".to_owned())]
}

/// Creates `topic` unless it exists. Kafka answers TOPIC_ALREADY_EXISTS for a topic that exists.
pub(crate) async fn ensure_topic(
    client: &Client,
    topic: &TopicSpec<'_>,
    configs: Vec<(String, String)>,
) -> Result<(), ReplicateError> {
    let mut new = NewTopic::new(topic.name, topic.partitions, topic.replication_factor);
    new.configs = configs;
    for (name, result) in client.create_topics(vec![new], false).await? {
        match result {
            Ok(()) => {
                let partitions = topic.partitions;
                tracing::info!(cluster = client.cluster_name(), topic = %name, partitions, "created topic")
            }
            Err(e) if e.code() == Some(ResponseError::TopicAlreadyExists) => {}
            Err(e) if e.code() == Some(ResponseError::InvalidReplicationFactor) => {
                // A single-broker cluster and MM2's default of 3 for internal topics: say
                // which setting to change.
                return Err(ReplicateError::ReplicationFactor {
                    cluster: client.cluster_name().to_owned(),
                    topic: name,
                    factor: topic.replication_factor,
                    setting: topic.setting,
                    reason: e.to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

pub(crate) async fn partition_count(client: &Client, topic: &str) -> Result<i32, ReplicateError> {
    for _ in 0..50 {
        let md = client.metadata(Some(&[topic.to_owned()])).await?;
        if let Some(t) = md
            .topic(topic)
            .filter(|t| t.error.is_none() && !t.partitions.is_empty())
        {
            return Ok(t.partitions.len() as i32);
        }
        // A topic just created may take a moment to appear in every broker's metadata.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(ReplicateError::TopicUnavailable {
        cluster: client.cluster_name().to_owned(),
        topic: topic.to_owned(),
    })
}

/// Every record of one partition, from its log start to its current end.
async fn read_all(client: &Client, tp: &TopicPartition) -> Result<Vec<Record>, ReplicateError> {
    let isolation = IsolationLevel::ReadUncommitted;
    let spec = |s| vec![(tp.clone(), s)];
    let start = listed(
        client
            .list_offsets(isolation, spec(OffsetSpec::Earliest))
            .await,
        tp,
    )?;
    let end = listed(
        client
            .list_offsets(isolation, spec(OffsetSpec::Latest))
            .await,
        tp,
    )?;
    let options = FetchOptions {
        max_wait: Duration::from_millis(100),
        ..Default::default()
    };
    let mut records = Vec::new();
    let mut offset = start;
    while offset < end {
        let request = FetchPartition {
            tp: tp.clone(),
            offset,
            max_bytes: 1 << 20,
            current_leader_epoch: None,
        };
        let fetched = client.fetch(&options, vec![request]).await?;
        let Some(part) = fetched.into_iter().next() else {
            continue;
        };
        let data = part.result?;
        let before = offset;
        for batch in split(data.records) {
            let kwire::batch::Batch::V2(b) = batch? else {
                continue;
            };
            offset = offset.max(b.last_offset() + 1);
            if !b.is_control() {
                records.extend(b.records()?.into_iter().filter(|r| r.offset >= before));
            }
        }
        if offset == before {
            // Nothing complete came back (the log ends in a hole): stop at what is readable.
            break;
        }
    }
    Ok(records)
}

fn listed(
    mut answers: std::collections::BTreeMap<
        TopicPartition,
        kwire::error::Result<kwire::client::ListedOffset>,
    >,
    tp: &TopicPartition,
) -> Result<i64, ReplicateError> {
    match answers.remove(tp) {
        Some(r) => Ok(r?.offset),
        None => Err(ReplicateError::TopicUnavailable {
            cluster: String::new(),
            topic: tp.to_string(),
        }),
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
