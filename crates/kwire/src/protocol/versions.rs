//! API version negotiation (KIP-35 ApiVersions; KIP-896 removed old versions in Kafka 4.0).
//!
//! kwire sends, per API, the highest version both it and the broker implement. The table below
//! is what kwire's request builders and response readers actually handle; it is deliberately
//! narrower than what kafka-protocol can encode.

use std::collections::HashMap;

use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};
use kafka_protocol::protocol::VersionRange;

use super::ProtocolError;

/// What kwire implements, per API. Why each cap:
/// - Produce ≤ 12 and Fetch ≤ 12: v13 of both names topics by topic id (KIP-516) instead of by
///   name; kwire keeps no name↔id map yet, so it stays on the name-based versions, which every
///   broker from 3.x to 4.x still accepts.
/// - Metadata ≤ 12: v13 only adds a top-level error code for KIP-1102 rebootstrap.
/// - OffsetCommit ≤ 9, OffsetFetch ≤ 9: v10 names topics by id.
/// - InitProducerId ≤ 5: v6 adds two-phase-commit fields (KIP-939) kwire does not use.
/// - SaslHandshake = 1: v0 sent raw SASL tokens outside Kafka framing (KIP-43); kwire only
///   speaks the framed SaslAuthenticate exchange (KIP-152).
const SUPPORTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 12),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 10),
    (ApiKey::Metadata, 1, 12),
    (ApiKey::OffsetCommit, 2, 9),
    (ApiKey::OffsetFetch, 1, 9),
    (ApiKey::FindCoordinator, 0, 6),
    (ApiKey::DescribeGroups, 0, 6),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::SaslHandshake, 1, 1),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::InitProducerId, 0, 5),
    (ApiKey::DescribeAcls, 1, 3),
    (ApiKey::CreateAcls, 1, 3),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::SaslAuthenticate, 0, 2),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
];

/// The version range kwire implements for `key`, if any.
pub fn supported_versions(key: ApiKey) -> Option<VersionRange> {
    SUPPORTED
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|&(_, min, max)| VersionRange { min, max })
}

/// The version ranges one broker advertised in its ApiVersions response.
#[derive(Debug, Clone, Default)]
pub struct BrokerVersions {
    ranges: HashMap<i16, VersionRange>,
}

impl BrokerVersions {
    /// Collects the ranges of an ApiVersions response.
    pub fn from_response(resp: &ApiVersionsResponse) -> Self {
        let ranges = resp
            .api_keys
            .iter()
            .map(|k| {
                let range = VersionRange {
                    min: k.min_version,
                    max: k.max_version,
                };
                (k.api_key, range)
            })
            .collect();
        Self { ranges }
    }

    /// The broker's range for `key`, if it advertised one.
    pub fn broker_range(&self, key: ApiKey) -> Option<VersionRange> {
        self.ranges.get(&(key as i16)).copied()
    }

    /// The highest version both sides implement.
    pub fn negotiate(&self, key: ApiKey) -> Result<i16, ProtocolError> {
        let ours = supported_versions(key).ok_or(ProtocolError::NotImplemented { api: key })?;
        let broker = self.broker_range(key);
        match broker.map(|b| b.intersect(&ours)) {
            Some(common) if !common.is_empty() => Ok(common.max),
            _ => Err(ProtocolError::UnsupportedVersion {
                api: key,
                ours,
                broker,
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kafka_protocol::messages::api_versions_response::ApiVersion;

    /// Fails when the table names a version the kafka-protocol release cannot encode, e.g.
    /// after a downgrade, or when someone raises a cap past the generated code.
    #[test]
    fn table_within_kafka_protocol_versions() {
        for &(key, min, max) in SUPPORTED {
            let valid = key.valid_versions();
            assert!(min <= max, "{key:?}: empty range {min}..{max}");
            assert!(
                valid.min <= min && max <= valid.max,
                "{key:?}: kwire claims {min}..{max} but kafka-protocol supports {valid}"
            );
        }
    }

    #[test]
    fn no_duplicate_entries() {
        for (i, (a, _, _)) in SUPPORTED.iter().enumerate() {
            assert!(
                SUPPORTED[i + 1..].iter().all(|(b, _, _)| a != b),
                "{a:?} twice"
            );
        }
    }

    fn broker(ranges: &[(ApiKey, i16, i16)]) -> BrokerVersions {
        let keys = ranges
            .iter()
            .map(|&(k, min, max)| {
                ApiVersion::default()
                    .with_api_key(k as i16)
                    .with_min_version(min)
                    .with_max_version(max)
            })
            .collect();
        BrokerVersions::from_response(&ApiVersionsResponse::default().with_api_keys(keys))
    }

    #[test]
    fn picks_highest_common_version() {
        // Kafka 4.3 offers Fetch 4..18; kwire caps at 12.
        let b = broker(&[(ApiKey::Fetch, 4, 18), (ApiKey::Produce, 0, 11)]);
        assert_eq!(b.negotiate(ApiKey::Fetch).unwrap(), 12);
        assert_eq!(b.negotiate(ApiKey::Produce).unwrap(), 11);
    }

    #[test]
    fn reports_missing_and_disjoint_ranges() {
        let b = broker(&[(ApiKey::Produce, 0, 2)]);
        let err = b.negotiate(ApiKey::Produce).unwrap_err().to_string();
        assert!(err.contains("0..2") && err.contains("3..12"), "{err}");
        let err = b.negotiate(ApiKey::Fetch).unwrap_err().to_string();
        assert!(err.contains("broker offers nothing"), "{err}");
    }
}
