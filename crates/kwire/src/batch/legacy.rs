//! Legacy message sets, magic v0 and v1 (Kafka protocol guide, "Message Sets"; timestamps
//! from KIP-32, relative inner offsets from KIP-31): read-only, decoded into the same
//! [`Record`] type so the fallback path can re-encode them as v2.

use std::fmt;

use bytes::Bytes;

use super::codec::Cursor;
use super::compression::{DEFAULT_MAX_DECOMPRESSED, decompress_legacy};
use super::view::{BATCH_LENGTH, LOG_OVERHEAD, MAGIC, be_i32, be_i64};
use super::{BatchError, Compression, Record, TimestampType};

/// Smallest `message_size` of a v0 message: crc, magic, attributes, key and value lengths.
pub(crate) const MIN_V0_SIZE: i32 = 14;
/// v1 adds an 8-byte timestamp.
pub(crate) const MIN_V1_SIZE: i32 = 22;
const CRC: usize = 12;
const ATTRIBUTES: usize = 17;
const TIMESTAMP: usize = 18;
const ATTR_COMPRESSION_MASK: u8 = 0x07;
const ATTR_LOG_APPEND_TIME: u8 = 0x08;
/// Java's `RecordBatch.NO_TIMESTAMP`, what v0 messages read as.
const NO_TIMESTAMP: i64 = -1;

/// One legacy message as found in a records blob: either a plain message or a compressed
/// wrapper whose value holds an inner message set.
#[derive(Clone, PartialEq, Eq)]
pub struct LegacyMessage {
    bytes: Bytes,
}

/// Fields of one parsed message.
struct Parsed {
    offset: i64,
    magic: i8,
    attributes: u8,
    timestamp: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
}

impl LegacyMessage {
    /// Wraps `bytes`, which must hold exactly one magic 0 or 1 message with its
    /// 12-byte offset/size prefix.
    pub fn new(bytes: Bytes) -> Result<Self, BatchError> {
        if bytes.len() < LOG_OVERHEAD + MIN_V0_SIZE as usize {
            return Err(BatchError::Truncated {
                needed: LOG_OVERHEAD + MIN_V0_SIZE as usize,
                available: bytes.len(),
            });
        }
        let magic = bytes[MAGIC] as i8;
        let min = match magic {
            0 => MIN_V0_SIZE,
            1 => MIN_V1_SIZE,
            found => {
                return Err(BatchError::BadMagic {
                    found,
                    expected: "0 or 1",
                });
            }
        };
        let size = be_i32(&bytes, BATCH_LENGTH);
        let declared = i64::from(size) + LOG_OVERHEAD as i64;
        if declared != bytes.len() as i64 {
            return Err(BatchError::LengthMismatch {
                declared,
                actual: bytes.len(),
            });
        }
        if size < min {
            return Err(BatchError::corrupt(format!(
                "magic {magic} message size {size} is below the minimum {min}"
            )));
        }
        Ok(Self { bytes })
    }

    /// The whole message, offset and size prefix included.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Offset of the message; for a v1 compressed wrapper, of its last inner message.
    pub fn offset(&self) -> i64 {
        be_i64(&self.bytes, 0)
    }

    /// 0 or 1.
    pub fn magic(&self) -> i8 {
        self.bytes[MAGIC] as i8
    }

    /// Raw attribute byte.
    pub fn attributes(&self) -> u8 {
        self.bytes[ATTRIBUTES]
    }

    /// Codec of the value; zstd and ids 5–7 are invalid before v2.
    pub fn compression(&self) -> Result<Compression, BatchError> {
        match Compression::from_id(self.attributes() & ATTR_COMPRESSION_MASK)? {
            Compression::Zstd => Err(BatchError::UnknownCompression(Compression::Zstd.id())),
            c => Ok(c),
        }
    }

    /// Timestamp type bit (v1 only; v0 has no timestamps).
    pub fn timestamp_type(&self) -> TimestampType {
        if self.magic() > 0 && self.attributes() & ATTR_LOG_APPEND_TIME != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// The v1 timestamp field, `None` for v0.
    pub fn timestamp(&self) -> Option<i64> {
        (self.magic() > 0).then(|| be_i64(&self.bytes, TIMESTAMP))
    }

    /// Stored CRC32 (IEEE).
    pub fn crc(&self) -> u32 {
        be_i32(&self.bytes, CRC) as u32
    }

    /// CRC32 (IEEE, not Castagnoli as in v2) over magic..end.
    pub fn compute_crc(&self) -> u32 {
        let mut crc = flate2::Crc::new();
        crc.update(&self.bytes[MAGIC..]);
        crc.sum()
    }

    /// Fails with [`BatchError::CrcMismatch`] if the stored CRC is wrong.
    pub fn verify_crc(&self) -> Result<(), BatchError> {
        let (expected, actual) = (self.crc(), self.compute_crc());
        if expected == actual {
            Ok(())
        } else {
            Err(BatchError::CrcMismatch { expected, actual })
        }
    }

    /// Decodes into records with the default decompression bound.
    pub fn records(&self) -> Result<Vec<Record>, BatchError> {
        decode_legacy(self)
    }

    fn parse(&self) -> Result<Parsed, BatchError> {
        let mut cur = Cursor::new(self.bytes.clone());
        let offset = cur.i64()?;
        let _size = cur.i32()?;
        let _crc = cur.i32()?;
        let magic = cur.i8()?;
        let attributes = cur.i8()? as u8;
        let timestamp = if magic > 0 { cur.i64()? } else { NO_TIMESTAMP };
        let key = bytes32(&mut cur, "key")?;
        let value = bytes32(&mut cur, "value")?;
        if cur.remaining() != 0 {
            return Err(BatchError::corrupt(format!(
                "{} bytes after the value of the message at offset {offset}",
                cur.remaining()
            )));
        }
        Ok(Parsed {
            offset,
            magic,
            attributes,
            timestamp,
            key,
            value,
        })
    }
}

impl fmt::Debug for LegacyMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyMessage")
            .field("offset", &self.offset())
            .field("magic", &self.magic())
            .field("attributes", &self.attributes())
            .field("size", &self.bytes.len())
            .finish()
    }
}

/// Reads an int32-length byte string where −1 means null.
fn bytes32(cur: &mut Cursor, what: &str) -> Result<Option<Bytes>, BatchError> {
    match cur.i32()? {
        -1 => Ok(None),
        n if n < 0 => Err(BatchError::corrupt(format!("{what} length {n}"))),
        n => Ok(Some(cur.take(n as usize)?)),
    }
}

/// Decodes a legacy message (expanding a compressed wrapper) with the default bound.
pub fn decode_legacy(msg: &LegacyMessage) -> Result<Vec<Record>, BatchError> {
    decode_legacy_with_limit(msg, DEFAULT_MAX_DECOMPRESSED)
}

/// Decodes a legacy message into records with absolute offsets and timestamps, failing if
/// a wrapper inflates past `max_decompressed`. CRCs are verified, inner ones included.
pub fn decode_legacy_with_limit(
    msg: &LegacyMessage,
    max_decompressed: usize,
) -> Result<Vec<Record>, BatchError> {
    msg.verify_crc()?;
    let outer = msg.parse()?;
    match msg.compression()? {
        Compression::None => Ok(vec![to_record(outer, None, None)]),
        codec => decode_wrapper(outer, codec, max_decompressed),
    }
}

fn decode_wrapper(
    outer: Parsed,
    codec: Compression,
    max: usize,
) -> Result<Vec<Record>, BatchError> {
    let value = outer
        .value
        .as_ref()
        .ok_or_else(|| BatchError::corrupt("compressed wrapper message has a null value"))?;
    let inner = Bytes::from(decompress_legacy(codec, outer.magic, value, max)?);
    let msgs = split_inner(inner)?;
    let last_rel = msgs
        .last()
        .map(|m| m.offset)
        .ok_or_else(|| BatchError::corrupt("compressed wrapper message holds no messages"))?;
    // v1 wrappers carry the absolute offset of their last inner message and inner offsets
    // count from 0 (KIP-31); v0 inner offsets are already absolute.
    let base = (outer.magic > 0).then(|| outer.offset.wrapping_sub(last_rel));
    let log_append = (outer.magic > 0 && outer.attributes & ATTR_LOG_APPEND_TIME != 0)
        .then_some(outer.timestamp);
    Ok(msgs
        .into_iter()
        .map(|m| to_record(m, base, log_append))
        .collect())
}

fn split_inner(inner: Bytes) -> Result<Vec<Parsed>, BatchError> {
    let mut msgs = Vec::new();
    let mut pos = 0;
    while pos < inner.len() {
        let rest = inner.len() - pos;
        if rest < LOG_OVERHEAD {
            return Err(BatchError::corrupt("truncated inner message header"));
        }
        let size = be_i32(&inner[pos..], BATCH_LENGTH);
        let total = usize::try_from(size).map_or(usize::MAX, |s| s.saturating_add(LOG_OVERHEAD));
        if total > rest {
            return Err(BatchError::corrupt(format!(
                "inner message size {size} runs past the data"
            )));
        }
        let msg = LegacyMessage::new(inner.slice(pos..pos + total))?;
        msg.verify_crc()?;
        if msg.attributes() & ATTR_COMPRESSION_MASK != 0 {
            return Err(BatchError::corrupt(
                "nested compression in a legacy message set",
            ));
        }
        msgs.push(msg.parse()?);
        pos += total;
    }
    Ok(msgs)
}

fn to_record(m: Parsed, base: Option<i64>, log_append: Option<i64>) -> Record {
    Record {
        offset: base.map_or(m.offset, |b| b.wrapping_add(m.offset)),
        timestamp: log_append.unwrap_or(m.timestamp),
        key: m.key,
        value: m.value,
        headers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use bytes::{BufMut, BytesMut};

    use super::*;

    /// Assembles one legacy message per the protocol guide, CRC included.
    fn message(
        offset: i64,
        magic: i8,
        attributes: u8,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut body = BytesMut::new();
        body.put_i8(magic);
        body.put_u8(attributes);
        if magic > 0 {
            body.put_i64(1_600_000_000_000);
        }
        for field in [key, value] {
            match field {
                None => body.put_i32(-1),
                Some(b) => {
                    body.put_i32(b.len() as i32);
                    body.put_slice(b);
                }
            }
        }
        let mut crc = flate2::Crc::new();
        crc.update(&body);
        let mut out = BytesMut::new();
        out.put_i64(offset);
        out.put_i32(body.len() as i32 + 4);
        out.put_u32(crc.sum());
        out.put_slice(&body);
        out.to_vec()
    }

    fn decode(bytes: Vec<u8>) -> Result<Vec<Record>, BatchError> {
        LegacyMessage::new(Bytes::from(bytes))?.records()
    }

    #[test]
    fn plain_messages_decode() {
        let recs = decode(message(7, 1, 0, None, Some(b"abc"))).expect("v1");
        assert_eq!(
            recs,
            vec![Record {
                offset: 7,
                timestamp: 1_600_000_000_000,
                value: Some(Bytes::from_static(b"abc")),
                ..Default::default()
            }]
        );
        let recs = decode(message(8, 0, 0, Some(b"k"), None)).expect("v0");
        assert_eq!((recs[0].timestamp, recs[0].value.clone()), (-1, None));
    }

    #[test]
    fn damage_is_detected() {
        let mut m = message(7, 1, 0, None, Some(b"abc"));
        let last = m.len() - 1;
        m[last] ^= 1;
        assert!(matches!(decode(m), Err(BatchError::CrcMismatch { .. })));
        assert!(matches!(
            decode(message(7, 1, 4, None, Some(b"x"))),
            Err(BatchError::UnknownCompression(4))
        ));
        let null_wrapper = decode(message(7, 1, 1, None, None));
        assert!(matches!(null_wrapper, Err(BatchError::Corrupt(m)) if m.contains("null value")));
    }

    #[test]
    fn wrappers_expand_with_relative_offsets_and_reject_nesting() {
        let mut inner = message(0, 1, 0, None, Some(b"a"));
        inner.extend_from_slice(&message(1, 1, 0, None, Some(b"b")));
        let mut gz = BytesMut::new();
        super::super::compress(Compression::Gzip, &inner, &mut gz).expect("gzip");
        let recs = decode(message(41, 1, 1, None, Some(&gz))).expect("wrapper");
        assert_eq!(
            recs.iter().map(|r| r.offset).collect::<Vec<_>>(),
            vec![40, 41]
        );

        let nested = message(0, 1, 1, None, Some(&gz));
        let mut gz2 = BytesMut::new();
        super::super::compress(Compression::Gzip, &nested, &mut gz2).expect("gzip");
        let err = decode(message(0, 1, 1, None, Some(&gz2)));
        assert!(matches!(err, Err(BatchError::Corrupt(m)) if m.contains("nested")));
    }
}
