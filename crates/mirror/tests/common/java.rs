//! Kafka's own Java clients and tools as child processes: helpers compiled against the
//! harness's Kafka jars, run to completion or kept running around a test, never outliving it.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use strait_harness::{Harness, unique_topic};
use tokio::task::JoinHandle;

/// Compiles `src` (relative to this crate) against the harness's Kafka jars; returns the
/// classes folder.
pub fn compile_java(h: &Harness, src: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(src);
    let name = src.file_stem().unwrap().to_string_lossy().into_owned();
    let classes = Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique_topic(&name));
    let out = Command::new("javac")
        .arg("-cp")
        .arg(format!("{}/*", h.var("STRAIT_KAFKA_LIB")))
        .arg("-d")
        .arg(&classes)
        .arg(&src)
        .output()
        .expect("cannot run javac");
    assert!(
        out.status.success(),
        "javac {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    classes
}

/// [`compile_java`] on a blocking thread, so that the test sets up its topics meanwhile.
pub fn compile_in_background(h: &Harness, src: &'static str) -> JoinHandle<PathBuf> {
    let h = h.clone();
    tokio::task::spawn_blocking(move || compile_java(&h, src))
}

/// JVM options of the helpers and tools: a small heap and a quick start, as a test run starts
/// many short-lived JVMs side by side.
pub const QUICK_JVM: [&str; 3] = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"];

/// `java` for `class` with `options`, the harness's Kafka jars (after `classes`, when given) on
/// the class path and `log4j2` as logging configuration.
pub fn jvm(
    h: &Harness,
    options: &[&str],
    log4j2: &str,
    classes: Option<&Path>,
    class: &str,
) -> Command {
    let jars = format!("{}/*", h.var("STRAIT_KAFKA_LIB"));
    let class_path = match classes {
        Some(classes) => format!("{}:{jars}", classes.display()),
        None => jars,
    };
    let mut command = Command::new("java");
    command
        .args(options)
        .arg(format!("-Dlog4j2.configurationFile={log4j2}"))
        .args(["-cp", &class_path, class]);
    command
}

/// A quick [`jvm`] logging as the harness's tools do.
pub fn java(h: &Harness, classes: Option<&Path>, class: &str) -> Command {
    jvm(h, &QUICK_JVM, h.var("STRAIT_KAFKA_LOG4J2"), classes, class)
}

/// What a helper printed.
pub struct Printed {
    pub stdout: String,
    pub stderr: String,
}

/// Runs a compiled helper to completion (at most 120 s), failing unless it succeeds.
pub fn run_java(h: &Harness, classes: &Path, class: &str, args: &[&str]) -> Printed {
    let mut child = java(h, Some(classes), class)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start java");
    // Drained while it runs: a full pipe would stop the process.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            r.read_to_end(&mut buf).map(|_| buf)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{class} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = String::from_utf8_lossy(&stdout.join().unwrap().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap().unwrap()).into_owned();
    assert!(
        status.success(),
        "{class} failed ({status})\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    Printed { stdout, stderr }
}

/// SIGTERM, so that the JVM shuts down in order (a consumer leaves its group at once, Connect
/// stops its tasks), then at most `limit` for the exit. Returns how long it took.
pub fn terminate(child: &mut Child, limit: Duration) -> Duration {
    let started = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    while started.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    started.elapsed()
}

/// A Java process killed when dropped.
pub struct JavaProcess(Child);

impl JavaProcess {
    pub fn terminate(mut self) {
        terminate(&mut self.0, Duration::from_secs(30));
    }
}

impl Drop for JavaProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Kafka's ConsoleConsumer in group `group`, subscribed to `topic`, running until dropped.
pub fn console_consumer(h: &Harness, bootstrap: &str, topic: &str, group: &str) -> JavaProcess {
    let child = java(h, None, "org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args(["--bootstrap-server", bootstrap, "--topic", topic])
        .args(["--group", group, "--timeout-ms", "600000"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start java");
    JavaProcess(child)
}

/// What MM2's formatter prints for every record of `topic` (partition 0, from the beginning).
pub fn formatted(h: &Harness, bootstrap: &str, topic: &str, formatter: &str) -> Vec<String> {
    let formatter = format!("org.apache.kafka.connect.mirror.formatters.{formatter}");
    let out = h
        .tool("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args(["--bootstrap-server", bootstrap, "--topic", topic])
        .args(["--from-beginning", "--timeout-ms", "10000"])
        .args(["--formatter", &formatter])
        .run();
    out.stdout.lines().map(str::to_owned).collect()
}

/// `tests/java/OpenTxn.java` running: a transaction stays open on one partition until
/// [`OpenTxn::abort`] (or the drop) closes its standard input.
pub struct OpenTxn {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl OpenTxn {
    /// Starts the helper with transactional id `strait-<topic>`; returns once the transaction
    /// is open (at most 90 s).
    pub fn begin(h: &Harness, classes: &Path, topic: &str, partition: i32) -> OpenTxn {
        let txn_id = format!("strait-{topic}");
        let mut child = java(h, Some(classes), "OpenTxn")
            .args([h.a(), topic, &partition.to_string(), &txn_id])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start java");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut txn = OpenTxn {
            child,
            stdin,
            lines,
        };
        txn.expect_line("OPEN", Instant::now() + Duration::from_secs(90));
        txn
    }

    fn expect_line(&mut self, want: &str, deadline: Instant) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line == want => return,
                Ok(_) => {}
                Err(e) => panic!("OpenTxn did not print {want}: {e}"),
            }
        }
    }

    /// Closes standard input: the transaction is aborted and the process ends, both within
    /// `secs` seconds.
    pub fn abort(mut self, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        drop(self.stdin.take());
        self.expect_line("DONE", deadline);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "OpenTxn did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for OpenTxn {
    fn drop(&mut self) {
        // On a failed test: closing stdin lets the helper abort and exit by itself.
        drop(self.stdin.take());
    }
}
