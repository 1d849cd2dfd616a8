//! MM2's default filters (KIP-382, KIP-629 exclude names, KIP-894
//! `use.defaults.from`): `DefaultTopicFilter`, `DefaultGroupFilter`,
//! `DefaultConfigPropertyFilter`, and the source connector's full topic decision
//! (`shouldReplicateTopic`: filter or heartbeats, never internal, never a cycle); see
//! `docs/mm2-compatibility.md`, "Topic, group and config selection".

use super::regex::PatternList;
use super::{PolicyError, ReplicationPolicy};

/// `topics` default.
pub const DEFAULT_TOPICS: &str = ".*";
/// `topics.exclude` default.
pub const DEFAULT_TOPICS_EXCLUDE: &str = ".*[\\-\\.]internal, .*\\.replica, __.*";
/// `groups` default.
pub const DEFAULT_GROUPS: &str = ".*";
/// `groups.exclude` default.
pub const DEFAULT_GROUPS_EXCLUDE: &str = "console-consumer-.*, connect-.*, __.*";
/// `config.properties.exclude` default.
pub const DEFAULT_CONFIG_PROPERTIES_EXCLUDE: &str = "follower\\.replication\\.throttled\\.replicas, \
leader\\.replication\\.throttled\\.replicas, message\\.timestamp\\.difference\\.max\\.ms, \
message\\.timestamp\\.type, unclean\\.leader\\.election\\.enable, min\\.insync\\.replicas";

fn compiled_default(list: &str) -> PatternList {
    // The defaults are fixed strings covered by tests; the empty fallback only exists so
    // that no code path can panic.
    PatternList::parse_list(list).unwrap_or_else(|_| PatternList::empty())
}

/// Include / exclude lists where excludes win and an empty list matches nothing.
fn included(include: &PatternList, exclude: &PatternList, name: &str) -> bool {
    // A pattern that exhausts the regex backtracking limit is treated as "not included" /
    // "excluded": the safe direction is to replicate less, loudly.
    match (include.try_matches(name), exclude.try_matches(name)) {
        (Some(inc), Some(exc)) => inc && !exc,
        _ => {
            tracing::warn!(
                name,
                "regex backtracking limit hit while filtering; not replicating"
            );
            false
        }
    }
}

/// `DefaultTopicFilter`: `topics` / `topics.exclude`.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicFilter {
    /// `topics` (default `.*`).
    pub include: PatternList,
    /// `topics.exclude` (default `.*[\-\.]internal, .*\.replica, __.*`).
    pub exclude: PatternList,
}

impl Default for TopicFilter {
    fn default() -> Self {
        Self {
            include: compiled_default(DEFAULT_TOPICS),
            exclude: compiled_default(DEFAULT_TOPICS_EXCLUDE),
        }
    }
}

impl TopicFilter {
    /// Builds the filter from the two list values.
    pub fn new(include: &str, exclude: &str) -> Result<Self, PolicyError> {
        Ok(Self {
            include: PatternList::parse_list(include)?,
            exclude: PatternList::parse_list(exclude)?,
        })
    }

    /// `shouldReplicateTopic` of the filter alone.
    pub fn should_replicate_topic(&self, topic: &str) -> bool {
        included(&self.include, &self.exclude, topic)
    }
}

/// `DefaultGroupFilter`: `groups` / `groups.exclude`.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupFilter {
    /// `groups` (default `.*`).
    pub include: PatternList,
    /// `groups.exclude` (default `console-consumer-.*, connect-.*, __.*`).
    pub exclude: PatternList,
}

impl Default for GroupFilter {
    fn default() -> Self {
        Self {
            include: compiled_default(DEFAULT_GROUPS),
            exclude: compiled_default(DEFAULT_GROUPS_EXCLUDE),
        }
    }
}

impl GroupFilter {
    /// Builds the filter from the two list values.
    pub fn new(include: &str, exclude: &str) -> Result<Self, PolicyError> {
        Ok(Self {
            include: PatternList::parse_list(include)?,
            exclude: PatternList::parse_list(exclude)?,
        })
    }

    /// `shouldReplicateGroup`.
    pub fn should_replicate_group(&self, group: &str) -> bool {
        included(&self.include, &self.exclude, group)
    }
}

/// `use.defaults.from` (KIP-894): whose defaults win for properties at their default value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UseDefaultsFrom {
    /// Source defaults are deleted on the target (target default applies). MM2's default.
    #[default]
    Target,
    /// Source defaults are also pushed to the target.
    Source,
}

/// `DefaultConfigPropertyFilter`: `config.properties.exclude`, `use.defaults.from`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigPropertyFilter {
    /// `config.properties.exclude`.
    pub exclude: PatternList,
    /// `use.defaults.from`.
    pub use_defaults_from: UseDefaultsFrom,
}

impl Default for ConfigPropertyFilter {
    fn default() -> Self {
        Self {
            exclude: compiled_default(DEFAULT_CONFIG_PROPERTIES_EXCLUDE),
            use_defaults_from: UseDefaultsFrom::Target,
        }
    }
}

impl ConfigPropertyFilter {
    /// Builds the filter.
    pub fn new(exclude: &str, use_defaults_from: UseDefaultsFrom) -> Result<Self, PolicyError> {
        Ok(Self {
            exclude: PatternList::parse_list(exclude)?,
            use_defaults_from,
        })
    }

    /// `shouldReplicateConfigProperty`: not excluded.
    pub fn should_replicate_config_property(&self, name: &str) -> bool {
        !self.exclude.try_matches(name).unwrap_or(true)
    }

    /// `shouldReplicateSourceDefault`: only with `use.defaults.from=source`.
    pub fn should_replicate_source_default(&self, _name: &str) -> bool {
        self.use_defaults_from == UseDefaultsFrom::Source
    }
}

/// `MirrorSourceConnector.shouldReplicateTopic`: `(filter || (heartbeats.replication.enabled
/// && heartbeats topic)) && !internal && !cycle`.
pub fn replicates_topic(
    filter: &TopicFilter,
    policy: &ReplicationPolicy,
    target_alias: &str,
    heartbeats_replication_enabled: bool,
    topic: &str,
) -> bool {
    let selected = filter.should_replicate_topic(topic)
        || (heartbeats_replication_enabled && policy.is_heartbeats_topic(topic));
    selected && !policy.is_internal_topic(topic) && !policy.is_cycle(topic, target_alias)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_filter_defaults() {
        let f = TopicFilter::default();
        assert!(f.should_replicate_topic("orders"));
        assert!(f.should_replicate_topic("A.orders"));
        for t in [
            "__consumer_offsets",
            "x.internal",
            "x-internal",
            "t.replica",
        ] {
            assert!(!f.should_replicate_topic(t), "{t}");
        }
    }

    #[test]
    fn excludes_win_and_empty_lists() {
        let f = TopicFilter::new("orders.*", "orders-secret").expect("valid");
        assert!(f.should_replicate_topic("orders-eu"));
        assert!(!f.should_replicate_topic("orders-secret"));
        assert!(!f.should_replicate_topic("payments"));
        let none = TopicFilter::new("", "").expect("valid");
        assert!(!none.should_replicate_topic("orders"));
        let all = TopicFilter::new(".*", "").expect("valid");
        assert!(all.should_replicate_topic("__consumer_offsets"));
    }

    #[test]
    fn group_filter_defaults() {
        let f = GroupFilter::default();
        assert!(f.should_replicate_group("billing"));
        for g in ["console-consumer-123", "connect-mm2", "__x"] {
            assert!(!f.should_replicate_group(g), "{g}");
        }
    }

    #[test]
    fn config_property_filter_defaults() {
        let f = ConfigPropertyFilter::default();
        for p in [
            "follower.replication.throttled.replicas",
            "leader.replication.throttled.replicas",
            "message.timestamp.difference.max.ms",
            "message.timestamp.type",
            "unclean.leader.election.enable",
            "min.insync.replicas",
        ] {
            assert!(!f.should_replicate_config_property(p), "{p}");
        }
        assert!(f.should_replicate_config_property("retention.ms"));
        assert!(f.should_replicate_config_property("cleanup.policy"));
        assert!(!f.should_replicate_source_default("retention.ms"));
        let src = ConfigPropertyFilter::new("", UseDefaultsFrom::Source).expect("valid");
        assert!(src.should_replicate_source_default("retention.ms"));
        assert!(src.should_replicate_config_property("min.insync.replicas"));
    }

    #[test]
    fn full_topic_decision() {
        let f = TopicFilter::new("orders", "").expect("valid");
        let p = ReplicationPolicy::default();
        assert!(replicates_topic(&f, &p, "B", true, "orders"));
        assert!(!replicates_topic(&f, &p, "B", true, "payments"));
        // Heartbeats are replicated even when `topics` excludes them, unless disabled.
        assert!(replicates_topic(&f, &p, "B", true, "heartbeats"));
        assert!(replicates_topic(&f, &p, "B", true, "C.heartbeats"));
        assert!(!replicates_topic(&f, &p, "B", false, "heartbeats"));
        // Never back to where it came from, never internal.
        assert!(!replicates_topic(&f, &p, "B", true, "B.heartbeats"));
        let all = TopicFilter::new(".*", "").expect("valid");
        assert!(!replicates_topic(&all, &p, "B", true, "B.orders"));
        assert!(!replicates_topic(&all, &p, "B", true, "__consumer_offsets"));
        assert!(!replicates_topic(
            &all,
            &p,
            "B",
            true,
            "mm2-offset-syncs.B.internal"
        ));
    }
}
