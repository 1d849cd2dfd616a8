//! YAML and JSON documents (Kubernetes resources, Connect connector configs) as a tree of
//! nodes that keeps each node's line, and scalars their text as written.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::document::error::ConfigError;

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
}
