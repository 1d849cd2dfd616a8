use bytes::{Bytes, BytesMut};
use kwire::batch::{
    BatchBuilder, Compression, OffsetAssignment, ReEncodeReason, Record, TimestampType,
    decode_records,
};
use kwire::client::AbortedTransaction;

use super::*;

const T0: i64 = 1_700_000_000_000;

fn rec(offset: i64, value: &str) -> Record {
    Record {
        offset,
        timestamp: T0 + offset,
        key: Some(Bytes::from(format!("k{offset}"))),
        value: Some(Bytes::from(value.to_owned())),
        headers: vec![],
    }
}

fn batch(base: i64, n: i64, configure: impl FnOnce(&mut BatchBuilder)) -> Bytes {
    let mut b = BatchBuilder {
        base_offset: base,
        compression: Compression::Lz4,
        ..Default::default()
    };
    configure(&mut b);
    let records: Vec<Record> = (0..n)
        .map(|i| rec(base + i, &format!("v{}", base + i)))
        .collect();
    b.build(&records).unwrap()
}

fn concat(parts: &[Bytes]) -> Bytes {
    let mut out = BytesMut::new();
    for p in parts {
        out.extend_from_slice(p);
    }
    out.freeze()
}

fn ctx(read_committed: bool) -> TransformContext {
    TransformContext {
        read_committed,
        max_batch_bytes: 1_048_588,
    }
}

fn produced_values(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for step in &plan.steps {
        if let Step::Produce { batches, .. } = step {
            for b in batches {
                for r in decode_records(b).unwrap() {
                    out.push(String::from_utf8(r.value.unwrap().to_vec()).unwrap());
                }
            }
        }
    }
    out
}

#[test]
fn dense_batches_are_forwarded_untouched() {
    let parts = [batch(0, 5, |_| {}), batch(5, 5, |_| {})];
    let plan = plan(&ctx(true), 0, concat(&parts), &[]).unwrap();
    assert_eq!(plan.next_offset, 10);
    for (step, original) in plan.steps.iter().zip(&parts) {
        let Step::Produce {
            batches,
            path,
            sources,
            ..
        } = step
        else {
            panic!("{step:?}")
        };
        assert_eq!(*path, Path::Forwarded);
        let base = batches[0].base_offset();
        assert_eq!(sources, &[SourceOffsets(vec![(base, 5)])]);
        assert_eq!(
            batches[0].as_bytes(),
            original,
            "payload must be the fetched bytes"
        );
    }
}

#[test]
fn compaction_gaps_are_renumbered_densely() {
    let gapped = {
        let b = BatchBuilder {
            offsets: OffsetAssignment::FromRecords,
            ..Default::default()
        };
        b.build(&[rec(0, "a"), rec(3, "b"), rec(7, "c")]).unwrap()
    };
    let plan = plan(&ctx(true), 0, gapped, &[]).unwrap();
    let Step::Produce {
        batches,
        path,
        source_last_offset,
        sources,
    } = &plan.steps[0]
    else {
        panic!()
    };
    assert_eq!(
        *path,
        Path::ReEncoded(Reason::Classified(ReEncodeReason::NotDense))
    );
    assert_eq!(*source_last_offset, 7);
    assert_eq!(sources, &[SourceOffsets(vec![(0, 1), (3, 1), (7, 1)])]);
    assert_eq!(batches[0].records_count(), 3);
    assert_eq!(batches[0].last_offset_delta(), 2);
    let ts: Vec<i64> = decode_records(&batches[0])
        .unwrap()
        .iter()
        .map(|r| r.timestamp)
        .collect();
    assert_eq!(ts, vec![T0, T0 + 3, T0 + 7], "timestamps are kept");
    assert_eq!(plan.next_offset, 8);
}

fn transactional(base: i64, n: i64, pid: i64) -> Bytes {
    batch(base, n, |b| {
        b.producer_id = pid;
        b.producer_epoch = 0;
        b.base_sequence = 0;
        b.transactional = true;
    })
}

fn marker(offset: i64, pid: i64, commit: bool) -> Bytes {
    let b = BatchBuilder {
        base_offset: offset,
        producer_id: pid,
        producer_epoch: 0,
        transactional: true,
        control: true,
        ..Default::default()
    };
    let control = Record {
        offset,
        timestamp: T0,
        key: Some(Bytes::from(vec![0, 0, 0, u8::from(commit)])),
        value: Some(Bytes::from_static(&[0, 0, 0, 0, 0, 0])),
        headers: vec![],
    };
    b.build(&[control]).unwrap()
}

#[test]
fn aborted_transactions_and_markers_are_dropped_when_read_committed() {
    let records = concat(&[
        transactional(0, 2, 5),
        marker(2, 5, false),
        batch(3, 2, |_| {}),
        transactional(5, 2, 6),
        marker(7, 6, true),
    ]);
    let aborted = [AbortedTransaction {
        producer_id: 5,
        first_offset: 0,
    }];
    let plan = plan(&ctx(true), 0, records.clone(), &aborted).unwrap();
    assert_eq!(produced_values(&plan), vec!["v3", "v4", "v5", "v6"]);
    let skips: Vec<SkipReason> = plan
        .steps
        .iter()
        .filter_map(|s| {
            if let Step::Skip { why, .. } = s {
                Some(*why)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        skips,
        vec![
            SkipReason::AbortedTransaction,
            SkipReason::AbortedTransaction,
            SkipReason::ControlBatch
        ]
    );
    assert_eq!(plan.next_offset, 8);

    // read_uncommitted copies aborted data too, as MM2 does; markers are never data.
    let plan = plan_uncommitted(records);
    assert_eq!(
        produced_values(&plan),
        vec!["v0", "v1", "v3", "v4", "v5", "v6"]
    );
}

fn plan_uncommitted(records: Bytes) -> Plan {
    plan(&ctx(false), 0, records, &[]).unwrap()
}

#[test]
fn resuming_inside_a_batch_sends_only_the_rest() {
    let plan = plan(&ctx(true), 3, batch(0, 5, |_| {}), &[]).unwrap();
    let Step::Produce { path, .. } = &plan.steps[0] else {
        panic!()
    };
    assert_eq!(*path, Path::ReEncoded(Reason::Partial));
    assert_eq!(produced_values(&plan), vec!["v3", "v4"]);
    let plan = plan_at(5, batch(0, 5, |_| {}));
    assert!(matches!(
        plan.steps[0],
        Step::Skip {
            why: SkipReason::AlreadyReplicated,
            ..
        }
    ));
}

fn plan_at(offset: i64, records: Bytes) -> Plan {
    plan(&ctx(true), offset, records, &[]).unwrap()
}

#[test]
fn a_truncated_tail_is_fetched_again() {
    let records = concat(&[batch(0, 3, |_| {}), batch(3, 3, |_| {})]);
    let cut = records.slice(..records.len() - 10);
    let plan = plan_at(0, cut);
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(plan.next_offset, 3);
}

#[test]
fn oversized_batches_are_split_to_fit_the_target() {
    let big = batch(0, 40, |b| b.compression = Compression::None);
    let ctx = TransformContext {
        read_committed: true,
        max_batch_bytes: 400,
    };
    let plan = plan(&ctx, 0, big, &[]).unwrap();
    let Step::Produce { batches, path, .. } = &plan.steps[0] else {
        panic!()
    };
    assert!(matches!(
        path,
        Path::ReEncoded(Reason::Classified(ReEncodeReason::TooLarge { .. }))
    ));
    assert!(batches.len() > 1);
    assert!(batches.iter().all(|b| b.as_bytes().len() <= 400));
    assert_eq!(produced_values(&plan).len(), 40);
}

#[test]
fn log_append_time_becomes_create_time_with_the_visible_timestamp() {
    let lat = batch(0, 3, |b| {
        b.timestamp_type = TimestampType::LogAppendTime;
        b.log_append_time = Some(T0 + 999);
    });
    let plan = plan_at(0, lat);
    let Step::Produce { batches, .. } = &plan.steps[0] else {
        panic!()
    };
    assert_eq!(batches[0].timestamp_type(), TimestampType::CreateTime);
    let ts: Vec<i64> = decode_records(&batches[0])
        .unwrap()
        .iter()
        .map(|r| r.timestamp)
        .collect();
    assert_eq!(ts, vec![T0 + 999; 3]);
}
