//! MirrorMaker 1 (`kafka-mirror-maker.sh`, `kafka.tools.MirrorMaker`; `docs/mm2-compatibility.md`,
//! "Configuration formats"):
//! its command line (`--consumer.config F --producer.config F --whitelist RE ...`) and the
//! Strimzi `KafkaMirrorMaker` resource both become one flow `source->target` that
//!
//! * keeps topic names (identity policy) and, unlike MM1, partition numbers;
//! * stores its positions as the committed offsets of the consumer's `group.id` on the
//!   source ([`PositionStore::ConsumerGroup`]), every `offset.commit.interval.ms`, so an
//!   MM1 deployment can be replaced without re-copying;
//! * does nothing MM1 did not: no checkpoints, heartbeats, offset syncs, topic config or
//!   ACL sync;
//! * reads the source with `auto.offset.reset` = `latest` unless the consumer config says
//!   otherwise (the Kafka consumer default MM1 ran with).
//!
//! Consumer properties go to the source cluster (client security keys) or its consumer;
//! producer properties to the target cluster or the producer writing mirrored records.

mod args;

use std::path::Path;
use std::time::Duration;

use crate::document::error::{ConfigError, Location};
use crate::document::properties;
use crate::document::provenance::Provenance;
use crate::document::value::{Origin, Value, ValueMap};
use crate::formats::options::LoadConfigOptions;
use crate::model::flow::{build_cluster, build_flow};
use crate::model::keys;
use crate::model::security::parse_security;
use crate::model::typed::{Reader, parse_bootstrap};
use crate::model::{MirrorConfig, PositionStore};
use crate::policy::replication::IDENTITY_POLICY_CLASS;
use crate::providers::mounts::apply_mounts;
use crate::providers::{self, Env, Providers};
use args::COMMAND_LINE;
pub use args::{Mm1Args, parse_mm1_args};

/// The alias MM1 flows use for the cluster they read.
pub const MM1_SOURCE: &str = "source";
/// The alias MM1 flows use for the cluster they write.
pub const MM1_TARGET: &str = "target";

/// One MM1 deployment, from the command line or a `KafkaMirrorMaker` resource.
#[derive(Clone, Debug)]
pub(crate) struct Mm1Spec {
    /// Where the options were written (errors about them).
    pub(crate) file: String,
    /// Consumer properties, unprefixed (`bootstrap.servers`, `group.id`, security, …).
    pub(crate) consumer: ValueMap,
    pub(crate) consumer_file: String,
    /// Producer properties, unprefixed.
    pub(crate) producer: ValueMap,
    pub(crate) producer_file: String,
    /// The topic regex (`--whitelist`, `include`).
    pub(crate) include: Value,
    pub(crate) num_streams: Option<Value>,
    pub(crate) offset_commit_interval: Option<Value>,
    pub(crate) abort_on_send_failure: Option<Value>,
    pub(crate) replicas: Option<u32>,
    pub(crate) ignored: Vec<(String, usize)>,
}

/// MM1's whitelist handling: quotes and spaces stripped, commas turned into `|`.
fn whitelist_regex(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '"' | '\'') && !c.is_whitespace())
        .map(|c| if c == ',' { '|' } else { c })
        .collect()
}

/// Builds the MM1 flow (module docs).
pub(crate) fn build_mm1(spec: Mm1Spec) -> Result<MirrorConfig, ConfigError> {
    let (s, t) = (MM1_SOURCE, MM1_TARGET);
    let mut prov = Provenance::default();
    for v in spec.consumer.values() {
        prov.note(v, &spec.consumer_file);
    }
    for v in spec.producer.values() {
        prov.note(v, &spec.producer_file);
    }
    for v in [
        &spec.num_streams,
        &spec.offset_commit_interval,
        &spec.abort_on_send_failure,
    ]
    .into_iter()
    .flatten()
    .chain([&spec.include])
    {
        prov.note(v, &spec.file);
    }
    // Each side is checked against its own file first, so errors name it exactly.
    for (file, map, what) in [
        (&spec.consumer_file, &spec.consumer, "consumer"),
        (&spec.producer_file, &spec.producer, "producer"),
    ] {
        let Some(b) = map.get("bootstrap.servers") else {
            return Err(ConfigError::Missing {
                at: Location::new(file, 0, "bootstrap.servers"),
                expected: format!("host:port addresses of the cluster the {what} connects to"),
            });
        };
        parse_bootstrap(file, "bootstrap.servers", b)?;
        parse_security(file, map)?;
    }
    let Some(group) = spec.consumer.get("group.id") else {
        return Err(ConfigError::Missing {
            at: Location::new(&spec.consumer_file, 0, "group.id"),
            expected: "the consumer group MirrorMaker commits its positions to".into(),
        });
    };
    let group_id = group.expose().trim().to_owned();
    let options = ValueMap::from_iter(
        [
            ("offset.commit.interval.ms", &spec.offset_commit_interval),
            ("num.streams", &spec.num_streams),
            ("abort.on.send.failure", &spec.abort_on_send_failure),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_owned(), v))),
    );
    let r = Reader::new(&spec.file, &options);
    let commit_interval = r.millis_or("offset.commit.interval.ms", 60_000)?;
    if commit_interval == Duration::ZERO
        && let Some(v) = options.get("offset.commit.interval.ms")
    {
        return Err(ConfigError::invalid(
            &spec.file,
            v,
            "offset.commit.interval.ms",
            "a number of milliseconds > 0",
        ));
    }
    if !r.bool_or("abort.on.send.failure", true)? {
        tracing::warn!(
            "abort.on.send.failure=false: strait never drops a record it could not write; the \
             partition stops and is reported instead"
        );
    }

    let mut all = ValueMap::new();
    for (alias, role, map) in [
        (s, "consumer", &spec.consumer),
        (t, "producer", &spec.producer),
    ] {
        for (k, v) in map {
            let key = if keys::is_client_key(k) {
                format!("{alias}.{k}")
            } else {
                format!("{alias}.{role}.{k}")
            };
            all.insert(key, v.clone());
        }
    }
    let flow_key = |k: &str| format!("{s}->{t}.{k}");
    let defaults: &[(&str, &str)] = &[
        ("enabled", "true"),
        ("replication.policy.class", IDENTITY_POLICY_CLASS),
        ("topics.exclude", ""),
        // MM1 creates no topics (the target broker auto-creates them with its defaults).
        ("replication.factor", "-1"),
        ("emit.checkpoints.enabled", "false"),
        ("sync.group.offsets.enabled", "false"),
        ("refresh.groups.enabled", "false"),
        ("emit.heartbeats.enabled", "false"),
        ("heartbeats.replication.enabled", "false"),
        ("emit.offset-syncs.enabled", "false"),
        ("sync.topic.configs.enabled", "false"),
        ("sync.topic.acls.enabled", "false"),
        // The consumer's `metadata.max.age.ms` default: how soon MM1 saw new topics.
        ("refresh.topics.interval.seconds", "300"),
    ];
    for (k, v) in defaults {
        all.insert(flow_key(k), Value::default_value(*v));
    }
    let include = spec
        .include
        .with_text(whitelist_regex(spec.include.expose()), "topics");
    all.insert(flow_key("topics"), include);
    if let Some(n) = &spec.num_streams {
        all.insert(flow_key("tasks.max"), n.clone());
    }
    all.entry(format!("{s}.consumer.auto.offset.reset"))
        .or_insert_with(|| Value::default_value("latest"));

    let mut clusters = std::collections::BTreeMap::new();
    clusters.insert(
        s.to_owned(),
        build_cluster(&spec.consumer_file, &all, s, 0).map_err(|e| prov.fix(e))?,
    );
    clusters.insert(
        t.to_owned(),
        build_cluster(&spec.producer_file, &all, t, 0).map_err(|e| prov.fix(e))?,
    );
    let mut flow = build_flow(&spec.file, &all, s, t).map_err(|e| prov.fix(e))?;
    flow.position_store = PositionStore::ConsumerGroup {
        group_id,
        commit_interval,
    };
    flow.raw.extend(options);
    let mut files = vec![spec.file.clone()];
    for f in [&spec.consumer_file, &spec.producer_file] {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    files.retain(|f| f != COMMAND_LINE);
    Ok(MirrorConfig {
        clusters,
        flows: vec![flow],
        source_file: files.join(", "),
        ignored_keys: spec.ignored,
        replicas: spec.replicas,
    })
}

/// A consumer or producer properties file, with its config providers resolved.
fn read_client_file(
    path: &Path,
    options: &LoadConfigOptions,
) -> Result<(String, ValueMap), ConfigError> {
    let bytes = crate::document::limits::read_file(path)?;
    let name = path.display().to_string();
    let text = apply_mounts(&properties::decode(&bytes), &options.mounts);
    let props = properties::parse(&text, &name)?;
    let providers = Providers::declare(&props, &name)?;
    let env: &Env = &options.load.env;
    let map = providers::resolve_all(&props, &providers, &name, env)?
        .into_iter()
        .filter(|(k, _)| !k.starts_with(providers::CONFIG_PROVIDERS))
        .collect();
    Ok((name, map))
}

/// Loads a MirrorMaker 1 command line: reads `--consumer.config` and `--producer.config`
/// and builds the flow (module docs). `--clusters` does not apply.
pub fn load_mm1(args: &Mm1Args, options: &LoadConfigOptions) -> Result<MirrorConfig, ConfigError> {
    let (consumer_file, consumer) = read_client_file(&args.consumer_config, options)?;
    let (producer_file, producer) = read_client_file(&args.producer_config, options)?;
    let arg =
        |name: &str, text: &str| Value::for_key(name, text, Origin::line(format!("--{name}"), 0));
    build_mm1(Mm1Spec {
        file: COMMAND_LINE.to_owned(),
        consumer,
        consumer_file,
        producer,
        producer_file,
        include: arg("whitelist", &args.include),
        num_streams: args.num_streams.as_deref().map(|v| arg("num.streams", v)),
        offset_commit_interval: args
            .offset_commit_interval_ms
            .as_deref()
            .map(|v| arg("offset.commit.interval.ms", v)),
        abort_on_send_failure: args
            .abort_on_send_failure
            .as_deref()
            .map(|v| arg("abort.on.send.failure", v)),
        replicas: None,
        ignored: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitelist_like_mm1() {
        assert_eq!(whitelist_regex("\"a, b\""), "a|b");
        assert_eq!(whitelist_regex(".*"), ".*");
    }
}
