//! Strimzi's `tls` and `authentication` of a cluster or client (`trustedCertificates`,
//! `scram-sha-256`/`scram-sha-512`/`plain` with a `passwordSecret`, `tls` with a
//! `certificateAndKey`, `custom`) mapped to Kafka client security properties
//! (`security.protocol`, KIP-651 PEM `ssl.*` stores, `sasl.mechanism`, `sasl.jaas.config`),
//! with passwords, keys and certificates read from the mounted Secrets directory.

use crate::document::error::{ConfigError, Location};
use crate::document::node::{Node, NodeKind};
use crate::document::value::Value;
use crate::document::walk::{Doc, child};
use crate::providers::secrets::SecretsDir;

impl Doc<'_> {
    /// `tls` and `authentication` of a cluster or client as client properties
    /// (`security.protocol`, `ssl.*`, `sasl.*`), unprefixed.
    pub(super) fn security(
        &self,
        spec: &Node,
        path: &str,
        secrets: &SecretsDir,
    ) -> Result<Vec<(String, Value)>, ConfigError> {
        let mut out = Vec::new();
        let tls = spec.get("tls");
        if let Some(t) = tls {
            let tpath = child(path, "tls");
            if t.value.kind != NodeKind::Null {
                self.require_map(&t.value, &tpath)?;
                self.check_fields(&t.value, &tpath, &["trustedCertificates"], &[])?;
            }
            if let Some(certs) = t.value.get("trustedCertificates") {
                let cpath = child(&tpath, "trustedCertificates");
                let mut pems = Vec::new();
                for (i, c) in self.require_seq(&certs.value, &cpath)?.iter().enumerate() {
                    pems.extend(self.certificate(c, &format!("{cpath}[{i}]"), secrets)?);
                }
                if !pems.is_empty() {
                    let line = certs.line;
                    out.push((
                        "ssl.truststore.type".into(),
                        self.value("ssl.truststore.type", "PEM", &cpath, line),
                    ));
                    out.push((
                        "ssl.truststore.certificates".into(),
                        self.value("ssl.truststore.certificates", pems.join("\n"), &cpath, line),
                    ));
                }
            }
        }
        let mut sasl = false;
        if let Some(a) = spec.get("authentication") {
            let apath = child(path, "authentication");
            self.require_map(&a.value, &apath)?;
            sasl = self.authentication(&a.value, &apath, tls.is_some(), secrets, &mut out)?;
        }
        let (protocol, origin_path, line) = match (sasl, tls) {
            (true, Some(_)) => (
                "SASL_SSL",
                child(path, "authentication"),
                spec.get("authentication").map_or(0, |e| e.line),
            ),
            (true, None) => (
                "SASL_PLAINTEXT",
                child(path, "authentication"),
                spec.get("authentication").map_or(0, |e| e.line),
            ),
            (false, Some(t)) => ("SSL", child(path, "tls"), t.line),
            (false, None) => return Ok(out),
        };
        out.push((
            "security.protocol".into(),
            self.value("security.protocol", protocol, &origin_path, line),
        ));
        Ok(out)
    }

    /// One `trustedCertificates` entry: `{secretName, certificate}` or `{secretName,
    /// pattern}`.
    pub(super) fn certificate(
        &self,
        c: &Node,
        path: &str,
        secrets: &SecretsDir,
    ) -> Result<Vec<String>, ConfigError> {
        self.require_map(c, path)?;
        self.check_fields(c, path, &["secretName", "certificate", "pattern"], &[])?;
        let (secret, _) = self.req_scalar(
            c,
            path,
            "secretName",
            "the name of the Secret holding the CA certificate",
        )?;
        let cert = self.opt_scalar(c, path, "certificate", "a key of the Secret")?;
        let pattern = self.opt_scalar(c, path, "pattern", "a file name pattern")?;
        let unresolved = |line: usize, reference: String, reason: String| ConfigError::Unresolved {
            at: Location::new(self.file, line, path),
            reference,
            reason,
        };
        match (cert, pattern) {
            (Some((key, line)), None) => secrets
                .read(secret, key)
                .map(|pem| vec![pem])
                .map_err(|r| unresolved(line, format!("secret {secret}/{key}"), r)),
            (None, Some((glob, line))) => secrets
                .read_matching(secret, glob)
                .map_err(|r| unresolved(line, format!("secret {secret}/{glob}"), r)),
            _ => Err(self.invalid(
                c.line,
                path,
                None,
                "exactly one of `certificate` (a key of the Secret) or `pattern` (e.g. \"*.crt\")",
            )),
        }
    }

    /// Adds the `authentication` properties; returns whether SASL is used.
    pub(super) fn authentication(
        &self,
        a: &Node,
        path: &str,
        has_tls: bool,
        secrets: &SecretsDir,
        out: &mut Vec<(String, Value)>,
    ) -> Result<bool, ConfigError> {
        let (kind, type_line) = self.req_scalar(
            a,
            path,
            "type",
            "tls, scram-sha-256, scram-sha-512, plain or custom",
        )?;
        let type_path = child(path, "type");
        match kind {
            "scram-sha-256" | "scram-sha-512" | "plain" => {
                self.password_authentication(a, path, kind, type_line, secrets, out)
            }
            "tls" => {
                self.check_fields(a, path, &["type", "certificateAndKey"], &[])?;
                if !has_tls {
                    return Err(self.invalid(
                        type_line,
                        &type_path,
                        Some(&Node {
                            kind: NodeKind::Scalar(kind.into()),
                            line: type_line,
                        }),
                        "`tls` next to `authentication` (TLS client authentication needs TLS encryption)",
                    ));
                }
                self.tls_authentication(a, path, secrets, out)
            }
            "custom" => self.custom_authentication(a, path, out),
            "oauth" => Err(self.invalid(
                type_line,
                &type_path,
                Some(&Node {
                    kind: NodeKind::Scalar(kind.into()),
                    line: type_line,
                }),
                "tls, scram-sha-256, scram-sha-512, plain or custom: `oauth` (SASL OAUTHBEARER) \
                 is not supported by strait yet",
            )),
            _ => Err(self.invalid(
                type_line,
                &type_path,
                Some(&Node {
                    kind: NodeKind::Scalar(kind.into()),
                    line: type_line,
                }),
                "tls, scram-sha-256, scram-sha-512, plain or custom",
            )),
        }
    }

    /// `scram-sha-256`, `scram-sha-512` or `plain` with a `passwordSecret`: SASL with a
    /// JAAS config holding the password.
    fn password_authentication(
        &self,
        a: &Node,
        path: &str,
        kind: &str,
        type_line: usize,
        secrets: &SecretsDir,
        out: &mut Vec<(String, Value)>,
    ) -> Result<bool, ConfigError> {
        let type_path = child(path, "type");
        self.check_fields(a, path, &["type", "username", "passwordSecret"], &[])?;
        let (user, _) = self.req_scalar(a, path, "username", "the SASL user name")?;
        let Some(ps) = a.get("passwordSecret") else {
            return Err(self.missing(
                a.line,
                &child(path, "passwordSecret"),
                "`secretName` and `password` (the key) of the Secret holding the password",
            ));
        };
        let ppath = child(path, "passwordSecret");
        self.require_map(&ps.value, &ppath)?;
        self.check_fields(&ps.value, &ppath, &["secretName", "password"], &[])?;
        let (secret, _) = self.req_scalar(
            &ps.value,
            &ppath,
            "secretName",
            "the name of the Secret holding the password",
        )?;
        let (key, _) = self.req_scalar(
            &ps.value,
            &ppath,
            "password",
            "the key of the password in the Secret",
        )?;
        let password =
            secrets
                .read_password(secret, key)
                .map_err(|reason| ConfigError::Unresolved {
                    at: Location::new(self.file, ps.line, ppath.clone()),
                    reference: format!("secret {secret}/{key}"),
                    reason,
                })?;
        let (mechanism, module) = match kind {
            "plain" => (
                "PLAIN",
                "org.apache.kafka.common.security.plain.PlainLoginModule",
            ),
            "scram-sha-256" => (
                "SCRAM-SHA-256",
                "org.apache.kafka.common.security.scram.ScramLoginModule",
            ),
            _ => (
                "SCRAM-SHA-512",
                "org.apache.kafka.common.security.scram.ScramLoginModule",
            ),
        };
        out.push((
            "sasl.mechanism".into(),
            self.value("sasl.mechanism", mechanism, &type_path, type_line),
        ));
        let jaas = format!(
            "{module} required username=\"{}\" password=\"{}\";",
            jaas_escape(user),
            jaas_escape(&password)
        );
        out.push((
            "sasl.jaas.config".into(),
            self.value("sasl.jaas.config", jaas, &ppath, ps.line),
        ));
        Ok(true)
    }

    /// `tls` (next to `tls` encryption) with a `certificateAndKey`: a PEM key store (TLS client authentication).
    fn tls_authentication(
        &self,
        a: &Node,
        path: &str,
        secrets: &SecretsDir,
        out: &mut Vec<(String, Value)>,
    ) -> Result<bool, ConfigError> {
        let Some(ck) = a.get("certificateAndKey") else {
            return Err(self.missing(
                a.line,
                &child(path, "certificateAndKey"),
                "`secretName`, `certificate` and `key` of the Secret holding the client certificate",
            ));
        };
        let cpath = child(path, "certificateAndKey");
        self.require_map(&ck.value, &cpath)?;
        self.check_fields(
            &ck.value,
            &cpath,
            &["secretName", "certificate", "key"],
            &[],
        )?;
        let (secret, _) =
            self.req_scalar(&ck.value, &cpath, "secretName", "the name of the Secret")?;
        let (cert, cert_line) = self.req_scalar(
            &ck.value,
            &cpath,
            "certificate",
            "the key of the certificate in the Secret",
        )?;
        let (key, key_line) = self.req_scalar(
            &ck.value,
            &cpath,
            "key",
            "the key of the private key in the Secret",
        )?;
        let read = |k: &str, line: usize| {
            secrets
                .read(secret, k)
                .map_err(|reason| ConfigError::Unresolved {
                    at: Location::new(self.file, line, cpath.clone()),
                    reference: format!("secret {secret}/{k}"),
                    reason,
                })
        };
        let chain = read(cert, cert_line)?;
        let private = read(key, key_line)?;
        out.push((
            "ssl.keystore.type".into(),
            self.value("ssl.keystore.type", "PEM", &cpath, ck.line),
        ));
        out.push((
            "ssl.keystore.certificate.chain".into(),
            self.value("ssl.keystore.certificate.chain", chain, &cpath, ck.line),
        ));
        out.push((
            "ssl.keystore.key".into(),
            self.value("ssl.keystore.key", private, &cpath, ck.line),
        ));
        Ok(false)
    }

    /// `custom`: the given `config` as client properties, SASL when `sasl` is true.
    fn custom_authentication(
        &self,
        a: &Node,
        path: &str,
        out: &mut Vec<(String, Value)>,
    ) -> Result<bool, ConfigError> {
        self.check_fields(a, path, &["type", "sasl", "config"], &[])?;
        let sasl = match self.opt_scalar(a, path, "sasl", "true or false")? {
            None => false,
            Some((s, line)) => match s.trim() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(self.invalid(line, &child(path, "sasl"), None, "true or false"));
                }
            },
        };
        if let Some(c) = a.get("config") {
            let mut ignored = Vec::new();
            out.extend(self.config_map(&c.value, &child(path, "config"), &[], &mut ignored)?);
        }
        Ok(sasl)
    }
}

/// JAAS quoted-string escaping (`"` and `\`).
fn jaas_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
