//! Strimzi custom resources (also IBM Event Streams' `eventstreams.ibm.com` and Red Hat
//! AMQ Streams): `KafkaMirrorMaker2` in its `v1alpha1`..`v1beta2` shape (`connectCluster`,
//! `clusters[]`, `mirrors[]` with `sourceCluster`/`targetCluster`) and its `v1` shape
//! (`target` with the Connect group and storage topics, `mirrors[].source`), and the
//! MirrorMaker 1 `KafkaMirrorMaker` (mm2-behaviour §12).
//!
//! The translation is the operator's (`KafkaMirrorMaker2Connectors`): a cluster's
//! `bootstrapServers`, `tls` and `authentication` become its `bootstrap.servers`,
//! `security.protocol`, PEM trust/key stores and SASL JAAS config (passwords and keys read
//! from the mounted Secrets directory, see [`SecretsDir`]); its `config` becomes cluster
//! properties (`<alias>.<key>`, as in mm2.properties); each mirror's connector `config`s,
//! `tasksMax` and patterns become the flow's settings (`A->B.<key>`). The Connect worker is
//! the `connectCluster` (v1: `target`), with Strimzi's defaults `mirrormaker2-cluster` for
//! its group and `mirrormaker2-cluster-{configs,offsets,status}` for its topics.
//! Kubernetes-only fields (`template`, `resources`, `logging`, …) are accepted and ignored.
//! Only connectors that are declared run: no `heartbeatConnector`, no heartbeats.

use std::collections::BTreeMap;

use crate::connect_json::{Connector, ConnectorKind, apply_presence, merge_connectors};
use crate::detect::{Entry, Node, NodeKind};
use crate::error::{ConfigError, Location};
use crate::flow::{build_cluster, build_flow};
use crate::mm1::{Mm1Spec, build_mm1};
use crate::model::MirrorConfig;
use crate::secrets::SecretsDir;
use crate::value::{Origin, Value, ValueMap};

/// API groups whose mirror kinds strait reads.
const GROUPS: &[&str] = &["kafka.strimzi.io", "eventstreams.ibm.com"];
const KMM2_VERSIONS: &[&str] = &["v1alpha1", "v1beta1", "v1beta2", "v1"];
const KMM_VERSIONS: &[&str] = &["v1alpha1", "v1beta1", "v1beta2"];
/// Other kinds of those groups, skipped.
const OTHER_KINDS: &[&str] = &[
    "Kafka",
    "KafkaNodePool",
    "KafkaTopic",
    "KafkaUser",
    "KafkaConnect",
    "KafkaConnector",
    "KafkaBridge",
    "KafkaRebalance",
    "StrimziPodSet",
    "EventStreams",
    "EventStreamsGeoReplicator",
];
/// Deployment fields with no meaning for strait (common `KafkaConnect`/MM spec).
const KUBERNETES_ONLY: &[&str] = &[
    "version",
    "image",
    "resources",
    "livenessProbe",
    "readinessProbe",
    "jvmOptions",
    "jmxOptions",
    "logging",
    "clientRackInitImage",
    "rack",
    "metricsConfig",
    "tracing",
    "template",
    "externalConfiguration",
];
/// Strimzi's Connect worker defaults for MirrorMaker 2 (v1beta2 shape).
const WORKER_DEFAULTS: &[(&str, &str)] = &[
    ("group.id", "mirrormaker2-cluster"),
    ("config.storage.topic", "mirrormaker2-cluster-configs"),
    ("offset.storage.topic", "mirrormaker2-cluster-offsets"),
    ("status.storage.topic", "mirrormaker2-cluster-status"),
];
/// `ssl.*` options a cluster `config` may set (the operator drops other `ssl.*`).
const SSL_ALLOWED: &[&str] = &[
    "ssl.endpoint.identification.algorithm",
    "ssl.cipher.suites",
    "ssl.protocol",
    "ssl.enabled.protocols",
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
const KMM_CONSUMER_FORBIDDEN: &[&str] = &[
    "ssl.",
    "bootstrap.servers",
    "group.id",
    "sasl.",
    "security.",
    "interceptor.classes",
];
const KMM_PRODUCER_FORBIDDEN: &[&str] = &[
    "ssl.",
    "bootstrap.servers",
    "sasl.",
    "security.",
    "interceptor.classes",
];

/// Reads one YAML document: `Some` configuration for a mirror kind, `None` for other
/// kinds (skipped with a note).
pub(crate) fn load_document(
    doc: &Node,
    file: &str,
    secrets: &SecretsDir,
) -> Result<Option<MirrorConfig>, ConfigError> {
    let d = Doc { file };
    if doc.kind == NodeKind::Null {
        return Ok(None);
    }
    if doc.entries().is_none() {
        return Err(d.invalid(
            doc.line,
            "(document)",
            Some(doc),
            format!(
                "a Kubernetes resource (a mapping with apiVersion and kind), not {}",
                doc.describe()
            ),
        ));
    }
    let (kind, kind_line) =
        d.req_scalar(doc, "", "kind", "the resource kind, e.g. KafkaMirrorMaker2")?;
    let (api, api_line) = d.req_scalar(doc, "", "apiVersion", "e.g. kafka.strimzi.io/v1beta2")?;
    let (group, version) = api.split_once('/').unwrap_or(("", api));
    let name = doc
        .get("metadata")
        .and_then(|m| m.value.get("name"))
        .and_then(|n| n.value.as_str())
        .unwrap_or("(unnamed)")
        .to_owned();
    let known_group = GROUPS.contains(&group);
    let versions = match kind {
        "KafkaMirrorMaker2" => KMM2_VERSIONS,
        "KafkaMirrorMaker" => KMM_VERSIONS,
        _ if known_group && !OTHER_KINDS.contains(&kind) => {
            return Err(ConfigError::InvalidValue {
                at: Location::new(file, kind_line, "kind"),
                value: Some(kind.to_owned()),
                expected: format!(
                    "KafkaMirrorMaker2 or KafkaMirrorMaker (other {group} kinds such as \
                     KafkaTopic and KafkaUser are skipped)"
                ),
            });
        }
        _ => {
            tracing::info!(
                file,
                line = kind_line,
                kind,
                name,
                "skipping a {kind} resource: strait reads KafkaMirrorMaker2 and KafkaMirrorMaker"
            );
            return Ok(None);
        }
    };
    if !known_group || !versions.contains(&version) {
        return Err(ConfigError::InvalidValue {
            at: Location::new(file, api_line, "apiVersion"),
            value: Some(api.to_owned()),
            expected: format!(
                "{} for a {kind}",
                GROUPS
                    .iter()
                    .flat_map(|g| versions.iter().map(move |v| format!("{g}/{v}")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    d.check_fields(
        doc,
        "",
        &["apiVersion", "kind", "metadata", "spec", "status"],
        &[],
    )?;
    let Some(spec) = doc.get("spec") else {
        return Err(d.missing(doc.line, "spec", &format!("the {kind} specification")));
    };
    d.require_map(&spec.value, "spec")?;
    let config = if kind == "KafkaMirrorMaker2" {
        Kmm2 {
            d,
            secrets,
            all: ValueMap::new(),
            cluster_lines: BTreeMap::new(),
            ignored: Vec::new(),
        }
        .load(&spec.value, &name)?
    } else {
        load_kmm(d, &spec.value, secrets)?
    };
    Ok(Some(config))
}

/// Error and field helpers for one file.
#[derive(Clone, Copy)]
struct Doc<'a> {
    file: &'a str,
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Doc<'_> {
    fn invalid(
        &self,
        line: usize,
        path: &str,
        node: Option<&Node>,
        expected: impl Into<String>,
    ) -> ConfigError {
        ConfigError::InvalidValue {
            at: Location::new(self.file, line, path),
            value: node.and_then(|n| n.as_str().map(str::to_owned)),
            expected: expected.into(),
        }
    }

    fn missing(&self, line: usize, path: &str, expected: &str) -> ConfigError {
        ConfigError::Missing {
            at: Location::new(self.file, line, path),
            expected: expected.to_owned(),
        }
    }

    fn require_map<'n>(&self, node: &'n Node, path: &str) -> Result<&'n [Entry], ConfigError> {
        node.entries().ok_or_else(|| {
            self.invalid(
                node.line,
                path,
                None,
                format!("a mapping, not {}", node.describe()),
            )
        })
    }

    fn require_seq<'n>(&self, node: &'n Node, path: &str) -> Result<&'n [Node], ConfigError> {
        match &node.kind {
            NodeKind::Seq(items) => Ok(items),
            NodeKind::Null => Ok(&[]),
            _ => Err(self.invalid(
                node.line,
                path,
                None,
                format!("a list, not {}", node.describe()),
            )),
        }
    }

    /// Fails on a field not in `known` (typos would otherwise change what is mirrored);
    /// returns the Kubernetes-only fields present, to be noted once.
    fn check_fields(
        &self,
        node: &Node,
        path: &str,
        known: &[&str],
        kubernetes_only: &[&str],
    ) -> Result<Vec<String>, ConfigError> {
        let mut skipped = Vec::new();
        for e in node.entries().unwrap_or_default() {
            if kubernetes_only.contains(&e.key.as_str()) {
                skipped.push(child(path, &e.key));
            } else if !known.contains(&e.key.as_str()) {
                return Err(ConfigError::InvalidValue {
                    at: Location::new(self.file, e.line, child(path, &e.key)),
                    value: None,
                    expected: format!(
                        "a known field here: {}",
                        known
                            .iter()
                            .chain(kubernetes_only)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        Ok(skipped)
    }

    fn opt_scalar<'n>(
        &self,
        parent: &'n Node,
        path: &str,
        key: &str,
        expected: &str,
    ) -> Result<Option<(&'n str, usize)>, ConfigError> {
        match parent.get(key) {
            None => Ok(None),
            Some(Entry {
                value:
                    Node {
                        kind: NodeKind::Null,
                        ..
                    },
                ..
            }) => Ok(None),
            Some(e) => match e.value.as_str() {
                Some(s) => Ok(Some((s, e.line))),
                None => Err(self.invalid(
                    e.line,
                    &child(path, key),
                    None,
                    format!("{expected}, not {}", e.value.describe()),
                )),
            },
        }
    }

    fn req_scalar<'n>(
        &self,
        parent: &'n Node,
        path: &str,
        key: &str,
        expected: &str,
    ) -> Result<(&'n str, usize), ConfigError> {
        match self.opt_scalar(parent, path, key, expected)? {
            Some((s, line)) if !s.trim().is_empty() => Ok((s, line)),
            Some((s, line)) => Err(self.invalid(
                line,
                &child(path, key),
                Some(&Node {
                    kind: NodeKind::Scalar(s.to_owned()),
                    line,
                }),
                expected,
            )),
            None => Err(self.missing(parent.line, &child(path, key), expected)),
        }
    }

    /// A cluster alias (Strimzi: `^[a-zA-Z0-9._-]{1,100}$`).
    fn alias(&self, parent: &Node, path: &str, key: &str) -> Result<(String, usize), ConfigError> {
        let expected = "a cluster alias of 1 to 100 letters, digits, `.`, `_` or `-`";
        let (a, line) = self.req_scalar(parent, path, key, expected)?;
        let ok = a.len() <= 100
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok((a.to_owned(), line))
        } else {
            Err(self.invalid(
                line,
                &child(path, key),
                Some(&Node {
                    kind: NodeKind::Scalar(a.to_owned()),
                    line,
                }),
                expected,
            ))
        }
    }

    fn value(&self, key: &str, text: impl Into<String>, path: &str, line: usize) -> Value {
        Value::for_key(key, text, Origin::line(path, line))
    }

    /// A `config` mapping as `(key, value)`; forbidden options are dropped, as the
    /// operator drops them, and reported.
    fn config_map(
        &self,
        node: &Node,
        path: &str,
        forbidden: &[&str],
        ignored: &mut Vec<(String, usize)>,
    ) -> Result<Vec<(String, Value)>, ConfigError> {
        let mut out = Vec::new();
        for e in self.require_map(node, path)? {
            let p = child(path, &e.key);
            let text = match &e.value.kind {
                NodeKind::Scalar(s) => s.clone(),
                _ => {
                    return Err(self.invalid(
                        e.line,
                        &p,
                        None,
                        format!(
                            "a string, number or boolean value, not {}",
                            e.value.describe()
                        ),
                    ));
                }
            };
            let is_forbidden = forbidden
                .iter()
                .any(|f| e.key == *f || (f.ends_with('.') && e.key.starts_with(f)))
                && !SSL_ALLOWED.contains(&e.key.as_str());
            if is_forbidden {
                tracing::warn!(file = self.file, line = e.line, key = %p, "option not allowed in a Strimzi `config` (the operator ignores it; use tls / authentication): ignored");
                ignored.push((p, e.line));
                continue;
            }
            out.push((e.key.clone(), self.value(&e.key, text, &p, e.line)));
        }
        Ok(out)
    }

    /// `tls` and `authentication` of a cluster or client as client properties
    /// (`security.protocol`, `ssl.*`, `sasl.*`), unprefixed.
    fn security(
        &self,
        spec: &Node,
        path: &str,
        secrets: &SecretsDir,
    ) -> Result<Vec<(String, Value)>, ConfigError> {
        let mut out = Vec::new();
        let tls = spec.get("tls");
        if let Some(t) = tls {
            let tpath = child(path, "tls");
            if t.value.kind != NodeKind::Null {
                self.require_map(&t.value, &tpath)?;
                self.check_fields(&t.value, &tpath, &["trustedCertificates"], &[])?;
            }
            if let Some(certs) = t.value.get("trustedCertificates") {
                let cpath = child(&tpath, "trustedCertificates");
                let mut pems = Vec::new();
                for (i, c) in self.require_seq(&certs.value, &cpath)?.iter().enumerate() {
                    pems.extend(self.certificate(c, &format!("{cpath}[{i}]"), secrets)?);
                }
                if !pems.is_empty() {
                    let line = certs.line;
                    out.push((
                        "ssl.truststore.type".into(),
                        self.value("ssl.truststore.type", "PEM", &cpath, line),
                    ));
                    out.push((
                        "ssl.truststore.certificates".into(),
                        self.value("ssl.truststore.certificates", pems.join("\n"), &cpath, line),
                    ));
                }
            }
        }
        let mut sasl = false;
        if let Some(a) = spec.get("authentication") {
            let apath = child(path, "authentication");
            self.require_map(&a.value, &apath)?;
            sasl = self.authentication(&a.value, &apath, tls.is_some(), secrets, &mut out)?;
        }
        let (protocol, origin_path, line) = match (sasl, tls) {
            (true, Some(_)) => (
                "SASL_SSL",
                child(path, "authentication"),
                spec.get("authentication").map_or(0, |e| e.line),
            ),
            (true, None) => (
                "SASL_PLAINTEXT",
                child(path, "authentication"),
                spec.get("authentication").map_or(0, |e| e.line),
            ),
            (false, Some(t)) => ("SSL", child(path, "tls"), t.line),
            (false, None) => return Ok(out),
        };
        out.push((
            "security.protocol".into(),
            self.value("security.protocol", protocol, &origin_path, line),
        ));
        Ok(out)
    }

    /// One `trustedCertificates` entry: `{secretName, certificate}` or `{secretName,
    /// pattern}`.
    fn certificate(
        &self,
        c: &Node,
        path: &str,
        secrets: &SecretsDir,
    ) -> Result<Vec<String>, ConfigError> {
        self.require_map(c, path)?;
        self.check_fields(c, path, &["secretName", "certificate", "pattern"], &[])?;
        let (secret, _) = self.req_scalar(
            c,
            path,
            "secretName",
            "the name of the Secret holding the CA certificate",
        )?;
        let cert = self.opt_scalar(c, path, "certificate", "a key of the Secret")?;
        let pattern = self.opt_scalar(c, path, "pattern", "a file name pattern")?;
        let unresolved = |line: usize, reference: String, reason: String| ConfigError::Unresolved {
            at: Location::new(self.file, line, path),
            reference,
            reason,
        };
        match (cert, pattern) {
            (Some((key, line)), None) => secrets
                .read(secret, key)
                .map(|pem| vec![pem])
                .map_err(|r| unresolved(line, format!("secret {secret}/{key}"), r)),
            (None, Some((glob, line))) => secrets
                .read_matching(secret, glob)
                .map_err(|r| unresolved(line, format!("secret {secret}/{glob}"), r)),
            _ => Err(self.invalid(
                c.line,
                path,
                None,
                "exactly one of `certificate` (a key of the Secret) or `pattern` (e.g. \"*.crt\")",
            )),
        }
    }

    /// Adds the `authentication` properties; returns whether SASL is used.
    fn authentication(
        &self,
        a: &Node,
        path: &str,
        has_tls: bool,
        secrets: &SecretsDir,
        out: &mut Vec<(String, Value)>,
    ) -> Result<bool, ConfigError> {
        let (kind, type_line) = self.req_scalar(
            a,
            path,
            "type",
            "tls, scram-sha-256, scram-sha-512, plain or custom",
        )?;
        let type_path = child(path, "type");
        match kind {
            "scram-sha-256" | "scram-sha-512" | "plain" => {
                self.check_fields(a, path, &["type", "username", "passwordSecret"], &[])?;
                let (user, _) = self.req_scalar(a, path, "username", "the SASL user name")?;
                let Some(ps) = a.get("passwordSecret") else {
                    return Err(self.missing(
                        a.line,
                        &child(path, "passwordSecret"),
                        "`secretName` and `password` (the key) of the Secret holding the password",
                    ));
                };
                let ppath = child(path, "passwordSecret");
                self.require_map(&ps.value, &ppath)?;
                self.check_fields(&ps.value, &ppath, &["secretName", "password"], &[])?;
                let (secret, _) = self.req_scalar(
                    &ps.value,
                    &ppath,
                    "secretName",
                    "the name of the Secret holding the password",
                )?;
                let (key, _) = self.req_scalar(
                    &ps.value,
                    &ppath,
                    "password",
                    "the key of the password in the Secret",
                )?;
                let password = secrets.read_password(secret, key).map_err(|reason| {
                    ConfigError::Unresolved {
                        at: Location::new(self.file, ps.line, ppath.clone()),
                        reference: format!("secret {secret}/{key}"),
                        reason,
                    }
                })?;
                let (mechanism, module) = match kind {
                    "plain" => (
                        "PLAIN",
                        "org.apache.kafka.common.security.plain.PlainLoginModule",
                    ),
                    "scram-sha-256" => (
                        "SCRAM-SHA-256",
                        "org.apache.kafka.common.security.scram.ScramLoginModule",
                    ),
                    _ => (
                        "SCRAM-SHA-512",
                        "org.apache.kafka.common.security.scram.ScramLoginModule",
                    ),
                };
                out.push((
                    "sasl.mechanism".into(),
                    self.value("sasl.mechanism", mechanism, &type_path, type_line),
                ));
                let jaas = format!(
                    "{module} required username=\"{}\" password=\"{}\";",
                    jaas_escape(user),
                    jaas_escape(&password)
                );
                out.push((
                    "sasl.jaas.config".into(),
                    self.value("sasl.jaas.config", jaas, &ppath, ps.line),
                ));
                Ok(true)
            }
            "tls" => {
                self.check_fields(a, path, &["type", "certificateAndKey"], &[])?;
                if !has_tls {
                    return Err(self.invalid(
                        type_line,
                        &type_path,
                        Some(&Node { kind: NodeKind::Scalar(kind.into()), line: type_line }),
                        "`tls` next to `authentication` (TLS client authentication needs TLS encryption)",
                    ));
                }
                let Some(ck) = a.get("certificateAndKey") else {
                    return Err(self.missing(
                        a.line,
                        &child(path, "certificateAndKey"),
                        "`secretName`, `certificate` and `key` of the Secret holding the client certificate",
                    ));
                };
                let cpath = child(path, "certificateAndKey");
                self.require_map(&ck.value, &cpath)?;
                self.check_fields(
                    &ck.value,
                    &cpath,
                    &["secretName", "certificate", "key"],
                    &[],
                )?;
                let (secret, _) =
                    self.req_scalar(&ck.value, &cpath, "secretName", "the name of the Secret")?;
                let (cert, cert_line) = self.req_scalar(
                    &ck.value,
                    &cpath,
                    "certificate",
                    "the key of the certificate in the Secret",
                )?;
                let (key, key_line) = self.req_scalar(
                    &ck.value,
                    &cpath,
                    "key",
                    "the key of the private key in the Secret",
                )?;
                let read = |k: &str, line: usize| {
                    secrets
                        .read(secret, k)
                        .map_err(|reason| ConfigError::Unresolved {
                            at: Location::new(self.file, line, cpath.clone()),
                            reference: format!("secret {secret}/{k}"),
                            reason,
                        })
                };
                let chain = read(cert, cert_line)?;
                let private = read(key, key_line)?;
                out.push((
                    "ssl.keystore.type".into(),
                    self.value("ssl.keystore.type", "PEM", &cpath, ck.line),
                ));
                out.push((
                    "ssl.keystore.certificate.chain".into(),
                    self.value("ssl.keystore.certificate.chain", chain, &cpath, ck.line),
                ));
                out.push((
                    "ssl.keystore.key".into(),
                    self.value("ssl.keystore.key", private, &cpath, ck.line),
                ));
                Ok(false)
            }
            "custom" => {
                self.check_fields(a, path, &["type", "sasl", "config"], &[])?;
                let sasl = match self.opt_scalar(a, path, "sasl", "true or false")? {
                    None => false,
                    Some((s, line)) => match s.trim() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(self.invalid(
                                line,
                                &child(path, "sasl"),
                                None,
                                "true or false",
                            ));
                        }
                    },
                };
                if let Some(c) = a.get("config") {
                    let mut ignored = Vec::new();
                    out.extend(self.config_map(
                        &c.value,
                        &child(path, "config"),
                        &[],
                        &mut ignored,
                    )?);
                }
                Ok(sasl)
            }
            "oauth" => Err(self.invalid(
                type_line,
                &type_path,
                Some(&Node {
                    kind: NodeKind::Scalar(kind.into()),
                    line: type_line,
                }),
                "tls, scram-sha-256, scram-sha-512, plain or custom: `oauth` (SASL OAUTHBEARER) \
                 is not supported by strait yet",
            )),
            _ => Err(self.invalid(
                type_line,
                &type_path,
                Some(&Node {
                    kind: NodeKind::Scalar(kind.into()),
                    line: type_line,
                }),
                "tls, scram-sha-256, scram-sha-512, plain or custom",
            )),
        }
    }

    /// `replicas` (Strimzi's default for Connect-based and MM1 resources is 3).
    fn replicas(&self, spec: &Node) -> Result<u32, ConfigError> {
        match self.opt_scalar(spec, "spec", "replicas", "a number of replicas")? {
            None => Ok(3),
            Some((s, line)) => s.trim().parse::<u32>().map_err(|_| {
                self.invalid(
                    line,
                    "spec.replicas",
                    Some(&Node {
                        kind: NodeKind::Scalar(s.into()),
                        line,
                    }),
                    "a whole number of replicas >= 0",
                )
            }),
        }
    }
}

/// JAAS quoted-string escaping (`"` and `\`).
fn jaas_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
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

/// `KafkaMirrorMaker` (MirrorMaker 1): `consumer`, `producer`, `include`/`whitelist`.
fn load_kmm(d: Doc<'_>, spec: &Node, secrets: &SecretsDir) -> Result<MirrorConfig, ConfigError> {
    let skipped = d.check_fields(
        spec,
        "spec",
        &["replicas", "consumer", "producer", "include", "whitelist"],
        KUBERNETES_ONLY,
    )?;
    if !skipped.is_empty() {
        tracing::info!(file = d.file, fields = %skipped.join(", "), "Kubernetes deployment fields ignored");
    }
    let replicas = d.replicas(spec)?;
    let mut ignored = Vec::new();
    let mut sides: Vec<(ValueMap, Option<&Node>)> = Vec::new();
    for (side, fields, forbidden) in [
        (
            "consumer",
            &[
                "bootstrapServers",
                "groupId",
                "numStreams",
                "offsetCommitInterval",
                "tls",
                "authentication",
                "config",
            ][..],
            KMM_CONSUMER_FORBIDDEN,
        ),
        (
            "producer",
            &[
                "bootstrapServers",
                "abortOnSendFailure",
                "tls",
                "authentication",
                "config",
            ][..],
            KMM_PRODUCER_FORBIDDEN,
        ),
    ] {
        let path = child("spec", side);
        let Some(e) = spec.get(side) else {
            return Err(d.missing(
                spec.line,
                &path,
                &format!("the {side} (bootstrapServers, ...)"),
            ));
        };
        d.require_map(&e.value, &path)?;
        d.check_fields(&e.value, &path, fields, &[])?;
        let mut props = ValueMap::new();
        let (b, line) = d.req_scalar(
            &e.value,
            &path,
            "bootstrapServers",
            "host:port addresses of the cluster",
        )?;
        props.insert(
            "bootstrap.servers".into(),
            d.value(
                "bootstrap.servers",
                b,
                &child(&path, "bootstrapServers"),
                line,
            ),
        );
        if side == "consumer" {
            let (g, line) = d.req_scalar(
                &e.value,
                &path,
                "groupId",
                "the consumer group whose offsets hold the positions",
            )?;
            props.insert(
                "group.id".into(),
                d.value("group.id", g, &child(&path, "groupId"), line),
            );
        }
        for (k, v) in d.security(&e.value, &path, secrets)? {
            props.insert(k, v);
        }
        if let Some(cfg) = e.value.get("config") {
            for (k, v) in
                d.config_map(&cfg.value, &child(&path, "config"), forbidden, &mut ignored)?
            {
                props.insert(k, v);
            }
        }
        sides.push((props, Some(&e.value)));
    }
    let opt = |side: usize, field: &str, key: &str| -> Result<Option<Value>, ConfigError> {
        let side_path = child("spec", ["consumer", "producer"][side]);
        let Some(node) = sides.get(side).and_then(|s| s.1) else {
            return Ok(None);
        };
        Ok(d.opt_scalar(node, &side_path, field, "a value")?
            .map(|(s, line)| d.value(key, s, &child(&side_path, field), line)))
    };
    let num_streams = opt(0, "numStreams", "num.streams")?;
    let commit = opt(0, "offsetCommitInterval", "offset.commit.interval.ms")?;
    let abort = opt(1, "abortOnSendFailure", "abort.on.send.failure")?;
    let include = match (
        d.opt_scalar(spec, "spec", "include", "a regular expression")?,
        d.opt_scalar(spec, "spec", "whitelist", "a regular expression")?,
    ) {
        (Some((s, line)), None) => d.value("include", s, "spec.include", line),
        (None, Some((s, line))) => d.value("include", s, "spec.whitelist", line),
        (Some(_), Some((_, line))) => {
            return Err(d.invalid(
                line,
                "spec.whitelist",
                None,
                "only one of `include` and the deprecated `whitelist`",
            ));
        }
        (None, None) => {
            return Err(d.missing(
                spec.line,
                "spec.include",
                "a regular expression of the topics to mirror (e.g. \".*\")",
            ));
        }
    };
    let (producer, _) = sides.pop().unwrap_or_default();
    let (consumer, _) = sides.pop().unwrap_or_default();
    build_mm1(Mm1Spec {
        file: d.file.to_owned(),
        consumer,
        consumer_file: d.file.to_owned(),
        producer,
        producer_file: d.file.to_owned(),
        include,
        num_streams,
        offset_commit_interval: commit,
        abort_on_send_failure: abort,
        replicas: Some(replicas),
        ignored,
    })
}
