//! What `KafkaMirrorMaker2` and `KafkaMirrorMaker` resources share: the Kubernetes-only
//! deployment fields, cluster aliases, `config` mappings (with the options the operator
//! drops) and `replicas`.

use crate::document::error::ConfigError;
use crate::document::node::{Node, NodeKind};
use crate::document::value::Value;
use crate::document::walk::{Doc, child};

/// Deployment fields with no meaning for strait (common `KafkaConnect`/MM spec).
pub(super) const KUBERNETES_ONLY: &[&str] = &[
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
/// `ssl.*` options a cluster `config` may set (the operator drops other `ssl.*`).
const SSL_ALLOWED: &[&str] = &[
    "ssl.endpoint.identification.algorithm",
    "ssl.cipher.suites",
    "ssl.protocol",
    "ssl.enabled.protocols",
];

impl Doc<'_> {
    /// A cluster alias (Strimzi: `^[a-zA-Z0-9._-]{1,100}$`).
    pub(super) fn alias(
        &self,
        parent: &Node,
        path: &str,
        key: &str,
    ) -> Result<(String, usize), ConfigError> {
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

    /// A `config` mapping as `(key, value)`; forbidden options are dropped, as the
    /// operator drops them, and reported.
    pub(super) fn config_map(
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

    /// `replicas` (Strimzi's default for Connect-based and MM1 resources is 3).
    pub(super) fn replicas(&self, spec: &Node) -> Result<u32, ConfigError> {
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
