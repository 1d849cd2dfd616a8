//! SASL authentication over Kafka framing (KIP-43 SaslHandshake v1, KIP-152
//! SaslAuthenticate, KIP-368 session lifetime) with PLAIN (RFC 4616) and SCRAM (KIP-84).
//!
//! A rejected credential is final: the error names cluster, broker, mechanism and user, and
//! neither it nor any log line contains the password.

mod scram;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;
use tokio::time::Instant;

use super::config::{SaslConfig, SaslMechanism};
use super::error::ConnectionError;
use super::messenger::Messenger;
use scram::{ScramClient, ScramHash};

/// Authenticates `m` with `sasl`. Returns the broker's session lifetime when it set one.
pub(crate) async fn authenticate(
    m: &Arc<Messenger>,
    sasl: &SaslConfig,
) -> Result<Option<Duration>, ConnectionError> {
    handshake(m, sasl).await?;
    let lifetime = match sasl.mechanism {
        SaslMechanism::Plain => plain(m, sasl).await?,
        SaslMechanism::ScramSha256 => scram(m, sasl, ScramHash::Sha256).await?,
        SaslMechanism::ScramSha512 => scram(m, sasl, ScramHash::Sha512).await?,
    };
    tracing::debug!(
        cluster = %m.endpoint().cluster,
        addr = %m.endpoint().addr,
        mechanism = sasl.mechanism.name(),
        user = %sasl.username,
        "SASL authentication succeeded"
    );
    if let Some(l) = lifetime {
        // Stop handing the connection out a little before the broker would cut it.
        m.set_expiry(Instant::now() + l.mul_f64(0.85));
    }
    Ok(lifetime)
}

async fn handshake(m: &Arc<Messenger>, sasl: &SaslConfig) -> Result<(), ConnectionError> {
    let req = SaslHandshakeRequest::default()
        .with_mechanism(StrBytes::from_static_str(sasl.mechanism.name()));
    let resp = m.send(&req).await?;
    match ResponseError::try_from_code(resp.error_code) {
        None => Ok(()),
        Some(ResponseError::UnsupportedSaslMechanism) => {
            let enabled: Vec<&str> = resp.mechanisms.iter().map(|s| s.as_str()).collect();
            Err(ConnectionError::SaslMechanismDisabled {
                endpoint: m.endpoint().clone(),
                mechanism: sasl.mechanism,
                enabled: enabled.join(", "),
            })
        }
        Some(other) => Err(auth_failed(m, sasl, other.to_string())),
    }
}

async fn plain(m: &Arc<Messenger>, sasl: &SaslConfig) -> Result<Option<Duration>, ConnectionError> {
    // RFC 4616: [authzid] NUL authcid NUL passwd, with an empty authzid.
    let mut token = Vec::with_capacity(sasl.username.len() + sasl.password.expose().len() + 2);
    token.push(0);
    token.extend_from_slice(sasl.username.as_bytes());
    token.push(0);
    token.extend_from_slice(sasl.password.expose().as_bytes());
    let (_, lifetime) = exchange(m, sasl, Bytes::from(token)).await?;
    Ok(lifetime)
}

async fn scram(
    m: &Arc<Messenger>,
    sasl: &SaslConfig,
    hash: ScramHash,
) -> Result<Option<Duration>, ConnectionError> {
    let client = ScramClient::new(hash, &sasl.username, None);
    let first = Bytes::from(client.client_first().into_bytes());
    let (server_first, _) = exchange(m, sasl, first).await?;
    let server_first = utf8(m, sasl, &server_first)?;
    // PBKDF2 takes milliseconds of CPU per connection: keep it off the async threads.
    let password = sasl.password.clone();
    let (client_final, check) =
        tokio::task::spawn_blocking(move || client.client_final(&server_first, password.expose()))
            .await
            .map_err(|_| auth_failed(m, sasl, "SCRAM key derivation did not finish".into()))?
            .map_err(|e| auth_failed(m, sasl, e.to_string()))?;
    let (server_final, lifetime) =
        exchange(m, sasl, Bytes::from(client_final.into_bytes())).await?;
    check
        .verify(&utf8(m, sasl, &server_final)?)
        .map_err(|e| auth_failed(m, sasl, e.to_string()))?;
    Ok(lifetime)
}

/// One SaslAuthenticate round trip: our token out, the server's token and lifetime back.
async fn exchange(
    m: &Arc<Messenger>,
    sasl: &SaslConfig,
    token: Bytes,
) -> Result<(Bytes, Option<Duration>), ConnectionError> {
    let resp = m
        .send(&SaslAuthenticateRequest::default().with_auth_bytes(token))
        .await?;
    if let Some(code) = ResponseError::try_from_code(resp.error_code) {
        let detail = match resp.error_message {
            Some(msg) if !msg.is_empty() => msg.to_string(),
            _ => code.to_string(),
        };
        return Err(auth_failed(m, sasl, detail));
    }
    let lifetime = u64::try_from(resp.session_lifetime_ms)
        .ok()
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis);
    Ok((resp.auth_bytes, lifetime))
}

fn utf8(m: &Messenger, sasl: &SaslConfig, b: &Bytes) -> Result<String, ConnectionError> {
    String::from_utf8(b.to_vec())
        .map_err(|_| auth_failed(m, sasl, "server sent a non-UTF-8 SCRAM message".into()))
}

fn auth_failed(m: &Messenger, sasl: &SaslConfig, detail: String) -> ConnectionError {
    ConnectionError::Authentication {
        endpoint: m.endpoint().clone(),
        mechanism: sasl.mechanism,
        username: sasl.username.clone(),
        detail: redact(&detail, sasl.password.expose()),
    }
}

/// Removes any echo of the password from a broker message before it reaches an error or log.
fn redact(text: &str, password: &str) -> String {
    if password.is_empty() {
        text.to_owned()
    } else {
        text.replace(password, "[redacted]")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_password_echoes() {
        assert_eq!(
            redact("bad password hunter2 for alice", "hunter2"),
            "bad password [redacted] for alice"
        );
        assert_eq!(redact("no echo", ""), "no echo");
    }
}
