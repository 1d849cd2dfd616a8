//! The idempotent producer keeps order and writes each batch once even when its connections
//! are killed while requests are in flight (resent batches carry their original sequence
//! numbers, so the broker answers duplicates instead of appending them).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use kwire::batch::BatchView;
use kwire::client::{IdempotentProducer, ProducerConfig};

use common::{batch, create_topic, fetch_all, tp, unique, var};

const SENDS: usize = 2000;
/// Kill all connections after every this many sends (the window of five is usually full).
const KILL_EVERY: usize = 50;
const RECORDS_PER_BATCH: usize = 4;

fn value(send: usize, record: usize) -> Vec<u8> {
    format!("{send:05}-{record}").into_bytes()
}

async fn run(cluster: &str, bootstrap: &str) {
    common::init_tracing();
    let mut config = common::config(bootstrap, cluster);
    // Quick retries keep the test short despite dozens of forced disconnects.
    config.retry_backoff = Duration::from_millis(5);
    config.retry_backoff_max = Duration::from_millis(50);
    let client = kwire::client::Client::connect(config).await.unwrap();
    let topic = unique("kwire-idem");
    create_topic(&client, &topic, 1).await;
    let producer = IdempotentProducer::new(client.clone(), ProducerConfig::default())
        .await
        .unwrap();

    let mut pending = Vec::new();
    let mut kills = 0;
    for s in 0..SENDS {
        let values: Vec<Vec<u8>> = (0..RECORDS_PER_BATCH).map(|r| value(s, r)).collect();
        let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
        let view = BatchView::new(batch(&refs, 1_700_000_000_000 + s as i64)).unwrap();
        pending.push(producer.send(tp(&topic, 0), view).await.unwrap());
        if s % KILL_EVERY == KILL_EVERY - 1 {
            // Drops the producer's connection with requests in flight, and anything else.
            client.close_connections();
            kills += 1;
        }
    }
    let mut deliveries = Vec::new();
    for p in pending {
        deliveries.push(p.await.unwrap());
    }
    assert!(kills >= 30);
    producer.close().await;

    // Acknowledged offsets are dense and in send order.
    for (i, d) in deliveries.iter().enumerate() {
        assert_eq!(
            d.base_offset,
            (i * RECORDS_PER_BATCH) as i64,
            "send {i}: {d:?}"
        );
        assert_eq!(d.record_count, RECORDS_PER_BATCH as i32);
    }

    // The log holds every record exactly once, in order, with contiguous sequences.
    let batches = fetch_all(&client, &tp(&topic, 0), 0).await;
    let values: Vec<Vec<u8>> = batches.iter().flat_map(|b| b.values.clone()).collect();
    let expected: Vec<Vec<u8>> = (0..SENDS)
        .flat_map(|s| (0..RECORDS_PER_BATCH).map(move |r| value(s, r)))
        .collect();
    assert_eq!(
        values.len(),
        expected.len(),
        "duplicates or losses in the log"
    );
    assert_eq!(values, expected, "records out of order");
    let mut next_offset = 0;
    let mut expected_seq = 0;
    let mut epoch = batches[0].producer_epoch;
    for b in &batches {
        assert_eq!(b.base_offset, next_offset, "offset gap or overlap");
        assert_eq!(b.producer_id, producer_id_of(&deliveries));
        if b.producer_epoch != epoch {
            // An epoch bump restarts sequences at 0 (never expected here, but legal).
            epoch = b.producer_epoch;
            expected_seq = 0;
        }
        assert_eq!(
            b.base_sequence, expected_seq,
            "sequence gap at offset {}",
            b.base_offset
        );
        next_offset += b.values.len() as i64;
        expected_seq += b.values.len() as i32;
    }
}

fn producer_id_of(deliveries: &[kwire::client::Delivery]) -> i64 {
    deliveries[0].producer_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_produce_survives_connection_drops_kafka4() {
    run("A", &var("STRAIT_KAFKA_A")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_produce_survives_connection_drops_kafka39() {
    run("LEGACY", &var("STRAIT_KAFKA_LEGACY")).await;
}
