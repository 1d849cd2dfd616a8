//! The configuration formats strait reads, told apart by file extension and content
//! (`mm2.properties`, a Connect worker `.properties`, YAML resources, Connect connector
//! JSON), and one input file as read.

use std::path::{Path, PathBuf};

use crate::document::properties;

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

#[cfg(test)]
mod tests {
    use super::*;

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
