//! Loader for MM2 dedicated-mode `mm2.properties` (KIP-382 `MirrorMakerConfig`,
//! `connect-mirror-maker.sh [--clusters ...]`; `docs/mm2-compatibility.md`, "Configuration formats").
//!
//! Which flows exist follows `clusterPairs()`: every ordered pair of distinct aliases whose
//! `A->B.enabled` is true or whose heartbeats are on (globally or per flow, default on). So
//! with only `clusters = A, B` both `A->B` and `B->A` exist, disabled, emitting heartbeats.
//! Unlike MM2, flow keys naming undefined clusters and unusable values are errors.

use std::path::Path;

use crate::document::error::{ConfigError, Location};
use crate::document::limits::MAX_CLUSTER_ALIASES;
use crate::document::properties;
use crate::document::value::ValueMap;
pub use crate::formats::options::LoadOptions;
use crate::model::MirrorConfig;
use crate::model::flow::{build_cluster, build_flow, pair_exists};
use crate::model::keys::{self, CLUSTERS};
use crate::policy::regex::split_list;
use crate::providers::{self, Providers};

/// Loads an `mm2.properties` file with default options.
pub fn load_mm2_properties(path: impl AsRef<Path>) -> Result<MirrorConfig, ConfigError> {
    load_mm2_properties_with(path, &LoadOptions::default())
}

/// Loads an `mm2.properties` file.
pub fn load_mm2_properties_with(
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<MirrorConfig, ConfigError> {
    let path = path.as_ref();
    let bytes = crate::document::limits::read_file(path)?;
    parse_mm2_properties(
        &properties::decode(&bytes),
        &path.display().to_string(),
        options,
    )
}

/// Parses `mm2.properties` text; `file` names it in errors.
pub fn parse_mm2_properties(
    text: &str,
    file: &str,
    options: &LoadOptions,
) -> Result<MirrorConfig, ConfigError> {
    let props = properties::parse(text, file)?;
    for p in props.overridden() {
        tracing::debug!(key = %p.key, line = p.line, "key set again later in the file; the later value wins");
    }
    let providers = Providers::declare(&props, file)?;
    let all = providers::resolve_all(&props, &providers, file, &options.env)?;
    let (aliases, clusters_line) = read_clusters(file, &all)?;
    let ignored_keys = classify_keys(file, &all, &aliases, clusters_line)?;
    let pairs = select_pairs(file, &all, &aliases, clusters_line, options)?;
    let mut clusters = std::collections::BTreeMap::new();
    for alias in aliases
        .iter()
        .filter(|a| pairs.iter().any(|(s, t)| s == *a || t == *a))
    {
        clusters.insert(
            alias.clone(),
            build_cluster(file, &all, alias, clusters_line)?,
        );
    }
    let flows = pairs
        .iter()
        .map(|(s, t)| build_flow(file, &all, s, t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MirrorConfig {
        clusters,
        flows,
        source_file: file.to_owned(),
        ignored_keys,
        replicas: None,
    })
}

/// `clusters`: required, a LIST of distinct, non-empty aliases.
fn read_clusters(file: &str, all: &ValueMap) -> Result<(Vec<String>, usize), ConfigError> {
    let Some(v) = all.get(CLUSTERS) else {
        return Err(ConfigError::Missing {
            at: Location::new(file, 0, CLUSTERS),
            expected: "a comma-separated list of cluster aliases, e.g. `clusters = A, B`".into(),
        });
    };
    let line = v.origin().line_number();
    let mut aliases: Vec<String> = Vec::new();
    for alias in split_list(v.expose()) {
        if alias.is_empty() || alias.contains("->") || alias.contains(char::is_whitespace) {
            return Err(ConfigError::invalid(
                file,
                v,
                CLUSTERS,
                "a comma-separated list of non-empty cluster aliases without spaces or `->`",
            ));
        }
        if !aliases.contains(&alias) {
            aliases.push(alias);
        }
        if aliases.len() > MAX_CLUSTER_ALIASES {
            return Err(ConfigError::invalid(
                file,
                v,
                CLUSTERS,
                format!("at most {MAX_CLUSTER_ALIASES} cluster aliases"),
            ));
        }
    }
    if aliases.is_empty() {
        return Err(ConfigError::invalid(
            file,
            v,
            CLUSTERS,
            "at least one cluster alias",
        ));
    }
    Ok((aliases, line))
}

/// The `(source, target, rest)` of a flow key, using the longest matching alias pair.
fn split_flow_key<'a>(key: &'a str, aliases: &[String]) -> Option<(&'a str, &'a str, &'a str)> {
    let (source, after) = key.split_once("->")?;
    aliases.iter().find(|a| a.as_str() == source)?;
    aliases
        .iter()
        .filter_map(|t| {
            let rest = after.strip_prefix(t.as_str())?.strip_prefix('.')?;
            Some((source, &after[..t.len()], rest))
        })
        .max_by_key(|(_, t, _)| t.len())
}

fn unknown_flow_alias(
    file: &str,
    key: &str,
    v: &crate::document::value::Value,
    aliases: &[String],
    clusters_line: usize,
) -> ConfigError {
    let (source, after) = key.split_once("->").unwrap_or((key, ""));
    let alias = if aliases.iter().any(|a| a == source) {
        after.split('.').next().unwrap_or(after)
    } else {
        source
    };
    ConfigError::UnknownCluster {
        at: Location::of(file, v, key),
        alias: alias.to_owned(),
        known: aliases.join(", "),
        clusters_line,
    }
}

/// Rejects flow keys about undefined clusters; returns keys nobody uses (logged at debug).
fn classify_keys(
    file: &str,
    all: &ValueMap,
    aliases: &[String],
    clusters_line: usize,
) -> Result<Vec<(String, usize)>, ConfigError> {
    let mut ignored = Vec::new();
    for (key, v) in all {
        let line = v.origin().line_number();
        let known = if key.contains("->") {
            let Some((s, t, rest)) = split_flow_key(key, aliases) else {
                return Err(unknown_flow_alias(file, key, v, aliases, clusters_line));
            };
            if s == t {
                return Err(ConfigError::invalid(
                    file,
                    v,
                    key,
                    "a flow between two different clusters (`A->B`)",
                ));
            }
            keys::is_known_flow_key(rest)
        } else {
            aliases.iter().any(|a| key.starts_with(&format!("{a}.")))
                || keys::is_known_top_level(key)
        };
        if !known {
            tracing::debug!(key = %key, line, "unknown key: kept, ignored");
            ignored.push((key.clone(), line));
        }
    }
    Ok(ignored)
}

/// `clusterPairs()`, then the `--clusters` target filter.
fn select_pairs(
    file: &str,
    all: &ValueMap,
    aliases: &[String],
    clusters_line: usize,
    options: &LoadOptions,
) -> Result<Vec<(String, String)>, ConfigError> {
    if let Some(bad) = options
        .clusters
        .iter()
        .flatten()
        .find(|w| !aliases.contains(w))
    {
        return Err(ConfigError::InvalidValue {
            at: Location::new(file, clusters_line, "--clusters"),
            value: Some(bad.clone()),
            expected: format!("one of the aliases in `clusters`: {}", aliases.join(", ")),
        });
    }
    let mut pairs = Vec::new();
    for s in aliases {
        for t in aliases.iter().filter(|t| *t != s) {
            let target_wanted = options.clusters.as_ref().is_none_or(|w| w.contains(t));
            if target_wanted && pair_exists(file, all, s, t)? {
                pairs.push((s.clone(), t.clone()));
            }
        }
    }
    if pairs.is_empty() {
        return Err(ConfigError::NoFlows {
            at: Location::new(file, clusters_line, CLUSTERS),
            reason: "expected at least two clusters with `A->B.enabled = true` (or heartbeats \
                     left on), and `--clusters` naming a target of one of them"
                .into(),
        });
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<MirrorConfig, ConfigError> {
        parse_mm2_properties(text, "mm2.properties", &LoadOptions::default())
    }

    const TWO: &str = "clusters = A, B\nA.bootstrap.servers = a:1\nB.bootstrap.servers = b:1\n";

    #[test]
    fn only_clusters_gives_two_heartbeat_flows() {
        let c = load(TWO).expect("loads");
        let names: Vec<String> = c.flows.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["A->B", "B->A"]);
        assert!(c.flows.iter().all(|f| !f.enabled && f.emits_heartbeats()));
    }

    #[test]
    fn heartbeats_off_removes_disabled_pairs() {
        let c = load(&format!(
            "{TWO}A->B.enabled=true\nemit.heartbeats.enabled=false\n"
        ))
        .expect("loads");
        let names: Vec<String> = c.flows.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["A->B"]);
        let e = load(&format!("{TWO}emit.heartbeats.enabled=false\n")).expect_err("no flows");
        assert!(
            e.to_string()
                .starts_with("mm2.properties:1: `clusters`: no source->target")
        );
    }

    #[test]
    fn herder_quirk_reverse_flow_for_heartbeats() {
        let c = load(&format!("{TWO}A->B.enabled = true\n")).expect("loads");
        let rev = c.flow("B", "A").expect("B->A exists");
        assert!(rev.is_heartbeats_only() && rev.emits_heartbeats());
        let c = load(&format!(
            "{TWO}A->B.enabled = true\nB->A.emit.heartbeats.enabled = false\n"
        ))
        .expect("loads");
        assert!(c.flow("B", "A").is_none());
    }

    #[test]
    fn top_level_enabled_reaches_connectors() {
        let c = load(&format!("{TWO}enabled = true\n")).expect("loads");
        assert!(c.flows.iter().all(|f| f.enabled));
    }

    #[test]
    fn clusters_filter_keeps_targets() {
        let opts = LoadOptions {
            clusters: Some(vec!["B".into()]),
            ..LoadOptions::default()
        };
        let c = parse_mm2_properties(TWO, "f", &opts).expect("loads");
        assert_eq!(c.flows.len(), 1);
        assert_eq!(c.flows[0].target, "B");
        let opts = LoadOptions {
            clusters: Some(vec!["C".into()]),
            ..LoadOptions::default()
        };
        let e = parse_mm2_properties(TWO, "f", &opts).expect_err("unknown");
        assert!(e.to_string().contains("`--clusters` = `C`"), "{e}");
    }

    #[test]
    fn unknown_keys_are_kept_and_reported() {
        let c = load(&format!(
            "{TWO}producer.linger.ms=5\nA->B.made.up=1\nA.anything=1\n"
        ))
        .expect("loads");
        let keys: Vec<&str> = c.ignored_keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["A->B.made.up", "producer.linger.ms"]);
    }

    #[test]
    fn dotted_aliases() {
        let text = "clusters = us, us.east\nus.bootstrap.servers=a:1\nus.east.bootstrap.servers=b:1\n\
                    us->us.east.enabled=true\n";
        let c = load(text).expect("loads");
        assert!(c.flow("us", "us.east").expect("flow").enabled);
    }
}
