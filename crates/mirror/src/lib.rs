//! mirror: MirrorMaker 2 semantics (config, policies, replication) on top of kwire.
//!
//! * [`config`] reads the configuration users already have (MM2 dedicated-mode
//!   `mm2.properties` today) into one typed model, [`config::MirrorConfig`].
//! * [`policy`] holds the replication policies and topic / group / config-property filters
//!   that decide what is mirrored and how remote topics are named.
//! * [`runtime`] turns the model into kwire client settings and flow settings.
//! * [`offsets`] holds MM2's offset-sync, checkpoint and heartbeat record formats.
//! * [`replicate`] runs a flow: topic creation, the forward/re-encode data path, positions.
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
