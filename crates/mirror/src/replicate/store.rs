//! The position store, read once at start and written after the target acknowledged data:
//! Kafka Connect's offsets topic on the target (`mm2-offsets.<source>.internal` in MM2 dedicated
//! mode; records go to the partition Java's default partitioner picks, as Connect's producer
//! does), or for MirrorMaker 1 flows the committed offsets of the source consumer group.

use std::collections::HashMap;

use bytes::Bytes;
use kwire::batch::{BatchBuilder, BatchView, Record};
use kwire::client::{Client, CommittedOffset, IdempotentProducer, TopicPartition};
use kwire::partitioner::partition_for_key;
use kwire::protocol::ResponseError;

use super::positions::{parse_position, position_key, position_value};
use crate::error::ReplicateError;
use crate::internal_topics::{
    TopicSpec, compacted, ensure_topic, now_millis, partition_count, read_all,
};

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
