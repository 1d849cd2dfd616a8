//! Messenger behaviour (Kafka protocol guide, "The Client Server Interaction") against a
//! scripted loopback peer: pipelining by correlation id, poisoning, request timeouts and idle
//! close.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use kafka_protocol::messages::ApiVersionsRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

async fn pair(max_idle: Duration, timeout: Duration) -> (Arc<Messenger>, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    let endpoint = Endpoint {
        cluster: Arc::from("T"),
        node_id: Some(7),
        addr: Arc::from(addr.to_string()),
    };
    let m = Messenger::spawn(
        Transport::Plain(client),
        endpoint,
        StrBytes::from_static_str("test"),
        timeout,
        max_idle,
        crate::protocol::MAX_FRAME_BYTES,
    );
    (m, server)
}

/// Reads one request frame and returns its correlation id.
async fn read_request(server: &mut TcpStream) -> i32 {
    let len = server.read_i32().await.unwrap() as usize;
    let mut body = vec![0u8; len];
    server.read_exact(&mut body).await.unwrap();
    i32::from_be_bytes(body[4..8].try_into().unwrap())
}

/// An ApiVersions v0 response: header v0, then error code and an empty key array.
async fn answer(server: &mut TcpStream, correlation_id: i32, error_code: i16) {
    let mut frame = BytesMut::new();
    frame.put_i32(4 + 2 + 4);
    frame.put_i32(correlation_id);
    frame.put_i16(error_code);
    frame.put_i32(0);
    server.write_all(&frame).await.unwrap();
}

fn request() -> ApiVersionsRequest {
    ApiVersionsRequest::default()
}

#[tokio::test]
async fn responses_are_matched_by_correlation_id() {
    let (m, mut server) = pair(Duration::from_secs(60), Duration::from_secs(5)).await;
    let first = m.start(&request(), 0, Duration::from_secs(5)).unwrap();
    let second = m.start(&request(), 0, Duration::from_secs(5)).unwrap();
    let (a, b) = (
        read_request(&mut server).await,
        read_request(&mut server).await,
    );
    assert_eq!((a, b), (0, 1), "wire order follows start order");
    // Answer out of order: each future must still get its own response.
    answer(&mut server, b, 35).await;
    answer(&mut server, a, 0).await;
    assert_eq!(first.wait().await.unwrap().error_code, 0);
    assert_eq!(second.wait().await.unwrap().error_code, 35);
    assert!(m.is_usable());
}

#[tokio::test]
async fn a_dead_connection_fails_everything_in_flight() {
    let (m, mut server) = pair(Duration::from_secs(60), Duration::from_secs(30)).await;
    let first = m.start(&request(), 0, Duration::from_secs(30)).unwrap();
    let second = m.start(&request(), 0, Duration::from_secs(30)).unwrap();
    read_request(&mut server).await;
    drop(server);
    let started = tokio::time::Instant::now();
    for pending in [first, second] {
        let err = pending.wait().await.unwrap_err();
        assert!(err.is_retriable(), "{err}");
        assert!(err.to_string().contains("broker 7"), "{err}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "failed at once, not by timeout"
    );
    assert!(!m.is_usable());
    assert!(m.start(&request(), 0, Duration::from_secs(1)).is_err());
}

#[tokio::test]
async fn a_request_timeout_closes_the_connection() {
    let (m, mut server) = pair(Duration::from_secs(60), Duration::from_millis(100)).await;
    let pending = m.start(&request(), 0, Duration::from_millis(100)).unwrap();
    read_request(&mut server).await;
    let err = pending.wait().await.unwrap_err();
    assert!(
        matches!(err, ConnectionError::RequestTimedOut { .. }),
        "{err}"
    );
    assert!(!m.is_usable());
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let (m, mut server) = pair(Duration::from_millis(150), Duration::from_secs(5)).await;
    let pending = m.start(&request(), 0, Duration::from_secs(5)).unwrap();
    let id = read_request(&mut server).await;
    // Busy past the idle limit: a request in flight keeps the connection open.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(m.is_usable());
    answer(&mut server, id, 0).await;
    pending.wait().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!m.is_usable(), "idle connection still open");
    // The peer sees the socket closed.
    let mut buf = [0u8; 1];
    assert_eq!(server.read(&mut buf).await.unwrap(), 0);
}

/// Reads one request frame and returns (api version, correlation id).
async fn read_versioned(server: &mut TcpStream) -> (i16, i32) {
    let len = server.read_i32().await.unwrap() as usize;
    let mut body = vec![0u8; len];
    server.read_exact(&mut body).await.unwrap();
    let version = i16::from_be_bytes(body[2..4].try_into().unwrap());
    (version, i32::from_be_bytes(body[4..8].try_into().unwrap()))
}

/// ApiVersions body in v0 layout (v1/v2 append a throttle time).
fn versions_body(error_code: i16, keys: &[(i16, i16, i16)], throttle: bool) -> BytesMut {
    let mut b = BytesMut::new();
    b.put_i16(error_code);
    b.put_i32(keys.len() as i32);
    for (k, min, max) in keys {
        b.put_i16(*k);
        b.put_i16(*min);
        b.put_i16(*max);
    }
    if throttle {
        b.put_i32(0);
    }
    b
}

async fn reply(server: &mut TcpStream, correlation_id: i32, body: BytesMut) {
    let mut frame = BytesMut::new();
    frame.put_i32(4 + body.len() as i32);
    frame.put_i32(correlation_id);
    frame.put_slice(&body);
    server.write_all(&frame).await.unwrap();
}

/// A broker without ApiVersions v3 answers UNSUPPORTED_VERSION in v0 layout with its range;
/// kwire then asks again with the highest version both know (KIP-511).
#[tokio::test]
async fn api_versions_falls_back_for_older_brokers() {
    let (m, mut server) = pair(Duration::from_secs(60), Duration::from_secs(5)).await;
    let peer = tokio::spawn(async move {
        let (v, id) = read_versioned(&mut server).await;
        assert_eq!(v, 3);
        reply(&mut server, id, versions_body(35, &[(18, 0, 2)], false)).await;
        let (v, id) = read_versioned(&mut server).await;
        assert_eq!(v, 2);
        let keys = [(18, 0, 2), (1, 4, 11), (0, 3, 9)];
        reply(&mut server, id, versions_body(0, &keys, true)).await;
        server
    });
    let versions = super::super::api_versions(&m).await.unwrap();
    assert_eq!(versions.negotiate(ApiKey::Fetch).unwrap(), 11);
    assert_eq!(versions.negotiate(ApiKey::Produce).unwrap(), 9);
    assert!(versions.negotiate(ApiKey::Metadata).is_err());
    peer.await.unwrap();
}
