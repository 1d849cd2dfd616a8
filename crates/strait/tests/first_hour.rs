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
    let (c, p) = (consumer.display().to_string(), producer.display().to_string());
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
