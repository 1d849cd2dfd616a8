//! mirror: MirrorMaker 2 semantics (config, policies, replication) on top of kwire.
pub mod replicate;
