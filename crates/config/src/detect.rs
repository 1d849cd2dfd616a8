//! One entry point for every configuration format strait reads
//! ([`load_config_files`]): MM2 `mm2.properties`, Strimzi / IBM Event Streams / AMQ Streams
//! custom resources in YAML (`KafkaMirrorMaker2`, `KafkaMirrorMaker`), and Kafka Connect
//! connector JSON (with the Connect worker's `.properties` for its config providers).
//! Several inputs may be given; their flows are combined into one [`MirrorConfig`].
//!
//! Every format is translated into the keys MM2 itself uses (`<alias>.<key>`,
//! `A->B.<key>`, or a connector config `source.cluster.*`) and built by the same code as
//! `mm2.properties`, so the same configuration means the same thing in every format.
//! Values keep their [`Origin`]: for YAML and JSON the key is the document path
//! (`spec.mirrors[0].sourceCluster`) and the line is the line in the file.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::{ConfigError, Location};
use crate::mm2_properties::{LoadOptions, parse_mm2_properties};
use crate::model::MirrorConfig;
use crate::properties;
use crate::secrets::SecretsDir;
use crate::value::{Origin, Value};

/// Options of [`load_config_files`].
#[derive(Clone, Debug, Default)]
pub struct LoadConfigOptions {
    /// `--clusters` and where `${env:...}` is looked up (as for `mm2.properties`).
    pub load: LoadOptions,
    /// Directory of mounted Kubernetes Secrets (`DIR/<secretName>/<key>`) for custom
    /// resources. `None`: `$STRAIT_SECRETS_DIR`, else `/etc/strait/secrets`.
    pub secrets_dir: Option<PathBuf>,
    /// Path prefixes rewritten in `${file:PATH:key}` / `${directory:PATH:file}`
    /// references before they are resolved, `(as written, on this machine)`: e.g. a
    /// container's `/opt/kafka/custom-config` mounted from `./connect`.
    pub mounts: Vec<(PathBuf, PathBuf)>,
}

impl LoadConfigOptions {
    /// The secrets directory in effect.
    pub fn secrets(&self) -> SecretsDir {
        SecretsDir::resolve(self.secrets_dir.as_deref())
    }
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// MM2 dedicated mode `mm2.properties` (has `clusters`).
    Mm2Properties,
    /// Any other `.properties`: a Connect worker config next to connector JSON.
    WorkerProperties,
    /// One or several YAML documents (Kubernetes resources).
    Yaml,
    /// Connect connector configuration(s) in JSON.
    ConnectorJson,
}

/// The format of a file, from its extension, else from its content.
pub fn detect_format(path: &Path, text: &str) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("yaml" | "yml") => Format::Yaml,
        Some("json") => Format::ConnectorJson,
        Some("properties" | "conf" | "cfg") => properties_kind(text),
        _ => {
            let t = text.trim_start_matches('\u{feff}').trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                Format::ConnectorJson
            } else if text.lines().any(|l| {
                l.starts_with("apiVersion:") || l.starts_with("kind:") || l.trim() == "---"
            }) {
                Format::Yaml
            } else {
                properties_kind(text)
            }
        }
    }
}

fn properties_kind(text: &str) -> Format {
    match properties::parse(text, "") {
        Ok(p) if p.get("clusters").is_none() => Format::WorkerProperties,
        _ => Format::Mm2Properties,
    }
}

/// One input file, read.
#[derive(Clone, Debug)]
pub(crate) struct Input {
    pub(crate) path: PathBuf,
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) format: Format,
}

fn read_input(path: &Path, mounts: &[(PathBuf, PathBuf)]) -> Result<Input, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
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
                    if let Some(c) = crate::strimzi::load_document(doc, &input.name, &secrets)? {
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
        parts.extend(crate::connect_json::load_connectors(
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

/// Rewrites `${provider:PATH:...}` references whose PATH starts with a mount's first path.
pub(crate) fn apply_mounts(text: &str, mounts: &[(PathBuf, PathBuf)]) -> String {
    if mounts.is_empty() || !text.contains("${") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let body = &rest[start + 2..];
        let end = body.find('}').unwrap_or(body.len());
        let inner = &body[..end];
        let rewritten = match inner.split_once(':') {
            Some((provider, after)) => match after.split_once(':') {
                Some((path, key)) => {
                    let p = Path::new(path);
                    match mounts.iter().find(|(from, _)| p.starts_with(from)) {
                        Some((from, to)) => {
                            let local = p.strip_prefix(from).map_or_else(
                                |_| to.clone(),
                                |tail| {
                                    if tail.as_os_str().is_empty() {
                                        to.clone()
                                    } else {
                                        to.join(tail)
                                    }
                                },
                            );
                            format!("{provider}:{}:{key}", local.display())
                        }
                        None => inner.to_owned(),
                    }
                }
                None => inner.to_owned(),
            },
            None => inner.to_owned(),
        };
        out.push_str("${");
        out.push_str(&rewritten);
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------
// Documents: YAML (and JSON, a subset of it) as a tree that keeps line numbers.

/// A YAML / JSON node with the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    pub(crate) line: usize,
}

/// The shape of a node. Scalars keep their text as written (plain `1.50` stays `1.50`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NodeKind {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) line: usize,
    pub(crate) value: Node,
}

impl Node {
    /// The entry for `key` of a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The scalar text.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping entries.
    pub(crate) fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(e) => Some(e),
            _ => None,
        }
    }

    /// What this node is, for error messages.
    pub(crate) fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "nothing",
            NodeKind::Scalar(_) => "a scalar",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            NodeKind::Scalar(s) => f.write_str(s),
            _ => f.write_str(self.describe()),
        }
    }
}

/// The node as deserialized, before scalars get their source text back.
enum Raw {
    Null,
    Str(String),
    /// A bool or number: its text is taken from the source span.
    Typed(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Typed(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Typed(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
                Ok(Raw::Typed(v.to_string()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
                Ok(Raw::Typed(v.to_string()))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
                Ok(Raw::Typed(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw::Typed(v.to_string()))
            }
            fn visit_char<E>(self, v: char) -> Result<Raw, E> {
                Ok(Raw::Str(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::Str(v))
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Raw, E> {
                String::from_utf8(v.to_vec())
                    .map(Raw::Str)
                    .map_err(|_| E::custom("binary data: expected text"))
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Raw, D2::Error> {
                Raw::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = a.next_element::<Spanned<Raw>>()? {
                    v.push(e);
                }
                Ok(Raw::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = a.next_key::<Spanned<String>>()? {
                    let val = a.next_value::<Spanned<Raw>>()?;
                    v.push((k, val));
                }
                Ok(Raw::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn line_of(loc: &serde_saphyr::Location) -> usize {
    usize::try_from(loc.line()).unwrap_or(0)
}

fn convert(raw: Spanned<Raw>, text: &str) -> Node {
    let line = line_of(&raw.referenced);
    let kind = match raw.value {
        Raw::Null => NodeKind::Null,
        Raw::Str(s) => NodeKind::Scalar(s),
        Raw::Typed(fallback) => {
            let span = raw.defined.span();
            let slice = span.byte_offset().zip(span.byte_len()).and_then(|(o, l)| {
                let o = usize::try_from(o).ok()?;
                let l = usize::try_from(l).ok()?;
                text.get(o..o.checked_add(l)?)
            });
            NodeKind::Scalar(slice.map_or(fallback, |s| s.trim().to_owned()))
        }
        Raw::Seq(items) => NodeKind::Seq(items.into_iter().map(|i| convert(i, text)).collect()),
        Raw::Map(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| Entry {
                    line: line_of(&k.referenced),
                    key: k.value,
                    value: convert(v, text),
                })
                .collect(),
        ),
    };
    Node { kind, line }
}

fn syntax_error(file: &str, e: &serde_saphyr::Error, what: &str) -> ConfigError {
    let (line, column) = e.location().map_or((0, 0), |l| (line_of(&l), l.column()));
    let message = e.without_snippet().to_string();
    // The crate prefixes "error: line L column C: "; we say it our way.
    let message = message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .split_once(": ")
        .filter(|(pos, _)| pos.starts_with("line "))
        .map_or(message.as_str(), |(_, m)| m);
    let message = message
        .split_once(" at line ")
        .map_or(message, |(m, _)| m)
        .trim()
        .to_owned();
    ConfigError::Syntax {
        file: file.to_owned(),
        line,
        message: format!("column {column}: {message}: expected {what}"),
    }
}

fn yaml_options() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    // The snippet would quote the file, which may hold a Secret's stringData.
    o.with_snippet = false;
    o
}

/// Parses YAML text (one or several documents) into trees. Text copied from web pages is
/// repaired first (see [`repair_web_copy`]).
pub(crate) fn parse_yaml(text: &str, file: &str) -> Result<Vec<Node>, ConfigError> {
    let text = normalize_spaces(text, file);
    let strict =
        serde_saphyr::from_str_multiple_with_options::<Spanned<Raw>, Vec<_>>(&text, yaml_options());
    let docs = match strict {
        Ok(docs) => docs.into_iter().map(|d| convert(d, &text)).collect(),
        Err(e) => {
            let Some(repaired) = repair_web_copy(&text, file) else {
                return Err(syntax_error(file, &e, "well-formed YAML"));
            };
            match serde_saphyr::from_str_multiple_with_options::<Spanned<Raw>, Vec<_>>(
                &repaired,
                yaml_options(),
            ) {
                Ok(docs) => docs.into_iter().map(|d| convert(d, &repaired)).collect(),
                Err(_) => return Err(syntax_error(file, &e, "well-formed YAML")),
            }
        }
    };
    Ok(docs)
}

/// Parses one JSON text: well-formedness is checked as JSON (JSON's own error messages),
/// then the tree is read with line numbers.
pub(crate) fn parse_json(text: &str, file: &str) -> Result<Node, ConfigError> {
    let text = text.trim_start_matches('\u{feff}');
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let message = e.to_string();
        let message = message
            .split_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        return Err(ConfigError::Syntax {
            file: file.to_owned(),
            line: e.line(),
            message: format!(
                "column {}: {message}: expected a JSON object (a connector config)",
                e.column()
            ),
        });
    }
    serde_saphyr::from_str_with_options::<Spanned<Raw>>(text, yaml_options())
        .map(|d| convert(d, text))
        .map_err(|e| syntax_error(file, &e, "a JSON object (a connector config)"))
}

/// Non-breaking spaces (U+00A0, what web pages use for indentation in code blocks) are
/// read as spaces: YAML would otherwise see them as content.
fn normalize_spaces(text: &str, file: &str) -> String {
    let text = text.trim_start_matches('\u{feff}');
    let count = text.matches('\u{a0}').count();
    if count == 0 {
        return text.to_owned();
    }
    let first = text
        .lines()
        .position(|l| l.contains('\u{a0}'))
        .map_or(0, |i| i + 1);
    tracing::warn!(
        file,
        line = first,
        count,
        "non-breaking spaces (U+00A0) read as spaces (text copied from a web page?)"
    );
    text.replace('\u{a0}', " ")
}

/// Repairs one kind of damage web pages do to YAML code blocks, tried only when the text
/// does not parse: a long quoted value wrapped onto the next line at column 0,
/// ```text
///         replication.policy.class:        # comment
/// "io.strimzi.kafka.connect.mirror.IdentityReplicationPolicy"
/// ```
/// The wrapped line is indented under its key (line numbers are kept) and a warning
/// names it. Returns `None` when there is nothing to repair.
fn repair_web_copy(text: &str, file: &str) -> Option<String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut changed = false;
    for (i, line) in lines.iter().enumerate() {
        let is_wrapped_value = (line.starts_with('"') || line.starts_with('\''))
            && i > 0
            && key_without_value(lines[i - 1]).is_some();
        if is_wrapped_value {
            let indent = key_without_value(lines[i - 1]).unwrap_or(0) + 2;
            tracing::warn!(
                file,
                line = i + 1,
                "value at column 1 read as the value of the key on line {} (a line break \
                 copied from a web page?)",
                i
            );
            out.push(format!("{}{}", " ".repeat(indent), line));
            changed = true;
        } else {
            out.push((*line).to_owned());
        }
    }
    changed.then(|| out.join("\n"))
}

/// For an indented `key:` line with no value (a comment may follow), its indentation.
fn key_without_value(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let content = line.trim();
    let content = match content.find(" #") {
        Some(i) => content[..i].trim_end(),
        None => content,
    };
    (indent > 0
        && content.ends_with(':')
        && !content.starts_with('#')
        && !content.starts_with('-')
        && content.len() > 1)
        .then_some(indent)
}

// ---------------------------------------------------------------------------------------
// Errors of multi-file inputs.

/// Which file each written value came from, so errors raised while building a flow from
/// several files (connector JSON, MirrorMaker 1 configs) name the right one.
#[derive(Debug, Default)]
pub(crate) struct Provenance {
    files: HashMap<(String, usize), Option<String>>,
}

impl Provenance {
    /// Records that `value` was read from `file`.
    pub(crate) fn note(&mut self, value: &Value, file: &str) {
        if let Origin::Line { key, line } = value.origin() {
            let slot = self
                .files
                .entry((key.clone(), *line))
                .or_insert_with(|| Some(file.to_owned()));
            if slot.as_deref() != Some(file) {
                *slot = None;
            }
        }
    }

    /// `err` with its location's file replaced by the file the value came from.
    pub(crate) fn fix(&self, mut err: ConfigError) -> ConfigError {
        let at = match &mut err {
            ConfigError::InvalidValue { at, .. }
            | ConfigError::Missing { at, .. }
            | ConfigError::Unresolved { at, .. }
            | ConfigError::Regex { at, .. }
            | ConfigError::UnknownCluster { at, .. }
            | ConfigError::NoFlows { at, .. } => at,
            _ => return err,
        };
        if let Some(Some(file)) = self.files.get(&(at.key.clone(), at.line)) {
            at.file.clone_from(file);
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_their_text() {
        let docs = parse_yaml(
            "a: 1.50\nb: \"x\"\nc: true\nd:\ne: [1, 2]\nf: Y\n---\ng: 007\n",
            "t.yaml",
        )
        .expect("parses");
        assert_eq!(docs.len(), 2);
        let d = &docs[0];
        assert_eq!(d.get("a").and_then(|e| e.value.as_str()), Some("1.50"));
        assert_eq!(d.get("b").and_then(|e| e.value.as_str()), Some("x"));
        assert_eq!(d.get("c").and_then(|e| e.value.as_str()), Some("true"));
        assert_eq!(d.get("d").map(|e| &e.value.kind), Some(&NodeKind::Null));
        assert_eq!(d.get("f").and_then(|e| e.value.as_str()), Some("Y"));
        assert_eq!(d.get("e").map(|e| e.line), Some(5));
        assert_eq!(docs[1].get("g").and_then(|e| e.value.as_str()), Some("007"));
    }

    #[test]
    fn web_copy_repairs() {
        let text = "spec:\n\u{a0}\u{a0}a:   # note\n\"v\"  \n\u{a0}\u{a0}b: 2\n";
        let docs = parse_yaml(text, "t.yaml").expect("repaired");
        let spec = &docs[0].get("spec").expect("spec").value;
        assert_eq!(spec.get("a").and_then(|e| e.value.as_str()), Some("v"));
        assert_eq!(spec.get("b").map(|e| e.line), Some(4));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let e = parse_yaml("a: [1,\nb: }\n", "bad.yaml").expect_err("bad");
        assert!(e.to_string().starts_with("bad.yaml:"), "{e}");
        let e = parse_json("{\"a\": 1,,}", "bad.json").expect_err("bad");
        assert!(e.to_string().starts_with("bad.json:1: column"), "{e}");
    }

    #[test]
    fn mounts_rewrite_reference_paths() {
        let m = vec![(PathBuf::from("/opt/kafka/cfg"), PathBuf::from("/tmp/x"))];
        assert_eq!(
            apply_mounts(
                "u=\"${file:/opt/kafka/cfg/k.properties:user}\" ${env:A}",
                &m
            ),
            "u=\"${file:/tmp/x/k.properties:user}\" ${env:A}"
        );
        assert_eq!(apply_mounts("${file:/other/k:x}", &m), "${file:/other/k:x}");
    }

    #[test]
    fn formats() {
        assert_eq!(
            detect_format(Path::new("a.properties"), "clusters=A\n"),
            Format::Mm2Properties
        );
        assert_eq!(
            detect_format(Path::new("connect.properties"), "group.id=x\n"),
            Format::WorkerProperties
        );
        assert_eq!(
            detect_format(Path::new("x"), " {\"a\":1}"),
            Format::ConnectorJson
        );
        assert_eq!(
            detect_format(Path::new("x"), "apiVersion: v1\nkind: Secret\n"),
            Format::Yaml
        );
    }
}
