//! Offset syncs as strait writes them (KIP-382 OffsetSync; docs/mm2-compatibility.md "Offset
//! syncs" and "Byte formats"): MM2's
//! record, plus a segment appended to the value that says exactly which source positions map
//! where up to the sync point. Java readers ignore trailing bytes (`Schema.read`), so MM2's
//! tooling and checkpoint task still read these records as plain syncs; strait's index reads
//! the segment and translates exactly, even after compaction kept one sync per partition.
//!
//! [`PartitionSyncs`] is the emitting side (MM2's `OffsetSyncWriter`): fed by a partition's
//! acker with the source offsets that landed at acknowledged target offsets, it emits a sync at
//! the first record of a run and at every change of the upstream→downstream delta (every gap),
//! otherwise every `offset.lag.max` records, and on [`PartitionSyncs::idle`] when anything
//! changed since the last sync.

use bytes::{Buf, BufMut, BytesMut};

use super::records::{FormatError, KeyValue, OffsetSync};

/// Marks the appended segment ("strt"), so that other trailing bytes are not misread.
const SEGMENT_TAG: u32 = 0x7374_7274;
const SEGMENT_VERSION: i16 = 1;
/// Tag, version and six INT64 fields.
const SEGMENT_LEN: usize = 4 + 2 + 6 * 8;

/// What one strait sync knows about group positions (source offsets, "next to consume") up to
/// and slightly past its own point `upstream → downstream`:
///
/// * positions `from..=dense_to` map linearly, `from → from_downstream` (records replicated
///   back to back);
/// * positions `max(dense_to + 1, from)..=upstream` map to `downstream` (the offsets between
///   were skipped: compaction gaps, control batches, aborted transactions);
/// * positions `upstream + 1..=through + 1` map to `downstream + 1` (processed, nothing written).
///
/// `chain_from`/`chain_downstream` name the run of the flow that wrote it (the position the run
/// started at, and where its first record landed): a run that re-sent data after a restart
/// supersedes what earlier runs said about positions from `chain_from` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub from: i64,
    pub from_downstream: i64,
    pub dense_to: i64,
    pub through: i64,
    pub chain_from: i64,
    pub chain_downstream: i64,
}

/// An offset sync with strait's optional segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRecord {
    pub sync: OffsetSync,
    pub segment: Option<Segment>,
}

impl SyncRecord {
    pub fn encode(&self) -> Result<KeyValue, FormatError> {
        let (key, value) = self.sync.encode()?;
        let Some(s) = &self.segment else {
            return Ok((key, value));
        };
        let mut out = BytesMut::with_capacity(value.len() + SEGMENT_LEN);
        out.put_slice(&value);
        out.put_u32(SEGMENT_TAG);
        out.put_i16(SEGMENT_VERSION);
        for field in [
            s.from,
            s.from_downstream,
            s.dense_to,
            s.through,
            s.chain_from,
            s.chain_downstream,
        ] {
            out.put_i64(field);
        }
        Ok((key, out.freeze()))
    }

    /// Decodes MM2's fields; a segment that is absent, unknown or inconsistent is dropped (the
    /// record is then used as MM2 uses it).
    pub fn decode(key: &[u8], value: &[u8]) -> Result<Self, FormatError> {
        let sync = OffsetSync::decode(key, value)?;
        let segment = value.get(16..).and_then(read_segment).filter(|s| {
            s.from <= sync.upstream
                && s.dense_to < sync.upstream
                && s.through >= sync.upstream
                && s.chain_from <= s.from
                && s.chain_downstream <= sync.downstream
                && (s.dense_to < s.from
                    || s.from_downstream + (s.dense_to - s.from) < sync.downstream)
        });
        Ok(SyncRecord { sync, segment })
    }
}

fn read_segment(mut tail: &[u8]) -> Option<Segment> {
    if tail.len() < SEGMENT_LEN
        || tail.get_u32() != SEGMENT_TAG
        || tail.get_i16() != SEGMENT_VERSION
    {
        return None;
    }
    Some(Segment {
        from: tail.get_i64(),
        from_downstream: tail.get_i64(),
        dense_to: tail.get_i64(),
        through: tail.get_i64(),
        chain_from: tail.get_i64(),
        chain_downstream: tail.get_i64(),
    })
}

/// The sync state of one source partition in one run of the flow (one acker's lifetime).
#[derive(Debug, Clone)]
pub struct PartitionSyncs {
    topic: String,
    partition: i32,
    lag_max: i64,
    /// The position this run started at, while it is still known to hold (a delivery whose
    /// offset the target did not report breaks it).
    start: Option<i64>,
    /// The run's first landed record (`chain_from` uses `start` when known).
    chain: Option<(i64, i64)>,
    last_sync: Option<(i64, i64)>,
    last: Option<(i64, i64)>,
    through: i64,
    /// `(upstream, through)` of the last emitted sync.
    emitted: Option<(i64, i64)>,
}

impl PartitionSyncs {
    /// A run that replicates the partition from source offset `start`.
    pub fn new(topic: &str, partition: i32, lag_max: i64, start: i64) -> Self {
        PartitionSyncs {
            topic: topic.to_owned(),
            partition,
            lag_max: lag_max.max(1),
            start: Some(start),
            chain: None,
            last_sync: None,
            last: None,
            through: start - 1,
            emitted: None,
        }
    }

    /// `count` consecutive source offsets from `upstream` landed at consecutive target offsets
    /// from `downstream`. Calls come in source order.
    pub fn landed(
        &mut self,
        upstream: i64,
        downstream: i64,
        count: i64,
        out: &mut Vec<SyncRecord>,
    ) {
        if count <= 0 {
            return;
        }
        match (self.last, self.last_sync) {
            (Some((pu, pd)), Some((su, sd))) if upstream > pu && downstream > pd => {
                if upstream - pu != downstream - pd {
                    // A gap (upstream or downstream): positions after `pu` up to `upstream`
                    // all map to `downstream`.
                    self.emit(upstream, downstream, (su, sd), pu, upstream, out);
                }
            }
            _ => {
                // First record of this run, or the offsets went backwards (the target was
                // truncated): a new chain that knows nothing before this record.
                let from = self.start.filter(|s| *s <= upstream).unwrap_or(upstream);
                self.chain = Some((from, downstream));
                self.emit(
                    upstream,
                    downstream,
                    (from, downstream),
                    from - 1,
                    upstream,
                    out,
                );
            }
        }
        let last_d = downstream + count - 1;
        while let Some((su, sd)) = self.last_sync {
            // MM2: a sync once `d - (lastSyncDownstream + 1) >= offset.lag.max`.
            let d = (sd + self.lag_max + 1).max(downstream);
            if d > last_d {
                break;
            }
            let u = upstream + (d - downstream);
            self.emit(u, d, (su, sd), u - 1, u, out);
        }
        self.last = Some((upstream + count - 1, last_d));
        self.through = self.through.max(upstream + count - 1);
    }

    /// Every source offset up to and including `through` has been handled (written or skipped).
    pub fn processed(&mut self, through: i64) {
        self.through = self.through.max(through);
    }

    /// The target acknowledged a batch without naming its offset: what follows starts a new
    /// chain that claims nothing about earlier positions.
    pub fn lost_track(&mut self) {
        self.start = None;
        self.last = None;
        self.last_sync = None;
    }

    /// A sync for a partition that went quiet: the newest record and how far the source was
    /// processed, if either changed since the last sync.
    pub fn idle(&mut self, out: &mut Vec<SyncRecord>) {
        let (Some((u, d)), Some(sync)) = (self.last, self.last_sync) else {
            return;
        };
        if self.emitted == Some((u, self.through)) {
            return;
        }
        self.emit(u, d, sync, u - 1, self.through, out);
    }

    fn emit(
        &mut self,
        upstream: i64,
        downstream: i64,
        (from, from_downstream): (i64, i64),
        dense_to: i64,
        through: i64,
        out: &mut Vec<SyncRecord>,
    ) {
        let (chain_from, chain_downstream) = self.chain.unwrap_or((from, from_downstream));
        out.push(SyncRecord {
            sync: OffsetSync {
                topic: self.topic.clone(),
                partition: self.partition,
                upstream,
                downstream,
            },
            segment: Some(Segment {
                from,
                from_downstream,
                dense_to,
                through,
                chain_from,
                chain_downstream,
            }),
        });
        self.last_sync = Some((upstream, downstream));
        self.emitted = Some((upstream, through));
    }
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;
