//! The disaster-recovery steps of seeds/002 (active/passive, consumer groups moved to the
//! backup cluster) with `strait run` and `strait offsets translate|apply`: a group consumes on
//! A with Kafka's own console consumer and stops, more data arrives, strait checkpoints the
//! group, the operator translates and applies its position on B, and the same console
//! consumer on B prints only the data the group had not consumed. `apply` refuses while the
//! group has active members on B and `--dry-run` changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use kwire::client::TopicPartition;
use strait_harness::Harness;

/// `strait offsets ARGS...`: (success, stdout, stderr).
fn strait_offsets(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(strait_bin())
        .arg("offsets")
        .args(args)
        .env("STRAIT_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Kafka's console consumer in `group`, as in the seed: prints values, at most `max`. A new
/// group starts at the log start (the seed's consumer runs before the data is produced).
fn console_consume(
    h: &Harness,
    bootstrap: &str,
    include: &str,
    group: &str,
    max: usize,
) -> Vec<String> {
    let out = h
        .tool("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args([
            "--bootstrap-server",
            bootstrap,
            "--include",
            include,
            "--group",
            group,
        ])
        .args(["--max-messages", &max.to_string(), "--timeout-ms", "30000"])
        .args(["--command-property", "auto.offset.reset=earliest"])
        .run();
    out.stdout.lines().map(str::to_owned).collect()
}

async fn committed(client: &kwire::client::Client, group: &str, topic: &str) -> Option<i64> {
    let tp = TopicPartition::new(topic, 0);
    let offsets = client
        .offset_fetch(group, Some(vec![tp.clone()]))
        .await
        .unwrap();
    offsets.get(&tp).map(|c| c.offset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_002_failover_with_offsets_translate_and_apply() {
    let (h, dir, topic, remote, a, b) = setup("dr-test", 1).await;
    let group = format!("{topic}-my-cg");
    // The seed's checkpoint connector (groups, excludes, refresh), faster; group offsets are
    // applied by the operator here, so the automatic sync stays off.
    let config = write_file(
        dir.path(),
        "mm2.properties",
        &format!(
            "{}\nA->B.enabled = true\nA->B.topics = {topic}\n\
             A->B.emit.checkpoints.enabled = true\nA->B.emit.checkpoints.interval.seconds = 1\n\
             A->B.refresh.groups.interval.seconds = 1\nA->B.groups = .*\n\
             A->B.groups.exclude = console-consumer-.*, connect-.*, __.*\n",
            base_properties(&h)
        ),
    );
    let config = config.to_str().unwrap().to_owned();
    let strait = start_strait(std::path::Path::new(&config), dir.path(), "strait-dr");

    // Normal workflow: the group consumes on A, then loses A.
    produce_tagged(&a, &topic, 1, "before", 10, 3).await;
    let consumed = tokio::task::spawn_blocking({
        let (h, topic, group) = (h.clone(), topic.clone(), group.clone());
        move || console_consume(&h, h.a(), &format!("^{topic}$"), &group, 10)
    })
    .await
    .unwrap();
    assert_eq!(consumed.len(), 10, "{consumed:?}");
    assert_eq!(committed(&a, &group, &topic).await, Some(10));
    // More data arrives while the consumers are down.
    produce_tagged(&a, &topic, 1, "after", 5, 2).await;

    // The operator translates: the checkpoint says the group resumes at B's offset 10.
    let args = [
        "--config", &config, "--source", "A", "--target", "B", "--group", &group,
    ];
    let translate: Vec<&str> = ["translate"].into_iter().chain(args).collect();
    let want = format!("{remote}\t0\t10\t10");
    let out = wait_for(
        Duration::from_secs(90),
        "the group's checkpoint",
        || async {
            let (ok, stdout, _) = strait_offsets(&translate);
            (ok && stdout.lines().any(|l| l == want)).then_some(stdout)
        },
    )
    .await;
    assert!(
        out.starts_with("TOPIC\tPARTITION\tOFFSET\tSOURCE-OFFSET\n"),
        "{out}"
    );

    // A member of the group on B (on another topic) makes apply refuse.
    let elsewhere = format!("{topic}-elsewhere");
    create_topic(&b, &elsewhere, 1).await;
    let mut member = Command::new("java")
        .args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"])
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            h.var("STRAIT_KAFKA_LOG4J2")
        ))
        .arg("-cp")
        .arg(format!("{}/*", h.var("STRAIT_KAFKA_LIB")))
        .arg("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args([
            "--bootstrap-server",
            h.b(),
            "--topic",
            &elsewhere,
            "--group",
            &group,
        ])
        .args(["--timeout-ms", "600000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(
        Duration::from_secs(60),
        "a member in the group on B",
        || async {
            let described = b.describe_groups(vec![group.clone()]).await;
            matches!(described.get(&group), Some(Ok(d)) if d.state == "Stable").then_some(())
        },
    )
    .await;
    let apply: Vec<&str> = ["apply"].into_iter().chain(args).collect();
    let (ok, refused, stderr) = strait_offsets(&apply);
    assert!(
        !ok && stderr.contains("active members"),
        "{refused}
{stderr}"
    );
    assert!(refused.contains("active"), "{refused}");
    assert_eq!(committed(&b, &group, &remote).await, None);
    // A stopped console consumer leaves the group at once.
    let _ = Command::new("kill")
        .args(["-TERM", &member.id().to_string()])
        .status();
    let _ = member.wait();

    // Dry run: the change is shown, nothing written.
    let dry: Vec<&str> = ["apply", "--dry-run"].into_iter().chain(args).collect();
    let (ok, stdout, stderr) = wait_for(Duration::from_secs(60), "group empty on B", || async {
        let r = strait_offsets(&dry);
        r.0.then_some(r)
    })
    .await;
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("{remote}\t0\t-\t10\twrite")),
        "{stdout}"
    );
    assert!(stdout.contains("dry run"), "{stdout}");
    assert_eq!(committed(&b, &group, &remote).await, None);

    let (ok, stdout, stderr) = strait_offsets(&apply);
    assert!(ok, "{stdout}\n{stderr}");
    assert_eq!(committed(&b, &group, &remote).await, Some(10));
    // Applying again changes nothing.
    let (ok, stdout, _) = strait_offsets(&apply);
    assert!(ok && stdout.contains("unchanged"), "{stdout}");

    // Failover: the seed's consumer on B (both topic names) sees only the new data.
    let resumed = tokio::task::spawn_blocking({
        let (h, topic, group) = (h.clone(), topic.clone(), group.clone());
        move || console_consume(&h, h.b(), &format!("^(A\\.)?{topic}$"), &group, 5)
    })
    .await
    .unwrap();
    let want: Vec<String> = (0..5).map(|n| format!("after-p0-{n}")).collect();
    assert_eq!(resumed, want, "zero duplicates, zero gaps");
    assert_eq!(committed(&b, &group, &remote).await, Some(15));
    strait.terminate(Duration::from_secs(30)).await;
    // The checkpoint task's summary at exit counts what it did.
    let log = std::fs::read_to_string(dir.path().join("strait-dr.log")).unwrap();
    let summary = log
        .lines()
        .rfind(|l| l.contains("checkpoint summary"))
        .expect("a checkpoint summary line at exit");
    assert!(!summary.contains("checkpoints_emitted=0"), "{summary}");
}
