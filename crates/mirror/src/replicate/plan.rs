//! Stage 2, plan (Kafka record batch v2, KIP-98 transactions): the data path's decision per
//! fetched batch. Forward dense v2 batches as they are (no decompression, no re-encoding),
//! re-encode the rest, drop control batches and aborted transactions (KIP-98
//! read_committed filtering, as Kafka's Java consumer does it), and never re-send records
//! before the requested offset.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use bytes::{Bytes, BytesMut};
use kwire::batch::{
    Batch, BatchBuilder, BatchError, BatchView, ClassifyContext, Compression, Disposition,
    ReEncodeReason, Record, TimestampType, classify, decode_legacy, decode_records, split,
};
use kwire::client::AbortedTransaction;

/// What to do for one source batch, in source order.
#[derive(Debug, Clone)]
pub enum Step {
    /// Produce these batches (one when forwarded; one or more when re-encoded), then the
    /// source is replicated up to and including `source_last_offset`.
    Produce {
        batches: Vec<BatchView>,
        /// The source offsets each batch carries (same order as `batches`): what lets the
        /// acker emit exact offset syncs once the target names the batch's base offset.
        sources: Vec<SourceOffsets>,
        source_last_offset: i64,
        path: Path,
    },
    /// Nothing to write (control batch, aborted data, records already replicated), but the
    /// source position may advance past `source_last_offset` once earlier steps are acked.
    Skip {
        source_last_offset: i64,
        why: SkipReason,
    },
}

/// The source offsets of one produced batch in record order, as runs `(first, count)` of
/// consecutive offsets: record `i` of the batch lands at the acknowledged base offset + `i`.
/// A forwarded batch is one run; a re-encoded one has a run per compaction gap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOffsets(pub Vec<(i64, i64)>);

impl SourceOffsets {
    /// Runs of the records' own (source) offsets, which must be increasing.
    pub fn of_records(records: &[Record]) -> Self {
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for r in records {
            match runs.last_mut() {
                Some((first, count)) if *first + *count == r.offset => *count += 1,
                _ => runs.push((r.offset, 1)),
            }
        }
        SourceOffsets(runs)
    }

    /// How many records the batch holds.
    pub fn count(&self) -> i64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

/// How a batch reached the target: untouched payload, or decoded and encoded again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Forwarded,
    ReEncoded(Reason),
}

/// Why a batch was re-encoded. `Partial` adds to kwire's reasons: the batch began before the
/// position to resume from (e.g. a position stored per record by Java MM2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    Classified(ReEncodeReason),
    Partial,
}

/// Why a batch produced nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    ControlBatch,
    AbortedTransaction,
    AlreadyReplicated,
    Empty,
}

/// Settings of the transform that come from the flow and the target topic.
#[derive(Debug, Clone, Copy)]
pub struct TransformContext {
    /// Whether the source was fetched read_committed (then `aborted` lists aborted ranges).
    pub read_committed: bool,
    /// The target topic's `max.message.bytes`.
    pub max_batch_bytes: usize,
}

/// The plan for one fetched partition: steps in order, and the next offset to fetch.
#[derive(Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Offset after the last complete batch seen; the fetch position to continue from.
    pub next_offset: i64,
}

/// Plans the records of one partition fetched from `fetch_offset`.
pub fn plan(
    ctx: &TransformContext,
    fetch_offset: i64,
    records: Bytes,
    aborted: &[AbortedTransaction],
) -> Result<Plan, BatchError> {
    let mut aborts = AbortTracker::new(aborted);
    let mut plan = Plan {
        steps: Vec::new(),
        next_offset: fetch_offset,
    };
    for item in split(records) {
        let step = match item? {
            Batch::V2(b) => plan_v2(ctx, plan.next_offset, b, &mut aborts)?,
            Batch::Legacy(m) => {
                let last = m.offset();
                let records = decode_legacy(&m)?;
                let reason = Reason::Classified(ReEncodeReason::LegacyMagic);
                re_encode(
                    ctx,
                    plan.next_offset,
                    records,
                    Compression::None,
                    last,
                    reason,
                )?
            }
        };
        let last = match &step {
            Step::Produce {
                source_last_offset, ..
            }
            | Step::Skip {
                source_last_offset, ..
            } => *source_last_offset,
        };
        plan.next_offset = plan.next_offset.max(last + 1);
        plan.steps.push(step);
    }
    Ok(plan)
}

fn plan_v2(
    ctx: &TransformContext,
    next_offset: i64,
    b: BatchView,
    aborts: &mut AbortTracker,
) -> Result<Step, BatchError> {
    let last = b.last_offset();
    if last < next_offset {
        return Ok(skip(last, SkipReason::AlreadyReplicated));
    }
    if ctx.read_committed && aborts.is_aborted(&b) {
        return Ok(skip(last, SkipReason::AbortedTransaction));
    }
    if b.is_control() {
        return Ok(skip(last, SkipReason::ControlBatch));
    }
    if b.base_offset() < next_offset {
        let records = decode_records(&b)?;
        return re_encode(
            ctx,
            next_offset,
            records,
            b.compression(),
            last,
            Reason::Partial,
        );
    }
    // Aborted data is gone by now, so committed (or, read_uncommitted, all) transactional
    // batches may be forwarded; the producer clears the transactional bit.
    let classify_ctx = ClassifyContext {
        max_batch_bytes: ctx.max_batch_bytes,
        allow_transactional: true,
    };
    match classify(&b, &classify_ctx) {
        Disposition::Forward => Ok(Step::Produce {
            // Dense: offset deltas 0..n-1, so the batch holds base..=last.
            sources: vec![SourceOffsets(vec![(
                b.base_offset(),
                last - b.base_offset() + 1,
            )])],
            batches: vec![b],
            source_last_offset: last,
            path: Path::Forwarded,
        }),
        Disposition::ReEncode(reason) => {
            let records = decode_records(&b)?;
            re_encode(
                ctx,
                next_offset,
                records,
                b.compression(),
                last,
                Reason::Classified(reason),
            )
        }
    }
}

fn skip(source_last_offset: i64, why: SkipReason) -> Step {
    Step::Skip {
        source_last_offset,
        why,
    }
}

/// Decodes-then-encodes: keeps keys, values, headers and the visible timestamps, drops records
/// before `next_offset`, numbers offsets densely, writes CreateTime, splits oversized output.
fn re_encode(
    ctx: &TransformContext,
    next_offset: i64,
    mut records: Vec<Record>,
    compression: Compression,
    source_last_offset: i64,
    reason: Reason,
) -> Result<Step, BatchError> {
    records.retain(|r| r.offset >= next_offset);
    if records.is_empty() {
        return Ok(skip(source_last_offset, SkipReason::Empty));
    }
    let mut encoded = Vec::new();
    encode_within(ctx.max_batch_bytes, compression, &records, &mut encoded)?;
    let (batches, sources) = encoded.into_iter().unzip();
    Ok(Step::Produce {
        batches,
        sources,
        source_last_offset,
        path: Path::ReEncoded(reason),
    })
}

/// Encodes `records` as one batch, or halves until each batch fits `max` (a single record that
/// alone exceeds it is written anyway: the target will name the record too large).
fn encode_within(
    max: usize,
    compression: Compression,
    records: &[Record],
    out: &mut Vec<(BatchView, SourceOffsets)>,
) -> Result<(), BatchError> {
    let builder = BatchBuilder {
        compression,
        timestamp_type: TimestampType::CreateTime,
        ..Default::default()
    };
    let mut buf = BytesMut::new();
    builder.encode(records, &mut buf)?;
    if buf.len() > max && records.len() > 1 {
        let (left, right) = records.split_at(records.len() / 2);
        encode_within(max, compression, left, out)?;
        return encode_within(max, compression, right, out);
    }
    out.push((
        BatchView::new(buf.freeze())?,
        SourceOffsets::of_records(records),
    ));
    Ok(())
}

/// Which producers' transactions are aborted at the current position, fed from the fetch
/// response's aborted list in offset order.
struct AbortTracker {
    upcoming: BinaryHeap<Reverse<(i64, i64)>>,
    active: HashSet<i64>,
}

impl AbortTracker {
    fn new(aborted: &[AbortedTransaction]) -> Self {
        let upcoming = aborted
            .iter()
            .map(|a| Reverse((a.first_offset, a.producer_id)))
            .collect();
        AbortTracker {
            upcoming,
            active: HashSet::new(),
        }
    }

    /// True when `b` belongs to an aborted transaction (its data or its abort marker).
    fn is_aborted(&mut self, b: &BatchView) -> bool {
        while let Some(Reverse((first, pid))) = self.upcoming.peek().copied() {
            if first > b.last_offset() {
                break;
            }
            self.upcoming.pop();
            self.active.insert(pid);
        }
        if !b.is_transactional() || !self.active.contains(&b.producer_id()) {
            return false;
        }
        if b.is_control() {
            // The abort marker ends this producer's aborted transaction.
            self.active.remove(&b.producer_id());
        }
        true
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
