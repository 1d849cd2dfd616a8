//! Test support for strait: finds the real Kafka clusters started by `scripts/harness up`
//! (through `clusters.env`), names topics uniquely per test and runs Kafka's own Java tools as
//! independent clients, and disturbs the 3-node clusters (`a3`, `b3`) by node. Tests that need
//! Kafka fail, never skip, when the clusters are missing.
#![forbid(unsafe_code)]
// Test support: a missing cluster or a failing tool must fail the calling test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod java;
mod nodes;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub use java::{JavaTool, ToolOutput};
pub use nodes::{HealOnDrop, NodeAction, PartitionState};

/// Users of the `secure` cluster (loopback-only test credentials, see scripts/harness).
pub mod users {
    pub const ADMIN: (&str, &str) = ("admin", "admin-secret");
    pub const ALICE: (&str, &str) = ("alice", "alice-secret");
    pub const BOB: (&str, &str) = ("bob", "bob-secret");
}

/// The clusters of one harness run, read from `clusters.env`.
#[derive(Debug, Clone)]
pub struct Harness {
    vars: HashMap<String, String>,
}

impl Harness {
    /// Reads the harness description: `$STRAIT_HARNESS_ENV`, else `$STRAIT_HARNESS_DIR/clusters.env`,
    /// else `<workspace>/.harness/clusters.env`. Panics with instructions when none exists.
    pub fn get() -> Harness {
        let path = env_file();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "no Kafka harness: cannot read {} ({e}). Start the clusters with \
                 `scripts/harness up` or run the whole suite with `scripts/test`.",
                path.display()
            )
        });
        let vars = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Harness { vars }
    }

    /// A value of `clusters.env`, e.g. `STRAIT_KAFKA_A`. Panics when absent.
    pub fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not in clusters.env: is that cluster started?"))
    }

    /// Bootstrap of cluster `a` (Kafka 4.x, PLAINTEXT).
    pub fn a(&self) -> &str {
        self.var("STRAIT_KAFKA_A")
    }
    /// Bootstrap of cluster `b` (Kafka 4.x, PLAINTEXT).
    pub fn b(&self) -> &str {
        self.var("STRAIT_KAFKA_B")
    }
    /// Bootstrap of cluster `legacy` (Kafka 3.9, PLAINTEXT).
    pub fn legacy(&self) -> &str {
        self.var("STRAIT_KAFKA_LEGACY")
    }
    /// SASL_PLAINTEXT listener of the `secure` cluster (PLAIN, SCRAM-SHA-256/512, ACLs).
    pub fn sasl(&self) -> &str {
        self.var("STRAIT_KAFKA_SASL")
    }
    /// SSL listener of the `secure` cluster.
    pub fn ssl(&self) -> &str {
        self.var("STRAIT_KAFKA_SSL")
    }
    /// PEM file of the CA that signed the `secure` cluster's certificate.
    pub fn ssl_ca(&self) -> PathBuf {
        PathBuf::from(self.var("STRAIT_KAFKA_SSL_CA"))
    }
    /// Folder of the harness state (broker logs, configs).
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(self.var("STRAIT_HARNESS_DIR"))
    }

    /// A Kafka 4.x tool (`java -cp lib/* CLASS`), quiet logging.
    pub fn tool(&self, class: &str) -> JavaTool {
        JavaTool::new(
            Path::new(self.var("STRAIT_KAFKA_LIB")),
            Path::new(self.var("STRAIT_KAFKA_LOG4J2")),
            class,
        )
    }

    /// Writes a client properties file for the tools into the harness folder and returns its path.
    pub fn client_properties(&self, name: &str, lines: &[String]) -> PathBuf {
        let dir = self.dir().join("client-configs");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.properties"));
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        path
    }

    /// Properties for SASL_PLAINTEXT with the given mechanism and credentials.
    pub fn sasl_properties(&self, mechanism: &str, user: &str, password: &str) -> Vec<String> {
        let module = if mechanism == "PLAIN" {
            "org.apache.kafka.common.security.plain.PlainLoginModule"
        } else {
            "org.apache.kafka.common.security.scram.ScramLoginModule"
        };
        vec![
            "security.protocol=SASL_PLAINTEXT".into(),
            format!("sasl.mechanism={mechanism}"),
            format!(
                "sasl.jaas.config={module} required username=\"{user}\" password=\"{password}\";"
            ),
        ]
    }
}

fn env_file() -> PathBuf {
    if let Ok(p) = std::env::var("STRAIT_HARNESS_ENV") {
        return PathBuf::from(p);
    }
    if let Ok(d) = std::env::var("STRAIT_HARNESS_DIR") {
        return Path::new(&d).join("clusters.env");
    }
    workspace_root().join(".harness").join("clusters.env")
}

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A topic name no other test (or earlier run against the same clusters) uses.
pub fn unique_topic(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}-{}-{:x}-{n}",
        std::process::id(),
        nanos & 0xff_ffff
    )
}
