//! Per-flow replication (MM2 MirrorSourceConnector equivalent): source positions, data path.

pub mod positions;
