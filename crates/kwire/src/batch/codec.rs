//! Zigzag varint/varlong encoding used inside v2 records (Kafka protocol guide, "Record";
//! the same scheme as protobuf `sint32`/`sint64`), plus a bounds-checked cursor over `Bytes`.

use bytes::{BufMut, Bytes};

use super::BatchError;

/// Longest valid varint (i32) encoding; Java rejects a sixth byte.
const MAX_VARINT_BYTES: usize = 5;
/// Longest valid varlong (i64) encoding.
const MAX_VARLONG_BYTES: usize = 10;

/// Maps signed to unsigned so that small magnitudes encode short.
fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag64(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn unzigzag32(u: u32) -> i32 {
    ((u >> 1) as i32) ^ -((u & 1) as i32)
}

fn unsigned_len(mut u: u64) -> usize {
    let mut n = 1;
    while u >= 0x80 {
        u >>= 7;
        n += 1;
    }
    n
}

fn put_unsigned(out: &mut impl BufMut, mut u: u64) {
    while u >= 0x80 {
        out.put_u8((u as u8 & 0x7f) | 0x80);
        u >>= 7;
    }
    out.put_u8(u as u8);
}

/// Reads a little-endian base-128 number of at most `max_bytes` bytes.
fn get_unsigned(buf: &[u8], max_bytes: usize) -> Result<(u64, usize), BatchError> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().take(max_bytes).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    if buf.len() < max_bytes {
        Err(BatchError::Truncated {
            needed: buf.len() + 1,
            available: buf.len(),
        })
    } else {
        Err(BatchError::corrupt(format!(
            "variable-length integer longer than {max_bytes} bytes"
        )))
    }
}

/// Encoded size of `v` as a zigzag varint.
pub fn varint_len(v: i32) -> usize {
    unsigned_len(u64::from(zigzag32(v)))
}

/// Encoded size of `v` as a zigzag varlong.
pub fn varlong_len(v: i64) -> usize {
    unsigned_len(zigzag64(v))
}

/// Appends `v` as a zigzag varint.
pub fn put_varint(out: &mut impl BufMut, v: i32) {
    put_unsigned(out, u64::from(zigzag32(v)));
}

/// Appends `v` as a zigzag varlong.
pub fn put_varlong(out: &mut impl BufMut, v: i64) {
    put_unsigned(out, zigzag64(v));
}

/// Decodes a zigzag varint from the front of `buf`; returns the value and bytes consumed.
///
/// Like Java, bits beyond 32 in a fifth byte are dropped rather than rejected.
pub fn get_varint(buf: &[u8]) -> Result<(i32, usize), BatchError> {
    let (u, n) = get_unsigned(buf, MAX_VARINT_BYTES)?;
    Ok((unzigzag32(u as u32), n))
}

/// Decodes a zigzag varlong from the front of `buf`; returns the value and bytes consumed.
pub fn get_varlong(buf: &[u8]) -> Result<(i64, usize), BatchError> {
    let (u, n) = get_unsigned(buf, MAX_VARLONG_BYTES)?;
    Ok((unzigzag64(u), n))
}

/// A read position over shared bytes; every slice it hands out shares the buffer.
pub(crate) struct Cursor {
    buf: Bytes,
    pos: usize,
}

impl Cursor {
    pub(crate) fn new(buf: Bytes) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Takes the next `n` bytes without copying.
    pub(crate) fn take(&mut self, n: usize) -> Result<Bytes, BatchError> {
        if n > self.remaining() {
            return Err(BatchError::Truncated {
                needed: n,
                available: self.remaining(),
            });
        }
        let out = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BatchError> {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.take(N)?);
        Ok(a)
    }

    pub(crate) fn i8(&mut self) -> Result<i8, BatchError> {
        Ok(i8::from_be_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, BatchError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, BatchError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    pub(crate) fn varint(&mut self) -> Result<i32, BatchError> {
        let (v, n) = get_varint(self.rest())?;
        self.pos += n;
        Ok(v)
    }

    pub(crate) fn varlong(&mut self) -> Result<i64, BatchError> {
        let (v, n) = get_varlong(self.rest())?;
        self.pos += n;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        // Values from the protobuf zigzag table, which Kafka's ByteUtils follows.
        let cases: [(i64, &[u8]); 6] = [
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (i64::from(i32::MIN), &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (v, enc) in cases {
            let mut out = Vec::new();
            put_varlong(&mut out, v);
            assert_eq!(out, enc, "varlong {v}");
            if let Ok(v32) = i32::try_from(v) {
                let mut out = Vec::new();
                put_varint(&mut out, v32);
                assert_eq!(out, enc, "varint {v}");
                assert_eq!(get_varint(enc).ok(), Some((v32, enc.len())));
            }
        }
    }

    #[test]
    fn rejects_overlong_and_truncated() {
        let six = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        assert!(matches!(get_varint(&six), Err(BatchError::Corrupt(_))));
        assert!(matches!(
            get_varint(&[0x80, 0x80]),
            Err(BatchError::Truncated { .. })
        ));
        assert!(matches!(
            get_varlong(&[]),
            Err(BatchError::Truncated { .. })
        ));
        assert!(matches!(
            get_varlong(&[0xff; 11]),
            Err(BatchError::Corrupt(_))
        ));
    }

    proptest! {
        #[test]
        fn varint_round_trip(v in any::<i32>()) {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            prop_assert_eq!(out.len(), varint_len(v));
            prop_assert_eq!(get_varint(&out).ok(), Some((v, out.len())));
        }

        #[test]
        fn varlong_round_trip(v in any::<i64>()) {
            let mut out = Vec::new();
            put_varlong(&mut out, v);
            prop_assert_eq!(out.len(), varlong_len(v));
            prop_assert_eq!(get_varlong(&out).ok(), Some((v, out.len())));
        }

        #[test]
        fn varint_never_panics(b in proptest::collection::vec(any::<u8>(), 0..12)) {
            let _ = get_varint(&b);
            let _ = get_varlong(&b);
        }
    }
}
