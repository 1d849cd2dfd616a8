//! What `strait validate` and `strait run` warn about before anything runs: keys nobody uses
//! (with the closest known key when one is near, e.g. `A->B.enable` for `A->B.enabled`),
//! client settings Kafka's clients do not define but that are near one they do
//! (`producer.ack`), and a configuration in which no flow replicates anything.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::document::value::Origin;
use crate::model::client_keys::{closest, is_role_key, role_keys};
use crate::model::keys;
use crate::model::{Acks, ClientConfig, MirrorConfig};

/// One warning about the configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The input file.
    pub file: String,
    /// 1-based line, 0 when the warning is about the file as a whole.
    pub line: usize,
    /// The key as written, empty for the file as a whole.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// The known key the user probably meant, as it would be written.
    pub did_you_mean: Option<String>,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)?;
        match &self.did_you_mean {
            Some(k) => write!(f, "; did you mean `{k}`?"),
            None => Ok(()),
        }
    }
}

impl MirrorConfig {
    /// The warnings about this configuration, in file order.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out: Vec<Warning> = self
            .ignored_keys
            .iter()
            .map(|(entry, line)| self.ignored_warning(entry, *line))
            .collect();
        out.extend(self.client_key_typos());
        out.extend(self.acks_not_applied());
        out.sort_by(|a, b| (&a.file, a.line, &a.key).cmp(&(&b.file, b.line, &b.key)));
        out.dedup();
        if self.enabled_flows().all(|f| f.is_heartbeats_only()) {
            out.push(Warning {
                file: self.source_file.clone(),
                line: 0,
                key: String::new(),
                message: "no flow replicates anything, flows only emit heartbeats (set e.g. \
                          `A->B.enabled = true`)"
                    .into(),
                did_you_mean: None,
            });
        }
        out
    }

    /// An ignored key, written `key`, `file: key` or `file: key (use other.key)` by the
    /// loaders.
    fn ignored_warning(&self, entry: &str, line: usize) -> Warning {
        let (file, rest) = match entry.split_once(": ") {
            Some((file, rest)) => (file.to_owned(), rest),
            None => (self.source_file.clone(), entry),
        };
        let (key, hint) = match rest.strip_suffix(')').and_then(|r| r.split_once(" (use ")) {
            Some((key, hint)) => (key, Some(hint.to_owned())),
            None => (rest, None),
        };
        Warning {
            file,
            line,
            key: key.to_owned(),
            message: "unknown key, ignored".into(),
            did_you_mean: hint.or_else(|| suggest_ignored(key)),
        }
    }

    /// `acks` other than `all` for the replicating producer: read and shown, but strait's
    /// idempotent producer always writes with `acks=all`.
    fn acks_not_applied(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        for flow in self.enabled_flows().filter(|f| f.acks != Acks::All) {
            let Some(v) = flow.clients.replication_producer.props.get("acks") else {
                continue;
            };
            out.push(Warning {
                file: self.source_file.clone(),
                line: v.origin().line_number(),
                key: v.origin().key().unwrap_or("acks").to_owned(),
                message: format!(
                    "not applied to {}: strait's idempotent producer always writes with acks=all",
                    flow.name()
                ),
                did_you_mean: None,
            });
        }
        out
    }

    /// User-written client settings that are not Kafka settings of their role but near one.
    fn client_key_typos(&self) -> Vec<Warning> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for flow in &self.flows {
            let c = &flow.clients;
            let clients = [
                ("consumer", &c.source_consumer),
                ("consumer", &c.target_consumer),
                ("producer", &c.source_producer),
                ("producer", &c.target_producer),
                ("producer", &c.replication_producer),
                ("admin", &c.source_admin),
                ("admin", &c.target_admin),
            ];
            for (role, client) in clients {
                for w in typos_of(role, client, &self.source_file) {
                    if seen.insert((w.line, w.key.clone())) {
                        out.push(w);
                    }
                }
            }
        }
        out
    }
}

fn typos_of(role: &str, client: &ClientConfig, file: &str) -> Vec<Warning> {
    let mut out = Vec::new();
    for (key, value) in &client.props {
        let Origin::Line { key: written, line } = value.origin() else {
            continue;
        };
        if is_role_key(role, key) || !written.ends_with(key.as_str()) {
            continue;
        }
        if let Some(known) = closest(key, role_keys(role)) {
            let prefix = &written[..written.len() - key.len()];
            out.push(Warning {
                file: file.to_owned(),
                line: *line,
                key: written.clone(),
                message: format!("not a Kafka {role} setting"),
                did_you_mean: Some(format!("{prefix}{known}")),
            });
        }
    }
    out
}

/// The known key nearest to an ignored one, written with the same `A->B.` or role prefix.
fn suggest_ignored(key: &str) -> Option<String> {
    // A Strimzi path: `spec.mirrors[0].sourceConnector.config.<key>`.
    if let Some(at) = key.rfind(".config.") {
        let (path, rest) = key.split_at(at + ".config.".len());
        return closest(rest, keys::flow_names()).map(|k| format!("{path}{k}"));
    }
    if let Some(at) = key.find("->") {
        let dot = key[at..].find('.').map(|d| at + d + 1)?;
        let (flow, rest) = key.split_at(dot);
        return closest(rest, keys::flow_names()).map(|k| format!("{flow}{k}"));
    }
    for role in keys::ROLES {
        if let Some(rest) = key.strip_prefix(role).and_then(|r| r.strip_prefix('.')) {
            let known = closest(rest, role_keys(role)).or(role_keys(role).find(|k| *k == rest));
            return known.map(|k| format!("{role}.{k}"));
        }
    }
    closest(key, keys::top_level_names()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use crate::{LoadOptions, parse_mm2_properties};

    const TWO: &str = "clusters = A, B\nA.bootstrap.servers = a:1\nB.bootstrap.servers = b:1\n";

    fn warnings(extra: &str) -> Vec<String> {
        let text = format!("{TWO}{extra}");
        let config = parse_mm2_properties(&text, "mm2.properties", &LoadOptions::default());
        let config = config.map_err(|e| e.to_string()).expect("loads");
        config.warnings().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_misspelled_flow_key_names_the_key_it_meant() {
        let w = warnings("A->B.enable = true\n");
        assert_eq!(
            w[0],
            "mm2.properties:4: A->B.enable: unknown key, ignored; did you mean `A->B.enabled`?"
        );
        assert!(w[1].contains("no flow replicates anything"), "{w:?}");
    }

    #[test]
    fn client_and_worker_typos_are_flagged() {
        let w = warnings("A->B.enabled = true\nB.producer.ack = 1\noffset_flush_timeout = 5\n");
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].contains(
                "B.producer.ack: not a Kafka producer setting; did you mean `B.producer.acks`?"
            ),
            "{w:?}"
        );
        assert!(w[1].contains("offset_flush_timeout: unknown key, ignored; did you mean `offset.flush.timeout.ms`?"), "{w:?}");
    }

    #[test]
    fn acks_other_than_all_is_not_applied() {
        let w = warnings("A->B.enabled = true\nB.producer.acks = 1\n");
        assert_eq!(
            w,
            [
                "mm2.properties:5: B.producer.acks: not applied to A->B: strait's idempotent \
              producer always writes with acks=all"
            ]
        );
    }

    #[test]
    fn a_clean_configuration_has_no_warning() {
        let w = warnings(
            "A->B.enabled = true\nB.producer.linger.ms = 5\nA.consumer.fetch.max.bytes = 1\n",
        );
        assert!(w.is_empty(), "{w:?}");
    }
}
