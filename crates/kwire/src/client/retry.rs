//! Exponential backoff with jitter (Kafka's `retry.backoff.ms`/`retry.backoff.max.ms`, KIP-580)
//! and the retry loop shared by operations that may safely be repeated.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{CoordinatorType, Inner, TopicPartition};
use crate::error::{Error, Result};

/// Exponential backoff: `base * 2^n`, capped at `max`, with ±20 % jitter as in Kafka (so many
/// clients do not retry in lock step).
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    attempts: u32,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
            attempts: 0,
        }
    }

    /// The pause before the next attempt.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let exp = self.attempts.min(20);
        self.attempts = self.attempts.saturating_add(1);
        let raw = self.base.saturating_mul(1u32 << exp).min(self.max);
        let jitter = 0.8 + rand::random::<f64>() * 0.4;
        raw.mul_f64(jitter)
    }

    pub(crate) fn reset(&mut self) {
        self.attempts = 0;
    }
}

/// Runs `attempt` until it succeeds, fails fatally, or `api_timeout` would be exceeded.
/// Errors that imply stale metadata mark the cache for refresh before the next attempt.
pub(crate) async fn with_retries<T, F, Fut>(
    inner: &Inner,
    operation: &'static str,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let start = Instant::now();
    let deadline = start + inner.config.api_timeout;
    let mut backoff = Backoff::new(inner.config.retry_backoff, inner.config.retry_backoff_max);
    loop {
        let err = match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !err.is_retriable() {
            return Err(err);
        }
        if err.needs_metadata_refresh() {
            inner.metadata.invalidate();
        }
        let delay = backoff.next_delay();
        if Instant::now() + delay >= deadline {
            return Err(Error::RetriesExhausted {
                cluster: inner.cluster.clone(),
                operation,
                elapsed: start.elapsed(),
                last: Box::new(err),
            });
        }
        tracing::debug!(
            cluster = %inner.cluster,
            operation,
            error = %err,
            delay_ms = delay.as_millis() as u64,
            "retrying"
        );
        tokio::time::sleep(delay).await;
    }
}

/// Where a routed request must go.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RouteTo<'a> {
    /// The partition's leader.
    Leader(&'a TopicPartition),
    /// The coordinator of a group or transactional id.
    Coordinator(CoordinatorType, &'a str),
}

/// One unit of routed work (a partition, a group) with the key its result is filed under.
pub(crate) trait Routed: Send + 'static {
    type Key: Ord + Clone + Send + 'static;
    fn key(&self) -> Self::Key;
    fn route(&self) -> RouteTo<'_>;
}

/// Sends items to the broker each must go to (one call per broker, in parallel) and retries
/// the items whose errors pass `retry_if`, until `api_timeout`. Every item ends with its own
/// result.
pub(crate) async fn routed<K, T, F, Fut>(
    inner: &Arc<Inner>,
    operation: &'static str,
    items: Vec<K>,
    retry_if: fn(&Error) -> bool,
    send: F,
) -> BTreeMap<K::Key, Result<T>>
where
    K: Routed,
    T: Send + 'static,
    F: Fn(Arc<Inner>, i32, Vec<K>) -> Fut,
    Fut: Future<Output = Vec<(K, Result<T>)>> + Send + 'static,
{
    let start = Instant::now();
    let deadline = start + inner.config.api_timeout;
    let mut backoff = Backoff::new(inner.config.retry_backoff, inner.config.retry_backoff_max);
    let mut round = Round {
        done: BTreeMap::new(),
        retry: Vec::new(),
        retry_if,
    };
    let mut pending = items;
    loop {
        let by_broker = round.route(inner, pending).await;
        round.dispatch(inner, by_broker, &send).await;
        if round.retry.is_empty() {
            return round.done;
        }
        let delay = backoff.next_delay();
        if Instant::now() + delay >= deadline {
            for (item, last) in std::mem::take(&mut round.retry) {
                let err = Error::RetriesExhausted {
                    cluster: inner.cluster.clone(),
                    operation,
                    elapsed: start.elapsed(),
                    last: Box::new(last),
                };
                round.done.insert(item.key(), Err(err));
            }
            return round.done;
        }
        tokio::time::sleep(delay).await;
        pending = round.retry.drain(..).map(|(item, _)| item).collect();
    }
}

/// The state of [`routed`] between rounds: finished items and items to try again.
struct Round<K: Routed, T> {
    done: BTreeMap<K::Key, Result<T>>,
    retry: Vec<(K, Error)>,
    retry_if: fn(&Error) -> bool,
}

impl<K: Routed, T: Send + 'static> Round<K, T> {
    /// Groups items by destination broker; routing failures finish or postpone items.
    async fn route(&mut self, inner: &Inner, items: Vec<K>) -> BTreeMap<i32, Vec<K>> {
        let mut by_broker: BTreeMap<i32, Vec<K>> = BTreeMap::new();
        for item in items {
            match inner.route(item.route()).await {
                Ok(node) => by_broker.entry(node).or_default().push(item),
                Err(e) => self.settle(inner, item, Err(e)),
            }
        }
        by_broker
    }

    /// One call per broker, in parallel.
    async fn dispatch<F, Fut>(
        &mut self,
        inner: &Arc<Inner>,
        by_broker: BTreeMap<i32, Vec<K>>,
        send: &F,
    ) where
        F: Fn(Arc<Inner>, i32, Vec<K>) -> Fut,
        Fut: Future<Output = Vec<(K, Result<T>)>> + Send + 'static,
    {
        let mut tasks = JoinSet::new();
        let mut keys_of_task = std::collections::HashMap::new();
        for (node, group) in by_broker {
            let keys: Vec<K::Key> = group.iter().map(Routed::key).collect();
            let handle = tasks.spawn(send(inner.clone(), node, group));
            keys_of_task.insert(handle.id(), keys);
        }
        while let Some(joined) = tasks.join_next_with_id().await {
            match joined {
                Ok((_, results)) => {
                    for (item, result) in results {
                        self.settle(inner, item, result);
                    }
                }
                // A panicked task is a kwire bug; still give each of its items an answer.
                Err(e) => {
                    for key in keys_of_task.remove(&e.id()).unwrap_or_default() {
                        let err = Error::UnexpectedResponse {
                            cluster: inner.cluster.clone(),
                            detail: format!("request task failed: {e}"),
                        };
                        self.done.insert(key, Err(err));
                    }
                }
            }
        }
    }

    fn settle(&mut self, inner: &Inner, item: K, result: Result<T>) {
        match result {
            Err(e) if (self.retry_if)(&e) => {
                inner.forget_route(item.route(), &e);
                self.retry.push((item, e));
            }
            other => {
                self.done.insert(item.key(), other);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let d: Vec<_> = (0..6).map(|_| b.next_delay()).collect();
        assert!(d[0] >= Duration::from_millis(80) && d[0] <= Duration::from_millis(120));
        assert!(d[2] >= Duration::from_millis(320) && d[2] <= Duration::from_millis(480));
        assert!(d[5] <= Duration::from_millis(1200));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(120));
    }
}
