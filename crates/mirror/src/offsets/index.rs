//! Offset translation (KIP-382, MM2's OffsetSyncStore; docs/mm2-compatibility.md "Offset
//! translation"), made exact: the index of offset syncs that maps group positions.
//!
//! Per source partition the index holds *pieces*: ranges of group positions (the next source
//! offset a group would consume) with the target offset each maps to, either linearly (records
//! replicated back to back) or to one offset (source offsets skipped: compaction, control
//! batches, aborted transactions). Pieces come from strait's syncs, whose segments describe
//! every position up to the sync point ([`super::sync::Segment`]), and from plain MM2 syncs,
//! which pin a single position. A position inside a piece translates exactly; one in a hole
//! between pieces (history coarsened away, syncs compacted, MM2's sparse syncs) gets MM2's
//! conservative answer, one past the last record known to have landed before it, so a group
//! re-reads a few records but never skips one.
//!
//! Memory is bounded: adjacent pieces of one run merge, and past `max_pieces` per partition
//! the older half is thinned (every other piece dropped), keeping detail near the head where
//! groups usually are while old positions still translate conservatively.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use kwire::client::TopicPartition;

use super::sync::SyncRecord;

/// Pieces kept per partition before the older half is thinned.
pub const DEFAULT_MAX_PIECES: usize = 1024;

/// Where a group position on the source lands on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Translation {
    /// The target offset of the first replicated record at or after the position: a consumer
    /// starting there reads neither duplicates nor gaps.
    Exact(i64),
    /// A target offset at or before the exact one (MM2's answer): duplicates, never gaps.
    Conservative(i64),
    /// Nothing known: no sync at or before the position, or the position is past what has
    /// been replicated.
    Unknown,
}

impl Translation {
    /// The target offset, exact or conservative.
    pub fn offset(self) -> Option<i64> {
        match self {
            Translation::Exact(d) | Translation::Conservative(d) => Some(d),
            Translation::Unknown => None,
        }
    }
}

/// A range of positions `from..=to` (the map key is `from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    to: i64,
    /// The target offset of position `from`.
    downstream: i64,
    /// `from + k → downstream + k`, else every position maps to `downstream`.
    linear: bool,
    /// Whether the record at source offset `to` landed at `at(to)`; then a position after
    /// `to` maps past it.
    landed: bool,
    /// The run that wrote it (target offset of the run's first record); `None` for MM2 syncs.
    chain: Option<i64>,
}

impl Piece {
    fn at(&self, from: i64, x: i64) -> i64 {
        if self.linear {
            self.downstream + (x - from)
        } else {
            self.downstream
        }
    }

    /// The conservative target offset for positions after this piece.
    fn after(&self, from: i64) -> i64 {
        self.at(from, self.to) + i64::from(self.landed)
    }

    /// The piece cut to `from..=to`.
    fn cut(mut self, to: i64) -> Piece {
        if to < self.to {
            self.to = to;
            // A constant piece ends at the landed record; cut before it, nothing landed at `to`.
            self.landed &= self.linear;
        }
        self
    }
}

#[derive(Debug, Clone, Default)]
struct PartitionIndex {
    pieces: BTreeMap<i64, Piece>,
}

impl PartitionIndex {
    /// Removes what pieces accepted by `drop` say about positions `at` and later.
    fn truncate(&mut self, at: i64, drop: impl Fn(&Piece) -> bool) {
        let later: Vec<i64> = self
            .pieces
            .range(at..)
            .filter(|(_, p)| drop(p))
            .map(|(f, _)| *f)
            .collect();
        for f in later {
            self.pieces.remove(&f);
        }
        if let Some((&f, &p)) = self.pieces.range(..at).next_back()
            && p.to >= at
            && drop(&p)
        {
            self.pieces.insert(f, p.cut(at - 1));
        }
    }

    fn push(&mut self, from: i64, piece: Piece) {
        if let Some((&f, last)) = self.pieces.iter_mut().next_back()
            && last.to + 1 == from
            && last.chain == piece.chain
            && last.linear
            && piece.linear
            && last.after(f) == piece.downstream
        {
            last.to = piece.to;
            last.landed = piece.landed;
            return;
        }
        self.pieces.insert(from, piece);
    }

    /// Drops every other piece of the older half, keeping the oldest.
    fn thin(&mut self, max: usize) {
        if self.pieces.len() <= max.max(2) {
            return;
        }
        let older = self.pieces.len() - max / 2;
        let dropped: Vec<i64> = self
            .pieces
            .keys()
            .take(older)
            .skip(1)
            .step_by(2)
            .copied()
            .collect();
        for f in dropped {
            self.pieces.remove(&f);
        }
    }

    fn translate(&self, x: i64) -> Translation {
        let Some((&from, piece)) = self.pieces.range(..=x).next_back() else {
            return Translation::Unknown;
        };
        if x <= piece.to {
            return Translation::Exact(piece.at(from, x));
        }
        let in_hole = self
            .pieces
            .range((Bound::Excluded(x), Bound::Unbounded))
            .next()
            .is_some();
        if in_hole || x == piece.to + 1 {
            Translation::Conservative(piece.after(from))
        } else {
            Translation::Unknown
        }
    }
}

/// The pieces a sync describes, in position order.
fn pieces_of(record: &SyncRecord) -> Vec<(i64, Piece)> {
    let (u, d) = (record.sync.upstream, record.sync.downstream);
    let Some(s) = record.segment else {
        let point = Piece {
            to: u,
            downstream: d,
            linear: true,
            landed: true,
            chain: None,
        };
        return vec![(u, point)];
    };
    let chain = Some(s.chain_downstream);
    let mut out = Vec::with_capacity(3);
    if s.dense_to >= s.from {
        let dense = Piece {
            to: s.dense_to,
            downstream: s.from_downstream,
            linear: true,
            landed: true,
            chain,
        };
        out.push((s.from, dense));
    }
    let skipped_from = s.from.max(s.dense_to + 1);
    let at_sync = Piece {
        to: u,
        downstream: d,
        linear: skipped_from == u,
        landed: true,
        chain,
    };
    out.push((skipped_from, at_sync));
    let tail = Piece {
        to: s.through + 1,
        downstream: d + 1,
        linear: false,
        landed: false,
        chain,
    };
    out.push((u + 1, tail));
    out
}

/// Translation state of every source partition of one flow.
#[derive(Debug, Clone)]
pub struct TranslationIndex {
    partitions: HashMap<TopicPartition, PartitionIndex>,
    max_pieces: usize,
}

impl Default for TranslationIndex {
    fn default() -> Self {
        TranslationIndex::new(DEFAULT_MAX_PIECES)
    }
}

impl TranslationIndex {
    /// An empty index keeping at most about `max_pieces` pieces per partition.
    pub fn new(max_pieces: usize) -> Self {
        TranslationIndex {
            partitions: HashMap::new(),
            max_pieces: max_pieces.max(4),
        }
    }

    /// Adds a sync, read in the order it was written. What it says replaces what the index
    /// knew about its positions; a run that started over (a restart re-sending data)
    /// replaces earlier runs' knowledge from where it started; a target offset going back
    /// (the target partition re-created) clears the partition.
    pub fn insert(&mut self, record: &SyncRecord) {
        let tp = TopicPartition::new(record.sync.topic.clone(), record.sync.partition);
        let new = pieces_of(record);
        let Some(&(from, first)) = new.first() else {
            return;
        };
        let part = self.partitions.entry(tp).or_default();
        if let Some(s) = record.segment {
            let chain = Some(s.chain_downstream);
            part.truncate(s.chain_from, |p| p.chain != chain);
        }
        part.truncate(from, |_| true);
        if let Some((&f, last)) = part.pieces.iter().next_back()
            && last.after(f) > first.downstream
        {
            part.pieces.clear();
        }
        for (f, piece) in new {
            part.push(f, piece);
        }
        part.thin(self.max_pieces);
    }

    /// Where group position `position` (next offset to consume) of `tp` lands on the target.
    pub fn translate(&self, tp: &TopicPartition, position: i64) -> Translation {
        self.partitions
            .get(tp)
            .map_or(Translation::Unknown, |p| p.translate(position))
    }

    /// Source partitions with at least one sync.
    pub fn partitions(&self) -> impl Iterator<Item = &TopicPartition> {
        self.partitions.keys()
    }

    /// Pieces held for a partition (a measure of memory use).
    pub fn pieces(&self, tp: &TopicPartition) -> usize {
        self.partitions.get(tp).map_or(0, |p| p.pieces.len())
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
