//! Shared support of the integration tests that run against the harness clusters: kwire clients
//! and offsets, partition logs read back as stored, strait's flow and checkpoint task in the
//! test process, offset-translation fixtures, and Kafka's own Java clients as child processes.
// Each test file uses only some of these helpers; items are `pub` for the test files, which
// reach them through their private `mod common`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod flow;
pub mod java;
pub mod kafka;
pub mod log;
pub mod offsets;
