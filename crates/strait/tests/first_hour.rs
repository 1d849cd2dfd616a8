//! What a new user meets in the first hour, with no cluster running: output into a closed pipe,
//! exit codes, unresolvable bootstrap hosts, misspelled keys as warnings, the start-up line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn strait_bin() -> &'static str {
    env!("CARGO_BIN_EXE_strait")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/two-clusters.properties")
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn strait(args: &[&str]) -> Output {
    Command::new(strait_bin())
        .args(args)
        .env_remove("STRAIT_LOG")
        .output()
        .unwrap()
}

/// Runs strait with stdout a pipe whose reading end is closed before strait writes.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(strait_bin())
        .args(args)
        .env_remove("STRAIT_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let consumer = write_file(
        dir.path(),
        "consumer.properties",
        "bootstrap.servers=127.0.0.1:19092\ngroup.id=g\n",
    );
    let producer = write_file(
        dir.path(),
        "producer.properties",
        "bootstrap.servers=127.0.0.1:29092\n",
    );
    let example = example().display().to_string();
    let (c, p) = (
        consumer.display().to_string(),
        producer.display().to_string(),
    );
    let mm1 = [
        "mirror-maker",
        "--validate",
        "--consumer.config",
        &c,
        "--producer.config",
        &p,
        "--whitelist",
        "t.*",
    ];
    let cases: [&[&str]; 6] = [
        &["validate", &example],
        &["validate", "--output", "json", &example],
        &["--help"],
        &["--version"],
        &["validate", "--help"],
        &mm1,
    ];
    for args in cases {
        let (code, stderr) = with_closed_stdout(args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn a_malformed_file_exits_with_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_file(
        dir.path(),
        "bad.properties",
        "clusters = A, B\nA.bootstrap.servers = a:1\nB.bootstrap.servers = b:1\n\
         A->B.enabled = true\nA->B.topics = [\n",
    );
    let bad = bad.display().to_string();
    for command in ["validate", "run"] {
        let out = strait(&[command, &bad]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains("A->B.topics"), "{command}: {stderr}");
    }
    let missing = strait(&["validate", "/no/such/file.properties"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn an_unresolvable_bootstrap_host_fails_at_once_with_3() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(
        dir.path(),
        "mm2.properties",
        "clusters = A, B\nA.bootstrap.servers = no-such-host.invalid:9092\n\
         B.bootstrap.servers = no-such-host.invalid:9092\nA->B.enabled = true\n",
    );
    let started = Instant::now();
    let out = strait(&["run", &config.display().to_string()]);
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("no-such-host.invalid") && last.contains("'A'"),
        "the error should name the host and the cluster: {stderr}"
    );
}

const TYPOS: &str = "clusters = A, B\nA.bootstrap.servers = 127.0.0.1:19092\n\
                     B.bootstrap.servers = 127.0.0.1:29092\nA->B.enable = true\n\
                     B.producer.ack = 1\n";

#[test]
fn misspelled_keys_are_warned_about_on_stderr_with_the_key_meant() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(dir.path(), "mm2.properties", TYPOS);
    let config = config.display().to_string();
    let out = strait(&["validate", &config]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "strait: warning: {config}:4: A->B.enable: unknown key, ignored; did you mean \
             `A->B.enabled`?"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            ":5: B.producer.ack: not a Kafka producer setting; did you mean `B.producer.acks`?"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("no flow replicates anything"), "{stderr}");
    assert!(!stdout.contains("warning"), "{stdout}");
    assert!(stdout.contains("A->B.enable (line 4)"), "{stdout}");

    for command in ["validate", "run"] {
        let strict = strait(&[command, "--strict", &config]);
        let stderr = String::from_utf8_lossy(&strict.stderr);
        assert_eq!(strict.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains("--strict"), "{command}: {stderr}");
        assert!(stderr.contains("A->B.enabled"), "{command}: {stderr}");
    }
}

#[test]
fn run_names_each_flow_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(
        dir.path(),
        "mm2.properties",
        "clusters = A, B\nA.bootstrap.servers = no-such-host.invalid:9092\n\
         B.bootstrap.servers = other-host.invalid:9093\nA->B.enabled = true\n\
         B.security.protocol = SASL_SSL\nB.sasl.mechanism = PLAIN\n\
         B.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required \
         username=\"u\" password=\"Pw-Secret-1234\";\n",
    );
    let out = strait(&["run", &config.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("flow A->B"))
        .unwrap_or_else(|| panic!("no start-up line for A->B: {stderr}"));
    for part in [
        "source=A",
        "source_bootstrap=no-such-host.invalid:9092",
        "source_security=PLAINTEXT",
        "target=B",
        "target_bootstrap=other-host.invalid:9093",
        "target_security=SASL_SSL",
    ] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
    assert!(!stderr.contains("Pw-Secret-1234"), "{stderr}");
}
