//! Broker error codes (Kafka protocol guide, "Protocol Error Codes"; Java's `Errors` and the
//! `RetriableException` / `InvalidMetadataException` hierarchy) mapped to what a client does.

use kafka_protocol::ResponseError;

/// What a client should do after a broker returned an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorAction {
    /// Transient: retry the same request after a backoff.
    Retry,
    /// The client's view of leaders is stale: refresh metadata, then retry.
    RefreshMetadata,
    /// The group/transaction coordinator moved or is unknown: look it up again, then retry.
    FindCoordinator,
    /// Retrying cannot help (authorization, invalid request, configuration, ...).
    Fatal,
}

impl ErrorAction {
    /// Whether the action involves retrying at all.
    pub fn is_retriable(self) -> bool {
        self != ErrorAction::Fatal
    }
}

/// Classifies a broker error code.
///
/// Mostly Java's classification: codes whose exception extends `InvalidMetadataException` ask
/// for a metadata refresh; the coordinator codes ask for a new FindCoordinator. kwire departs
/// from kafka-protocol's table where a retry storm would hide a real problem (all
/// authentication/authorization codes are fatal) and where the code is transient in practice
/// (`BROKER_NOT_AVAILABLE`, which Kafka marks non-retriable although it is a routing problem).
pub fn error_action(code: ResponseError) -> ErrorAction {
    use ResponseError as E;
    match code {
        E::NotLeaderOrFollower
        | E::LeaderNotAvailable
        | E::UnknownTopicOrPartition
        | E::FencedLeaderEpoch
        | E::UnknownLeaderEpoch
        | E::ReplicaNotAvailable
        | E::KafkaStorageError
        | E::NetworkException
        | E::ListenerNotFound
        | E::NotController
        | E::BrokerNotAvailable
        | E::UnknownTopicId
        | E::InconsistentTopicId
        | E::PreferredLeaderNotAvailable
        | E::EligibleLeadersNotAvailable => ErrorAction::RefreshMetadata,
        E::NotCoordinator | E::CoordinatorNotAvailable => ErrorAction::FindCoordinator,
        E::SaslAuthenticationFailed
        | E::TopicAuthorizationFailed
        | E::GroupAuthorizationFailed
        | E::ClusterAuthorizationFailed
        | E::TransactionalIdAuthorizationFailed
        | E::DelegationTokenAuthorizationFailed
        | E::UnsupportedSaslMechanism
        | E::IllegalSaslState
        | E::UnsupportedVersion => ErrorAction::Fatal,
        other if other.is_retriable() => ErrorAction::Retry,
        _ => ErrorAction::Fatal,
    }
}

/// Whether a raw error code is worth retrying.
pub fn is_retriable_code(code: ResponseError) -> bool {
    error_action(code).is_retriable()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ResponseError as E;

    #[test]
    fn leader_errors_refresh_metadata() {
        for e in [
            E::NotLeaderOrFollower,
            E::LeaderNotAvailable,
            E::UnknownTopicOrPartition,
            E::FencedLeaderEpoch,
        ] {
            assert_eq!(error_action(e), ErrorAction::RefreshMetadata, "{e:?}");
        }
    }

    #[test]
    fn transient_errors_retry() {
        for e in [
            E::CoordinatorLoadInProgress,
            E::RequestTimedOut,
            E::NotEnoughReplicas,
            E::NotEnoughReplicasAfterAppend,
            E::ThrottlingQuotaExceeded,
        ] {
            assert_eq!(error_action(e), ErrorAction::Retry, "{e:?}");
        }
        assert_eq!(
            error_action(E::NotCoordinator),
            ErrorAction::FindCoordinator
        );
    }

    #[test]
    fn security_and_config_errors_are_fatal() {
        for e in [
            E::SaslAuthenticationFailed,
            E::TopicAuthorizationFailed,
            E::GroupAuthorizationFailed,
            E::ClusterAuthorizationFailed,
            E::InvalidConfig,
            E::InvalidReplicationFactor,
            E::MessageTooLarge,
            E::Unknown(9999),
        ] {
            assert_eq!(error_action(e), ErrorAction::Fatal, "{e:?}");
            assert!(!is_retriable_code(e));
        }
    }
}
