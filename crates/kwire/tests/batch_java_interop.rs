//! Kafka's own Java record code (4.x jars from the harness) reads the batches kwire writes, in
//! every codec, before and after a header rewrite, and sees exactly the records kwire sees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::{Bytes, BytesMut};
use kwire::batch::{
    BatchBuilder, BatchView, Compression, Header, HeaderRewrite, Record, append_rewritten,
    decode_records,
};
use strait_harness::Harness;

use common::{java_classpath, javac};

fn records() -> Vec<Record> {
    let header = |k: &str, v: Option<&[u8]>| Header {
        key: Bytes::copy_from_slice(k.as_bytes()),
        value: v.map(Bytes::copy_from_slice),
    };
    let big: Vec<u8> = (0..50_000u32)
        .map(|i| b"kafka mirror "[i as usize % 13])
        .collect();
    vec![
        Record {
            offset: 0,
            timestamp: 1_700_000_000_000,
            key: Some(Bytes::from_static(b"k0")),
            value: Some(Bytes::from_static(b"v0")),
            headers: vec![
                header("h", Some(b"1")),
                header("h", Some(b"2")),
                header("x", None),
            ],
        },
        Record {
            offset: 1,
            timestamp: 1_700_000_000_000 + 3_000_000_000,
            key: None,
            value: None,
            headers: vec![],
        },
        Record {
            offset: 2,
            timestamp: 1_600_000_000_000,
            key: Some(Bytes::new()),
            value: Some(Bytes::from(big)),
            headers: vec![header("\u{1F980}", Some(&[0, 255, 1]))],
        },
    ]
}

fn hex(b: &Option<Bytes>) -> String {
    match b {
        None => "null".into(),
        Some(b) => b.iter().fold(String::new(), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        }),
    }
}

/// The record lines `GenFixtures check` prints, computed from kwire's own decoding.
fn expected_lines(batch: &BatchView) -> Vec<String> {
    decode_records(batch)
        .unwrap()
        .iter()
        .map(|r| {
            let headers: Vec<String> = r
                .headers
                .iter()
                .map(|h| format!("{}={}", hex(&Some(h.key.clone())), hex(&h.value)))
                .collect();
            format!(
                "rec off={} ts={} key={} value={} headers=[{}]",
                r.offset,
                r.timestamp,
                hex(&r.key),
                hex(&r.value),
                headers.join(" ")
            )
        })
        .collect()
}

fn compile_checker(h: &Harness, out: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/batch/fixtures/GenFixtures.java");
    let classes = out.join("classes");
    javac(h, &src, &classes);
    classes
}

fn java_check(h: &Harness, classes: &Path, file: &Path) -> String {
    let out = Command::new("java")
        .arg("-cp")
        .arg(java_classpath(h, classes))
        .args(["GenFixtures", "check"])
        .arg(file)
        .output()
        .expect("java");
    assert!(
        out.status.success(),
        "Java rejected {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn java_reads_every_codec_before_and_after_rewrite() {
    let h = Harness::get();
    let dir = h.dir().join(strait_harness::unique_topic("batch-interop"));
    std::fs::create_dir_all(&dir).unwrap();
    let classes = compile_checker(&h, &dir);
    let codecs = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
    for codec in codecs {
        let builder = BatchBuilder {
            compression: codec,
            base_offset: 1000,
            producer_id: 4242,
            ..Default::default()
        };
        let original = BatchView::new(builder.build(&records()).unwrap()).unwrap();
        let rw = HeaderRewrite {
            base_offset: Some(5000),
            producer_id: Some(7),
            producer_epoch: Some(1),
            base_sequence: Some(12),
            partition_leader_epoch: Some(3),
            ..Default::default()
        };
        let mut out = BytesMut::new();
        append_rewritten(&mut out, &original, &rw);
        let rewritten = BatchView::new(out.freeze()).unwrap();
        for (name, batch) in [("plain", &original), ("rewritten", &rewritten)] {
            let file = dir.join(format!("{codec}-{name}.hex"));
            let text: String = batch
                .as_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            std::fs::write(&file, text).unwrap();
            let stdout = java_check(&h, &classes, &file);
            let java_records: Vec<String> = stdout
                .lines()
                .filter(|l| l.starts_with("  rec"))
                .map(|l| l.trim().to_owned())
                .collect();
            assert_eq!(java_records, expected_lines(batch), "{codec} {name}");
            let batch_line = stdout.lines().next().unwrap_or_default();
            for field in [
                format!("base={}", batch.base_offset()),
                format!("pid={}", batch.producer_id()),
                format!("seq={}", batch.base_sequence()),
                format!("codec={}", codec.to_string().to_lowercase()),
            ] {
                assert!(batch_line.contains(&field), "{field} not in {batch_line}");
            }
        }
    }
}
