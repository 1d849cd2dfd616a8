//! Forward-or-re-encode decision per batch from the v2 header alone (Kafka protocol guide,
//! "Record Batch" attributes; control and transactional bits from KIP-98, delete horizon from
//! KIP-534): the forward path rewrites only the header, the fallback decodes and re-encodes.
//! Nothing is decompressed to decide.

use super::{Batch, BatchView, TimestampType};

/// Kafka's default `max.message.bytes` (1 MiB + the 12-byte log overhead).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_048_588;

/// What the classifier needs to know about the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassifyContext {
    /// The target topic's `max.message.bytes`; larger batches would be rejected.
    pub max_batch_bytes: usize,
    /// Set once the caller has removed aborted transactional batches (it alone knows the
    /// aborted ranges from the Fetch response). While `false`, transactional batches are
    /// sent to the fallback so aborted data can never be forwarded by mistake.
    pub allow_transactional: bool,
}

impl Default for ClassifyContext {
    fn default() -> Self {
        Self {
            max_batch_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            allow_transactional: false,
        }
    }
}

/// Why a batch cannot be forwarded as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReEncodeReason {
    /// Control batch (transaction marker): never produced as data.
    Control,
    /// Transactional batch while [`ClassifyContext::allow_transactional`] is off.
    Transactional,
    /// Offset gaps or no records (compaction): the target needs dense offsets.
    NotDense,
    /// Broker-set timestamps: source consumers read every record at the batch
    /// `maxTimestamp`, but the payload still holds the producer's deltas, which a
    /// create-time target would expose instead.
    LogAppendTime,
    /// The base timestamp is a cleaner delete horizon (KIP-534), not a record timestamp.
    DeleteHorizon,
    /// Magic v0/v1 message set.
    LegacyMagic,
    /// Larger than the target accepts.
    TooLarge {
        /// Batch size in bytes.
        size: usize,
        /// The target's limit.
        max: usize,
    },
}

/// Outcome of [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Rewrite the header and send the bytes.
    Forward,
    /// Decode, fix and encode anew.
    ReEncode(ReEncodeReason),
}

/// Classifies a v2 batch using only its header.
pub fn classify(batch: &BatchView, ctx: &ClassifyContext) -> Disposition {
    match reason(batch, ctx) {
        Some(r) => Disposition::ReEncode(r),
        None => Disposition::Forward,
    }
}

/// Classifies any splitter item; legacy messages always need re-encoding.
pub fn classify_batch(batch: &Batch, ctx: &ClassifyContext) -> Disposition {
    match batch {
        Batch::V2(v) => classify(v, ctx),
        Batch::Legacy(_) => Disposition::ReEncode(ReEncodeReason::LegacyMagic),
    }
}

fn reason(b: &BatchView, ctx: &ClassifyContext) -> Option<ReEncodeReason> {
    if b.is_control() {
        return Some(ReEncodeReason::Control);
    }
    if b.is_transactional() && !ctx.allow_transactional {
        return Some(ReEncodeReason::Transactional);
    }
    // Offset deltas are distinct and within 0..=lastOffsetDelta, so the count equals
    // lastOffsetDelta + 1 exactly when none is missing.
    let count = i64::from(b.records_count());
    if count <= 0 || i64::from(b.last_offset_delta()) + 1 != count {
        return Some(ReEncodeReason::NotDense);
    }
    if b.timestamp_type() == TimestampType::LogAppendTime {
        return Some(ReEncodeReason::LogAppendTime);
    }
    if b.has_delete_horizon() {
        return Some(ReEncodeReason::DeleteHorizon);
    }
    let size = b.size_in_bytes();
    if size > ctx.max_batch_bytes {
        return Some(ReEncodeReason::TooLarge {
            size,
            max: ctx.max_batch_bytes,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::super::view::{ATTR_DELETE_HORIZON, ATTRIBUTES, RECORDS_COUNT};
    use super::super::{BatchBuilder, HeaderRewrite, OffsetAssignment, Record, rewrite_in_place};
    use super::*;

    fn recs(offsets: &[i64]) -> Vec<Record> {
        offsets
            .iter()
            .map(|&offset| Record {
                offset,
                ..Default::default()
            })
            .collect()
    }

    fn view(b: &BatchBuilder, offsets: &[i64]) -> BatchView {
        BatchView::new(b.build(&recs(offsets)).expect("encode")).expect("view")
    }

    fn patched(v: &BatchView, at: usize, bytes: &[u8]) -> BatchView {
        let mut buf = v.as_bytes().to_vec();
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        rewrite_in_place(&mut buf, &HeaderRewrite::default()).expect("crc");
        BatchView::new(Bytes::from(buf)).expect("view")
    }

    fn why(v: &BatchView, ctx: &ClassifyContext) -> Option<ReEncodeReason> {
        match classify(v, ctx) {
            Disposition::Forward => None,
            Disposition::ReEncode(r) => Some(r),
        }
    }

    #[test]
    fn header_checks_pick_the_path() {
        let ctx = ClassifyContext::default();
        let plain = BatchBuilder::default();
        assert_eq!(why(&view(&plain, &[0, 1, 2]), &ctx), None);

        let gapped = BatchBuilder {
            offsets: OffsetAssignment::FromRecords,
            ..Default::default()
        };
        assert_eq!(
            why(&view(&gapped, &[0, 2]), &ctx),
            Some(ReEncodeReason::NotDense)
        );
        assert_eq!(
            why(&view(&gapped, &[1, 2]), &ctx),
            Some(ReEncodeReason::NotDense)
        );
        assert_eq!(why(&view(&gapped, &[0, 1]), &ctx), None);

        let control = BatchBuilder {
            control: true,
            transactional: true,
            ..Default::default()
        };
        assert_eq!(
            why(&view(&control, &[0]), &ctx),
            Some(ReEncodeReason::Control)
        );

        let lat = BatchBuilder {
            timestamp_type: TimestampType::LogAppendTime,
            ..Default::default()
        };
        assert_eq!(
            why(&view(&lat, &[0]), &ctx),
            Some(ReEncodeReason::LogAppendTime)
        );
    }

    #[test]
    fn size_limit_and_emptied_batches() {
        let v = view(&BatchBuilder::default(), &[0]);
        let small = ClassifyContext {
            max_batch_bytes: v.size_in_bytes() - 1,
            ..Default::default()
        };
        let size = v.size_in_bytes();
        assert_eq!(
            why(&v, &small),
            Some(ReEncodeReason::TooLarge {
                size,
                max: size - 1
            })
        );

        let emptied = patched(&v, RECORDS_COUNT, &0i32.to_be_bytes());
        assert_eq!(
            why(&emptied, &Default::default()),
            Some(ReEncodeReason::NotDense)
        );

        let horizon = patched(&v, ATTRIBUTES + 1, &[ATTR_DELETE_HORIZON as u8]);
        assert_eq!(
            why(&horizon, &Default::default()),
            Some(ReEncodeReason::DeleteHorizon)
        );
    }
}
