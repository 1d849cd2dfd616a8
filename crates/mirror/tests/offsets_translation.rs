//! Consumer-group positions of `A` land on `B` exactly (KIP-382 checkpoints and group offset
//! sync, made exact): a group that consumed part of a topic on A resumes on `A.<topic>` at the
//! next unconsumed record (compared by content), near the head and far behind it in a topic of
//! 120 000 records, before and after the flow and the checkpoint task restart; Java's MM2
//! formatters read the offset syncs and checkpoints strait wrote; groups active on B and groups
//! ahead of the translation are left alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::java::{compile_java, console_consumer, formatted, run_java};
use common::kafka::{clusters, create_topic, eventually, numbered, produce};
use common::log::read_log;
use common::offsets::{Names, commit, committed, exact_target, index_from_topic, start_mirror};
use kwire::client::{Client, TopicPartition};
use mirror::checkpoint::CheckpointStore;
use mirror::offsets::index::Translation;
use strait_harness::Harness;

/// `(group, partition, source position)` checked on the target.
type Expect<'a> = &'a [(&'a str, i32, i64)];

/// Waits until every expected group position is on the target, at the target offset of the
/// same record.
async fn wait_groups_on_target(
    source: &Client,
    target: &Client,
    names: &Names,
    topic: &str,
    expect: Expect<'_>,
) {
    let remote = format!("A.{topic}");
    eventually("translated group offsets on B", 120, || async {
        let mut pending = Vec::new();
        let mut logs = std::collections::HashMap::new();
        for &(group, partition, position) in expect {
            let group = format!("{}-{group}", names.groups);
            if let std::collections::hash_map::Entry::Vacant(e) = logs.entry(partition) {
                e.insert((
                    read_log(source, topic, partition).await,
                    read_log(target, &remote, partition).await,
                ));
            }
            let (source_log, target_log) = &logs[&partition];
            let Some(want) = exact_target(source_log, target_log, position) else {
                pending.push(format!(
                    "record at {position} of p{partition} not replicated yet"
                ));
                continue;
            };
            let got = committed(target, &group, &remote, partition).await;
            if got != Some(want) {
                pending.push(format!(
                    "{group} p{partition} at {position}: want {want}, got {got:?}"
                ));
            }
        }
        if pending.is_empty() {
            Ok(())
        } else {
            Err(pending.join("; "))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_resume_on_the_target_at_the_next_unconsumed_record_also_after_restart() {
    let (h, source, target) = clusters().await;
    let names = Names::new("ckpt-plain");
    let topic = format!("{}-t", names.prefix);
    create_topic(&source, &topic, 2, &[]).await;
    // Batches of uneven sizes, so positions fall inside forwarded batches.
    produce(&source, &topic, 0, &numbered("p0", 0, 120_000), 997).await;
    produce(&source, &topic, 1, &numbered("p1", 0, 50), 7).await;
    let g = |name: &str| format!("{}-{name}", names.groups);
    commit(&source, &g("near"), &topic, 0, 119_990).await;
    commit(&source, &g("near"), &topic, 1, 50).await;
    commit(&source, &g("far"), &topic, 0, 10_007).await;
    commit(&source, &g("far"), &topic, 1, 0).await;

    let mirror = start_mirror(&h, &names).await;
    let first = [
        ("near", 0, 119_990),
        ("near", 1, 50),
        ("far", 0, 10_007),
        ("far", 1, 0),
    ];
    wait_groups_on_target(&source, &target, &names, &topic, &first).await;
    mirror.stop().await;

    // Every position of both partitions translates exactly from the syncs topic alone.
    let index = index_from_topic(&source, &names.syncs_topic).await;
    for partition in 0..2 {
        let source_log = read_log(&source, &topic, partition).await;
        let target_log = read_log(&target, &format!("A.{topic}"), partition).await;
        let tp = TopicPartition::new(topic.clone(), partition);
        for x in (0..=source_log.end).step_by(if partition == 0 { 997 } else { 1 }) {
            let want = exact_target(&source_log, &target_log, x).expect("replicated");
            assert_eq!(
                index.translate(&tp, x),
                Translation::Exact(want),
                "{tp} at {x}"
            );
        }
    }

    // Java's formatters read what strait wrote.
    let syncs = formatted(&h, h.a(), &names.syncs_topic, "OffsetSyncFormatter");
    let last_p1 = syncs
        .iter()
        .rfind(|l| l.contains(&format!("topicPartition={topic}-1,")))
        .unwrap_or_else(|| panic!("no sync of {topic}-1 in {syncs:?}"));
    assert_eq!(
        last_p1,
        &format!("OffsetSync{{topicPartition={topic}-1, upstreamOffset=49, downstreamOffset=49}}")
    );
    let checkpoints = formatted(&h, h.b(), &names.checkpoints_topic, "CheckpointFormatter");
    let want = format!(
        "Checkpoint{{consumerGroupId={}, topicPartition=A.{topic}-0, upstreamOffset=10007, downstreamOffset=10007, metadata=meta-10007}}",
        g("far")
    );
    assert!(
        checkpoints.contains(&want),
        "{want} not in {checkpoints:#?}"
    );

    // And RemoteClusterUtils.translateOffsets, what Java users call on failover, agrees.
    let classes = compile_java(&h, "tests/java/Translate.java");
    for (group, want) in [("near", [119_990, 50]), ("far", [10_007, 0])] {
        let out = run_java(
            &h,
            &classes,
            "Translate",
            &[h.b(), &names.prefix, &g(group)],
        );
        let expected = format!("A.{topic} 0 {}\nA.{topic} 1 {}\n", want[0], want[1]);
        assert_eq!(out.stdout, expected, "{}", out.stderr);
    }
    let far_checkpoints = checkpoints_of(&h, &names, &g("far"), &format!("A.{topic}-0"));
    // More data, groups that moved on and one that appeared, then a restart of both tasks:
    // the new ones read the syncs and checkpoints topics from the start.
    produce(&source, &topic, 0, &numbered("p0", 120_000, 1_000), 333).await;
    commit(&source, &g("near"), &topic, 0, 120_999).await;
    commit(&source, &g("new"), &topic, 0, 120_500).await;
    commit(&source, &g("old"), &topic, 0, 5).await;
    let mirror = start_mirror(&h, &names).await;
    let second = [
        ("near", 0, 120_999),
        ("near", 1, 50),
        ("new", 0, 120_500),
        ("old", 0, 5),
        ("far", 0, 10_007),
    ];
    wait_groups_on_target(&source, &target, &names, &topic, &second).await;
    mirror.stop().await;

    // The restarted task did not repeat checkpoints that had not changed.
    let store = CheckpointStore::read(&target, &names.checkpoints_topic)
        .await
        .unwrap();
    let far = &store.group(&g("far")).unwrap()[&TopicPartition::new(format!("A.{topic}"), 0)];
    assert_eq!((far.upstream, far.downstream), (10_007, 10_007));
    let repeats = checkpoints_of(&h, &names, &g("far"), &format!("A.{topic}-0"));
    assert_eq!(
        repeats, far_checkpoints,
        "no new checkpoint for an unchanged position"
    );
}

/// How many checkpoint records of `group` and partition `tp` the topic holds.
fn checkpoints_of(h: &Harness, names: &Names, group: &str, tp: &str) -> usize {
    formatted(h, h.b(), &names.checkpoints_topic, "CheckpointFormatter")
        .iter()
        .filter(|l| l.contains(&format!("consumerGroupId={group}, topicPartition={tp},")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_active_on_the_target_or_ahead_of_the_translation_are_left_alone() {
    let (h, source, target) = clusters().await;
    let names = Names::new("ckpt-rules");
    let topic = format!("{}-t", names.prefix);
    let remote = format!("A.{topic}");
    create_topic(&source, &topic, 1, &[]).await;
    create_topic(&target, &remote, 1, &[]).await;
    produce(&source, &topic, 0, &numbered("r", 0, 100), 10).await;
    let g = |name: &str| format!("{}-{name}", names.groups);
    commit(&source, &g("active"), &topic, 0, 40).await;
    commit(&source, &g("ahead"), &topic, 0, 30).await;
    commit(&source, &g("control"), &topic, 0, 20).await;
    // On B: "ahead" has consumed further than A's position; "active" has a running member
    // (subscribed elsewhere, so it commits nothing on the remote topic itself).
    commit(&target, &g("ahead"), &remote, 0, 90).await;
    let elsewhere = format!("{}-elsewhere", names.prefix);
    create_topic(&target, &elsewhere, 1, &[]).await;
    let member = console_consumer(&h, h.b(), &elsewhere, &g("active"));
    let target_ref = &target;
    let active = g("active");
    eventually("the active group has a member on B", 60, || async {
        let described = target_ref.describe_groups(vec![active.clone()]).await;
        match described.get(&active) {
            Some(Ok(d)) if d.state == "Stable" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;

    let mirror = start_mirror(&h, &names).await;
    wait_groups_on_target(&source, &target, &names, &topic, &[("control", 0, 20)]).await;
    // Checkpoints exist for all three; several sync rounds have run.
    let store_has_all = || async {
        let store = CheckpointStore::read(&target, &names.checkpoints_topic)
            .await
            .unwrap();
        let n = ["active", "ahead", "control"]
            .iter()
            .filter(|n| store.group(&g(n)).is_some())
            .count();
        if n == 3 {
            Ok(())
        } else {
            Err(format!("{n} of 3 groups checkpointed"))
        }
    };
    eventually("checkpoints of every group", 60, store_has_all).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        committed(&target, &g("ahead"), &remote, 0).await,
        Some(90),
        "never rewound"
    );
    assert_eq!(
        committed(&target, &g("active"), &remote, 0).await,
        None,
        "active group untouched"
    );

    // Once its consumers are gone the group is synced.
    member.terminate();
    wait_groups_on_target(&source, &target, &names, &topic, &[("active", 0, 40)]).await;
    assert_eq!(committed(&target, &g("ahead"), &remote, 0).await, Some(90));
    mirror.stop().await;
}
