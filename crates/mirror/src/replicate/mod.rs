//! Per-flow replication `A->B`, the MM2 MirrorSourceConnector equivalent (KIP-382): topic
//! discovery and creation, the fetch → forward/re-encode → idempotent produce path, and source
//! positions stored after the target's acknowledgement.

mod flow;
mod metrics;
pub mod positions;
pub mod store;
pub mod transform;

pub use flow::run_flow;
pub use metrics::{FlowMetrics, MetricsSnapshot};
