//! v2 records inside a batch (Kafka protocol guide, "Record" and "Record Header"; record
//! headers from KIP-82, control records from KIP-98): decoding to owned [`Record`]s with
//! absolute offsets and timestamps, and the per-record encoding the builder uses.

use bytes::{BufMut, Bytes};

use super::codec::{Cursor, put_varint, put_varlong, varint_len, varlong_len};
use super::compression::{DEFAULT_MAX_DECOMPRESSED, decompress};
use super::{BatchError, BatchView, Compression, TimestampType};

/// Smallest possible encoded record: length, attributes, timestamp delta, offset delta,
/// key length, value length and header count, one byte each.
const MIN_RECORD_LEN: usize = 7;
/// Smallest possible encoded header: key length and value length.
const MIN_HEADER_LEN: usize = 2;
/// Most records reserved up front. Counts come from the wire, and even the byte-derived
/// bound is large for a big payload of garbage; past this the vector grows only as records
/// actually parse.
const MAX_PREALLOC_RECORDS: usize = 4096;
/// Same for headers of one record.
const MAX_PREALLOC_HEADERS: usize = 64;

/// One record header. Keys are raw bytes: Kafka allows duplicates and does not enforce
/// UTF-8 on the wire, and both must survive replication untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// Header key.
    pub key: Bytes,
    /// Header value; `None` is distinct from empty.
    pub value: Option<Bytes>,
}

/// One record with absolute offset and timestamp.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Record {
    /// Absolute offset (batch base offset + offset delta).
    pub offset: i64,
    /// Absolute timestamp in ms (batch base timestamp + delta, or the batch max timestamp
    /// for log-append-time batches).
    pub timestamp: i64,
    /// Key; `None` is distinct from empty.
    pub key: Option<Bytes>,
    /// Value; `None` is a tombstone, distinct from empty.
    pub value: Option<Bytes>,
    /// Headers in wire order, duplicates kept.
    pub headers: Vec<Header>,
}

/// What a control record marks (key field `type`; KIP-98, KIP-595 and later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlType {
    /// Transaction abort marker.
    Abort,
    /// Transaction commit marker.
    Commit,
    /// Any other control record (KRaft leader change, snapshot markers, ...).
    Other(i16),
}

impl Record {
    /// Interprets the key of a record from a control batch; `None` if the key is malformed.
    pub fn control_type(&self) -> Option<ControlType> {
        let key = self.key.as_ref()?;
        let ty = i16::from_be_bytes([*key.get(2)?, *key.get(3)?]);
        Some(match ty {
            0 => ControlType::Abort,
            1 => ControlType::Commit,
            other => ControlType::Other(other),
        })
    }
}

impl BatchView {
    /// Decodes all records with the default decompression bound.
    pub fn records(&self) -> Result<Vec<Record>, BatchError> {
        decode_records(self)
    }
}

/// Decodes all records of `batch`, bounding decompressed size by
/// [`DEFAULT_MAX_DECOMPRESSED`].
pub fn decode_records(batch: &BatchView) -> Result<Vec<Record>, BatchError> {
    decode_records_with_limit(batch, DEFAULT_MAX_DECOMPRESSED)
}

/// Decodes all records of `batch`, failing if the payload inflates past `max_decompressed`.
///
/// Keys, values and header fields of uncompressed batches share the batch buffer.
pub fn decode_records_with_limit(
    batch: &BatchView,
    max_decompressed: usize,
) -> Result<Vec<Record>, BatchError> {
    let count = usize::try_from(batch.records_count()).map_err(|_| {
        BatchError::corrupt(format!("negative record count {}", batch.records_count()))
    })?;
    let payload = match batch.compression() {
        Compression::None => batch.records_payload(),
        codec => Bytes::from(decompress(
            codec,
            &batch.records_payload(),
            max_decompressed,
        )?),
    };
    let ctx = DecodeContext::of(batch);
    let mut out = Vec::with_capacity(prealloc(
        count,
        payload.len() / MIN_RECORD_LEN,
        MAX_PREALLOC_RECORDS,
    ));
    let mut cur = Cursor::new(payload);
    for i in 0..count {
        let rec = decode_one(&mut cur, &ctx).map_err(|e| in_record(i, e))?;
        out.push(rec);
    }
    if cur.remaining() != 0 {
        return Err(BatchError::corrupt(format!(
            "{} bytes left after the declared {count} records",
            cur.remaining()
        )));
    }
    Ok(out)
}

/// Capacity to reserve for `claimed` items when the bytes can hold at most `fit`.
fn prealloc(claimed: usize, fit: usize, cap: usize) -> usize {
    claimed.min(fit).min(cap)
}

fn in_record(i: usize, e: BatchError) -> BatchError {
    match e {
        BatchError::Corrupt(msg) => BatchError::corrupt(format!("record {i}: {msg}")),
        BatchError::Truncated { needed, available } => BatchError::corrupt(format!(
            "record {i}: truncated (needed {needed} bytes, {available} available)"
        )),
        other => other,
    }
}

/// Batch header values every record is relative to.
struct DecodeContext {
    base_offset: i64,
    base_timestamp: i64,
    log_append_time: Option<i64>,
}

impl DecodeContext {
    fn of(batch: &BatchView) -> Self {
        Self {
            base_offset: batch.base_offset(),
            base_timestamp: batch.base_timestamp(),
            log_append_time: (batch.timestamp_type() == TimestampType::LogAppendTime)
                .then(|| batch.max_timestamp()),
        }
    }
}

fn decode_one(cur: &mut Cursor, ctx: &DecodeContext) -> Result<Record, BatchError> {
    let len = cur.varint()?;
    let len =
        usize::try_from(len).map_err(|_| BatchError::corrupt(format!("negative length {len}")))?;
    let mut body = Cursor::new(cur.take(len)?);
    let _attributes = body.i8()?;
    let ts_delta = body.varlong()?;
    let offset_delta = body.varint()?;
    let key = nullable_bytes(&mut body, "key")?;
    let value = nullable_bytes(&mut body, "value")?;
    let headers = decode_headers(&mut body)?;
    if body.remaining() != 0 {
        return Err(BatchError::corrupt(format!(
            "{} bytes left inside the {len}-byte record",
            body.remaining()
        )));
    }
    Ok(Record {
        offset: ctx.base_offset.wrapping_add(i64::from(offset_delta)),
        timestamp: ctx
            .log_append_time
            .unwrap_or_else(|| ctx.base_timestamp.wrapping_add(ts_delta)),
        key,
        value,
        headers,
    })
}

/// Reads a varint-length byte string where −1 means null.
fn nullable_bytes(cur: &mut Cursor, what: &str) -> Result<Option<Bytes>, BatchError> {
    match cur.varint()? {
        -1 => Ok(None),
        n if n < 0 => Err(BatchError::corrupt(format!("{what} length {n}"))),
        n => Ok(Some(cur.take(n as usize)?)),
    }
}

fn decode_headers(cur: &mut Cursor) -> Result<Vec<Header>, BatchError> {
    let n = cur.varint()?;
    let n = usize::try_from(n).map_err(|_| BatchError::corrupt(format!("header count {n}")))?;
    let mut headers = Vec::with_capacity(prealloc(
        n,
        cur.remaining() / MIN_HEADER_LEN,
        MAX_PREALLOC_HEADERS,
    ));
    for _ in 0..n {
        // Java rejects a null header key, so a negative length is corrupt here.
        let key = nullable_bytes(cur, "header key")?
            .ok_or_else(|| BatchError::corrupt("null header key"))?;
        let value = nullable_bytes(cur, "header value")?;
        headers.push(Header { key, value });
    }
    Ok(headers)
}

fn nullable_len(b: Option<&Bytes>) -> usize {
    match b {
        None => varint_len(-1),
        Some(b) => varint_len(b.len() as i32) + b.len(),
    }
}

/// Size of a record body (everything after its own length varint).
pub(crate) fn body_len(rec: &Record, offset_delta: i32, ts_delta: i64) -> usize {
    let headers: usize = rec
        .headers
        .iter()
        .map(|h| nullable_len(Some(&h.key)) + nullable_len(h.value.as_ref()))
        .sum();
    1 + varlong_len(ts_delta)
        + varint_len(offset_delta)
        + nullable_len(rec.key.as_ref())
        + nullable_len(rec.value.as_ref())
        + varint_len(rec.headers.len() as i32)
        + headers
}

fn put_nullable(out: &mut impl BufMut, b: Option<&Bytes>) {
    match b {
        None => put_varint(out, -1),
        Some(b) => {
            put_varint(out, b.len() as i32);
            out.put_slice(b);
        }
    }
}

/// Appends one record; `body` is [`body_len`] for the same arguments. Sizes must already
/// have been checked to fit in an i32.
pub(crate) fn put_record(
    out: &mut impl BufMut,
    rec: &Record,
    offset_delta: i32,
    ts_delta: i64,
    body: usize,
) {
    put_varint(out, body as i32);
    out.put_i8(0);
    put_varlong(out, ts_delta);
    put_varint(out, offset_delta);
    put_nullable(out, rec.key.as_ref());
    put_nullable(out, rec.value.as_ref());
    put_varint(out, rec.headers.len() as i32);
    for h in &rec.headers {
        put_nullable(out, Some(&h.key));
        put_nullable(out, h.value.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::super::view::{BATCH_LENGTH, RECORDS_COUNT};
    use super::super::{BatchBuilder, HeaderRewrite, rewrite_in_place};
    use super::*;

    /// A valid header around an arbitrary records payload and count.
    fn batch_with(payload: &[u8], count: i32) -> BatchView {
        batch_with_codec(Compression::None, payload, count)
    }

    fn batch_with_codec(compression: Compression, payload: &[u8], count: i32) -> BatchView {
        let builder = BatchBuilder {
            compression,
            ..Default::default()
        };
        let base = builder.build(&[Record::default()]).expect("encode");
        let mut buf = base[..61].to_vec();
        buf.extend_from_slice(payload);
        let len = (buf.len() - 12) as i32;
        buf[BATCH_LENGTH..BATCH_LENGTH + 4].copy_from_slice(&len.to_be_bytes());
        buf[RECORDS_COUNT..RECORDS_COUNT + 4].copy_from_slice(&count.to_be_bytes());
        rewrite_in_place(&mut buf, &HeaderRewrite::default()).expect("crc");
        BatchView::new(Bytes::from(buf)).expect("view")
    }

    fn encoded(rec: &Record) -> Vec<u8> {
        let mut out = BytesMut::new();
        let body = body_len(rec, 0, 0);
        put_record(&mut out, rec, 0, 0, body);
        out.to_vec()
    }

    fn corrupt(v: &BatchView) -> String {
        match decode_records(v) {
            Err(BatchError::Corrupt(msg)) => msg,
            other => panic!("expected corrupt, got {other:?}"),
        }
    }

    #[test]
    fn hostile_counts_fail_without_huge_allocations() {
        let one = encoded(&Record::default());
        assert!(corrupt(&batch_with(&one, i32::MAX)).contains("record 1"));
        assert!(corrupt(&batch_with(&one, -3)).contains("negative record count"));
        assert!(corrupt(&batch_with(&one, 0)).contains("left after"));
        let mut two = one.clone();
        two.extend_from_slice(&one);
        assert_eq!(decode_records(&batch_with(&two, 2)).expect("two").len(), 2);
    }

    #[test]
    fn compressed_garbage_with_huge_count_fails_fast() {
        let mut zeros = BytesMut::new();
        super::super::compress(Compression::Lz4, &vec![0u8; 8 << 20], &mut zeros).expect("lz4");
        let v = batch_with_codec(Compression::Lz4, &zeros, i32::MAX);
        assert!(corrupt(&v).contains("record 0"));
        let small_limit = decode_records_with_limit(&v, 1 << 20);
        assert!(matches!(
            small_limit,
            Err(BatchError::DecompressedTooLarge { .. })
        ));
    }

    #[test]
    fn malformed_records_are_reported() {
        // length 3 but the body needs more.
        assert!(corrupt(&batch_with(&[6, 0, 0, 0], 1)).contains("record 0"));
        // Header count −1.
        assert!(corrupt(&batch_with(&[12, 0, 0, 0, 1, 1, 1], 1)).contains("header count"));
        // One header with a null key.
        assert!(corrupt(&batch_with(&[16, 0, 0, 0, 1, 1, 2, 1, 1], 1)).contains("null header key"));
        // Record longer than its fields.
        let mut extra = encoded(&Record::default());
        extra[0] += 2;
        extra.extend_from_slice(&[0, 0]);
        assert!(corrupt(&batch_with(&extra, 1)).contains("left inside"));
    }

    #[test]
    fn uncompressed_fields_share_the_batch_buffer() {
        let rec = Record {
            value: Some(Bytes::from_static(b"shared")),
            ..Default::default()
        };
        let v = batch_with(&encoded(&rec), 1);
        let got = v.records().expect("decode");
        let value = got[0].value.as_ref().expect("value");
        let range = v.as_bytes().as_ptr_range();
        assert!(range.contains(&value.as_ptr()));
    }

    #[test]
    fn control_keys() {
        let rec = |k: &'static [u8]| Record {
            key: Some(Bytes::from_static(k)),
            ..Default::default()
        };
        assert_eq!(rec(&[0, 0, 0, 0]).control_type(), Some(ControlType::Abort));
        assert_eq!(rec(&[0, 0, 0, 1]).control_type(), Some(ControlType::Commit));
        assert_eq!(
            rec(&[0, 0, 0, 7]).control_type(),
            Some(ControlType::Other(7))
        );
        assert_eq!(rec(&[0, 0, 1]).control_type(), None);
        assert_eq!(Record::default().control_type(), None);
    }
}
