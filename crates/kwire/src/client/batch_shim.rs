//! TEMPORARY stand-in for `crate::batch` (v2 RecordBatch header view and rewrite, Kafka
//! protocol guide "Record Batch"), written by another branch. It mirrors that module's API
//! (`BatchView`, `HeaderRewrite`, `append_rewritten`) just far enough for the producer to
//! compile and be tested. DELETE this file when `batch/` lands and import from `crate::batch`
//! instead (one `use` in `producer/worker.rs`, one `pub use` in `client/mod.rs`).

use bytes::{BufMut, Bytes, BytesMut};

// Offsets inside a v2 batch header.
const BATCH_LENGTH: usize = 8;
const LEADER_EPOCH: usize = 12;
const MAGIC: usize = 16;
const CRC: usize = 17;
const ATTRIBUTES: usize = 21;
const LAST_OFFSET_DELTA: usize = 23;
const PRODUCER_ID: usize = 43;
const PRODUCER_EPOCH: usize = 51;
const BASE_SEQUENCE: usize = 53;
const RECORDS_COUNT: usize = 57;
const HEADER_LEN: usize = 61;
const TRANSACTIONAL_BIT: i16 = 0x10;

/// Why bytes are not one v2 batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Too short, or the length field disagrees with the buffer.
    #[error("truncated or mis-sized record batch")]
    Truncated,
    /// Not magic 2.
    #[error("record batch magic {0} is not 2")]
    Magic(i8),
}

/// A view over exactly one v2 record batch.
#[derive(Debug, Clone)]
pub struct BatchView {
    bytes: Bytes,
}

impl BatchView {
    /// Checks the header and length of one batch.
    pub fn new(bytes: Bytes) -> Result<Self, BatchError> {
        if bytes.len() < HEADER_LEN {
            return Err(BatchError::Truncated);
        }
        let magic = i8::from_be_bytes([bytes[MAGIC]]);
        if magic != 2 {
            return Err(BatchError::Magic(magic));
        }
        let len = i32_at(&bytes, BATCH_LENGTH);
        if usize::try_from(len).ok().map(|l| l + 12) != Some(bytes.len()) {
            return Err(BatchError::Truncated);
        }
        Ok(Self { bytes })
    }

    /// The batch's base offset.
    pub fn base_offset(&self) -> i64 {
        i64::from_be_bytes(arr(&self.bytes, 0))
    }

    /// Offset of the last record relative to the base offset.
    pub fn last_offset_delta(&self) -> i32 {
        i32_at(&self.bytes, LAST_OFFSET_DELTA)
    }

    /// Number of records.
    pub fn records_count(&self) -> i32 {
        i32_at(&self.bytes, RECORDS_COUNT)
    }

    /// Producer id (-1 for none).
    pub fn producer_id(&self) -> i64 {
        i64::from_be_bytes(arr(&self.bytes, PRODUCER_ID))
    }

    /// Base sequence (-1 for none).
    pub fn base_sequence(&self) -> i32 {
        i32_at(&self.bytes, BASE_SEQUENCE)
    }

    /// The whole batch.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }
}

/// Header fields to replace; `None` keeps the original.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct HeaderRewrite {
    pub base_offset: Option<i64>,
    pub partition_leader_epoch: Option<i32>,
    pub producer_id: Option<i64>,
    pub producer_epoch: Option<i16>,
    pub base_sequence: Option<i32>,
    pub transactional: Option<bool>,
}

/// Appends `batch` to `out` with the header fields replaced and the CRC32C recomputed.
pub(crate) fn append_rewritten(out: &mut BytesMut, batch: &BatchView, rw: &HeaderRewrite) {
    let start = out.len();
    out.put_slice(batch.as_bytes());
    let b = &mut out[start..];
    if let Some(v) = rw.base_offset {
        b[..8].copy_from_slice(&v.to_be_bytes());
    }
    if let Some(v) = rw.partition_leader_epoch {
        b[LEADER_EPOCH..LEADER_EPOCH + 4].copy_from_slice(&v.to_be_bytes());
    }
    if let Some(v) = rw.producer_id {
        b[PRODUCER_ID..PRODUCER_ID + 8].copy_from_slice(&v.to_be_bytes());
    }
    if let Some(v) = rw.producer_epoch {
        b[PRODUCER_EPOCH..PRODUCER_EPOCH + 2].copy_from_slice(&v.to_be_bytes());
    }
    if let Some(v) = rw.base_sequence {
        b[BASE_SEQUENCE..BASE_SEQUENCE + 4].copy_from_slice(&v.to_be_bytes());
    }
    if let Some(t) = rw.transactional {
        let mut attrs = i16::from_be_bytes([b[ATTRIBUTES], b[ATTRIBUTES + 1]]);
        attrs = if t {
            attrs | TRANSACTIONAL_BIT
        } else {
            attrs & !TRANSACTIONAL_BIT
        };
        b[ATTRIBUTES..ATTRIBUTES + 2].copy_from_slice(&attrs.to_be_bytes());
    }
    let crc = crc32c::crc32c(&b[ATTRIBUTES..]);
    b[CRC..CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

fn arr<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(arr(b, at))
}
