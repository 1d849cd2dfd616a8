//! SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS against the harness's secure cluster,
//! fast and clear authentication failures, and authorization errors surfaced as fatal.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kafka_protocol::ResponseError;
use kwire::client::{
    AclBinding, AclBindingFilter, AclOperation, AclPermission, AclResourceType, Client, NewTopic,
    PatternType, ProduceOptions, ProducePartition,
};
use kwire::connection::{
    CaSource, ClientCert, ClientConfig, PemSource, SaslConfig, SaslMechanism, Secret,
    SecurityProtocol,
};

use common::{batch, create_topic, fetch_all, tp, unique, var};

fn sasl_config(mechanism: SaslMechanism, user: &str, password: &str) -> ClientConfig {
    let mut c = common::config(&var("STRAIT_KAFKA_SASL"), "secure");
    c.security = SecurityProtocol::SaslPlaintext;
    c.sasl = Some(SaslConfig {
        mechanism,
        username: user.into(),
        password: Secret::new(password),
    });
    c
}

/// Creates a topic named after `prefix`, produces `value` to it and reads it back; returns the
/// offset the broker acknowledged.
async fn round_trip(client: &Client, prefix: &str, value: &[u8]) -> i64 {
    let topic = unique(prefix);
    create_topic(client, &topic, 1).await;
    let parts = vec![ProducePartition {
        tp: tp(&topic, 0),
        records: batch(&[value], 1),
    }];
    let acks = client.produce(&ProduceOptions::default(), parts).await;
    let offset = acks[0].result.as_ref().unwrap().base_offset;
    let fetched = fetch_all(client, &tp(&topic, 0), 0).await;
    assert_eq!(fetched[0].values, vec![value.to_vec()]);
    offset
}

async fn alice_round_trip(mechanism: SaslMechanism) {
    let client = Client::connect(sasl_config(mechanism, "alice", "alice-secret"))
        .await
        .unwrap();
    assert_eq!(round_trip(&client, "alice-kwire", b"hi").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_plain_connects() {
    alice_round_trip(SaslMechanism::Plain).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_scram_sha256_connects() {
    alice_round_trip(SaslMechanism::ScramSha256).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_scram_sha512_connects() {
    alice_round_trip(SaslMechanism::ScramSha512).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_fails_fast_and_clearly() {
    let password = "not-alice-secret-7f3a";
    for mechanism in [
        SaslMechanism::Plain,
        SaslMechanism::ScramSha256,
        SaslMechanism::ScramSha512,
    ] {
        let started = Instant::now();
        let err = Client::connect(sasl_config(mechanism, "alice", password))
            .await
            .unwrap_err();
        let elapsed = started.elapsed();
        let msg = err.to_string();
        eprintln!("{mechanism}: {msg}");
        assert!(
            elapsed < Duration::from_secs(5),
            "{mechanism}: took {elapsed:?}"
        );
        assert!(!err.is_retriable(), "{mechanism}: {msg}");
        assert!(msg.contains("cluster 'secure'"), "{msg}");
        assert!(msg.contains(mechanism.name()), "{msg}");
        assert!(msg.contains("alice"), "{msg}");
        assert!(!msg.contains(password), "password leaked: {msg}");
        assert!(
            !format!("{err:?}").contains(password),
            "password leaked in Debug"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bob_is_denied() {
    let admin = Client::connect(sasl_config(SaslMechanism::Plain, "admin", "admin-secret"))
        .await
        .unwrap();
    let topic = unique("alice-bob-denied");
    create_topic(&admin, &topic, 1).await;

    let bob = Client::connect(sasl_config(SaslMechanism::ScramSha512, "bob", "bob-secret"))
        .await
        .unwrap();
    let started = Instant::now();
    let parts = vec![ProducePartition {
        tp: tp(&topic, 0),
        records: batch(&[b"x"], 1),
    }];
    let res = bob.produce(&ProduceOptions::default(), parts).await;
    let err = res[0].result.as_ref().unwrap_err();
    assert_eq!(
        err.code(),
        Some(ResponseError::TopicAuthorizationFailed),
        "{err}"
    );
    assert!(!err.is_retriable());
    assert!(started.elapsed() < Duration::from_secs(5));

    let created = bob
        .create_topics(vec![NewTopic::new(unique("bob"), 1, 1)], false)
        .await
        .unwrap();
    let err = created[0].1.as_ref().unwrap_err();
    assert_eq!(
        err.code(),
        Some(ResponseError::TopicAuthorizationFailed),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_manages_acls() {
    let admin = Client::connect(sasl_config(
        SaslMechanism::ScramSha256,
        "admin",
        "admin-secret",
    ))
    .await
    .unwrap();
    let topic = unique("kwire-acl");
    let acl = AclBinding {
        resource_type: AclResourceType::Topic,
        resource_name: topic.clone(),
        pattern_type: PatternType::Literal,
        principal: "User:bob".into(),
        host: "*".into(),
        operation: AclOperation::Read,
        permission: AclPermission::Allow,
    };
    let created = admin.create_acls(vec![acl.clone()]).await.unwrap();
    created[0].1.as_ref().unwrap();
    let filter = AclBindingFilter {
        resource_type: AclResourceType::Topic,
        resource_name: Some(topic.clone()),
        ..AclBindingFilter::any()
    };
    // The authorizer applies new ACLs asynchronously; poll briefly.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = admin.describe_acls(&filter).await.unwrap();
        if listed.contains(&acl) {
            break;
        }
        assert!(Instant::now() < deadline, "ACL not listed: {listed:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_connects_trusting_the_ca() {
    let mut c = common::config(&var("STRAIT_KAFKA_SSL"), "secure-tls");
    c.security = SecurityProtocol::Ssl;
    c.tls.ca = CaSource::PemFile(PathBuf::from(var("STRAIT_KAFKA_SSL_CA")));
    let client = Client::connect(c).await.unwrap();
    round_trip(&client, "kwire-tls", b"tls").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_inline_ca_and_a_client_certificate() {
    // The listener does not ask for a client certificate; this proves the PEM chain and the
    // PKCS#8 key load and that offering them does not disturb the handshake.
    let tls_dir = PathBuf::from(var("STRAIT_HARNESS_DIR")).join("secure/tls");
    let ca_pem = std::fs::read_to_string(var("STRAIT_KAFKA_SSL_CA")).unwrap();
    let mut c = common::config(&var("STRAIT_KAFKA_SSL"), "secure-tls");
    c.security = SecurityProtocol::Ssl;
    c.tls.ca = CaSource::PemInline(ca_pem);
    c.tls.client_auth = Some(ClientCert {
        cert_chain: PemSource::File(tls_dir.join("broker.crt")),
        private_key: PemSource::Inline(Secret::new(
            std::fs::read_to_string(tls_dir.join("broker.key")).unwrap(),
        )),
    });
    let client = Client::connect(c).await.unwrap();
    assert!(!client.cached_metadata().brokers.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_material_is_a_configuration_error() {
    let mut c = common::config(&var("STRAIT_KAFKA_SSL"), "secure-tls");
    c.security = SecurityProtocol::Ssl;
    c.tls.ca = CaSource::PemFile(PathBuf::from("/nonexistent/ca.pem"));
    let err = Client::connect(c).await.unwrap_err();
    assert!(!err.is_retriable());
    let msg = err.to_string();
    assert!(
        msg.contains("secure-tls") && msg.contains("/nonexistent/ca.pem"),
        "{msg}"
    );
}

/// Another name of the loopback listener that the broker certificate does not carry (its
/// SANs are `localhost` and `127.0.0.1`): the machine's own hostname.
fn other_loopback_name(port: &str) -> String {
    use std::net::ToSocketAddrs;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned();
    let addr = format!("{host}:{port}");
    let loopback = addr
        .to_socket_addrs()
        .map(|mut a| a.any(|a| a.ip().to_string() == "127.0.0.1"))
        .unwrap_or(false);
    assert!(
        loopback && host != "localhost",
        "hostname {host} must resolve to 127.0.0.1 for this test"
    );
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_hostname_verification_and_its_opt_out() {
    let ssl = var("STRAIT_KAFKA_SSL");
    let port = ssl.rsplit_once(':').unwrap().1;
    let tls = |addr: &str, verify: bool, ca: CaSource| {
        let mut c = common::config(addr, "secure-tls");
        c.security = SecurityProtocol::Ssl;
        c.tls.ca = ca;
        c.tls.verify_hostname = verify;
        c
    };
    let ca = || CaSource::PemFile(PathBuf::from(var("STRAIT_KAFKA_SSL_CA")));
    let other = other_loopback_name(port);

    // Dialled by a name the certificate lacks: refused with verification, fine without.
    let err = Client::connect(tls(&other, true, ca())).await.unwrap_err();
    assert!(
        !err.is_retriable() && err.to_string().contains("TLS"),
        "{err}"
    );
    Client::connect(tls(&other, false, ca())).await.unwrap();

    // An untrusted chain fails even without hostname verification.
    let err = Client::connect(tls(&ssl, false, CaSource::System))
        .await
        .unwrap_err();
    assert!(
        !err.is_retriable() && err.to_string().contains("TLS"),
        "{err}"
    );
}
