//! Runs Kafka's own command-line tools (TopicCommand, ConsoleProducer, ConsoleConsumer, ...)
//! as independent clients, from the jars the harness fetched.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One invocation of a Kafka tool main class.
#[derive(Debug)]
pub struct JavaTool {
    lib: PathBuf,
    log_config: PathBuf,
    class: String,
    args: Vec<String>,
    stdin: Option<String>,
}

/// What a tool printed, and whether it exited 0.
#[derive(Debug)]
pub struct ToolOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl ToolOutput {
    /// Panics with both streams when the tool failed.
    pub fn expect_ok(self, what: &str) -> ToolOutput {
        assert!(
            self.success,
            "{what} failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    /// Both streams, for matching error messages.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl JavaTool {
    pub(crate) fn new(lib: &Path, log_config: &Path, class: &str) -> JavaTool {
        JavaTool {
            lib: lib.to_owned(),
            log_config: log_config.to_owned(),
            class: class.to_owned(),
            args: Vec::new(),
            stdin: None,
        }
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> JavaTool
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Text written to the tool's standard input (then closed).
    pub fn stdin(mut self, text: impl Into<String>) -> JavaTool {
        self.stdin = Some(text.into());
        self
    }

    /// Runs the tool to completion.
    pub fn run(self) -> ToolOutput {
        let mut child = Command::new("java")
            .args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"])
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                self.log_config.display()
            ))
            .arg("-cp")
            .arg(format!("{}/*", self.lib.display()))
            .arg(&self.class)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start java for {}: {e}", self.class));
        let mut stdin = child.stdin.take().unwrap();
        if let Some(text) = &self.stdin {
            stdin.write_all(text.as_bytes()).unwrap();
        }
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        ToolOutput {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}
