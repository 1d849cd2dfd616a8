//! Idempotent producer (KIP-98 idempotence, KIP-360 epoch bumps for idempotent producers):
//! per-partition sequence numbers, up to five unacknowledged batches per partition, order
//! kept across retries and reconnects, so the broker drops the duplicates a resend creates.
//!
//! Why "five batches": a broker remembers the last five batches of each producer per
//! partition (`ProducerStateEntry.NUM_BATCHES_TO_RETAIN`) and recognises a resend only among
//! those. Produce v3+ carries exactly one batch per partition per request, so the window is
//! five requests per partition.
//!
//! Each partition has one worker task (`worker`: connection, requests, retry timer) driving a
//! pure sequencing state machine (`sequencer`: sequence numbers, the in-flight window, and
//! what a failure leads to).

mod sequencer;
mod worker;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use kafka_protocol::messages::{InitProducerIdRequest, ProducerId};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{Client, Inner, TopicPartition, retry};
use crate::batch::BatchView;
use crate::error::{Error, Result};
use worker::{Job, Worker};

/// The broker's deduplication window per producer and partition.
pub const MAX_IN_FLIGHT_BATCHES: usize = 5;

/// Idempotent producer settings.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `delivery.timeout.ms` (default 120 s): how long a batch may be retried before it fails.
    pub delivery_timeout: Duration,
    /// How long the broker may wait for replication (the request's `timeout_ms`).
    pub ack_timeout: Duration,
    /// Unacknowledged batches (= requests) per partition, at most [`MAX_IN_FLIGHT_BATCHES`].
    pub max_in_flight_batches: usize,
    /// Sends queued per partition before [`IdempotentProducer::send`] waits (backpressure).
    pub max_queued_sends: usize,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            delivery_timeout: Duration::from_secs(120),
            ack_timeout: Duration::from_secs(30),
            max_in_flight_batches: MAX_IN_FLIGHT_BATCHES,
            max_queued_sends: 64,
        }
    }
}

/// Where a send landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The partition.
    pub tp: TopicPartition,
    /// Offset of the batch's first record (-1 if an old broker reported only "duplicate").
    pub base_offset: i64,
    /// Broker time, when the topic uses LogAppendTime.
    pub log_append_time: Option<i64>,
    /// Producer id written into the batches.
    pub producer_id: i64,
    /// Producer epoch written into the batches.
    pub producer_epoch: i16,
    /// Sequence number of the first record.
    pub base_sequence: i32,
    /// Offsets (and sequence numbers) the batch spans: `last_offset_delta + 1`.
    pub record_count: i32,
}

/// Resolves when the broker acknowledged a send (or it failed for good).
#[derive(Debug)]
pub struct DeliveryFuture {
    rx: oneshot::Receiver<Result<Delivery>>,
}

impl Future for DeliveryFuture {
    type Output = Result<Delivery>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(Error::Closed("idempotent producer"))))
    }
}

/// An idempotent producer on one cluster. Batches given to [`send`](Self::send) for the same
/// partition are written in call order, each exactly once, or fail with an error.
#[derive(Debug)]
pub struct IdempotentProducer {
    shared: Arc<Shared>,
}

/// A partition worker's queue and task.
type WorkerHandle = (mpsc::Sender<Job>, JoinHandle<()>);

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) client: Client,
    pub(crate) config: ProducerConfig,
    initial: (i64, i16),
    workers: Mutex<HashMap<TopicPartition, WorkerHandle>>,
}

impl IdempotentProducer {
    /// Obtains a producer id (InitProducerId without a transactional id).
    pub async fn new(client: Client, mut config: ProducerConfig) -> Result<Self> {
        config.max_in_flight_batches = config.max_in_flight_batches.clamp(1, MAX_IN_FLIGHT_BATCHES);
        config.max_queued_sends = config.max_queued_sends.max(1);
        let initial = init_producer_id(client.inner()).await?;
        tracing::info!(
            cluster = %client.cluster_name(),
            producer_id = initial.0,
            producer_epoch = initial.1,
            "idempotent producer ready"
        );
        let shared = Arc::new(Shared {
            client,
            config,
            initial,
            workers: Mutex::new(HashMap::new()),
        });
        Ok(Self { shared })
    }

    /// The producer id obtained at start (a partition may move to a new one after 32767
    /// epoch bumps).
    pub fn producer_id(&self) -> i64 {
        self.shared.initial.0
    }

    /// Queues one batch for a partition and returns a future for its acknowledgement.
    ///
    /// Producer id, epoch and sequence number are written into the batch header (CRC
    /// recomputed) and the transactional bit is cleared. Batches of one partition are written
    /// in call order. Waits only when the partition's queue is full.
    pub async fn send(&self, tp: TopicPartition, batch: BatchView) -> Result<DeliveryFuture> {
        let delta = batch.last_offset_delta();
        if delta < 0 {
            return Err(Error::InvalidArgument(format!(
                "batch for {tp} has lastOffsetDelta {delta}"
            )));
        }
        let (ack, rx) = oneshot::channel();
        let job = Job {
            batch,
            records: delta + 1,
            ack,
            enqueued: Instant::now(),
        };
        let sender = self.worker(&tp);
        sender
            .send(job)
            .await
            .map_err(|_| Error::Closed("idempotent producer"))?;
        Ok(DeliveryFuture { rx })
    }

    /// Queues several batches for a partition, in order; one future per batch.
    pub async fn send_all(
        &self,
        tp: TopicPartition,
        batches: Vec<BatchView>,
    ) -> Result<Vec<DeliveryFuture>> {
        let mut out = Vec::with_capacity(batches.len());
        for b in batches {
            out.push(self.send(tp.clone(), b).await?);
        }
        Ok(out)
    }

    /// Stops accepting sends, lets every queued batch finish, then returns.
    pub async fn close(self) {
        let workers: Vec<_> = {
            let mut map = self
                .shared
                .workers
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            map.drain().map(|(_, (_, handle))| handle).collect()
        };
        for handle in workers {
            let _ = handle.await;
        }
    }

    fn workers(&self) -> std::sync::MutexGuard<'_, HashMap<TopicPartition, WorkerHandle>> {
        self.shared
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn worker(&self, tp: &TopicPartition) -> mpsc::Sender<Job> {
        let mut map = self
            .shared
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((tx, _)) = map.get(tp)
            && !tx.is_closed()
        {
            return tx.clone();
        }
        let (tx, rx) = mpsc::channel(self.shared.config.max_queued_sends);
        let worker = Worker::new(self.shared.clone(), tp.clone(), rx, self.shared.initial);
        let handle = tokio::spawn(worker.run());
        map.insert(tp.clone(), (tx.clone(), handle));
        tx
    }
}

impl Drop for IdempotentProducer {
    fn drop(&mut self) {
        // Workers hold the shared state, so only dropping their queues lets them finish what
        // is queued and exit.
        self.workers().clear();
    }
}

/// InitProducerId without transactional id: any broker allocates an id, epoch 0.
pub(crate) async fn init_producer_id(inner: &Inner) -> Result<(i64, i16)> {
    retry::with_retries(inner, "init producer id", || async move {
        let conn = inner.any_connection().await?;
        let resp = inner
            .send(&conn, |_| {
                InitProducerIdRequest::default()
                    .with_transactional_id(None)
                    .with_transaction_timeout_ms(i32::MAX)
            })
            .await?;
        inner.check(
            Some(&conn),
            kafka_protocol::messages::ApiKey::InitProducerId,
            || "idempotent producer".into(),
            resp.error_code,
            None,
        )?;
        let ProducerId(id) = resp.producer_id;
        Ok((id, resp.producer_epoch))
    })
    .await
}
