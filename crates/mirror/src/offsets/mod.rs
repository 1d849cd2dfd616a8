//! Consumer offsets across clusters (KIP-382 offset syncs, checkpoints, heartbeats): MM2's
//! record formats, so Java tooling (RemoteClusterUtils, MM2's formatters) reads what strait writes.

pub mod heartbeat;
pub mod records;
