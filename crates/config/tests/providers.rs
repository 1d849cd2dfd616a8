//! `config.providers`: file, env and directory references resolved in values, and errors
//! that name key and line without printing the resolved secret.

use std::collections::BTreeMap;
use std::fs;

use strait_config::{
    ConfigError, Env, Jaas, LoadOptions, MirrorConfig, SecurityProtocol, parse_mm2_properties,
};

const PROVIDERS: &str = "\
config.providers = file, env, directory
config.providers.file.class = org.apache.kafka.common.config.provider.FileConfigProvider
config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider
config.providers.directory.class = org.apache.kafka.common.config.provider.DirectoryConfigProvider
";

fn env(vars: &[(&str, &str)]) -> LoadOptions {
    let map: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    LoadOptions {
        env: Env::Map(map),
        ..LoadOptions::default()
    }
}

fn load(text: &str, options: &LoadOptions) -> Result<MirrorConfig, ConfigError> {
    parse_mm2_properties(text, "mm2.properties", options)
}

fn password(c: &MirrorConfig, alias: &str) -> String {
    match c.clusters[alias]
        .security
        .sasl
        .as_ref()
        .and_then(|s| s.jaas.as_ref())
    {
        Some(Jaas::Credentials { password, .. }) => password.expose().to_owned(),
        other => panic!("no credentials: {other:?}"),
    }
}

/// Seed 002's shape: cluster settings and JAAS credentials read from a properties file,
/// with the JAAS value split over continuation lines.
#[test]
fn file_provider_like_seed_002() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = dir.path().join("kafka.properties");
    fs::write(
        &secrets,
        "bootstrap.servers=kafka2:39092\nbroker.sasl.mechanism=PLAIN\n\
         broker.security.protocol=SASL_PLAINTEXT\nbroker.username=connect\n\
         broker.password=connect2-secret\n",
    )
    .expect("write");
    let f = secrets.display();
    let text = format!(
        "{PROVIDERS}clusters = kafka-1, kafka-2\n\
         kafka-1.bootstrap.servers = kafka1:39092\n\
         kafka-2.bootstrap.servers = ${{file:{f}:bootstrap.servers}}\n\
         sasl.mechanism=${{file:{f}:broker.sasl.mechanism}}\n\
         security.protocol=${{file:{f}:broker.security.protocol}}\n\
         sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n\
         \x20 username=\"${{file:{f}:broker.username}}\" \\\n\
         \x20 password=\"${{file:{f}:broker.password}}\";\n\
         kafka-1->kafka-2.enabled = true\n"
    );
    let c = load(&text, &env(&[])).expect("loads");
    assert_eq!(c.clusters["kafka-2"].bootstrap_servers, ["kafka2:39092"]);
    // Top-level security applies to every cluster and every client.
    for alias in ["kafka-1", "kafka-2"] {
        assert_eq!(
            c.clusters[alias].security.protocol,
            SecurityProtocol::SaslPlaintext
        );
        assert_eq!(password(&c, alias), "connect2-secret");
    }
    let flow = c.flow("kafka-1", "kafka-2").expect("flow");
    assert_eq!(
        flow.clients.source_consumer.security.protocol,
        SecurityProtocol::SaslPlaintext
    );
    let dump = format!("{c:?}{}", c.summary());
    assert!(!dump.contains("connect2-secret"));
}

#[test]
fn env_and_directory_providers() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("truststore-password"), "changeit").expect("write");
    let d = dir.path().display();
    let text = format!(
        "{PROVIDERS}clusters = A, B\nA.bootstrap.servers = ${{env:A_SERVERS}}\n\
         B.bootstrap.servers = ${{env::B_SERVERS}}\n\
         B.security.protocol = SSL\nB.ssl.truststore.location = /etc/ts.p12\n\
         B.ssl.truststore.type = PKCS12\n\
         B.ssl.truststore.password = ${{directory:{d}:truststore-password}}\n"
    );
    let c = load(
        &text,
        &env(&[("A_SERVERS", "a:1,a:2"), ("B_SERVERS", "b:1")]),
    )
    .expect("loads");
    assert_eq!(c.clusters["A"].bootstrap_servers, ["a:1", "a:2"]);
    assert_eq!(c.clusters["B"].bootstrap_servers, ["b:1"]);
    let ts = c.clusters["B"]
        .security
        .ssl
        .as_ref()
        .and_then(|s| s.truststore.as_ref())
        .expect("truststore");
    assert_eq!(ts.password.as_ref().map(|p| p.expose()), Some("changeit"));
    assert!(!format!("{c:?}").contains("changeit"));
}

fn error(text: &str, options: &LoadOptions) -> String {
    match load(text, options) {
        Ok(_) => panic!("loaded: {text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unresolvable_references_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = dir.path().join("s.properties");
    fs::write(&secrets, "present=hunter2\n").expect("write");
    fs::create_dir(dir.path().join("sub")).expect("mkdir");
    fs::write(dir.path().join("sub/pw"), "hunter2").expect("write");
    let f = secrets.display();
    let d = dir.path().display();
    let base = format!(
        "{PROVIDERS}clusters = A, B\nA.bootstrap.servers = a:1\nB.bootstrap.servers = b:1\n"
    );
    let cases = [
        (
            format!("A.ssl.key.password = ${{file:{f}:absent}}\n"),
            "key `absent` not found",
        ),
        (
            format!("A.ssl.key.password = ${{file:{d}/nope.properties:k}}\n"),
            "cannot read",
        ),
        (
            "A.ssl.key.password = ${env:UNSET_VAR}\n".to_owned(),
            "`UNSET_VAR` is not set",
        ),
        (
            "A.ssl.key.password = ${env:/path:HOME}\n".to_owned(),
            "takes no path",
        ),
        (
            format!("A.ssl.key.password = ${{directory:{d}:../etc/passwd}}\n"),
            "no file",
        ),
        (
            format!("A.ssl.key.password = ${{directory:{d}:sub/pw}}\n"),
            "no file",
        ),
        (
            format!("A.ssl.key.password = ${{directory:{d}:missing}}\n"),
            "no file",
        ),
    ];
    for (line, want) in cases {
        let msg = error(&format!("{base}{line}"), &env(&[]));
        assert!(
            msg.starts_with("mm2.properties:8: `A.ssl.key.password`"),
            "{msg}"
        );
        assert!(msg.contains(want), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }
}

#[test]
fn provider_declarations_are_checked() {
    let missing_class = "config.providers = file\nclusters = A, B\n";
    let msg = error(missing_class, &env(&[]));
    assert!(
        msg.starts_with("mm2.properties:1: `config.providers.file.class` is missing"),
        "{msg}"
    );
}

#[test]
fn allow_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = dir.path().join("s.properties");
    fs::write(&secrets, "k=v\n").expect("write");
    let text = format!(
        "{PROVIDERS}config.providers.file.param.allowed.paths = /nonexistent/allowed\n\
         config.providers.env.param.allowlist.pattern = KAFKA_.*\n\
         clusters = A, B\nA.bootstrap.servers = ${{env:KAFKA_A}}\nB.bootstrap.servers = b:1\n"
    );
    assert!(load(&text, &env(&[("KAFKA_A", "a:1")])).is_ok());
    let denied = text.replace("${env:KAFKA_A}", "${env:HOME}");
    assert!(error(&denied, &env(&[("HOME", "a:1")])).contains("not allowed"));
    let outside = text.replace(
        "${env:KAFKA_A}",
        &format!("${{file:{}:k}}", secrets.display()),
    );
    assert!(error(&outside, &env(&[])).contains("outside `allowed.paths`"));
}

/// A connector config as Strimzi generates it: `${strimzisecrets:<namespace>/<secret>:<key>}`
/// without any provider declaration, read from the secrets dir.
fn strimzi_connector(dir: &std::path::Path, password_ref: &str) -> std::path::PathBuf {
    let json = format!(
        r#"{{
  "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
  "source.cluster.alias": "src",
  "source.cluster.bootstrap.servers": "src:9093",
  "source.cluster.security.protocol": "SASL_SSL",
  "source.cluster.sasl.mechanism": "SCRAM-SHA-512",
  "source.cluster.sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"mm2\" password=\"{password_ref}\";",
  "target.cluster.alias": "tgt",
  "target.cluster.bootstrap.servers": "tgt:9092"
}}"#
    );
    let path = dir.join("connector.json");
    fs::write(&path, json).expect("write");
    path
}

fn with_secrets_dir(dir: &std::path::Path) -> strait_config::LoadConfigOptions {
    strait_config::LoadConfigOptions {
        secrets_dir: Some(dir.join("secrets")),
        ..Default::default()
    }
}

#[test]
fn strimzi_secret_references_read_the_secrets_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("secrets/mm2-user");
    fs::create_dir_all(&secret).expect("mkdir");
    fs::write(secret.join("password"), "k8s-s3cret").expect("write");
    let connector = strimzi_connector(dir.path(), "${strimzisecrets:kafka/mm2-user:password}");
    let c = strait_config::load_config_files(&[connector], &with_secrets_dir(dir.path()))
        .expect("loads");
    assert_eq!(password(&c, "src"), "k8s-s3cret");
}

#[test]
fn strimzi_secret_references_that_cannot_resolve_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("secrets/mm2-user")).expect("mkdir");
    for (reference, expected) in [
        (
            "${strimzisecrets:kafka/mm2-user:password}",
            "Kubernetes Secret `mm2-user`",
        ),
        (
            "${strimzisecrets:kafka/other:password}",
            "Kubernetes Secret `other`",
        ),
        ("${strimzisecrets:kafka/..:password}", "names no Secret"),
        ("${strimzisecrets:password}", "<namespace>/<secret>:<key>"),
    ] {
        let connector = strimzi_connector(dir.path(), reference);
        let err = strait_config::load_config_files(&[connector], &with_secrets_dir(dir.path()))
            .expect_err(reference)
            .to_string();
        assert!(err.contains(expected), "{reference}: {err}");
        assert!(err.contains("source.cluster.sasl.jaas.config"), "{err}");
    }
}
