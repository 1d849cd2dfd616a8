//! v2 RecordBatch layer (Kafka protocol guide, "Record Batch"; KIP-98 producer fields):
//! zero-copy header view, Fetch blob splitter, header rewrite with CRC32C, record codec,
//! compression and forward/re-encode classification. Synchronous, no I/O.
//!
//! Forward path: [`split()`] → [`classify()`] → [`append_rewritten`]; payloads stay compressed.
//! Fallback path: [`decode_records`] / [`decode_legacy`] → [`BatchBuilder::encode`].

mod builder;
mod classify;
pub mod codec;
mod compression;
mod error;
mod legacy;
mod record;
mod rewrite;
mod split;
mod view;

#[cfg(test)]
mod java_fixtures;
#[cfg(test)]
mod tests;

pub use builder::{BatchBuilder, OffsetAssignment};
pub use classify::{
    ClassifyContext, DEFAULT_MAX_MESSAGE_BYTES, Disposition, ReEncodeReason, classify,
    classify_batch,
};
pub use compression::{Compression, DEFAULT_MAX_DECOMPRESSED, compress, decompress};
pub use error::BatchError;
pub use legacy::{LegacyMessage, decode_legacy, decode_legacy_with_limit};
pub use record::{ControlType, Header, Record, decode_records, decode_records_with_limit};
pub use rewrite::{HeaderRewrite, append_rewritten, rewrite_in_place};
pub use split::{Batch, BatchSplitter, split};
pub use view::{BatchView, HEADER_LEN, LOG_OVERHEAD, MAGIC_V2, TimestampType};
