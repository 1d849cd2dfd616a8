//! Writes complete v2 record batches from [`Record`]s (Kafka protocol guide, "Record
//! Batch"): the re-encode fallback path and test fixtures.

use bytes::{BufMut, Bytes, BytesMut};

use super::compression::compress;
use super::record::{body_len, put_record};
use super::view::{
    ATTR_CONTROL, ATTR_LOG_APPEND_TIME, ATTR_TRANSACTIONAL, ATTRIBUTES, CRC, HEADER_LEN,
    LOG_OVERHEAD, MAGIC_V2,
};
use super::{BatchError, Compression, Record, TimestampType};

/// How record offset deltas are chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OffsetAssignment {
    /// Deltas 0..n−1 in slice order; `Record::offset` is ignored. What a producer sends.
    #[default]
    Dense,
    /// Delta = `Record::offset − base_offset`, which must be increasing and fit an i32.
    /// Reproduces compacted (gapped) batches exactly.
    FromRecords,
}

/// Settings for one batch; build it with struct-update syntax over `Default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchBuilder {
    /// Written as `baseOffset`.
    pub base_offset: i64,
    /// Written as `partitionLeaderEpoch`.
    pub partition_leader_epoch: i32,
    /// Payload codec.
    pub compression: Compression,
    /// Timestamp type bit.
    pub timestamp_type: TimestampType,
    /// For log-append-time batches: the append time, written as `maxTimestamp` (which every
    /// record then reads back). Defaults to the largest record timestamp.
    pub log_append_time: Option<i64>,
    /// Idempotent producer id, −1 for none.
    pub producer_id: i64,
    /// Producer epoch, −1 for none.
    pub producer_epoch: i16,
    /// Sequence of the first record, −1 for none.
    pub base_sequence: i32,
    /// Transactional bit.
    pub transactional: bool,
    /// Control bit.
    pub control: bool,
    /// How offset deltas are assigned.
    pub offsets: OffsetAssignment,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        Self {
            base_offset: 0,
            partition_leader_epoch: -1,
            compression: Compression::None,
            timestamp_type: TimestampType::CreateTime,
            log_append_time: None,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
            control: false,
            offsets: OffsetAssignment::Dense,
        }
    }
}

/// Header values derived from the records.
struct Derived {
    last_offset_delta: i32,
    base_timestamp: i64,
    max_timestamp: i64,
}

impl BatchBuilder {
    /// Encodes `records` as one batch into a fresh buffer.
    pub fn build(&self, records: &[Record]) -> Result<Bytes, BatchError> {
        let mut out = BytesMut::new();
        self.encode(records, &mut out)?;
        Ok(out.freeze())
    }

    /// Appends one batch holding `records` to `out`; on error `out` is left unchanged.
    pub fn encode(&self, records: &[Record], out: &mut BytesMut) -> Result<(), BatchError> {
        let derived = self.derive(records)?;
        let start = out.len();
        let result = self.write(records, &derived, out, start);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn offset_delta(&self, index: usize, rec: &Record) -> i32 {
        match self.offsets {
            // derive() checked that every index and delta fits.
            OffsetAssignment::Dense => index as i32,
            OffsetAssignment::FromRecords => rec.offset.wrapping_sub(self.base_offset) as i32,
        }
    }

    fn derive(&self, records: &[Record]) -> Result<Derived, BatchError> {
        let first = records
            .first()
            .ok_or_else(|| BatchError::Encode("a batch needs at least one record".into()))?;
        let last_offset_delta = self.check_offsets(records)?;
        let max_record_ts = records.iter().map(|r| r.timestamp).max().unwrap_or(-1);
        let max_timestamp = match self.timestamp_type {
            TimestampType::LogAppendTime => self.log_append_time.unwrap_or(max_record_ts),
            TimestampType::CreateTime => max_record_ts,
        };
        Ok(Derived {
            last_offset_delta,
            base_timestamp: first.timestamp,
            max_timestamp,
        })
    }

    /// Validates offsets and returns the last offset delta.
    fn check_offsets(&self, records: &[Record]) -> Result<i32, BatchError> {
        if i32::try_from(records.len()).is_err() {
            return Err(BatchError::Encode("more than 2^31-1 records".into()));
        }
        if self.offsets == OffsetAssignment::Dense {
            return Ok(records.len() as i32 - 1);
        }
        let mut prev: i64 = -1;
        for rec in records {
            let delta = rec.offset.checked_sub(self.base_offset);
            match delta {
                Some(d) if d > prev && d <= i64::from(i32::MAX) => prev = d,
                _ => {
                    return Err(BatchError::Encode(format!(
                        "record offset {} is not above the previous one within i32 range of base offset {}",
                        rec.offset, self.base_offset
                    )));
                }
            }
        }
        Ok(prev as i32)
    }

    fn write(
        &self,
        records: &[Record],
        d: &Derived,
        out: &mut BytesMut,
        start: usize,
    ) -> Result<(), BatchError> {
        out.put_bytes(0, HEADER_LEN);
        if self.compression == Compression::None {
            self.put_records(records, d, out)?;
        } else {
            let mut raw = BytesMut::new();
            self.put_records(records, d, &mut raw)?;
            compress(self.compression, &raw, out)?;
        }
        let batch_length = i32::try_from(out.len() - start - LOG_OVERHEAD)
            .map_err(|_| BatchError::Encode("batch larger than 2 GiB".into()))?;
        self.fill_header(&mut out[start..], d, batch_length, records.len() as i32);
        Ok(())
    }

    fn put_records(
        &self,
        records: &[Record],
        d: &Derived,
        out: &mut BytesMut,
    ) -> Result<(), BatchError> {
        for (i, rec) in records.iter().enumerate() {
            check_field_sizes(rec)?;
            let delta = self.offset_delta(i, rec);
            let ts_delta = rec.timestamp.wrapping_sub(d.base_timestamp);
            let body = body_len(rec, delta, ts_delta);
            if i32::try_from(body).is_err() {
                return Err(BatchError::Encode("record larger than 2 GiB".into()));
            }
            out.reserve(body + 5);
            put_record(out, rec, delta, ts_delta, body);
        }
        Ok(())
    }

    fn attributes(&self) -> i16 {
        let mut a = i16::from(self.compression.id());
        if self.timestamp_type == TimestampType::LogAppendTime {
            a |= ATTR_LOG_APPEND_TIME;
        }
        if self.transactional {
            a |= ATTR_TRANSACTIONAL;
        }
        if self.control {
            a |= ATTR_CONTROL;
        }
        a
    }

    /// Writes the header over the placeholder at the front of `batch`, CRC last.
    fn fill_header(&self, batch: &mut [u8], d: &Derived, batch_length: i32, count: i32) {
        let mut h = &mut batch[..CRC];
        h.put_i64(self.base_offset);
        h.put_i32(batch_length);
        h.put_i32(self.partition_leader_epoch);
        h.put_i8(MAGIC_V2);
        let mut h = &mut batch[ATTRIBUTES..HEADER_LEN];
        h.put_i16(self.attributes());
        h.put_i32(d.last_offset_delta);
        h.put_i64(d.base_timestamp);
        h.put_i64(d.max_timestamp);
        h.put_i64(self.producer_id);
        h.put_i16(self.producer_epoch);
        h.put_i32(self.base_sequence);
        h.put_i32(count);
        let crc = crc32c::crc32c(&batch[ATTRIBUTES..]);
        batch[CRC..ATTRIBUTES].copy_from_slice(&crc.to_be_bytes());
    }
}

/// Lengths are written as i32 varints; anything larger cannot be represented.
fn check_field_sizes(rec: &Record) -> Result<(), BatchError> {
    let too_big = |b: Option<&Bytes>| b.is_some_and(|b| i32::try_from(b.len()).is_err());
    let headers_too_big = rec
        .headers
        .iter()
        .any(|h| too_big(Some(&h.key)) || too_big(h.value.as_ref()));
    if too_big(rec.key.as_ref()) || too_big(rec.value.as_ref()) || headers_too_big {
        return Err(BatchError::Encode("key, value or header over 2 GiB".into()));
    }
    Ok(())
}
