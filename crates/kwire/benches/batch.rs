//! Forward-path throughput: split a Fetch-sized blob of LZ4 batches, view each header and
//! append it rewritten (new producer id, sequence and base offset, CRC32C recomputed),
//! next to the decode → re-encode fallback for comparison.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kwire::batch::{
    Batch, BatchBuilder, Compression, Header, HeaderRewrite, Record, append_rewritten, split,
};

const BATCHES: usize = 64;
const RECORDS_PER_BATCH: usize = 32;
const RECORD_BYTES: usize = 1024;

/// Deterministic xorshift so the data is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A JSON-ish event: repetitive field names and enum-like values around a random token,
/// so LZ4 gets a ratio roughly like real application payloads.
fn value(rng: &mut Rng, i: usize) -> Bytes {
    let mut v = format!(
        r#"{{"event_id":{i},"type":"order_{}","customer":"cust-{:08}","status":"CONFIRMED","items":["#,
        rng.next() % 5,
        rng.next() % 100_000
    );
    while v.len() < RECORD_BYTES - 300 {
        v.push_str(&format!(
            r#"{{"sku":"SKU-{:06}","qty":{}}},"#,
            rng.next() % 5000,
            rng.next() % 9
        ));
    }
    v.push_str(r#"],"token":""#);
    while v.len() < RECORD_BYTES - 2 {
        v.push(char::from(b'a' + (rng.next() % 26) as u8));
    }
    v.push_str("\"}");
    Bytes::from(v)
}

fn fetch_blob() -> Bytes {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = BytesMut::new();
    for b in 0..BATCHES {
        let records: Vec<Record> = (0..RECORDS_PER_BATCH)
            .map(|i| Record {
                timestamp: 1_700_000_000_000 + (b * RECORDS_PER_BATCH + i) as i64,
                key: Some(Bytes::from(format!("key-{}", rng.next() % 1000))),
                value: Some(value(&mut rng, i)),
                headers: vec![Header {
                    key: Bytes::from_static(b"trace"),
                    value: Some(Bytes::from(format!("{:016x}", rng.next()))),
                }],
                ..Default::default()
            })
            .collect();
        let builder = BatchBuilder {
            base_offset: (b * RECORDS_PER_BATCH) as i64,
            compression: Compression::Lz4,
            producer_id: 1234,
            producer_epoch: 3,
            base_sequence: (b * RECORDS_PER_BATCH) as i32,
            ..Default::default()
        };
        builder.encode(&records, &mut out).expect("encode");
    }
    out.freeze()
}

fn forward(blob: &Bytes, out: &mut BytesMut) {
    out.clear();
    let mut next = 10_000_000i64;
    for item in split(blob.clone()) {
        if let Ok(Batch::V2(v)) = item {
            let rw = HeaderRewrite {
                base_offset: Some(next),
                producer_id: Some(98_765),
                producer_epoch: Some(0),
                base_sequence: Some(next as i32),
                ..Default::default()
            };
            append_rewritten(out, &v, &rw);
            next += i64::from(v.last_offset_delta()) + 1;
        }
    }
}

fn fallback(blob: &Bytes, out: &mut BytesMut) {
    out.clear();
    for item in split(blob.clone()) {
        if let Ok(Batch::V2(v)) = item {
            let records = v.records().expect("decode");
            let builder = BatchBuilder {
                compression: Compression::Lz4,
                ..Default::default()
            };
            builder.encode(&records, out).expect("encode");
        }
    }
}

fn bench(c: &mut Criterion) {
    let blob = fetch_blob();
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Bytes(blob.len() as u64));
    let mut out = BytesMut::with_capacity(blob.len() * 2);
    group.bench_function(
        format!("forward_rewrite_{}KiB_lz4", blob.len() / 1024),
        |b| {
            b.iter(|| {
                forward(black_box(&blob), &mut out);
                black_box(out.len())
            })
        },
    );
    group.bench_function("split_only", |b| {
        b.iter(|| split(black_box(blob.clone())).count())
    });
    group.bench_function("fallback_decode_reencode_lz4", |b| {
        b.iter(|| {
            fallback(black_box(&blob), &mut out);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
