//! Strait's internal topics (Kafka Connect's offsets topic; MM2's offset-syncs, checkpoints and
//! heartbeats topics; see docs/mm2-compatibility.md "Internal topics"): creating them (remote
//! topics are created through the same [`ensure_topic`]) and reading a partition from its log
//! start to its current end, the way Kafka's `KafkaBasedLog` does for Connect and MM2. One read
//! loop, [`read_range`], serves the positions store, the offset-syncs reader and checkpoints.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use kwire::batch::{Batch, Record, split};
use kwire::client::{
    Client, FetchOptions, FetchPartition, IsolationLevel, ListedOffset, NewTopic, OffsetSpec,
    TopicPartition,
};
use kwire::protocol::ResponseError;

use crate::error::ReplicateError;

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

/// Creates a single-partition compacted topic unless it exists. Like MM2
/// (`MirrorUtils.createCompactedTopic`), carries on when it may not create it: an administrator
/// may have, or the broker creates it on first write.
pub(crate) async fn create_compacted_topic(
    client: &Client,
    topic: &str,
    replication_factor: i16,
    setting: &'static str,
) -> Result<(), ReplicateError> {
    let spec = TopicSpec {
        name: topic,
        partitions: 1,
        replication_factor,
        setting,
    };
    match ensure_topic(client, &spec, compacted()).await {
        Err(ReplicateError::Kafka(e))
            if matches!(
                e.code(),
                Some(
                    ResponseError::TopicAuthorizationFailed
                        | ResponseError::ClusterAuthorizationFailed
                        | ResponseError::UnsupportedVersion
                )
            ) =>
        {
            tracing::warn!(cluster = client.cluster_name(), topic, error = %e, "cannot create the topic; assuming it exists");
            Ok(())
        }
        other => other,
    }
}

/// What [`read_range`] does when the log start moved past the offset it asked for (retention
/// or `DeleteRecords` removed the records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogStartMoved {
    /// Fail the read: the caller must see every record (the positions store).
    Fail,
    /// Continue from the new log start (a reader that follows a topic).
    Continue,
}

/// How [`read_range`] fetches.
#[derive(Debug, Clone, Copy)]
struct Read {
    /// `max_bytes` of each Fetch.
    max_bytes: i32,
    log_start_moved: LogStartMoved,
}

/// The read loop of every internal topic: the records (control batches left out) of `tp` from
/// `next` up to `end`, and the offset after the last one read. Stops early when nothing
/// complete comes back (the log ends in a hole): the rest is read by a later call.
async fn read_range(
    client: &Client,
    tp: &TopicPartition,
    mut next: i64,
    end: i64,
    read: Read,
) -> Result<(Vec<Record>, i64), ReplicateError> {
    let options = FetchOptions {
        max_wait: Duration::from_millis(100),
        isolation: IsolationLevel::ReadUncommitted,
        ..Default::default()
    };
    let mut records = Vec::new();
    while next < end {
        let request = FetchPartition {
            tp: tp.clone(),
            offset: next,
            max_bytes: read.max_bytes,
            current_leader_epoch: None,
        };
        let fetched = client.fetch(&options, vec![request]).await?;
        let Some(part) = fetched.into_iter().next() else {
            continue;
        };
        let data = match part.result {
            Ok(data) => data,
            // Retention or compaction removed the start: continue from the new start.
            Err(e)
                if read.log_start_moved == LogStartMoved::Continue
                    && e.code() == Some(ResponseError::OffsetOutOfRange) =>
            {
                next = log_offset(client, tp, OffsetSpec::Earliest)
                    .await?
                    .unwrap_or(end);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let before = next;
        next = take_records(data.records, next, &mut records)?;
        if next == before {
            // Nothing complete came back (a hole at the end of the log): later.
            break;
        }
    }
    Ok((records, next))
}

/// Appends the records of one Fetch response from `next` on (control batches left out), and
/// returns the offset after the last complete batch.
fn take_records(
    fetched: Bytes,
    mut next: i64,
    records: &mut Vec<Record>,
) -> Result<i64, ReplicateError> {
    let before = next;
    for batch in split(fetched) {
        let Batch::V2(b) = batch? else {
            continue;
        };
        if b.last_offset() < next {
            continue;
        }
        next = b.last_offset() + 1;
        if !b.is_control() {
            records.extend(b.records()?.into_iter().filter(|r| r.offset >= before));
        }
    }
    Ok(next)
}

/// Every record of one partition, from its log start to its current end. Strict: a partition
/// whose offsets cannot be listed, or whose log start moves while it is read, is an error.
pub(crate) async fn read_all(
    client: &Client,
    tp: &TopicPartition,
) -> Result<Vec<Record>, ReplicateError> {
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
    let read = Read {
        max_bytes: 1 << 20,
        log_start_moved: LogStartMoved::Fail,
    };
    Ok(read_range(client, tp, start, end, read).await?.0)
}

fn listed(
    mut answers: BTreeMap<TopicPartition, kwire::error::Result<ListedOffset>>,
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

/// One offset of `tp`; `None` when the partition is unknown.
async fn log_offset(
    client: &Client,
    tp: &TopicPartition,
    spec: OffsetSpec,
) -> Result<Option<i64>, ReplicateError> {
    let mut answers = client
        .list_offsets(IsolationLevel::ReadUncommitted, vec![(tp.clone(), spec)])
        .await;
    match answers.remove(tp) {
        Some(Ok(listed)) => Ok(Some(listed.offset)),
        Some(Err(e)) if e.code() == Some(ResponseError::UnknownTopicOrPartition) => Ok(None),
        Some(Err(e)) => Err(e.into()),
        None => Ok(None),
    }
}

/// A reader of partition 0 of one topic that remembers how far it has read.
#[derive(Debug, Clone)]
pub struct TopicTail {
    client: Client,
    tp: TopicPartition,
    next: Option<i64>,
}

impl TopicTail {
    /// A reader that starts at the log start.
    pub fn new(client: Client, topic: &str) -> Self {
        TopicTail {
            client,
            tp: TopicPartition::new(topic, 0),
            next: None,
        }
    }

    /// The topic read.
    pub fn topic(&self) -> &str {
        &self.tp.topic
    }

    /// Every record (control batches left out) from where the last call stopped up to the
    /// partition's end as of now. A missing topic reads as empty.
    pub async fn read_to_end(&mut self) -> Result<Vec<Record>, ReplicateError> {
        if self.next.is_none() && !self.exists().await? {
            return Ok(Vec::new());
        }
        let Some(end) = log_offset(&self.client, &self.tp, OffsetSpec::Latest).await? else {
            return Ok(Vec::new());
        };
        let next = match self.next {
            Some(next) => next,
            None => log_offset(&self.client, &self.tp, OffsetSpec::Earliest)
                .await?
                .unwrap_or(0),
        };
        let read = Read {
            max_bytes: 4 << 20,
            log_start_moved: LogStartMoved::Continue,
        };
        let (records, next) = read_range(&self.client, &self.tp, next, end, read).await?;
        self.next = Some(next);
        Ok(records)
    }

    /// Asked first, because offset lookups of a missing topic are retried until they time out.
    async fn exists(&self) -> Result<bool, ReplicateError> {
        let metadata = self
            .client
            .metadata(Some(std::slice::from_ref(&self.tp.topic)))
            .await?;
        Ok(metadata
            .topic(&self.tp.topic)
            .is_some_and(|t| t.error.is_none() && !t.partitions.is_empty()))
    }
}

/// The timestamp of records strait writes to internal topics (milliseconds since the epoch).
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
