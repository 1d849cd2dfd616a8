//! Strimzi custom resources (also IBM Event Streams' `eventstreams.ibm.com` and Red Hat
//! AMQ Streams): `KafkaMirrorMaker2` in its `v1alpha1`..`v1beta2` shape (`connectCluster`,
//! `clusters[]`, `mirrors[]` with `sourceCluster`/`targetCluster`) and its `v1` shape
//! (`target` with the Connect group and storage topics, `mirrors[].source`), and the
//! MirrorMaker 1 `KafkaMirrorMaker` (`docs/mm2-compatibility.md`, "Configuration formats").
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
//!
//! This module reads the resource kind and version and dispatches; `mirror_maker2` and
//! `mirror_maker` read the two kinds, `auth` maps `tls` / `authentication`, and
//! `resource` holds what both kinds share.

mod auth;
mod mirror_maker;
mod mirror_maker2;
mod resource;

use crate::document::error::{ConfigError, Location};
use crate::document::node::{Node, NodeKind};
use crate::document::walk::Doc;
use crate::model::MirrorConfig;
use crate::providers::secrets::SecretsDir;

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
        mirror_maker2::load_kmm2(d, &spec.value, &name, secrets)?
    } else {
        mirror_maker::load_kmm(d, &spec.value, secrets)?
    };
    Ok(Some(config))
}
