//! Provenance across files: which input file each value was read from, so errors about a
//! flow built from several files (connector JSON, MirrorMaker 1 configs) name the right one.

use std::collections::HashMap;

use crate::document::error::ConfigError;
use crate::document::value::{Origin, Value};

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
