//! One entry point for every configuration format strait reads
//! ([`load_config_files`]): MM2 `mm2.properties`, Strimzi / IBM Event Streams / AMQ Streams
//! custom resources in YAML (`KafkaMirrorMaker2`, `KafkaMirrorMaker`), and Kafka Connect
//! connector JSON (with the Connect worker's `.properties` for its config providers).
//! Several inputs may be given; their flows are combined into one [`MirrorConfig`].
//!
//! Every format is translated into the keys MM2 itself uses (`<alias>.<key>`,
//! `A->B.<key>`, or a connector config `source.cluster.*`) and built by the same code as
//! `mm2.properties`, so the same configuration means the same thing in every format.
//! Values keep their [`Origin`](crate::Origin): for YAML and JSON the key is the document path
//! (`spec.mirrors[0].sourceCluster`) and the line is the line in the file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::document::error::{ConfigError, Location};
use crate::document::input::{Format, Input, detect_format};
use crate::document::node::parse_yaml;
use crate::document::properties;
use crate::formats::connect_json::load_connectors;
use crate::formats::mm2_properties::parse_mm2_properties;
use crate::formats::options::{LoadConfigOptions, LoadOptions};
use crate::formats::strimzi::load_document;
use crate::model::MirrorConfig;
use crate::providers::mounts::apply_mounts;

fn read_input(path: &Path, mounts: &[(PathBuf, PathBuf)]) -> Result<Input, ConfigError> {
    let bytes = crate::document::limits::read_file(path)?;
    let text = apply_mounts(&properties::decode(&bytes), mounts);
    let format = detect_format(path, &text);
    Ok(Input {
        path: path.to_owned(),
        name: path.display().to_string(),
        text,
        format,
    })
}

/// Reads the inputs; a directory contributes its `.json`, `.yaml`, `.yml` and
/// `.properties` files (sorted by name, not recursive).
fn read_inputs(
    paths: &[PathBuf],
    mounts: &[(PathBuf, PathBuf)],
) -> Result<Vec<Input>, ConfigError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| ConfigError::Io {
                path: path.clone(),
                source,
            })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        matches!(
                            e.to_ascii_lowercase().as_str(),
                            "json" | "yaml" | "yml" | "properties"
                        )
                    })
                })
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(ConfigError::Missing {
                    at: Location::new(path.display().to_string(), 0, "(directory)"),
                    expected: "at least one .json, .yaml, .yml or .properties file".into(),
                });
            }
            for f in files {
                out.push(read_input(&f, mounts)?);
            }
        } else {
            out.push(read_input(path, mounts)?);
        }
    }
    Ok(out)
}

/// Loads and combines configuration files of any supported format (module docs).
///
/// A `.properties` file with `clusters` is an `mm2.properties`; one without is taken as
/// the Connect worker config of the connector JSON files given with it (its
/// `config.providers` resolve `${file:...}` references in the connectors, its
/// `offset.storage.topic` and `group.id` name where Java MM2 kept positions). YAML
/// documents of other kinds (Secret, KafkaTopic, KafkaUser, …) are skipped with a note.
pub fn load_config_files(
    paths: &[PathBuf],
    options: &LoadConfigOptions,
) -> Result<MirrorConfig, ConfigError> {
    if paths.is_empty() {
        return Err(ConfigError::Missing {
            at: Location::new("(command line)", 0, "FILE"),
            expected: "at least one configuration file or directory".into(),
        });
    }
    let inputs = read_inputs(paths, &options.mounts)?;
    // A lone mm2.properties behaves exactly as `load_mm2_properties_with`.
    if let [only] = inputs.as_slice()
        && only.format == Format::Mm2Properties
    {
        return parse_mm2_properties(&only.text, &only.name, &options.load);
    }
    let secrets = options.secrets();
    let unfiltered = LoadOptions {
        clusters: None,
        env: options.load.env.clone(),
    };
    let mut parts = Vec::new();
    let mut workers = Vec::new();
    let mut connectors = Vec::new();
    let mut yaml_files: Vec<&str> = Vec::new();
    let mut yaml_docs = 0;
    for input in &inputs {
        match input.format {
            Format::Mm2Properties => {
                parts.push(parse_mm2_properties(&input.text, &input.name, &unfiltered)?);
            }
            Format::WorkerProperties => workers.push(input),
            Format::ConnectorJson => connectors.push(input),
            Format::Yaml => {
                let docs = parse_yaml(&input.text, &input.name)?;
                yaml_docs += docs.len();
                yaml_files.push(input.name.as_str());
                for doc in &docs {
                    if let Some(c) = load_document(doc, &input.name, &secrets)? {
                        parts.push(c);
                    }
                }
            }
        }
    }
    if parts.is_empty() && connectors.is_empty() && !yaml_files.is_empty() {
        return Err(ConfigError::Missing {
            at: Location::new(yaml_files.join(", "), 0, "kind"),
            expected: format!(
                "a KafkaMirrorMaker2 or KafkaMirrorMaker resource ({yaml_docs} document(s) \
                 read, none of these kinds)"
            ),
        });
    }
    if !connectors.is_empty() {
        let worker = match workers.as_slice() {
            [] => None,
            [w] => Some(*w),
            [_, second, ..] => {
                return Err(ConfigError::InvalidValue {
                    at: Location::new(&second.name, 0, "(file)"),
                    value: None,
                    expected: "at most one Connect worker .properties file next to the \
                               connector JSON files"
                        .into(),
                });
            }
        };
        parts.extend(load_connectors(
            &connectors,
            worker,
            &options.load.env,
            &secrets,
        )?);
    } else if let Some(w) = workers.first() {
        // Without connectors this is an mm2.properties missing `clusters`: say so.
        return parse_mm2_properties(&w.text, &w.name, &unfiltered);
    }
    combine(parts, &options.load)
}

/// Merges the configurations read from several inputs and applies `--clusters`.
pub(crate) fn combine(
    parts: Vec<MirrorConfig>,
    options: &LoadOptions,
) -> Result<MirrorConfig, ConfigError> {
    let mut out = MirrorConfig {
        clusters: BTreeMap::new(),
        flows: Vec::new(),
        source_file: String::new(),
        ignored_keys: Vec::new(),
        replicas: None,
    };
    let mut files: Vec<String> = Vec::new();
    let mut flow_files: HashMap<String, String> = HashMap::new();
    for part in parts {
        for f in part.source_file.split(", ") {
            if !files.iter().any(|x| x == f) {
                files.push(f.to_owned());
            }
        }
        for (alias, c) in part.clusters {
            match out.clusters.get(&alias) {
                Some(prev)
                    if prev.bootstrap_servers != c.bootstrap_servers
                        || prev.security.protocol != c.security.protocol =>
                {
                    return Err(ConfigError::InvalidValue {
                        at: Location::new(&part.source_file, 0, alias.clone()),
                        value: Some(format!(
                            "{} via {}",
                            c.security.protocol.name(),
                            c.bootstrap_servers.join(",")
                        )),
                        expected: format!(
                            "the same cluster as alias `{alias}` in {} ({} via {}): one alias \
                             names one cluster in all inputs",
                            files.join(", "),
                            prev.security.protocol.name(),
                            prev.bootstrap_servers.join(",")
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    out.clusters.insert(alias, c);
                }
            }
        }
        for f in part.flows {
            let name = f.name();
            if let Some(prev) = flow_files.get(&name) {
                return Err(ConfigError::InvalidValue {
                    at: Location::new(&part.source_file, 0, name.clone()),
                    value: None,
                    expected: format!("each flow defined once: `{name}` is also defined in {prev}"),
                });
            }
            flow_files.insert(name, part.source_file.clone());
            out.flows.push(f);
        }
        out.ignored_keys.extend(part.ignored_keys);
        out.replicas = match (out.replicas, part.replicas) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    out.source_file = files.join(", ");
    if let Some(wanted) = &options.clusters {
        if let Some(bad) = wanted.iter().find(|w| !out.clusters.contains_key(*w)) {
            return Err(ConfigError::InvalidValue {
                at: Location::new(&out.source_file, 0, "--clusters"),
                value: Some(bad.clone()),
                expected: format!(
                    "one of the cluster aliases: {}",
                    out.clusters.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        out.flows.retain(|f| wanted.contains(&f.target));
    }
    if out.flows.is_empty() {
        return Err(ConfigError::NoFlows {
            at: Location::new(&out.source_file, 0, "(flows)"),
            reason: "expected at least one mirror (source -> target), and `--clusters` naming \
                     the target of one of them"
                .into(),
        });
    }
    let used: Vec<String> = out
        .flows
        .iter()
        .flat_map(|f| [f.source.clone(), f.target.clone()])
        .collect();
    out.clusters.retain(|a, _| used.contains(a));
    Ok(out)
}
