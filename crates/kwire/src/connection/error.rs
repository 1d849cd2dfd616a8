//! Errors of the connection layer (Kafka protocol guide, "Network" and "SASL Authentication
//! Sequence"): reaching, securing, authenticating to and talking to one broker.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::ApiKey;

use super::config::SaslMechanism;
use crate::protocol::ProtocolError;

/// Which broker a connection goes to, for error messages and logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The cluster alias from [`ClientConfig::cluster_name`](super::ClientConfig).
    pub cluster: Arc<str>,
    /// The broker id, `None` for a bootstrap address not yet matched to a broker.
    pub node_id: Option<i32>,
    /// `host:port`.
    pub addr: Arc<str>,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.node_id {
            Some(id) => write!(f, "cluster '{}' broker {id} ({})", self.cluster, self.addr),
            None => write!(
                f,
                "cluster '{}' bootstrap server {}",
                self.cluster, self.addr
            ),
        }
    }
}

/// A failure to reach, secure, authenticate to or exchange requests with one broker.
///
/// Clone, because a dead connection hands the same error to every request in flight.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// Name resolution or TCP connect failed.
    #[error("{endpoint}: cannot connect: {source}")]
    Connect {
        /// The broker.
        endpoint: Endpoint,
        /// The I/O error.
        source: Arc<std::io::Error>,
    },
    /// No bootstrap address of the cluster resolves to an IP address (a misspelled or
    /// unknown host name): fatal, as retrying does not fix the name.
    #[error("cluster '{cluster}': no bootstrap server host name resolves: {detail}")]
    Unresolvable {
        /// The cluster alias.
        cluster: Arc<str>,
        /// Each address with its resolver error.
        detail: String,
    },
    /// TCP, TLS and SASL setup did not finish within the connect timeout.
    #[error("{endpoint}: connection setup timed out after {timeout:?}")]
    ConnectTimeout {
        /// The broker.
        endpoint: Endpoint,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The TLS handshake failed (untrusted or mismatched certificate, protocol mismatch).
    #[error("{endpoint}: TLS handshake failed: {detail}")]
    Tls {
        /// The broker.
        endpoint: Endpoint,
        /// What rustls reported.
        detail: String,
    },
    /// The client configuration cannot work (bad PEM, missing SASL credentials, ...).
    #[error("cluster '{cluster}': invalid client configuration: {detail}")]
    Config {
        /// The cluster alias.
        cluster: Arc<str>,
        /// What is wrong.
        detail: String,
    },
    /// The broker rejected our credentials. Never retried: retrying a wrong password only
    /// floods the broker's logs and can lock accounts.
    #[error("{endpoint}: SASL {mechanism} authentication failed for user '{username}': {detail}")]
    Authentication {
        /// The broker.
        endpoint: Endpoint,
        /// The mechanism used.
        mechanism: SaslMechanism,
        /// The user name (not secret).
        username: String,
        /// The broker's message, with any echo of the password removed.
        detail: String,
    },
    /// The broker does not enable the configured SASL mechanism.
    #[error(
        "{endpoint}: SASL mechanism {mechanism} is not enabled on the broker (enabled: {enabled})"
    )]
    SaslMechanismDisabled {
        /// The broker.
        endpoint: Endpoint,
        /// The mechanism we asked for.
        mechanism: SaslMechanism,
        /// The mechanisms the broker offers, comma-separated.
        enabled: String,
    },
    /// The connection broke while in use.
    #[error("{endpoint}: connection lost: {source}")]
    Io {
        /// The broker.
        endpoint: Endpoint,
        /// The I/O error.
        source: Arc<std::io::Error>,
    },
    /// The connection was closed (by the peer, for idleness, or on request).
    #[error("{endpoint}: connection closed: {reason}")]
    Closed {
        /// The broker.
        endpoint: Endpoint,
        /// Why.
        reason: String,
    },
    /// No response within the request timeout; the connection is closed as a consequence.
    #[error("{endpoint}: {api:?} request timed out after {timeout:?}")]
    RequestTimedOut {
        /// The broker.
        endpoint: Endpoint,
        /// The request's API.
        api: ApiKey,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// A frame or message could not be encoded or decoded, or versions do not overlap.
    #[error("{endpoint}: {source}")]
    Protocol {
        /// The broker.
        endpoint: Endpoint,
        /// The protocol error.
        source: ProtocolError,
    },
}

impl ConnectionError {
    /// Whether retrying (usually on a fresh connection) can succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Self::Connect { .. }
            | Self::ConnectTimeout { .. }
            | Self::Io { .. }
            | Self::Closed { .. }
            | Self::RequestTimedOut { .. } => true,
            Self::Tls { .. }
            | Self::Config { .. }
            | Self::Unresolvable { .. }
            | Self::Authentication { .. }
            | Self::SaslMechanismDisabled { .. }
            | Self::Protocol { .. } => false,
        }
    }

    /// Whether this is an authentication or configuration problem an operator must fix.
    pub fn is_auth_or_config(&self) -> bool {
        matches!(
            self,
            Self::Tls { .. }
                | Self::Config { .. }
                | Self::Unresolvable { .. }
                | Self::Authentication { .. }
                | Self::SaslMechanismDisabled { .. }
        )
    }

    /// The broker this error concerns, if any.
    pub fn endpoint(&self) -> Option<&Endpoint> {
        match self {
            Self::Config { .. } | Self::Unresolvable { .. } => None,
            Self::Connect { endpoint, .. }
            | Self::ConnectTimeout { endpoint, .. }
            | Self::Tls { endpoint, .. }
            | Self::Authentication { endpoint, .. }
            | Self::SaslMechanismDisabled { endpoint, .. }
            | Self::Io { endpoint, .. }
            | Self::Closed { endpoint, .. }
            | Self::RequestTimedOut { endpoint, .. }
            | Self::Protocol { endpoint, .. } => Some(endpoint),
        }
    }
}
