//! Forward-path header rewrite of a v2 batch (Kafka protocol guide, "Record Batch"; producer
//! fields from KIP-98): replace offset, epoch and producer fields, recompute the CRC32C,
//! never touch the (possibly compressed) records.

use bytes::BytesMut;

use super::view::{
    ATTR_TRANSACTIONAL, ATTRIBUTES, BASE_OFFSET, BASE_SEQUENCE, CRC, HEADER_LEN,
    PARTITION_LEADER_EPOCH, PRODUCER_EPOCH, PRODUCER_ID, be_i16, check_header,
};
use super::{BatchError, BatchView};

/// Header fields to replace; `None` keeps the source value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderRewrite {
    /// New `baseOffset`.
    pub base_offset: Option<i64>,
    /// New `partitionLeaderEpoch`.
    pub partition_leader_epoch: Option<i32>,
    /// New `producerId`.
    pub producer_id: Option<i64>,
    /// New `producerEpoch`.
    pub producer_epoch: Option<i16>,
    /// New `baseSequence`.
    pub base_sequence: Option<i32>,
    /// New value of the transactional attribute bit.
    pub transactional: Option<bool>,
}

/// Appends `batch` to `out` with the given header fields replaced and the CRC recomputed.
/// The records payload is copied once into `out` (never decompressed).
pub fn append_rewritten(out: &mut BytesMut, batch: &BatchView, rw: &HeaderRewrite) {
    let src = batch.as_bytes();
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&src[..HEADER_LEN]);
    patch_fields(&mut header, rw);
    let payload = &src[HEADER_LEN..];
    // Chaining the CRC over the two pieces avoids building a contiguous copy first.
    let crc = crc32c::crc32c_append(crc32c::crc32c(&header[ATTRIBUTES..]), payload);
    header[CRC..ATTRIBUTES].copy_from_slice(&crc.to_be_bytes());
    out.reserve(src.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
}

/// Rewrites a batch held in a mutable buffer in place (whole batch, 61-byte header first).
pub fn rewrite_in_place(buf: &mut [u8], rw: &HeaderRewrite) -> Result<(), BatchError> {
    check_header(buf)?;
    patch_fields(&mut buf[..HEADER_LEN], rw);
    let crc = crc32c::crc32c(&buf[ATTRIBUTES..]);
    buf[CRC..ATTRIBUTES].copy_from_slice(&crc.to_be_bytes());
    Ok(())
}

/// Overwrites the requested fields of a 61-byte header; leaves the CRC stale.
fn patch_fields(h: &mut [u8], rw: &HeaderRewrite) {
    fn put(h: &mut [u8], at: usize, bytes: &[u8]) {
        h[at..at + bytes.len()].copy_from_slice(bytes);
    }
    if let Some(v) = rw.base_offset {
        put(h, BASE_OFFSET, &v.to_be_bytes());
    }
    if let Some(v) = rw.partition_leader_epoch {
        put(h, PARTITION_LEADER_EPOCH, &v.to_be_bytes());
    }
    if let Some(v) = rw.producer_id {
        put(h, PRODUCER_ID, &v.to_be_bytes());
    }
    if let Some(v) = rw.producer_epoch {
        put(h, PRODUCER_EPOCH, &v.to_be_bytes());
    }
    if let Some(v) = rw.base_sequence {
        put(h, BASE_SEQUENCE, &v.to_be_bytes());
    }
    if let Some(on) = rw.transactional {
        let attrs = be_i16(h, ATTRIBUTES);
        let attrs = if on {
            attrs | ATTR_TRANSACTIONAL
        } else {
            attrs & !ATTR_TRANSACTIONAL
        };
        put(h, ATTRIBUTES, &attrs.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::super::{BatchBuilder, Record};
    use super::*;

    #[test]
    fn in_place_validates_input() {
        let rw = HeaderRewrite::default();
        assert!(matches!(
            rewrite_in_place(&mut [0u8; 10], &rw),
            Err(BatchError::Truncated { .. })
        ));
        let mut legacy = [0u8; 70];
        legacy[16] = 1;
        assert!(matches!(
            rewrite_in_place(&mut legacy, &rw),
            Err(BatchError::BadMagic { .. })
        ));
    }

    #[test]
    fn clears_and_sets_transactional_bit() {
        let b = BatchBuilder {
            transactional: true,
            ..Default::default()
        };
        let batch = b.build(&[Record::default()]).expect("encode");
        let mut buf = batch.to_vec();
        let off = HeaderRewrite {
            transactional: Some(false),
            ..Default::default()
        };
        rewrite_in_place(&mut buf, &off).expect("rewrite");
        let v = BatchView::new(Bytes::from(buf.clone())).expect("view");
        assert!(!v.is_transactional());
        assert!(v.verify_crc().is_ok());
        let on = HeaderRewrite {
            transactional: Some(true),
            ..Default::default()
        };
        rewrite_in_place(&mut buf, &on).expect("rewrite");
        assert_eq!(buf, batch);
    }
}
