//! Offset translation across clusters (KIP-382 offset syncs, checkpoints, heartbeats;
//! docs/mm2-compatibility.md "Byte formats" and "Offset translation"): MM2's record formats, so
//! Java tooling (RemoteClusterUtils, MM2's formatters) reads what strait writes, and the exact
//! translation built on them. The tasks that use them (the flow's offset-sync emitter,
//! checkpoints, heartbeats) live outside this module.
//!
//! * [`records`]: the OffsetSync, Checkpoint and Heartbeat byte codecs.
//! * [`sync`]: offset syncs as strait emits them (segments included).
//! * [`index`]: translation of group positions from those syncs.
//! * [`group_sync`]: committing translated positions to target groups.

pub mod group_sync;
pub mod index;
pub mod records;
pub mod sync;
