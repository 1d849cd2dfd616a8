//! mirror: the replication engine, MirrorMaker 2 semantics (KIP-382) on top of kwire. The
//! configuration model, loaders and policies live in `strait_config`.
//!
//! * [`runtime`] turns the configuration model into kwire client settings and [`settings`].
//! * [`replicate`] runs a flow: the record path fetch → plan → produce → ack → positions →
//!   offset syncs, one stage per file.
//! * `topics` manages remote topics (discovery, creation, partition growth).
//! * [`internal_topics`] creates strait's internal topics and reads them to their end.
//! * [`offsets`] holds MM2's record formats and the offset translation.
//! * [`checkpoint`] and [`heartbeat`] are the checkpoint and heartbeat tasks.
//! * [`error`] is the engine's one error type.
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod error;
pub mod heartbeat;
pub mod internal_topics;
pub mod offsets;
pub mod replicate;
pub mod runtime;
pub mod settings;
mod topics;
