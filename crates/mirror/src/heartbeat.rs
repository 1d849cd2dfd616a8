//! Heartbeats (KIP-382 MirrorHeartbeatConnector; docs/mm2-compatibility.md "Heartbeats"): a
//! Heartbeat v0 record into `heartbeats` on
//! the flow's target every `emit.heartbeats.interval.seconds`. Replicated by the reverse flow,
//! these beacons let RemoteClusterUtils discover upstream clusters and replication hops.

use std::time::Duration;

use kwire::batch::{BatchBuilder, BatchView, Record};
use kwire::client::{Client, IdempotentProducer, ProducerConfig, TopicPartition};
use tokio::sync::watch;

use crate::error::ReplicateError;
use crate::internal_topics::{TopicSpec, compacted, ensure_topic, now_millis};
use crate::offsets::records::Heartbeat;

/// Where and how often flow `source->target` beats.
#[derive(Debug, Clone)]
pub struct HeartbeatSettings {
    pub source_alias: String,
    pub target_alias: String,
    /// `heartbeats` (or its renamed form), single partition, compacted.
    pub topic: String,
    pub replication_factor: i16,
    pub interval: Duration,
}

/// Emits heartbeats until `shutdown` turns true. A failed beat is logged and retried at the
/// next interval: heartbeats are beacons, not data.
pub async fn run_heartbeats(
    target: Client,
    settings: HeartbeatSettings,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ReplicateError> {
    let spec = TopicSpec {
        name: &settings.topic,
        partitions: 1,
        replication_factor: settings.replication_factor,
        setting: "heartbeats.topic.replication.factor",
    };
    ensure_topic(&target, &spec, compacted()).await?;
    let producer = IdempotentProducer::new(target.clone(), ProducerConfig::default()).await?;
    let tp = TopicPartition::new(settings.topic.clone(), 0);
    let mut tick = tokio::time::interval(settings.interval.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !*shutdown.borrow() {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tick.tick() => {}
        }
        if let Err(e) = beat(&producer, &tp, &settings).await {
            tracing::warn!(cluster = target.cluster_name(), topic = %settings.topic, error = %e, "heartbeat not written");
        }
    }
    producer.close().await;
    Ok(())
}

async fn beat(
    producer: &IdempotentProducer,
    tp: &TopicPartition,
    settings: &HeartbeatSettings,
) -> Result<(), ReplicateError> {
    let now = now_millis();
    let beat = Heartbeat {
        source: settings.source_alias.clone(),
        target: settings.target_alias.clone(),
        timestamp: now,
    };
    let (key, value) = beat
        .encode()
        .map_err(|e| ReplicateError::Format(e.to_string()))?;
    let record = Record {
        offset: 0,
        timestamp: now,
        key: Some(key),
        value: Some(value),
        headers: vec![],
    };
    let batch = BatchView::new(BatchBuilder::default().build(&[record])?)?;
    producer.send(tp.clone(), batch).await?.await?;
    Ok(())
}
