//! Zero-copy view over one v2 record batch header (Kafka protocol guide, "Record Batch";
//! producer fields from KIP-98, delete horizon from KIP-534).

use std::fmt;

use bytes::Bytes;

use super::{BatchError, Compression};

/// `baseOffset` + `batchLength`: the part of every batch or legacy message outside its length.
pub const LOG_OVERHEAD: usize = 12;
/// Size of the fixed v2 header; records start here.
pub const HEADER_LEN: usize = 61;
/// Smallest legal `batchLength` of a v2 batch (a header and no records).
pub(crate) const MIN_BATCH_LENGTH: i32 = (HEADER_LEN - LOG_OVERHEAD) as i32;

pub(crate) const BASE_OFFSET: usize = 0;
pub(crate) const BATCH_LENGTH: usize = 8;
pub(crate) const PARTITION_LEADER_EPOCH: usize = 12;
/// Same position in v0/v1 messages, which is how a reader tells the formats apart.
pub(crate) const MAGIC: usize = 16;
pub(crate) const CRC: usize = 17;
/// The CRC32C covers everything from the attributes to the end of the batch.
pub(crate) const ATTRIBUTES: usize = 21;
pub(crate) const LAST_OFFSET_DELTA: usize = 23;
pub(crate) const BASE_TIMESTAMP: usize = 27;
pub(crate) const MAX_TIMESTAMP: usize = 35;
pub(crate) const PRODUCER_ID: usize = 43;
pub(crate) const PRODUCER_EPOCH: usize = 51;
pub(crate) const BASE_SEQUENCE: usize = 53;
pub(crate) const RECORDS_COUNT: usize = 57;

pub(crate) const ATTR_COMPRESSION_MASK: i16 = 0x07;
pub(crate) const ATTR_LOG_APPEND_TIME: i16 = 0x08;
pub(crate) const ATTR_TRANSACTIONAL: i16 = 0x10;
pub(crate) const ATTR_CONTROL: i16 = 0x20;
pub(crate) const ATTR_DELETE_HORIZON: i16 = 0x40;

/// The v2 magic byte.
pub const MAGIC_V2: i8 = 2;

/// Which clock the batch timestamps come from (attribute bit 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TimestampType {
    /// Set by the producer, per record.
    #[default]
    CreateTime,
    /// Set by the broker on append; every record reads the batch `maxTimestamp`.
    LogAppendTime,
}

pub(crate) fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

pub(crate) fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

/// Checks that `buf` is exactly one v2 batch whose header can be read safely; returns its
/// codec.
pub(crate) fn check_header(buf: &[u8]) -> Result<Compression, BatchError> {
    if buf.len() < HEADER_LEN {
        return Err(BatchError::Truncated {
            needed: HEADER_LEN,
            available: buf.len(),
        });
    }
    let magic = buf[MAGIC] as i8;
    if magic != MAGIC_V2 {
        return Err(BatchError::BadMagic {
            found: magic,
            expected: "2",
        });
    }
    let declared = i64::from(be_i32(buf, BATCH_LENGTH)) + LOG_OVERHEAD as i64;
    if declared != buf.len() as i64 {
        return Err(BatchError::LengthMismatch {
            declared,
            actual: buf.len(),
        });
    }
    Compression::from_id((be_i16(buf, ATTRIBUTES) & ATTR_COMPRESSION_MASK) as u8)
}

/// One complete v2 record batch, read in place.
///
/// Cloning is cheap (it shares the buffer). The constructor guarantees a full 61-byte
/// header, magic 2, a length field matching the buffer and a known codec, so every
/// accessor is infallible. The CRC is not checked until [`BatchView::verify_crc`].
#[derive(Clone, PartialEq, Eq)]
pub struct BatchView {
    bytes: Bytes,
    compression: Compression,
}

impl BatchView {
    /// Wraps `bytes`, which must hold exactly one batch.
    pub fn new(bytes: Bytes) -> Result<Self, BatchError> {
        let compression = check_header(&bytes)?;
        Ok(Self { bytes, compression })
    }

    /// The whole batch, header included.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Total size in bytes (`batchLength` + 12).
    pub fn size_in_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Offset of the first record slot.
    pub fn base_offset(&self) -> i64 {
        be_i64(&self.bytes, BASE_OFFSET)
    }

    /// Bytes following the length field.
    pub fn batch_length(&self) -> i32 {
        be_i32(&self.bytes, BATCH_LENGTH)
    }

    /// Leader epoch stamped by the broker that appended the batch.
    pub fn partition_leader_epoch(&self) -> i32 {
        be_i32(&self.bytes, PARTITION_LEADER_EPOCH)
    }

    /// Always 2 for a view.
    pub fn magic(&self) -> i8 {
        self.bytes[MAGIC] as i8
    }

    /// Stored CRC32C.
    pub fn crc(&self) -> u32 {
        be_i32(&self.bytes, CRC) as u32
    }

    /// Raw attribute bits.
    pub fn attributes(&self) -> i16 {
        be_i16(&self.bytes, ATTRIBUTES)
    }

    /// Codec of the records payload.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Whether timestamps are create time or log append time.
    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes() & ATTR_LOG_APPEND_TIME != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// Part of a transaction (KIP-98).
    pub fn is_transactional(&self) -> bool {
        self.attributes() & ATTR_TRANSACTIONAL != 0
    }

    /// Holds control records (transaction markers and the like).
    pub fn is_control(&self) -> bool {
        self.attributes() & ATTR_CONTROL != 0
    }

    /// The base timestamp is a delete horizon set by the log cleaner (KIP-534).
    pub fn has_delete_horizon(&self) -> bool {
        self.attributes() & ATTR_DELETE_HORIZON != 0
    }

    /// The delete horizon in ms, when [`Self::has_delete_horizon`].
    pub fn delete_horizon_ms(&self) -> Option<i64> {
        self.has_delete_horizon().then(|| self.base_timestamp())
    }

    /// Offset delta of the last record slot, kept even if compaction removed that record.
    pub fn last_offset_delta(&self) -> i32 {
        be_i32(&self.bytes, LAST_OFFSET_DELTA)
    }

    /// Timestamp the record deltas are relative to.
    pub fn base_timestamp(&self) -> i64 {
        be_i64(&self.bytes, BASE_TIMESTAMP)
    }

    /// Largest record timestamp, or the append time for log-append-time batches.
    pub fn max_timestamp(&self) -> i64 {
        be_i64(&self.bytes, MAX_TIMESTAMP)
    }

    /// Idempotent producer id, −1 if none.
    pub fn producer_id(&self) -> i64 {
        be_i64(&self.bytes, PRODUCER_ID)
    }

    /// Producer epoch, −1 if none.
    pub fn producer_epoch(&self) -> i16 {
        be_i16(&self.bytes, PRODUCER_EPOCH)
    }

    /// Sequence number of the first record slot, −1 if none.
    pub fn base_sequence(&self) -> i32 {
        be_i32(&self.bytes, BASE_SEQUENCE)
    }

    /// Number of records actually present (fewer than the slots after compaction).
    pub fn records_count(&self) -> i32 {
        be_i32(&self.bytes, RECORDS_COUNT)
    }

    /// The (possibly compressed) records following the header, sharing the buffer.
    pub fn records_payload(&self) -> Bytes {
        self.bytes.slice(HEADER_LEN..)
    }

    /// Offset of the last record slot.
    pub fn last_offset(&self) -> i64 {
        self.base_offset()
            .wrapping_add(i64::from(self.last_offset_delta()))
    }

    /// Offset a fetch continues from after this batch.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }

    /// CRC32C over attributes..end, as it should be stored.
    pub fn compute_crc(&self) -> u32 {
        crc32c::crc32c(&self.bytes[ATTRIBUTES..])
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
}

impl fmt::Debug for BatchView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchView")
            .field("base_offset", &self.base_offset())
            .field("last_offset_delta", &self.last_offset_delta())
            .field("records_count", &self.records_count())
            .field("size", &self.size_in_bytes())
            .field("attributes", &format_args!("{:#06x}", self.attributes()))
            .field("producer_id", &self.producer_id())
            .field("producer_epoch", &self.producer_epoch())
            .field("base_sequence", &self.base_sequence())
            .finish_non_exhaustive()
    }
}

impl AsRef<[u8]> for BatchView {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BatchBuilder, Record};
    use super::*;

    fn sample() -> Vec<u8> {
        let rec = Record {
            value: Some(Bytes::from_static(b"v")),
            ..Default::default()
        };
        BatchBuilder::default()
            .build(&[rec])
            .expect("encode")
            .to_vec()
    }

    #[test]
    fn constructor_rejects_malformed_headers() {
        let good = sample();
        assert!(BatchView::new(Bytes::from(good.clone())).is_ok());
        let short = Bytes::copy_from_slice(&good[..60]);
        assert!(matches!(
            BatchView::new(short),
            Err(BatchError::Truncated {
                needed: 61,
                available: 60
            })
        ));

        let mut magic1 = good.clone();
        magic1[MAGIC] = 1;
        assert!(matches!(
            BatchView::new(magic1.into()),
            Err(BatchError::BadMagic { found: 1, .. })
        ));

        let mut longer = good.clone();
        longer.push(0);
        assert!(matches!(
            BatchView::new(longer.into()),
            Err(BatchError::LengthMismatch { .. })
        ));

        let mut codec = good;
        codec[ATTRIBUTES + 1] |= 5;
        assert!(matches!(
            BatchView::new(codec.into()),
            Err(BatchError::UnknownCompression(5))
        ));
    }

    #[test]
    fn crc_detects_payload_damage() {
        let mut bytes = sample();
        let v = BatchView::new(Bytes::from(bytes.clone())).expect("view");
        assert!(v.verify_crc().is_ok());
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let v = BatchView::new(Bytes::from(bytes)).expect("view");
        assert!(matches!(
            v.verify_crc(),
            Err(BatchError::CrcMismatch { .. })
        ));
    }

    #[test]
    fn delete_horizon_reads_base_timestamp() {
        let mut bytes = sample();
        bytes[ATTRIBUTES + 1] |= ATTR_DELETE_HORIZON as u8;
        bytes[BASE_TIMESTAMP..BASE_TIMESTAMP + 8].copy_from_slice(&42i64.to_be_bytes());
        let v = BatchView::new(Bytes::from(bytes)).expect("view");
        assert_eq!(v.delete_horizon_ms(), Some(42));
    }
}
