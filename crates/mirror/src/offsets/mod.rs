//! Consumer offsets across clusters (KIP-382 offset syncs, checkpoints, heartbeats): MM2's
//! record formats, so Java tooling (RemoteClusterUtils, MM2's formatters) reads what strait writes,
//! and the exact offset translation built on them.
//!
//! * [`sync`]: offset syncs as strait emits them (segments included).
//! * [`index`]: translation of group positions from those syncs.
//! * [`checkpoint`] and [`group_sync`]: checkpoints and target group offsets.

pub mod group_sync;
pub mod index;
pub mod records;
pub mod sync;
