use super::*;

fn run(syncs: &mut PartitionSyncs, u: i64, d: i64, n: i64) -> Vec<SyncRecord> {
    let mut out = Vec::new();
    syncs.landed(u, d, n, &mut out);
    syncs.processed(u + n - 1);
    out
}

fn points(records: &[SyncRecord]) -> Vec<(i64, i64)> {
    records
        .iter()
        .map(|r| (r.sync.upstream, r.sync.downstream))
        .collect()
}

#[test]
fn segment_round_trips_and_java_layout_is_a_prefix() {
    let record = SyncRecord {
        sync: OffsetSync {
            topic: "orders".into(),
            partition: 3,
            upstream: 1000,
            downstream: 990,
        },
        segment: Some(Segment {
            from: 900,
            from_downstream: 890,
            dense_to: 980,
            through: 1000,
            chain_from: 0,
            chain_downstream: 0,
        }),
    };
    let (key, value) = record.encode().unwrap();
    let (plain_key, plain_value) = record.sync.encode().unwrap();
    assert_eq!(key, plain_key);
    // What Java's OffsetSync.deserializeRecord reads: the first 16 bytes, unchanged.
    assert_eq!(&value[..16], &plain_value[..]);
    assert_eq!(value.len(), 16 + SEGMENT_LEN);
    assert_eq!(SyncRecord::decode(&key, &value).unwrap(), record);
    // A plain MM2 sync has no segment; garbage after the fields is not one either.
    assert_eq!(
        SyncRecord::decode(&plain_key, &plain_value)
            .unwrap()
            .segment,
        None
    );
    let mut other = plain_value.to_vec();
    other.extend_from_slice(&[0; SEGMENT_LEN]);
    assert_eq!(SyncRecord::decode(&key, &other).unwrap().segment, None);
}

#[test]
fn inconsistent_segments_are_ignored() {
    let mut record = SyncRecord {
        sync: OffsetSync {
            topic: "t".into(),
            partition: 0,
            upstream: 10,
            downstream: 5,
        },
        segment: Some(Segment {
            from: 0,
            from_downstream: 0,
            dense_to: 9,
            through: 10,
            chain_from: 0,
            chain_downstream: 0,
        }),
    };
    // Positions 0..=9 at 0..=9 cannot precede offset 5.
    let (k, v) = record.encode().unwrap();
    assert_eq!(SyncRecord::decode(&k, &v).unwrap().segment, None);
    if let Some(s) = &mut record.segment {
        s.dense_to = 4;
    }
    let (k, v) = record.encode().unwrap();
    assert!(SyncRecord::decode(&k, &v).unwrap().segment.is_some());
}

#[test]
fn syncs_at_start_every_gap_and_every_lag_max() {
    let mut s = PartitionSyncs::new("t", 0, 10, 0);
    // First record: a sync.
    assert_eq!(points(&run(&mut s, 0, 100, 5)), [(0, 100)]);
    // Dense continuation below lag max: none.
    assert!(run(&mut s, 5, 105, 3).is_empty());
    // Upstream gap (8, 9 skipped): a sync at the first record after it.
    let out = run(&mut s, 10, 108, 1);
    assert_eq!(points(&out), [(10, 108)]);
    let seg = out[0].segment.unwrap();
    assert_eq!((seg.from, seg.from_downstream, seg.dense_to), (0, 100, 7));
    // Downstream gap (someone else wrote 109): a sync too.
    assert_eq!(points(&run(&mut s, 11, 110, 1)), [(11, 110)]);
    // A long dense run: every lag max + 1 records.
    assert_eq!(
        points(&run(&mut s, 12, 111, 30)),
        [(22, 121), (33, 132)],
        "MM2: d - (lastSyncDownstream + 1) >= offset.lag.max"
    );
}

#[test]
fn idle_syncs_report_the_last_record_and_skipped_tail_once() {
    let mut s = PartitionSyncs::new("t", 0, 100, 50);
    let first = run(&mut s, 52, 7, 3);
    assert_eq!(
        first[0].segment.unwrap().from,
        50,
        "positions 50..=52 map to 7"
    );
    let mut out = Vec::new();
    s.idle(&mut out);
    assert_eq!(points(&out), [(54, 9)]);
    s.idle(&mut out);
    assert_eq!(out.len(), 1, "nothing changed");
    s.processed(60);
    s.idle(&mut out);
    assert_eq!(out.len(), 2);
    let seg = out[1].segment.unwrap();
    assert_eq!((out[1].sync.upstream, seg.through, seg.from), (54, 60, 54));
}

#[test]
fn lost_track_starts_a_chain_that_claims_nothing_before() {
    let mut s = PartitionSyncs::new("t", 0, 100, 0);
    run(&mut s, 0, 0, 5);
    s.lost_track();
    let out = run(&mut s, 9, 20, 1);
    let seg = out[0].segment.unwrap();
    assert_eq!((seg.from, seg.chain_from, seg.chain_downstream), (9, 9, 20));
}
