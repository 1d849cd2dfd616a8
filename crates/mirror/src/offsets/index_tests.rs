use proptest::prelude::*;

use super::*;
use crate::offsets::records::OffsetSync;
use crate::offsets::sync::PartitionSyncs;

fn tp() -> TopicPartition {
    TopicPartition::new("t", 0)
}

fn mm2_sync(u: i64, d: i64) -> SyncRecord {
    SyncRecord {
        sync: OffsetSync {
            topic: "t".into(),
            partition: 0,
            upstream: u,
            downstream: d,
        },
        segment: None,
    }
}

#[test]
fn mm2_syncs_translate_like_offset_sync_store() {
    let mut index = TranslationIndex::default();
    assert_eq!(index.translate(&tp(), 5), Translation::Unknown);
    index.insert(&mm2_sync(100, 50));
    index.insert(&mm2_sync(200, 150));
    assert_eq!(index.translate(&tp(), 99), Translation::Unknown);
    assert_eq!(index.translate(&tp(), 100), Translation::Exact(50));
    assert_eq!(index.translate(&tp(), 150), Translation::Conservative(51));
    assert_eq!(index.translate(&tp(), 200), Translation::Exact(150));
    assert_eq!(index.translate(&tp(), 201), Translation::Conservative(151));
    assert_eq!(
        index.translate(&tp(), 202),
        Translation::Unknown,
        "past what has been replicated"
    );
    // An upstream rewind (topic re-created) replaces everything after it.
    index.insert(&mm2_sync(0, 300));
    assert_eq!(index.translate(&tp(), 150), Translation::Unknown);
    assert_eq!(index.translate(&tp(), 0), Translation::Exact(300));
}

#[test]
fn strait_syncs_translate_exactly_across_gaps_and_lag() {
    let mut syncs = PartitionSyncs::new("t", 0, 3, 0);
    let mut out = Vec::new();
    // Source 0..=9 land at 100..=109; 10..=14 skipped (a transaction marker, a compaction gap);
    // 15..=19 at 110..=114; 20 skipped at the end.
    syncs.landed(0, 100, 10, &mut out);
    syncs.landed(15, 110, 5, &mut out);
    syncs.processed(20);
    syncs.idle(&mut out);
    let mut index = TranslationIndex::default();
    for s in &out {
        index.insert(s);
    }
    for x in 0..=9 {
        assert_eq!(index.translate(&tp(), x), Translation::Exact(100 + x));
    }
    for x in 10..=15 {
        assert_eq!(
            index.translate(&tp(), x),
            Translation::Exact(110),
            "position {x}"
        );
    }
    for x in 16..=19 {
        assert_eq!(index.translate(&tp(), x), Translation::Exact(95 + x));
    }
    assert_eq!(index.translate(&tp(), 20), Translation::Exact(115));
    assert_eq!(index.translate(&tp(), 21), Translation::Exact(115));
    assert_eq!(index.translate(&tp(), 22), Translation::Conservative(115));
    assert_eq!(index.translate(&tp(), 23), Translation::Unknown);
    assert!(index.pieces(&tp()) <= 4, "lag syncs of one run merge");
}

#[test]
fn the_newest_sync_alone_still_translates_its_segment() {
    // Compaction keeps one sync per partition: its segment reaches back to the previous one.
    let mut syncs = PartitionSyncs::new("t", 0, 100, 0);
    let mut out = Vec::new();
    syncs.landed(0, 0, 1000, &mut out);
    syncs.idle(&mut out);
    let mut index = TranslationIndex::default();
    index.insert(out.last().unwrap());
    assert_eq!(index.translate(&tp(), 950), Translation::Exact(950));
    assert_eq!(index.translate(&tp(), 1000), Translation::Exact(1000));
    assert_eq!(index.translate(&tp(), 10), Translation::Unknown);
}

#[test]
fn history_is_thinned_but_stays_safe() {
    let mut syncs = PartitionSyncs::new("t", 0, 1_000_000, 0);
    let mut out = Vec::new();
    // Every other offset compacted away: a gap per record.
    for i in 0..5000 {
        syncs.landed(2 * i, i, 1, &mut out);
    }
    let mut index = TranslationIndex::new(64);
    for s in &out {
        index.insert(s);
    }
    assert!(index.pieces(&tp()) <= 64);
    assert_eq!(index.translate(&tp(), 9998), Translation::Exact(4999));
    for x in (0..9998).step_by(7) {
        let truth = (x + 1) / 2;
        match index.translate(&tp(), x) {
            Translation::Exact(d) => assert_eq!(d, truth),
            Translation::Conservative(d) => assert!(d <= truth),
            Translation::Unknown => panic!("position {x} is within the retained history"),
        }
    }
}

#[test]
fn a_re_created_target_clears_the_partition() {
    let mut syncs = PartitionSyncs::new("t", 0, 100, 0);
    let mut out = Vec::new();
    syncs.landed(0, 500, 10, &mut out);
    let mut restarted = PartitionSyncs::new("t", 0, 100, 10);
    restarted.landed(10, 0, 5, &mut out);
    restarted.idle(&mut out);
    let mut index = TranslationIndex::default();
    for s in &out {
        index.insert(s);
    }
    assert_eq!(index.translate(&tp(), 5), Translation::Unknown);
    assert_eq!(index.translate(&tp(), 12), Translation::Exact(2));
}

/// One simulated history of a partition: which source offsets hold data, what every run of
/// the flow did, and where each copy landed.
#[derive(Debug)]
struct History {
    /// `(source offset, target offset)` of every copy; `None` source: someone else's record.
    downstream: Vec<Option<i64>>,
    syncs: Vec<SyncRecord>,
    /// Offsets processed by the last run (through).
    through: i64,
}

/// Runs: `(rewind, length, graceful, foreign_every)`.
fn simulate(data: &[bool], runs: &[(usize, usize, bool, usize)], lag_max: i64) -> History {
    let mut downstream: Vec<Option<i64>> = Vec::new();
    let mut syncs = Vec::new();
    let mut next = 0usize;
    let mut through = -1;
    for (i, &(rewind, length, graceful, foreign_every)) in runs.iter().enumerate() {
        let start = next.saturating_sub(rewind);
        let mut state = PartitionSyncs::new("t", 0, lag_max, start as i64);
        let end = (start + length).min(data.len());
        let mut offset = start;
        while offset < end {
            if foreign_every > 0 && (offset + i) % foreign_every == 0 {
                downstream.push(None);
            }
            if data[offset] {
                // A batch: consecutive data offsets.
                let mut n = 1;
                while offset + n < end && data[offset + n] && n < 4 {
                    n += 1;
                }
                let d = downstream.len() as i64;
                for k in 0..n {
                    downstream.push(Some((offset + k) as i64));
                }
                state.landed(offset as i64, d, n as i64, &mut syncs);
                offset += n;
            } else {
                offset += 1;
            }
            state.processed(offset as i64 - 1);
            if offset % 5 == 0 {
                state.idle(&mut syncs);
            }
        }
        if graceful {
            state.idle(&mut syncs);
        }
        next = end;
        through = end as i64 - 1;
    }
    History {
        downstream,
        syncs,
        through,
    }
}

/// No loss: every source offset the flow has replicated at or after `x` has a copy at or
/// after `d`. Offsets past where the last run stopped are left out: the next run replicates
/// them again, after everything there is now.
fn no_loss(h: &History, x: i64, d: i64) -> bool {
    if x > h.through {
        return true;
    }
    let replicated: std::collections::BTreeSet<i64> =
        h.downstream.iter().flatten().copied().collect();
    replicated.range(x..=h.through).all(|&y| {
        h.downstream
            .iter()
            .enumerate()
            .any(|(at, s)| *s == Some(y) && at as i64 >= d)
    })
}

/// No duplicates: nothing of ours at or after `d` comes from before `x`.
fn no_duplicates(h: &History, x: i64, d: i64) -> bool {
    h.downstream
        .iter()
        .skip(usize::try_from(d).unwrap_or(0))
        .flatten()
        .all(|&y| y >= x)
}

/// `exact_means_exact`: false when syncs of a whole run may be missing (then a later run's
/// re-sent copies are unknown to the index: duplicates, still never a gap).
fn check(
    h: &History,
    index: &TranslationIndex,
    exact_everywhere: bool,
    exact_means_exact: bool,
) -> Result<(), TestCaseError> {
    for x in 0..=h.through + 3 {
        match index.translate(&tp(), x) {
            Translation::Exact(d) => {
                prop_assert!(no_loss(h, x, d), "exact {d} for {x} skips data: {h:?}");
                prop_assert!(
                    !exact_means_exact || no_duplicates(h, x, d),
                    "exact {d} for {x} re-reads: {h:?}"
                );
            }
            Translation::Conservative(d) => {
                prop_assert!(
                    no_loss(h, x, d),
                    "conservative {d} for {x} skips data: {h:?}"
                );
                prop_assert!(!exact_everywhere || x > h.through + 1, "{x} not exact");
            }
            Translation::Unknown => {
                prop_assert!(!exact_everywhere || x > h.through + 1, "{x} unknown");
            }
        }
    }
    Ok(())
}

fn data_strategy() -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(prop::bool::weighted(0.75), 1..120)
}

proptest! {
    #[test]
    fn one_graceful_run_translates_every_position_exactly(
        data in data_strategy(),
        lag_max in 1i64..20,
        foreign_every in prop::sample::select(vec![0usize, 3, 7]),
    ) {
        let h = simulate(&data, &[(0, usize::MAX, true, foreign_every)], lag_max);
        let mut index = TranslationIndex::default();
        for s in &h.syncs {
            index.insert(s);
        }
        // Positions before the first record are exact too when the run started at 0 and
        // skipped what came before; nothing is known when nothing was replicated.
        check(&h, &index, data.contains(&true), true)?;
    }

    #[test]
    fn restarts_lost_syncs_and_thinning_never_skip_data(
        data in data_strategy(),
        runs in prop::collection::vec((0usize..30, 1usize..80, prop::bool::ANY, prop::sample::select(vec![0usize, 4, 9])), 1..5),
        lag_max in 1i64..20,
        kept in prop::collection::vec(prop::bool::weighted(0.7), 0..400),
        max_pieces in prop::sample::select(vec![4usize, 8, 2048]),
        compacted in prop::option::of(0usize..20),
    ) {
        let h = simulate(&data, &runs, lag_max);
        let mut index = TranslationIndex::new(max_pieces);
        let n = h.syncs.len();
        for (i, s) in h.syncs.iter().enumerate() {
            // Compaction leaves the newest records (a suffix: the last sync of the cleaned
            // segments, then the active segment); failed sends lose any.
            let keep = match compacted {
                Some(k) => i + k >= n,
                None => kept.get(i).copied().unwrap_or(true),
            };
            if keep {
                index.insert(s);
            }
        }
        check(&h, &index, false, compacted.is_some())?;
    }
}
