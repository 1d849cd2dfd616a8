//! Walking a YAML / JSON document: required and optional fields, mappings and lists, and
//! unknown-field checks, with errors that name the file, the line and the document path
//! (`spec.mirrors[0].sourceCluster`).

use crate::document::error::{ConfigError, Location};
use crate::document::node::{Entry, Node, NodeKind};
use crate::document::value::{Origin, Value};

/// Error and field helpers for one file.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'a> {
    pub(crate) file: &'a str,
}

/// The document path of `key` under `path`.
pub(crate) fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Doc<'_> {
    pub(crate) fn invalid(
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

    pub(crate) fn missing(&self, line: usize, path: &str, expected: &str) -> ConfigError {
        ConfigError::Missing {
            at: Location::new(self.file, line, path),
            expected: expected.to_owned(),
        }
    }

    pub(crate) fn require_map<'n>(
        &self,
        node: &'n Node,
        path: &str,
    ) -> Result<&'n [Entry], ConfigError> {
        node.entries().ok_or_else(|| {
            self.invalid(
                node.line,
                path,
                None,
                format!("a mapping, not {}", node.describe()),
            )
        })
    }

    pub(crate) fn require_seq<'n>(
        &self,
        node: &'n Node,
        path: &str,
    ) -> Result<&'n [Node], ConfigError> {
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
    pub(crate) fn check_fields(
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

    pub(crate) fn opt_scalar<'n>(
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

    pub(crate) fn req_scalar<'n>(
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

    pub(crate) fn value(
        &self,
        key: &str,
        text: impl Into<String>,
        path: &str,
        line: usize,
    ) -> Value {
        Value::for_key(key, text, Origin::line(path, line))
    }
}
