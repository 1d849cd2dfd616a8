//! The engine's one error type: every failure of replication, topic management, internal topics,
//! offset translation, checkpoints and heartbeats, split into retriable (a Kafka error that may
//! pass, a topic not yet visible) and fatal (bad data, a misconfiguration, a competing mirror).

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicateError {
    #[error(transparent)]
    Kafka(#[from] kwire::error::Error),
    #[error("malformed record batch: {0}")]
    Batch(#[from] kwire::batch::BatchError),
    #[error("internal record format: {0}")]
    Format(String),
    #[error("cluster '{cluster}': topic '{topic}' did not become available")]
    TopicUnavailable { cluster: String, topic: String },
    #[error(
        "consumer group '{group}' has active members on the target (state {state}); stop its consumers first"
    )]
    GroupActive { group: String, state: String },
    #[error(
        "cluster '{cluster}': cannot create topic '{topic}' with replication factor {factor} ({reason}): set `{setting}` to at most the number of brokers, or -1 for the broker default"
    )]
    ReplicationFactor {
        cluster: String,
        topic: String,
        factor: i16,
        setting: &'static str,
        reason: String,
    },
    #[error(
        "consumer group '{group}' on the source has active members, so strait cannot commit this MirrorMaker 1 flow's positions to it; stop MirrorMaker 1 first"
    )]
    SourceGroupActive { group: String },
}

impl ReplicateError {
    /// Whether trying again later may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            ReplicateError::Kafka(e) => e.is_retriable(),
            ReplicateError::Batch(_) | ReplicateError::Format(_) => false,
            ReplicateError::TopicUnavailable { .. } => true,
            ReplicateError::GroupActive { .. }
            | ReplicateError::SourceGroupActive { .. }
            | ReplicateError::ReplicationFactor { .. } => false,
        }
    }
}
