//! Replication policies and selection filters (KIP-382, KIP-690;
//! `docs/mm2-compatibility.md`, "Replication policies" and "Topic, group and config selection").
//!
//! * [`ReplicationPolicy`]: how remote topics are named and recognised
//!   (`DefaultReplicationPolicy`, `IdentityReplicationPolicy`), cycle detection.
//! * [`TopicFilter`], [`GroupFilter`], [`ConfigPropertyFilter`]: MM2's default filters with
//!   Java-regex semantics ([`regex`]).

pub mod filter;
pub mod regex;
pub mod replication;

pub use filter::{
    ConfigPropertyFilter, GroupFilter, TopicFilter, UseDefaultsFrom, replicates_topic,
};
pub use regex::PatternList;
pub use replication::ReplicationPolicy;

/// Errors from building policies and filters. The config layer wraps these with the file,
/// line and key they came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A pattern is not a Java regex strait can run.
    #[error("{reason}")]
    Regex {
        /// The pattern as given (Java syntax).
        pattern: String,
        /// What is wrong and what to write instead.
        reason: String,
    },
    /// `replication.policy.class` names a class strait does not implement.
    #[error(
        "unsupported replication policy class `{class}`: expected {}, {} or {}",
        replication::DEFAULT_POLICY_CLASS,
        replication::IDENTITY_POLICY_CLASS,
        replication::STRIMZI_IDENTITY_POLICY_CLASS
    )]
    UnknownPolicyClass {
        /// The class name given.
        class: String,
    },
}
