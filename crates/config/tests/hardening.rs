//! Hostile or careless input: errors that would echo a secret, values resolved through a
//! config provider, and inputs too large to handle. Each case must fail (or print) cleanly,
//! naming file, line and key, and never show the secret marker.

use std::collections::BTreeMap;
use std::fs;
use std::time::{Duration, Instant};

use strait_config::{
    Env, LoadConfigOptions, LoadOptions, MirrorConfig, load_config_files, parse_mm2_properties,
};

/// Every secret of these tests contains this; no error or summary may show it.
const MARKER: &str = "Xq7MARKERsecret";

const HEAD: &str = "clusters = A, B\nA.bootstrap.servers = a:9092\nB.bootstrap.servers = b:9092\n";

fn load(text: &str, options: &LoadOptions) -> Result<MirrorConfig, String> {
    parse_mm2_properties(text, "mm2.properties", options).map_err(|e| e.to_string())
}

fn with_env(vars: &[(&str, &str)]) -> LoadOptions {
    let map: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    LoadOptions {
        env: Env::Map(map),
        ..LoadOptions::default()
    }
}

#[test]
fn jaas_error_never_echoes_an_unquoted_password() {
    for jaas in [
        format!("x.PlainLoginModule required username=u password=ab {MARKER};"),
        format!("x.PlainLoginModule required username=u password=ab {MARKER}=;"),
        format!("x.PlainLoginModule required username=u password=ab= {MARKER};"),
        format!("x.PlainLoginModule required username=u password={MARKER} x"),
    ] {
        let text = format!(
            "{HEAD}B.security.protocol = SASL_PLAINTEXT\nB.sasl.mechanism = PLAIN\n\
             B.sasl.jaas.config = {jaas}\n"
        );
        let err = load(&text, &LoadOptions::default()).expect_err(&jaas);
        assert!(
            err.starts_with("mm2.properties:6: `B.sasl.jaas.config`"),
            "{err}"
        );
        assert!(err.contains("character"), "{err}");
        assert!(!err.contains("MARKER"), "secret fragment echoed: {err}");
    }
}

#[test]
fn provider_values_are_redacted_whatever_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vault.properties");
    fs::write(&file, format!("opaque={MARKER}-file\n")).expect("write");
    let sub = dir.path().join("dir");
    fs::create_dir(&sub).expect("mkdir");
    fs::write(sub.join("entry"), format!("{MARKER}-directory")).expect("write");
    let text = format!(
        "config.providers = file, env, directory\n\
         config.providers.file.class = org.apache.kafka.common.config.provider.FileConfigProvider\n\
         config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider\n\
         config.providers.directory.class = \
         org.apache.kafka.common.config.provider.DirectoryConfigProvider\n\
         {HEAD}A->B.enabled = true\n\
         A.consumer.client.rack = ${{file:{}:opaque}}\n\
         A.producer.client.id = ${{env:PLAIN_NAME}}\n\
         A.admin.client.id = prefix-${{directory:{}:entry}}\n",
        file.display(),
        sub.display()
    );
    let c = load(
        &text,
        &with_env(&[("PLAIN_NAME", &format!("{MARKER}-env"))]),
    )
    .expect("loads");
    let summary = c.summary();
    let shown = format!("{summary}\n{}", summary.to_json());
    assert!(!shown.contains("MARKER"), "provider value shown:\n{shown}");
    assert!(shown.contains("client.rack"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    // The model still carries the resolved values.
    assert_eq!(
        c.clusters["A"].consumer["client.rack"].expose(),
        format!("{MARKER}-file")
    );
}

#[test]
fn oversized_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mm2.properties");
    let limit = strait_config::limits::MAX_FILE_BYTES as usize;
    let mut text = HEAD.to_owned();
    text.push_str(&"#".repeat(limit + 1 - text.len()));
    fs::write(&path, text).expect("write");
    let err = load_config_files(std::slice::from_ref(&path), &LoadConfigOptions::default())
        .expect_err("too large")
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("16 MiB"), "{err}");
}

#[test]
fn oversized_value_names_line_and_key() {
    let limit = strait_config::limits::MAX_VALUE_BYTES;
    let text = format!(
        "{HEAD}A->B.enabled = true\nA.consumer.x = {}\n",
        "v".repeat(limit + 1)
    );
    let err = load(&text, &LoadOptions::default()).expect_err("too long");
    assert!(
        err.starts_with("mm2.properties:5: `A.consumer.x`"),
        "{}",
        &err[..200.min(err.len())]
    );
    assert!(err.contains("1 MiB"), "{err}");
    assert!(err.len() < 300, "the value is echoed: {} bytes", err.len());
}

#[test]
fn oversized_regex_is_refused_quickly_without_echo() {
    let limit = strait_config::policy::regex::MAX_PATTERN_BYTES;
    for pattern in ["t".repeat(limit + 1), "(a|b)*".repeat(limit / 6 + 1)] {
        let text = format!("{HEAD}A->B.enabled = true\nA->B.topics = {pattern}\n");
        let started = Instant::now();
        let err = load(&text, &LoadOptions::default()).expect_err("too long");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.starts_with("mm2.properties:5: `A->B.topics`"), "{err}");
        assert!(err.contains("256 KiB"), "{err}");
        assert!(err.len() < 400, "{err}");
    }
    // A long but legal list of explicit topic names still compiles.
    let names: Vec<String> = (0..5000).map(|i| format!("orders-{i:05}")).collect();
    let text = format!(
        "{HEAD}A->B.enabled = true\nA->B.topics = {}\n",
        names.join(", ")
    );
    let started = Instant::now();
    let c = load(&text, &LoadOptions::default()).expect("loads");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(c.flow("A", "B").is_some());
}

#[test]
fn too_many_cluster_aliases() {
    let max = strait_config::limits::MAX_CLUSTER_ALIASES;
    let aliases: Vec<String> = (0..=max).map(|i| format!("c{i}")).collect();
    let mut text = format!("clusters = {}\n", aliases.join(", "));
    for a in &aliases {
        text.push_str(&format!("{a}.bootstrap.servers = {a}:9092\n"));
    }
    let started = Instant::now();
    let err = load(&text, &LoadOptions::default()).expect_err("too many");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.starts_with("mm2.properties:1: `clusters`"), "{err}");
    assert!(err.contains("at most 64 cluster aliases"), "{err}");
}

#[test]
fn byte_order_mark_is_skipped_in_properties() {
    let text = format!("\u{feff}{HEAD}A->B.enabled = true\n");
    let c = load(&text, &LoadOptions::default()).expect("a BOM is not part of the first key");
    assert!(c.flow("A", "B").is_some());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mm2.properties");
    fs::write(&path, format!("\u{feff}{HEAD}A->B.enabled = true\n")).expect("write");
    load_config_files(&[path], &LoadConfigOptions::default()).expect("loads from a file");
}
