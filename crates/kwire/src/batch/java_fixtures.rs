//! Batches written by Apache Kafka 4.3.1's own `MemoryRecordsBuilder` (see
//! `fixtures/GenFixtures.java`), decoded here field by field; the Java-side
//! check of our own batches is the integration test `tests/batch_java_interop.rs`.

use bytes::Bytes;

use super::*;

const T0: i64 = 1_700_000_000_000;

fn unhex(s: &str) -> Bytes {
    let s = s.trim();
    let digit = |c: u8| (c as char).to_digit(16).expect("hex digit") as u8;
    s.as_bytes()
        .chunks(2)
        .map(|p| digit(p[0]) << 4 | digit(p[1]))
        .collect::<Vec<u8>>()
        .into()
}

fn fixture(name: &str) -> Bytes {
    let text = match name {
        "v2_none" => include_str!("fixtures/v2_none.hex"),
        "v2_gzip" => include_str!("fixtures/v2_gzip.hex"),
        "v2_snappy" => include_str!("fixtures/v2_snappy.hex"),
        "v2_lz4" => include_str!("fixtures/v2_lz4.hex"),
        "v2_zstd" => include_str!("fixtures/v2_zstd.hex"),
        "v2_log_append_time" => include_str!("fixtures/v2_log_append_time.hex"),
        "v2_transactional" => include_str!("fixtures/v2_transactional.hex"),
        "v2_commit_marker" => include_str!("fixtures/v2_commit_marker.hex"),
        "v0_none" => include_str!("fixtures/v0_none.hex"),
        "v0_gzip" => include_str!("fixtures/v0_gzip.hex"),
        "v0_snappy" => include_str!("fixtures/v0_snappy.hex"),
        "v0_lz4" => include_str!("fixtures/v0_lz4.hex"),
        "v1_none" => include_str!("fixtures/v1_none.hex"),
        "v1_gzip" => include_str!("fixtures/v1_gzip.hex"),
        "v1_snappy" => include_str!("fixtures/v1_snappy.hex"),
        "v1_lz4" => include_str!("fixtures/v1_lz4.hex"),
        other => panic!("no fixture {other}"),
    };
    unhex(text)
}

fn b(s: &[u8]) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s))
}

/// The four records `GenFixtures.records()` writes, at base offset 1000.
fn java_records(with_headers: bool) -> Vec<Record> {
    let big: Vec<u8> = (0..2000).map(|i| b'a' + (i % 7) as u8).collect();
    let h = |k: &str, v: Option<&[u8]>| Header {
        key: Bytes::copy_from_slice(k.as_bytes()),
        value: v.map(Bytes::copy_from_slice),
    };
    let headers = |hs: Vec<Header>| if with_headers { hs } else { Vec::new() };
    vec![
        Record {
            offset: 1000,
            timestamp: T0,
            key: b(b"k0"),
            value: b(b"v0"),
            headers: headers(vec![
                h("h", Some(b"1")),
                h("h", Some(b"2")),
                h("ключ", None),
            ]),
        },
        Record {
            offset: 1001,
            timestamp: T0 + 3_000_000_000,
            key: None,
            value: b(b""),
            headers: vec![],
        },
        Record {
            offset: 1002,
            timestamp: T0 - 5,
            key: b(b""),
            value: None,
            headers: headers(vec![h("", Some(b""))]),
        },
        Record {
            offset: 1003,
            timestamp: T0 + 1,
            key: b(b"big"),
            value: Some(big.into()),
            headers: vec![],
        },
    ]
}

fn only_batch(name: &str) -> BatchView {
    let mut s = split(fixture(name));
    let Some(Ok(Batch::V2(v))) = s.next() else {
        panic!("{name}: no v2 batch")
    };
    assert!(s.next().is_none(), "{name}: more than one batch");
    assert_eq!(s.truncated_tail(), 0);
    v
}

#[test]
fn java_v2_batches_decode_in_every_codec() {
    let codecs = [
        ("v2_none", Compression::None),
        ("v2_gzip", Compression::Gzip),
        ("v2_snappy", Compression::Snappy),
        ("v2_lz4", Compression::Lz4),
        ("v2_zstd", Compression::Zstd),
    ];
    for (name, codec) in codecs {
        let v = only_batch(name);
        v.verify_crc().expect(name);
        assert_eq!(v.crc(), crc32c::crc32c(&v.as_bytes()[21..]), "{name}");
        assert_eq!(v.compression(), codec);
        assert_eq!(
            (v.base_offset(), v.last_offset_delta(), v.records_count()),
            (1000, 3, 4)
        );
        assert_eq!(
            (v.producer_id(), v.producer_epoch(), v.base_sequence()),
            (4242, 7, 100)
        );
        assert_eq!(v.partition_leader_epoch(), 9);
        assert_eq!(
            (v.base_timestamp(), v.max_timestamp()),
            (T0, T0 + 3_000_000_000)
        );
        assert_eq!(v.timestamp_type(), TimestampType::CreateTime);
        assert!(!v.is_transactional() && !v.is_control() && !v.has_delete_horizon());
        assert_eq!(v.records().expect(name), java_records(true), "{name}");
        assert_eq!(
            classify(&v, &ClassifyContext::default()),
            Disposition::Forward
        );
    }
}

#[test]
fn java_uncompressed_batch_is_byte_identical_to_ours() {
    let java = fixture("v2_none");
    // Known-answer CRC32C of Java's batch, computed by Kafka itself.
    assert_eq!(only_batch("v2_none").crc(), 0x916e_449d);
    let ours = BatchBuilder {
        base_offset: 1000,
        partition_leader_epoch: 9,
        producer_id: 4242,
        producer_epoch: 7,
        base_sequence: 100,
        ..Default::default()
    }
    .build(&java_records(true))
    .expect("encode");
    assert_eq!(ours, java);
}

#[test]
fn our_log_append_time_and_marker_batches_match_java_bytes() {
    let java_like = BatchBuilder {
        partition_leader_epoch: 9,
        producer_id: 4242,
        producer_epoch: 7,
        ..Default::default()
    };
    let lat = BatchBuilder {
        base_offset: 1000,
        base_sequence: 100,
        timestamp_type: TimestampType::LogAppendTime,
        log_append_time: Some(T0 + 99),
        ..java_like.clone()
    };
    let ours = lat.build(&java_records(true)).expect("encode");
    assert_eq!(ours, fixture("v2_log_append_time"));

    let marker = BatchBuilder {
        base_offset: 2000,
        transactional: true,
        control: true,
        ..java_like
    };
    let commit = Record {
        offset: 2000,
        timestamp: T0,
        key: b(&[0, 0, 0, 1]),
        value: b(&[0, 0, 0, 0, 0, 5]),
        headers: vec![],
    };
    assert_eq!(
        marker.build(&[commit]).expect("encode"),
        fixture("v2_commit_marker")
    );
}

#[test]
fn java_log_append_time_batch_reads_max_timestamp() {
    let v = only_batch("v2_log_append_time");
    v.verify_crc().expect("crc");
    assert_eq!(v.timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(v.max_timestamp(), T0 + 99);
    let recs = v.records().expect("decode");
    assert!(recs.iter().all(|r| r.timestamp == T0 + 99));
    assert_eq!(
        classify(&v, &ClassifyContext::default()),
        Disposition::ReEncode(ReEncodeReason::LogAppendTime)
    );
}

#[test]
fn java_transactional_batch_and_commit_marker() {
    let v = only_batch("v2_transactional");
    v.verify_crc().expect("crc");
    assert!(v.is_transactional() && !v.is_control());
    let ctx = ClassifyContext::default();
    assert_eq!(
        classify(&v, &ctx),
        Disposition::ReEncode(ReEncodeReason::Transactional)
    );
    let allowed = ClassifyContext {
        allow_transactional: true,
        ..ctx
    };
    assert_eq!(classify(&v, &allowed), Disposition::Forward);

    let m = only_batch("v2_commit_marker");
    m.verify_crc().expect("crc");
    assert!(m.is_control() && m.is_transactional());
    assert_eq!(m.base_sequence(), -1);
    let recs = m.records().expect("decode");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].control_type(), Some(ControlType::Commit));
    assert_eq!(
        classify(&m, &allowed),
        Disposition::ReEncode(ReEncodeReason::Control)
    );
}

#[test]
fn java_legacy_message_sets_decode() {
    for name in [
        "v0_none",
        "v0_gzip",
        "v0_snappy",
        "v0_lz4",
        "v1_none",
        "v1_gzip",
        "v1_snappy",
        "v1_lz4",
    ] {
        let mut s = split(fixture(name));
        let mut recs = Vec::new();
        for item in s.by_ref() {
            let Ok(Batch::Legacy(m)) = item else {
                panic!("{name}: {item:?}")
            };
            m.verify_crc().expect(name);
            assert_eq!(
                classify_batch(&Batch::Legacy(m.clone()), &Default::default()),
                Disposition::ReEncode(ReEncodeReason::LegacyMagic)
            );
            recs.extend(m.records().expect(name));
        }
        assert_eq!(s.truncated_tail(), 0);
        let mut want = java_records(false);
        if name.starts_with("v0") {
            want.iter_mut().for_each(|r| r.timestamp = -1);
        }
        assert_eq!(recs, want, "{name}");
    }
}

#[test]
fn java_legacy_wrapper_offset_is_last_inner_offset() {
    let mut s = split(fixture("v1_gzip"));
    let Some(Ok(Batch::Legacy(m))) = s.next() else {
        panic!("no wrapper")
    };
    assert_eq!(
        (m.offset(), m.magic(), m.compression().ok()),
        (1003, 1, Some(Compression::Gzip))
    );
    assert!(s.next().is_none());
}
