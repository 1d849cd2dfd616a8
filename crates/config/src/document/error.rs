//! The config layer's one error type. Every message names the file, the line and the key,
//! and says what was expected; none echoes a secret value.

use std::fmt;
use std::path::PathBuf;

use crate::document::value::{Origin, Value};

/// Where in the input a problem is: file, 1-based line (0 when there is no line, e.g. a
/// required key that is absent from the file) and the key as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The input file, as given.
    pub file: String,
    /// 1-based line, 0 if unknown.
    pub line: usize,
    /// The key (with its cluster / flow prefix).
    pub key: String,
}

impl Location {
    /// A location in `file` for `key` at `line`.
    pub fn new(file: impl Into<String>, line: usize, key: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            key: key.into(),
        }
    }

    /// The location of a value: its own key and line when written by the user,
    /// otherwise `fallback_key` with no line.
    pub fn of(file: &str, value: &Value, fallback_key: &str) -> Self {
        match value.origin() {
            Origin::Line { key, line } => Self::new(file, *line, key.clone()),
            Origin::Default => Self::new(file, 0, fallback_key),
        }
    }
}

impl Location {
    /// Replaces a trailing `from` in the key with `to` (e.g. point at a sibling key).
    pub(crate) fn with_key_suffix(mut self, from: &str, to: &str) -> Self {
        if let Some(prefix) = self.key.strip_suffix(from) {
            self.key = format!("{prefix}{to}");
        }
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: `{}`", self.file, self.key)
        } else {
            write!(f, "{}:{}: `{}`", self.file, self.line, self.key)
        }
    }
}

/// Renders ` = \`value\`` for non-secret values, nothing for secrets.
fn found(value: &Option<String>) -> String {
    match value {
        Some(v) => format!(" = `{v}`"),
        None => String::new(),
    }
}

/// Everything that can be wrong with a configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not well-formed (e.g. a malformed `\uXXXX` escape).
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The input file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A key has a value of the wrong shape.
    #[error("{at}{}: expected {expected}", found(.value))]
    InvalidValue {
        /// Where.
        at: Location,
        /// The offending value, `None` for secrets.
        value: Option<String>,
        /// What would have been accepted.
        expected: String,
    },
    /// A required key is absent. `at.line` points at what made it required.
    #[error("{at} is missing: expected {expected}")]
    Missing {
        /// The key that should be set, and the line that requires it.
        at: Location,
        /// What it should contain and why it is needed.
        expected: String,
    },
    /// A `${provider:path:key}` reference could not be resolved.
    #[error("{at}: cannot resolve `{reference}`: {reason}")]
    Unresolved {
        /// The key whose value holds the reference.
        at: Location,
        /// The reference as written (never the resolved value).
        reference: String,
        /// Why, and what was expected.
        reason: String,
    },
    /// A topic / group / config-property pattern is not a usable Java regex.
    #[error("{at}: invalid regular expression `{pattern}`: {reason}")]
    Regex {
        /// Where.
        at: Location,
        /// The pattern (after MM2's comma-list join).
        pattern: String,
        /// Why, and what was expected.
        reason: String,
    },
    /// A flow key names a cluster alias that is not in `clusters`.
    #[error(
        "{at}: names cluster `{alias}`, which is not listed in `clusters`{}: expected one of {known}",
        line_note(*.clusters_line)
    )]
    UnknownCluster {
        /// The flow key.
        at: Location,
        /// The alias that is not defined.
        alias: String,
        /// The aliases that are defined.
        known: String,
        /// Where `clusters` is set.
        clusters_line: usize,
    },
    /// No replication flow is left (MM2: "No source->target replication flows.").
    #[error("{at}: no source->target replication flows: {reason}")]
    NoFlows {
        /// Points at `clusters`.
        at: Location,
        /// Why none remain and what to change.
        reason: String,
    },
}

fn line_note(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" (line {line})")
    }
}

impl ConfigError {
    /// Shorthand for [`ConfigError::InvalidValue`] about `value`.
    pub(crate) fn invalid(
        file: &str,
        value: &Value,
        key: &str,
        expected: impl Into<String>,
    ) -> Self {
        ConfigError::InvalidValue {
            at: Location::of(file, value, key),
            value: value.for_error(),
            expected: expected.into(),
        }
    }

    /// The location the error points at, if it has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::InvalidValue { at, .. }
            | ConfigError::Missing { at, .. }
            | ConfigError::Unresolved { at, .. }
            | ConfigError::Regex { at, .. }
            | ConfigError::UnknownCluster { at, .. }
            | ConfigError::NoFlows { at, .. } => Some(at),
            ConfigError::Io { .. } | ConfigError::Syntax { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_line_key() {
        let v = Value::for_key("tasks.max", "two", Origin::line("A->B.tasks.max", 7));
        let e = ConfigError::invalid("mm2.properties", &v, "tasks.max", "a positive integer");
        assert_eq!(
            e.to_string(),
            "mm2.properties:7: `A->B.tasks.max` = `two`: expected a positive integer"
        );
    }

    #[test]
    fn secrets_not_echoed() {
        let v = Value::for_key(
            "sasl.jaas.config",
            "pw",
            Origin::line("B.sasl.jaas.config", 2),
        );
        let e = ConfigError::invalid("f", &v, "sasl.jaas.config", "a JAAS login module");
        assert!(!e.to_string().contains("pw"));
        assert!(e.to_string().contains("f:2: `B.sasl.jaas.config`"));
    }
}
