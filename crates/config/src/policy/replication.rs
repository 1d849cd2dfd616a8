//! `ReplicationPolicy` (KIP-382, KIP-690 separators): remote topic naming,
//! internal topic names, heartbeats detection and cycle detection, with exactly the
//! string semantics of Kafka's `DefaultReplicationPolicy` and `IdentityReplicationPolicy`
//! (`docs/mm2-compatibility.md`, "Replication policies").

use super::PolicyError;

/// `org.apache.kafka.connect.mirror.DefaultReplicationPolicy`.
pub const DEFAULT_POLICY_CLASS: &str = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy";
/// `org.apache.kafka.connect.mirror.IdentityReplicationPolicy`.
pub const IDENTITY_POLICY_CLASS: &str = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy";
/// Strimzi's older identity policy, a plain subclass of Kafka's.
pub const STRIMZI_IDENTITY_POLICY_CLASS: &str =
    "io.strimzi.kafka.connect.mirror.IdentityReplicationPolicy";
/// `replication.policy.separator` default.
pub const DEFAULT_SEPARATOR: &str = ".";
/// The local heartbeats topic.
pub const HEARTBEATS_TOPIC: &str = "heartbeats";

/// How remote topics are named. Both variants carry the separator settings because
/// Identity extends Default in Kafka: heartbeats and internal topic names still use them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicationPolicy {
    /// Remote topic = `source + separator + topic`.
    Default {
        /// `replication.policy.separator` (default `.`; may be empty).
        separator: String,
        /// `replication.policy.internal.topic.separator.enabled` (default true, KIP-690):
        /// when false, internal topic names use `.` whatever the separator.
        internal_topic_separator_enabled: bool,
    },
    /// Remote topic = topic (except heartbeats). Cannot detect cycles.
    Identity {
        /// As for `Default`.
        separator: String,
        /// As for `Default`.
        internal_topic_separator_enabled: bool,
        /// The policy's `source.cluster.alias` (MM2 passes the flow's source alias), returned
        /// by `topic_source` for every non-heartbeats topic.
        source_cluster_alias: Option<String>,
    },
}

impl Default for ReplicationPolicy {
    fn default() -> Self {
        ReplicationPolicy::Default {
            separator: DEFAULT_SEPARATOR.to_owned(),
            internal_topic_separator_enabled: true,
        }
    }
}

impl ReplicationPolicy {
    /// `IdentityReplicationPolicy` with default separators.
    pub fn identity(source_cluster_alias: Option<String>) -> Self {
        ReplicationPolicy::Identity {
            separator: DEFAULT_SEPARATOR.to_owned(),
            internal_topic_separator_enabled: true,
            source_cluster_alias,
        }
    }

    /// Builds the policy named by `replication.policy.class` (Kafka's and Strimzi's names).
    pub fn from_class_name(
        class: &str,
        separator: &str,
        internal_topic_separator_enabled: bool,
        source_cluster_alias: Option<String>,
    ) -> Result<Self, PolicyError> {
        let separator = separator.to_owned();
        match class.trim() {
            DEFAULT_POLICY_CLASS => Ok(ReplicationPolicy::Default {
                separator,
                internal_topic_separator_enabled,
            }),
            IDENTITY_POLICY_CLASS | STRIMZI_IDENTITY_POLICY_CLASS => {
                Ok(ReplicationPolicy::Identity {
                    separator,
                    internal_topic_separator_enabled,
                    source_cluster_alias,
                })
            }
            other => Err(PolicyError::UnknownPolicyClass {
                class: other.to_owned(),
            }),
        }
    }

    /// The Kafka class name this policy implements.
    pub fn class_name(&self) -> &'static str {
        match self {
            ReplicationPolicy::Default { .. } => DEFAULT_POLICY_CLASS,
            ReplicationPolicy::Identity { .. } => IDENTITY_POLICY_CLASS,
        }
    }

    /// True for the identity policy (no renaming, no cycle protection).
    pub fn is_identity(&self) -> bool {
        matches!(self, ReplicationPolicy::Identity { .. })
    }

    /// `replication.policy.separator`.
    pub fn separator(&self) -> &str {
        match self {
            ReplicationPolicy::Default { separator, .. }
            | ReplicationPolicy::Identity { separator, .. } => separator,
        }
    }

    fn internal_separator(&self) -> &str {
        match self {
            ReplicationPolicy::Default {
                separator,
                internal_topic_separator_enabled,
            }
            | ReplicationPolicy::Identity {
                separator,
                internal_topic_separator_enabled,
                ..
            } => {
                if *internal_topic_separator_enabled {
                    separator
                } else {
                    "."
                }
            }
        }
    }

    /// Identity defers to Default for names that end with `heartbeats` (plain `endsWith`,
    /// so `myheartbeats` counts too, as in Kafka).
    fn uses_default_rules(&self, topic: &str) -> bool {
        match self {
            ReplicationPolicy::Default { .. } => true,
            ReplicationPolicy::Identity { .. } => topic.ends_with(HEARTBEATS_TOPIC),
        }
    }

    /// The name of `topic` from cluster `source` on the target cluster.
    pub fn format_remote_topic(&self, source: &str, topic: &str) -> String {
        if self.uses_default_rules(topic) {
            format!("{source}{}{topic}", self.separator())
        } else {
            topic.to_owned()
        }
    }

    /// The source cluster alias of a remote topic, `None` if the name does not look remote.
    pub fn topic_source(&self, topic: &str) -> Option<String> {
        match self {
            ReplicationPolicy::Identity {
                source_cluster_alias,
                ..
            } if !topic.ends_with(HEARTBEATS_TOPIC) => source_cluster_alias.clone(),
            _ => default_topic_source(self.separator(), topic).map(str::to_owned),
        }
    }

    /// The topic's name on the cluster it was replicated from, `None` if not remote.
    pub fn upstream_topic(&self, topic: &str) -> Option<String> {
        if !self.uses_default_rules(topic) {
            return Some(topic.to_owned());
        }
        let source = default_topic_source(self.separator(), topic)?;
        topic
            .get(source.len() + self.separator().len()..)
            .map(str::to_owned)
    }

    /// Follows `upstream_topic` until it stops changing: the topic's name where it was born.
    pub fn original_topic(&self, topic: &str) -> String {
        let mut current = topic.to_owned();
        while let Some(up) = self.upstream_topic(&current) {
            if up == current {
                break;
            }
            current = up;
        }
        current
    }

    /// `heartbeats`.
    pub fn heartbeats_topic(&self) -> &'static str {
        HEARTBEATS_TOPIC
    }

    /// `mm2-offset-syncs<isep><alias><isep>internal`.
    pub fn offset_syncs_topic(&self, alias: &str) -> String {
        let s = self.internal_separator();
        format!("mm2-offset-syncs{s}{alias}{s}internal")
    }

    /// `<alias><isep>checkpoints<isep>internal`.
    pub fn checkpoints_topic(&self, alias: &str) -> String {
        format!("{alias}{}", self.checkpoints_suffix())
    }

    fn checkpoints_suffix(&self) -> String {
        let s = self.internal_separator();
        format!("{s}checkpoints{s}internal")
    }

    /// True when the topic's original name is `heartbeats` (`heartbeats`, `A.heartbeats`, …).
    pub fn is_heartbeats_topic(&self, topic: &str) -> bool {
        self.original_topic(topic) == HEARTBEATS_TOPIC
    }

    /// True for checkpoints topics (`…<isep>checkpoints<isep>internal`).
    pub fn is_checkpoints_topic(&self, topic: &str) -> bool {
        topic.ends_with(&self.checkpoints_suffix())
    }

    /// True for MM2's own internal topics (`…<isep>internal`).
    pub fn is_mm2_internal_topic(&self, topic: &str) -> bool {
        topic.ends_with(&format!("{}internal", self.internal_separator()))
    }

    /// Internal topics are never replicated: MM2 internal, `__*`, `.*`, `*.internal`,
    /// `*-internal`.
    pub fn is_internal_topic(&self, topic: &str) -> bool {
        self.is_mm2_internal_topic(topic)
            || topic.starts_with("__")
            || topic.starts_with('.')
            || topic.ends_with(".internal")
            || topic.ends_with("-internal")
    }

    /// `MirrorSourceConnector.isCycle`: true if any hop of `topic`'s history came from
    /// `target_alias`, i.e. replicating it to that cluster would send it home.
    pub fn is_cycle(&self, topic: &str, target_alias: &str) -> bool {
        let mut current = topic.to_owned();
        loop {
            let Some(source) = self.topic_source(&current) else {
                return false;
            };
            if source == target_alias {
                return true;
            }
            match self.upstream_topic(&current) {
                // Identity-style policies return the topic itself: no history to walk.
                Some(up) if up != current => current = up,
                _ => return false,
            }
        }
    }
}

/// `DefaultReplicationPolicy.topicSource`: Java `Pattern.split` on the literal separator
/// (trailing empty strings dropped), fewer than two parts → not remote, else the first part.
fn default_topic_source<'a>(separator: &str, topic: &'a str) -> Option<&'a str> {
    if separator.is_empty() {
        // An empty pattern splits between every character: the first character is the
        // "source" of any name at least two characters long.
        let mut chars = topic.char_indices();
        let (_, first) = chars.next()?;
        chars.next()?;
        return Some(&topic[..first.len_utf8()]);
    }
    let mut parts: Vec<&str> = topic.split(separator).collect();
    if parts.len() == 1 {
        // No match: Java returns the input itself as the only part.
        return None;
    }
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    if parts.len() < 2 {
        None
    } else {
        Some(parts[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_with(sep: &str, internal: bool) -> ReplicationPolicy {
        ReplicationPolicy::Default {
            separator: sep.into(),
            internal_topic_separator_enabled: internal,
        }
    }

    #[test]
    fn default_policy_table() {
        let p = ReplicationPolicy::default();
        assert_eq!(p.format_remote_topic("A", "orders"), "A.orders");
        assert_eq!(p.topic_source("A.orders").as_deref(), Some("A"));
        assert_eq!(p.topic_source("com.acme.x").as_deref(), Some("com"));
        assert_eq!(p.topic_source(".foo").as_deref(), Some(""));
        assert_eq!(p.topic_source("orders"), None);
        assert_eq!(p.topic_source("foo."), None);
        assert_eq!(p.topic_source("."), None);
        assert_eq!(p.topic_source("a..b").as_deref(), Some("a"));
        assert_eq!(p.upstream_topic("A.orders").as_deref(), Some("orders"));
        assert_eq!(p.upstream_topic("B.A.orders").as_deref(), Some("A.orders"));
        assert_eq!(p.upstream_topic("orders"), None);
        assert_eq!(p.upstream_topic(".foo").as_deref(), Some("foo"));
        assert_eq!(p.original_topic("C.B.A.orders"), "orders");
        assert_eq!(p.original_topic("orders"), "orders");
        assert_eq!(p.offset_syncs_topic("B"), "mm2-offset-syncs.B.internal");
        assert_eq!(p.checkpoints_topic("A"), "A.checkpoints.internal");
        assert_eq!(p.heartbeats_topic(), "heartbeats");
        assert_eq!(p.class_name(), DEFAULT_POLICY_CLASS);
    }

    #[test]
    fn custom_separator_and_kip690() {
        let p = default_with("_", true);
        assert_eq!(p.format_remote_topic("A", "orders"), "A_orders");
        assert_eq!(p.topic_source("A_orders").as_deref(), Some("A"));
        assert_eq!(p.topic_source("A.orders"), None);
        assert_eq!(p.offset_syncs_topic("B"), "mm2-offset-syncs_B_internal");
        assert_eq!(p.checkpoints_topic("A"), "A_checkpoints_internal");
        assert!(p.is_checkpoints_topic("A_checkpoints_internal"));
        assert!(p.is_mm2_internal_topic("x_internal"));
        let legacy = default_with("_", false);
        assert_eq!(
            legacy.offset_syncs_topic("B"),
            "mm2-offset-syncs.B.internal"
        );
        assert_eq!(legacy.checkpoints_topic("A"), "A.checkpoints.internal");
        assert_eq!(legacy.format_remote_topic("A", "t"), "A_t");
        let multi = default_with("--", true);
        assert_eq!(multi.topic_source("A--b--c").as_deref(), Some("A"));
        assert_eq!(multi.upstream_topic("A--b--c").as_deref(), Some("b--c"));
    }

    #[test]
    fn empty_separator_follows_java_split() {
        let p = default_with("", true);
        assert_eq!(p.format_remote_topic("A", "t"), "At");
        assert_eq!(p.topic_source("abc").as_deref(), Some("a"));
        assert_eq!(p.upstream_topic("abc").as_deref(), Some("bc"));
        assert_eq!(p.topic_source("a"), None);
        assert_eq!(p.topic_source(""), None);
    }

    #[test]
    fn heartbeats_detection() {
        let p = ReplicationPolicy::default();
        assert!(p.is_heartbeats_topic("heartbeats"));
        assert!(p.is_heartbeats_topic("A.heartbeats"));
        assert!(p.is_heartbeats_topic("C.A.heartbeats"));
        assert!(!p.is_heartbeats_topic("myheartbeats"));
        assert!(!p.is_heartbeats_topic("heartbeats.x"));
    }

    #[test]
    fn internal_topics() {
        let p = ReplicationPolicy::default();
        for t in [
            "mm2-offset-syncs.B.internal",
            "A.checkpoints.internal",
            "mm2-offsets.A.internal",
            "__consumer_offsets",
            ".hidden",
            "connect-offsets-internal",
            "x.internal",
        ] {
            assert!(p.is_internal_topic(t), "{t}");
        }
        for t in ["orders", "internal", "A.orders", "internally"] {
            assert!(!p.is_internal_topic(t), "{t}");
        }
        assert!(p.is_checkpoints_topic("A.checkpoints.internal"));
        assert!(!p.is_checkpoints_topic("A.checkpoints"));
        // With a custom separator `.internal` is still internal via the interface default.
        let u = default_with("_", true);
        assert!(u.is_internal_topic("A.checkpoints.internal"));
        assert!(u.is_internal_topic("x_internal"));
    }

    #[test]
    fn identity_policy_table() {
        let p = ReplicationPolicy::identity(Some("A".into()));
        assert_eq!(p.format_remote_topic("A", "orders"), "orders");
        assert_eq!(p.format_remote_topic("A", "heartbeats"), "A.heartbeats");
        assert_eq!(p.topic_source("orders").as_deref(), Some("A"));
        assert_eq!(p.topic_source("B.orders").as_deref(), Some("A"));
        assert_eq!(p.topic_source("B.heartbeats").as_deref(), Some("B"));
        assert_eq!(p.topic_source("heartbeats"), None);
        assert_eq!(p.upstream_topic("orders").as_deref(), Some("orders"));
        assert_eq!(
            p.upstream_topic("B.heartbeats").as_deref(),
            Some("heartbeats")
        );
        assert_eq!(p.original_topic("x.orders"), "x.orders");
        assert!(p.is_heartbeats_topic("heartbeats"));
        assert!(p.is_heartbeats_topic("B.heartbeats"));
        assert_eq!(p.offset_syncs_topic("B"), "mm2-offset-syncs.B.internal");
        assert_eq!(p.checkpoints_topic("A"), "A.checkpoints.internal");
        assert_eq!(
            ReplicationPolicy::identity(None).topic_source("orders"),
            None
        );
    }

    #[test]
    fn cycles() {
        let p = ReplicationPolicy::default();
        assert!(p.is_cycle("B.orders", "B"));
        assert!(p.is_cycle("A.B.orders", "B"));
        assert!(!p.is_cycle("A.orders", "B"));
        assert!(!p.is_cycle("orders", "B"));
        // A user topic literally named `B.x` is never sent to B (cycle detection).
        assert!(p.is_cycle("B.x", "B"));
        let id = ReplicationPolicy::identity(Some("A".into()));
        assert!(!id.is_cycle("orders", "B"));
        assert!(id.is_cycle("B.heartbeats", "B"));
        assert!(!ReplicationPolicy::identity(None).is_cycle("orders", "B"));
    }

    #[test]
    fn class_names() {
        for (c, identity) in [
            (DEFAULT_POLICY_CLASS, false),
            (IDENTITY_POLICY_CLASS, true),
            (STRIMZI_IDENTITY_POLICY_CLASS, true),
        ] {
            let p = ReplicationPolicy::from_class_name(c, ".", true, None).expect("known");
            assert_eq!(p.is_identity(), identity);
        }
        let e = ReplicationPolicy::from_class_name("com.x.Custom", ".", true, None)
            .expect_err("unknown");
        assert!(e.to_string().contains("com.x.Custom"));
    }
}
