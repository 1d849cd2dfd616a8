//! Stage 5, positions: the last replicated source offset per partition, written after the
//! target acknowledged the data (Kafka Connect source offsets; docs/mm2-compatibility.md
//! "Internal topics" and "Byte formats"). The store is read once at start and written every
//! `offset.flush.interval.ms`: Connect's offsets topic on the target (`mm2-offsets.<source>.internal`
//! in MM2 dedicated mode, records byte-compatible with Java MM2's JsonConverter with schemas
//! disabled and sent to the partition Java's default partitioner picks, so strait and Java MM2
//! take over from each other without re-copying data), or for MirrorMaker 1 flows the committed
//! offsets of the source consumer group.

use std::collections::HashMap;
use std::fmt::Write as _;

use bytes::Bytes;
use kwire::batch::{BatchBuilder, BatchView, Record};
use kwire::client::{Client, CommittedOffset, IdempotentProducer, TopicPartition};
use kwire::partitioner::partition_for_key;
use kwire::protocol::ResponseError;

use super::ack::Acked;
use super::metrics::FlowMetrics;
use crate::error::ReplicateError;
use crate::internal_topics::{
    TopicSpec, compacted, ensure_topic, now_millis, partition_count, read_all,
};
use crate::settings::FlowSettings;

/// One stored position: the last source offset replicated for a source topic partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePosition {
    pub cluster: String,
    pub topic: String,
    pub partition: i32,
    /// Last replicated source offset; replication resumes at `offset + 1`.
    pub offset: i64,
}

/// The record key Java's worker writes, byte for byte:
/// `["MirrorSourceConnector",{"cluster":"A","partition":0,"topic":"t"}]`.
/// Key order matters: Connect compares serialized keys, and Java's HashMap yields this order.
pub fn position_key(connector: &str, cluster: &str, topic: &str, partition: i32) -> Vec<u8> {
    let mut key = String::with_capacity(64 + topic.len());
    key.push('[');
    push_json_string(&mut key, connector);
    key.push_str(",{\"cluster\":");
    push_json_string(&mut key, cluster);
    let _ = write!(key, ",\"partition\":{partition},\"topic\":");
    push_json_string(&mut key, topic);
    key.push_str("}]");
    key.into_bytes()
}

/// The record value: `{"offset":N}`.
pub fn position_value(offset: i64) -> Vec<u8> {
    format!("{{\"offset\":{offset}}}").into_bytes()
}

/// Parses an offsets-topic record written by strait or Java MM2. Returns `None` for records of
/// other connectors or shapes (Connect's offsets topic is shared by every connector of a worker).
/// A tombstone (`value == None`) yields a position of `-1`: nothing replicated.
pub fn parse_position(connector: &str, key: &[u8], value: Option<&[u8]>) -> Option<SourcePosition> {
    let key: serde_json::Value = serde_json::from_slice(key).ok()?;
    let [name, partition_map] = key.as_array()?.as_slice() else {
        return None;
    };
    if name.as_str()? != connector {
        return None;
    }
    let cluster = partition_map.get("cluster")?.as_str()?.to_owned();
    let topic = partition_map.get("topic")?.as_str()?.to_owned();
    let partition = i32::try_from(partition_map.get("partition")?.as_i64()?).ok()?;
    let offset = match value {
        None => -1,
        Some(v) => serde_json::from_slice::<serde_json::Value>(v)
            .ok()?
            .get("offset")?
            .as_i64()?,
    };
    Some(SourcePosition {
        cluster,
        topic,
        partition,
        offset,
    })
}

/// JSON string escaping as Jackson writes it for these keys (quote, backslash, control chars).
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

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

pub(super) async fn open_store(
    source: &Client,
    target: &Client,
    settings: &FlowSettings,
) -> Result<PositionStore, ReplicateError> {
    if let Some(group) = &settings.source_group {
        return Ok(PositionStore::SourceGroup {
            client: source.clone(),
            group: group.clone(),
        });
    }
    let offsets = ConnectOffsets::open(
        target.clone(),
        &settings.offsets_topic,
        settings.offsets_topic_partitions,
        settings.offsets_topic_replication_factor,
        &settings.connector_name,
        &settings.source_alias,
    )
    .await?;
    Ok(PositionStore::Connect(offsets))
}

/// Writes acknowledged positions that changed since the last flush.
pub(super) async fn flush_positions(
    store: &PositionStore,
    producer: &IdempotentProducer,
    acked: &Acked,
    metrics: &FlowMetrics,
) -> Result<(), ReplicateError> {
    let changed: Vec<(TopicPartition, i64)> = match acked.lock() {
        Ok(mut map) => std::mem::take(&mut *map).into_iter().collect(),
        Err(_) => return Ok(()),
    };
    if changed.is_empty() {
        return Ok(());
    }
    store.store(producer, &changed).await?;
    FlowMetrics::add(&metrics.positions_stored, changed.len() as u64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SOURCE_CONNECTOR;

    #[test]
    fn key_and_value_bytes_match_java_mm2() {
        let key = position_key(SOURCE_CONNECTOR, "A", "orders", 7);
        assert_eq!(
            key,
            br#"["MirrorSourceConnector",{"cluster":"A","partition":7,"topic":"orders"}]"#
        );
        assert_eq!(position_value(41), br#"{"offset":41}"#);
    }

    #[test]
    fn parses_what_it_writes_and_what_java_writes() {
        let key = position_key(SOURCE_CONNECTOR, "A", "t", 0);
        let parsed = parse_position(SOURCE_CONNECTOR, &key, Some(&position_value(9))).unwrap();
        assert_eq!(
            parsed,
            SourcePosition {
                cluster: "A".into(),
                topic: "t".into(),
                partition: 0,
                offset: 9
            }
        );
        // Java's JsonConverter output, with whitespace a different writer might add.
        let java =
            br#"[ "MirrorSourceConnector", { "cluster": "A", "partition": 3, "topic": "x" } ]"#;
        let parsed = parse_position(SOURCE_CONNECTOR, java, Some(br#"{"offset": 100}"#)).unwrap();
        assert_eq!((parsed.partition, parsed.offset), (3, 100));
        assert_eq!(
            parse_position(SOURCE_CONNECTOR, &key, None).unwrap().offset,
            -1
        );
    }

    #[test]
    fn ignores_other_connectors_and_garbage() {
        let key = position_key("MirrorCheckpointConnector", "A", "t", 0);
        assert!(parse_position(SOURCE_CONNECTOR, &key, Some(b"{\"offset\":0}")).is_none());
        assert!(parse_position(SOURCE_CONNECTOR, b"not json", Some(b"{}")).is_none());
        assert!(parse_position(SOURCE_CONNECTOR, b"[\"MirrorSourceConnector\"]", None).is_none());
    }

    #[test]
    fn escapes_like_jackson() {
        let key = position_key(SOURCE_CONNECTOR, "a\"b", "t\\", 1);
        assert_eq!(
            key,
            br#"["MirrorSourceConnector",{"cluster":"a\"b","partition":1,"topic":"t\\"}]"#
        );
    }
}
