//! Offset translation on logs that are not a plain dense append: a compacted topic (offset
//! gaps, empty batches) and transactions (markers, aborted data) translate every position
//! exactly once replicated; an open transaction, which holds replication back, never lets a
//! translation point past what has reached the target. Transactions are written by Kafka's own
//! Java producer (`tests/java/*.java`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::java::{OpenTxn, compile_in_background, run_java};
use common::kafka::{
    clusters, create_topic, eventually, now_ms, numbered, produce, record, send_coded, stable_ends,
};
use common::log::{Log, read_log, wait_compacted};
use common::offsets::{Names, commit, committed, exact_target, index_from_topic, start_mirror};
use kwire::batch::{Compression, Record};
use kwire::client::{Client, TopicPartition};
use mirror::checkpoint::CheckpointStore;
use mirror::offsets::index::Translation;

/// Records of rounds a second apart (each round rolls a segment), keys repeating across
/// rounds, so the cleaner leaves gaps and empty batches.
async fn produce_compactable(source: &Client, topic: &str) {
    let base = now_ms() - 600_000;
    let mut batches = Vec::new();
    for round in 0..6_i64 {
        for batch in 0..3_i64 {
            let records: Vec<Record> = (0..20_i64)
                .map(|i| {
                    let n = batch * 20 + i;
                    let key = if batch == 2 {
                        format!("hot-{}", i % 5)
                    } else {
                        format!("key-{}", (round * 37 + n * 11) % 90)
                    };
                    let value = format!("round {round} batch {batch} record {i}");
                    record(base + round * 1_000 + n, Some(&key), Some(&value), &[])
                })
                .collect();
            let codec = if round % 2 == 0 {
                Compression::Lz4
            } else {
                Compression::None
            };
            batches.push((0, codec, records));
        }
    }
    send_coded(source, topic, batches).await;
}

async fn wait_no_open_transaction(source: &Client, topic: &str, partitions: i32) {
    eventually("no open transaction", 60, || {
        stable_ends(source, topic, partitions)
    })
    .await;
}

/// A consumer's view of a transactional partition: aborted records (TxnProducer's `a*`
/// steps, OpenTxn's record once aborted) left out.
async fn committed_log(client: &Client, topic: &str, partition: i32) -> Log {
    let mut log = read_log(client, topic, partition).await;
    log.records.retain(|r| {
        let v = r.value.as_deref().unwrap_or_default();
        !(v.starts_with(b"a1-") || v.starts_with(b"a2-") || v == b"open-txn")
    });
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compacted_and_transactional_topics_translate_every_position_exactly() {
    let (h, source, target) = clusters().await;
    let classes = compile_in_background(&h, "tests/java/TxnProducer.java");
    let names = Names::new("ckpt-edge");
    let (compacted, txn) = (
        format!("{}-compacted", names.prefix),
        format!("{}-txn", names.prefix),
    );
    let configs = [
        ("cleanup.policy", "compact"),
        ("segment.ms", "100"),
        ("min.cleanable.dirty.ratio", "0.001"),
        ("delete.retention.ms", "0"),
    ];
    create_topic(&source, &compacted, 1, &configs).await;
    produce_compactable(&source, &compacted).await;
    create_topic(&source, &txn, 2, &[]).await;
    let classes = classes.await.unwrap();
    let out = run_java(
        &h,
        &classes,
        "TxnProducer",
        &[h.a(), &txn, &format!("strait-{txn}")],
    )
    .stdout;
    assert!(out.contains("DONE"), "{out}");
    wait_no_open_transaction(&source, &txn, 2).await;
    let compacted_log = wait_compacted(&source, &compacted, 1).await.remove(0);

    // Groups inside gaps: the first offsets of the compacted log that hold no record, an
    // aborted transaction's first record and a commit marker of the transactional one.
    let g = |name: &str| format!("{}-{name}", names.groups);
    let hole = (0..compacted_log.end)
        .find(|o| compacted_log.records.iter().all(|r| r.offset != *o))
        .unwrap();
    commit(&source, &g("hole"), &compacted, 0, hole).await;
    let txn_log = read_log(&source, &txn, 0).await;
    let aborted_at = txn_log
        .records
        .iter()
        .find(|r| r.value.as_deref() == Some(b"a1-0-p0"))
        .unwrap()
        .offset;
    commit(&source, &g("aborted"), &txn, 0, aborted_at).await;
    let after_c1 = txn_log
        .records
        .iter()
        .find(|r| r.value.as_deref() == Some(b"c1-3-p0"))
        .unwrap()
        .offset
        + 1;
    commit(&source, &g("marker"), &txn, 0, after_c1).await;
    let p1_end = read_log(&source, &txn, 1).await.end;
    commit(&source, &g("end"), &txn, 1, p1_end).await;

    let mirror = start_mirror(&h, &names).await;
    let expect = [
        (&compacted, 0, hole, "hole"),
        (&txn, 0, aborted_at, "aborted"),
        (&txn, 0, after_c1, "marker"),
    ];
    eventually("groups at gaps translated on B", 120, || async {
        let mut pending = Vec::new();
        for (topic, p, position, group) in &expect {
            let (s, t) = (
                committed_log(&source, topic, *p).await,
                read_log(&target, &format!("A.{topic}"), *p).await,
            );
            let want = exact_target(&s, &t, *position);
            let got = committed(&target, &g(group), &format!("A.{topic}"), *p).await;
            if want.is_none() || got != want {
                pending.push(format!("{group}: want {want:?}, got {got:?}"));
            }
        }
        let end = committed(&target, &g("end"), &format!("A.{txn}"), 1).await;
        let target_end = read_log(&target, &format!("A.{txn}"), 1).await.end;
        if end != Some(target_end) || target_end == 0 {
            pending.push(format!("end: want {target_end}, got {end:?}"));
        }
        if pending.is_empty() {
            Ok(())
        } else {
            Err(pending.join("; "))
        }
    })
    .await;
    mirror.stop().await;

    // Every position of every partition, from the offset-syncs topic alone.
    let index = index_from_topic(&source, &names.syncs_topic).await;
    for (topic, p) in [(&compacted, 0), (&txn, 0), (&txn, 1)] {
        let s = committed_log(&source, topic, p).await;
        let t = read_log(&target, &format!("A.{topic}"), p).await;
        let tp = TopicPartition::new(topic.clone(), p);
        for x in 0..=s.end {
            let want = exact_target(&s, &t, x).expect("replicated");
            assert_eq!(
                index.translate(&tp, x),
                Translation::Exact(want),
                "{tp} at {x}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_transaction_never_lets_a_translation_point_past_replicated_data() {
    let (h, source, target) = clusters().await;
    let classes = compile_in_background(&h, "tests/java/OpenTxn.java");
    let names = Names::new("ckpt-open");
    let topic = format!("{}-t", names.prefix);
    let remote = format!("A.{topic}");
    let tp = TopicPartition::new(topic.clone(), 0);
    create_topic(&source, &topic, 1, &[]).await;
    produce(&source, &topic, 0, &numbered("before", 0, 10), 4).await;
    let classes = classes.await.unwrap();
    let open = OpenTxn::begin(&h, &classes, &topic, 0);
    produce(&source, &topic, 0, &numbered("after", 0, 10), 4).await;
    let g = |name: &str| format!("{}-{name}", names.groups);
    commit(&source, &g("before"), &topic, 0, 5).await;
    commit(&source, &g("after"), &topic, 0, 15).await;

    let mirror = start_mirror(&h, &names).await;
    eventually("records before the transaction on B", 60, || async {
        let got = committed(&target, &g("before"), &remote, 0).await;
        if got == Some(5) {
            Ok(())
        } else {
            Err(format!("{got:?}"))
        }
    })
    .await;
    // Several checkpoint rounds while the transaction holds replication at offset 10.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let target_end = read_log(&target, &remote, 0).await.end;
    assert_eq!(
        target_end, 10,
        "read_committed stops at the open transaction"
    );
    let index = index_from_topic(&source, &names.syncs_topic).await;
    for x in 0..=21 {
        match index.translate(&tp, x) {
            Translation::Exact(d) => assert!(x <= 10 && d == x, "{x} → exact {d}"),
            Translation::Conservative(d) => assert!(d <= target_end, "{x} → conservative {d}"),
            Translation::Unknown => assert!(x > 10, "{x} unknown"),
        }
    }
    let store = CheckpointStore::read(&target, &names.checkpoints_topic)
        .await
        .unwrap();
    if let Some(cps) = store.group(&g("after")) {
        assert!(cps.values().all(|c| c.downstream <= target_end), "{cps:?}");
    }
    let after = committed(&target, &g("after"), &remote, 0).await;
    assert!(
        after.is_none_or(|o| o <= target_end),
        "{after:?} is past the replicated data"
    );

    // The transaction aborts: replication goes on and the group lands exactly.
    open.abort(60);
    wait_no_open_transaction(&source, &topic, 1).await;
    eventually("the group after the transaction on B", 60, || async {
        let s = committed_log(&source, &topic, 0).await;
        let t = read_log(&target, &remote, 0).await;
        let want = exact_target(&s, &t, 15);
        let got = committed(&target, &g("after"), &remote, 0).await;
        if want.is_some() && got == want {
            Ok(())
        } else {
            Err(format!("want {want:?}, got {got:?}"))
        }
    })
    .await;
    mirror.stop().await;
}
