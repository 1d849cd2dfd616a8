//! The I/O side of one idempotent-producer partition (KIP-98 idempotence, KIP-360 epoch
//! bumps): takes the partition's queued sends, puts the batches the [`Sequencer`] picks on
//! the wire over one connection, waits for their responses in order, runs the retry timer
//! and InitProducerId, and answers each send. Which batch goes out with which sequence number, and what a failure leads to, is
//! the sequencer's decision.
//!
//! A failure's kind is judged here from the error: OUT_OF_ORDER_SEQUENCE_NUMBER or
//! UNKNOWN_PRODUCER_ID on the oldest batch means the broker lost our producer state; a
//! non-retriable error, or a retriable one past `delivery.timeout.ms`, is fatal; anything
//! else is retried after a backoff.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::BytesMut;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::ApiKey;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinError, JoinHandle};
use tokio::time::Instant;

use super::super::produce::{self, Acks, ProduceAck, ProduceOptions, response_timeout};
use super::super::retry::Backoff;
use super::super::{Inner, TopicPartition};
use super::sequencer::{Acked, Failure, Outgoing, Recovery, Sequencer};
use super::{Delivery, Shared, init_producer_id};
use crate::batch::{BatchView, HeaderRewrite, append_rewritten};
use crate::connection::Messenger;
use crate::error::{Error, Result};

/// One `send` call.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) batch: BatchView,
    pub(crate) records: i32,
    pub(crate) ack: oneshot::Sender<Result<Delivery>>,
    pub(crate) enqueued: Instant,
}

type InFlight = JoinHandle<Result<ProduceAck>>;

enum Event {
    Response(std::result::Result<Result<ProduceAck>, JoinError>),
    Job(Option<Job>),
    RetryDue,
}

#[derive(Debug)]
pub(crate) struct Worker {
    shared: Arc<Shared>,
    inner: Arc<Inner>,
    tp: TopicPartition,
    jobs: mpsc::Receiver<Job>,
    jobs_closed: bool,
    seq: Sequencer<Job>,
    /// The requests of the sequencer's in-flight batches, oldest first.
    in_flight: VecDeque<InFlight>,
    /// All requests in flight use this connection, so the broker sees them in order.
    conn: Option<Arc<Messenger>>,
    backoff: Backoff,
    retry_at: Option<Instant>,
}

impl Worker {
    pub(crate) fn new(
        shared: Arc<Shared>,
        tp: TopicPartition,
        jobs: mpsc::Receiver<Job>,
        producer: (i64, i16),
    ) -> Self {
        let inner = shared.client.inner().clone();
        let cfg = &inner.config;
        Self {
            backoff: Backoff::new(cfg.retry_backoff, cfg.retry_backoff_max),
            seq: Sequencer::new(producer, shared.config.max_in_flight_batches),
            inner,
            shared,
            tp,
            jobs,
            jobs_closed: false,
            in_flight: VecDeque::new(),
            conn: None,
            retry_at: None,
        }
    }

    pub(crate) async fn run(mut self) {
        loop {
            debug_assert_eq!(self.in_flight.len(), self.seq.in_flight());
            if self.retry_at.is_none() {
                self.fill_window().await;
            }
            if self.jobs_closed && self.seq.is_empty() {
                return;
            }
            match self.next_event().await {
                Event::Response(r) => {
                    let r = r.unwrap_or_else(|e| Err(self.task_failed(e)));
                    self.in_flight.pop_front();
                    self.on_front(r).await;
                }
                Event::Job(Some(job)) => {
                    let records = job.records;
                    self.seq.push(job, records);
                }
                Event::Job(None) => self.jobs_closed = true,
                Event::RetryDue => self.retry_at = None,
            }
        }
    }

    async fn next_event(&mut self) -> Event {
        let accepting = !self.jobs_closed && self.seq.len() < self.shared.config.max_queued_sends;
        let retry_at = self.retry_at;
        let has_front = !self.in_flight.is_empty();
        let front = self.in_flight.front_mut();
        let front = async move {
            match front {
                Some(handle) => handle.await,
                None => std::future::pending().await,
            }
        };
        let retry = async move {
            match retry_at {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = front, if has_front => Event::Response(r),
            j = self.jobs.recv(), if accepting => Event::Job(j),
            () = retry, if retry_at.is_some() => Event::RetryDue,
            else => {
                // Nothing to wait for (should not happen); avoid spinning.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                Event::RetryDue
            }
        }
    }

    /// Sends queued batches while the sequencer's window has room.
    async fn fill_window(&mut self) {
        while self.seq.can_send() {
            match self.send_next().await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => return self.on_send_failure(e),
            }
        }
    }

    /// Puts the next batch on the wire. `Ok(false)`: the leader's connection changed while
    /// requests are in flight; wait for them before switching, to keep the order.
    async fn send_next(&mut self) -> Result<bool> {
        if self.seq.needs_producer_id() {
            let id = init_producer_id(&self.inner).await?;
            self.seq.on_producer_id(id);
        }
        let (leader, _) = self
            .inner
            .leader_for(&self.tp.topic, self.tp.partition)
            .await?;
        let conn = self.inner.broker_connection(leader).await?;
        if self.seq.in_flight() > 0 && !self.conn.as_ref().is_some_and(|c| Arc::ptr_eq(c, &conn)) {
            return Ok(false);
        }
        let Some(next) = self.seq.next_send() else {
            return Ok(false);
        };
        let records = assemble(&next);
        let options = ProduceOptions {
            acks: Acks::All,
            timeout: self.shared.config.ack_timeout,
            transactional_id: None,
        };
        let req = produce::request(&options, [(self.tp.clone(), records)]);
        let version = conn.negotiate(ApiKey::Produce)?;
        let timeout = response_timeout(self.inner.config.request_timeout, options.timeout);
        let pending = conn.start(&req, version, timeout)?;
        let (inner, tp, broker) = (self.inner.clone(), self.tp.clone(), conn.endpoint().node_id);
        self.in_flight.push_back(tokio::spawn(async move {
            let resp = pending.wait().await?;
            let mut results =
                produce::read_response(&inner, broker, resp, std::slice::from_ref(&tp));
            results
                .pop()
                .unwrap_or(Err(Error::Closed("produce response")))
        }));
        self.seq.on_sent();
        self.conn = Some(conn);
        Ok(true)
    }

    /// Leader lookup or connect failed before anything was sent.
    fn on_send_failure(&mut self, e: Error) {
        let failure = self.classify(&e);
        match self.seq.on_send_failed(failure == Failure::Fatal) {
            Recovery::Fail => self.fail_all(self.final_error(e)),
            _ => self.retry_later(&e),
        }
    }

    async fn on_front(&mut self, result: Result<ProduceAck>) {
        match result {
            Ok(ack) => {
                self.backoff.reset();
                if let Some(done) = self.seq.on_acked() {
                    self.deliver(done, ack);
                }
            }
            Err(e) => self.recover(e).await,
        }
    }

    fn deliver(&self, done: Acked<Job>, ack: ProduceAck) {
        let delivery = Delivery {
            tp: self.tp.clone(),
            base_offset: ack.base_offset,
            log_append_time: ack.log_append_time,
            producer_id: done.producer_id,
            producer_epoch: done.epoch,
            base_sequence: done.base_sequence,
            record_count: done.records,
        };
        let _ = done.job.ack.send(Ok(delivery));
    }

    /// The oldest request failed: settle everything in flight, then do what the sequencer
    /// decides.
    async fn recover(&mut self, err: Error) {
        let later_acked = self.drain_in_flight().await;
        let failure = if lost_state(&err) {
            Failure::LostState
        } else {
            self.classify(&err)
        };
        let (done, recovery) = self.seq.on_failed(failure, later_acked);
        for (entry, ack) in done {
            self.deliver(entry, ack);
        }
        match recovery {
            Recovery::Restart(next) => self.restart(next, &err).await,
            Recovery::Fail => self.fail_all(self.final_error(err)),
            Recovery::Retry => self.retry_later(&err),
        }
    }

    /// Waits for the rest of the requests in flight and returns the acknowledged ones by
    /// position. Their successes are kept (the broker only accepts a later sequence after the
    /// earlier ones, so nothing is lost by resending the failed ones); their failures are
    /// dropped because the batches will be resent.
    async fn drain_in_flight(&mut self) -> Vec<(usize, ProduceAck)> {
        let handles: Vec<InFlight> = self.in_flight.drain(..).collect();
        let mut acked = Vec::new();
        for (i, h) in handles.into_iter().enumerate() {
            if let Ok(Ok(ack)) = h.await {
                acked.push((i, ack));
            }
        }
        self.conn = None;
        acked
    }

    /// KIP-360 for idempotent producers: a higher epoch with sequence 0 starts a fresh
    /// sequence on this partition; past 32767 epochs a new producer id is needed.
    async fn restart(&mut self, next: Option<(i64, i16)>, err: &Error) {
        let (producer_id, epoch) = self.seq.producer();
        tracing::warn!(
            cluster = %self.inner.cluster,
            partition = %self.tp,
            producer_id,
            epoch,
            error = %err,
            "broker lost producer state; bumping epoch and resending"
        );
        let next = match next {
            Some(next) => next,
            None => match init_producer_id(&self.inner).await {
                Ok(next) => next,
                Err(e) => return self.fail_all(e),
            },
        };
        self.seq.restart(next);
    }

    /// Fails the oldest batch with `err` and every later one as aborted (writing them would
    /// leave a hole); the sequencer restarts the partition's sequence under a new epoch.
    fn fail_all(&mut self, err: Error) {
        tracing::warn!(cluster = %self.inner.cluster, partition = %self.tp, error = %err, "produce failed");
        for (i, job) in self.seq.fail_all().enumerate() {
            let e = if i == 0 {
                err.clone()
            } else {
                Error::ProduceAborted {
                    cluster: self.inner.cluster.clone(),
                    partition: self.tp.to_string(),
                    cause: Box::new(err.clone()),
                }
            };
            let _ = job.ack.send(Err(e));
        }
    }

    /// Fatal when not retriable or when the oldest batch ran out of delivery time.
    fn classify(&self, e: &Error) -> Failure {
        if !e.is_retriable() || self.delivery_expired() {
            Failure::Fatal
        } else {
            Failure::Retriable
        }
    }

    /// The error a fatal failure reports: itself, or "retries exhausted" when it was
    /// retriable but time ran out.
    fn final_error(&self, e: Error) -> Error {
        if e.is_retriable() {
            self.exhausted(e)
        } else {
            e
        }
    }

    fn delivery_expired(&self) -> bool {
        self.seq
            .front()
            .is_some_and(|j| j.enqueued.elapsed() >= self.shared.config.delivery_timeout)
    }

    fn exhausted(&self, last: Error) -> Error {
        Error::RetriesExhausted {
            cluster: self.inner.cluster.clone(),
            operation: "idempotent produce",
            elapsed: self.shared.config.delivery_timeout,
            last: Box::new(last),
        }
    }

    fn retry_later(&mut self, err: &Error) {
        if err.needs_metadata_refresh() {
            self.inner.metadata.invalidate();
        }
        let delay = self.backoff.next_delay();
        tracing::debug!(
            cluster = %self.inner.cluster,
            partition = %self.tp,
            error = %err,
            delay_ms = delay.as_millis() as u64,
            "produce will be retried"
        );
        self.retry_at = Some(Instant::now() + delay);
    }

    fn task_failed(&self, e: JoinError) -> Error {
        Error::UnexpectedResponse {
            cluster: self.inner.cluster.clone(),
            detail: format!("produce task failed: {e}"),
        }
    }
}

/// OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID: the broker lost our producer state
/// (e.g. producer id expiry).
fn lost_state(err: &Error) -> bool {
    matches!(
        err.code(),
        Some(ResponseError::OutOfOrderSequenceNumber | ResponseError::UnknownProducerId)
    )
}

/// The batch with the producer id, epoch and sequence number to send (CRC redone).
fn assemble(next: &Outgoing<'_, Job>) -> bytes::Bytes {
    let batch = &next.job.batch;
    let mut out = BytesMut::with_capacity(batch.as_bytes().len());
    let rw = HeaderRewrite {
        base_offset: Some(0),
        partition_leader_epoch: Some(-1),
        producer_id: Some(next.producer_id),
        producer_epoch: Some(next.epoch),
        base_sequence: Some(next.base_sequence),
        transactional: Some(false),
    };
    append_rewritten(&mut out, batch, &rw);
    out.freeze()
}
