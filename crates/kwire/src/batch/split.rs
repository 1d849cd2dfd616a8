//! Splits the `records` field of a Fetch response partition into batches (Kafka protocol
//! guide, "Record Batch" and "Message Sets"). A Fetch may end in a partial batch: that is
//! normal and ends iteration quietly; only impossible lengths or magic bytes are errors.

use bytes::Bytes;

use super::legacy::{LegacyMessage, MIN_V0_SIZE, MIN_V1_SIZE};
use super::view::{BATCH_LENGTH, LOG_OVERHEAD, MAGIC, MAGIC_V2, MIN_BATCH_LENGTH, be_i32};
use super::{BatchError, BatchView};

/// One entry of a records blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    /// A v2 record batch.
    V2(BatchView),
    /// A magic 0/1 message (possibly a compressed wrapper), for the fallback path.
    Legacy(LegacyMessage),
}

impl Batch {
    /// The entry's bytes, shared with the input blob.
    pub fn as_bytes(&self) -> &Bytes {
        match self {
            Self::V2(v) => v.as_bytes(),
            Self::Legacy(m) => m.as_bytes(),
        }
    }

    /// Magic byte: 0, 1 or 2.
    pub fn magic(&self) -> i8 {
        match self {
            Self::V2(v) => v.magic(),
            Self::Legacy(m) => m.magic(),
        }
    }

    /// The offset field of the entry (base offset for v2; for a v1 wrapper, the last
    /// inner offset).
    pub fn offset(&self) -> i64 {
        match self {
            Self::V2(v) => v.base_offset(),
            Self::Legacy(m) => m.offset(),
        }
    }
}

/// Iterator over the entries of a records blob; every item shares the input buffer.
///
/// Yields `Ok` entries until the data ends. A trailing partial entry ends the iteration
/// without an item; [`BatchSplitter::truncated_tail`] then tells how many bytes were left.
/// A clearly corrupt entry yields one `Err` and ends the iteration.
#[derive(Debug, Clone)]
pub struct BatchSplitter {
    buf: Bytes,
    pos: usize,
    truncated_tail: usize,
    done: bool,
}

/// Splits `records` (one partition's records from a Fetch response) into batches.
pub fn split(records: Bytes) -> BatchSplitter {
    BatchSplitter::new(records)
}

impl BatchSplitter {
    /// Starts at the front of `records`.
    pub fn new(records: Bytes) -> Self {
        Self {
            buf: records,
            pos: 0,
            truncated_tail: 0,
            done: false,
        }
    }

    /// Bytes of an incomplete trailing entry that were skipped (0 while iterating, or if
    /// the blob ended on an entry boundary).
    pub fn truncated_tail(&self) -> usize {
        self.truncated_tail
    }

    /// Bytes consumed by the entries yielded so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn stop_truncated(&mut self, rest: usize) -> Option<Result<Batch, BatchError>> {
        self.truncated_tail = rest;
        self.done = true;
        None
    }

    fn stop_error(&mut self, e: BatchError) -> Option<Result<Batch, BatchError>> {
        self.done = true;
        Some(Err(e))
    }

    fn invalid_length(&mut self, length: i32) -> Option<Result<Batch, BatchError>> {
        let at = self.pos;
        self.stop_error(BatchError::InvalidLength { at, length })
    }
}

impl Iterator for BatchSplitter {
    type Item = Result<Batch, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.buf.len() - self.pos;
        if rest == 0 {
            self.done = true;
            return None;
        }
        if rest < LOG_OVERHEAD {
            return self.stop_truncated(rest);
        }
        let entry = &self.buf[self.pos..];
        let length = be_i32(entry, BATCH_LENGTH);
        // Java's reader applies the same smallest-message test before it knows the magic.
        if length < MIN_V0_SIZE {
            return self.invalid_length(length);
        }
        if rest <= MAGIC {
            return self.stop_truncated(rest);
        }
        let magic = entry[MAGIC] as i8;
        let min = match magic {
            0 => MIN_V0_SIZE,
            1 => MIN_V1_SIZE,
            MAGIC_V2 => MIN_BATCH_LENGTH,
            found => {
                return self.stop_error(BatchError::BadMagic {
                    found,
                    expected: "0, 1 or 2",
                });
            }
        };
        if length < min {
            return self.invalid_length(length);
        }
        let total = length as usize + LOG_OVERHEAD;
        if rest < total {
            return self.stop_truncated(rest);
        }
        let bytes = self.buf.slice(self.pos..self.pos + total);
        self.pos += total;
        let item = if magic == MAGIC_V2 {
            BatchView::new(bytes).map(Batch::V2)
        } else {
            LegacyMessage::new(bytes).map(Batch::Legacy)
        };
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

impl std::iter::FusedIterator for BatchSplitter {}

#[cfg(test)]
mod tests {
    use super::super::{BatchBuilder, Record};
    use super::*;

    fn one_batch() -> Bytes {
        BatchBuilder::default()
            .build(&[Record::default()])
            .expect("encode")
    }

    fn entry(length: i32, magic: u8, extra: usize) -> Bytes {
        let mut v = vec![0u8; 8];
        v.extend_from_slice(&length.to_be_bytes());
        v.extend_from_slice(&[0; 4]);
        v.push(magic);
        v.resize(v.len() + extra, 0);
        v.into()
    }

    fn outcome(blob: Bytes) -> (Vec<Result<Batch, BatchError>>, usize) {
        let mut s = split(blob);
        let items = s.by_ref().collect();
        (items, s.truncated_tail())
    }

    #[test]
    fn short_tails_end_quietly() {
        assert_eq!(outcome(Bytes::new()).1, 0);
        let (items, tail) = outcome(Bytes::from_static(&[0; 11]));
        assert!(items.is_empty());
        assert_eq!(tail, 11);
        // A huge length is indistinguishable from a partial batch, as in Java.
        let (items, tail) = outcome(entry(i32::MAX, 2, 100));
        assert!(items.is_empty());
        assert_eq!(tail, 117);
    }

    #[test]
    fn trailing_partial_batch_is_skipped() {
        let b = one_batch();
        let mut blob = b.to_vec();
        blob.extend_from_slice(&b[..b.len() - 1]);
        let (items, tail) = outcome(blob.into());
        assert_eq!(items.len(), 1);
        assert_eq!(tail, b.len() - 1);
    }

    #[test]
    fn impossible_entries_are_errors_then_stop() {
        let mut blob = one_batch().to_vec();
        let at = blob.len();
        blob.extend_from_slice(&entry(-1, 2, 60));
        blob.extend_from_slice(&one_batch());
        let (items, _) = outcome(blob.into());
        assert_eq!(items.len(), 2);
        assert!(
            matches!(items[1], Err(BatchError::InvalidLength { at: a, length: -1 }) if a == at)
        );

        let (items, _) = outcome(entry(30, 2, 30));
        assert!(matches!(
            items[..],
            [Err(BatchError::InvalidLength { length: 30, .. })]
        ));
        let (items, _) = outcome(entry(30, 3, 30));
        assert!(matches!(
            items[..],
            [Err(BatchError::BadMagic { found: 3, .. })]
        ));
    }

    #[test]
    fn items_share_the_input_buffer() {
        let blob = one_batch();
        let (items, _) = outcome(blob.clone());
        let Some(Ok(b)) = items.first() else {
            panic!("no batch")
        };
        assert_eq!(b.as_bytes().as_ptr(), blob.as_ptr());
        assert_eq!((b.magic(), b.offset()), (2, 0));
    }
}
