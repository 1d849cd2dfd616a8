//! Kubernetes Secrets as mounted files: `DIR/<secretName>/<key>` (a Secret volume mounted
//! at `DIR/<secretName>` has one file per key). Strimzi custom resources name their
//! passwords and certificates this way (`passwordSecret`, `trustedCertificates`,
//! `certificateAndKey`); strait reads them from such a directory instead of the
//! Kubernetes API.
//!
//! The directory is `--secrets-dir` when given, else `$STRAIT_SECRETS_DIR`, else
//! [`DEFAULT_SECRETS_DIR`]. Errors name the secret, the key and the path, never the
//! content.

use std::path::{Component, Path, PathBuf};

/// Where secrets are looked up when nothing else is configured.
pub const DEFAULT_SECRETS_DIR: &str = "/etc/strait/secrets";
/// The environment variable naming the secrets directory.
pub const SECRETS_DIR_ENV: &str = "STRAIT_SECRETS_DIR";

/// A directory of mounted Kubernetes Secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretsDir {
    root: PathBuf,
}

impl SecretsDir {
    /// Secrets under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `explicit` if given, else `$STRAIT_SECRETS_DIR`, else [`DEFAULT_SECRETS_DIR`].
    pub fn resolve(explicit: Option<&Path>) -> Self {
        match explicit {
            Some(p) => Self::new(p),
            None => match std::env::var_os(SECRETS_DIR_ENV) {
                Some(v) if !v.is_empty() => Self::new(PathBuf::from(v)),
                _ => Self::new(DEFAULT_SECRETS_DIR),
            },
        }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `secret`/`key` is expected.
    pub fn path_of(&self, secret: &str, key: &str) -> PathBuf {
        self.root.join(secret).join(key)
    }

    /// The content of `secret`/`key`. The error says what is wrong and where the file was
    /// expected; it never contains the content.
    pub fn read(&self, secret: &str, key: &str) -> Result<String, String> {
        check_name("secret name", secret)?;
        check_name("key", key)?;
        let path = self.path_of(secret, key);
        match crate::document::limits::read_capped(&path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map_err(|_| format!("{} is not UTF-8 text", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
                "{} does not exist: expected Secret `{secret}` with key `{key}` mounted at {} \
                 (one file per key; set --secrets-dir or {SECRETS_DIR_ENV})",
                path.display(),
                self.root.join(secret).display()
            )),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// A password: the file content without one trailing line break (files written by
    /// hand usually end with one; Kubernetes mounts the value exactly).
    pub fn read_password(&self, secret: &str, key: &str) -> Result<String, String> {
        let mut s = self.read(secret, key)?;
        if s.ends_with('\n') {
            s.pop();
            if s.ends_with('\r') {
                s.pop();
            }
        }
        Ok(s)
    }

    /// The files of `secret` whose names match the glob `pattern` (`*`, `?`), sorted by
    /// name, with their contents (Strimzi `trustedCertificates[].pattern`).
    pub fn read_matching(&self, secret: &str, pattern: &str) -> Result<Vec<String>, String> {
        check_name("secret name", secret)?;
        let dir = self.root.join(secret);
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            format!(
                "cannot list {}: {e}: expected Secret `{secret}` mounted there (set \
                 --secrets-dir or {SECRETS_DIR_ENV})",
                dir.display()
            )
        })?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            // Kubernetes' own bookkeeping entries (`..data`, `..2024_…`) are not keys.
            .filter(|n| !n.starts_with(".."))
            .filter(|n| glob_match(pattern, n))
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(format!(
                "no file in {} matches `{pattern}`: expected at least one certificate",
                dir.display()
            ));
        }
        names.iter().map(|n| self.read(secret, n)).collect()
    }
}

/// Secret names and keys are single path components (no `/`, no `..`).
fn check_name(what: &str, name: &str) -> Result<(), String> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) if !name.contains('/') && !name.contains('\\') => Ok(()),
        _ => Err(format!(
            "{what} `{name}` is not a plain name: expected a Kubernetes name without `/` or `..`"
        )),
    }
}

/// Shell-style glob with `*` and `?` (Strimzi's certificate `pattern`).
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*.crt", "ca.crt"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("c?.crt", "ca.crt"));
        assert!(!glob_match("*.crt", "ca.key"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b", "aXbY"));
    }

    #[test]
    fn reads_and_rejects_traversal() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("s")).expect("mkdir");
        std::fs::write(dir.path().join("s/password"), "hunter2\n").expect("write");
        std::fs::write(dir.path().join("s/a.crt"), "A").expect("write");
        std::fs::write(dir.path().join("s/b.crt"), "B").expect("write");
        let s = SecretsDir::new(dir.path());
        assert_eq!(s.read_password("s", "password").expect("read"), "hunter2");
        assert_eq!(s.read_matching("s", "*.crt").expect("glob"), ["A", "B"]);
        let e = s.read("s", "missing").expect_err("missing");
        assert!(
            e.contains("does not exist") && e.contains("s/missing"),
            "{e}"
        );
        assert!(s.read("..", "password").is_err());
        assert!(s.read("s", "../s/password").is_err());
        assert!(!e.contains("hunter2"));
    }
}
