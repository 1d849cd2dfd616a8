//! One partition of the idempotent producer: assigns sequence numbers, keeps a window of
//! unacknowledged batches on one connection, and recovers from failures in order.
//!
//! Recovery rules (KIP-98, KIP-360):
//! - a retriable failure (connection lost, timeout, leader moved): wait for every request in
//!   flight, then resend all unacknowledged batches *with the same sequence numbers*; the
//!   broker answers a batch it already has with its original offset;
//! - OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID on the oldest batch: the broker lost
//!   our producer state, so bump the epoch, renumber from 0 and resend;
//! - a fatal error: fail that batch and every later one (writing them would leave a hole),
//!   bump the epoch so the partition starts clean.

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

#[derive(Debug)]
struct Entry {
    job: Job,
    base_sequence: i32,
    /// Producer id and epoch of the last transmission.
    sent_as: (i64, i16),
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
    producer_id: i64,
    epoch: i16,
    next_sequence: i32,
    /// Unacknowledged sends in sequence order; the first `in_flight.len()` are on the wire.
    entries: VecDeque<Entry>,
    in_flight: VecDeque<InFlight>,
    /// All requests in flight use this connection, so the broker sees them in order.
    conn: Option<Arc<Messenger>>,
    backoff: Backoff,
    retry_at: Option<Instant>,
    /// Whether the broker acknowledged a batch of the current sequence run (this producer id
    /// and epoch on this partition). Until it has, the broker holds no state for us and
    /// accepts *any* first sequence number; a later batch could then be written before an
    /// earlier one that failed transiently (e.g. a partition not ready yet). So until then
    /// only one request is in flight.
    confirmed: bool,
}

/// Kafka sequence numbers wrap from `i32::MAX` to 0.
fn seq_add(seq: i32, n: i32) -> i32 {
    ((i64::from(seq) + i64::from(n)) % (i64::from(i32::MAX) + 1)) as i32
}

impl Worker {
    pub(crate) fn new(
        shared: Arc<Shared>,
        tp: TopicPartition,
        jobs: mpsc::Receiver<Job>,
        (producer_id, epoch): (i64, i16),
    ) -> Self {
        let inner = shared.client.inner().clone();
        let cfg = &inner.config;
        Self {
            backoff: Backoff::new(cfg.retry_backoff, cfg.retry_backoff_max),
            inner,
            shared,
            tp,
            jobs,
            jobs_closed: false,
            producer_id,
            epoch,
            next_sequence: 0,
            entries: VecDeque::new(),
            in_flight: VecDeque::new(),
            confirmed: false,
            conn: None,
            retry_at: None,
        }
    }

    pub(crate) async fn run(mut self) {
        loop {
            if self.retry_at.is_none() {
                self.fill_window().await;
            }
            if self.jobs_closed && self.entries.is_empty() {
                return;
            }
            match self.next_event().await {
                Event::Response(r) => {
                    let r = r.unwrap_or_else(|e| Err(self.task_failed(e)));
                    self.in_flight.pop_front();
                    self.on_front(r).await;
                }
                Event::Job(Some(job)) => self.push(job),
                Event::Job(None) => self.jobs_closed = true,
                Event::RetryDue => self.retry_at = None,
            }
        }
    }

    async fn next_event(&mut self) -> Event {
        let accepting =
            !self.jobs_closed && self.entries.len() < self.shared.config.max_queued_sends;
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

    fn push(&mut self, job: Job) {
        let base_sequence = self.next_sequence;
        self.next_sequence = seq_add(base_sequence, job.records);
        self.entries.push_back(Entry {
            job,
            base_sequence,
            sent_as: (self.producer_id, self.epoch),
        });
    }

    /// Sends queued entries while the batch window has room.
    async fn fill_window(&mut self) {
        while self.in_flight.len() < self.entries.len() && self.window_has_room() {
            match self.send_next().await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => return self.on_send_failure(e),
            }
        }
    }

    fn window_has_room(&self) -> bool {
        let window = if self.confirmed {
            self.shared.config.max_in_flight_batches
        } else {
            1
        };
        self.in_flight.len() < window
    }

    /// Puts the next entry on the wire. `Ok(false)`: the leader's connection changed while
    /// requests are in flight; wait for them before switching, to keep the order.
    async fn send_next(&mut self) -> Result<bool> {
        if self.producer_id < 0 {
            (self.producer_id, self.epoch) = init_producer_id(&self.inner).await?;
        }
        let (leader, _) = self
            .inner
            .leader_for(&self.tp.topic, self.tp.partition)
            .await?;
        let conn = self.inner.broker_connection(leader).await?;
        if !self.in_flight.is_empty() && !self.conn.as_ref().is_some_and(|c| Arc::ptr_eq(c, &conn))
        {
            return Ok(false);
        }
        let idx = self.in_flight.len();
        let records = self.assemble(&self.entries[idx]);
        self.entries[idx].sent_as = (self.producer_id, self.epoch);
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
        self.conn = Some(conn);
        Ok(true)
    }

    /// The batch of `entry` with our producer id, epoch and sequence number (CRC redone).
    fn assemble(&self, entry: &Entry) -> bytes::Bytes {
        let mut out = BytesMut::with_capacity(entry.job.batch.as_bytes().len());
        let rw = HeaderRewrite {
            base_offset: Some(0),
            partition_leader_epoch: Some(-1),
            producer_id: Some(self.producer_id),
            producer_epoch: Some(self.epoch),
            base_sequence: Some(entry.base_sequence),
            transactional: Some(false),
        };
        append_rewritten(&mut out, &entry.job.batch, &rw);
        out.freeze()
    }

    /// Leader lookup or connect failed before anything was sent.
    fn on_send_failure(&mut self, e: Error) {
        if !e.is_retriable() && self.in_flight.is_empty() {
            return self.fail_all(e);
        }
        if self.delivery_expired() && self.in_flight.is_empty() {
            return self.fail_all(self.exhausted(e));
        }
        if e.needs_metadata_refresh() {
            self.inner.metadata.invalidate();
        }
        self.schedule_retry(&e);
    }

    async fn on_front(&mut self, result: Result<ProduceAck>) {
        match result {
            Ok(ack) => {
                self.backoff.reset();
                if let Some(entry) = self.entries.pop_front() {
                    self.deliver(entry, ack);
                }
            }
            Err(e) => self.recover(e).await,
        }
    }

    fn deliver(&mut self, entry: Entry, ack: ProduceAck) {
        self.confirmed = true;
        let delivery = Delivery {
            tp: self.tp.clone(),
            base_offset: ack.base_offset,
            log_append_time: ack.log_append_time,
            producer_id: entry.sent_as.0,
            producer_epoch: entry.sent_as.1,
            base_sequence: entry.base_sequence,
            record_count: entry.job.records,
        };
        let _ = entry.job.ack.send(Ok(delivery));
    }

    /// The oldest request failed: settle everything in flight, then decide.
    async fn recover(&mut self, err: Error) {
        self.drain_in_flight().await;
        // The broker may have lost our state (e.g. producer id expiry) and would then accept
        // any sequence: resend one at a time until it acknowledges again.
        self.confirmed = false;
        let code = err.code();
        if matches!(
            code,
            Some(ResponseError::OutOfOrderSequenceNumber | ResponseError::UnknownProducerId)
        ) {
            tracing::warn!(
                cluster = %self.inner.cluster,
                partition = %self.tp,
                producer_id = self.producer_id,
                epoch = self.epoch,
                error = %err,
                "broker lost producer state; bumping epoch and resending"
            );
            if let Err(e) = self.bump_epoch().await {
                self.fail_all(e);
            }
            return;
        }
        if !err.is_retriable() {
            return self.fail_all(err);
        }
        if self.delivery_expired() {
            return self.fail_all(self.exhausted(err));
        }
        if err.needs_metadata_refresh() {
            self.inner.metadata.invalidate();
        }
        self.schedule_retry(&err);
    }

    /// Waits for the rest of the requests in flight. Their successes are kept (the broker
    /// only accepts a later sequence after the earlier ones, so nothing is lost by resending
    /// the failed ones); their failures are dropped because the entries will be resent.
    async fn drain_in_flight(&mut self) {
        let handles: Vec<InFlight> = self.in_flight.drain(..).collect();
        let mut acked = Vec::new();
        for (i, h) in handles.into_iter().enumerate() {
            if let Ok(Ok(ack)) = h.await {
                acked.push((i + 1, ack));
            }
        }
        let mut done = Vec::new();
        for (idx, ack) in acked.into_iter().rev() {
            if let Some(entry) = self.entries.remove(idx) {
                done.push((entry, ack));
            }
        }
        for (entry, ack) in done.into_iter().rev() {
            self.deliver(entry, ack);
        }
        self.conn = None;
    }

    /// Fails the oldest entry with `err` and every later one as aborted (writing them would
    /// leave a hole), then restarts the partition's sequence under a new epoch.
    fn fail_all(&mut self, err: Error) {
        tracing::warn!(cluster = %self.inner.cluster, partition = %self.tp, error = %err, "produce failed");
        let failed: Vec<Entry> = self.entries.drain(..).collect();
        for (i, entry) in failed.into_iter().enumerate() {
            let e = if i == 0 {
                err.clone()
            } else {
                Error::ProduceAborted {
                    cluster: self.inner.cluster.clone(),
                    partition: self.tp.to_string(),
                    cause: Box::new(err.clone()),
                }
            };
            let _ = entry.job.ack.send(Err(e));
        }
        self.next_sequence = 0;
        self.confirmed = false;
        if self.epoch < i16::MAX {
            self.epoch += 1;
        } else {
            // Epochs exhausted: the next send fetches a new producer id first.
            self.producer_id = -1;
        }
    }

    /// KIP-360 for idempotent producers: a higher epoch with sequence 0 starts a fresh
    /// sequence on this partition; past 32767 epochs a new producer id is needed.
    async fn bump_epoch(&mut self) -> Result<()> {
        if self.epoch == i16::MAX || self.producer_id < 0 {
            let (pid, epoch) = init_producer_id(&self.inner).await?;
            self.producer_id = pid;
            self.epoch = epoch;
        } else {
            self.epoch += 1;
        }
        self.confirmed = false;
        let mut seq = 0;
        for e in &mut self.entries {
            e.base_sequence = seq;
            seq = seq_add(seq, e.job.records);
        }
        self.next_sequence = seq;
        Ok(())
    }

    fn delivery_expired(&self) -> bool {
        self.entries
            .front()
            .is_some_and(|e| e.job.enqueued.elapsed() >= self.shared.config.delivery_timeout)
    }

    fn exhausted(&self, last: Error) -> Error {
        Error::RetriesExhausted {
            cluster: self.inner.cluster.clone(),
            operation: "idempotent produce",
            elapsed: self.shared.config.delivery_timeout,
            last: Box::new(last),
        }
    }

    fn schedule_retry(&mut self, err: &Error) {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::seq_add;

    #[test]
    fn sequences_wrap_like_kafka() {
        assert_eq!(seq_add(0, 5), 5);
        assert_eq!(seq_add(i32::MAX, 1), 0);
        assert_eq!(seq_add(i32::MAX - 1, 3), 1);
    }
}
