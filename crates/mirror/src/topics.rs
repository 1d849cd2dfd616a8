//! Remote topic management (KIP-382 remote topics, MM2's MirrorSourceConnector;
//! docs/mm2-compatibility.md "Topic, group and config selection"): find the
//! source topics to replicate, create their remote topics on the target with the same partition
//! count and the source's non-default configs, and add partitions when the source grows.

use std::collections::{BTreeMap, HashMap};

use kwire::client::{Client, ConfigResource};
use kwire::protocol::ResponseError;

use crate::error::ReplicateError;
use crate::internal_topics::{TopicSpec, ensure_topic, partition_count};
use crate::settings::FlowSettings;

/// The size limit Kafka applies to a batch when a topic does not set `max.message.bytes`.
pub(crate) const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_048_588;

/// A source topic being replicated, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MirroredTopic {
    pub source: String,
    pub target: String,
    pub partitions: i32,
    /// The target topic's `max.message.bytes`.
    pub max_batch_bytes: usize,
}

/// Lists the source topics this flow replicates, with their partition counts.
pub(crate) async fn discover(
    source: &Client,
    settings: &FlowSettings,
) -> Result<BTreeMap<String, i32>, ReplicateError> {
    let md = source.metadata(None).await?;
    Ok(md
        .topics
        .values()
        .filter(|t| t.error.is_none() && !t.is_internal && !t.partitions.is_empty())
        .filter(|t| (settings.select_topic)(&t.name))
        .map(|t| (t.name.clone(), t.partitions.len() as i32))
        .collect())
}

/// Makes sure every discovered topic has a remote topic with at least as many partitions.
/// Returns the topics whose partition count is new or grew (with their remote names).
pub(crate) async fn sync_remote_topics(
    source: &Client,
    target: &Client,
    settings: &FlowSettings,
    discovered: &BTreeMap<String, i32>,
    known: &HashMap<String, MirroredTopic>,
) -> Result<Vec<MirroredTopic>, ReplicateError> {
    let changed: Vec<(&String, i32)> = discovered
        .iter()
        .filter(|(name, n)| known.get(*name).is_none_or(|k| k.partitions < **n))
        .map(|(name, n)| (name, *n))
        .collect();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let remote_names: Vec<String> = changed
        .iter()
        .map(|(t, _)| (settings.remote_topic)(t))
        .collect();
    let target_md = target.metadata(Some(&remote_names)).await?;
    let mut out = Vec::new();
    for ((source_topic, partitions), remote) in changed.into_iter().zip(remote_names) {
        let existing = target_md
            .topic(&remote)
            .filter(|t| t.error.is_none() && !t.partitions.is_empty())
            .map(|t| t.partitions.len() as i32);
        match existing {
            None => {
                create_remote(source, target, settings, source_topic, &remote, partitions).await?
            }
            Some(n) if n < partitions => add_partitions(target, &remote, partitions).await?,
            Some(_) => {}
        }
        let max_batch_bytes = max_message_bytes(target, &remote).await;
        out.push(MirroredTopic {
            source: source_topic.clone(),
            target: remote,
            partitions,
            max_batch_bytes,
        });
    }
    Ok(out)
}

async fn create_remote(
    source: &Client,
    target: &Client,
    settings: &FlowSettings,
    source_topic: &str,
    remote: &str,
    partitions: i32,
) -> Result<(), ReplicateError> {
    let spec = TopicSpec {
        name: remote,
        partitions,
        replication_factor: settings.replication_factor,
        setting: "replication.factor",
    };
    let configs = copied_configs(source, settings, source_topic).await?;
    ensure_topic(target, &spec, configs).await?;
    partition_count(target, remote).await?;
    Ok(())
}

/// The source topic's non-default, non-excluded, writable configs (MM2's config filter).
async fn copied_configs(
    source: &Client,
    settings: &FlowSettings,
    topic: &str,
) -> Result<Vec<(String, String)>, ReplicateError> {
    let described = source
        .describe_configs(vec![ConfigResource::topic(topic)])
        .await?;
    let mut configs = Vec::new();
    for (_, entries) in described {
        for e in entries? {
            if e.is_default() || e.read_only || e.sensitive || (settings.exclude_config)(&e.name) {
                continue;
            }
            let Some(value) = e.value else { continue };
            configs.push((e.name, value));
        }
    }
    Ok(configs)
}

async fn add_partitions(target: &Client, remote: &str, total: i32) -> Result<(), ReplicateError> {
    for (name, result) in target
        .create_partitions(vec![(remote.to_owned(), total)], false)
        .await?
    {
        match result {
            Ok(()) => {
                tracing::info!(cluster = target.cluster_name(), topic = %name, total, "added partitions")
            }
            // Another process (or an earlier run) already grew it.
            Err(e) if e.code() == Some(ResponseError::InvalidPartitions) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The target topic's `max.message.bytes`; the broker default when it cannot be read (e.g. a
/// target such as Azure Event Hubs without the configs API).
async fn max_message_bytes(target: &Client, topic: &str) -> usize {
    let described = target
        .describe_configs(vec![ConfigResource::topic(topic)])
        .await;
    let value = described.ok().and_then(|results| {
        results.into_iter().find_map(|(_, entries)| {
            entries
                .ok()?
                .into_iter()
                .find(|e| e.name == "max.message.bytes")?
                .value
        })
    });
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES)
}
