//! Proves the harness: the clusters it started speak Kafka, at the versions promised, with the
//! security promised, checked with Kafka's own Java tools as the client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use strait_harness::{Harness, unique_topic, users};

fn create_topic(h: &Harness, bootstrap: &str, topic: &str, config: Option<&std::path::Path>) {
    let mut args = vec![
        "--bootstrap-server",
        bootstrap,
        "--create",
        "--topic",
        topic,
        "--partitions",
        "3",
        "--replication-factor",
        "1",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    if let Some(c) = config {
        args.extend(["--command-config".into(), c.display().to_string()]);
    }
    h.tool("org.apache.kafka.tools.TopicCommand")
        .args(args)
        .run()
        .expect_ok("create topic");
}

fn produce(
    h: &Harness,
    bootstrap: &str,
    topic: &str,
    lines: &[String],
    config: Option<&std::path::Path>,
) {
    let mut args = vec![
        "--bootstrap-server".to_string(),
        bootstrap.into(),
        "--topic".into(),
        topic.into(),
    ];
    args.extend(["--reader-property".into(), "parse.key=true".into()]);
    args.extend(["--reader-property".into(), "key.separator=:".into()]);
    if let Some(c) = config {
        args.extend(["--command-config".into(), c.display().to_string()]);
    }
    h.tool("org.apache.kafka.tools.ConsoleProducer")
        .args(args)
        .stdin(lines.join("\n") + "\n")
        .run()
        .expect_ok("console producer");
}

fn consume(
    h: &Harness,
    bootstrap: &str,
    topic: &str,
    n: usize,
    config: Option<&std::path::Path>,
) -> Vec<String> {
    let mut args = vec![
        "--bootstrap-server".to_string(),
        bootstrap.into(),
        "--topic".into(),
        topic.into(),
        "--from-beginning".into(),
        "--max-messages".into(),
        n.to_string(),
        "--timeout-ms".into(),
        "30000".into(),
        "--formatter-property".into(),
        "print.key=true".into(),
        "--formatter-property".into(),
        "key.separator=:".into(),
    ];
    if let Some(c) = config {
        args.extend(["--command-config".into(), c.display().to_string()]);
    }
    let out = h
        .tool("org.apache.kafka.tools.consumer.ConsoleConsumer")
        .args(args)
        .run();
    let mut got: Vec<String> = out.stdout.lines().map(str::to_owned).collect();
    got.sort();
    got
}

/// ApiVersions as the broker reports them: Kafka 4.x dropped Fetch v0-v3 (KIP-896), 3.9 has them.
/// (Produce is no witness: 4.x still advertises v0 for old librdkafka clients.)
fn fetch_min_version(h: &Harness, bootstrap: &str) -> String {
    let out = h
        .tool("org.apache.kafka.tools.BrokerApiVersionsCommand")
        .args(["--bootstrap-server", bootstrap])
        .run()
        .expect_ok("broker api versions");
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("Fetch(1)"))
        .unwrap_or_default()
        .to_owned();
    let start = line
        .find("Fetch(1): ")
        .map(|i| i + "Fetch(1): ".len())
        .unwrap_or(0);
    line[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn two_4x_clusters_and_one_3_9_answer_with_their_versions() {
    let h = Harness::get();
    assert_eq!(
        fetch_min_version(&h, h.a()),
        "4",
        "cluster a should be Kafka 4.x"
    );
    assert_eq!(
        fetch_min_version(&h, h.b()),
        "4",
        "cluster b should be Kafka 4.x"
    );
    assert_eq!(
        fetch_min_version(&h, h.legacy()),
        "0",
        "cluster legacy should be Kafka 3.9"
    );
}

#[test]
fn records_produced_on_each_plain_cluster_are_consumed_back() {
    let h = Harness::get();
    for bootstrap in [h.a(), h.b(), h.legacy()] {
        let topic = unique_topic("harness-roundtrip");
        create_topic(&h, bootstrap, &topic, None);
        let lines: Vec<String> = (0..10).map(|i| format!("k{i}:value-{i}")).collect();
        produce(&h, bootstrap, &topic, &lines, None);
        let mut want = lines.clone();
        want.sort();
        assert_eq!(
            consume(&h, bootstrap, &topic, lines.len(), None),
            want,
            "cluster {bootstrap}"
        );
    }
}

#[test]
fn scram_user_with_acls_reads_and_writes_its_topics() {
    let h = Harness::get();
    let (user, pw) = users::ALICE;
    let props = h.sasl_properties("SCRAM-SHA-512", user, pw);
    let config = h.client_properties("alice-scram512", &props);
    let topic = unique_topic("alice-harness");
    create_topic(&h, h.sasl(), &topic, Some(&config));
    let lines = vec!["a:1".to_string(), "b:2".to_string()];
    produce(&h, h.sasl(), &topic, &lines, Some(&config));
    let consumer_props = [
        props,
        vec![format!("group.id={}", unique_topic("alice-group"))],
    ]
    .concat();
    let consumer_config = h.client_properties("alice-scram512-consumer", &consumer_props);
    assert_eq!(
        consume(&h, h.sasl(), &topic, 2, Some(&consumer_config)),
        lines
    );
}

#[test]
fn scram_cluster_rejects_a_wrong_password() {
    let h = Harness::get();
    let props = h.sasl_properties("SCRAM-SHA-512", users::ALICE.0, "not-the-password");
    let config = h.client_properties("alice-wrong-password", &props);
    let out = h
        .tool("org.apache.kafka.tools.TopicCommand")
        .args(["--bootstrap-server", h.sasl(), "--list", "--command-config"])
        .args([config.display().to_string()])
        .run();
    assert!(
        !out.success,
        "listing topics with a wrong password succeeded:\n{}",
        out.all()
    );
    assert!(
        out.all().contains("Authentication failed"),
        "unexpected error:\n{}",
        out.all()
    );
}

#[test]
fn acls_deny_an_unauthorized_principal() {
    let h = Harness::get();
    let (user, pw) = users::BOB;
    let config = h.client_properties("bob-plain", &h.sasl_properties("PLAIN", user, pw));
    let out = h
        .tool("org.apache.kafka.tools.TopicCommand")
        .args([
            "--bootstrap-server",
            h.sasl(),
            "--create",
            "--topic",
            &unique_topic("bob-harness"),
        ])
        .args([
            "--partitions",
            "1",
            "--replication-factor",
            "1",
            "--command-config",
        ])
        .args([config.display().to_string()])
        .run();
    assert!(
        !out.success,
        "bob created a topic without any ACL:\n{}",
        out.all()
    );
    assert!(
        out.all().contains("AuthorizationException"),
        "unexpected error:\n{}",
        out.all()
    );
}

#[test]
fn ssl_listener_accepts_a_client_that_trusts_the_ca_and_rejects_one_that_does_not() {
    let h = Harness::get();
    let trusting = h.client_properties(
        "ssl-trusting",
        &[
            "security.protocol=SSL".into(),
            "ssl.truststore.type=PEM".into(),
            format!("ssl.truststore.location={}", h.ssl_ca().display()),
        ],
    );
    let topic = unique_topic("harness-ssl");
    create_topic(&h, h.ssl(), &topic, Some(&trusting));
    let listed = h
        .tool("org.apache.kafka.tools.TopicCommand")
        .args(["--bootstrap-server", h.ssl(), "--list", "--command-config"])
        .args([trusting.display().to_string()])
        .run()
        .expect_ok("list over SSL");
    assert!(
        listed.stdout.lines().any(|l| l == topic),
        "{topic} not listed over SSL"
    );

    let untrusting = h.client_properties("ssl-untrusting", &["security.protocol=SSL".into()]);
    let out = h
        .tool("org.apache.kafka.tools.TopicCommand")
        .args(["--bootstrap-server", h.ssl(), "--list", "--command-config"])
        .args([untrusting.display().to_string()])
        .run();
    assert!(
        !out.success,
        "a client without the CA connected:\n{}",
        out.all()
    );
    assert!(
        out.all().contains("SSL handshake failed"),
        "unexpected error:\n{}",
        out.all()
    );
}
