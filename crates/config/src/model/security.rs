//! Client security settings as Kafka clients read them (`security.protocol`, `ssl.*` per
//! KIP-651 PEM stores, `sasl.mechanism` / `sasl.jaas.config` per KIP-85/KIP-86): the typed
//! view of one client's properties, with every password kept as a [`Secret`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::document::error::{ConfigError, Location};
use crate::document::value::{Secret, Value, ValueMap};
use crate::model::jaas::{self, LoginFlag};
use crate::model::typed::Reader;

/// `security.protocol`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum SecurityProtocol {
    /// No TLS, no SASL (Kafka's default).
    #[default]
    #[serde(rename = "PLAINTEXT")]
    Plaintext,
    /// TLS.
    #[serde(rename = "SSL")]
    Ssl,
    /// SASL without TLS.
    #[serde(rename = "SASL_PLAINTEXT")]
    SaslPlaintext,
    /// SASL over TLS.
    #[serde(rename = "SASL_SSL")]
    SaslSsl,
}

impl SecurityProtocol {
    /// Kafka's name.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// TLS on the connection.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// SASL authentication.
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// Keystore / truststore format (`ssl.*.type`; Kafka's default is JKS).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum StoreType {
    /// Java KeyStore.
    #[default]
    #[serde(rename = "JKS")]
    Jks,
    /// PKCS#12.
    #[serde(rename = "PKCS12")]
    Pkcs12,
    /// PEM (file or inline, KIP-651).
    #[serde(rename = "PEM")]
    Pem,
}

impl StoreType {
    /// Kafka's name (`JKS`, `PKCS12`, `PEM`).
    pub fn name(self) -> &'static str {
        match self {
            StoreType::Jks => "JKS",
            StoreType::Pkcs12 => "PKCS12",
            StoreType::Pem => "PEM",
        }
    }
}

/// Where certificates come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustSource {
    /// `ssl.truststore.location`.
    Location(PathBuf),
    /// `ssl.truststore.certificates` (inline PEM; public data).
    InlinePem(String),
}

/// `ssl.truststore.*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustStore {
    /// `ssl.truststore.type`.
    pub store_type: StoreType,
    /// Location or inline certificates.
    pub source: TrustSource,
    /// `ssl.truststore.password`.
    pub password: Option<Secret>,
}

/// Where the client certificate and key come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `ssl.keystore.location`.
    Location(PathBuf),
    /// `ssl.keystore.certificate.chain` + `ssl.keystore.key` (inline PEM).
    InlinePem {
        /// Certificate chain (public).
        certificate_chain: String,
        /// Private key.
        key: Secret,
    },
}

/// `ssl.keystore.*` (client authentication).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyStore {
    /// `ssl.keystore.type`.
    pub store_type: StoreType,
    /// Location or inline PEM.
    pub source: KeySource,
    /// `ssl.keystore.password`.
    pub password: Option<Secret>,
    /// `ssl.key.password`.
    pub key_password: Option<Secret>,
}

/// TLS settings (only when the protocol uses TLS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslConfig {
    /// `None`: the system / webpki roots.
    pub truststore: Option<TrustStore>,
    /// `None`: no client certificate.
    pub keystore: Option<KeyStore>,
    /// `ssl.endpoint.identification.algorithm`: `https` (default) → on, empty → off.
    pub endpoint_identification: bool,
    /// Every other `ssl.*` key (protocols, cipher suites, …), unprefixed.
    pub other: ValueMap,
}

/// `sasl.mechanism` (Kafka's default is GSSAPI).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum SaslMechanism {
    /// `PLAIN`
    #[serde(rename = "PLAIN")]
    Plain,
    /// `SCRAM-SHA-256`
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    /// `SCRAM-SHA-512`
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
    /// `OAUTHBEARER`
    #[serde(rename = "OAUTHBEARER")]
    OAuthBearer,
    /// `GSSAPI` (Kerberos)
    #[serde(rename = "GSSAPI")]
    Gssapi,
    /// Anything else, kept by name.
    #[serde(untagged)]
    Other(String),
}

impl SaslMechanism {
    fn parse(name: &str) -> Self {
        match name {
            "PLAIN" => SaslMechanism::Plain,
            "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
            "SCRAM-SHA-512" => SaslMechanism::ScramSha512,
            "OAUTHBEARER" => SaslMechanism::OAuthBearer,
            "GSSAPI" => SaslMechanism::Gssapi,
            other => SaslMechanism::Other(other.to_owned()),
        }
    }

    /// Kafka's name.
    pub fn name(&self) -> &str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
            SaslMechanism::Gssapi => "GSSAPI",
            SaslMechanism::Other(s) => s,
        }
    }

    fn needs_password(&self) -> bool {
        matches!(
            self,
            SaslMechanism::Plain | SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512
        )
    }
}

/// Which username/password login module a JAAS config uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CredentialModule {
    /// `org.apache.kafka.common.security.plain.PlainLoginModule`
    Plain,
    /// `org.apache.kafka.common.security.scram.ScramLoginModule`
    Scram,
}

/// `sasl.jaas.config`, parsed where strait understands it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Jaas {
    /// PlainLoginModule / ScramLoginModule: username and password.
    Credentials {
        /// Which module.
        module: CredentialModule,
        /// Control flag.
        flag: LoginFlag,
        /// `username`.
        username: String,
        /// `password`.
        password: Secret,
    },
    /// Any other login module (OAUTHBEARER, Kerberos, custom): the class and the raw text.
    Other {
        /// Login module class.
        module: String,
        /// The whole `sasl.jaas.config` value.
        raw: Secret,
    },
}

/// SASL settings (only when the protocol uses SASL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslConfig {
    /// `sasl.mechanism`.
    pub mechanism: SaslMechanism,
    /// `sasl.jaas.config`, if set.
    pub jaas: Option<Jaas>,
    /// Every other `sasl.*` key (OAuth endpoints, Kerberos service name, …), unprefixed.
    pub other: ValueMap,
}

/// Security of one client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecurityConfig {
    /// `security.protocol`.
    pub protocol: SecurityProtocol,
    /// TLS, when `protocol` uses it.
    pub ssl: Option<SslConfig>,
    /// SASL, when `protocol` uses it.
    pub sasl: Option<SaslConfig>,
}

/// Reads the security settings out of one client's effective (unprefixed) properties.
pub(crate) fn parse_security(file: &str, map: &ValueMap) -> Result<SecurityConfig, ConfigError> {
    let r = Reader::new(file, map);
    let protocol = r.choice_or(
        "security.protocol",
        SecurityProtocol::Plaintext,
        &[
            ("PLAINTEXT", SecurityProtocol::Plaintext),
            ("SSL", SecurityProtocol::Ssl),
            ("SASL_PLAINTEXT", SecurityProtocol::SaslPlaintext),
            ("SASL_SSL", SecurityProtocol::SaslSsl),
        ],
    )?;
    let ssl = if protocol.uses_tls() {
        Some(parse_ssl(&r)?)
    } else {
        None
    };
    let sasl = if protocol.uses_sasl() {
        Some(parse_sasl(&r)?)
    } else {
        None
    };
    Ok(SecurityConfig {
        protocol,
        ssl,
        sasl,
    })
}

/// The key a user should set next to the line that set `security.protocol`.
fn sibling_key(r: &Reader<'_>, key: &str) -> Location {
    let (prefix, line) = match r.get("security.protocol").map(Value::origin) {
        Some(crate::document::value::Origin::Line { key: k, line }) => (
            k.strip_suffix("security.protocol").unwrap_or("").to_owned(),
            *line,
        ),
        _ => (String::new(), 0),
    };
    Location::new(r.file, line, format!("{prefix}{key}"))
}

fn store_type(r: &Reader<'_>, key: &str) -> Result<StoreType, ConfigError> {
    r.choice_or(
        key,
        StoreType::Jks,
        &[
            ("JKS", StoreType::Jks),
            ("PKCS12", StoreType::Pkcs12),
            ("PEM", StoreType::Pem),
        ],
    )
}

fn both_set(r: &Reader<'_>, a: &str, b: &str) -> Result<(), ConfigError> {
    match (r.get(a), r.get(b)) {
        (Some(_), Some(vb)) => Err(ConfigError::invalid(
            r.file,
            vb,
            b,
            format!("either `{a}` or `{b}`, not both"),
        )),
        _ => Ok(()),
    }
}

fn require_pem(
    r: &Reader<'_>,
    t: StoreType,
    inline_key: &str,
    type_key: &str,
) -> Result<(), ConfigError> {
    match r.get(inline_key) {
        Some(v) if t != StoreType::Pem => Err(ConfigError::invalid(
            r.file,
            v,
            inline_key,
            format!("`{type_key}=PEM` alongside inline PEM certificates"),
        )),
        _ => Ok(()),
    }
}

fn parse_truststore(r: &Reader<'_>) -> Result<Option<TrustStore>, ConfigError> {
    both_set(r, "ssl.truststore.location", "ssl.truststore.certificates")?;
    let store_type = store_type(r, "ssl.truststore.type")?;
    require_pem(
        r,
        store_type,
        "ssl.truststore.certificates",
        "ssl.truststore.type",
    )?;
    let source = if let Some(v) = r.get("ssl.truststore.location") {
        TrustSource::Location(PathBuf::from(v.expose().trim()))
    } else if let Some(v) = r.get("ssl.truststore.certificates") {
        TrustSource::InlinePem(v.expose().trim().to_owned())
    } else {
        return Ok(None);
    };
    let password = r.get("ssl.truststore.password").map(Value::to_secret);
    Ok(Some(TrustStore {
        store_type,
        source,
        password,
    }))
}

fn parse_keystore(r: &Reader<'_>) -> Result<Option<KeyStore>, ConfigError> {
    both_set(r, "ssl.keystore.location", "ssl.keystore.key")?;
    let store_type = store_type(r, "ssl.keystore.type")?;
    require_pem(r, store_type, "ssl.keystore.key", "ssl.keystore.type")?;
    let source = match (
        r.get("ssl.keystore.location"),
        r.get("ssl.keystore.key"),
        r.get("ssl.keystore.certificate.chain"),
    ) {
        (Some(loc), _, _) => KeySource::Location(PathBuf::from(loc.expose().trim())),
        (None, Some(key), Some(chain)) => KeySource::InlinePem {
            certificate_chain: chain.expose().trim().to_owned(),
            key: key.to_secret(),
        },
        (None, Some(key), None) => {
            return Err(ConfigError::Missing {
                at: Location::of(r.file, key, "ssl.keystore.key")
                    .with_key_suffix("ssl.keystore.key", "ssl.keystore.certificate.chain"),
                expected: "the PEM certificate chain that goes with `ssl.keystore.key`".into(),
            });
        }
        (None, None, _) => return Ok(None),
    };
    Ok(Some(KeyStore {
        store_type,
        source,
        password: r.get("ssl.keystore.password").map(Value::to_secret),
        key_password: r.get("ssl.key.password").map(Value::to_secret),
    }))
}

const SSL_TYPED: &[&str] = &[
    "ssl.truststore.location",
    "ssl.truststore.certificates",
    "ssl.truststore.type",
    "ssl.truststore.password",
    "ssl.keystore.location",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.type",
    "ssl.keystore.password",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
];

fn others(r: &Reader<'_>, prefix: &str, typed: &[&str]) -> ValueMap {
    r.map
        .iter()
        .filter(|(k, _)| k.starts_with(prefix) && !typed.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn parse_ssl(r: &Reader<'_>) -> Result<SslConfig, ConfigError> {
    let key = "ssl.endpoint.identification.algorithm";
    let endpoint_identification = match r.get(key) {
        None => true,
        Some(v) if v.expose().trim().is_empty() => false,
        Some(v) if v.expose().trim().eq_ignore_ascii_case("https") => true,
        Some(v) => {
            return Err(ConfigError::invalid(
                r.file,
                v,
                key,
                "`https` (verify the broker host name) or empty (do not verify)",
            ));
        }
    };
    Ok(SslConfig {
        truststore: parse_truststore(r)?,
        keystore: parse_keystore(r)?,
        endpoint_identification,
        other: others(r, "ssl.", SSL_TYPED),
    })
}

fn parse_sasl(r: &Reader<'_>) -> Result<SaslConfig, ConfigError> {
    let mechanism = SaslMechanism::parse(&r.str_or("sasl.mechanism", "GSSAPI"));
    let jaas = match r.get("sasl.jaas.config") {
        Some(v) => Some(parse_jaas_value(r.file, v)?),
        None if mechanism.needs_password() => {
            return Err(ConfigError::Missing {
                at: sibling_key(r, "sasl.jaas.config"),
                expected: format!(
                    "a JAAS login module with the username and password for SASL {} \
                     (strait has no JVM-wide JAAS file), e.g. {} required \
                     username=\"…\" password=\"…\";",
                    mechanism.name(),
                    if mechanism == SaslMechanism::Plain {
                        "org.apache.kafka.common.security.plain.PlainLoginModule"
                    } else {
                        "org.apache.kafka.common.security.scram.ScramLoginModule"
                    }
                ),
            });
        }
        None => None,
    };
    Ok(SaslConfig {
        mechanism,
        jaas,
        other: others(r, "sasl.", &["sasl.mechanism", "sasl.jaas.config"]),
    })
}

fn parse_jaas_value(file: &str, v: &Value) -> Result<Jaas, ConfigError> {
    let key = "sasl.jaas.config";
    let module = jaas::parse(v.expose()).map_err(|reason| {
        ConfigError::invalid(file, v, key, format!("a JAAS login module: {reason}"))
    })?;
    let credential = if module.class.ends_with(".PlainLoginModule") {
        Some(CredentialModule::Plain)
    } else if module.class.ends_with(".ScramLoginModule") {
        Some(CredentialModule::Scram)
    } else {
        None
    };
    let Some(cred) = credential else {
        return Ok(Jaas::Other {
            module: module.class,
            raw: v.to_secret(),
        });
    };
    match (
        module.options.get("username"),
        module.options.get("password"),
    ) {
        (Some(u), Some(p)) => Ok(Jaas::Credentials {
            module: cred,
            flag: module.flag,
            username: u.clone(),
            password: Secret::new(p.clone()),
        }),
        _ => Err(ConfigError::invalid(
            file,
            v,
            key,
            format!(
                "{} with both username=\"…\" and password=\"…\"",
                module.class
            ),
        )),
    }
}

/// Convenience for summaries: other settings as shown strings.
pub(crate) fn shown(map: &ValueMap) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| (k.clone(), v.shown().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::value::Origin;

    fn map(entries: &[(&str, &str)]) -> ValueMap {
        entries
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                let key = format!("B.{k}");
                (
                    (*k).to_owned(),
                    Value::for_key(k, *v, Origin::line(key, i + 1)),
                )
            })
            .collect()
    }

    #[test]
    fn plaintext_default() {
        let s = parse_security("f", &ValueMap::new()).expect("ok");
        assert_eq!(s.protocol, SecurityProtocol::Plaintext);
        assert!(s.ssl.is_none() && s.sasl.is_none());
    }

    #[test]
    fn eventhubs_style() {
        let m = map(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required \
                 username=\"$ConnectionString\" password=\"Endpoint=sb://n/;K=v\";",
            ),
        ]);
        let s = parse_security("f", &m).expect("ok");
        assert_eq!(s.protocol, SecurityProtocol::SaslSsl);
        let ssl = s.ssl.expect("tls");
        assert!(ssl.endpoint_identification && ssl.truststore.is_none());
        let sasl = s.sasl.expect("sasl");
        assert_eq!(sasl.mechanism, SaslMechanism::Plain);
        match sasl.jaas {
            Some(Jaas::Credentials {
                username,
                password,
                module,
                ..
            }) => {
                assert_eq!(username, "$ConnectionString");
                assert_eq!(password.expose(), "Endpoint=sb://n/;K=v");
                assert_eq!(module, CredentialModule::Plain);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_jaas_points_at_protocol_line() {
        let m = map(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
        ]);
        let e = parse_security("f", &m).expect_err("missing");
        assert!(
            e.to_string()
                .starts_with("f:1: `B.sasl.jaas.config` is missing"),
            "{e}"
        );
    }

    #[test]
    fn pem_stores() {
        let m = map(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----"),
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----"),
            (
                "ssl.keystore.certificate.chain",
                "-----BEGIN CERTIFICATE-----",
            ),
            ("ssl.endpoint.identification.algorithm", ""),
            ("ssl.enabled.protocols", "TLSv1.3"),
        ]);
        let ssl = parse_security("f", &m).expect("ok").ssl.expect("tls");
        assert!(!ssl.endpoint_identification);
        assert!(matches!(
            ssl.truststore.expect("ts").source,
            TrustSource::InlinePem(_)
        ));
        assert!(matches!(
            ssl.keystore.expect("ks").source,
            KeySource::InlinePem { .. }
        ));
        assert!(ssl.other.contains_key("ssl.enabled.protocols"));
    }

    #[test]
    fn invalid_combinations() {
        let inline_jks = map(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.certificates", "x"),
        ]);
        assert!(parse_security("f", &inline_jks).is_err());
        let bad_proto = map(&[("security.protocol", "TLS")]);
        let e = parse_security("f", &bad_proto).expect_err("bad");
        assert!(
            e.to_string()
                .contains("one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
        );
        let bad_jaas = map(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "x.PlainLoginModule required username=\"u\";",
            ),
        ]);
        assert!(parse_security("f", &bad_jaas).is_err());
    }
}
