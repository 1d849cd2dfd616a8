//! Acceptance of the command line: `strait validate` on every example and on broken files,
//! JSON output, secrets never printed, and `strait run` failing clearly (not hanging) when a
//! cluster cannot be reached.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;
use strait_harness::{Harness, workspace_root};

/// Secret values planted in configurations; none may appear in any output.
const SECRETS: &[&str] = &[
    "Pw-Jaas-7731",
    "Pw-Prod-5512",
    "Pw-Key-4410",
    "Pw-Store-3307",
    "Pw-Trust-9921",
    "Pw-Env-6650",
];

fn strait(args: &[&str], env: &[(String, String)]) -> Output {
    let mut command = Command::new(strait_bin());
    command.args(args).env_remove("STRAIT_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_no_secret(what: &str, output: &str) {
    for secret in SECRETS {
        assert!(
            !output.contains(secret),
            "{what}: the secret {secret} was printed:\n{output}"
        );
    }
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "properties"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "examples: {files:?}");
    files
}

/// `${env:NAME}` references of a file, each given a secret value.
fn env_for(text: &str) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${env:") {
        rest = &rest[i + 6..];
        let name = &rest[..rest.find('}').unwrap()];
        env.push((name.to_owned(), format!("{name}-Pw-Env-6650")));
    }
    env
}

/// `X->Y` of every `X->Y.enabled = true` line.
fn enabled_flows(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let (key, value) = l.split_once('=')?;
            let flow = key.trim().strip_suffix(".enabled")?;
            (flow.contains("->") && !flow.contains(".") && value.trim() == "true")
                .then(|| flow.to_owned())
        })
        .collect()
}

#[test]
fn validate_prints_the_flows_of_every_example() {
    for file in examples() {
        let source = std::fs::read_to_string(&file).unwrap();
        let env = env_for(&source);
        let flows = enabled_flows(&source);
        assert!(!flows.is_empty(), "{}: no enabled flow", file.display());
        let path = file.to_str().unwrap();

        let out = strait(&["validate", path], &env);
        let (stdout, stderr) = text(&out);
        assert!(
            out.status.success(),
            "strait validate {path} failed:\n{stderr}"
        );
        assert!(stdout.contains("\nflows\n"), "{path}:\n{stdout}");
        for flow in &flows {
            assert!(
                stdout.contains(&format!("  {flow}:")),
                "{path}: flow {flow} missing:\n{stdout}"
            );
        }
        assert_no_secret(path, &(stdout + &stderr));

        let out = strait(&["validate", path, "--output", "json"], &env);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{path} --output json:\n{stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}):\n{stdout}"));
        let names: Vec<&str> = json["flows"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: no flows array:\n{stdout}"))
            .iter()
            .filter(|f| f["enabled"] == true)
            .filter_map(|f| f["name"].as_str())
            .collect();
        for flow in &flows {
            assert!(names.contains(&flow.as_str()), "{path}: {names:?}");
        }
        assert_no_secret(path, &(stdout + &stderr));
    }
}

/// Writes `base` followed by `extra`; returns the path and the line number of `extra`'s last line.
fn broken(dir: &Path, name: &str, base: &str, extra: &str) -> (PathBuf, usize) {
    let line = base.lines().count() + extra.lines().count();
    let path = write_file(dir, name, &format!("{base}{extra}\n"));
    (path, line)
}

fn secured_base(a: &str, b: &str) -> String {
    format!(
        "\
clusters = A, B
A.bootstrap.servers = {a}
B.bootstrap.servers = {b}
A.security.protocol = SASL_PLAINTEXT
A.sasl.mechanism = SCRAM-SHA-512
A.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required \\
    username=\"alice\" password=\"Pw-Jaas-7731\";
B.producer.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username=\"bob\" password=\"Pw-Prod-5512\";
B.ssl.key.password = Pw-Key-4410
B.ssl.keystore.password = Pw-Store-3307
B.ssl.truststore.password = Pw-Trust-9921
A->B.enabled = true
replication.factor = 1
"
    )
}

#[test]
fn validate_names_file_line_and_key_of_a_broken_value() {
    let dir = tempfile::tempdir().unwrap();
    let base = secured_base("127.0.0.1:19092", "127.0.0.1:29092");
    let cases = [
        ("A->B.topics = [", "A->B.topics"),
        (
            "refresh.topics.interval.seconds = abc",
            "refresh.topics.interval.seconds",
        ),
        ("A->B.enabled = maybe", "A->B.enabled"),
        ("replication.factor = x", "replication.factor"),
        ("A.security.protocol = BOGUS", "A.security.protocol"),
        (
            "B.security.protocol = SASL_PLAINTEXT\nB.sasl.mechanism = PLAIN\n\
             B.sasl.jaas.config = garbage password=\"Pw-Jaas-7731\"",
            "B.sasl.jaas.config",
        ),
    ];
    for (i, (extra, key)) in cases.iter().enumerate() {
        let name = format!("broken-{i}.properties");
        let (path, line) = broken(dir.path(), &name, &base, extra);
        for args in [
            vec!["validate", path.to_str().unwrap()],
            vec!["validate", path.to_str().unwrap(), "--output", "json"],
            vec!["run", path.to_str().unwrap()],
        ] {
            let out = strait(&args, &[]);
            let (stdout, stderr) = text(&out);
            assert!(!out.status.success(), "{args:?} on `{extra}` succeeded");
            assert!(
                stderr.contains(&format!("{name}:{line}:")) && stderr.contains(key),
                "{args:?} on `{extra}`: the error should name {name}, line {line} and {key}:\n{stderr}"
            );
            assert!(stdout.is_empty(), "{args:?} on `{extra}`: {stdout}");
            assert_no_secret(extra, &stderr);
        }
    }

    // A file that is missing, and one without an enabled flow.
    let out = strait(&["validate", "/nonexistent/mm2.properties"], &[]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("/nonexistent/mm2.properties"));
    let path = write_file(
        dir.path(),
        "no-flow.properties",
        "clusters = A, B\nA.bootstrap.servers = 127.0.0.1:19092\nB.bootstrap.servers = 127.0.0.1:29092\n\
         A->B.emit.heartbeats.enabled = false\nB->A.emit.heartbeats.enabled = false\n",
    );
    let out = strait(&["run", path.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("no-flow.properties"),
        "{:?}",
        text(&out)
    );
}

#[test]
fn validate_never_prints_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = secured_base("127.0.0.1:19092", "127.0.0.1:29092");
    config.push_str(
        "config.providers = env\n\
         config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider\n\
         A->B.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required \
         username=\"carol\" password=\"${env:E2E_SECRET}\";\n",
    );
    let path = write_file(dir.path(), "secrets.properties", &config);
    let env = vec![("E2E_SECRET".to_owned(), "Pw-Env-6650".to_owned())];
    for args in [
        vec!["validate", path.to_str().unwrap()],
        vec!["validate", path.to_str().unwrap(), "--output", "json"],
        vec!["validate", path.to_str().unwrap(), "--clusters", "B"],
    ] {
        let out = strait(&args, &env);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}:\n{stderr}");
        assert!(stdout.contains("A->B"), "{args:?}:\n{stdout}");
        assert!(stdout.contains("redacted"), "{args:?}:\n{stdout}");
        assert_no_secret(&format!("{args:?}"), &(stdout + &stderr));
    }
}

/// `strait run` against a cluster nobody listens on fails with an error naming that cluster
/// within about a minute (the default `default.api.timeout.ms`), as source and as target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_fails_clearly_when_a_cluster_is_unreachable() {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    let as_source = write_file(
        dir.path(),
        "source-down.properties",
        &format!(
            "clusters = nowhere, B\nnowhere.bootstrap.servers = 127.0.0.1:1\n\
             nowhere.security.protocol = SASL_PLAINTEXT\nnowhere.sasl.mechanism = PLAIN\n\
             nowhere.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule \
             required username=\"u\" password=\"Pw-Jaas-7731\";\n\
             B.bootstrap.servers = {}\nnowhere->B.enabled = true\nreplication.factor = 1\n",
            h.b()
        ),
    );
    let as_target = write_file(
        dir.path(),
        "target-down.properties",
        &format!(
            "clusters = A, nowhere\nA.bootstrap.servers = {}\nnowhere.bootstrap.servers = 127.0.0.1:1\n\
             A->nowhere.enabled = true\nA->nowhere.topics = e2e-none-such-topic\nreplication.factor = 1\n",
            h.a()
        ),
    );
    let started = Instant::now();
    let mut command = Command::new(strait_bin());
    command.arg("run").arg(&as_source);
    let source_down = Proc::spawn("strait-source-down", command, &dir.path().join("s.log"));
    let mut command = Command::new(strait_bin());
    command.arg("run").arg(&as_target);
    let target_down = Proc::spawn("strait-target-down", command, &dir.path().join("t.log"));
    let limit = Duration::from_secs(90);
    for (proc, config) in [(source_down, &as_source), (target_down, &as_target)] {
        let (status, log) = proc
            .wait_exit(limit.saturating_sub(started.elapsed()))
            .await;
        eprintln!(
            "[cli] {} failed after {:?}",
            config.display(),
            started.elapsed()
        );
        assert!(!status.success(), "{}: {status}\n{log}", config.display());
        let last = log.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("strait: error:") && last.contains("'nowhere'"),
            "{}: the last line should be an error naming cluster 'nowhere':\n{log}",
            config.display()
        );
        assert_no_secret("run", &log);
    }
}

/// Runs `strait run CONFIG` until it exits by itself (within 60 s), which must be a failure;
/// returns the output and its last line, where strait prints the error that stopped it.
async fn run_until_failure(config: &Path, dir: &Path) -> (String, String) {
    let started = Instant::now();
    let strait = start_strait(config, dir, "strait");
    let (status, log) = strait.wait_exit(Duration::from_secs(60)).await;
    eprintln!(
        "[cli] strait exited after {:?} with {status}",
        started.elapsed()
    );
    assert!(!status.success(), "{log}");
    let last = log.lines().last().unwrap_or_default().to_owned();
    (log, last)
}

/// A flow that fails stops the whole process (the others drain and store their positions):
/// a replicator that keeps running with a dead flow would look healthy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_exits_with_the_error_when_a_flow_fails() {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    let topic = strait_harness::unique_topic("flow-fails");
    // B->A keeps its positions in a topic whose name Kafka refuses ('!' is not allowed).
    let config = write_file(
        dir.path(),
        "mm2.properties",
        &format!(
            "{}A->B.enabled = true\nB->A.enabled = true\ntopics = {topic}\n\
             A.offset.storage.topic = {topic}-offsets!\n",
            base_properties(&h)
        ),
    );
    let (log, last) = run_until_failure(&config, dir.path()).await;
    assert!(
        last.starts_with("strait: error:")
            && last.contains("B->A")
            && last.contains(&format!("{topic}-offsets")),
        "the last line should name the failed flow and its cause:\n{log}"
    );
    assert!(
        log.contains("flow=A->B") && log.contains("flow stopped"),
        "A->B did not stop cleanly:\n{log}"
    );
}

/// MM2's internal topics default to replication factor 3: on a smaller cluster the error names
/// the setting to change (seed 002 runs single-broker clusters without setting it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replication_factor_the_cluster_cannot_hold_names_its_setting() {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    // A fresh source alias, so that its checkpoints topic does not exist yet.
    let alias = strait_harness::unique_topic("rf");
    let config = write_file(
        dir.path(),
        "mm2.properties",
        &format!(
            "clusters = {alias}, B\n{alias}.bootstrap.servers = {a}\nB.bootstrap.servers = {b}\n\
             {alias}->B.enabled = true\ntopics = {alias}-topic\nreplication.factor = 1\n\
             offset-syncs.topic.replication.factor = 1\noffset.storage.replication.factor = 1\n\
             emit.heartbeats.enabled = false\n",
            a = h.a(),
            b = h.b()
        ),
    );
    let (log, last) = run_until_failure(&config, dir.path()).await;
    assert!(
        last.starts_with("strait: error:")
            && last.contains(&format!("{alias}.checkpoints.internal"))
            && last.contains("replication factor 3")
            && last.contains("`checkpoints.topic.replication.factor`"),
        "the last line should name the topic and the setting:\n{log}"
    );
}
