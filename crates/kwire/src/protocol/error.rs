//! Errors of the protocol layer (Kafka protocol guide, "Common Request and Response
//! Structure"; KIP-35 ApiVersions): encoding, decoding and version negotiation.

use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::VersionRange;

/// A protocol-level failure. None of these go away by retrying the same request.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// kafka-protocol refused to encode a request (a field set that the version lacks).
    #[error("cannot encode {api:?} v{version} request: {detail}")]
    Encode {
        /// The API being encoded.
        api: ApiKey,
        /// The negotiated version.
        version: i16,
        /// kafka-protocol's explanation.
        detail: String,
    },
    /// A response did not parse as the version we asked for.
    #[error("cannot decode {api:?} v{version} response: {detail}")]
    Decode {
        /// The API being decoded.
        api: ApiKey,
        /// The negotiated version.
        version: i16,
        /// kafka-protocol's explanation.
        detail: String,
    },
    /// kwire and the broker share no version of an API.
    #[error("{api:?}: no version in common (kwire implements {ours}, broker offers {})", broker_range(.broker))]
    UnsupportedVersion {
        /// The API with no common version.
        api: ApiKey,
        /// What kwire implements.
        ours: VersionRange,
        /// What the broker advertised, `None` when it does not know the API at all.
        broker: Option<VersionRange>,
    },
    /// kwire has no implementation of this API.
    #[error("{api:?} is not implemented by kwire")]
    NotImplemented {
        /// The API.
        api: ApiKey,
    },
    /// A length prefix was negative or absurdly large.
    #[error(
        "response frame of {len} bytes exceeds the {max}-byte limit \
         (socket.response.max.bytes); \
         is the security protocol right (for example plaintext against a TLS listener)?"
    )]
    FrameTooLarge {
        /// The announced length.
        len: i64,
        /// The limit.
        max: usize,
    },
}

fn broker_range(r: &Option<VersionRange>) -> String {
    match r {
        Some(r) => r.to_string(),
        None => "nothing".to_owned(),
    }
}

impl ProtocolError {
    /// Protocol errors are never cured by retrying.
    pub fn is_retriable(&self) -> bool {
        false
    }
}
