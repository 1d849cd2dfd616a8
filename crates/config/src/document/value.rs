//! Configuration values with provenance, and the [`Secret`] newtype that keeps passwords,
//! JAAS configs, private keys and tokens out of logs and `validate` output
//! (secrets never appear in logs or `validate` output).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

/// What a redacted value prints as.
pub const REDACTED: &str = "[redacted]";

/// A secret string. `Debug`, `Display` and `Serialize` print `[redacted]`; the only way to
/// read it is [`Secret::expose`], so a leak needs a visible call at the leak site.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for handing to a TLS or SASL layer. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

/// Where a value came from: a line of the input, or a default filled in by MM2 or strait.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Written by the user: the key as written (with any cluster or flow prefix) and the
    /// 1-based line where its logical line starts.
    Line {
        /// The key exactly as written in the file.
        key: String,
        /// 1-based line number.
        line: usize,
    },
    /// A default value (MM2's, Connect's or strait's).
    Default,
}

impl Origin {
    /// An origin for `key` written at `line`.
    pub fn line(key: impl Into<String>, line: usize) -> Self {
        Origin::Line {
            key: key.into(),
            line,
        }
    }

    /// The line, or 0 for defaults.
    pub fn line_number(&self) -> usize {
        match self {
            Origin::Line { line, .. } => *line,
            Origin::Default => 0,
        }
    }

    /// The key as the user wrote it, if the user wrote it.
    pub fn key(&self) -> Option<&str> {
        match self {
            Origin::Line { key, .. } => Some(key),
            Origin::Default => None,
        }
    }
}

/// One configuration value: its text, whether it is sensitive, and where it came from.
/// Sensitive values print as `[redacted]` through `Debug`, [`Value::shown`] and `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Value {
    text: String,
    sensitive: bool,
    origin: Origin,
}

impl Value {
    /// A value for `key`; sensitivity is decided from the key name ([`is_secret_key`]).
    pub fn for_key(key: &str, text: impl Into<String>, origin: Origin) -> Self {
        Self {
            text: text.into(),
            sensitive: is_secret_key(key),
            origin,
        }
    }

    /// A non-sensitive default value.
    pub fn default_value(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            sensitive: false,
            origin: Origin::Default,
        }
    }

    /// The text. For sensitive values this is the secret itself: do not log it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The text for display: `[redacted]` when sensitive.
    pub fn shown(&self) -> &str {
        if self.sensitive { REDACTED } else { &self.text }
    }

    /// The text for an error message: `None` when sensitive, so errors never echo secrets.
    pub fn for_error(&self) -> Option<String> {
        (!self.sensitive).then(|| self.text.clone())
    }

    /// Whether the value is a secret.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// Where the value came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The value as a [`Secret`].
    pub fn to_secret(&self) -> Secret {
        Secret::new(self.text.clone())
    }

    /// Same provenance, the text a `${provider:...}` reference resolved to. Always
    /// sensitive, whatever the key: providers exist to keep values out of the file.
    pub(crate) fn resolved(&self, text: String) -> Self {
        Self {
            text,
            sensitive: true,
            origin: self.origin.clone(),
        }
    }

    /// Same provenance, new text (a value rewritten from another, e.g. MM1's whitelist).
    pub(crate) fn with_text(&self, text: String, key: &str) -> Self {
        Self {
            text,
            sensitive: self.sensitive || is_secret_key(key),
            origin: self.origin.clone(),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.shown())?;
        if let Origin::Line { line, .. } = &self.origin {
            write!(f, "@{line}")?;
        }
        Ok(())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.shown())
    }
}

/// An ordered key → value map (client properties, raw connector settings).
pub type ValueMap = BTreeMap<String, Value>;

/// True for keys whose values are secrets: anything ending in `password`, JAAS configs,
/// private keys (`ssl.keystore.key`), and keys naming a secret, token or credential.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let last = key.rsplit('.').next().unwrap_or(&key);
    key.ends_with("password")
        || key.ends_with("jaas.config")
        || key.ends_with("ssl.keystore.key")
        || key.ends_with("user.info")
        || key.contains("secret")
        || matches!(last, "token" | "credentials" | "apikey" | "api_key")
        || key.ends_with("access.token")
        || key.ends_with("refresh.token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_everywhere() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(
            serde_json::to_string(&s).expect("serialize"),
            "\"[redacted]\""
        );
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn sensitive_values_redact() {
        let v = Value::for_key(
            "B.sasl.jaas.config",
            "x password=\"p\";",
            Origin::line("k", 3),
        );
        assert!(v.is_sensitive());
        assert_eq!(v.shown(), REDACTED);
        assert!(!format!("{v:?}").contains("password"));
        assert_eq!(v.for_error(), None);
        let plain = Value::for_key("bootstrap.servers", "h:1", Origin::Default);
        assert_eq!(plain.shown(), "h:1");
    }

    #[test]
    fn secret_key_names() {
        for k in [
            "ssl.truststore.password",
            "A.ssl.keystore.password",
            "ssl.key.password",
            "sasl.jaas.config",
            "B.producer.sasl.jaas.config",
            "ssl.keystore.key",
            "sasl.oauthbearer.client.credentials.client.secret",
            "basic.auth.user.info",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "bootstrap.servers",
            "ssl.truststore.location",
            "ssl.truststore.certificates",
            "ssl.keystore.certificate.chain",
            "sasl.mechanism",
            "sasl.oauthbearer.token.endpoint.url",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }
}
