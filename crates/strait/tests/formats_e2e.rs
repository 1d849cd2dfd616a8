//! Acceptance of the seeds' formats: each runs a real mirror between two harness clusters with
//! `strait run` as the user wrote it. Only what cannot exist here is changed: host names become
//! harness addresses, topic names become unique, and internal topics get replication factor 1
//! where the seed relies on the default of 3 (harness clusters have one broker; Java MM2 fails
//! the same way there).
//!
//! * seed 004, Strimzi `KafkaMirrorMaker2`: source `secure2` over TLS with a client certificate,
//!   target `secure` over SASL_SSL with SCRAM-SHA-512; CAs, key and password from a secrets dir;
//! * seed 002, Kafka Connect connector JSON: both clusters SASL_PLAINTEXT with PLAIN users whose
//!   names and passwords come from `${file:}` references into a mounted kafka.properties;
//! * seed 001, Strimzi `KafkaMirrorMaker`: MirrorMaker 1 from `a` to `secure` over SASL_SSL
//!   with the system trust store (`trustedCertificates: []`), positions in the source group;
//! * the MirrorMaker 1 command line (`strait mirror-maker`), resuming from the source group.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use kwire::client::{Client, CommittedOffset, TopicPartition};
use kwire::connection::{ClientConfig, SaslConfig, SaslMechanism, Secret, SecurityProtocol};
use strait_harness::{Harness, unique_topic};

const ADMIN_PASSWORD: &str = "admin-secret";
const PARTITIONS: i32 = 3;
const RECORDS: usize = 200;
/// The repository's verbatim copies of the seeds.
const SEEDS: &str = "../config/tests/fixtures/seeds";
/// How often the waits for strait's copies and commits look again.
const POLL_EVERY: Duration = Duration::from_millis(300);

fn seed(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(SEEDS).join(path)
}

fn read_seed(path: &str) -> String {
    std::fs::read_to_string(seed(path)).unwrap()
}

/// `text` with `from` replaced, which must occur in it (so a changed fixture fails loudly).
fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "fixture no longer contains {from:?}");
    text.replace(from, to)
}

/// `text` with `line` added after the first line containing `anchor`, indented as that line
/// (whose indentation may hold non-breaking spaces copied from a web page).
fn add_after_line(text: &str, anchor: &str, line: &str) -> String {
    let mut out = Vec::new();
    let mut added = false;
    for l in text.lines() {
        out.push(l.to_owned());
        if !added && l.contains(anchor) {
            let body = l.trim_start_matches(|c: char| c.is_whitespace());
            out.push(format!("{}{line}", &l[..l.len() - body.len()]));
            added = true;
        }
    }
    assert!(added, "fixture no longer contains {anchor:?}");
    out.join("\n") + "\n"
}

/// The admin (PLAIN super user) of a secure cluster over SASL_PLAINTEXT, to set up and check.
async fn secure_admin(bootstrap: &str, name: &str) -> Client {
    let mut c = ClientConfig::new(vec![bootstrap.to_owned()], name);
    c.security = SecurityProtocol::SaslPlaintext;
    c.sasl = Some(SaslConfig {
        mechanism: SaslMechanism::Plain,
        username: "admin".into(),
        password: Secret::new(ADMIN_PASSWORD),
    });
    Client::connect(c).await.unwrap()
}

/// Writes `DIR/<secret>/<key>` as Kubernetes mounts Secrets.
fn put_secret(dir: &Path, secret: &str, key: &str, value: &[u8]) {
    let d = dir.join(secret);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(key), value).unwrap();
}

fn tls_file(h: &Harness, suffix: &str, name: &str) -> Vec<u8> {
    let dir = PathBuf::from(h.var(&format!("STRAIT_KAFKA_TLS_DIR{suffix}")));
    std::fs::read(dir.join(name)).unwrap()
}

/// Runs a Kafka admin tool against the `secure` cluster as its admin.
fn secure_tool(h: &Harness, class: &str, args: &[&str]) {
    let admin = h.client_properties(
        "secure-admin",
        &h.sasl_properties("PLAIN", "admin", ADMIN_PASSWORD),
    );
    let mut all = vec!["--bootstrap-server", h.sasl(), "--command-config"];
    let admin = admin.display().to_string();
    all.push(&admin);
    all.extend_from_slice(args);
    h.tool(class).args(all).run().expect_ok(class);
}

/// `strait run ARGS...` with its output in `dir/name.log`.
fn start_strait_with(args: &[&str], env: &[(&str, &str)], dir: &Path, name: &str) -> Proc {
    let mut command = Command::new(strait_bin());
    command.args(args).env("STRAIT_LOG", "info,mirror=debug");
    for (k, v) in env {
        command.env(k, v);
    }
    Proc::spawn(name, command, &dir.join(format!("{name}.log")))
}

/// Waits until `remote` on `target` holds exactly the records produced to the source.
async fn wait_mirrored(target: &Client, remote: &str, want: &[Vec<Bytes>], who: &mut Proc) {
    let expected: Vec<i64> = want.iter().map(|p| p.len() as i64).collect();
    let who = std::slice::from_mut(who);
    poll_running(who, Duration::from_secs(120), POLL_EVERY, 40, || async {
        let ends = end_offsets_if_exists(target, remote, PARTITIONS).await;
        if ends.as_ref() == Some(&expected) {
            return Ok(());
        }
        Err(format!(
            "{remote} did not get {expected:?} records in 120 s"
        ))
    })
    .await;
    assert_eq!(&read_values(target, remote, PARTITIONS).await, want);
}

/// Stops strait with SIGTERM; it must exit 0, and its log must not show any of `secrets`.
async fn stop_clean(proc: Proc, dir: &Path, name: &str, secrets: &[&[u8]]) {
    let status = proc.terminate(Duration::from_secs(60)).await;
    let log = std::fs::read(dir.join(format!("{name}.log"))).unwrap();
    assert!(
        status.success(),
        "{name} exited with {status}:\n{}",
        String::from_utf8_lossy(&log)
    );
    for secret in secrets {
        let secret = String::from_utf8_lossy(secret);
        let secret = secret.trim();
        assert!(
            !String::from_utf8_lossy(&log).contains(secret),
            "{name}'s log shows a secret"
        );
    }
}

async fn produce_all(client: &Client, topic: &str, tag: &str) -> Vec<Vec<Bytes>> {
    produce_tagged(client, topic, PARTITIONS, tag, RECORDS, 50).await;
    read_values(client, topic, PARTITIONS).await
}

/// Seed 004: Strimzi `KafkaMirrorMaker2` (v1beta2) with mutual TLS to the source and
/// SCRAM-SHA-512 over TLS to the target, identity replication policy, offset syncs on the target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strimzi_mm2_resource_with_mtls_and_scram_sha_512() {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    let (t1, t2) = (unique_topic("app1-t1"), unique_topic("app3-t2"));
    let user = "kafka.mm2.migration-user";
    let password = format!("scram-{}", unique_topic("pw"));
    // The KafkaUser of the seed, as the operator would create it on the target cluster.
    let scram = format!("SCRAM-SHA-512=[password={password}]");
    let alter = [
        "--alter",
        "--entity-type",
        "users",
        "--entity-name",
        user,
        "--add-config",
        &scram,
    ];
    secure_tool(&h, "kafka.admin.ConfigCommand", &alter);
    let principal = format!("User:{user}");
    let acl = [
        "--add",
        "--allow-principal",
        &principal,
        "--operation",
        "All",
        "--topic",
        "*",
        "--group",
        "*",
        "--cluster",
    ];
    secure_tool(&h, "org.apache.kafka.tools.AclCommand", &acl);

    let mut cr = read_seed("004/mm2.yaml");
    cr = replace(
        &cr,
        "my-source-cluster-kafka-bootstrap:9093",
        h.var("STRAIT_KAFKA_SSL2"),
    );
    let target_tls = h.var("STRAIT_KAFKA_SASL_SSL");
    cr = replace(&cr, "my-target-cluster-kafka-bootstrap:9093", target_tls);
    let topics = format!("\"{t1}, {t2}\"");
    cr = replace(
        &cr,
        "\"app1-t1, app1-t2, app2-t1, app3-t1, app3-t2\"",
        &topics,
    );
    cr = replace(&cr, "replication.factor: 3", "replication.factor: 1");
    cr = add_after_line(&cr, "sync.topic.acls.enabled", "replication.factor: 1");
    cr = add_after_line(
        &cr,
        "sync.topic.acls.enabled",
        "offset-syncs.topic.replication.factor: 1",
    );
    let cr_path = write_file(dir.path(), "mm2.yaml", &cr);

    let secrets = dir.path().join("secrets");
    let (ca2, ca) = (tls_file(&h, "2", "ca.pem"), tls_file(&h, "", "ca.pem"));
    let (cert, key) = (
        tls_file(&h, "2", "client.crt"),
        tls_file(&h, "2", "client.key"),
    );
    put_secret(
        &secrets,
        "my-source-cluster-cluster-ca-cert",
        "ca.crt",
        &ca2,
    );
    put_secret(&secrets, "mm2-source-cluster", "tls.crt", &cert);
    put_secret(&secrets, "mm2-source-cluster", "tls.key", &key);
    put_secret(&secrets, "my-target-cluster-cluster-ca-cert", "ca.crt", &ca);
    put_secret(
        &secrets,
        "mm2-target-cluster",
        "password",
        password.as_bytes(),
    );

    let source = secure_admin(h.var("STRAIT_KAFKA_SASL2"), "seed004-source").await;
    let target = secure_admin(h.sasl(), "seed004-target").await;
    create_topic(&source, &t1, PARTITIONS).await;
    create_topic(&source, &t2, PARTITIONS).await;
    let want1 = produce_all(&source, &t1, "one").await;
    let want2 = produce_all(&source, &t2, "two").await;

    let secrets_arg = secrets.display().to_string();
    let cr_arg = cr_path.display().to_string();
    let args = ["run", &cr_arg, "--secrets-dir", &secrets_arg];
    let mut strait = start_strait_with(&args, &[], dir.path(), "seed004");
    // IdentityReplicationPolicy: the same names on the target.
    wait_mirrored(&target, &t1, &want1, &mut strait).await;
    wait_mirrored(&target, &t2, &want2, &mut strait).await;
    // offset-syncs.topic.location: target.
    let syncs = "mm2-offset-syncs.my-source-cluster.internal";
    wait_for(
        Duration::from_secs(30),
        "offset syncs on the target",
        || async { topic_exists(&target, syncs).await.then_some(()) },
    )
    .await;
    let hidden = [password.as_bytes(), &key[..]];
    stop_clean(strait, dir.path(), "seed004", &hidden).await;
}

/// Seed 002: the three connector JSON files and the worker's connect.properties, PLAIN users on
/// both clusters, `${file:/opt/kafka/custom-config/kafka.properties:…}` from a mounted folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_json_with_plain_users_from_file_references() {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic("seed002");
    let (kafka1, kafka2) = (h.sasl(), h.var("STRAIT_KAFKA_SASL2"));
    let connect = dir.path().join("connect");
    let connectors = connect.join("connectors");
    std::fs::create_dir_all(&connectors).unwrap();
    for name in [
        "mirror-source-connector.json",
        "mirror-checkpoint-connector.json",
        "mirror-heartbeat-connector.json",
    ] {
        let mut json = read_seed(&format!("002/connect/connectors/{name}"));
        json = replace(&json, "kafka1:39092", kafka1);
        json = replace(&json, "kafka2:39092", kafka2);
        if name == "mirror-checkpoint-connector.json" {
            let on = "\"emit.checkpoint.enabled\": \"true\",";
            let one_broker = format!("{on}\n    \"checkpoints.topic.replication.factor\": \"1\",");
            json = replace(&json, on, &one_broker);
        }
        if name == "mirror-source-connector.json" {
            json = replace(
                &json,
                "\"topics\": \"test\"",
                &format!("\"topics\": \"{topic}\""),
            );
        }
        write_file(&connectors, name, &json);
    }
    let worker = read_seed("002/connect/connect.properties");
    write_file(&connect, "connect.properties", &worker);
    // The deployment's own secrets file, in the seed's layout: here every user is the admin.
    let secrets = format!(
        "bootstrap.servers={kafka2}\nbroker.sasl.mechanism=PLAIN\n\
         broker.security.protocol=SASL_PLAINTEXT\n\nbroker.username=admin\n\
         broker.password={ADMIN_PASSWORD}\n\nmirrormaker.username=admin\n\
         mirrormaker1.password={ADMIN_PASSWORD}\nmirrormaker2.password={ADMIN_PASSWORD}\n"
    );
    write_file(&connect, "kafka.properties", &secrets);

    let source = secure_admin(kafka1, "seed002-source").await;
    let target = secure_admin(kafka2, "seed002-target").await;
    create_topic(&source, &topic, PARTITIONS).await;
    let want = produce_all(&source, &topic, "s2").await;

    let mount = format!("/opt/kafka/custom-config={}", connect.display());
    let (props, dir_arg) = (
        connect.join("connect.properties").display().to_string(),
        connectors.display().to_string(),
    );
    let args = ["run", &props, &dir_arg, "--mount", &mount];
    let mut strait = start_strait_with(&args, &[], dir.path(), "seed002");
    // DefaultReplicationPolicy: `kafka-1.<topic>`; heartbeats every second into `heartbeats`.
    wait_mirrored(&target, &format!("kafka-1.{topic}"), &want, &mut strait).await;
    wait_for(Duration::from_secs(30), "heartbeats on kafka-2", || async {
        end_offsets_if_exists(&target, "heartbeats", 1)
            .await
            .filter(|e| e[0] > 0)
    })
    .await;
    stop_clean(strait, dir.path(), "seed002", &[ADMIN_PASSWORD.as_bytes()]).await;
}

/// Committed offsets of `group` for `topic`'s partitions (`None` where nothing is committed).
async fn group_offsets(client: &Client, group: &str, topic: &str) -> Vec<Option<i64>> {
    let committed = client.offset_fetch(group, None).await.unwrap();
    (0..PARTITIONS)
        .map(|p| {
            committed
                .get(&TopicPartition::new(topic, p))
                .map(|c| c.offset)
        })
        .collect()
}

/// Waits until the source group has committed `want` for every partition.
async fn wait_committed(client: &Client, group: &str, topic: &str, want: &[i64], who: &mut Proc) {
    let want: Vec<Option<i64>> = want.iter().copied().map(Some).collect();
    let who = std::slice::from_mut(who);
    poll_running(who, Duration::from_secs(60), POLL_EVERY, 40, || async {
        let got = group_offsets(client, group, topic).await;
        if got == want {
            return Ok(());
        }
        Err(format!(
            "group {group} committed {got:?}, expected {want:?}"
        ))
    })
    .await;
}

/// Seed 001: Strimzi `KafkaMirrorMaker` (MirrorMaker 1) from a plaintext cluster to a SASL_SSL
/// one with PLAIN, whose CA comes from the system trust store (`SSL_CERT_FILE` here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strimzi_mirror_maker_1_resource() {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic("seed001");
    let group = unique_topic("seed001-group");
    let mut cr = read_seed("001/kafka-mirror-maker.yaml");
    cr = replace(&cr, "my-cluster-kafka-bootstrap:9092", h.a());
    let eventhubs = "<eventhubs-namespace>.servicebus.windows.net:9093";
    cr = replace(&cr, eventhubs, h.var("STRAIT_KAFKA_SASL_SSL"));
    cr = replace(&cr, "my-source-group-id", &group);
    cr = replace(&cr, "whitelist: \".*\"", &format!("whitelist: \"{topic}\""));
    // Event Hubs' user is `$ConnectionString`; the harness knows PLAIN users admin/alice/bob.
    cr = replace(&cr, "username: $ConnectionString", "username: admin");
    let cr_path = write_file(dir.path(), "mm1.yaml", &cr);
    let secrets = dir.path().join("secrets");
    put_secret(
        &secrets,
        "eventhubssecret",
        "eventhubspassword",
        ADMIN_PASSWORD.as_bytes(),
    );

    let source = connect(h.a(), "seed001-source").await;
    let target = secure_admin(h.sasl(), "seed001-target").await;
    create_topic(&source, &topic, PARTITIONS).await;
    let before = produce_all(&source, &topic, "old").await;
    // MM1 resumes where its group stopped: the first 50 of each partition were copied before.
    let resume: Vec<(TopicPartition, CommittedOffset)> = (0..PARTITIONS)
        .map(|p| {
            let at = CommittedOffset {
                offset: 50,
                leader_epoch: None,
                metadata: None,
            };
            (TopicPartition::new(&topic, p), at)
        })
        .collect();
    for (_, r) in source.offset_commit(&group, resume).await.unwrap() {
        r.unwrap();
    }

    let ca = h.ssl_ca().display().to_string();
    let (cr_arg, secrets_arg) = (cr_path.display().to_string(), secrets.display().to_string());
    let args = ["run", &cr_arg, "--secrets-dir", &secrets_arg];
    let env = [("SSL_CERT_FILE", ca.as_str())];
    let mut strait = start_strait_with(&args, &env, dir.path(), "seed001");
    let want: Vec<Vec<Bytes>> = before.iter().map(|p| p[50..].to_vec()).collect();
    wait_mirrored(&target, &topic, &want, &mut strait).await;
    // Strimzi's default offsetCommitInterval is 60 s: SIGTERM stores the final positions.
    stop_clean(strait, dir.path(), "seed001", &[ADMIN_PASSWORD.as_bytes()]).await;
    let ends = end_offsets(&source, &topic, PARTITIONS).await;
    let got = group_offsets(&source, &group, &topic).await;
    assert_eq!(got, ends.into_iter().map(Some).collect::<Vec<_>>());
}

/// The MirrorMaker 1 command line: `strait mirror-maker` with kafka-mirror-maker.sh arguments,
/// positions committed to the consumer's group on the source while running, and a restart that
/// copies only what is new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_maker_1_command_line_resumes_from_the_source_group() {
    let h = Harness::get();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_topic("mm1-cli");
    let group = unique_topic("mm1-cli-group");
    let consumer = format!(
        "bootstrap.servers={}\ngroup.id={group}\nauto.offset.reset=earliest\n",
        h.a()
    );
    let consumer = write_file(dir.path(), "consumer.properties", &consumer);
    let producer = format!("bootstrap.servers={}\nacks=all\n", h.b());
    let producer = write_file(dir.path(), "producer.properties", &producer);
    let (c, p) = (
        consumer.display().to_string(),
        producer.display().to_string(),
    );
    let args = [
        "mirror-maker",
        "--consumer.config",
        &c,
        "--producer.config",
        &p,
        "--whitelist",
        &topic,
        "--offset.commit.interval.ms",
        "500",
        "--num.streams",
        "2",
    ];
    let source = connect(h.a(), "mm1-cli-source").await;
    let target = connect(h.b(), "mm1-cli-target").await;
    create_topic(&source, &topic, PARTITIONS).await;
    let first = produce_all(&source, &topic, "first").await;

    let mut strait = start_strait_with(&args, &[], dir.path(), "mm1-cli");
    wait_mirrored(&target, &topic, &first, &mut strait).await;
    let ends = end_offsets(&source, &topic, PARTITIONS).await;
    // Committed while running, every offset.commit.interval.ms.
    wait_committed(&source, &group, &topic, &ends, &mut strait).await;
    strait.kill9();

    produce_tagged(&source, &topic, PARTITIONS, "second", 100, 25).await;
    let all = read_values(&source, &topic, PARTITIONS).await;
    let mut strait = start_strait_with(&args, &[], dir.path(), "mm1-cli-again");
    wait_mirrored(&target, &topic, &all, &mut strait).await;
    stop_clean(strait, dir.path(), "mm1-cli-again", &[]).await;
    let ends = end_offsets(&source, &topic, PARTITIONS).await;
    let got = group_offsets(&source, &group, &topic).await;
    assert_eq!(got, ends.into_iter().map(Some).collect::<Vec<_>>());
}
