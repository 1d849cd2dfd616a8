//! Request framing and API version negotiation (Kafka protocol guide, "Requests and
//! Responses" and "Protocol Error Codes"; KIP-35 ApiVersions; KIP-896 version floors).
//!
//! This layer knows nothing about sockets: it turns typed requests into length-prefixed
//! frames and frames back into typed responses, picks versions, and classifies error codes.

mod bounds;
mod codes;
mod error;
mod frame;
mod versions;

pub use bounds::check_response;
pub use codes::{ErrorAction, error_action, is_retriable_code};
pub use error::ProtocolError;
pub use frame::{
    MAX_FRAME_BYTES, correlation_id_of, decode_response, encode_request, frame_length,
};
/// Kafka error codes, as the `kafka-protocol` crate names them.
pub use kafka_protocol::ResponseError;
pub use versions::{BrokerVersions, supported_versions};

use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};

/// A request kwire knows how to send, with its response type.
///
/// kafka-protocol's own `Request` trait is only implemented when its `broker` feature is on
/// (it also demands request decoding), so kwire keeps this small client-side equivalent.
pub trait KafkaRequest: Encodable + HeaderVersion + Send + Sync + 'static {
    /// The API key the request header carries.
    const KEY: ApiKey;
    /// The matching response message.
    type Response: Decodable + HeaderVersion + Send + 'static;
}

macro_rules! kafka_requests {
    ($($req:ident => $resp:ident, $key:ident;)*) => {
        $(impl KafkaRequest for $req {
            const KEY: ApiKey = ApiKey::$key;
            type Response = $resp;
        })*
    };
}

kafka_requests! {
    ProduceRequest => ProduceResponse, Produce;
    FetchRequest => FetchResponse, Fetch;
    ListOffsetsRequest => ListOffsetsResponse, ListOffsets;
    MetadataRequest => MetadataResponse, Metadata;
    OffsetCommitRequest => OffsetCommitResponse, OffsetCommit;
    OffsetFetchRequest => OffsetFetchResponse, OffsetFetch;
    FindCoordinatorRequest => FindCoordinatorResponse, FindCoordinator;
    DescribeGroupsRequest => DescribeGroupsResponse, DescribeGroups;
    ListGroupsRequest => ListGroupsResponse, ListGroups;
    SaslHandshakeRequest => SaslHandshakeResponse, SaslHandshake;
    ApiVersionsRequest => ApiVersionsResponse, ApiVersions;
    CreateTopicsRequest => CreateTopicsResponse, CreateTopics;
    InitProducerIdRequest => InitProducerIdResponse, InitProducerId;
    DescribeAclsRequest => DescribeAclsResponse, DescribeAcls;
    CreateAclsRequest => CreateAclsResponse, CreateAcls;
    DescribeConfigsRequest => DescribeConfigsResponse, DescribeConfigs;
    SaslAuthenticateRequest => SaslAuthenticateResponse, SaslAuthenticate;
    CreatePartitionsRequest => CreatePartitionsResponse, CreatePartitions;
    IncrementalAlterConfigsRequest => IncrementalAlterConfigsResponse, IncrementalAlterConfigs;
}
