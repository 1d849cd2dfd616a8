//! kwire errors with a retriable/fatal split: one enum per layer ([`ProtocolError`],
//! [`ConnectionError`], and [`Error`] for the cluster client), each with `is_retriable()`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::ApiKey;

pub use crate::connection::ConnectionError;
pub use crate::protocol::ProtocolError;
use crate::protocol::{ErrorAction, error_action};

/// Result of a cluster-client operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A broker error code with the context needed to act on it and to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// The cluster alias.
    pub cluster: Arc<str>,
    /// The broker that answered, when known.
    pub broker: Option<i32>,
    /// The request's API.
    pub api: ApiKey,
    /// What the error is about, e.g. `topic 'orders' partition 3` or `group 'g1'`.
    pub resource: String,
    /// The error code.
    pub code: ResponseError,
    /// The broker's error message, when it sent one.
    pub message: Option<String>,
}

impl ServerError {
    /// What to do about it.
    pub fn action(&self) -> ErrorAction {
        error_action(self.code)
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cluster '{}'", self.cluster)?;
        if let Some(b) = self.broker {
            write!(f, " broker {b}")?;
        }
        write!(
            f,
            ": {:?} for {} failed: {:?}",
            self.api, self.resource, self.code
        )?;
        match &self.message {
            Some(m) if !m.is_empty() => write!(f, " ({m})"),
            _ => write!(f, " ({})", self.code),
        }
    }
}

/// An error from the cluster client.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reaching or talking to a broker failed (includes authentication failures).
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// A broker answered with an error code.
    #[error("{0}")]
    Server(Box<ServerError>),
    /// Metadata names no leader (or an unknown broker) for a partition yet.
    #[error("cluster '{cluster}': no leader known for {topic}-{partition}")]
    NoLeader {
        /// The cluster alias.
        cluster: Arc<str>,
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
    },
    /// A request must go to a broker that current metadata does not list.
    #[error("cluster '{cluster}': broker {node_id} is not in the cluster metadata")]
    UnknownBroker {
        /// The cluster alias.
        cluster: Arc<str>,
        /// The broker id.
        node_id: i32,
    },
    /// No broker answered: every known and bootstrap address failed.
    #[error("cluster '{cluster}': no broker reachable ({last})")]
    NoBrokerReachable {
        /// The cluster alias.
        cluster: Arc<str>,
        /// The last connection error.
        last: Box<Error>,
    },
    /// An operation kept failing with retriable errors until its time budget ran out.
    #[error("cluster '{cluster}': {operation} gave up after {elapsed:?}: {last}")]
    RetriesExhausted {
        /// The cluster alias.
        cluster: Arc<str>,
        /// What was being attempted.
        operation: &'static str,
        /// How long it tried.
        elapsed: Duration,
        /// The last error seen.
        last: Box<Error>,
    },
    /// The idempotent producer did not write this send because an earlier send to the same
    /// partition failed; later sends start a fresh sequence. Re-send from the last
    /// acknowledged position once the cause is handled.
    #[error(
        "cluster '{cluster}': send to {partition} not written because an earlier one failed: {cause}"
    )]
    ProduceAborted {
        /// The cluster alias.
        cluster: Arc<str>,
        /// The partition, as `topic-partition`.
        partition: String,
        /// The earlier failure.
        cause: Box<Error>,
    },
    /// The caller asked for something kwire cannot send.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The broker answered something that contradicts the protocol (e.g. a missing partition).
    #[error("cluster '{cluster}': unexpected response: {detail}")]
    UnexpectedResponse {
        /// The cluster alias.
        cluster: Arc<str>,
        /// What was wrong.
        detail: String,
    },
    /// The client or producer was closed.
    #[error("{0} is closed")]
    Closed(&'static str),
}

impl Error {
    /// Whether trying again later may succeed. Fatal errors (authentication, authorization,
    /// invalid requests, configuration) return false and should be surfaced to the operator.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Connection(e) => e.is_retriable(),
            Error::Server(e) => e.action().is_retriable(),
            Error::NoLeader { .. } | Error::UnknownBroker { .. } => true,
            Error::NoBrokerReachable { last, .. } => last.is_retriable(),
            Error::RetriesExhausted { last, .. } => last.is_retriable(),
            Error::InvalidArgument(_)
            | Error::UnexpectedResponse { .. }
            | Error::Closed(_)
            | Error::ProduceAborted { .. } => false,
        }
    }

    /// Whether the client's metadata should be refreshed before a retry.
    pub fn needs_metadata_refresh(&self) -> bool {
        match self {
            Error::Server(e) => e.action() == ErrorAction::RefreshMetadata,
            Error::NoLeader { .. } | Error::UnknownBroker { .. } => true,
            // A broken connection may mean the broker moved or died.
            Error::Connection(e) => e.is_retriable(),
            _ => false,
        }
    }

    /// The broker error code, if this is a server error.
    pub fn code(&self) -> Option<ResponseError> {
        match self {
            Error::Server(e) => Some(e.code),
            Error::RetriesExhausted { last, .. } => last.code(),
            _ => None,
        }
    }

    /// The server error, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Error::Server(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ServerError> for Error {
    fn from(e: ServerError) -> Self {
        Error::Server(Box::new(e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn server(code: ResponseError) -> Error {
        ServerError {
            cluster: Arc::from("A"),
            broker: Some(1),
            api: ApiKey::Produce,
            resource: "topic 't' partition 0".into(),
            code,
            message: None,
        }
        .into()
    }

    #[test]
    fn classification() {
        assert!(server(ResponseError::NotLeaderOrFollower).is_retriable());
        assert!(server(ResponseError::NotLeaderOrFollower).needs_metadata_refresh());
        assert!(!server(ResponseError::TopicAuthorizationFailed).is_retriable());
        let msg = server(ResponseError::TopicAuthorizationFailed).to_string();
        assert!(
            msg.contains("cluster 'A'") && msg.contains("TopicAuthorizationFailed"),
            "{msg}"
        );
    }
}
