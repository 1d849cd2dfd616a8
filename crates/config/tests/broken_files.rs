//! Table-driven: broken `mm2.properties` files; each error must name the key and the line
//! (and say what was expected) without echoing secrets.

use strait_config::{LoadOptions, parse_mm2_properties};

const HEAD: &str = "clusters = A, B\nA.bootstrap.servers = a:9092\nB.bootstrap.servers = b:9092\nA->B.enabled = true\n";

struct Case {
    name: &'static str,
    /// Appended after `HEAD` (lines 1-4) unless `full` is set.
    text: &'static str,
    full: bool,
    /// Expected `file:line: \`key\`` prefix.
    location: &'static str,
    /// A fragment of the "expected ..." part.
    expected: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "non-numeric interval",
        text: "refresh.topics.interval.seconds = ten\n",
        full: false,
        location: "mm2.properties:5: `refresh.topics.interval.seconds` = `ten`",
        expected: "seconds",
    },
    Case {
        name: "negative flow interval",
        text: "A->B.sync.group.offsets.interval.seconds = -5\n",
        full: false,
        location: "mm2.properties:5: `A->B.sync.group.offsets.interval.seconds`",
        expected: "seconds >= 0",
    },
    Case {
        name: "interval that would overflow the clock",
        text: "refresh.topics.interval.seconds = 18446744073709551615\n",
        full: false,
        location: "mm2.properties:5: `refresh.topics.interval.seconds` = `18446744073709551615`",
        expected: "<= 31536000 (365 days",
    },
    Case {
        name: "flow interval just above a year",
        text: "A->B.emit.heartbeats.interval.seconds = 31536001\n",
        full: false,
        location: "mm2.properties:5: `A->B.emit.heartbeats.interval.seconds`",
        expected: "<= 31536000 (365 days",
    },
    Case {
        name: "milliseconds that would overflow the clock",
        text: "admin.timeout.ms = 18446744073709551615\n",
        full: false,
        location: "mm2.properties:5: `admin.timeout.ms`",
        expected: "milliseconds >= 0 and <= 31536000000 (365 days)",
    },
    Case {
        name: "unknown security protocol",
        text: "\nB.security.protocol = TLS\n",
        full: false,
        location: "mm2.properties:6: `B.security.protocol` = `TLS`",
        expected: "one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
    },
    Case {
        name: "flow names an undefined cluster",
        text: "A->C.enabled = true\n",
        full: false,
        location: "mm2.properties:5: `A->C.enabled`",
        expected: "names cluster `C`",
    },
    Case {
        name: "flow from an undefined source",
        text: "X->B.topics = .*\n",
        full: false,
        location: "mm2.properties:5: `X->B.topics`",
        expected: "names cluster `X`",
    },
    Case {
        name: "bad regex",
        text: "A->B.topics = orders(\n",
        full: false,
        location: "mm2.properties:5: `A->B.topics`",
        expected: "invalid regular expression `orders(`",
    },
    Case {
        name: "regex with a comma-split repetition",
        text: "groups.exclude = app{1,3}\n",
        full: false,
        location: "mm2.properties:5: `groups.exclude`",
        expected: "commas",
    },
    Case {
        name: "missing bootstrap.servers",
        text: "clusters = A, B\nA.bootstrap.servers = a:9092\nA->B.enabled = true\n",
        full: true,
        location: "mm2.properties:1: `B.bootstrap.servers` is missing",
        expected: "host:port",
    },
    Case {
        name: "malformed bootstrap.servers",
        text: "clusters = A, B\nA.bootstrap.servers = a:9092\nB.bootstrap.servers = b-no-port\n",
        full: true,
        location: "mm2.properties:3: `B.bootstrap.servers` = `b-no-port`",
        expected: "host:port",
    },
    Case {
        name: "non-boolean enabled",
        text: "\n\nA->B.sync.topic.acls.enabled = yes\n",
        full: false,
        location: "mm2.properties:7: `A->B.sync.topic.acls.enabled` = `yes`",
        expected: "true or false",
    },
    Case {
        name: "tasks.max zero",
        text: "tasks.max = 0\n",
        full: false,
        location: "mm2.properties:5: `tasks.max` = `0`",
        expected: "an integer >= 1",
    },
    Case {
        name: "replication factor zero",
        text: "checkpoints.topic.replication.factor = 0\n",
        full: false,
        location: "mm2.properties:5: `checkpoints.topic.replication.factor` = `0`",
        expected: "-1 (broker default)",
    },
    Case {
        name: "unknown policy class",
        text: "replication.policy.class = com.example.MyPolicy\n",
        full: false,
        location: "mm2.properties:5: `replication.policy.class` = `com.example.MyPolicy`",
        expected: "DefaultReplicationPolicy",
    },
    Case {
        name: "unknown data loss policy",
        text: "A->B.strait.data.loss.policy = ignore\n",
        full: false,
        location: "mm2.properties:5: `A->B.strait.data.loss.policy` = `ignore`",
        expected: "one of fail, continue",
    },
    Case {
        name: "SASL without JAAS",
        text: "B.security.protocol = SASL_SSL\nB.sasl.mechanism = SCRAM-SHA-256\n",
        full: false,
        location: "mm2.properties:5: `B.sasl.jaas.config` is missing",
        expected: "JAAS login module",
    },
    Case {
        name: "broken JAAS never echoes the password",
        text: "B.security.protocol = SASL_SSL\nB.sasl.mechanism = PLAIN\n\
               B.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required password=\"TopSecret\"\n",
        full: false,
        location: "mm2.properties:7: `B.sasl.jaas.config`",
        expected: "a JAAS login module",
    },
    Case {
        name: "unresolvable env reference",
        text: "config.providers = env\n\
               config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider\n\
               B.sasl.jaas.config = x.PlainLoginModule required username=\"u\" password=\"${env:NOPE_NOT_SET}\";\n",
        full: false,
        location: "mm2.properties:7: `B.sasl.jaas.config`",
        expected: "environment variable `NOPE_NOT_SET` is not set",
    },
    Case {
        name: "undeclared provider",
        text: "B.ssl.truststore.password = ${vault:secret/kafka:pw}\n",
        full: false,
        location: "mm2.properties:5: `B.ssl.truststore.password`",
        expected: "provider `vault` is not declared",
    },
    Case {
        name: "unknown provider class",
        text: "config.providers = k8s\nconfig.providers.k8s.class = com.example.vault.VaultConfigProvider\n",
        full: false,
        location: "mm2.properties:6: `config.providers.k8s.class`",
        expected: "FileConfigProvider",
    },
    Case {
        name: "malformed unicode escape",
        text: "topics = caf\\u00g9\n",
        full: false,
        location: "mm2.properties:5:",
        expected: "\\uXXXX",
    },
    Case {
        name: "bad offset-syncs location",
        text: "offset-syncs.topic.location = both\n",
        full: false,
        location: "mm2.properties:5: `offset-syncs.topic.location` = `both`",
        expected: "one of source, target",
    },
    Case {
        name: "inline PEM with JKS type",
        text: "B.security.protocol = SSL\nB.ssl.truststore.certificates = -----BEGIN CERTIFICATE-----\n",
        full: false,
        location: "mm2.properties:6: `B.ssl.truststore.certificates`",
        expected: "`ssl.truststore.type=PEM`",
    },
    Case {
        name: "custom topic filter",
        text: "A->B.topic.filter.class = com.example.MyFilter\n",
        full: false,
        location: "mm2.properties:5: `A->B.topic.filter.class` = `com.example.MyFilter`",
        expected: "DefaultTopicFilter",
    },
    Case {
        name: "flow from a cluster to itself",
        text: "A->A.enabled = true\n",
        full: false,
        location: "mm2.properties:5: `A->A.enabled`",
        expected: "two different clusters",
    },
    Case {
        name: "bad auto.offset.reset",
        text: "A.consumer.auto.offset.reset = smallest\n",
        full: false,
        location: "mm2.properties:5: `A.consumer.auto.offset.reset` = `smallest`",
        expected: "earliest, latest, none",
    },
];

#[test]
fn every_broken_file_names_key_and_line() {
    assert!(CASES.len() >= 10);
    for case in CASES {
        let text = if case.full {
            case.text.to_owned()
        } else {
            format!("{HEAD}{}", case.text)
        };
        let err = match parse_mm2_properties(&text, "mm2.properties", &LoadOptions::default()) {
            Ok(_) => panic!("{}: loaded without error", case.name),
            Err(e) => e.to_string(),
        };
        assert!(
            err.starts_with(case.location),
            "{}:\n  got:  {err}\n  want prefix: {}",
            case.name,
            case.location
        );
        assert!(
            err.contains(case.expected),
            "{}: {err}\n  want: {}",
            case.name,
            case.expected
        );
        assert!(
            !err.contains("TopSecret"),
            "{}: secret echoed: {err}",
            case.name
        );
    }
}

#[test]
fn missing_clusters_key() {
    let e = parse_mm2_properties("A.bootstrap.servers=a:1\n", "f", &LoadOptions::default())
        .expect_err("no clusters");
    assert_eq!(
        e.to_string(),
        "f: `clusters` is missing: expected a comma-separated list of cluster aliases, e.g. `clusters = A, B`"
    );
}
