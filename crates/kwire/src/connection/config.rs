//! Client configuration: the subset of Kafka's client configs (Kafka documentation,
//! "Producer/Consumer/Admin Configs" and "Security") that the wire client needs.
//!
//! This is a plain struct. Parsing Kafka property files belongs to the `strait-config` crate;
//! the `mirror` crate maps its `security.protocol`, `ssl.*`, `sasl.*` and timeout settings
//! onto this struct.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Everything kwire needs to reach one cluster.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `host:port` pairs tried in order until one answers (`bootstrap.servers`).
    pub bootstrap_servers: Vec<String>,
    /// Sent in every request header (`client.id`).
    pub client_id: String,
    /// Alias used in error messages and logs, e.g. the MM2 cluster alias `A`.
    pub cluster_name: String,
    /// `security.protocol`.
    pub security: SecurityProtocol,
    /// TLS settings, used by [`SecurityProtocol::Ssl`] and [`SecurityProtocol::SaslSsl`].
    pub tls: TlsConfig,
    /// SASL credentials, required by the `Sasl*` protocols.
    pub sasl: Option<SaslConfig>,
    /// `request.timeout.ms` (default 30 s): how long one request may wait for its response.
    /// A timed-out request closes its connection, as Java's NetworkClient does.
    pub request_timeout: Duration,
    /// `socket.connection.setup.timeout.ms` (default 10 s): TCP + TLS + SASL setup.
    pub connect_timeout: Duration,
    /// `default.api.timeout.ms` (default 60 s): total time an operation keeps retrying
    /// retriable errors before giving up.
    pub api_timeout: Duration,
    /// `connections.max.idle.ms` (default 540 s, Kafka's default).
    pub connections_max_idle: Duration,
    /// `metadata.max.age.ms` (default 300 s): cached metadata older than this is refreshed.
    pub metadata_max_age: Duration,
    /// `reconnect.backoff.ms` (default 50 ms).
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms` (default 1 s).
    pub reconnect_backoff_max: Duration,
    /// `retry.backoff.ms` (default 100 ms): first pause before retrying a failed operation.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms` (default 1 s).
    pub retry_backoff_max: Duration,
    /// `socket.response.max.bytes` (default 256 MiB,
    /// [`MAX_FRAME_BYTES`](crate::protocol::MAX_FRAME_BYTES)): the client-side analogue of the
    /// broker's `socket.request.max.bytes`. A response frame announcing more bytes closes the
    /// connection with a fatal protocol error naming the broker, before anything is allocated
    /// for it. Keep it above `fetch.max.bytes`.
    pub socket_response_max_bytes: usize,
}

impl ClientConfig {
    /// A plaintext configuration with Kafka's default timeouts.
    pub fn new(bootstrap_servers: Vec<String>, cluster_name: impl Into<String>) -> Self {
        Self {
            bootstrap_servers,
            client_id: "strait".to_owned(),
            cluster_name: cluster_name.into(),
            security: SecurityProtocol::Plaintext,
            tls: TlsConfig::default(),
            sasl: None,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            api_timeout: Duration::from_secs(60),
            connections_max_idle: Duration::from_secs(540),
            metadata_max_age: Duration::from_secs(300),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_secs(1),
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_secs(1),
            socket_response_max_bytes: crate::protocol::MAX_FRAME_BYTES,
        }
    }
}

/// `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// No TLS, no SASL.
    #[default]
    Plaintext,
    /// TLS without SASL.
    Ssl,
    /// SASL over plain TCP.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Whether the connection is wrapped in TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }

    /// Whether the connection authenticates with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }
}

/// TLS settings (`ssl.*`).
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// Which certificate authorities to trust.
    pub ca: CaSource,
    /// Client certificate chain and key for mutual TLS.
    pub client_auth: Option<ClientCert>,
    /// Check that the broker certificate names the host we dialled. Kafka turns this off with
    /// an empty `ssl.endpoint.identification.algorithm`; the chain is still verified.
    pub verify_hostname: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            ca: CaSource::System,
            client_auth: None,
            verify_hostname: true,
        }
    }
}

/// Where trusted CA certificates come from.
#[derive(Debug, Clone, Default)]
pub enum CaSource {
    /// The operating system's store (via rustls-native-certs).
    #[default]
    System,
    /// A PEM file with one or more certificates (`ssl.truststore.location`, type PEM).
    PemFile(PathBuf),
    /// PEM text (`ssl.truststore.certificates`).
    PemInline(String),
}

/// PEM material given either as a path or inline.
#[derive(Clone)]
pub enum PemSource {
    /// A file holding PEM blocks.
    File(PathBuf),
    /// The PEM text itself. Inline keys are secret, so Debug never prints them.
    Inline(Secret),
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(p) => f.debug_tuple("File").field(p).finish(),
            PemSource::Inline(_) => f.write_str("Inline([redacted])"),
        }
    }
}

/// A client certificate chain and its private key (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted).
#[derive(Debug, Clone)]
pub struct ClientCert {
    /// The certificate chain, leaf first.
    pub cert_chain: PemSource,
    /// The private key.
    pub private_key: PemSource,
}

/// SASL settings (`sasl.mechanism` plus the username/password from `sasl.jaas.config`).
#[derive(Debug, Clone)]
pub struct SaslConfig {
    /// The mechanism.
    pub mechanism: SaslMechanism,
    /// The user name.
    pub username: String,
    /// The password; never printed.
    pub password: Secret,
}

/// Supported SASL mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    /// RFC 4616.
    Plain,
    /// RFC 5802 / RFC 7677 with SHA-256.
    ScramSha256,
    /// RFC 5802 with SHA-512.
    ScramSha512,
}

impl SaslMechanism {
    /// The name Kafka uses in `sasl.mechanism` and the SaslHandshake request.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A secret string (password, inline key). Its Debug and Display print `[redacted]`, so it can
/// sit in structs that are logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call sites are the few places that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let sasl = SaslConfig {
            mechanism: SaslMechanism::ScramSha512,
            username: "alice".into(),
            password: Secret::new("alice-secret"),
        };
        let shown = format!("{sasl:?} {}", sasl.password);
        assert!(!shown.contains("alice-secret"), "{shown}");
        assert!(shown.contains("[redacted]") && shown.contains("alice"));
        let pem = PemSource::Inline(Secret::new("-----BEGIN PRIVATE KEY-----"));
        assert!(!format!("{pem:?}").contains("PRIVATE"));
    }

    #[test]
    fn defaults_follow_kafka() {
        let c = ClientConfig::new(vec!["h:9092".into()], "A");
        assert_eq!(c.connections_max_idle, Duration::from_secs(540));
        assert_eq!(c.metadata_max_age, Duration::from_secs(300));
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        assert!(c.tls.verify_hostname);
        assert_eq!(c.socket_response_max_bytes, 256 * 1024 * 1024);
    }
}
