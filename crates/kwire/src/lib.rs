//! kwire: a thin Kafka client of its own (Kafka protocol guide; v2 "Record Batch" format) that
//! can forward fetched record batches without re-encoding them: connections with TLS and SASL,
//! metadata and leader routing, Fetch, Produce, an idempotent producer (KIP-98, KIP-360),
//! offsets, group offsets and admin operations. It knows nothing about mirroring.
#![forbid(unsafe_code)]

pub mod batch;
pub mod client;
pub mod connection;
pub mod error;
pub mod partitioner;
pub mod protocol;
