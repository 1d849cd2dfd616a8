//! Strimzi `KafkaMirrorMaker` (MirrorMaker 1): `consumer`, `producer` and
//! `include`/`whitelist` become one MirrorMaker 1 flow.

use super::resource::KUBERNETES_ONLY;
use crate::document::error::ConfigError;
use crate::document::node::Node;
use crate::document::value::{Value, ValueMap};
use crate::document::walk::{Doc, child};
use crate::formats::mm1::{Mm1Spec, build_mm1};
use crate::model::MirrorConfig;
use crate::providers::secrets::SecretsDir;

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

/// `KafkaMirrorMaker` (MirrorMaker 1): `consumer`, `producer`, `include`/`whitelist`.
pub(super) fn load_kmm(
    d: Doc<'_>,
    spec: &Node,
    secrets: &SecretsDir,
) -> Result<MirrorConfig, ConfigError> {
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
        sides.push(kmm_side(
            d,
            spec,
            side,
            fields,
            forbidden,
            secrets,
            &mut ignored,
        )?);
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
    let include = kmm_include(d, spec)?;
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

/// One side (`consumer` or `producer`) of a `KafkaMirrorMaker`: its client properties,
/// unprefixed, and its node.
fn kmm_side<'n>(
    d: Doc<'_>,
    spec: &'n Node,
    side: &str,
    fields: &[&str],
    forbidden: &[&str],
    secrets: &SecretsDir,
    ignored: &mut Vec<(String, usize)>,
) -> Result<(ValueMap, Option<&'n Node>), ConfigError> {
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
        for (k, v) in d.config_map(&cfg.value, &child(&path, "config"), forbidden, ignored)? {
            props.insert(k, v);
        }
    }
    Ok((props, Some(&e.value)))
}

/// The topics regex: `include`, or the deprecated `whitelist`.
fn kmm_include(d: Doc<'_>, spec: &Node) -> Result<Value, ConfigError> {
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
    Ok(include)
}
