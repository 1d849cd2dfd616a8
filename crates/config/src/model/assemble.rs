//! MM2's property precedence (KIP-382; `MirrorMakerConfig.clusterProps`,
//! `connectorBaseConfig`, `workerConfig`, `MirrorConnectorConfig.*ClientConfig`, Connect
//! `Worker.baseProducerConfigs`), computed over values that keep their file provenance.
//!
//! * cluster props: `<alias>.k` < … client keys (`bootstrap.servers`, `security.protocol`,
//!   `ssl.*`, `sasl.*`) are copied to `producer.`/`consumer.`/`admin.` unless set there, and
//!   top-level client keys fill whatever is still missing;
//! * connector config: top-level connector keys < `source.cluster.*`/`source.<role>.*`
//!   and `target.…` from the cluster props < `A->B.*`; `enabled` defaults to false;
//! * a connector-built client: `<side>.cluster.*` (client keys only) < `<role>.*` <
//!   `<side>.<role>.*`;
//! * the replicating producer is the Connect worker's: worker `producer.*` (from the
//!   target's cluster props) < `A->B.producer.override.*`.

use crate::document::value::{Value, ValueMap};
use crate::model::keys::{self, ROLES};

/// Entries whose key starts with `prefix`, prefix removed.
pub(crate) fn strip_prefix(map: &ValueMap, prefix: &str) -> ValueMap {
    map.iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_owned(), v.clone())))
        .collect()
}

/// Entries whose key starts with `prefix`, unchanged.
fn with_prefix<'a>(
    map: &'a ValueMap,
    prefix: &'a str,
) -> impl Iterator<Item = (String, Value)> + 'a {
    map.iter()
        .filter(move |(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
}

/// `clusterProps(alias)`.
pub(crate) fn cluster_props(all: &ValueMap, alias: &str) -> ValueMap {
    let mut props = strip_prefix(all, &format!("{alias}."));
    let own: Vec<(String, Value)> = props
        .iter()
        .filter(|(k, _)| keys::is_client_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in own {
        for role in ROLES {
            props
                .entry(format!("{role}.{k}"))
                .or_insert_with(|| v.clone());
        }
    }
    for (k, v) in all.iter().filter(|(k, _)| keys::is_client_key(k)) {
        for role in ROLES {
            props
                .entry(format!("{role}.{k}"))
                .or_insert_with(|| v.clone());
        }
        props.entry(k.clone()).or_insert_with(|| v.clone());
    }
    props
}

/// `connectorBaseConfig(source->target)` without `name`/`connector.class`.
pub(crate) fn connector_config(all: &ValueMap, source: &str, target: &str) -> ValueMap {
    let mut c: ValueMap = all
        .iter()
        .filter(|(k, _)| keys::is_connector_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    c.extend(with_prefix(all, "config.providers"));
    c.extend(with_prefix(all, "replication.policy"));
    for (side, alias) in [("source", source), ("target", target)] {
        for (k, v) in cluster_props(all, alias) {
            let key = if keys::is_role_prefixed(&k) {
                format!("{side}.{k}")
            } else {
                format!("{side}.cluster.{k}")
            };
            c.insert(key, v);
        }
    }
    c.entry("source.cluster.alias".into())
        .or_insert_with(|| Value::default_value(source));
    c.entry("target.cluster.alias".into())
        .or_insert_with(|| Value::default_value(target));
    c.extend(strip_prefix(all, &format!("{source}->{target}.")));
    c.entry("enabled".into())
        .or_insert_with(|| Value::default_value("false"));
    c
}

/// `workerConfig(source->target)`: the target's cluster props, forwarded top-level worker
/// prefixes, and MM2's defaults for the herder's group and storage topics.
pub(crate) fn worker_config(all: &ValueMap, source: &str, target: &str) -> ValueMap {
    let mut w = cluster_props(all, target);
    for prefix in keys::WORKER_PREFIXES {
        w.extend(with_prefix(all, prefix));
    }
    let defaults = [
        ("client.id", format!("{source}->{target}")),
        ("group.id", format!("{source}-mm2")),
        (
            "offset.storage.topic",
            format!("mm2-offsets.{source}.internal"),
        ),
        (
            "status.storage.topic",
            format!("mm2-status.{source}.internal"),
        ),
        (
            "config.storage.topic",
            format!("mm2-configs.{source}.internal"),
        ),
    ];
    for (k, v) in defaults {
        w.entry(k.into()).or_insert_with(|| Value::default_value(v));
    }
    w
}

/// Which cluster a connector-built client talks to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Side {
    Source,
    Target,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Target => "target",
        }
    }
}

/// `<side><Role>Config(role)` of `MirrorConnectorConfig`.
pub(crate) fn connector_client(c: &ValueMap, side: Side, role: &str) -> ValueMap {
    let side = side.name();
    let mut m: ValueMap = strip_prefix(c, &format!("{side}.cluster."))
        .into_iter()
        .filter(|(k, _)| keys::is_client_key(k))
        .collect();
    // Connector settings such as `consumer.poll.timeout.ms` share the role prefix; they
    // are not client properties.
    m.extend(
        strip_prefix(c, &format!("{role}."))
            .into_iter()
            .filter(|(k, _)| !keys::CONNECTOR_KEYS.contains(&format!("{role}.{k}").as_str())),
    );
    m.extend(strip_prefix(c, &format!("{side}.{role}.")));
    m
}

/// The source consumer: forced `enable.auto.commit=false`, `auto.offset.reset` defaults to
/// `earliest` (MM2), `isolation.level` defaults to `read_committed` (strait).
pub(crate) fn source_consumer(c: &ValueMap) -> ValueMap {
    let mut m = connector_client(c, Side::Source, "consumer");
    m.insert("enable.auto.commit".into(), Value::default_value("false"));
    m.entry("auto.offset.reset".into())
        .or_insert_with(|| Value::default_value("earliest"));
    m.entry("isolation.level".into())
        .or_insert_with(|| Value::default_value("read_committed"));
    m
}

/// The Connect worker producer that writes replicated records (and heartbeats).
/// Connect's own `max.in.flight.requests.per.connection=1` / infinite timeouts are not
/// inherited: strait's producer is idempotent and orders per partition itself.
pub(crate) fn replication_producer(w: &ValueMap, c: &ValueMap) -> ValueMap {
    let mut m = ValueMap::new();
    if let Some(v) = w.get("bootstrap.servers") {
        m.insert("bootstrap.servers".into(), v.clone());
    }
    m.insert("acks".into(), Value::default_value("all"));
    m.extend(strip_prefix(w, "producer."));
    m.extend(strip_prefix(c, "producer.override."));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::value::Origin;

    fn all(entries: &[(&str, &str)]) -> ValueMap {
        entries
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                (
                    (*k).to_owned(),
                    Value::for_key(k, *v, Origin::line(*k, i + 1)),
                )
            })
            .collect()
    }

    fn get<'a>(m: &'a ValueMap, k: &str) -> Option<&'a str> {
        m.get(k).map(Value::expose)
    }

    #[test]
    fn cluster_props_precedence() {
        let a = all(&[
            ("security.protocol", "SSL"),
            ("A.security.protocol", "SASL_SSL"),
            ("A.consumer.security.protocol", "PLAINTEXT"),
            ("A.bootstrap.servers", "a:1"),
            ("B.bootstrap.servers", "b:1"),
        ]);
        let p = cluster_props(&a, "A");
        assert_eq!(get(&p, "security.protocol"), Some("SASL_SSL"));
        assert_eq!(get(&p, "producer.security.protocol"), Some("SASL_SSL"));
        assert_eq!(get(&p, "consumer.security.protocol"), Some("PLAINTEXT"));
        let b = cluster_props(&a, "B");
        assert_eq!(get(&b, "security.protocol"), Some("SSL"));
        assert_eq!(get(&b, "admin.security.protocol"), Some("SSL"));
        assert_eq!(get(&b, "bootstrap.servers"), Some("b:1"));
    }

    #[test]
    fn connector_precedence_and_enabled_default() {
        let a = all(&[
            ("topics", "t.*"),
            ("A->B.topics", "orders"),
            ("producer.linger.ms", "5"),
            ("A.bootstrap.servers", "a:1"),
            ("B.bootstrap.servers", "b:1"),
        ]);
        let c = connector_config(&a, "A", "B");
        assert_eq!(get(&c, "topics"), Some("orders"));
        assert_eq!(get(&c, "enabled"), Some("false"));
        assert_eq!(get(&c, "source.cluster.bootstrap.servers"), Some("a:1"));
        assert_eq!(get(&c, "target.producer.bootstrap.servers"), Some("b:1"));
        // Top-level client overrides are not connector settings in dedicated mode.
        assert_eq!(get(&c, "producer.linger.ms"), None);
        let rev = connector_config(&a, "B", "A");
        assert_eq!(get(&rev, "topics"), Some("t.*"));
    }

    #[test]
    fn source_consumer_precedence() {
        let a = all(&[
            ("A.bootstrap.servers", "a:1"),
            ("A.consumer.max.poll.records", "500"),
            ("A->B.consumer.max.poll.records", "100"),
            ("A->B.consumer.fetch.min.bytes", "1"),
            ("A->B.source.consumer.fetch.min.bytes", "2"),
            ("consumer.poll.timeout.ms", "900"),
        ]);
        let c = connector_config(&a, "A", "B");
        let m = source_consumer(&c);
        // `<alias>.consumer.*` arrives as `source.consumer.*`, which beats `consumer.*`.
        assert_eq!(get(&m, "max.poll.records"), Some("500"));
        assert_eq!(get(&m, "fetch.min.bytes"), Some("2"));
        assert_eq!(get(&m, "bootstrap.servers"), Some("a:1"));
        assert_eq!(get(&m, "enable.auto.commit"), Some("false"));
        assert_eq!(get(&m, "auto.offset.reset"), Some("earliest"));
        assert_eq!(get(&m, "poll.timeout.ms"), None);
    }

    #[test]
    fn replication_producer_precedence() {
        let a = all(&[
            ("B.bootstrap.servers", "b:1"),
            ("B.producer.linger.ms", "5"),
            ("A->B.producer.override.linger.ms", "9"),
            ("B.producer.acks", "1"),
        ]);
        let c = connector_config(&a, "A", "B");
        let w = worker_config(&a, "A", "B");
        let p = replication_producer(&w, &c);
        assert_eq!(get(&p, "linger.ms"), Some("9"));
        assert_eq!(get(&p, "acks"), Some("1"));
        assert_eq!(get(&p, "bootstrap.servers"), Some("b:1"));
        assert_eq!(get(&w, "group.id"), Some("A-mm2"));
        assert_eq!(
            get(&w, "offset.storage.topic"),
            Some("mm2-offsets.A.internal")
        );
    }
}
