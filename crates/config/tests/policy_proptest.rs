//! Property tests of replication policies, cycle detection and Java-regex filters.

use proptest::prelude::*;
use strait_config::policy::regex::{PatternList, translate};
use strait_config::policy::{ReplicationPolicy, TopicFilter, replicates_topic};

/// Kafka topic name characters without the default separator `.`.
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_-]{1,20}"
}

fn policies() -> impl Strategy<Value = ReplicationPolicy> {
    prop::sample::select(vec![".", "_", "--", "::"]).prop_flat_map(|sep| {
        any::<bool>().prop_map(move |internal| ReplicationPolicy::Default {
            separator: sep.to_owned(),
            internal_topic_separator_enabled: internal,
        })
    })
}

proptest! {
    #[test]
    fn remote_names_round_trip(policy in policies(), alias in name(), topic in name()) {
        let sep = policy.separator().to_owned();
        prop_assume!(!alias.contains(&sep) && !topic.contains(&sep));
        let remote = policy.format_remote_topic(&alias, &topic);
        // Java splits left to right: `-` + `--` + `A` is `---A`, whose first separator
        // starts at 0. Only names where the joint is the first match round-trip.
        prop_assume!(remote.find(&sep) == Some(alias.len()));
        prop_assert_eq!(policy.topic_source(&remote), Some(alias.clone()));
        prop_assert_eq!(policy.upstream_topic(&remote), Some(topic.clone()));
        prop_assert_eq!(policy.original_topic(&remote), topic.clone());
        prop_assert_eq!(policy.topic_source(&topic), None);
        prop_assert_eq!(policy.original_topic(&topic), topic);
    }

    #[test]
    fn multi_hop_round_trip(a in name(), b in name(), c in name(), topic in name()) {
        let p = ReplicationPolicy::default();
        let hop2 = p.format_remote_topic(&b, &p.format_remote_topic(&a, &topic));
        let hop3 = p.format_remote_topic(&c, &hop2);
        prop_assert_eq!(p.original_topic(&hop3), topic.clone());
        prop_assert_eq!(p.upstream_topic(&hop3), Some(hop2));
        // Any alias on the path is a cycle target; a fresh one is not.
        prop_assert!(p.is_cycle(&hop3, &a) && p.is_cycle(&hop3, &b) && p.is_cycle(&hop3, &c));
        prop_assume!(![a.as_str(), b.as_str(), c.as_str()].contains(&"fresh-alias"));
        prop_assert!(!p.is_cycle(&hop3, "fresh-alias"));
    }

    #[test]
    fn active_active_never_loops(a in name(), b in name(), topic in name()) {
        prop_assume!(a != b);
        let p = ReplicationPolicy::default();
        let all = TopicFilter::new(".*", "").expect("valid");
        // A's topic reaches B renamed; B must never send it back to A.
        let on_b = p.format_remote_topic(&a, &topic);
        prop_assert!(!replicates_topic(&all, &p, &a, true, &on_b));
    }

    #[test]
    fn heartbeats_detected_after_any_hops(aliases in prop::collection::vec(name(), 0..4)) {
        let p = ReplicationPolicy::default();
        let mut t = "heartbeats".to_owned();
        for a in &aliases {
            t = p.format_remote_topic(a, &t);
        }
        prop_assert!(p.is_heartbeats_topic(&t));
    }

    #[test]
    fn identity_keeps_names(alias in name(), topic in name()) {
        prop_assume!(!topic.ends_with("heartbeats"));
        let p = ReplicationPolicy::identity(Some(alias.clone()));
        prop_assert_eq!(p.format_remote_topic(&alias, &topic), topic.clone());
        prop_assert_eq!(p.original_topic(&topic), topic.clone());
        prop_assert!(!p.is_cycle(&topic, "other"));
    }

    #[test]
    fn quoted_literals_match_exactly(s in "[ -~]{1,20}") {
        prop_assume!(!s.contains("\\E"));
        let pattern = format!("\\Q{s}\\E");
        let list = PatternList::single(&pattern).expect("quoted literal compiles");
        prop_assert!(list.matches(&s));
        let longer = format!("{s}x");
        prop_assert!(!list.matches(&longer));
    }

    #[test]
    fn translation_never_panics(s in ".{0,40}") {
        let _ = translate(&s);
        let _ = PatternList::parse_list(&s);
    }

    #[test]
    fn lists_are_alternations(names in prop::collection::vec("[a-z]{1,8}", 1..5), probe in "[a-z]{1,8}") {
        let list = PatternList::parse_list(&names.join(" , ")).expect("compiles");
        prop_assert_eq!(list.matches(&probe), names.contains(&probe));
    }
}
