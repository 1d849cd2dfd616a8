//! Flow `A->B` on the source logs that are not a plain dense append: compacted logs with offset
//! gaps and empty batches, transactions (committed, aborted, interleaved with plain records,
//! read_committed and read_uncommitted), LogAppendTime topics, topics and partitions that appear
//! while the flow runs, and source data deleted before it was replicated, between two runs or
//! under a running flow (reported, never skipped in silence). Transactions are written by
//! Kafka's own Java producer (`tests/java/*.java`, compiled against the harness's jars).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::flow::{Running, position_store, settings, wait_positions, wait_target_ends};
use common::java::{OpenTxn, compile_in_background, run_java};
use common::kafka::{
    bounds, clusters, create_topic, eventually, now_ms, record, send, stable_ends,
};
use common::log::{
    Rec, assert_same_records, is_sparse, read_log, read_topic, rec, shape, wait_compacted,
};
use kwire::batch::{BatchView, Compression, Record};
use kwire::client::{Client, ConfigResource, IdempotentProducer, ProducerConfig, TopicPartition};
use mirror::settings::DataLossPolicy;
use strait_config::policy::UseDefaultsFrom;
use strait_config::policy::filter::{ConfigPropertyFilter, DEFAULT_CONFIG_PROPERTIES_EXCLUDE};
use strait_harness::{Harness, unique_topic};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// MM2's `config.properties.exclude` default, plus `extra` patterns.
fn exclude_configs(extra: &str) -> mirror::settings::NameFilter {
    let list = if extra.is_empty() {
        DEFAULT_CONFIG_PROPERTIES_EXCLUDE.to_owned()
    } else {
        format!("{DEFAULT_CONFIG_PROPERTIES_EXCLUDE}, {extra}")
    };
    let filter = ConfigPropertyFilter::new(&list, UseDefaultsFrom::Target).unwrap();
    Arc::new(move |name| !filter.should_replicate_config_property(name))
}

async fn topic_config(client: &Client, topic: &str, name: &str) -> Option<String> {
    let described = client
        .describe_configs(vec![ConfigResource::topic(topic)])
        .await
        .unwrap();
    described
        .into_iter()
        .flat_map(|(_, entries)| entries.unwrap())
        .find(|e| e.name == name)
        .and_then(|e| e.value)
}

// ---------------------------------------------------------------------------------------------
// 1. Compacted topic with offset gaps
// ---------------------------------------------------------------------------------------------

/// Writes rounds of keyed records. Each round's timestamps are a second after the previous
/// round's, so every round rolls a segment (segments roll on record time) and the cleaner gets
/// all but the last round. Keys repeat within a round and across rounds (150 keys, 60 records a
/// round, partly overlapping), round 2 writes tombstones, and every round uses its own producer
/// whose last batch the next round supersedes (the cleaner keeps that batch empty: the last
/// batch of a producer).
async fn produce_compactable(source: &Client, topic: &str, partitions: i32) {
    let base = now_ms() - 600_000;
    for round in 0..6_i64 {
        let mut batches = Vec::new();
        for p in 0..partitions {
            for b in 0..3_i64 {
                let records = (0..20_i64)
                    .map(|i| {
                        let n = b * 20 + i;
                        // The last batch of a round only has keys the next round overwrites.
                        let key = if b == 2 {
                            format!("hot-{p}-{}", i % 10)
                        } else {
                            format!("key-{p}-{}", (round * 37 + (n % 45) * 11) % 150)
                        };
                        let value = format!("round {round} batch {b} record {i} ").repeat(3);
                        let tombstone = round == 2 && n % 5 == 0;
                        record(
                            base + round * 1_000 + n,
                            Some(&key),
                            (!tombstone).then_some(value.as_str()),
                            &[("round", &round.to_string()), ("n", &n.to_string())],
                        )
                    })
                    .collect();
                batches.push((p, records));
            }
        }
        let codec = if round % 2 == 0 {
            Compression::Lz4
        } else {
            Compression::None
        };
        send(source, topic, codec, batches).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compacted_topic_with_gaps_arrives_as_the_source_holds_it_with_dense_offsets() {
    let (h, source, target) = clusters().await;
    let prefix = unique_topic("compacted");
    // Tombstones removed as soon as possible, and tombstones kept a day (their batches carry a
    // delete horizon in the base timestamp field).
    let topics = [format!("{prefix}-r0"), format!("{prefix}-r1d")];
    const PARTITIONS: i32 = 2;
    for (topic, retention) in topics.iter().zip(["0", "86400000"]) {
        let configs = [
            ("cleanup.policy", "compact"),
            ("segment.ms", "100"),
            ("min.cleanable.dirty.ratio", "0.001"),
            ("delete.retention.ms", retention),
        ];
        create_topic(&source, topic, PARTITIONS, &configs).await;
        produce_compactable(&source, topic, PARTITIONS).await;
    }
    let mut source_logs = Vec::new();
    for topic in &topics {
        source_logs.push(wait_compacted(&source, topic, PARTITIONS).await);
    }
    let batches = || source_logs.iter().flatten().flat_map(|l| &l.batches);
    assert!(batches().any(is_sparse), "the cleaner left no sparse batch");
    assert!(
        batches().any(|b| b.records_count() == 0),
        "the cleaner left no empty batch"
    );
    assert!(
        source_logs[1]
            .iter()
            .flat_map(|l| &l.batches)
            .any(BatchView::has_delete_horizon),
        "no delete horizon on {}",
        topics[1]
    );

    // Partition 1 of the first topic resumes inside a sparse batch, after its first record (a
    // position Java MM2 stored per record): only the records after it are copied.
    let resume_log = &source_logs[0][1];
    let resume_at = resume_log
        .batches
        .iter()
        .filter(|b| is_sparse(b) && b.records_count() >= 2)
        .find_map(|b| {
            let records = b.records().unwrap();
            (records[0].offset > b.base_offset()).then(|| records[0].offset)
        })
        .expect("a sparse batch whose first record is not at its base offset");
    let store = position_store(&target, "MirrorSourceConnector").await;
    {
        let producer = IdempotentProducer::new(target.clone(), ProducerConfig::default())
            .await
            .unwrap();
        let tp = TopicPartition::new(topics[0].clone(), 1);
        store.store(&producer, &[(tp, resume_at)]).await.unwrap();
        producer.close().await;
    }

    // Keep the targets from compacting on their own (MM2 would copy these too): they must hold
    // exactly what the flow wrote.
    let mut s = settings(&prefix);
    s.exclude_config =
        exclude_configs("segment\\.ms, min\\.cleanable\\.dirty\\.ratio, delete\\.retention\\.ms");
    let flow = Running::start(&h, s).await;
    let mut want = source_logs.clone();
    want[0][1].records.retain(|r| r.offset > resume_at);
    for (topic, logs) in topics.iter().zip(&want) {
        let ends: Vec<i64> = logs.iter().map(|l| l.records.len() as i64).collect();
        wait_target_ends(&target, &format!("A.{topic}"), &ends).await;
        let last: Vec<Option<i64>> = logs.iter().map(|l| Some(l.end - 1)).collect();
        wait_positions(&store, topic, &last).await;
    }
    let metrics = flow.stop().await;

    for ((topic, before), want) in topics.iter().zip(&source_logs).zip(&want) {
        let remote = format!("A.{topic}");
        let after = read_topic(&source, topic, PARTITIONS).await;
        assert!(
            shape(&after) == shape(before),
            "{topic} changed while mirroring; the comparison would be meaningless"
        );
        let target_logs = read_topic(&target, &remote, PARTITIONS).await;
        for (p, l) in target_logs.iter().enumerate() {
            l.assert_dense_data(&format!("{remote}-{p}"));
        }
        assert_same_records(topic, want, &target_logs);
        assert_eq!(
            topic_config(&target, &remote, "cleanup.policy")
                .await
                .as_deref(),
            Some("compact"),
            "{remote} is compacted like its source"
        );
    }
    assert!(metrics.batches_reencoded > 0, "{metrics:?}");
    assert!(metrics.batches_skipped > 0, "{metrics:?}");
}

// ---------------------------------------------------------------------------------------------
// 2. Transactions
// ---------------------------------------------------------------------------------------------

/// The values TxnProducer.java writes to partition `p`, in offset order.
fn txn_values(p: i32, with_aborted: bool) -> Vec<String> {
    let steps: &[(&str, usize, bool)] = &[
        ("n1", 3, false),
        ("c1", 4, false),
        ("n2", 2, false),
        ("a1", 5, true),
        ("c2", 3, false),
        ("n3", 2, false),
        ("a2", 2, true),
        ("n4", 3, false),
    ];
    steps
        .iter()
        .filter(|(_, _, aborted)| with_aborted || !aborted)
        .flat_map(|(step, n, _)| (0..*n).map(move |i| format!("{step}-{i}-p{p}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_arrive_committed_only_without_markers() {
    let (h, source, target) = clusters().await;
    let classes = compile_in_background(&h, "tests/java/TxnProducer.java");
    let topic = unique_topic("txn");
    const PARTITIONS: i32 = 2;
    create_topic(&source, &topic, PARTITIONS, &[]).await;
    let classes = classes.await.unwrap();
    let out = tokio::task::spawn_blocking({
        let (h, topic) = (h.clone(), topic.clone());
        move || {
            let txn_id = format!("strait-{topic}");
            run_java(&h, &classes, "TxnProducer", &[h.a(), &topic, &txn_id]).stdout
        }
    })
    .await
    .unwrap();
    assert!(out.contains("DONE"), "{out}");

    // Transaction markers are written after commit/abort return: wait until none is pending
    // (the last stable offset has reached the high watermark).
    {
        let (source, topic) = (&source, topic.as_str());
        eventually("no open transaction on the source", 60, || {
            stable_ends(source, topic, PARTITIONS)
        })
        .await;
    }
    let source_logs = read_topic(&source, &topic, PARTITIONS).await;
    for (p, l) in source_logs.iter().enumerate() {
        assert_eq!(l.values(), txn_values(p as i32, true), "source {topic}-{p}");
        assert!(l.batches.iter().any(|b| b.is_control()), "no markers");
    }

    // The default (read_committed) to `A.<topic>`; read_uncommitted to `U.<topic>`, with its own
    // positions (another connector name in the same offsets topic).
    // One batch per fetch under read_committed: transactions span fetches, and every fetch
    // starts anywhere inside them.
    let mut s = settings(&topic);
    s.max_partition_fetch_bytes = 1;
    let committed = Running::start(&h, s).await;
    let mut s = settings(&topic);
    s.read_committed = false;
    s.remote_topic = Arc::new(|t| format!("U.{t}"));
    s.connector_name = "MirrorSourceConnector-uncommitted".to_owned();
    let uncommitted = Running::start(&h, s).await;

    let remote = format!("A.{topic}");
    let remote_u = format!("U.{topic}");
    let want: Vec<i64> = (0..PARTITIONS)
        .map(|p| txn_values(p, false).len() as i64)
        .collect();
    let want_u: Vec<i64> = (0..PARTITIONS)
        .map(|p| txn_values(p, true).len() as i64)
        .collect();
    wait_target_ends(&target, &remote, &want).await;
    wait_target_ends(&target, &remote_u, &want_u).await;
    let last: Vec<Option<i64>> = source_logs.iter().map(|l| Some(l.end - 1)).collect();
    let store = position_store(&target, "MirrorSourceConnector").await;
    wait_positions(&store, &topic, &last).await;
    let store_u = position_store(&target, "MirrorSourceConnector-uncommitted").await;
    wait_positions(&store_u, &topic, &last).await;
    let m = committed.stop().await;
    let m_u = uncommitted.stop().await;

    let target_logs = read_topic(&target, &remote, PARTITIONS).await;
    let target_logs_u = read_topic(&target, &remote_u, PARTITIONS).await;
    for p in 0..PARTITIONS as usize {
        let (src, got, got_u) = (&source_logs[p], &target_logs[p], &target_logs_u[p]);
        got.assert_dense_data(&format!("{remote}-{p}"));
        got_u.assert_dense_data(&format!("{remote_u}-{p}"));
        assert_eq!(got.values(), txn_values(p as i32, false), "{remote}-{p}");
        assert_eq!(got_u.values(), txn_values(p as i32, true), "{remote_u}-{p}");
        // Keys, headers and timestamps as the source has them.
        let committed_only: Vec<Rec> = src
            .records
            .iter()
            .filter(|r| !r.value.as_ref().unwrap().starts_with(b"a"))
            .map(rec)
            .collect();
        assert!(got.recs() == committed_only, "{remote}-{p}: records differ");
        assert!(got_u.recs() == src.recs(), "{remote_u}-{p}: records differ");
    }
    // Markers are never data; aborted batches are skipped only under read_committed.
    assert!(m.batches_skipped > 0, "{m:?}");
    assert_eq!(
        m.records_replicated,
        want.iter().sum::<i64>() as u64,
        "{m:?}"
    );
    assert_eq!(
        m_u.records_replicated,
        want_u.iter().sum::<i64>() as u64,
        "{m_u:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. LogAppendTime
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_append_time_topic_keeps_the_visible_timestamps_on_a_create_time_target() {
    let (h, source, target) = clusters().await;
    let topic = unique_topic("logappend");
    let remote = format!("A.{topic}");
    const PARTITIONS: i32 = 2;
    create_topic(
        &source,
        &topic,
        PARTITIONS,
        &[("message.timestamp.type", "LogAppendTime")],
    )
    .await;
    let old = 1_500_000_000_000_i64;
    let before = now_ms();
    for (b, codec) in [Compression::None, Compression::Zstd, Compression::Lz4]
        .into_iter()
        .enumerate()
    {
        let batches = (0..PARTITIONS)
            .map(|p| {
                let records = (0..30_i64)
                    .map(|i| {
                        let v = format!("p{p} b{b} i{i}");
                        record(
                            old + i * 86_400_000,
                            Some(&v),
                            Some(&v),
                            &[("b", &b.to_string())],
                        )
                    })
                    .collect();
                (p, records)
            })
            .collect();
        send(&source, &topic, codec, batches).await;
    }
    let source_logs = read_topic(&source, &topic, PARTITIONS).await;
    for l in &source_logs {
        for r in &l.records {
            assert!(
                r.timestamp >= before,
                "the broker set the append time: {r:?}"
            );
        }
        for b in &l.batches {
            assert_eq!(
                b.timestamp_type(),
                kwire::batch::TimestampType::LogAppendTime
            );
        }
    }

    let mut s = settings(&topic);
    s.exclude_config = exclude_configs("");
    let flow = Running::start(&h, s).await;
    wait_target_ends(&target, &remote, &[90, 90]).await;
    let metrics = flow.stop().await;
    let target_logs = read_topic(&target, &remote, PARTITIONS).await;
    for (p, l) in target_logs.iter().enumerate() {
        l.assert_dense_data(&format!("{remote}-{p}"));
        for b in &l.batches {
            assert_eq!(b.timestamp_type(), kwire::batch::TimestampType::CreateTime);
        }
    }
    assert_same_records(&topic, &source_logs, &target_logs);
    assert_eq!(metrics.batches_reencoded, 6, "{metrics:?}");
    assert_eq!(metrics.batches_forwarded, 0, "{metrics:?}");
    assert_eq!(
        topic_config(&target, &remote, "message.timestamp.type")
            .await
            .as_deref(),
        Some("CreateTime"),
        "message.timestamp.type is excluded from the copied configs"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Discovery of new topics and partitions (and 6. the forward-path ratio)
// ---------------------------------------------------------------------------------------------

fn numbered(p: i32, from: i64, n: i64) -> Vec<Record> {
    let now = now_ms();
    (from..from + n)
        .map(|i| {
            let v = format!("p{p}-{i}");
            record(
                now + i,
                Some(&v),
                Some(&v.repeat(10)),
                &[("i", &i.to_string())],
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_and_partitions_created_while_running_are_discovered() {
    let (h, source, target) = clusters().await;
    let prefix = unique_topic("discovery");
    let topic = format!("{prefix}-late");
    let remote = format!("A.{topic}");

    let flow = Running::start(&h, settings(&prefix)).await;
    // Let the flow start (and do its first discovery) with no matching topic.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    create_topic(&source, &topic, 2, &[]).await;
    for b in 0..3 {
        let batches = (0..2).map(|p| (p, numbered(p, b * 50, 50))).collect();
        send(&source, &topic, Compression::Lz4, batches).await;
    }
    wait_target_ends(&target, &remote, &[150, 150]).await;

    // Two more partitions on the source: the remote topic grows and their records arrive.
    for (_, r) in source
        .create_partitions(vec![(topic.clone(), 4)], false)
        .await
        .unwrap()
    {
        r.unwrap();
    }
    {
        let (source, topic) = (&source, topic.as_str());
        eventually("source has 4 partitions", 30, || async move {
            let md = source.metadata(Some(&[topic.to_owned()])).await.unwrap();
            let n = md.topic(topic).map_or(0, |t| t.partitions.len());
            if n == 4 { Ok(()) } else { Err(format!("{n}")) }
        })
        .await;
    }
    for b in 0..3 {
        let batches = (0..4).map(|p| (p, numbered(p, 150 + b * 20, 20))).collect();
        send(&source, &topic, Compression::Lz4, batches).await;
    }
    wait_target_ends(&target, &remote, &[210, 210, 60, 60]).await;
    let metrics = flow.stop().await;
    assert_same_records(
        &topic,
        &read_topic(&source, &topic, 4).await,
        &read_topic(&target, &remote, 4).await,
    );
    // Dense lz4 batches: all forwarded.
    let total = metrics.batches_forwarded + metrics.batches_reencoded;
    assert_eq!(total, 2 * 3 + 4 * 3, "{metrics:?}");
    assert!(metrics.batches_forwarded * 100 >= 99 * total, "{metrics:?}");
}

// ---------------------------------------------------------------------------------------------
// 5. Source data deleted before replication
// ---------------------------------------------------------------------------------------------

fn delete_records(h: &Harness, topic: &str, partition: i32, before: i64) {
    let json = format!(
        r#"{{"partitions":[{{"topic":"{topic}","partition":{partition},"offset":{before}}}],"version":1}}"#
    );
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{topic}-delete.json"));
    std::fs::write(&path, json).unwrap();
    h.tool("org.apache.kafka.tools.DeleteRecordsCommand")
        .args([
            "--bootstrap-server",
            h.a(),
            "--offset-json-file",
            path.to_str().unwrap(),
        ])
        .run()
        .expect_ok("DeleteRecordsCommand");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_unreplicated_data_is_reported_and_never_skipped_silently() {
    let (h, source, target) = clusters().await;
    let topic = unique_topic("dataloss");
    let remote = format!("A.{topic}");
    const PARTITIONS: i32 = 2;
    create_topic(&source, &topic, PARTITIONS, &[]).await;
    let produce = |from: i64| {
        let (source, topic) = (&source, topic.as_str());
        async move {
            for b in 0..2 {
                let batches = (0..PARTITIONS)
                    .map(|p| (p, numbered(p, from + b * 50, 50)))
                    .collect();
                send(source, topic, Compression::Lz4, batches).await;
            }
        }
    };
    let store = position_store(&target, "MirrorSourceConnector").await;

    produce(0).await;
    let flow = Running::start(&h, settings(&topic)).await;
    wait_target_ends(&target, &remote, &[100, 100]).await;
    wait_positions(&store, &topic, &[Some(99), Some(99)]).await;
    let first = flow.stop().await;
    assert_eq!(first.data_loss_events, 0, "{first:?}");

    // While no flow runs: offsets 100..199 are written, and 100..149 of partition 0 deleted
    // before anyone replicated them.
    produce(100).await;
    tokio::task::spawn_blocking({
        let (h, topic) = (h.clone(), topic.clone());
        move || delete_records(&h, &topic, 0, 150)
    })
    .await
    .unwrap();
    assert_eq!(
        bounds(&source, &topic, 0..PARTITIONS).await,
        vec![(150, 200), (0, 200)]
    );

    // Fail (the default): partition 0 stops at its position, partition 1 goes on.
    let flow = Running::start(&h, settings(&topic)).await;
    wait_target_ends(&target, &remote, &[100, 200]).await;
    wait_positions(&store, &topic, &[Some(99), Some(199)]).await;
    produce(200).await;
    wait_target_ends(&target, &remote, &[100, 300]).await;
    let failed = flow.stop().await;
    assert_eq!(failed.data_loss_events, 1, "{failed:?}");
    assert_eq!(failed.partitions_stopped, 1, "{failed:?}");
    let p0 = read_log(&target, &remote, 0).await;
    let want: Vec<String> = (0..100).map(|i| format!("p0-{i}").repeat(10)).collect();
    assert_eq!(p0.values(), want, "{remote}-0 after the stop");
    wait_positions(&store, &topic, &[Some(99), Some(299)]).await;

    // Continue: partition 0 resumes at the new log start; the lost offsets never appear.
    let mut s = settings(&topic);
    s.data_loss = DataLossPolicy::Continue;
    let flow = Running::start(&h, s).await;
    wait_target_ends(&target, &remote, &[250, 300]).await;
    wait_positions(&store, &topic, &[Some(299), Some(299)]).await;
    let resumed = flow.stop().await;
    assert_eq!(resumed.data_loss_events, 1, "{resumed:?}");
    assert_eq!(resumed.partitions_stopped, 0, "{resumed:?}");
    assert_eq!(resumed.records_replicated, 150, "{resumed:?}");
    let want: Vec<String> = (0..100)
        .chain(150..300)
        .map(|i| format!("p0-{i}").repeat(10))
        .collect();
    let p0 = read_log(&target, &remote, 0).await;
    p0.assert_dense_data(&format!("{remote}-0"));
    assert_eq!(p0.values(), want, "{remote}-0");
    // Everything the source still has is on the target, identical.
    let source_p0 = read_log(&source, &topic, 0).await;
    assert!(
        p0.recs()[100..] == source_p0.recs()[..],
        "{remote}-0 differs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_deleted_while_running_is_reported_by_the_running_flow() {
    let (h, source, target) = clusters().await;
    let classes = compile_in_background(&h, "tests/java/OpenTxn.java");
    let topic = unique_topic("liveloss");
    const PARTITIONS: i32 = 2;
    create_topic(&source, &topic, PARTITIONS, &[]).await;
    let batches = (0..PARTITIONS).map(|p| (p, numbered(p, 0, 100))).collect();
    send(&source, &topic, Compression::Lz4, batches).await;

    // Two flows read_committed: `A.<topic>` fails on data loss, `C.<topic>` continues.
    let fail = Running::start(&h, settings(&topic)).await;
    let mut s = settings(&topic);
    s.data_loss = DataLossPolicy::Continue;
    s.remote_topic = Arc::new(|t| format!("C.{t}"));
    s.connector_name = "MirrorSourceConnector-continue".to_owned();
    let cont = Running::start(&h, s).await;
    let (remote_f, remote_c) = (format!("A.{topic}"), format!("C.{topic}"));
    wait_target_ends(&target, &remote_f, &[100, 100]).await;
    wait_target_ends(&target, &remote_c, &[100, 100]).await;

    // An open transaction at offset 100 of partition 0 holds both flows before it; records
    // 101..=200 are written behind it and 100..150 deleted before anyone could read them.
    let classes = classes.await.unwrap();
    let txn = tokio::task::spawn_blocking({
        let (h, topic) = (h.clone(), topic.clone());
        move || OpenTxn::begin(&h, &classes, &topic, 0)
    })
    .await
    .unwrap();
    let batches = vec![(0, numbered(0, 101, 100)), (1, numbered(1, 100, 100))];
    send(&source, &topic, Compression::Lz4, batches).await;
    wait_target_ends(&target, &remote_f, &[100, 200]).await;
    wait_target_ends(&target, &remote_c, &[100, 200]).await;
    tokio::task::spawn_blocking({
        let (h, topic) = (h.clone(), topic.clone());
        move || delete_records(&h, &topic, 0, 150)
    })
    .await
    .unwrap();
    for flow in [&fail, &cont] {
        eventually("the data loss is detected", 30, || async move {
            let m = flow.metrics.snapshot();
            if m.data_loss_events == 1 {
                Ok(())
            } else {
                Err(format!("{m:?}"))
            }
        })
        .await;
    }

    // The transaction ends (aborted); partition 0 goes on in `C.` only, partition 1 in both.
    tokio::task::spawn_blocking(move || txn.abort(120))
        .await
        .unwrap();
    {
        let (source, topic) = (&source, topic.as_str());
        eventually("the abort marker is written", 60, || async move {
            let end = stable_ends(source, topic, PARTITIONS).await?;
            if end[0] == 202 {
                Ok(())
            } else {
                Err(format!("end {end:?}"))
            }
        })
        .await;
    }
    let batches = vec![(0, numbered(0, 202, 50)), (1, numbered(1, 200, 50))];
    send(&source, &topic, Compression::Lz4, batches).await;
    wait_target_ends(&target, &remote_c, &[100 + 51 + 50, 250]).await;
    wait_target_ends(&target, &remote_f, &[100, 250]).await;
    let store_f = position_store(&target, "MirrorSourceConnector").await;
    wait_positions(&store_f, &topic, &[Some(99), Some(249)]).await;
    let store_c = position_store(&target, "MirrorSourceConnector-continue").await;
    wait_positions(&store_c, &topic, &[Some(251), Some(249)]).await;
    let (mf, mc) = (fail.stop().await, cont.stop().await);

    assert_eq!(
        (mf.data_loss_events, mf.partitions_stopped),
        (1, 1),
        "{mf:?}"
    );
    assert_eq!(
        (mc.data_loss_events, mc.partitions_stopped),
        (1, 0),
        "{mc:?}"
    );
    let values = |offsets: &mut dyn Iterator<Item = i64>| -> Vec<String> {
        offsets.map(|i| format!("p0-{i}").repeat(10)).collect()
    };
    let got_f = read_log(&target, &remote_f, 0).await;
    assert_eq!(got_f.values(), values(&mut (0..100)), "{remote_f}-0");
    let got_c = read_log(&target, &remote_c, 0).await;
    got_c.assert_dense_data(&format!("{remote_c}-0"));
    assert_eq!(
        got_c.values(),
        values(&mut (0..100).chain(150..=200).chain(202..252)),
        "{remote_c}-0"
    );
    for remote in [&remote_f, &remote_c] {
        let got = read_log(&target, remote, 1).await;
        assert_eq!(
            got.values(),
            (0..250)
                .map(|i| format!("p1-{i}").repeat(10))
                .collect::<Vec<_>>(),
            "{remote}-1"
        );
    }
}
