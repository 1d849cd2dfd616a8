//! One broker connection with pipelined requests (Kafka protocol guide, "The Client Server
//! Interaction": a broker answers the requests of one connection in the order it received
//! them; the correlation id pairs each response with its request).
//!
//! Requests are queued in call order on a writer task and answered by a reader task. When the
//! stream dies, the connection is *poisoned*: every request still waiting fails at once with
//! the same error, and every later request fails immediately, so callers reconnect instead of
//! waiting for timeouts one by one.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::StrBytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::error::{ConnectionError, Endpoint};
use super::transport::Transport;
use crate::protocol::{self, BrokerVersions, KafkaRequest, ProtocolError};

type Reply = Result<Bytes, ConnectionError>;

/// A live (or poisoned) connection to one broker.
#[derive(Debug)]
pub struct Messenger {
    endpoint: Endpoint,
    client_id: StrBytes,
    request_timeout: Duration,
    shared: Arc<Shared>,
    frames: mpsc::UnboundedSender<Bytes>,
    versions: OnceLock<BrokerVersions>,
    expires_at: OnceLock<Instant>,
}

#[derive(Debug)]
struct Shared {
    endpoint: Endpoint,
    state: Mutex<State>,
    closed: watch::Sender<bool>,
}

#[derive(Debug)]
struct State {
    next_correlation_id: i32,
    pending: HashMap<i32, oneshot::Sender<Reply>>,
    poisoned: Option<ConnectionError>,
    last_activity: Instant,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves only counters and a map behind; keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks the connection dead, fails everything in flight and stops both I/O tasks.
    fn poison(&self, err: ConnectionError) {
        let pending = {
            let mut st = self.state();
            if st.poisoned.is_some() {
                return;
            }
            st.poisoned = Some(err.clone());
            std::mem::take(&mut st.pending)
        };
        tracing::debug!(
            cluster = %self.endpoint.cluster,
            broker = ?self.endpoint.node_id,
            addr = %self.endpoint.addr,
            in_flight = pending.len(),
            reason = %err,
            "connection closed"
        );
        for (_, tx) in pending {
            let _ = tx.send(Err(err.clone()));
        }
        self.closed.send_replace(true);
    }

    fn deliver(&self, frame: Bytes) {
        let Some(id) = protocol::correlation_id_of(&frame) else {
            return;
        };
        let tx = {
            let mut st = self.state();
            st.last_activity = Instant::now();
            st.pending.remove(&id)
        };
        match tx {
            Some(tx) => {
                let _ = tx.send(Ok(frame));
            }
            // The caller gave up on this request (dropped its future); nothing to do.
            None => tracing::trace!(correlation_id = id, "response for abandoned request"),
        }
    }

    /// When the connection becomes idle-closable, if nothing is in flight.
    fn idle_deadline(&self, max_idle: Duration) -> Option<Instant> {
        let st = self.state();
        st.pending.is_empty().then(|| st.last_activity + max_idle)
    }
}

impl Messenger {
    /// Starts the reader and writer tasks over an established transport.
    pub(crate) fn spawn(
        transport: Transport,
        endpoint: Endpoint,
        client_id: StrBytes,
        request_timeout: Duration,
        max_idle: Duration,
        max_frame: usize,
    ) -> Arc<Self> {
        let (closed, closed_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            endpoint: endpoint.clone(),
            state: Mutex::new(State {
                next_correlation_id: 0,
                pending: HashMap::new(),
                poisoned: None,
                last_activity: Instant::now(),
            }),
            closed,
        });
        let (rd, wr) = tokio::io::split(transport);
        let (frames, frames_rx) = mpsc::unbounded_channel();
        tokio::spawn(read_loop(
            rd,
            shared.clone(),
            max_idle,
            max_frame,
            closed_rx.clone(),
        ));
        tokio::spawn(write_loop(wr, frames_rx, shared.clone(), closed_rx));
        Arc::new(Self {
            endpoint,
            client_id,
            request_timeout,
            shared,
            frames,
            versions: OnceLock::new(),
            expires_at: OnceLock::new(),
        })
    }

    /// The broker this connection goes to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The broker's API versions, once the ApiVersions exchange is done.
    pub fn versions(&self) -> Option<&BrokerVersions> {
        self.versions.get()
    }

    pub(crate) fn set_versions(&self, versions: BrokerVersions) {
        let _ = self.versions.set(versions);
    }

    /// After this instant the connection is not handed out again (KIP-368 SASL session
    /// lifetime); requests already sent on it still complete.
    pub(crate) fn set_expiry(&self, at: Instant) {
        let _ = self.expires_at.set(at);
    }

    /// Whether new requests may use this connection.
    pub fn is_usable(&self) -> bool {
        let expired = self.expires_at.get().is_some_and(|t| *t <= Instant::now());
        !expired && self.shared.state().poisoned.is_none()
    }

    /// Closes the connection; in-flight requests fail with a retriable `Closed` error.
    pub fn close(&self, reason: &str) {
        self.shared.poison(ConnectionError::Closed {
            endpoint: self.endpoint.clone(),
            reason: reason.to_owned(),
        });
    }

    /// The version to use for `key`: the highest both sides implement.
    pub fn negotiate(&self, key: ApiKey) -> Result<i16, ConnectionError> {
        let versions = self.versions.get().ok_or_else(|| ConnectionError::Closed {
            endpoint: self.endpoint.clone(),
            reason: "API versions not negotiated yet".into(),
        })?;
        versions
            .negotiate(key)
            .map_err(|source| self.protocol_error(source))
    }

    /// Sends a request with the negotiated version and waits for its response.
    pub async fn send<R: KafkaRequest>(
        self: &Arc<Self>,
        req: &R,
    ) -> Result<R::Response, ConnectionError> {
        let version = self.negotiate(R::KEY)?;
        self.start(req, version, self.request_timeout)?.wait().await
    }

    /// Queues a request now and returns a handle to its response. Requests reach the wire in
    /// the order of `start` calls that follow one another (as one task's do), which the
    /// idempotent producer relies on.
    pub fn start<R: KafkaRequest>(
        self: &Arc<Self>,
        req: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<PendingResponse<R>, ConnectionError> {
        let (tx, rx) = oneshot::channel();
        let correlation_id = self.enqueue(req, version, Some(tx))?;
        Ok(PendingResponse {
            messenger: self.clone(),
            rx,
            correlation_id,
            version,
            deadline: Instant::now() + timeout,
            timeout,
            _response: PhantomData,
        })
    }

    /// Sends a request that the broker never answers (Produce with `acks=0`).
    pub fn send_without_response<R: KafkaRequest>(
        &self,
        req: &R,
        version: i16,
    ) -> Result<(), ConnectionError> {
        self.enqueue(req, version, None).map(|_| ())
    }

    /// The request timeout this connection was configured with.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    fn enqueue<R: KafkaRequest>(
        &self,
        req: &R,
        version: i16,
        reply: Option<oneshot::Sender<Reply>>,
    ) -> Result<i32, ConnectionError> {
        let id = {
            let mut st = self.shared.state();
            if let Some(err) = &st.poisoned {
                return Err(err.clone());
            }
            let id = st.next_correlation_id;
            st.next_correlation_id = id.wrapping_add(1);
            id
        };
        // Encode outside the lock: a produce request can be megabytes. Kafka does not need
        // correlation ids in increasing order, and each caller's own requests still reach
        // the wire in the order of its calls.
        let frame = protocol::encode_request(req, version, id, &self.client_id)
            .map_err(|source| self.protocol_error(source))?;
        // Register and queue under the lock: the reader cannot see the response before the
        // entry exists, and a poisoning in between is noticed instead of leaving an orphan.
        let mut st = self.shared.state();
        if let Some(err) = &st.poisoned {
            return Err(err.clone());
        }
        if self.frames.send(frame).is_err() {
            return Err(ConnectionError::Closed {
                endpoint: self.endpoint.clone(),
                reason: "writer stopped".into(),
            });
        }
        st.last_activity = Instant::now();
        if let Some(tx) = reply {
            st.pending.insert(id, tx);
        }
        Ok(id)
    }

    fn protocol_error(&self, source: ProtocolError) -> ConnectionError {
        ConnectionError::Protocol {
            endpoint: self.endpoint.clone(),
            source,
        }
    }
}

impl Drop for Messenger {
    fn drop(&mut self) {
        // Nobody can send on this connection any more; stop its tasks and close the socket.
        self.close("connection dropped");
    }
}

/// A request on the wire, waiting for its response.
#[derive(Debug)]
pub struct PendingResponse<R: KafkaRequest> {
    messenger: Arc<Messenger>,
    rx: oneshot::Receiver<Reply>,
    correlation_id: i32,
    version: i16,
    deadline: Instant,
    timeout: Duration,
    _response: PhantomData<fn() -> R>,
}

impl<R: KafkaRequest> PendingResponse<R> {
    /// Waits for the response. A timeout closes the whole connection (as Java's client does):
    /// later responses on it can no longer be trusted to arrive.
    pub async fn wait(self) -> Result<R::Response, ConnectionError> {
        let m = self.messenger.clone();
        let version = self.version;
        let frame = self.wait_raw().await?;
        let (_, body) = protocol::decode_response::<R>(frame, version)
            .map_err(|source| m.protocol_error(source))?;
        Ok(body)
    }

    /// Waits for the undecoded response frame (header included).
    pub(crate) async fn wait_raw(mut self) -> Result<Bytes, ConnectionError> {
        let m = self.messenger.clone();
        match tokio::time::timeout_at(self.deadline, &mut self.rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(ConnectionError::Closed {
                endpoint: m.endpoint.clone(),
                reason: "connection task ended".into(),
            }),
            Err(_) => {
                let err = ConnectionError::RequestTimedOut {
                    endpoint: m.endpoint.clone(),
                    api: R::KEY,
                    timeout: self.timeout,
                };
                m.shared.poison(err.clone());
                Err(err)
            }
        }
    }
}

impl<R: KafkaRequest> Drop for PendingResponse<R> {
    fn drop(&mut self) {
        // Forget an abandoned request so it does not keep an idle connection open.
        self.messenger
            .shared
            .state()
            .pending
            .remove(&self.correlation_id);
    }
}

async fn read_loop(
    mut rd: ReadHalf<Transport>,
    shared: Arc<Shared>,
    max_idle: Duration,
    max_frame: usize,
    mut closed: watch::Receiver<bool>,
) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        loop {
            match take_frame(&mut buf, max_frame) {
                Ok(Some(frame)) => shared.deliver(frame),
                Ok(None) => break,
                Err(source) => {
                    let endpoint = shared.endpoint.clone();
                    shared.poison(ConnectionError::Protocol { endpoint, source });
                    return;
                }
            }
        }
        let idle_at = shared.idle_deadline(max_idle);
        let far = Instant::now() + max_idle;
        tokio::select! {
            // read_buf is cancel-safe: a partially read frame stays in `buf`.
            r = rd.read_buf(&mut buf) => {
                let err = match r {
                    Ok(0) => ConnectionError::Closed {
                        endpoint: shared.endpoint.clone(),
                        reason: "closed by the broker".into(),
                    },
                    Ok(_) => continue,
                    Err(e) => ConnectionError::Io {
                        endpoint: shared.endpoint.clone(),
                        source: Arc::new(e),
                    },
                };
                shared.poison(err);
                return;
            }
            () = tokio::time::sleep_until(idle_at.unwrap_or(far)) => {
                if shared.idle_deadline(max_idle).is_some_and(|t| t <= Instant::now()) {
                    shared.poison(ConnectionError::Closed {
                        endpoint: shared.endpoint.clone(),
                        reason: format!("idle for {max_idle:?} (connections.max.idle.ms)"),
                    });
                    return;
                }
            }
            _ = closed.changed() => return,
        }
    }
}

/// Splits one complete frame (without its length prefix) off the front of `buf`.
fn take_frame(buf: &mut BytesMut, max: usize) -> Result<Option<Bytes>, ProtocolError> {
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let mut len_bytes = [0u8; 4];
    len_bytes.copy_from_slice(prefix);
    let len = protocol::frame_length(len_bytes, max)?;
    if buf.len() < 4 + len {
        // Reserve the whole frame once so large fetch responses are read without regrowth.
        buf.reserve(4 + len - buf.len());
        return Ok(None);
    }
    let _ = buf.split_to(4);
    Ok(Some(buf.split_to(len).freeze()))
}

async fn write_loop(
    mut wr: WriteHalf<Transport>,
    mut frames: mpsc::UnboundedReceiver<Bytes>,
    shared: Arc<Shared>,
    mut closed: watch::Receiver<bool>,
) {
    loop {
        let frame = tokio::select! {
            f = frames.recv() => f,
            _ = closed.changed() => None,
        };
        let Some(frame) = frame else { break };
        // Dropping a half-written frame is fine here: it only happens when closing anyway.
        let result = tokio::select! {
            r = write_frames(&mut wr, frame, &mut frames) => r,
            _ = closed.changed() => break,
        };
        if let Err(e) = result {
            shared.poison(ConnectionError::Io {
                endpoint: shared.endpoint.clone(),
                source: Arc::new(e),
            });
            break;
        }
    }
}

/// Writes `first` and whatever else is queued, then flushes once (TLS buffers records).
async fn write_frames(
    wr: &mut WriteHalf<Transport>,
    first: Bytes,
    frames: &mut mpsc::UnboundedReceiver<Bytes>,
) -> std::io::Result<()> {
    wr.write_all(&first).await?;
    while let Ok(next) = frames.try_recv() {
        wr.write_all(&next).await?;
    }
    wr.flush().await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bytes::BufMut;

    #[test]
    fn frames_split_across_reads() {
        let mut buf = BytesMut::new();
        buf.put_i32(6);
        buf.put_slice(&[0, 0, 0, 7]);
        assert!(
            take_frame(&mut buf, protocol::MAX_FRAME_BYTES)
                .unwrap()
                .is_none()
        );
        buf.put_slice(&[1, 2]);
        buf.put_i32(4);
        let f = take_frame(&mut buf, protocol::MAX_FRAME_BYTES)
            .unwrap()
            .unwrap();
        assert_eq!(&f[..], &[0, 0, 0, 7, 1, 2]);
        assert!(
            take_frame(&mut buf, protocol::MAX_FRAME_BYTES)
                .unwrap()
                .is_none()
        );
        buf.put_slice(&[0, 0, 0, 8]);
        assert_eq!(
            &take_frame(&mut buf, protocol::MAX_FRAME_BYTES)
                .unwrap()
                .unwrap()[..],
            &[0, 0, 0, 8]
        );
    }

    #[test]
    fn absurd_length_is_an_error() {
        let mut buf = BytesMut::from(&[0x15, 0x03, 0x03, 0x00, 0x02][..]);
        assert!(take_frame(&mut buf, protocol::MAX_FRAME_BYTES).is_err());
    }
}

#[cfg(test)]
#[path = "messenger_tests.rs"]
mod io_tests;
