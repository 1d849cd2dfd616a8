//! Kafka Connect connector configurations in JSON, as submitted to the Connect REST API
//! (`PUT /connectors/<name>/config` with the flat config, or `POST /connectors` with
//! `{"name": ..., "config": {...}}`), for MM2's three connectors (KIP-382).
//!
//! The connectors of one `source.cluster.alias` → `target.cluster.alias` pair form one
//! flow, merged as `formats::connectors` describes.
//!
//! `${provider:...}` references are resolved with the `config.providers` of the Connect
//! worker `.properties` given alongside (as the Connect worker does). The worker's
//! `bootstrap.servers` and `producer.*` make the producer that writes mirrored records,
//! and its `group.id` / `offset.storage.topic` say where Java MM2 kept its positions.

use std::collections::BTreeMap;
use std::path::Path;

use crate::document::error::{ConfigError, Location};
use crate::document::input::Input;
use crate::document::node::{Node, NodeKind, parse_json};
use crate::document::properties;
use crate::document::provenance::Provenance;
use crate::document::value::{Origin, Value, ValueMap};
use crate::formats::connectors::{Connector, ConnectorKind, apply_presence, merge_connectors};
use crate::model::MirrorConfig;
use crate::model::flow::{build_cluster, build_flow_from};
use crate::model::keys;
use crate::providers::secrets::SecretsDir;
use crate::providers::{self, Env, FileCache, Providers};

/// The Connect worker config: its values resolved with its own providers.
struct Worker {
    file: String,
    props: ValueMap,
    providers: Providers,
}

fn read_worker(input: &Input, env: &Env, secrets: &SecretsDir) -> Result<Worker, ConfigError> {
    let props = properties::parse(&input.text, &input.name)?;
    let providers = Providers::declare(&props, &input.name)?.with_secrets(secrets.clone());
    let resolved = providers::resolve_all(&props, &providers, &input.name, env)?;
    Ok(Worker {
        file: input.name.clone(),
        props: resolved,
        providers,
    })
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("connector")
        .to_owned()
}

/// The connectors in one JSON document: a config object, `{"name", "config"}`, or a list
/// of either.
fn connectors_of(
    node: &Node,
    input: &Input,
    worker: Option<&Worker>,
    env: &Env,
    cache: &mut FileCache,
    secrets: &SecretsDir,
) -> Result<Vec<Connector>, ConfigError> {
    let file = &input.name;
    match &node.kind {
        NodeKind::Seq(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(connectors_of(item, input, worker, env, cache, secrets)?);
            }
            Ok(out)
        }
        NodeKind::Map(_) => {
            let (name, config) = match node.get("config") {
                Some(cfg) if cfg.value.entries().is_some() => {
                    let name = match node.get("name") {
                        Some(n) => n.value.as_str().map(str::to_owned).ok_or_else(|| {
                            ConfigError::InvalidValue {
                                at: Location::new(file, n.line, "name"),
                                value: None,
                                expected: format!(
                                    "the connector name as a string, not {}",
                                    n.value.describe()
                                ),
                            }
                        })?,
                        None => file_stem(&input.path),
                    };
                    (name, &cfg.value)
                }
                _ => (file_stem(&input.path), node),
            };
            Ok(vec![connector(
                config, name, input, worker, env, cache, secrets,
            )?])
        }
        _ => Err(ConfigError::InvalidValue {
            at: Location::new(file, node.line, "(document)"),
            value: None,
            expected: format!(
                "a connector config object (`{{\"connector.class\": ...}}` or `{{\"name\": ..., \
                 \"config\": {{...}}}}`), not {}",
                node.describe()
            ),
        }),
    }
}

fn connector(
    node: &Node,
    name: String,
    input: &Input,
    worker: Option<&Worker>,
    env: &Env,
    cache: &mut FileCache,
    secrets: &SecretsDir,
) -> Result<Connector, ConfigError> {
    let file = &input.name;
    let empty = Providers::default().with_secrets(secrets.clone());
    let providers = worker.map_or(&empty, |w| &w.providers);
    let mut config = ValueMap::new();
    for e in node.entries().unwrap_or_default() {
        let text = match &e.value.kind {
            NodeKind::Scalar(s) => s.clone(),
            _ => {
                return Err(ConfigError::InvalidValue {
                    at: Location::new(file, e.line, e.key.clone()),
                    value: None,
                    expected: format!(
                        "a string, number or boolean (Connect configs are flat), not {}",
                        e.value.describe()
                    ),
                });
            }
        };
        let raw = Value::for_key(&e.key, text, Origin::line(e.key.clone(), e.line));
        let value = providers.resolve(&e.key, &raw, file, env, cache)?;
        config.insert(e.key.clone(), value);
    }
    let Some(class) = config.get("connector.class") else {
        return Err(ConfigError::Missing {
            at: Location::new(file, node.line, "connector.class"),
            expected: "the connector class: MirrorSourceConnector, MirrorCheckpointConnector or \
                       MirrorHeartbeatConnector (package org.apache.kafka.connect.mirror)"
                .into(),
        });
    };
    let kind = ConnectorKind::from_class(class.expose()).ok_or_else(|| {
        ConfigError::invalid(
            file,
            class,
            "connector.class",
            "org.apache.kafka.connect.mirror.MirrorSourceConnector, \
             MirrorCheckpointConnector or MirrorHeartbeatConnector (strait runs MM2's \
             connectors only)",
        )
    })?;
    if !config.contains_key("source.cluster.alias") {
        return Err(ConfigError::Missing {
            at: Location::new(file, node.line, "source.cluster.alias"),
            expected: "the alias of the source cluster (MM2 requires it; it names remote \
                       topics and positions)"
                .into(),
        });
    }
    Ok(Connector {
        kind,
        name,
        file: file.clone(),
        config,
    })
}

fn alias(c: &Connector, key: &str, default: &str) -> Result<String, ConfigError> {
    match c.config.get(key) {
        None => Ok(default.to_owned()),
        Some(v) => {
            let a = v.expose().trim();
            if a.is_empty() || a.contains("->") || a.contains(char::is_whitespace) {
                Err(ConfigError::invalid(
                    &c.file,
                    v,
                    key,
                    "a cluster alias without spaces or `->`",
                ))
            } else {
                Ok(a.to_owned())
            }
        }
    }
}

/// Keys a connector config may hold: MM2's and Connect's connector settings, client
/// prefixes, and the cluster prefixes.
fn is_known_key(key: &str) -> bool {
    keys::is_known_flow_key(key) || key.starts_with("producer.override.")
}

/// Loads connector JSON files (and the worker config) into one configuration per flow.
pub(crate) fn load_connectors(
    inputs: &[&Input],
    worker: Option<&Input>,
    env: &Env,
    secrets: &SecretsDir,
) -> Result<Vec<MirrorConfig>, ConfigError> {
    let worker = worker.map(|w| read_worker(w, env, secrets)).transpose()?;
    let mut cache = FileCache::default();
    let mut all = Vec::new();
    for input in inputs {
        let node = parse_json(&input.text, &input.name)?;
        all.extend(connectors_of(
            &node,
            input,
            worker.as_ref(),
            env,
            &mut cache,
            secrets,
        )?);
    }
    let mut groups: BTreeMap<(String, String), Vec<&Connector>> = BTreeMap::new();
    for c in &all {
        let s = alias(c, "source.cluster.alias", "")?;
        let t = alias(c, "target.cluster.alias", "target")?;
        if s == t {
            let v = &c.config["source.cluster.alias"];
            return Err(ConfigError::invalid(
                &c.file,
                v,
                "source.cluster.alias",
                format!("a source different from `target.cluster.alias` (`{t}`)"),
            ));
        }
        let group = groups.entry((s, t)).or_default();
        if let Some(prev) = group.iter().find(|p| p.kind == c.kind) {
            return Err(ConfigError::InvalidValue {
                at: Location::of(&c.file, &c.config["connector.class"], "connector.class"),
                value: Some(c.kind.class().into()),
                expected: format!(
                    "one {} per source and target: {} ({}) already is one",
                    c.kind.class(),
                    prev.name,
                    prev.file
                ),
            });
        }
        group.push(c);
    }
    groups
        .into_iter()
        .map(|((s, t), connectors)| build(&s, &t, &connectors, worker.as_ref()))
        .collect()
}

fn build(
    source: &str,
    target: &str,
    connectors: &[&Connector],
    worker: Option<&Worker>,
) -> Result<MirrorConfig, ConfigError> {
    let main = connectors
        .iter()
        .min_by_key(|c| c.kind)
        .copied()
        .ok_or_else(|| ConfigError::Missing {
            at: Location::new("(connectors)", 0, "connector.class"),
            expected: "at least one connector".into(),
        })?;
    let mut prov = Provenance::default();
    for c in connectors {
        for v in c.config.values() {
            prov.note(v, &c.file);
        }
    }
    if let Some(w) = worker {
        for v in w.props.values() {
            prov.note(v, &w.file);
        }
    }
    let mut c = merge_connectors(connectors)?;
    let present: Vec<ConnectorKind> = connectors.iter().map(|c| c.kind).collect();
    apply_presence(&mut c, &present, || {
        Location::new(&main.file, 0, "connector.class")
    })?;
    c.insert("name".into(), Value::default_value(main.name.clone()));
    c.entry("target.cluster.alias".into())
        .or_insert_with(|| Value::default_value(target));

    let mut ignored = Vec::new();
    let mut clusters = BTreeMap::new();
    for (side, alias) in [("source", source), ("target", target)] {
        let prefix = format!("{side}.cluster.");
        let mut mini = ValueMap::new();
        for (k, v) in &c {
            let Some(rest) = k.strip_prefix(&prefix) else {
                continue;
            };
            if rest == "alias" {
                continue;
            }
            if keys::is_role_prefixed(rest) {
                // MM2 keeps only client keys of `<side>.cluster.*`: a role override must
                // be written `<side>.<role>.*`.
                ignored.push((
                    format!("{}: {k} (use {side}.{rest})", file_of(k, v, connectors)),
                    v.origin().line_number(),
                ));
                continue;
            }
            mini.insert(format!("{alias}.{rest}"), v.clone());
        }
        let cluster = build_cluster(&main.file, &mini, alias, 0).map_err(|e| prov.fix(e))?;
        clusters.insert(alias.to_owned(), cluster);
    }
    for conn in connectors {
        for (k, v) in &conn.config {
            if !is_known_key(k) {
                ignored.push((format!("{}: {k}", conn.file), v.origin().line_number()));
            }
        }
    }
    let w = worker_config(&c, worker, target);
    let flow = build_flow_from(&main.file, &c, &w, source, target).map_err(|e| prov.fix(e))?;
    let mut files: Vec<String> = connectors.iter().map(|c| c.file.clone()).collect();
    if let Some(w) = worker {
        files.push(w.file.clone());
    }
    Ok(MirrorConfig {
        clusters,
        flows: vec![flow],
        source_file: files.join(", "),
        ignored_keys: ignored,
        replicas: None,
    })
}

fn file_of(key: &str, v: &Value, connectors: &[&Connector]) -> String {
    connectors
        .iter()
        .find(|c| c.config.get(key).is_some_and(|x| x.origin() == v.origin()))
        .map_or_else(String::new, |c| c.file.clone())
}

/// The Connect worker's config; without a worker file, a worker on the target cluster
/// with Connect's usual storage topic names is assumed.
fn worker_config(c: &ValueMap, worker: Option<&Worker>, target: &str) -> ValueMap {
    let mut w = match worker {
        Some(w) => w.props.clone(),
        None => {
            tracing::info!(
                target_cluster = target,
                "no Connect worker .properties given: assuming a worker on the target cluster \
                 (group.id connect-cluster, offset.storage.topic connect-offsets)"
            );
            let mut w = ValueMap::new();
            for (k, v) in c {
                if let Some(rest) = k.strip_prefix("target.cluster.")
                    && keys::is_client_key(rest)
                {
                    if rest == "bootstrap.servers" {
                        w.insert(rest.to_owned(), v.clone());
                    } else {
                        w.insert(format!("producer.{rest}"), v.clone());
                    }
                }
            }
            w
        }
    };
    for (k, v) in [
        ("group.id", "connect-cluster"),
        ("offset.storage.topic", "connect-offsets"),
        ("config.storage.topic", "connect-configs"),
        ("status.storage.topic", "connect-status"),
    ] {
        w.entry(k.into()).or_insert_with(|| Value::default_value(v));
    }
    if let (Some(wb), Some(tb)) = (
        w.get("bootstrap.servers"),
        c.get("target.cluster.bootstrap.servers"),
    ) && wb.expose().trim() != tb.expose().trim()
    {
        tracing::warn!(
            worker = wb.expose().trim(),
            target = tb.expose().trim(),
            "the Connect worker's bootstrap.servers differs from target.cluster.bootstrap.servers: \
             mirrored records are written to the worker's cluster, as Connect does"
        );
    }
    w
}
