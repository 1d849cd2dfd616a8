//! Proves the 3-node clusters `a3` and `b3`: three registered brokers each, replication factor 3
//! by default with every replica in sync, and failover that Kafka's own clients survive: a node
//! killed with SIGKILL, restarted, paused and resumed, and preferred leaders elected back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use strait_harness::{Harness, PartitionState, unique_topic};

/// Tests of this file disturb the same clusters: one at a time.
static CLUSTERS: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    CLUSTERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Polls the topic's partitions until `ok` holds for all of them, or panics after `timeout`.
fn wait_partitions(
    h: &Harness,
    bootstrap: &str,
    topic: &str,
    timeout: Duration,
    what: &str,
    ok: impl Fn(&PartitionState) -> bool,
) -> Vec<PartitionState> {
    let deadline = Instant::now() + timeout;
    loop {
        // A describe may time out while a node is paused: polled again.
        let parts = h.try_describe_topic(bootstrap, topic);
        if let Ok(parts) = &parts
            && !parts.is_empty()
            && parts.iter().all(&ok)
        {
            return parts.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{topic}: {what} not reached after {timeout:?}: {parts:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn produce_acks_all(h: &Harness, bootstrap: &str, topic: &str, lines: &[String]) {
    h.tool("org.apache.kafka.tools.ConsoleProducer")
        .args(["--bootstrap-server", bootstrap, "--topic", topic])
        .args(["--producer-property", "acks=all"])
        .args(["--producer-property", "delivery.timeout.ms=30000"])
        .args(["--producer-property", "request.timeout.ms=10000"])
        .stdin(lines.join("\n") + "\n")
        .run()
        .expect_ok("console producer (acks=all)");
}

fn consume_all(h: &Harness, bootstrap: &str, topic: &str, n: usize) -> Vec<String> {
    let out = h
        .tool("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args(["--bootstrap-server", bootstrap, "--topic", topic])
        .args(["--from-beginning", "--max-messages", &n.to_string()])
        .args(["--timeout-ms", "30000"])
        .run();
    let mut got: Vec<String> = out.stdout.lines().map(str::to_owned).collect();
    got.sort();
    got
}

fn lines(tag: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{tag}-{i:03}")).collect()
}

#[test]
fn a3_and_b3_each_have_three_brokers_and_rf3_topics_by_default() {
    let _lock = lock();
    let h = Harness::get();
    for (cluster, bootstrap) in [("a3", h.a3()), ("b3", h.b3())] {
        h.heal(cluster);
        assert_eq!(bootstrap.split(',').count(), 3, "{cluster}: {bootstrap}");
        let out = h
            .tool("org.apache.kafka.tools.BrokerApiVersionsCommand")
            .args(["--bootstrap-server", h.node(cluster, 1)])
            .run()
            .expect_ok("broker api versions");
        for id in 1..=3 {
            assert!(
                out.stdout.contains(&format!("(id: {id} rack")),
                "{cluster}: broker {id} not registered:\n{}",
                out.stdout
            );
        }
        // No --replication-factor: the cluster's default (3) applies.
        let topic = unique_topic("harness-rf3-default");
        h.tool("org.apache.kafka.tools.TopicCommand")
            .args([
                "--bootstrap-server",
                bootstrap,
                "--create",
                "--topic",
                &topic,
            ])
            .args(["--partitions", "3"])
            .run()
            .expect_ok("create topic");
        let parts = wait_partitions(
            &h,
            bootstrap,
            &topic,
            Duration::from_secs(20),
            "ISR 3",
            |p| p.isr.len() == 3,
        );
        for p in &parts {
            let mut replicas = p.replicas.clone();
            replicas.sort_unstable();
            assert_eq!(replicas, [1, 2, 3], "{cluster} {topic}: {p:?}");
        }
        let config = h
            .tool("org.apache.kafka.tools.TopicCommand")
            .args([
                "--bootstrap-server",
                bootstrap,
                "--describe",
                "--topic",
                &topic,
            ])
            .run()
            .expect_ok("describe");
        assert!(
            config.stdout.contains("min.insync.replicas=2"),
            "{cluster}: {}",
            config.stdout
        );
    }
}

#[test]
fn rf3_topic_survives_a_killed_restarted_and_paused_node() {
    let _lock = lock();
    let started = Instant::now();
    let h = Harness::get();
    h.heal("a3");
    let _heal = h.heal_on_drop("a3");
    let bootstrap = h.a3();
    let topic = unique_topic("harness-failover");
    h.tool("org.apache.kafka.tools.TopicCommand")
        .args([
            "--bootstrap-server",
            bootstrap,
            "--create",
            "--topic",
            &topic,
        ])
        .args(["--partitions", "6", "--replication-factor", "3"])
        .run()
        .expect_ok("create topic");
    let timeout = Duration::from_secs(30);
    let parts = wait_partitions(&h, bootstrap, &topic, timeout, "ISR 3", |p| {
        p.replicas.len() == 3 && p.isr.len() == 3 && p.leader.is_some()
    });
    assert!(
        parts.iter().any(|p| p.leader == Some(2)),
        "node 2 leads no partition, the kill would prove nothing: {parts:?}"
    );
    let mut want = lines("before", 20);
    produce_acks_all(&h, bootstrap, &topic, &want);

    // SIGKILL: leadership and ISR leave node 2, acks=all still succeeds with 2 in sync.
    h.kill_node("a3", 2);
    let killed = Instant::now();
    wait_partitions(
        &h,
        bootstrap,
        &topic,
        timeout,
        "leaders and ISR off node 2",
        |p| p.leader.is_some_and(|l| l != 2) && !p.isr.contains(&2) && p.isr.len() == 2,
    );
    eprintln!(
        "[topology] leaders left killed node 2 in {:?}",
        killed.elapsed()
    );
    let during = lines("node2-dead", 20);
    produce_acks_all(&h, bootstrap, &topic, &during);
    want.extend(during);

    // Restart on its data: back in every ISR.
    h.start_node("a3", 2);
    wait_partitions(&h, bootstrap, &topic, timeout, "ISR 3 after restart", |p| {
        p.isr.len() == 3
    });

    // SIGSTOP: a hung node loses leadership once its session expires; writes go on. The tools
    // bootstrap from the other nodes (a paused node accepts connections but never answers), and
    // a describe may still time out until node 3 is fenced: polled again, for longer.
    h.pause_node("a3", 3);
    let live = format!("{},{}", h.node("a3", 1), h.node("a3", 2));
    let slow = Duration::from_secs(60);
    wait_partitions(&h, &live, &topic, slow, "leaders off paused node 3", |p| {
        p.leader.is_some_and(|l| l != 3) && !p.isr.contains(&3)
    });
    let paused = lines("node3-paused", 20);
    produce_acks_all(&h, &live, &topic, &paused);
    want.extend(paused);
    h.resume_node("a3", 3);
    wait_partitions(&h, bootstrap, &topic, timeout, "ISR 3 after resume", |p| {
        p.isr.len() == 3
    });

    // Preferred leaders back: every partition led by its first replica.
    h.elect_leaders("a3").unwrap();
    wait_partitions(&h, bootstrap, &topic, timeout, "preferred leaders", |p| {
        p.leader == p.replicas.first().copied()
    });

    want.sort();
    assert_eq!(consume_all(&h, bootstrap, &topic, want.len()), want);
    eprintln!("[topology] done in {:?}", started.elapsed());
}

#[test]
fn drain_moves_leaders_off_a_node() {
    let _lock = lock();
    let h = Harness::get();
    h.heal("b3");
    let _heal = h.heal_on_drop("b3");
    let bootstrap = h.b3();
    let topic = unique_topic("harness-drain");
    h.tool("org.apache.kafka.tools.TopicCommand")
        .args([
            "--bootstrap-server",
            bootstrap,
            "--create",
            "--topic",
            &topic,
        ])
        .args(["--partitions", "3", "--replication-factor", "3"])
        .run()
        .expect_ok("create topic");
    wait_partitions(
        &h,
        bootstrap,
        &topic,
        Duration::from_secs(20),
        "ISR 3",
        |p| p.isr.len() == 3,
    );
    h.drain_leaders("b3", 1).unwrap();
    let parts = h.describe_topic(bootstrap, &topic);
    for p in &parts {
        assert_ne!(p.leader, Some(1), "{topic}: node 1 still leads {p:?}");
        assert_eq!(p.replicas.last(), Some(&1), "{topic}: {p:?}");
    }
}
