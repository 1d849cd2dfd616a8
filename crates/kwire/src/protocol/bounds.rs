//! Bounds checks on responses before kafka-protocol decodes them (Kafka protocol guide,
//! "Protocol Primitive Types": ARRAY, COMPACT_ARRAY, tagged fields).
//!
//! kafka-protocol's array decoders reserve room for the element count read from the wire
//! before reading a single element, so a count like 0x7FFFFFFF makes the allocator abort the
//! process. Strings and byte fields are safe (their length is checked against the bytes left).
//! This module walks the layout of the responses kwire reads before authentication
//! (ApiVersions and SaslHandshake; SaslAuthenticate has no arrays) and rejects any array that
//! announces more elements than the remaining bytes could hold, so decoding them allocates at
//! most a small multiple of the frame's size.

use kafka_protocol::messages::ApiKey;

use super::ProtocolError;

/// Checks the array counts of a response body (header already removed) of `api` at
/// `version`. APIs without a walker pass unchecked.
pub fn check_response(api: ApiKey, version: i16, body: &[u8]) -> Result<(), ProtocolError> {
    let mut r = Reader { buf: body, pos: 0 };
    let result = match api {
        ApiKey::ApiVersions => api_versions(&mut r, version),
        ApiKey::SaslHandshake => sasl_handshake(&mut r),
        _ => Ok(()),
    };
    result.map_err(|detail| ProtocolError::Decode {
        api,
        version,
        detail,
    })
}

type Check<T = ()> = Result<T, String>;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn skip(&mut self, n: usize) -> Check {
        if n > self.remaining() {
            return Err(format!(
                "truncated: {n} bytes needed at offset {}, {} left",
                self.pos,
                self.remaining()
            ));
        }
        self.pos += n;
        Ok(())
    }

    fn i32(&mut self) -> Check<i32> {
        let start = self.pos;
        self.skip(4)?;
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.buf[start..start + 4]);
        Ok(i32::from_be_bytes(b))
    }

    fn i16(&mut self) -> Check<i16> {
        let start = self.pos;
        self.skip(2)?;
        Ok(i16::from_be_bytes([self.buf[start], self.buf[start + 1]]))
    }

    fn uvarint(&mut self) -> Check<u32> {
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let start = self.pos;
            self.skip(1)?;
            let b = self.buf[start];
            value |= u32::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("varint longer than 5 bytes at offset {}", self.pos))
    }

    /// A count of `n` elements of at least `min_size` bytes each must fit in what is left.
    fn check_count(&self, n: u64, min_size: u64) -> Check<usize> {
        let left = self.remaining() as u64;
        if n.saturating_mul(min_size.max(1)) > left {
            return Err(format!(
                "array of {n} elements announced at offset {} with only {left} bytes left",
                self.pos
            ));
        }
        usize::try_from(n).map_err(|_| format!("array of {n} elements"))
    }

    /// ARRAY: INT32 count, -1 for null.
    fn array(&mut self, min_size: u64) -> Check<usize> {
        match self.i32()? {
            n if n < 0 => Ok(0),
            n => self.check_count(n as u64, min_size),
        }
    }

    /// COMPACT_ARRAY: UNSIGNED_VARINT count + 1, 0 for null.
    fn compact_array(&mut self, min_size: u64) -> Check<usize> {
        match self.uvarint()? {
            0 => Ok(0),
            n => self.check_count(u64::from(n) - 1, min_size),
        }
    }

    /// STRING / NULLABLE_STRING.
    fn string(&mut self) -> Check {
        match self.i16()? {
            n if n < 0 => Ok(()),
            n => self.skip(n as usize),
        }
    }

    /// COMPACT_STRING / COMPACT_NULLABLE_STRING.
    fn compact_string(&mut self) -> Check {
        match self.uvarint()? {
            0 => Ok(()),
            n => self.skip(n as usize - 1),
        }
    }

    /// A tagged-field section; `known` walks the body of a tag this reader understands and
    /// returns false for tags to skip.
    fn tagged_fields(&mut self, known: impl Fn(u32, &mut Reader<'_>) -> Check<bool>) -> Check {
        let n = self.uvarint()?;
        // Each tagged field takes at least two bytes (tag and size).
        self.check_count(u64::from(n), 2)?;
        for _ in 0..n {
            let tag = self.uvarint()?;
            let size = self.uvarint()? as usize;
            let start = self.pos;
            self.skip(size)?;
            let mut body = Reader {
                buf: &self.buf[start..start + size],
                pos: 0,
            };
            if known(tag, &mut body)? && body.remaining() != 0 {
                return Err(format!("tagged field {tag} is longer than its content"));
            }
        }
        Ok(())
    }
}

fn no_tags(_: u32, _: &mut Reader<'_>) -> Check<bool> {
    Ok(false)
}

fn api_versions(r: &mut Reader<'_>, version: i16) -> Check {
    let flexible = version >= 3;
    r.i16()?; // error_code
    if flexible {
        // ApiVersion: api_key, min, max, tagged fields.
        for _ in 0..r.compact_array(7)? {
            r.skip(6)?;
            r.tagged_fields(no_tags)?;
        }
    } else {
        for _ in 0..r.array(6)? {
            r.skip(6)?;
        }
    }
    if version >= 1 {
        r.i32()?; // throttle_time_ms
    }
    if flexible {
        r.tagged_fields(|tag, body| match tag {
            // SupportedFeatures and FinalizedFeatures: name, two versions, tagged fields.
            0 | 2 => {
                for _ in 0..body.compact_array(6)? {
                    body.compact_string()?;
                    body.skip(4)?;
                    body.tagged_fields(no_tags)?;
                }
                Ok(true)
            }
            1 => body.skip(8).map(|()| true),
            3 => body.skip(1).map(|()| true),
            _ => Ok(false),
        })?;
    }
    Ok(())
}

fn sasl_handshake(r: &mut Reader<'_>) -> Check {
    r.i16()?; // error_code
    for _ in 0..r.array(2)? {
        r.string()?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bytes::{BufMut, BytesMut};
    use kafka_protocol::messages::ApiVersionsResponse;
    use kafka_protocol::protocol::Decodable;

    /// An ApiVersions body of `version` with three keys and, from v3, one supported feature.
    fn encoded(version: i16) -> Vec<u8> {
        let flexible = version >= 3;
        let mut b = BytesMut::new();
        b.put_i16(0);
        if flexible {
            b.put_u8(4);
        } else {
            b.put_i32(3);
        }
        for key in [3, 18, 36] {
            b.put_slice(&[0, key, 0, 0, 0, 9]);
            if flexible {
                b.put_u8(0);
            }
        }
        if version >= 1 {
            b.put_i32(0);
        }
        if flexible {
            let name = b"metadata.version";
            let mut feature = BytesMut::new();
            feature.put_u8(2); // one feature
            feature.put_u8(name.len() as u8 + 1);
            feature.put_slice(name);
            feature.put_slice(&[0, 1, 0, 20, 0]);
            b.put_u8(2); // two tagged fields
            b.put_slice(&[0, feature.len() as u8]);
            b.put_slice(&feature);
            b.put_slice(&[1, 8, 0, 0, 0, 0, 0, 0, 0, 7]); // finalized_features_epoch
        }
        b.to_vec()
    }

    /// The walker agrees with kafka-protocol's decoder on what is well formed.
    fn decodes(version: i16, body: &[u8]) -> bool {
        let mut bytes = bytes::Bytes::copy_from_slice(body);
        ApiVersionsResponse::decode(&mut bytes, version).is_ok()
    }

    #[test]
    fn accepts_real_api_versions_responses() {
        for v in 0..=4 {
            assert!(decodes(v, &encoded(v)));
            check_response(ApiKey::ApiVersions, v, &encoded(v)).unwrap();
        }
    }

    #[test]
    fn rejects_absurd_counts() {
        let mut body = BytesMut::new();
        body.put_i16(0);
        body.put_i32(i32::MAX);
        let err = check_response(ApiKey::ApiVersions, 0, &body).unwrap_err();
        assert!(err.to_string().contains("2147483647 elements"), "{err}");
        let mut body = BytesMut::new();
        body.put_i16(0);
        body.put_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]); // compact count u32::MAX
        assert!(check_response(ApiKey::ApiVersions, 3, &body).is_err());
        let mut body = BytesMut::new();
        body.put_i16(33);
        body.put_i32(0x4000_0000);
        assert!(check_response(ApiKey::SaslHandshake, 1, &body).is_err());
    }

    #[test]
    fn rejects_truncation_and_oversized_tagged_fields() {
        let full = encoded(3);
        for cut in 0..full.len() {
            assert!(check_response(ApiKey::ApiVersions, 3, &full[..cut]).is_err());
        }
        // Tagged field 0 (SupportedFeatures) of 2 bytes claiming 1000 features.
        let mut body = BytesMut::new();
        body.put_i16(0);
        body.put_u8(1); // empty api_keys
        body.put_i32(0);
        body.put_slice(&[1, 0, 2, 0xe9, 0x07]);
        assert!(check_response(ApiKey::ApiVersions, 3, &body).is_err());
    }
}
