//! Broken Strimzi YAML, Connect JSON and MirrorMaker 1 inputs: each gives one specific
//! error naming the file, the document path (or option) and line, and what was expected;
//! none panics, and no secret value appears in any message.

use std::fs;
use std::path::{Path, PathBuf};

use strait_config::{
    ConfigError, LoadConfigOptions, MirrorConfig, load_config_files, load_mm1, parse_mm1_args,
};

/// Every secret of these tests contains this; no error may show it.
const SECRET: &str = "T0P-SECRET-pw";

/// A valid v1beta2 resource the cases break one way each.
const KMM2: &str = "\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaMirrorMaker2
metadata:
  name: m
spec:
  replicas: 1
  connectCluster: b
  clusters:
  - alias: a
    bootstrapServers: a:9092
  - alias: b
    bootstrapServers: b:9092
    authentication:
      type: scram-sha-512
      username: u
      passwordSecret:
        secretName: b-user
        password: password
    tls:
      trustedCertificates: []
  mirrors:
  - sourceCluster: a
    targetCluster: b
    sourceConnector:
      config:
        sync.topic.acls.enabled: \"false\"
    topicsPattern: \"orders.*\"
";

const KMM: &str = "\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaMirrorMaker
metadata:
  name: mm1
spec:
  replicas: 1
  consumer:
    bootstrapServers: a:9092
    groupId: g
  producer:
    bootstrapServers: b:9092
  include: \".*\"
";

const SOURCE_JSON: &str = r#"{
  "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
  "source.cluster.alias": "A",
  "target.cluster.alias": "B",
  "source.cluster.bootstrap.servers": "a:9092",
  "target.cluster.bootstrap.servers": "b:9092",
  "topics": "orders"
}
"#;

const CHECKPOINT_JSON: &str = r#"{
  "connector.class": "MirrorCheckpointConnector",
  "source.cluster.alias": "A",
  "target.cluster.alias": "B",
  "source.cluster.bootstrap.servers": "a:9092",
  "target.cluster.bootstrap.servers": "b:9092",
  "emit.checkpoints.interval.seconds": "10"
}
"#;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("secrets/b-user");
        fs::create_dir_all(&secret).expect("mkdir");
        fs::write(secret.join("password"), SECRET).expect("write");
        Env { dir }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(&p, text).expect("write");
        p
    }

    fn options(&self) -> LoadConfigOptions {
        LoadConfigOptions {
            secrets_dir: Some(self.dir.path().join("secrets")),
            ..LoadConfigOptions::default()
        }
    }

    fn load(&self, paths: &[PathBuf]) -> Result<MirrorConfig, ConfigError> {
        load_config_files(paths, &self.options())
    }

    /// Loads `text` as `name`; returns the error and the file's display name.
    fn yaml(&self, name: &str, text: &str) -> (Result<MirrorConfig, ConfigError>, String) {
        let p = self.write(name, text);
        (self.load(std::slice::from_ref(&p)), p.display().to_string())
    }

    fn mm1(&self, args: &[&str]) -> Result<MirrorConfig, ConfigError> {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("DIR", &self.dir.path().display().to_string()))
            .collect();
        load_mm1(&parse_mm1_args(&args)?, &self.options())
    }
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or_else(|| panic!("`{needle}` not in text"), |i| i + 1)
}

fn expect_error(case: &str, result: Result<MirrorConfig, ConfigError>, wanted: &[&str]) {
    let e = match result {
        Ok(_) => panic!("{case}: loaded, expected an error containing {wanted:?}"),
        Err(e) => e.to_string(),
    };
    for w in wanted {
        assert!(e.contains(w), "{case}: `{w}` not in error:\n{e}");
    }
    assert!(!e.contains(SECRET), "{case}: error shows a secret:\n{e}");
}

fn at(file: &str, line: usize, key: &str) -> String {
    format!("{file}:{line}: `{key}`")
}

#[test]
fn malformed_yaml() {
    let env = Env::new();
    // Sanity: the template loads, and nothing secret is in its summary.
    let (ok, _) = env.yaml("ok.yaml", KMM2);
    let c = ok.expect("template loads");
    let s = format!("{}{}", c.summary(), c.summary().to_json());
    assert!(!s.contains(SECRET));

    type Case = (&'static str, String, Vec<String>);
    let cases: Vec<Case> = vec![
        (
            "unknown kind",
            KMM2.replace("kind: KafkaMirrorMaker2", "kind: KafkaMirorMaker2"),
            vec![
                at("F", 2, "kind"),
                "= `KafkaMirorMaker2`: expected KafkaMirrorMaker2 or KafkaMirrorMaker".into(),
            ],
        ),
        (
            "unknown api version",
            KMM2.replace("kafka.strimzi.io/v1beta2", "kafka.strimzi.io/v2"),
            vec![
                at("F", 1, "apiVersion"),
                "= `kafka.strimzi.io/v2`: expected kafka.strimzi.io/v1alpha1".into(),
            ],
        ),
        (
            "missing alias",
            KMM2.replace(
                "  - alias: a\n    bootstrapServers: a:9092",
                "  - bootstrapServers: a:9092",
            ),
            vec!["`spec.clusters[0].alias` is missing: expected a cluster alias".into()],
        ),
        (
            "mirror names an undefined cluster",
            KMM2.replace("sourceCluster: a", "sourceCluster: c"),
            vec![
                at(
                    "F",
                    line_of(KMM2, "sourceCluster: a"),
                    "spec.mirrors[0].sourceCluster",
                ),
                "names cluster `c`".into(),
                "expected one of a, b".into(),
            ],
        ),
        (
            "bad topics regex",
            KMM2.replace("\"orders.*\"", "\"orders[\""),
            vec![
                at(
                    "F",
                    line_of(KMM2, "topicsPattern"),
                    "spec.mirrors[0].topicsPattern",
                ),
                "invalid regular expression `orders[`".into(),
            ],
        ),
        (
            "missing secret file",
            KMM2.replace("secretName: b-user", "secretName: other-user"),
            vec![
                at(
                    "F",
                    line_of(KMM2, "passwordSecret:"),
                    "spec.clusters[1].authentication.passwordSecret",
                ),
                "cannot resolve `secret other-user/password`".into(),
                "does not exist".into(),
                "secrets/other-user/password".into(),
            ],
        ),
        (
            "oauth",
            KMM2.replace("type: scram-sha-512", "type: oauth"),
            vec![
                at(
                    "F",
                    line_of(KMM2, "type: scram"),
                    "spec.clusters[1].authentication.type",
                ),
                "`oauth` (SASL OAUTHBEARER) is not supported".into(),
            ],
        ),
        (
            "misspelt field",
            KMM2.replace("topicsPattern:", "topicPattern:"),
            vec![
                at(
                    "F",
                    line_of(KMM2, "topicsPattern"),
                    "spec.mirrors[0].topicPattern",
                ),
                "expected a known field here".into(),
                "topicsPattern".into(),
            ],
        ),
        (
            "target is not the connect cluster",
            KMM2.replace("connectCluster: b", "connectCluster: a"),
            vec![
                at(
                    "F",
                    line_of(KMM2, "targetCluster: b"),
                    "spec.mirrors[0].targetCluster",
                ),
                "expected the connectCluster `a`".into(),
            ],
        ),
        (
            "yaml syntax",
            KMM2.replace("  - alias: a\n", "  - alias: [a\n"),
            vec!["F:".into(), "expected well-formed YAML".into()],
        ),
        (
            "config value is a list",
            KMM2.replace(
                "sync.topic.acls.enabled: \"false\"",
                "sync.topic.acls.enabled: [false]",
            ),
            vec![
                at(
                    "F",
                    line_of(KMM2, "sync.topic.acls"),
                    "spec.mirrors[0].sourceConnector.config.sync.topic.acls.enabled",
                ),
                "expected a string, number or boolean value, not a list".into(),
            ],
        ),
        (
            "config value of the wrong type",
            KMM2.replace("\"false\"", "maybe"),
            vec![
                at(
                    "F",
                    line_of(KMM2, "sync.topic.acls"),
                    "spec.mirrors[0].sourceConnector.config.sync.topic.acls.enabled",
                ),
                "= `maybe`: expected true or false".into(),
            ],
        ),
        (
            "bad bootstrap servers",
            KMM2.replace(
                "bootstrapServers: a:9092",
                "bootstrapServers: a-without-port",
            ),
            vec![
                at(
                    "F",
                    line_of(KMM2, "a:9092"),
                    "spec.clusters[0].bootstrapServers",
                ),
                "expected a comma-separated list of host:port".into(),
            ],
        ),
        (
            "bad replicas",
            KMM2.replace("replicas: 1", "replicas: two"),
            vec![
                at("F", 6, "spec.replicas"),
                "= `two`: expected a whole number".into(),
            ],
        ),
        (
            "tls client auth without tls",
            KMM2.replace(
                "    bootstrapServers: a:9092\n",
                "    bootstrapServers: a:9092\n    authentication:\n      type: tls\n      \
                 certificateAndKey: {secretName: s, certificate: c, key: k}\n",
            ),
            vec![
                "`spec.clusters[0].authentication.type` = `tls`".into(),
                "TLS client authentication needs TLS encryption".into(),
            ],
        ),
        (
            "v1 target without its group",
            "apiVersion: kafka.strimzi.io/v1\nkind: KafkaMirrorMaker2\nmetadata:\n  name: m\n\
             spec:\n  target:\n    alias: b\n    bootstrapServers: b:9092\n    \
             configStorageTopic: c\n    offsetStorageTopic: o\n    statusStorageTopic: s\n  \
             mirrors:\n  - source:\n      alias: a\n      bootstrapServers: a:9092\n    \
             sourceConnector: {}\n"
                .to_owned(),
            vec![
                at("F", 7, "spec.target.groupId") + " is missing",
                "expected the Connect worker's group.id".into(),
            ],
        ),
        (
            "no mirror resource",
            "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n  name: t\n"
                .to_owned(),
            vec![
                "F: `kind` is missing".into(),
                "expected a KafkaMirrorMaker2 or KafkaMirrorMaker resource".into(),
            ],
        ),
        (
            "KafkaMirrorMaker with include and whitelist",
            format!("{KMM}  whitelist: \"a\"\n"),
            vec![
                at("F", 13, "spec.whitelist"),
                "only one of `include` and the deprecated `whitelist`".into(),
            ],
        ),
        (
            "KafkaMirrorMaker without group",
            KMM.replace("    groupId: g\n", ""),
            vec![
                "`spec.consumer.groupId` is missing".into(),
                "expected the consumer group".into(),
            ],
        ),
        (
            "KafkaMirrorMaker bad whitelist",
            KMM.replace("include: \".*\"", "include: \"(a\""),
            vec![
                at("F", 12, "spec.include"),
                "invalid regular expression `(a`".into(),
            ],
        ),
    ];
    assert!(cases.len() >= 15);
    for (i, (name, text, wanted)) in cases.iter().enumerate() {
        let (result, file) = env.yaml(&format!("case{i}.yaml"), text);
        let wanted: Vec<String> = wanted
            .iter()
            .map(|w| {
                if w == "F:" || w.starts_with("F:") || w.starts_with("F: ") {
                    w.replacen('F', &file, 1)
                } else {
                    w.clone()
                }
            })
            .collect();
        let refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
        expect_error(name, result, &refs);
    }
}

#[test]
fn malformed_json() {
    let env = Env::new();
    let json = |name: &str, text: &str| env.write(&format!("json/{name}"), text);
    let name = |p: &Path| p.display().to_string();

    let p = json("trailing-comma.json", "{\n  \"topics\": \"a\",\n}\n");
    expect_error(
        "trailing comma",
        env.load(std::slice::from_ref(&p)),
        &[&format!("{}:3: column", name(&p)), "expected a JSON object"],
    );

    let p = json(
        "class.json",
        &SOURCE_JSON.replace(
            "org.apache.kafka.connect.mirror.MirrorSourceConnector",
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
        ),
    );
    expect_error(
        "unknown connector class",
        env.load(std::slice::from_ref(&p)),
        &[
            &at(&name(&p), 2, "connector.class"),
            "= `org.apache.kafka.connect.file.FileStreamSourceConnector`",
            "expected org.apache.kafka.connect.mirror.MirrorSourceConnector",
        ],
    );

    let p = json(
        "alias.json",
        &SOURCE_JSON.replace("  \"source.cluster.alias\": \"A\",\n", ""),
    );
    expect_error(
        "missing source alias",
        env.load(std::slice::from_ref(&p)),
        &[&format!(
            "{}:1: `source.cluster.alias` is missing",
            name(&p)
        )],
    );

    let p = json(
        "provider.json",
        &SOURCE_JSON.replace(
            "\"topics\": \"orders\"",
            "\"source.cluster.sasl.jaas.config\": \"${file:/etc/x.properties:jaas}\"",
        ),
    );
    expect_error(
        "undeclared provider",
        env.load(std::slice::from_ref(&p)),
        &[
            &at(&name(&p), 7, "source.cluster.sasl.jaas.config"),
            "cannot resolve `${file:/etc/x.properties:jaas}`",
            "provider `file` is not declared",
        ],
    );

    let p = json(
        "jaas.json",
        &SOURCE_JSON.replace(
            "\"topics\": \"orders\"",
            &format!(
                "\"source.cluster.security.protocol\": \"SASL_PLAINTEXT\",\n  \
                 \"source.cluster.sasl.mechanism\": \"PLAIN\",\n  \
                 \"source.cluster.sasl.jaas.config\": \"org.apache.kafka.common.security.plain.PlainLoginModule required username=\\\"u\\\" password=\\\"{SECRET}\\\"\""
            ),
        ),
    );
    expect_error(
        "JAAS without `;`",
        env.load(std::slice::from_ref(&p)),
        &[
            &at(&name(&p), 9, "source.cluster.sasl.jaas.config"),
            "expected a JAAS login module",
        ],
    );

    let p = json(
        "nested.json",
        &SOURCE_JSON.replace("\"orders\"", "{\"include\": \"orders\"}"),
    );
    expect_error(
        "nested value",
        env.load(std::slice::from_ref(&p)),
        &[
            &at(&name(&p), 7, "topics"),
            "expected a string, number or boolean (Connect configs are flat), not a mapping",
        ],
    );

    // Two files: errors name the file the value is in.
    let s = json("pair/source.json", SOURCE_JSON);
    let c = json(
        "pair/checkpoint.json",
        &CHECKPOINT_JSON.replace("\"10\"", "\"soon\""),
    );
    expect_error(
        "bad value in the second file",
        env.load(&[env.dir.path().join("json/pair")]),
        &[
            &at(&name(&c), 7, "emit.checkpoints.interval.seconds"),
            "= `soon`",
        ],
    );
    fs::write(
        &c,
        CHECKPOINT_JSON.replace(
            "\"emit.checkpoints.interval.seconds\": \"10\"",
            "\"topics\": \"payments\"",
        ),
    )
    .expect("write");
    expect_error(
        "connectors disagree",
        env.load(&[s.clone(), c.clone()]),
        &[
            &at(&name(&c), 7, "topics"),
            "= `payments`",
            &format!("{}:7: `topics` = `orders`", name(&s)),
            "must agree on `topics`",
        ],
    );

    let c = json("alone/checkpoint.json", CHECKPOINT_JSON);
    expect_error(
        "checkpoints without source",
        env.load(std::slice::from_ref(&c)),
        &[
            &format!("{}: `connector.class` is missing", name(&c)),
            "expected a MirrorSourceConnector for the same source and target",
        ],
    );

    let p = json("twice/a.json", SOURCE_JSON);
    let q = json("twice/b.json", SOURCE_JSON);
    expect_error(
        "two source connectors",
        env.load(&[p.clone(), q.clone()]),
        &[
            &at(&name(&q), 2, "connector.class"),
            &format!(
                "one MirrorSourceConnector per source and target: a ({})",
                name(&p)
            ),
        ],
    );
}

#[test]
fn malformed_mm1() {
    let env = Env::new();
    env.write(
        "mm1/consumer.properties",
        "bootstrap.servers=a:9092\ngroup.id=g\n",
    );
    env.write(
        "mm1/producer.properties",
        &format!(
            "bootstrap.servers=b:9092\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n\
             sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
             username=\"u\" password=\"{SECRET}\";\n"
        ),
    );
    let ok = env
        .mm1(&[
            "--consumer.config",
            "DIR/mm1/consumer.properties",
            "--producer.config",
            "DIR/mm1/producer.properties",
            "--whitelist",
            "a.*, b",
        ])
        .expect("loads");
    let f = &ok.flows[0];
    assert!(f.replicates_topic("b") && f.replicates_topic("abc") && !f.replicates_topic("c"));
    assert!(!format!("{}", ok.summary()).contains(SECRET));

    expect_error(
        "missing whitelist",
        env.mm1(&["--consumer.config", "c", "--producer.config", "p"]),
        &[
            "(mirror-maker arguments): `--whitelist` is missing",
            "regular expression",
        ],
    );
    expect_error(
        "unknown option",
        env.mm1(&["--consumer.config", "c", "--bogus", "x"]),
        &["`--bogus`: expected one of --consumer.config"],
    );
    expect_error(
        "bad whitelist",
        env.mm1(&[
            "--consumer.config=DIR/mm1/consumer.properties",
            "--producer.config=DIR/mm1/producer.properties",
            "--whitelist=a[",
        ]),
        &[
            "(mirror-maker arguments): `--whitelist`",
            "invalid regular expression `a[`",
        ],
    );
    expect_error(
        "zero streams",
        env.mm1(&[
            "--consumer.config=DIR/mm1/consumer.properties",
            "--producer.config=DIR/mm1/producer.properties",
            "--whitelist=.*",
            "--num.streams=0",
        ]),
        &["`--num.streams` = `0`: expected an integer >= 1"],
    );
    let no_group = env.write("mm1/nogroup.properties", "bootstrap.servers=a:9092\n");
    expect_error(
        "consumer without group.id",
        env.mm1(&[
            "--consumer.config=DIR/mm1/nogroup.properties",
            "--producer.config=DIR/mm1/producer.properties",
            "--whitelist=.*",
        ]),
        &[
            &format!("{}: `group.id` is missing", no_group.display()),
            "expected the consumer group",
        ],
    );
    let bad = env.write(
        "mm1/bad-producer.properties",
        &format!(
            "bootstrap.servers=b:9092\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n\
             sasl.jaas.config=PlainLoginModule required password=\"{SECRET}\"\n"
        ),
    );
    expect_error(
        "producer with a broken JAAS config",
        env.mm1(&[
            "--consumer.config=DIR/mm1/consumer.properties",
            "--producer.config=DIR/mm1/bad-producer.properties",
            "--whitelist=.*",
        ]),
        &[
            &at(&bad.display().to_string(), 4, "sasl.jaas.config"),
            "expected a JAAS login module",
        ],
    );
    expect_error(
        "missing consumer file",
        env.mm1(&[
            "--consumer.config=DIR/mm1/none.properties",
            "--producer.config=DIR/mm1/producer.properties",
            "--whitelist=.*",
        ]),
        &["cannot read", "none.properties"],
    );
    expect_error(
        "commit interval",
        env.mm1(&[
            "--consumer.config=DIR/mm1/consumer.properties",
            "--producer.config=DIR/mm1/producer.properties",
            "--whitelist=.*",
            "--offset.commit.interval.ms=often",
        ]),
        &["`--offset.commit.interval.ms` = `often`: expected a whole number of milliseconds"],
    );
}

/// Shapes the seeds do not use: the `v1` layout (target with the Connect group and topics,
/// inline mirror sources), certificate patterns, custom authentication, paused
/// connectors, and Connect's `{"name", "config"}` form.
#[test]
fn other_valid_shapes_load() {
    let env = Env::new();
    let ca = env.dir.path().join("secrets/src-ca");
    fs::create_dir_all(&ca).expect("mkdir");
    fs::write(
        ca.join("a.crt"),
        "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    fs::write(
        ca.join("b.crt"),
        "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let (c, _) = env.yaml(
        "v1.yaml",
        "apiVersion: kafka.strimzi.io/v1\nkind: KafkaMirrorMaker2\nmetadata:\n  name: m\n\
         spec:\n  replicas: 4\n  template: {pod: {}}\n  target:\n    alias: dr\n    \
         bootstrapServers: dr:9093\n    groupId: my-mm2\n    configStorageTopic: my-mm2-configs\n    \
         offsetStorageTopic: my-mm2-offsets\n    statusStorageTopic: my-mm2-status\n    \
         authentication:\n      type: custom\n      sasl: true\n      config:\n        \
         sasl.mechanism: SCRAM-SHA-256\n        sasl.jaas.config: \
         org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";\n  \
         mirrors:\n  - source:\n      alias: prod\n      bootstrapServers: prod:9093\n      \
         tls:\n        trustedCertificates:\n        - secretName: src-ca\n          pattern: \"*.crt\"\n    \
         sourceConnector:\n      tasksMax: 3\n    checkpointConnector:\n      state: paused\n    \
         topicsPattern: \"orders.*\"\n    topicsBlacklistPattern: \"orders-tmp\"\n",
    );
    let c = c.expect("v1 loads");
    assert_eq!(c.replicas, Some(4));
    let f = c.flow("prod", "dr").expect("flow");
    assert!(f.enabled);
    assert_eq!(f.tasks_max, 3);
    assert_eq!(f.worker.group_id, "my-mm2");
    assert_eq!(f.worker.offsets_topic, "my-mm2-offsets");
    assert!(!f.checkpoints.emit.enabled, "paused checkpoint connector");
    assert!(!f.heartbeats.emit.enabled, "v1 has no heartbeat connector");
    assert!(f.replicates_topic("orders.eu") && !f.replicates_topic("orders-tmp"));
    let prod = &c.clusters["prod"];
    assert_eq!(prod.security.protocol, strait_config::SecurityProtocol::Ssl);
    match &prod
        .security
        .ssl
        .as_ref()
        .and_then(|s| s.truststore.as_ref())
        .map(|t| &t.source)
    {
        Some(strait_config::TrustSource::InlinePem(pem)) => {
            assert!(pem.contains("\nA\n") && pem.contains("\nB\n"), "{pem}");
        }
        other => panic!("{other:?}"),
    }
    let dr = &c.clusters["dr"];
    assert_eq!(
        dr.security.protocol,
        strait_config::SecurityProtocol::SaslPlaintext
    );

    let p = env.write(
        "named/connector.json",
        &format!("{{\"name\": \"mm2-src\", \"config\": {SOURCE_JSON}}}"),
    );
    let c = env.load(std::slice::from_ref(&p)).expect("loads");
    let f = c.flow("A", "B").expect("flow");
    assert_eq!(f.raw.get("name").map(|v| v.expose()), Some("mm2-src"));
    assert!(!f.heartbeats.emit.enabled && !f.checkpoints.emit.enabled);
    assert_eq!(f.worker.offsets_topic, "connect-offsets");
}

/// Every prefix (by line) of the seeds' YAML and JSON loads or fails with an error; none
/// panics, and no error shows the secret.
#[test]
fn truncated_inputs_never_panic() {
    let env = Env::new();
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seeds");
    for rel in [
        "000/kafka-mirror-maker-2-to-eh.yaml",
        "001/kafka-mirror-maker.yaml",
        "003/mm2.yaml",
        "004/mm2.yaml",
        "002/connect/connectors/mirror-source-connector.json",
    ] {
        let text = fs::read_to_string(seeds.join(rel)).expect("read");
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let ext = Path::new(rel)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("yaml");
        for n in 0..lines.len() {
            let cut: String = lines[..n].concat();
            let p = env.write(&format!("cut/{n}.{ext}"), &cut);
            if let Err(e) = env.load(&[p]) {
                assert!(!e.to_string().contains(SECRET), "{rel} cut at {n}: {e}");
            }
        }
    }
}
