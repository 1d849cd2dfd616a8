//! kwire: a thin Kafka wire client that can forward fetched record batches without
//! re-encoding them. It knows nothing about mirroring.
#![forbid(unsafe_code)]

pub mod batch;
pub mod client;
pub mod connection;
pub mod error;
pub mod partitioner;
pub mod protocol;
