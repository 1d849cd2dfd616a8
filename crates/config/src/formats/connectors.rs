//! MirrorMaker 2's three Connect connectors (`MirrorSourceConnector`,
//! `MirrorCheckpointConnector`, `MirrorHeartbeatConnector`) merged into one flow's settings,
//! as Connect connector JSON and Strimzi `KafkaMirrorMaker2` mirrors both declare them.
//!
//! The connectors of one `source.cluster.alias` → `target.cluster.alias` pair form one
//! flow: the MirrorSourceConnector replicates (and its absence leaves the flow
//! heartbeats-only), the MirrorCheckpointConnector's presence turns checkpoints on, the
//! MirrorHeartbeatConnector's presence turns heartbeats on. Settings are taken from the
//! connector that uses them; settings all of them use (replication policy, offset-syncs
//! location, topic filter, cluster addresses) must agree.

use crate::document::error::{ConfigError, Location};
use crate::document::value::{Value, ValueMap};

/// The three MM2 connectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ConnectorKind {
    Source,
    Checkpoint,
    Heartbeat,
}

impl ConnectorKind {
    pub(crate) fn class(self) -> &'static str {
        match self {
            ConnectorKind::Source => "MirrorSourceConnector",
            ConnectorKind::Checkpoint => "MirrorCheckpointConnector",
            ConnectorKind::Heartbeat => "MirrorHeartbeatConnector",
        }
    }

    pub(crate) fn from_class(class: &str) -> Option<Self> {
        let short = class
            .trim()
            .strip_prefix("org.apache.kafka.connect.mirror.")
            .unwrap_or(class.trim());
        [
            ConnectorKind::Source,
            ConnectorKind::Checkpoint,
            ConnectorKind::Heartbeat,
        ]
        .into_iter()
        .find(|k| k.class() == short)
    }

    /// Which connector a setting belongs to; `None` for settings every connector of a
    /// flow reads, which must agree.
    fn owner_of(key: &str) -> Option<Self> {
        const CHECKPOINT: &[&str] = &[
            "groups",
            "groups.exclude",
            "groups.blacklist",
            "group.filter.class",
            "checkpoints.topic.replication.factor",
        ];
        const CHECKPOINT_PREFIXES: &[&str] = &[
            "refresh.groups.",
            "emit.checkpoints.",
            "sync.group.offsets.",
        ];
        if is_shared(key) {
            None
        } else if CHECKPOINT.contains(&key)
            || CHECKPOINT_PREFIXES.iter().any(|p| key.starts_with(p))
        {
            Some(ConnectorKind::Checkpoint)
        } else if key.starts_with("emit.heartbeats.")
            || key == "heartbeats.topic.replication.factor"
        {
            Some(ConnectorKind::Heartbeat)
        } else {
            Some(ConnectorKind::Source)
        }
    }
}

/// Settings every connector of a flow reads: they must agree.
fn is_shared(key: &str) -> bool {
    key.starts_with("replication.policy.")
        || matches!(
            key,
            "offset-syncs.topic.location"
                | "topics"
                | "topics.exclude"
                | "source.cluster.alias"
                | "target.cluster.alias"
                | "source.cluster.bootstrap.servers"
                | "target.cluster.bootstrap.servers"
        )
}

/// One connector's settings, with where they came from.
#[derive(Clone, Debug)]
pub(crate) struct Connector {
    pub(crate) kind: ConnectorKind,
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) config: ValueMap,
}

/// Merges the connectors of one flow into one connector config (module docs): for each
/// key, the owning connector's value, else the first connector (source, checkpoint,
/// heartbeat) that sets it; shared keys set differently are an error.
pub(crate) fn merge_connectors(connectors: &[&Connector]) -> Result<ValueMap, ConfigError> {
    let mut sorted: Vec<&Connector> = connectors.to_vec();
    sorted.sort_by_key(|c| c.kind);
    let mut out = ValueMap::new();
    let keys: std::collections::BTreeSet<&String> =
        sorted.iter().flat_map(|c| c.config.keys()).collect();
    for key in keys {
        let setters: Vec<(&Connector, &Value)> = sorted
            .iter()
            .filter_map(|c| c.config.get(key).map(|v| (*c, v)))
            .collect();
        let owner = ConnectorKind::owner_of(key);
        if owner.is_none()
            && let Some(((first_c, first), (other_c, other))) = setters.first().and_then(|f| {
                setters
                    .iter()
                    .find(|(_, v)| v.expose().trim() != f.1.expose().trim())
                    .map(|o| (*f, *o))
            })
        {
            let first_at = Location::of(&first_c.file, first, key);
            return Err(ConfigError::InvalidValue {
                at: Location::of(&other_c.file, other, key),
                value: other.for_error(),
                expected: format!(
                    "the value the {} sets ({first_at}{}): the connectors of one flow must \
                     agree on `{key}` (strait runs them as one flow)",
                    first_c.kind.class(),
                    first
                        .for_error()
                        .map(|v| format!(" = `{v}`"))
                        .unwrap_or_default()
                ),
            });
        }
        let chosen = owner
            .and_then(|o| setters.iter().find(|(c, _)| c.kind == o))
            .or_else(|| setters.first());
        if let Some((_, v)) = chosen {
            out.insert(key.clone(), (*v).clone());
        }
    }
    Ok(out)
}

/// Flow-level consequences of which connectors exist: no checkpoint connector means no
/// checkpoints, no heartbeat connector no heartbeats, no source connector no data.
/// `c` is in connector key space. Errors when only a checkpoint connector exists.
pub(crate) fn apply_presence(
    c: &mut ValueMap,
    present: &[ConnectorKind],
    at: impl Fn() -> Location,
) -> Result<(), ConfigError> {
    let has = |k| present.contains(&k);
    if !has(ConnectorKind::Checkpoint) {
        for k in ["emit.checkpoints.enabled", "sync.group.offsets.enabled"] {
            c.insert(k.into(), Value::default_value("false"));
        }
    }
    if !has(ConnectorKind::Heartbeat) {
        c.insert(
            "emit.heartbeats.enabled".into(),
            Value::default_value("false"),
        );
    }
    if has(ConnectorKind::Source) {
        c.entry("enabled".into())
            .or_insert_with(|| Value::default_value("true"));
    } else if has(ConnectorKind::Checkpoint) {
        return Err(ConfigError::Missing {
            at: at(),
            expected: "a MirrorSourceConnector for the same source and target: strait emits \
                       checkpoints only for the data it replicates"
                .into(),
        });
    } else {
        c.insert("enabled".into(), Value::default_value("false"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::value::Origin;

    fn conn(kind: ConnectorKind, file: &str, kv: &[(&str, &str)]) -> Connector {
        Connector {
            kind,
            name: file.into(),
            file: file.into(),
            config: kv
                .iter()
                .enumerate()
                .map(|(i, (k, v))| {
                    (
                        (*k).to_owned(),
                        Value::for_key(k, *v, Origin::line(*k, i + 2)),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn owners_win_and_shared_keys_must_agree() {
        let s = conn(
            ConnectorKind::Source,
            "s.json",
            &[("groups", "a"), ("tasks.max", "4"), ("topics", "t")],
        );
        let cp = conn(
            ConnectorKind::Checkpoint,
            "c.json",
            &[
                ("groups", "b"),
                ("tasks.max", "2"),
                ("emit.checkpoints.interval.seconds", "5"),
            ],
        );
        let m = merge_connectors(&[&cp, &s]).expect("merges");
        assert_eq!(m["groups"].expose(), "b");
        assert_eq!(m["tasks.max"].expose(), "4");
        assert_eq!(m["emit.checkpoints.interval.seconds"].expose(), "5");
        let cp2 = conn(ConnectorKind::Checkpoint, "c.json", &[("topics", "u")]);
        let e = merge_connectors(&[&s, &cp2]).expect_err("conflict");
        let msg = e.to_string();
        assert!(msg.starts_with("c.json:2: `topics` = `u`"), "{msg}");
        assert!(msg.contains("s.json:4"), "{msg}");
    }

    #[test]
    fn classes() {
        assert_eq!(
            ConnectorKind::from_class("org.apache.kafka.connect.mirror.MirrorHeartbeatConnector"),
            Some(ConnectorKind::Heartbeat)
        );
        assert_eq!(
            ConnectorKind::from_class("MirrorSourceConnector"),
            Some(ConnectorKind::Source)
        );
        assert_eq!(ConnectorKind::from_class("FileStreamSource"), None);
    }
}
