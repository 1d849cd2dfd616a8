//! Broker connection pool: one connection per broker, re-opened on demand with exponential
//! backoff (`reconnect.backoff.ms`, `reconnect.backoff.max.ms`), plus bootstrap connections
//! (`bootstrap.servers`) used until metadata names the brokers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::time::Instant;

use super::retry::Backoff;
use crate::connection::{ConnectionError, Connector, Endpoint, Messenger};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SlotKey {
    Broker(i32),
    Bootstrap(String),
}

#[derive(Debug)]
struct Slot {
    endpoint: Mutex<Endpoint>,
    conn: Mutex<Option<Arc<Messenger>>>,
    /// Serialises connection attempts and carries the backoff between them.
    reconnect: tokio::sync::Mutex<Reconnect>,
}

#[derive(Debug)]
struct Reconnect {
    backoff: Backoff,
    retry_at: Option<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Slot {
    fn live(&self) -> Option<Arc<Messenger>> {
        lock(&self.conn).as_ref().filter(|c| c.is_usable()).cloned()
    }
}

/// The connections of one client.
#[derive(Debug)]
pub(crate) struct BrokerPool {
    connector: Connector,
    slots: Mutex<HashMap<SlotKey, Arc<Slot>>>,
}

impl BrokerPool {
    pub(crate) fn new(connector: Connector) -> Self {
        Self {
            connector,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The connection to broker `node_id` at `addr`, opening it if needed.
    pub(crate) async fn broker(
        &self,
        node_id: i32,
        addr: &str,
    ) -> Result<Arc<Messenger>, ConnectionError> {
        let slot = self.slot(SlotKey::Broker(node_id), Some(node_id), addr);
        self.get(&slot).await
    }

    /// A connection to a bootstrap address.
    pub(crate) async fn bootstrap(&self, addr: &str) -> Result<Arc<Messenger>, ConnectionError> {
        let slot = self.slot(SlotKey::Bootstrap(addr.to_owned()), None, addr);
        self.get(&slot).await
    }

    /// Any open, usable connection, preferring brokers over bootstrap addresses.
    pub(crate) fn live_connection(&self) -> Option<Arc<Messenger>> {
        let slots = lock(&self.slots);
        let mut bootstrap = None;
        for (key, slot) in slots.iter() {
            if let Some(c) = slot.live() {
                match key {
                    SlotKey::Broker(_) => return Some(c),
                    SlotKey::Bootstrap(_) => bootstrap = Some(c),
                }
            }
        }
        bootstrap
    }

    /// Closes every connection; requests in flight fail with a retriable error.
    pub(crate) fn close_all(&self, reason: &str) {
        let slots: Vec<_> = lock(&self.slots).values().cloned().collect();
        for slot in slots {
            if let Some(c) = lock(&slot.conn).take() {
                c.close(reason);
            }
        }
    }

    fn slot(&self, key: SlotKey, node_id: Option<i32>, addr: &str) -> Arc<Slot> {
        let mut slots = lock(&self.slots);
        let slot = slots.entry(key).or_insert_with(|| {
            let cfg = self.connector.config();
            Arc::new(Slot {
                endpoint: Mutex::new(self.connector.endpoint(node_id, addr)),
                conn: Mutex::new(None),
                reconnect: tokio::sync::Mutex::new(Reconnect {
                    backoff: Backoff::new(cfg.reconnect_backoff, cfg.reconnect_backoff_max),
                    retry_at: None,
                }),
            })
        });
        let mut endpoint = lock(&slot.endpoint);
        if &*endpoint.addr != addr {
            // The broker moved (new advertised listener): drop the old connection.
            *endpoint = self.connector.endpoint(node_id, addr);
            if let Some(old) = lock(&slot.conn).take() {
                old.close("broker address changed");
            }
        }
        drop(endpoint);
        slot.clone()
    }

    async fn get(&self, slot: &Slot) -> Result<Arc<Messenger>, ConnectionError> {
        if let Some(c) = slot.live() {
            return Ok(c);
        }
        let mut rc = slot.reconnect.lock().await;
        if let Some(c) = slot.live() {
            return Ok(c); // another task connected while we waited
        }
        if let Some(at) = rc.retry_at {
            tokio::time::sleep_until(at).await;
        }
        let endpoint = lock(&slot.endpoint).clone();
        match self.connector.connect(endpoint.clone()).await {
            Ok(c) => {
                rc.backoff.reset();
                rc.retry_at = None;
                *lock(&slot.conn) = Some(c.clone());
                Ok(c)
            }
            Err(e) => {
                let delay = rc.backoff.next_delay();
                rc.retry_at = Some(Instant::now() + delay);
                tracing::warn!(
                    cluster = %endpoint.cluster,
                    broker = ?endpoint.node_id,
                    addr = %endpoint.addr,
                    error = %e,
                    retry_in_ms = delay.as_millis() as u64,
                    "connection failed"
                );
                Err(e)
            }
        }
    }
}
