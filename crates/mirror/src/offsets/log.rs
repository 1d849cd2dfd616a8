//! Reading MM2's single-partition internal topics (offset syncs, checkpoints) the way MM2's
//! checkpoint task does with `KafkaBasedLog` (mm2-behaviour §5.2): from the log start to the
//! current end, then following new records.

use std::time::Duration;

use kwire::batch::{Batch, Record, split};
use kwire::client::{
    Client, FetchOptions, FetchPartition, IsolationLevel, OffsetSpec, TopicPartition,
};
use kwire::protocol::ResponseError;

use crate::error::ReplicateError;
use crate::replicate::store::{TopicSpec, compacted, ensure_topic};

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
        let Some(end) = self.offset(OffsetSpec::Latest).await? else {
            return Ok(Vec::new());
        };
        let mut next = match self.next {
            Some(next) => next,
            None => self.offset(OffsetSpec::Earliest).await?.unwrap_or(0),
        };
        let options = FetchOptions {
            max_wait: Duration::from_millis(100),
            isolation: IsolationLevel::ReadUncommitted,
            ..Default::default()
        };
        let mut records = Vec::new();
        while next < end {
            let request = FetchPartition {
                tp: self.tp.clone(),
                offset: next,
                max_bytes: 4 << 20,
                current_leader_epoch: None,
            };
            let fetched = self.client.fetch(&options, vec![request]).await?;
            let Some(part) = fetched.into_iter().next() else {
                continue;
            };
            let data = match part.result {
                Ok(data) => data,
                // Retention or compaction removed the start: continue from the new start.
                Err(e) if e.code() == Some(ResponseError::OffsetOutOfRange) => {
                    next = self.offset(OffsetSpec::Earliest).await?.unwrap_or(end);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let before = next;
            for batch in split(data.records) {
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
            if next == before {
                // Nothing complete came back (a hole at the end of the log): later.
                break;
            }
        }
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

    async fn offset(&self, spec: OffsetSpec) -> Result<Option<i64>, ReplicateError> {
        let mut answers = self
            .client
            .list_offsets(
                IsolationLevel::ReadUncommitted,
                vec![(self.tp.clone(), spec)],
            )
            .await;
        match answers.remove(&self.tp) {
            Some(Ok(listed)) => Ok(Some(listed.offset)),
            Some(Err(e)) if e.code() == Some(ResponseError::UnknownTopicOrPartition) => Ok(None),
            Some(Err(e)) => Err(e.into()),
            None => Ok(None),
        }
    }
}
