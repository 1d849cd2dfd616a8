//! SCRAM client (RFC 5802, SHA-256 per RFC 7677 and SHA-512), as Kafka uses it (KIP-84):
//! no channel binding (`n,,`), user names escaped `=2C`/`=3D`, passwords sent as UTF-8
//! without SASLprep (matching Kafka's Java `ScramFormatter`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// Kafka refuses to store SCRAM credentials with fewer iterations (RFC 7677 recommends the
/// same floor); a server asking for fewer is misconfigured or hostile.
const MIN_ITERATIONS: u32 = 4096;
/// Kafka's maximum (its `ScramMechanism` accepts 4096..=16384), so no Kafka broker asks for
/// more; a server that does would make every connection burn CPU.
const MAX_ITERATIONS: u32 = 16384;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScramHash {
    Sha256,
    Sha512,
}

impl ScramHash {
    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
            ScramHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so the constructors cannot fail.
        match self {
            ScramHash::Sha256 => match Hmac::<Sha256>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(data);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
            ScramHash::Sha512 => match Hmac::<Sha512>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(data);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
        }
    }

    fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
                out.to_vec()
            }
            ScramHash::Sha512 => {
                let mut out = [0u8; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
                out.to_vec()
            }
        }
    }
}

/// A malformed or failed SCRAM exchange. Messages never include the password or proofs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ScramError {
    #[error("malformed server message: {0}")]
    Malformed(&'static str),
    #[error("server nonce does not extend the client nonce")]
    NonceMismatch,
    #[error(
        "server asked for {0} PBKDF2 iterations; Kafka's SCRAM allows \
         {MIN_ITERATIONS} to {MAX_ITERATIONS}"
    )]
    Iterations(u32),
    #[error("server reported: {0}")]
    Server(String),
    #[error("server signature does not match: the server does not know the password")]
    BadServerSignature,
}

/// Client side of one SCRAM exchange.
#[derive(Debug)]
pub(crate) struct ScramClient {
    hash: ScramHash,
    client_first_bare: String,
    client_nonce: String,
}

/// What the client must check in the server's final message.
#[derive(Debug)]
pub(crate) struct ServerFinalCheck {
    expected_signature: Vec<u8>,
}

impl ScramClient {
    /// Starts an exchange. `nonce` is fixed in tests; otherwise 24 random bytes in base64.
    pub(crate) fn new(hash: ScramHash, username: &str, nonce: Option<String>) -> Self {
        let client_nonce = nonce.unwrap_or_else(|| B64.encode(rand::random::<[u8; 24]>()));
        let user = username.replace('=', "=3D").replace(',', "=2C");
        Self {
            hash,
            client_first_bare: format!("n={user},r={client_nonce}"),
            client_nonce,
        }
    }

    /// `client-first-message`: GS2 header without channel binding plus the bare part.
    pub(crate) fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// Answers the server's first message with `client-final-message`.
    pub(crate) fn client_final(
        &self,
        server_first: &str,
        password: &str,
    ) -> Result<(String, ServerFinalCheck), ScramError> {
        let (nonce, salt, iterations) = parse_server_first(server_first)?;
        if !nonce.starts_with(&self.client_nonce) || nonce.len() == self.client_nonce.len() {
            return Err(ScramError::NonceMismatch);
        }
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(ScramError::Iterations(iterations));
        }
        let h = self.hash;
        let salted = h.salted_password(password.as_bytes(), &salt, iterations);
        let client_key = h.hmac(&salted, b"Client Key");
        let stored_key = h.hash(&client_key);
        // "biws" is base64("n,,"), the GS2 header echoed back.
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = h.hmac(&salted, b"Server Key");
        let check = ServerFinalCheck {
            expected_signature: h.hmac(&server_key, auth_message.as_bytes()),
        };
        Ok((format!("{without_proof},p={}", B64.encode(proof)), check))
    }
}

impl ServerFinalCheck {
    /// Verifies `server-final-message`, proving the server knew our credentials too.
    pub(crate) fn verify(&self, server_final: &str) -> Result<(), ScramError> {
        let first = server_final.split(',').next().unwrap_or_default();
        if let Some(err) = first.strip_prefix("e=") {
            return Err(ScramError::Server(err.to_owned()));
        }
        let sig = first
            .strip_prefix("v=")
            .ok_or(ScramError::Malformed("server-final lacks v="))?;
        let sig = B64
            .decode(sig)
            .map_err(|_| ScramError::Malformed("server signature is not base64"))?;
        if sig == self.expected_signature {
            Ok(())
        } else {
            Err(ScramError::BadServerSignature)
        }
    }
}

fn parse_server_first(msg: &str) -> Result<(String, Vec<u8>, u32), ScramError> {
    if msg.starts_with("m=") {
        return Err(ScramError::Malformed("mandatory extension not supported"));
    }
    if let Some(err) = msg.strip_prefix("e=") {
        return Err(ScramError::Server(err.to_owned()));
    }
    let (mut nonce, mut salt, mut iterations) = (None, None, None);
    for attr in msg.split(',') {
        match attr.split_at_checked(2) {
            Some(("r=", v)) => nonce = Some(v.to_owned()),
            Some(("s=", v)) => {
                let s = B64
                    .decode(v)
                    .map_err(|_| ScramError::Malformed("salt is not base64"))?;
                salt = Some(s);
            }
            Some(("i=", v)) => {
                let i = v
                    .parse()
                    .map_err(|_| ScramError::Malformed("iteration count is not a number"))?;
                iterations = Some(i);
            }
            _ => {} // extensions we do not use
        }
    }
    Ok((
        nonce.ok_or(ScramError::Malformed("server-first lacks r="))?,
        salt.ok_or(ScramError::Malformed("server-first lacks s="))?,
        iterations.ok_or(ScramError::Malformed("server-first lacks i="))?,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // RFC 7677 section 3: user "user", password "pencil".
    const NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
    const SERVER_FIRST: &str = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                                s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                                p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    #[test]
    fn rfc7677_sha256_vector() {
        let c = ScramClient::new(ScramHash::Sha256, "user", Some(NONCE.into()));
        assert_eq!(c.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let (fin, check) = c.client_final(SERVER_FIRST, "pencil").unwrap();
        assert_eq!(fin, CLIENT_FINAL);
        check.verify(SERVER_FINAL).unwrap();
        assert_eq!(
            check.verify("v=AAAA").unwrap_err(),
            ScramError::BadServerSignature
        );
    }

    #[test]
    fn sha512_round_trip_against_independent_server_math() {
        let c = ScramClient::new(ScramHash::Sha512, "al,i=ce", Some("abc".into()));
        assert_eq!(c.client_first(), "n,,n=al=2Ci=3Dce,r=abc");
        let server_first = "r=abcXYZ,s=c2FsdA==,i=4096";
        let (fin, check) = c.client_final(server_first, "secret").unwrap();
        // Recompute as a server would, from the stored key.
        let h = ScramHash::Sha512;
        let salted = h.salted_password(b"secret", b"salt", 4096);
        let stored = h.hash(&h.hmac(&salted, b"Client Key"));
        let auth = format!("n=al=2Ci=3Dce,r=abc,{server_first},c=biws,r=abcXYZ");
        let sig = h.hmac(&stored, auth.as_bytes());
        let proof = B64.decode(fin.rsplit_once(",p=").unwrap().1).unwrap();
        let client_key: Vec<u8> = proof.iter().zip(&sig).map(|(a, b)| a ^ b).collect();
        assert_eq!(h.hash(&client_key), stored);
        let server_sig = h.hmac(&h.hmac(&salted, b"Server Key"), auth.as_bytes());
        check
            .verify(&format!("v={}", B64.encode(server_sig)))
            .unwrap();
    }

    #[test]
    fn iteration_count_is_capped_at_kafkas_maximum() {
        let c = ScramClient::new(ScramHash::Sha512, "u", Some("nonce".into()));
        assert!(c.client_final("r=nonceX,s=c2FsdA==,i=16384", "pw").is_ok());
        for too_many in [16385u32, 1_000_000, u32::MAX] {
            let first = format!("r=nonceX,s=c2FsdA==,i={too_many}");
            let e = c.client_final(&first, "pw").unwrap_err();
            assert_eq!(e, ScramError::Iterations(too_many));
            assert!(e.to_string().contains("4096 to 16384"), "{e}");
        }
    }

    #[test]
    fn rejects_bad_server_first() {
        let c = ScramClient::new(ScramHash::Sha256, "u", Some("nonce".into()));
        let err = |m: &str| c.client_final(m, "pw").unwrap_err();
        assert_eq!(err("r=other,s=c2FsdA==,i=4096"), ScramError::NonceMismatch);
        assert_eq!(err("r=nonce,s=c2FsdA==,i=4096"), ScramError::NonceMismatch);
        assert_eq!(err("r=nonceX,s=c2FsdA==,i=10"), ScramError::Iterations(10));
        assert_eq!(
            err("r=nonceX,s=c2FsdA==,i=4095"),
            ScramError::Iterations(4095)
        );
        assert!(matches!(err("r=nonceX,i=4096"), ScramError::Malformed(_)));
        assert!(matches!(err("e=invalid-proof"), ScramError::Server(_)));
        let check = c
            .client_final("r=nonceX,s=c2FsdA==,i=4096", "pw")
            .unwrap()
            .1;
        assert!(matches!(
            check.verify("e=other-error"),
            Err(ScramError::Server(_))
        ));
    }
}
