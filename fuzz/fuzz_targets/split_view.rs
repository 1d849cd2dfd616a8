//! Fuzzes the Fetch records splitter (Kafka protocol guide, "Record Batch" and "Message
//! Sets") with every header accessor, the record decoders, classification and rewrite.
#![no_main]

use bytes::{Bytes, BytesMut};
use kwire::batch::{
    Batch, BatchView, ClassifyContext, HeaderRewrite, LegacyMessage, append_rewritten,
    classify_batch, decode_legacy_with_limit, decode_records_with_limit, rewrite_in_place, split,
};
use libfuzzer_sys::fuzz_target;

/// Keeps zip bombs from turning into out-of-memory reports.
const MAX_INFLATE: usize = 1 << 20;

fn v2(v: &BatchView) {
    let header = (
        (
            v.base_offset(),
            v.batch_length(),
            v.partition_leader_epoch(),
            v.magic(),
            v.crc(),
        ),
        (
            v.attributes(),
            v.compression(),
            v.timestamp_type(),
            v.is_transactional(),
        ),
        (
            v.is_control(),
            v.has_delete_horizon(),
            v.delete_horizon_ms(),
        ),
        (
            v.last_offset_delta(),
            v.base_timestamp(),
            v.max_timestamp(),
            v.producer_id(),
        ),
        (v.producer_epoch(), v.base_sequence(), v.records_count()),
        (
            v.last_offset(),
            v.next_offset(),
            v.size_in_bytes(),
            v.records_payload().len(),
        ),
    );
    std::hint::black_box(header);
    let _ = v.verify_crc();
    let _ = decode_records_with_limit(v, MAX_INFLATE);

    let rw = HeaderRewrite {
        base_offset: Some(1),
        producer_id: Some(2),
        transactional: Some(false),
        ..Default::default()
    };
    let mut out = BytesMut::new();
    append_rewritten(&mut out, v, &rw);
    let mut in_place = v.as_bytes().to_vec();
    let ok = rewrite_in_place(&mut in_place, &rw).is_ok();
    assert!(ok && in_place[..] == out[..], "rewrite paths disagree");
    assert!(BatchView::new(out.freeze()).is_ok_and(|w| w.verify_crc().is_ok()));
}

fn legacy(m: &LegacyMessage) {
    std::hint::black_box((
        m.offset(),
        m.magic(),
        m.attributes(),
        m.timestamp(),
        m.crc(),
    ));
    let _ = (m.compression(), m.timestamp_type(), m.verify_crc());
    let _ = decode_legacy_with_limit(m, MAX_INFLATE);
}

fuzz_target!(|data: &[u8]| {
    let blob = Bytes::copy_from_slice(data);
    let mut splitter = split(blob.clone());
    let mut end = 0;
    for item in splitter.by_ref() {
        let Ok(batch) = item else { return };
        end += batch.as_bytes().len();
        let _ = classify_batch(&batch, &ClassifyContext::default());
        match &batch {
            Batch::V2(v) => v2(v),
            Batch::Legacy(m) => legacy(m),
        }
    }
    assert_eq!(
        end + splitter.truncated_tail(),
        blob.len(),
        "bytes unaccounted for"
    );
});
