//! Property tests of the v2 batch layer (Kafka protocol guide, "Record Batch"): encode →
//! split → view → decode round trips, header rewrite invariants, and splitter robustness on
//! arbitrary and truncated input.

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;

use super::*;

const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

fn bytes_of(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn nullable(max: usize) -> impl Strategy<Value = Option<Bytes>> {
    prop_oneof![1 => Just(None), 1 => Just(Some(Bytes::new())), 4 => bytes_of(max).prop_map(Some)]
}

/// Header keys drawn partly from a tiny pool so duplicates are common; the rest are
/// arbitrary bytes, usually not UTF-8.
fn header() -> impl Strategy<Value = Header> {
    let key = prop_oneof![
        Just(Bytes::from_static(b"h")),
        Just(Bytes::from_static(b"\xff\xfe")),
        bytes_of(12),
    ];
    (key, nullable(16)).prop_map(|(key, value)| Header { key, value })
}

/// Timestamps far apart (beyond i32 milliseconds) as well as extreme values.
fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 1_600_000_000_000i64..1_800_000_000_000,
        2 => -1i64..=(1i64 << 40),
        1 => any::<i64>(),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (
        timestamp(),
        nullable(64),
        prop_oneof![3 => nullable(200), 1 => bytes_of(3000).prop_map(Some)],
        vec(header(), 0..5),
    )
        .prop_map(|(timestamp, key, value, headers)| Record {
            offset: 0,
            timestamp,
            key,
            value,
            headers,
        })
}

/// Records plus increasing offsets with occasional gaps (compaction-like).
fn records_with_offsets(base: i64) -> impl Strategy<Value = Vec<Record>> {
    (
        vec(record(), 1..12),
        vec(prop_oneof![6 => Just(1i64), 1 => 2i64..1000], 12),
    )
        .prop_map(move |(mut recs, gaps)| {
            let mut off = base + gaps[0] - 1;
            for (r, g) in recs.iter_mut().zip(gaps.iter().skip(1).chain([&1])) {
                r.offset = off;
                off += g;
            }
            recs
        })
}

fn builder() -> impl Strategy<Value = BatchBuilder> {
    (
        (0i64..i64::MAX / 2, any::<i32>(), 0usize..5, any::<bool>()),
        (
            any::<i64>(),
            any::<i16>(),
            any::<i32>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (any::<bool>(), proptest::option::of(timestamp())),
    )
        .prop_map(
            |((base, ple, codec, lat), (pid, epoch, seq, txn, ctl), (gaps, lat_ts))| BatchBuilder {
                base_offset: base,
                partition_leader_epoch: ple,
                compression: CODECS[codec],
                timestamp_type: if lat {
                    TimestampType::LogAppendTime
                } else {
                    TimestampType::CreateTime
                },
                log_append_time: lat_ts,
                producer_id: pid,
                producer_epoch: epoch,
                base_sequence: seq,
                transactional: txn,
                control: ctl,
                offsets: if gaps {
                    OffsetAssignment::FromRecords
                } else {
                    OffsetAssignment::Dense
                },
            },
        )
}

fn batch_case() -> impl Strategy<Value = (BatchBuilder, Vec<Record>)> {
    builder().prop_flat_map(|b| {
        let base = b.base_offset;
        (Just(b), records_with_offsets(base))
    })
}

/// The records a decoder must return for what `b` encoded.
fn expected(b: &BatchBuilder, recs: &[Record]) -> Vec<Record> {
    let max = recs.iter().map(|r| r.timestamp).max().unwrap_or(-1);
    recs.iter()
        .enumerate()
        .map(|(i, r)| Record {
            offset: match b.offsets {
                OffsetAssignment::Dense => b.base_offset + i as i64,
                OffsetAssignment::FromRecords => r.offset,
            },
            timestamp: match b.timestamp_type {
                TimestampType::LogAppendTime => b.log_append_time.unwrap_or(max),
                TimestampType::CreateTime => r.timestamp,
            },
            ..r.clone()
        })
        .collect()
}

fn check_header(v: &BatchView, b: &BatchBuilder, recs: &[Record]) -> Result<(), TestCaseError> {
    let exp = expected(b, recs);
    prop_assert_eq!(v.base_offset(), b.base_offset);
    prop_assert_eq!(v.partition_leader_epoch(), b.partition_leader_epoch);
    prop_assert_eq!(v.magic(), 2);
    prop_assert_eq!(v.compression(), b.compression);
    prop_assert_eq!(v.timestamp_type(), b.timestamp_type);
    prop_assert_eq!(v.is_transactional(), b.transactional);
    prop_assert_eq!(v.is_control(), b.control);
    prop_assert!(!v.has_delete_horizon());
    prop_assert_eq!(v.producer_id(), b.producer_id);
    prop_assert_eq!(v.producer_epoch(), b.producer_epoch);
    prop_assert_eq!(v.base_sequence(), b.base_sequence);
    prop_assert_eq!(v.records_count() as usize, recs.len());
    prop_assert_eq!(v.base_timestamp(), recs[0].timestamp);
    prop_assert_eq!(v.last_offset(), exp[exp.len() - 1].offset);
    prop_assert_eq!(v.next_offset(), v.last_offset() + 1);
    prop_assert_eq!(v.batch_length() as usize + LOG_OVERHEAD, v.size_in_bytes());
    prop_assert_eq!(v.crc(), crc32c::crc32c(&v.as_bytes()[21..]));
    prop_assert!(v.verify_crc().is_ok());
    Ok(())
}

fn encode_all(cases: &[(BatchBuilder, Vec<Record>)]) -> (Bytes, Vec<usize>) {
    let mut out = BytesMut::new();
    let mut ends = Vec::new();
    for (b, recs) in cases {
        b.encode(recs, &mut out).expect("encode");
        ends.push(out.len());
    }
    (out.freeze(), ends)
}

fn view_of(b: &BatchBuilder, recs: &[Record]) -> BatchView {
    BatchView::new(b.build(recs).expect("encode")).expect("view")
}

fn any_rewrite() -> impl Strategy<Value = HeaderRewrite> {
    use proptest::option::of;
    (
        of(any::<i64>()),
        of(any::<i32>()),
        of(any::<i64>()),
        of(any::<i16>()),
        of(any::<i32>()),
        of(any::<bool>()),
    )
        .prop_map(
            |(
                base_offset,
                partition_leader_epoch,
                producer_id,
                producer_epoch,
                base_sequence,
                transactional,
            )| {
                HeaderRewrite {
                    base_offset,
                    partition_leader_epoch,
                    producer_id,
                    producer_epoch,
                    base_sequence,
                    transactional,
                }
            },
        )
}

/// Touches every accessor and decoder so the fuzz-like tests reach them all.
fn exercise(item: &Batch) {
    match item {
        Batch::V2(v) => {
            let _ = (
                v.base_offset(),
                v.batch_length(),
                v.partition_leader_epoch(),
                v.magic(),
            );
            let _ = (v.crc(), v.attributes(), v.compression(), v.timestamp_type());
            let _ = (v.is_transactional(), v.is_control(), v.has_delete_horizon());
            let _ = (
                v.delete_horizon_ms(),
                v.last_offset_delta(),
                v.base_timestamp(),
            );
            let _ = (
                v.max_timestamp(),
                v.producer_id(),
                v.producer_epoch(),
                v.base_sequence(),
            );
            let _ = (
                v.records_count(),
                v.records_payload(),
                v.last_offset(),
                v.next_offset(),
            );
            let _ = (v.verify_crc(), classify(v, &ClassifyContext::default()));
            let _ = decode_records_with_limit(v, 1 << 20);
            let mut out = BytesMut::new();
            append_rewritten(&mut out, v, &HeaderRewrite::default());
        }
        Batch::Legacy(m) => {
            let _ = (
                m.offset(),
                m.magic(),
                m.compression(),
                m.timestamp_type(),
                m.timestamp(),
            );
            let _ = decode_legacy_with_limit(m, 1 << 20);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn encode_split_view_decode_round_trips(cases in vec(batch_case(), 1..4)) {
        let (blob, _) = encode_all(&cases);
        let mut splitter = split(blob);
        let items: Vec<_> = splitter.by_ref().collect();
        prop_assert_eq!(splitter.truncated_tail(), 0);
        prop_assert_eq!(items.len(), cases.len());
        for (item, (b, recs)) in items.into_iter().zip(&cases) {
            let Ok(Batch::V2(v)) = item else { return Err(TestCaseError::fail("not a v2 batch")) };
            check_header(&v, b, recs)?;
            prop_assert_eq!(v.records().expect("decode"), expected(b, recs));
        }
    }

    #[test]
    fn rewrite_changes_only_requested_fields((b, recs) in batch_case(), rw in any_rewrite()) {
        let v = view_of(&b, &recs);
        let mut out = BytesMut::from(&b"prefix"[..]);
        append_rewritten(&mut out, &v, &rw);
        prop_assert_eq!(&out[..6], b"prefix");
        let w = BatchView::new(out.freeze().slice(6..)).expect("view");
        prop_assert!(w.verify_crc().is_ok());
        prop_assert_eq!(w.base_offset(), rw.base_offset.unwrap_or(v.base_offset()));
        prop_assert_eq!(w.partition_leader_epoch(), rw.partition_leader_epoch.unwrap_or(v.partition_leader_epoch()));
        prop_assert_eq!(w.producer_id(), rw.producer_id.unwrap_or(v.producer_id()));
        prop_assert_eq!(w.producer_epoch(), rw.producer_epoch.unwrap_or(v.producer_epoch()));
        prop_assert_eq!(w.base_sequence(), rw.base_sequence.unwrap_or(v.base_sequence()));
        prop_assert_eq!(w.is_transactional(), rw.transactional.unwrap_or(v.is_transactional()));
        prop_assert_eq!(w.attributes() & !0x10, v.attributes() & !0x10);
        prop_assert_eq!(w.batch_length(), v.batch_length());
        prop_assert_eq!(w.last_offset_delta(), v.last_offset_delta());
        prop_assert_eq!(w.base_timestamp(), v.base_timestamp());
        prop_assert_eq!(w.max_timestamp(), v.max_timestamp());
        prop_assert_eq!(w.records_count(), v.records_count());
        prop_assert_eq!(w.records_payload(), v.records_payload());

        let mut in_place = v.as_bytes().to_vec();
        rewrite_in_place(&mut in_place, &rw).expect("in place");
        prop_assert_eq!(&in_place[..], &w.as_bytes()[..]);
    }

    #[test]
    fn splitter_never_panics_on_arbitrary_bytes(data in vec(any::<u8>(), 0..600)) {
        for b in split(Bytes::from(data)).flatten() {
            exercise(&b);
        }
    }

    #[test]
    fn splitter_never_panics_on_mutated_batches(
        (b, recs) in batch_case(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut data = b.build(&recs).expect("encode").to_vec();
        for (i, byte) in flips {
            let at = i.index(data.len());
            data[at] = byte;
        }
        for b in split(Bytes::from(data)).flatten() {
            exercise(&b);
        }
    }

    #[test]
    fn truncated_blob_yields_complete_prefix(cases in vec(batch_case(), 1..4), cut in any::<prop::sample::Index>()) {
        let (blob, ends) = encode_all(&cases);
        let cut = cut.index(blob.len() + 1);
        let mut splitter = split(blob.slice(..cut));
        let items: Vec<_> = splitter.by_ref().collect();
        let complete = ends.iter().take_while(|&&e| e <= cut).count();
        prop_assert_eq!(items.len(), complete);
        prop_assert!(items.iter().all(Result::is_ok));
        let consumed = if complete == 0 { 0 } else { ends[complete - 1] };
        prop_assert_eq!(splitter.truncated_tail(), cut - consumed);
        prop_assert_eq!(splitter.position(), consumed);
    }
}

#[test]
fn every_codec_round_trips_a_fixed_batch() {
    let recs: Vec<Record> = (0..50)
        .map(|i| Record {
            offset: 0,
            timestamp: 1_700_000_000_000 + i * (1 << 33),
            key: (i % 3 != 0).then(|| Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(vec![b'x'; 100 + i as usize])),
            headers: vec![
                Header {
                    key: Bytes::from_static(b"dup"),
                    value: None,
                },
                Header {
                    key: Bytes::from_static(b"dup"),
                    value: Some(Bytes::from_static(b"2")),
                },
            ],
        })
        .collect();
    for compression in CODECS {
        let b = BatchBuilder {
            compression,
            base_offset: 77,
            ..Default::default()
        };
        let v = view_of(&b, &recs);
        assert_eq!(v.compression(), compression);
        assert_eq!(
            v.records().expect("decode"),
            expected(&b, &recs),
            "{compression}"
        );
    }
}

#[test]
fn encoder_rejects_bad_offsets_and_leaves_buffer_alone() {
    let rec = |offset| Record {
        offset,
        ..Default::default()
    };
    let b = BatchBuilder {
        base_offset: 10,
        offsets: OffsetAssignment::FromRecords,
        ..Default::default()
    };
    let mut out = BytesMut::from(&b"keep"[..]);
    for bad in [
        vec![rec(9)],
        vec![rec(10), rec(10)],
        vec![rec(10 + (1 << 31))],
        vec![],
    ] {
        assert!(matches!(
            b.encode(&bad, &mut out),
            Err(BatchError::Encode(_))
        ));
        assert_eq!(&out[..], b"keep");
    }
}
