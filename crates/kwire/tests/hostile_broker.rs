//! A hostile or broken peer before authentication, played by a loopback listener that speaks
//! just enough of the protocol: absurd array counts, truncated frames and oversized frame
//! lengths must end in an error naming the broker, never in a panic or an allocation abort
//! (the test process surviving each case is part of the check). Needs no Kafka cluster.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use kwire::connection::{
    ClientConfig, ConnectionError, Connector, SaslConfig, SaslMechanism, Secret, SecurityProtocol,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake broker does with each request, in order: the bytes to write after reading
/// it (the correlation id is passed in), and whether to close afterwards.
type Script = Vec<Box<dyn Fn(i32) -> (Vec<u8>, bool) + Send>>;

/// Starts a fake broker that plays `script`, and connects to it with `config`.
async fn connect_to(
    script: Script,
    tweak: impl FnOnce(&mut ClientConfig),
) -> (String, ConnectionError) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        for step in script {
            let Some(id) = read_request(&mut sock).await else {
                return;
            };
            let (bytes, close) = step(id);
            if sock.write_all(&bytes).await.is_err() || close {
                return;
            }
        }
        // Keep the socket open until the client gives up.
        let mut rest = Vec::new();
        let _ = sock.read_to_end(&mut rest).await;
    });
    let mut config = ClientConfig::new(vec![addr.clone()], "hostile");
    config.connect_timeout = Duration::from_secs(10);
    tweak(&mut config);
    let connector = Connector::new(Arc::new(config)).unwrap();
    let err = connector
        .connect(connector.endpoint(None, &addr))
        .await
        .expect_err("connecting to a hostile broker must fail");
    server.abort();
    (addr, err)
}

async fn read_request(sock: &mut TcpStream) -> Option<i32> {
    let len = sock.read_i32().await.ok()? as usize;
    let mut body = vec![0u8; len];
    sock.read_exact(&mut body).await.ok()?;
    Some(i32::from_be_bytes(body[4..8].try_into().ok()?))
}

/// A response frame: length prefix, header v0 (correlation id), then `body`.
fn frame(id: i32, body: &[u8]) -> Vec<u8> {
    let mut f = BytesMut::new();
    f.put_i32(4 + body.len() as i32);
    f.put_i32(id);
    f.put_slice(body);
    f.to_vec()
}

fn reply(body: Vec<u8>) -> Box<dyn Fn(i32) -> (Vec<u8>, bool) + Send> {
    Box::new(move |id| (frame(id, &body), false))
}

/// A well-formed ApiVersions v3 body offering what kwire needs for SASL.
fn good_api_versions() -> Vec<u8> {
    // SaslHandshake 0..=1, ApiVersions 0..=3, SaslAuthenticate 0..=2.
    let keys: [(i16, i16); 3] = [(17, 1), (18, 3), (36, 2)];
    let mut buf = BytesMut::new();
    buf.put_i16(0); // error_code
    buf.put_u8(keys.len() as u8 + 1); // compact array length
    for (key, max) in keys {
        buf.put_i16(key);
        buf.put_i16(0);
        buf.put_i16(max);
        buf.put_u8(0); // no tagged fields
    }
    buf.put_i32(0); // throttle_time_ms
    buf.put_u8(0); // no tagged fields
    buf.to_vec()
}

fn assert_names_broker(addr: &str, err: &ConnectionError) -> String {
    let msg = err.to_string();
    assert!(msg.contains(addr), "error does not name the broker: {msg}");
    assert!(
        msg.contains("hostile"),
        "error does not name the cluster: {msg}"
    );
    msg
}

fn assert_fatal_protocol(addr: &str, err: &ConnectionError) -> String {
    let msg = assert_names_broker(addr, err);
    assert!(
        matches!(err, ConnectionError::Protocol { .. }),
        "not a protocol error: {err:?}"
    );
    assert!(
        !err.is_retriable(),
        "a hostile response is not retriable: {msg}"
    );
    msg
}

#[tokio::test]
async fn api_versions_with_absurd_compact_array_count() {
    // error_code 0, then api_keys announcing u32::MAX - 1 elements.
    let body = vec![0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f];
    let (addr, err) = connect_to(vec![reply(body)], |_| {}).await;
    let msg = assert_fatal_protocol(&addr, &err);
    assert!(
        msg.contains("ApiVersions") && msg.contains("elements"),
        "{msg}"
    );
}

#[tokio::test]
async fn api_versions_v0_fallback_with_absurd_array_count() {
    // UNSUPPORTED_VERSION makes kwire decode the answer in v0 layout: INT32 count.
    let mut body = BytesMut::new();
    body.put_i16(35);
    body.put_i32(i32::MAX);
    let (addr, err) = connect_to(vec![reply(body.to_vec())], |_| {}).await;
    let msg = assert_fatal_protocol(&addr, &err);
    assert!(msg.contains("2147483647 elements"), "{msg}");
}

#[tokio::test]
async fn sasl_handshake_with_absurd_mechanism_count() {
    let mut handshake = BytesMut::new();
    handshake.put_i16(33); // UNSUPPORTED_SASL_MECHANISM, so kwire reads the list
    handshake.put_i32(0x7fff_fff0);
    let script = vec![reply(good_api_versions()), reply(handshake.to_vec())];
    let (addr, err) = connect_to(script, |c| {
        c.security = SecurityProtocol::SaslPlaintext;
        c.sasl = Some(SaslConfig {
            mechanism: SaslMechanism::ScramSha512,
            username: "alice".into(),
            password: Secret::new("pw"),
        });
    })
    .await;
    let msg = assert_fatal_protocol(&addr, &err);
    assert!(msg.contains("SaslHandshake"), "{msg}");
}

#[tokio::test]
async fn truncated_body_is_a_protocol_error() {
    // The frame is complete but its content stops inside the second ApiVersion entry.
    let mut body = BytesMut::new();
    body.put_i16(35); // UNSUPPORTED_VERSION: v0 layout
    body.put_i32(2);
    body.put_slice(&[0, 18, 0, 0, 0, 3, 0, 17]);
    let (addr, err) = connect_to(vec![reply(body.to_vec())], |_| {}).await;
    let msg = assert_fatal_protocol(&addr, &err);
    assert!(msg.contains("cannot decode ApiVersions"), "{msg}");
}

#[tokio::test]
async fn frame_cut_short_by_the_peer() {
    // The length prefix promises 100 bytes; the peer sends 10 and hangs up.
    let step: Box<dyn Fn(i32) -> (Vec<u8>, bool) + Send> = Box::new(|id| {
        let mut f = BytesMut::new();
        f.put_i32(100);
        f.put_i32(id);
        f.put_slice(&[0; 6]);
        (f.to_vec(), true)
    });
    let (addr, err) = connect_to(vec![step], |_| {}).await;
    let msg = assert_names_broker(&addr, &err);
    // A connection lost mid-frame may be a network fault: retrying on a new one is sensible.
    assert!(err.is_retriable(), "{msg}");
}

#[tokio::test]
async fn oversized_frame_length_is_refused_before_allocating() {
    let step: Box<dyn Fn(i32) -> (Vec<u8>, bool) + Send> =
        Box::new(|_| (i32::MAX.to_be_bytes().to_vec(), false));
    let (addr, err) = connect_to(vec![step], |_| {}).await;
    let msg = assert_fatal_protocol(&addr, &err);
    assert!(
        msg.contains("2147483647 bytes") && msg.contains("socket.response.max.bytes"),
        "{msg}"
    );
}

#[tokio::test]
async fn frame_above_the_configured_limit_is_refused() {
    let (addr, err) = connect_to(vec![reply(good_api_versions())], |c| {
        c.socket_response_max_bytes = 16;
    })
    .await;
    let msg = assert_fatal_protocol(&addr, &err);
    assert!(msg.contains("16-byte limit"), "{msg}");
}
