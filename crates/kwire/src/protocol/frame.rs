//! Length-prefixed framing (Kafka protocol guide, "Common Request and Response Structure"):
//! every message is a 4-byte big-endian size, then a header, then the body.

use std::fmt::Display;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

use super::bounds::check_response;
use super::{KafkaRequest, ProtocolError};

/// The default of `socket.response.max.bytes` (the connection setting `socket_response_max_bytes`):
/// the largest response frame kwire accepts, 256 MiB. Fetch responses are bounded by the
/// request's `max_bytes` (Kafka's default `fetch.max.bytes` is 50 MiB); anything far above
/// that is a corrupt length or a non-Kafka peer (a TLS alert read as plaintext looks like
/// ~350 MB).
pub const MAX_FRAME_BYTES: usize = 256 * 1024 * 1024;

/// Encodes `req` as one complete frame, length prefix included.
pub fn encode_request<R: KafkaRequest>(
    req: &R,
    version: i16,
    correlation_id: i32,
    client_id: &StrBytes,
) -> Result<Bytes, ProtocolError> {
    let header = RequestHeader::default()
        .with_request_api_key(R::KEY as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(client_id.clone()));
    let header_version = R::header_version(version);
    let size = header
        .compute_size(header_version)
        .map_err(encode_error(R::KEY, version))?
        + req
            .compute_size(version)
            .map_err(encode_error(R::KEY, version))?;
    let mut buf = BytesMut::with_capacity(4 + size);
    buf.put_i32(i32::try_from(size).map_err(|_| ProtocolError::Encode {
        api: R::KEY,
        version,
        detail: format!("request of {size} bytes is too large"),
    })?);
    header
        .encode(&mut buf, header_version)
        .map_err(encode_error(R::KEY, version))?;
    req.encode(&mut buf, version)
        .map_err(encode_error(R::KEY, version))?;
    Ok(buf.freeze())
}

/// The frame length announced by a 4-byte prefix, checked against `max` (the connection's
/// `socket.response.max.bytes`, [`MAX_FRAME_BYTES`] by default).
pub fn frame_length(prefix: [u8; 4], max: usize) -> Result<usize, ProtocolError> {
    let len = i32::from_be_bytes(prefix);
    match usize::try_from(len) {
        Ok(n) if (4..=max).contains(&n) => Ok(n),
        _ => Err(ProtocolError::FrameTooLarge {
            len: i64::from(len),
            max,
        }),
    }
}

/// The correlation id of a response frame (length prefix already stripped). Every response
/// header version starts with it, so it can be read before the version is known.
pub fn correlation_id_of(frame: &[u8]) -> Option<i32> {
    let id: [u8; 4] = frame.get(..4)?.try_into().ok()?;
    Some(i32::from_be_bytes(id))
}

/// Decodes a response frame (length prefix stripped) of `version`. Decoding from `Bytes` keeps
/// record blobs as zero-copy slices of the frame.
pub fn decode_response<R: KafkaRequest>(
    mut frame: Bytes,
    version: i16,
) -> Result<(i32, R::Response), ProtocolError> {
    let header_version = R::Response::header_version(version);
    let header = ResponseHeader::decode(&mut frame, header_version)
        .map_err(decode_error(R::KEY, version))?;
    check_response(R::KEY, version, &frame)?;
    let body = R::Response::decode(&mut frame, version).map_err(decode_error(R::KEY, version))?;
    Ok((header.correlation_id, body))
}

// kafka-protocol reports `anyhow::Error`; these keep only its message, so kwire needs no anyhow.
fn encode_error<E: Display>(api: ApiKey, version: i16) -> impl Fn(E) -> ProtocolError {
    move |e| ProtocolError::Encode {
        api,
        version,
        detail: e.to_string(),
    }
}

fn decode_error<E: Display>(api: ApiKey, version: i16) -> impl Fn(E) -> ProtocolError {
    move |e| ProtocolError::Decode {
        api,
        version,
        detail: e.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};

    #[test]
    fn encodes_length_prefix_and_header() {
        let req = MetadataRequest::default().with_topics(Some(vec![]));
        let frame = encode_request(&req, 9, 42, &StrBytes::from_static_str("kw")).unwrap();
        let len = frame_length(frame[..4].try_into().unwrap(), MAX_FRAME_BYTES).unwrap();
        assert_eq!(len, frame.len() - 4);
        // api key 3, version 9, correlation 42
        assert_eq!(&frame[4..12], &[0, 3, 0, 9, 0, 0, 0, 42]);
    }

    #[test]
    fn api_versions_request_roundtrip_len() {
        let req = ApiVersionsRequest::default();
        let frame = encode_request(&req, 0, 1, &StrBytes::from_static_str("kw")).unwrap();
        assert_eq!(
            frame_length(frame[..4].try_into().unwrap(), MAX_FRAME_BYTES).unwrap(),
            frame.len() - 4
        );
    }

    #[test]
    fn rejects_bad_lengths() {
        let max = MAX_FRAME_BYTES;
        assert!(frame_length((-1i32).to_be_bytes(), max).is_err());
        assert!(frame_length(0x1503_0300i32.to_be_bytes(), max).is_err());
        assert!(frame_length(2i32.to_be_bytes(), max).is_err());
        assert!(frame_length(1001i32.to_be_bytes(), 1000).is_err());
        assert_eq!(frame_length(1000i32.to_be_bytes(), 1000).unwrap(), 1000);
    }

    #[test]
    fn reads_correlation_id() {
        assert_eq!(correlation_id_of(&[0, 0, 1, 0, 9]), Some(256));
        assert_eq!(correlation_id_of(&[0, 0]), None);
    }
}
