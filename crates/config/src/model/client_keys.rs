//! The settings Kafka's Java clients define (`ProducerConfig`, `ConsumerConfig`,
//! `AdminClientConfig` with `CommonClientConfigs`, `SslConfigs`, `SaslConfigs`) and the
//! Connect worker keys MM2 users write, used to point at a probable typo: a key that is not
//! one of them but close to one.

/// Settings every client role accepts.
const COMMON: &[&str] = &[
    "bootstrap.servers",
    "client.dns.lookup",
    "client.id",
    "client.rack",
    "connections.max.idle.ms",
    "receive.buffer.bytes",
    "send.buffer.bytes",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "request.timeout.ms",
    "socket.connection.setup.timeout.ms",
    "socket.connection.setup.timeout.max.ms",
    "metadata.max.age.ms",
    "metadata.recovery.strategy",
    "metadata.recovery.rebootstrap.trigger.ms",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.recording.level",
    "metrics.sample.window.ms",
    "auto.include.jmx.reporter",
    "enable.metrics.push",
    "security.protocol",
    "security.providers",
    "default.api.timeout.ms",
    "interceptor.classes",
    "retries",
    "ssl.protocol",
    "ssl.provider",
    "ssl.cipher.suites",
    "ssl.enabled.protocols",
    "ssl.keystore.type",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.key.password",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.endpoint.identification.algorithm",
    "ssl.secure.random.implementation",
    "ssl.engine.factory.class",
    "sasl.mechanism",
    "sasl.jaas.config",
    "sasl.client.callback.handler.class",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
];

/// `ProducerConfig`.
const PRODUCER: &[&str] = &[
    "acks",
    "batch.size",
    "buffer.memory",
    "compression.type",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "delivery.timeout.ms",
    "enable.idempotence",
    "key.serializer",
    "value.serializer",
    "linger.ms",
    "max.block.ms",
    "max.in.flight.requests.per.connection",
    "max.request.size",
    "metadata.max.idle.ms",
    "partitioner.class",
    "partitioner.ignore.keys",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "transaction.timeout.ms",
    "transactional.id",
    "transaction.two.phase.commit.enable",
];

/// `ConsumerConfig`.
const CONSUMER: &[&str] = &[
    "allow.auto.create.topics",
    "auto.commit.interval.ms",
    "auto.offset.reset",
    "check.crcs",
    "enable.auto.commit",
    "exclude.internal.topics",
    "fetch.max.bytes",
    "fetch.max.wait.ms",
    "fetch.min.bytes",
    "group.id",
    "group.instance.id",
    "group.protocol",
    "group.remote.assignor",
    "heartbeat.interval.ms",
    "isolation.level",
    "key.deserializer",
    "value.deserializer",
    "max.partition.fetch.bytes",
    "max.poll.interval.ms",
    "max.poll.records",
    "partition.assignment.strategy",
    "session.timeout.ms",
    "share.acknowledgement.mode",
];

/// Connect worker settings MM2 dedicated mode reads (`DistributedConfig`, `WorkerConfig`).
pub(crate) const WORKER: &[&str] = &[
    "offset.flush.interval.ms",
    "offset.flush.timeout.ms",
    "offset.storage.topic",
    "offset.storage.partitions",
    "offset.storage.replication.factor",
    "config.storage.topic",
    "config.storage.replication.factor",
    "status.storage.topic",
    "status.storage.partitions",
    "status.storage.replication.factor",
    "task.shutdown.graceful.timeout.ms",
    "worker.sync.timeout.ms",
    "worker.unsync.backoff.ms",
    "group.id",
    "plugin.path",
];

/// Families with too many settings to list; keys under them are never called typos.
const UNLISTED_FAMILIES: &[&str] = &["sasl.oauthbearer.", "sasl.login.", "sasl.kerberos."];

/// The keys a client of `role` (`producer`, `consumer`, `admin`) accepts.
pub(crate) fn role_keys(role: &str) -> impl Iterator<Item = &'static str> {
    let own: &[&str] = match role {
        "producer" => PRODUCER,
        "consumer" => CONSUMER,
        _ => &[],
    };
    COMMON.iter().chain(own).copied()
}

/// True when `key` is a setting of `role`, or under a family too large to list.
pub(crate) fn is_role_key(role: &str, key: &str) -> bool {
    role_keys(role).any(|k| k == key) || UNLISTED_FAMILIES.iter().any(|p| key.starts_with(p))
}

/// The candidate nearest to `key` by edit distance, if near enough to be a probable typo:
/// case, `_` and `-` against `.` are ignored, and at most 2 edits (or one in five characters
/// for longer keys) may separate them.
pub(crate) fn closest<'a>(
    key: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let normal = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], ".");
    let wanted = normal(key);
    let limit = (wanted.len() / 5).max(2);
    candidates
        .into_iter()
        .filter(|c| *c != key)
        .map(|c| (strsim::levenshtein(&wanted, &normal(c)), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_key() {
        assert_eq!(closest("ack", role_keys("producer")), Some("acks"));
        assert_eq!(
            closest("offset_flush_timeout", WORKER.iter().copied()),
            Some("offset.flush.timeout.ms")
        );
        assert_eq!(closest("linger.ms", role_keys("producer")), None);
        assert_eq!(closest("completely.different", role_keys("consumer")), None);
        assert!(is_role_key("consumer", "fetch.max.bytes"));
        assert!(!is_role_key("producer", "fetch.max.bytes"));
        assert!(is_role_key("admin", "sasl.oauthbearer.scope.claim.name"));
    }
}
