//! Strimzi `KafkaMirrorMaker2`: clusters, the Connect cluster (v1alpha1..v1beta2
//! `connectCluster` and `clusters[]`, v1 `target`), and each mirror's connectors and
//! patterns, as MM2 dedicated-mode keys (`<alias>.<key>`, `A->B.<key>`) built into flows.

use std::collections::BTreeMap;

use super::resource::KUBERNETES_ONLY;
use crate::document::error::{ConfigError, Location};
use crate::document::node::{Node, NodeKind};
use crate::document::value::{Value, ValueMap};
use crate::document::walk::{Doc, child};
use crate::formats::connectors::{Connector, ConnectorKind, apply_presence, merge_connectors};
use crate::model::MirrorConfig;
use crate::model::flow::{build_cluster, build_flow};
use crate::providers::secrets::SecretsDir;

/// Strimzi's Connect worker defaults for MirrorMaker 2 (v1beta2 shape).
const WORKER_DEFAULTS: &[(&str, &str)] = &[
    ("group.id", "mirrormaker2-cluster"),
    ("config.storage.topic", "mirrormaker2-cluster-configs"),
    ("offset.storage.topic", "mirrormaker2-cluster-offsets"),
    ("status.storage.topic", "mirrormaker2-cluster-status"),
];
const KMM2_FORBIDDEN: &[&str] = &[
    "ssl.",
    "sasl.",
    "security.",
    "listeners",
    "plugin.path",
    "rest.",
    "bootstrap.servers",
    "consumer.interceptor.classes",
    "producer.interceptor.classes",
];

/// Reads the `spec` of one `KafkaMirrorMaker2` named `name`.
pub(super) fn load_kmm2(
    d: Doc<'_>,
    spec: &Node,
    name: &str,
    secrets: &SecretsDir,
) -> Result<MirrorConfig, ConfigError> {
    Kmm2 {
        d,
        secrets,
        all: ValueMap::new(),
        cluster_lines: BTreeMap::new(),
        ignored: Vec::new(),
    }
    .load(spec, name)
}

/// A cluster read from the resource.
struct ClusterDef {
    line: usize,
    bootstrap: String,
}

/// Builder state of one `KafkaMirrorMaker2`.
struct Kmm2<'a> {
    d: Doc<'a>,
    secrets: &'a SecretsDir,
    /// MM2 dedicated-mode keys (`<alias>.<k>`, `A->B.<k>`).
    all: ValueMap,
    cluster_lines: BTreeMap<String, ClusterDef>,
    ignored: Vec<(String, usize)>,
}

const KMM2_V1BETA2_FIELDS: &[&str] = &["replicas", "connectCluster", "clusters", "mirrors"];
const KMM2_V1_FIELDS: &[&str] = &["replicas", "target", "mirrors"];
const CLUSTER_FIELDS: &[&str] = &[
    "alias",
    "bootstrapServers",
    "tls",
    "authentication",
    "config",
];
const TARGET_FIELDS: &[&str] = &[
    "alias",
    "bootstrapServers",
    "tls",
    "authentication",
    "config",
    "groupId",
    "configStorageTopic",
    "offsetStorageTopic",
    "statusStorageTopic",
];
const PATTERN_FIELDS: &[&str] = &[
    "topicsPattern",
    "topicsExcludePattern",
    "topicsBlacklistPattern",
    "groupsPattern",
    "groupsExcludePattern",
    "groupsBlacklistPattern",
];
const CONNECTOR_FIELDS: &[&str] = &[
    "tasksMax",
    "config",
    "state",
    "pause",
    "autoRestart",
    "version",
    "listOffsets",
    "alterOffsets",
];

impl Kmm2<'_> {
    fn load(mut self, spec: &Node, name: &str) -> Result<MirrorConfig, ConfigError> {
        let d = self.d;
        let v1 = spec.get("target").is_some();
        let fields = if v1 {
            KMM2_V1_FIELDS
        } else {
            KMM2_V1BETA2_FIELDS
        };
        let skipped = d.check_fields(spec, "spec", fields, KUBERNETES_ONLY)?;
        if !skipped.is_empty() {
            tracing::info!(file = d.file, resource = name, fields = %skipped.join(", "), "Kubernetes deployment fields ignored");
        }
        let replicas = d.replicas(spec)?;
        let target = if v1 {
            self.v1_target(spec)?
        } else {
            self.v1beta2_clusters(spec)?
        };
        let Some(mirrors) = spec.get("mirrors") else {
            return Err(d.missing(
                spec.line,
                "spec.mirrors",
                "the list of mirrors (source -> target flows)",
            ));
        };
        let mut pairs: Vec<(String, String, usize)> = Vec::new();
        for (i, m) in d
            .require_seq(&mirrors.value, "spec.mirrors")?
            .iter()
            .enumerate()
        {
            let path = format!("spec.mirrors[{i}]");
            d.require_map(m, &path)?;
            let (source, target_alias) = if v1 {
                self.v1_mirror_source(m, &path, &target)?
            } else {
                self.v1beta2_mirror_ends(m, &path, &target)?
            };
            if let Some((_, _, line)) = pairs
                .iter()
                .find(|(s, t, _)| *s == source && *t == target_alias)
            {
                return Err(d.invalid(
                    m.line,
                    &path,
                    None,
                    format!("one mirror per source and target: `{source}->{target_alias}` is already spec.mirrors at line {line}"),
                ));
            }
            self.mirror(m, &path, &source, &target_alias, v1)?;
            pairs.push((source, target_alias, m.line));
        }
        if pairs.is_empty() {
            return Err(ConfigError::NoFlows {
                at: Location::new(d.file, mirrors.line, "spec.mirrors"),
                reason: "expected at least one mirror".into(),
            });
        }
        let mut clusters = BTreeMap::new();
        for alias in pairs.iter().flat_map(|(s, t, _)| [s, t]) {
            if clusters.contains_key(alias) {
                continue;
            }
            let line = self.cluster_lines.get(alias).map_or(0, |c| c.line);
            clusters.insert(
                alias.clone(),
                build_cluster(d.file, &self.all, alias, line)?,
            );
        }
        let flows = pairs
            .iter()
            .map(|(s, t, _)| build_flow(d.file, &self.all, s, t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MirrorConfig {
            clusters,
            flows,
            source_file: d.file.to_owned(),
            ignored_keys: self.ignored,
            replicas: Some(replicas),
        })
    }

    /// One cluster spec: its properties become `<alias>.<k>`.
    fn cluster(
        &mut self,
        c: &Node,
        path: &str,
        fields: &[&str],
    ) -> Result<(String, usize), ConfigError> {
        let d = self.d;
        d.require_map(c, path)?;
        d.check_fields(c, path, fields, &[])?;
        let (alias, alias_line) = d.alias(c, path, "alias")?;
        let (bootstrap, b_line) = d.req_scalar(
            c,
            path,
            "bootstrapServers",
            "host:port addresses of the cluster",
        )?;
        if let Some(prev) = self.cluster_lines.get(&alias) {
            if prev.bootstrap == bootstrap.trim() {
                return Ok((alias, alias_line));
            }
            return Err(d.invalid(
                alias_line,
                &child(path, "alias"),
                Some(&Node {
                    kind: NodeKind::Scalar(alias.clone()),
                    line: alias_line,
                }),
                format!(
                    "a unique alias: `{alias}` already names another cluster (line {})",
                    prev.line
                ),
            ));
        }
        self.cluster_lines.insert(
            alias.clone(),
            ClusterDef {
                line: alias_line,
                bootstrap: bootstrap.trim().to_owned(),
            },
        );
        let mut props = vec![(
            "bootstrap.servers".to_owned(),
            d.value(
                "bootstrap.servers",
                bootstrap,
                &child(path, "bootstrapServers"),
                b_line,
            ),
        )];
        props.extend(d.security(c, path, self.secrets)?);
        if let Some(cfg) = c.get("config") {
            props.extend(d.config_map(
                &cfg.value,
                &child(path, "config"),
                KMM2_FORBIDDEN,
                &mut self.ignored,
            )?);
        }
        for (k, v) in props {
            self.all.insert(format!("{alias}.{k}"), v);
        }
        Ok((alias, alias_line))
    }

    fn worker_defaults(&mut self, alias: &str) {
        for (k, v) in WORKER_DEFAULTS {
            self.all
                .entry(format!("{alias}.{k}"))
                .or_insert_with(|| Value::default_value(*v));
        }
    }

    /// v1alpha1..v1beta2: `connectCluster` and `clusters[]`; returns the connect cluster.
    fn v1beta2_clusters(&mut self, spec: &Node) -> Result<String, ConfigError> {
        let d = self.d;
        let (connect, connect_line) = d.req_scalar(
            spec,
            "spec",
            "connectCluster",
            "the alias of the target cluster, where the Connect worker keeps its state",
        )?;
        let Some(clusters) = spec.get("clusters") else {
            return Err(d.missing(
                spec.line,
                "spec.clusters",
                "the list of clusters (alias and bootstrapServers)",
            ));
        };
        for (i, c) in d
            .require_seq(&clusters.value, "spec.clusters")?
            .iter()
            .enumerate()
        {
            let path = format!("spec.clusters[{i}]");
            let (alias, line) = self.cluster(c, &path, CLUSTER_FIELDS)?;
            if self
                .cluster_lines
                .get(&alias)
                .is_some_and(|c| c.line != line)
            {
                return Err(d.invalid(
                    line,
                    &format!("{path}.alias"),
                    Some(&Node {
                        kind: NodeKind::Scalar(alias.clone()),
                        line,
                    }),
                    "a unique alias: it is already defined in spec.clusters",
                ));
            }
        }
        if !self.cluster_lines.contains_key(connect) {
            return Err(self.unknown_cluster(
                connect_line,
                "spec.connectCluster",
                connect,
                clusters.line,
            ));
        }
        self.worker_defaults(connect);
        Ok(connect.to_owned())
    }

    /// v1: `target` with the Connect worker's group and storage topics.
    fn v1_target(&mut self, spec: &Node) -> Result<String, ConfigError> {
        let d = self.d;
        let Some(t) = spec.get("target") else {
            return Err(d.missing(spec.line, "spec.target", "the target cluster"));
        };
        let (alias, _) = self.cluster(&t.value, "spec.target", TARGET_FIELDS)?;
        for (field, key) in [
            ("groupId", "group.id"),
            ("configStorageTopic", "config.storage.topic"),
            ("offsetStorageTopic", "offset.storage.topic"),
            ("statusStorageTopic", "status.storage.topic"),
        ] {
            let (v, line) = d.req_scalar(
                &t.value,
                "spec.target",
                field,
                &format!("the Connect worker's {key}"),
            )?;
            self.all.insert(
                format!("{alias}.{key}"),
                d.value(key, v.trim(), &format!("spec.target.{field}"), line),
            );
        }
        Ok(alias)
    }

    fn unknown_cluster(
        &self,
        line: usize,
        path: &str,
        alias: &str,
        clusters_line: usize,
    ) -> ConfigError {
        ConfigError::UnknownCluster {
            at: Location::new(self.d.file, line, path),
            alias: alias.to_owned(),
            known: self
                .cluster_lines
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            clusters_line,
        }
    }

    /// v1beta2 mirror: `sourceCluster` and `targetCluster`, both defined, the target being
    /// the connect cluster.
    fn v1beta2_mirror_ends(
        &self,
        m: &Node,
        path: &str,
        connect: &str,
    ) -> Result<(String, String), ConfigError> {
        let d = self.d;
        let known: Vec<&str> = [
            "sourceCluster",
            "targetCluster",
            "sourceConnector",
            "checkpointConnector",
            "heartbeatConnector",
        ]
        .into_iter()
        .chain(PATTERN_FIELDS.iter().copied())
        .collect();
        d.check_fields(m, path, &known, &[])?;
        let clusters_line = self
            .cluster_lines
            .values()
            .map(|c| c.line)
            .min()
            .unwrap_or(0);
        let mut ends = Vec::new();
        for key in ["sourceCluster", "targetCluster"] {
            let (a, line) =
                d.req_scalar(m, path, key, "the alias of a cluster in spec.clusters")?;
            if !self.cluster_lines.contains_key(a) {
                return Err(self.unknown_cluster(line, &child(path, key), a, clusters_line));
            }
            ends.push((a.to_owned(), line));
        }
        let (t, t_line) = ends.pop().unwrap_or_default();
        let (s, s_line) = ends.pop().unwrap_or_default();
        if s == t {
            return Err(d.invalid(
                s_line,
                &child(path, "sourceCluster"),
                Some(&Node {
                    kind: NodeKind::Scalar(s.clone()),
                    line: s_line,
                }),
                "a source cluster different from the target cluster",
            ));
        }
        if t != connect {
            return Err(d.invalid(
                t_line,
                &child(path, "targetCluster"),
                Some(&Node { kind: NodeKind::Scalar(t.clone()), line: t_line }),
                format!("the connectCluster `{connect}`: MirrorMaker 2 writes mirrored records to its Connect cluster, so every mirror's target must be it"),
            ));
        }
        Ok((s, t))
    }

    /// v1 mirror: `source` is a cluster spec; the target is `spec.target`.
    fn v1_mirror_source(
        &mut self,
        m: &Node,
        path: &str,
        target: &str,
    ) -> Result<(String, String), ConfigError> {
        let d = self.d;
        let known: Vec<&str> = ["source", "sourceConnector", "checkpointConnector"]
            .into_iter()
            .chain(PATTERN_FIELDS.iter().copied())
            .collect();
        d.check_fields(m, path, &known, &[])?;
        let Some(s) = m.get("source") else {
            return Err(d.missing(
                m.line,
                &child(path, "source"),
                "the source cluster (alias, bootstrapServers, ...)",
            ));
        };
        let (alias, line) = self.cluster(&s.value, &child(path, "source"), CLUSTER_FIELDS)?;
        if alias == target {
            return Err(d.invalid(
                line,
                &format!("{path}.source.alias"),
                Some(&Node {
                    kind: NodeKind::Scalar(alias.clone()),
                    line,
                }),
                "a source alias different from the target's",
            ));
        }
        Ok((alias, target.to_owned()))
    }

    /// A mirror's connectors and patterns as `A->B.<k>`.
    fn mirror(
        &mut self,
        m: &Node,
        path: &str,
        source: &str,
        target: &str,
        v1: bool,
    ) -> Result<(), ConfigError> {
        let d = self.d;
        let mut connectors = Vec::new();
        let mut declared = Vec::new();
        let kinds: &[(&str, ConnectorKind)] = if v1 {
            &[
                ("sourceConnector", ConnectorKind::Source),
                ("checkpointConnector", ConnectorKind::Checkpoint),
            ]
        } else {
            &[
                ("sourceConnector", ConnectorKind::Source),
                ("checkpointConnector", ConnectorKind::Checkpoint),
                ("heartbeatConnector", ConnectorKind::Heartbeat),
            ]
        };
        for (field, kind) in kinds {
            let Some(e) = m.get(field) else { continue };
            let cpath = child(path, field);
            if e.value.kind != NodeKind::Null {
                d.require_map(&e.value, &cpath)?;
            }
            d.check_fields(&e.value, &cpath, CONNECTOR_FIELDS, &[])?;
            let mut config = ValueMap::new();
            if let Some(c) = e.value.get("config") {
                for (k, v) in
                    d.config_map(&c.value, &child(&cpath, "config"), &[], &mut self.ignored)?
                {
                    config.insert(k, v);
                }
            }
            if let Some((n, line)) =
                d.opt_scalar(&e.value, &cpath, "tasksMax", "a number of tasks")?
            {
                config.insert(
                    "tasks.max".into(),
                    d.value("tasks.max", n, &child(&cpath, "tasksMax"), line),
                );
            }
            let state = d.opt_scalar(&e.value, &cpath, "state", "running, paused or stopped")?;
            let paused = d.opt_scalar(&e.value, &cpath, "pause", "true or false")?;
            let running = match (state, paused) {
                (Some((s, line)), _) => match s.trim() {
                    "running" => true,
                    "paused" | "stopped" => false,
                    _ => {
                        return Err(d.invalid(
                            line,
                            &child(&cpath, "state"),
                            Some(&Node {
                                kind: NodeKind::Scalar(s.into()),
                                line,
                            }),
                            "running, paused or stopped",
                        ));
                    }
                },
                (None, Some((p, _))) => p.trim() != "true",
                (None, None) => true,
            };
            declared.push(*kind);
            if running {
                connectors.push(Connector {
                    kind: *kind,
                    name: format!("{source}->{target}.{}", kind.class()),
                    file: d.file.to_owned(),
                    config,
                });
            } else {
                tracing::info!(file = d.file, connector = %cpath, "connector not running (state paused/stopped): its work is off");
            }
        }
        let refs: Vec<&Connector> = connectors.iter().collect();
        let mut c = merge_connectors(&refs)?;
        let mut present: Vec<ConnectorKind> = connectors.iter().map(|c| c.kind).collect();
        if declared.contains(&ConnectorKind::Source) && !present.contains(&ConnectorKind::Source) {
            present.retain(|k| *k != ConnectorKind::Checkpoint);
        }
        apply_presence(&mut c, &present, || {
            Location::new(d.file, m.line, child(path, "checkpointConnector"))
        })?;
        self.patterns(m, path, &mut c)?;
        c.insert(
            "name".into(),
            Value::default_value(format!(
                "{source}->{target}.{}",
                ConnectorKind::Source.class()
            )),
        );
        for (k, v) in c {
            self.all.insert(format!("{source}->{target}.{k}"), v);
        }
        Ok(())
    }

    fn patterns(&self, m: &Node, path: &str, c: &mut ValueMap) -> Result<(), ConfigError> {
        let d = self.d;
        for (key, field, deprecated) in [
            ("topics", "topicsPattern", None),
            (
                "topics.exclude",
                "topicsExcludePattern",
                Some("topicsBlacklistPattern"),
            ),
            ("groups", "groupsPattern", None),
            (
                "groups.exclude",
                "groupsExcludePattern",
                Some("groupsBlacklistPattern"),
            ),
        ] {
            let new = d.opt_scalar(
                m,
                path,
                field,
                "a regular expression or a comma-separated list",
            )?;
            let old = match deprecated {
                Some(f) => d
                    .opt_scalar(m, path, f, "a regular expression or a comma-separated list")?
                    .map(|v| (v, f)),
                None => None,
            };
            let chosen = match (new, old) {
                (Some(n), Some((_, f))) => {
                    tracing::warn!(
                        file = d.file,
                        "{path}.{field} and the deprecated {path}.{f} are both set: {f} is ignored"
                    );
                    Some((n, field))
                }
                (Some(n), None) => Some((n, field)),
                (None, Some((o, f))) => Some((o, f)),
                (None, None) => None,
            };
            if let Some(((text, line), f)) = chosen {
                c.insert(key.into(), d.value(key, text, &child(path, f), line));
            }
        }
        Ok(())
    }
}
