//! Errors of the record-batch layer (Kafka protocol guide, "Record Batch" and "Message Sets"):
//! the single error type for malformed, truncated or unsupported batches.

use super::Compression;

/// Everything that can go wrong while reading, rewriting or writing record batches.
///
/// Decoders return these for malformed input instead of panicking; the splitter also uses
/// them for blobs that are clearly corrupt (as opposed to merely truncated).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The input ended before a field or entry was complete.
    #[error("truncated input: needed {needed} bytes, only {available} available")]
    Truncated {
        /// Bytes required to continue.
        needed: usize,
        /// Bytes actually present.
        available: usize,
    },
    /// The magic byte names a format this code path does not handle.
    #[error("unsupported magic byte {found} (expected {expected})")]
    BadMagic {
        /// Magic byte found in the input.
        found: i8,
        /// What the caller expected, e.g. `"2"` or `"0 or 1"`.
        expected: &'static str,
    },
    /// The stored checksum does not match the bytes.
    #[error("CRC mismatch: stored {expected:#010x}, computed {actual:#010x}")]
    CrcMismatch {
        /// Checksum stored in the header.
        expected: u32,
        /// Checksum computed over the bytes.
        actual: u32,
    },
    /// The length field disagrees with the size of the buffer holding the batch.
    #[error("length field declares {declared} bytes but the buffer holds {actual}")]
    LengthMismatch {
        /// Total size implied by the length field.
        declared: i64,
        /// Size of the buffer.
        actual: usize,
    },
    /// An entry of a records blob declares a length no valid batch or message can have.
    #[error("entry at byte {at} of the records blob declares impossible length {length}")]
    InvalidLength {
        /// Position of the entry in the blob.
        at: usize,
        /// The declared length.
        length: i32,
    },
    /// Attribute bits 0–2 name no known codec.
    #[error("unknown compression codec id {0}")]
    UnknownCompression(u8),
    /// Structurally invalid content; the message says what and where.
    #[error("corrupt record data: {0}")]
    Corrupt(String),
    /// A codec failed to compress or decompress.
    #[error("{codec} codec failed: {source}")]
    Compression {
        /// The codec in use.
        codec: Compression,
        /// The codec's own error.
        #[source]
        source: std::io::Error,
    },
    /// Decompressed output would exceed the caller's bound (zip-bomb guard).
    #[error("{codec} payload inflates past the {limit}-byte limit")]
    DecompressedTooLarge {
        /// The codec in use.
        codec: Compression,
        /// The bound that was hit.
        limit: usize,
    },
    /// The records handed to the encoder cannot form a valid batch.
    #[error("cannot encode batch: {0}")]
    Encode(String),
}

impl BatchError {
    pub(crate) fn corrupt(msg: impl Into<String>) -> Self {
        Self::Corrupt(msg.into())
    }
}
