//! TLS for the `SSL` and `SASL_SSL` security protocols (Kafka documentation, "Encryption and
//! Authentication using SSL"), on rustls with the ring provider.

use std::fmt;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::config::{CaSource, PemSource, TlsConfig};

/// Builds the rustls client configuration once per client; every connection shares it.
pub(crate) fn client_config(cfg: &TlsConfig) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(root_store(&cfg.ca)?);
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| format!("cannot build the certificate verifier: {e}"))?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS protocol versions: {e}"))?;
    let builder = if cfg.verify_hostname {
        builder.with_webpki_verifier(verifier)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnlyVerifier(verifier)))
    };
    let config = match &cfg.client_auth {
        None => builder.with_no_client_auth(),
        Some(cc) => {
            let chain = certificates(&cc.cert_chain, "client certificate")?;
            let key = private_key(&cc.private_key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("client certificate and key do not fit: {e}"))?
        }
    };
    Ok(Arc::new(config))
}

/// The name rustls checks the certificate against (and sends as SNI); an IP literal becomes
/// an IP address name, as Kafka's `https` identification does.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned())
        .map_err(|e| format!("invalid TLS server name {host:?}: {e}"))
}

fn root_store(ca: &CaSource) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let certs = match ca {
        CaSource::System => {
            let loaded = rustls_native_certs::load_native_certs();
            if loaded.certs.is_empty() {
                let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
                return Err(format!(
                    "no system CA certificates found ({})",
                    errors.join("; ")
                ));
            }
            loaded.certs
        }
        CaSource::PemFile(path) => certificates(&PemSource::File(path.clone()), "CA")?,
        CaSource::PemInline(text) => parse_certs(text.as_bytes(), "inline CA")?,
    };
    let (added, ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "no usable CA certificate ({ignored} could not be parsed)"
        ));
    }
    Ok(roots)
}

fn certificates(src: &PemSource, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    match src {
        PemSource::File(path) => {
            let data = std::fs::read(path)
                .map_err(|e| format!("cannot read {what} file {}: {e}", path.display()))?;
            parse_certs(&data, &format!("{what} file {}", path.display()))
        }
        PemSource::Inline(text) => parse_certs(text.expose().as_bytes(), &format!("inline {what}")),
    }
}

fn parse_certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what}: invalid PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{what}: no CERTIFICATE block found"));
    }
    Ok(certs)
}

/// Accepts PKCS#8, PKCS#1 (RSA) and SEC1 (EC) PEM keys. Error messages never quote the key.
fn private_key(src: &PemSource) -> Result<PrivateKeyDer<'static>, String> {
    let (data, what) = match src {
        PemSource::File(path) => (
            std::fs::read(path)
                .map_err(|e| format!("cannot read private key file {}: {e}", path.display()))?,
            format!("private key file {}", path.display()),
        ),
        PemSource::Inline(text) => (
            text.expose().as_bytes().to_vec(),
            "inline private key".into(),
        ),
    };
    PrivateKeyDer::from_pem_slice(&data)
        .map_err(|e| format!("{what}: no unencrypted PKCS#8, RSA or EC private key found ({e})"))
}

/// Kafka's `ssl.endpoint.identification.algorithm=` (empty): the chain must still lead to a
/// trusted CA and be valid, but the certificate need not name the host we dialled.
struct ChainOnlyVerifier(Arc<WebPkiServerVerifier>);

impl fmt::Debug for ChainOnlyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainOnlyVerifier")
    }
}

impl ServerCertVerifier for ChainOnlyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict =
            self.0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match verdict {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ip_and_dns_server_names() {
        assert!(matches!(
            server_name("127.0.0.1"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(
            server_name("localhost"),
            Ok(ServerName::DnsName(_))
        ));
    }

    #[test]
    fn bad_inline_ca_is_reported() {
        let err = root_store(&CaSource::PemInline("not pem".into())).unwrap_err();
        assert!(err.contains("no CERTIFICATE"), "{err}");
    }

    #[test]
    fn key_errors_do_not_quote_the_key() {
        let secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
        let src = PemSource::Inline(secret.into());
        if let Err(e) = private_key(&src) {
            assert!(!e.contains("c2VjcmV0"), "{e}");
        }
    }
}
