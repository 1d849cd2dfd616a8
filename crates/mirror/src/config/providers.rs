//! Kafka config providers (KIP-297 `${provider:path:key}` indirection, KIP-421 for Connect
//! workers, KIP-887 `EnvVarConfigProvider`, KIP-632 `DirectoryConfigProvider`): the
//! `config.providers` declarations and the resolution of references in values.
//!
//! Kafka's transformer leaves references to undeclared providers or missing keys as literal
//! text, which later surfaces as a confusing connection or login failure. strait instead
//! rejects any reference it cannot resolve, naming the key and line (never the value).

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use super::error::{ConfigError, Location};
use super::properties::{self, Properties};
use super::value::{Origin, Value};
use crate::policy::regex::PatternList;

/// The `config.providers` key.
pub const CONFIG_PROVIDERS: &str = "config.providers";
const FILE_CLASS: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
const ENV_CLASS: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
const DIRECTORY_CLASS: &str = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";

/// Where environment variables come from: the process, or a fixed map (tests, embedding).
#[derive(Clone, Debug, Default)]
pub enum Env {
    /// `std::env::var`.
    #[default]
    Process,
    /// A fixed set of variables.
    Map(BTreeMap<String, String>),
}

impl Env {
    fn var(&self, name: &str) -> Option<String> {
        match self {
            Env::Process => std::env::var(name).ok(),
            Env::Map(m) => m.get(name).cloned(),
        }
    }
}

/// The built-in provider kinds strait implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    /// `FileConfigProvider`: `${name:/path/file.properties:key}`.
    File,
    /// `EnvVarConfigProvider`: `${name:VAR}` or `${name::VAR}`.
    EnvVar,
    /// `DirectoryConfigProvider`: `${name:/dir:file}` (file contents).
    Directory,
}

/// One declared provider.
#[derive(Clone, Debug)]
pub struct Provider {
    /// Which implementation.
    pub kind: ProviderKind,
    /// `config.providers.<name>.param.allowed.paths` (file / directory).
    pub allowed_paths: Vec<PathBuf>,
    /// `config.providers.<name>.param.allowlist.pattern` (env).
    pub allowlist: Option<PatternList>,
}

/// The declared providers, by name.
#[derive(Clone, Debug, Default)]
pub struct Providers {
    providers: BTreeMap<String, Provider>,
}

/// One `${provider:path:key}` occurrence inside a value.
#[derive(Debug, PartialEq, Eq)]
struct Reference<'a> {
    whole: &'a str,
    provider: &'a str,
    path: Option<&'a str>,
    key: &'a str,
}

impl Providers {
    /// Reads `config.providers` and `config.providers.<name>.class` / `.param.*`.
    pub fn declare(props: &Properties, file: &str) -> Result<Self, ConfigError> {
        let mut out = Providers::default();
        let Some(decl) = props.get(CONFIG_PROVIDERS) else {
            return Ok(out);
        };
        for name in decl
            .value
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let class_key = format!("{CONFIG_PROVIDERS}.{name}.class");
            let Some(class) = props.get(&class_key) else {
                return Err(ConfigError::Missing {
                    at: Location::new(file, decl.line, class_key),
                    expected: format!(
                        "the provider class for `{name}`, declared in `{CONFIG_PROVIDERS}` \
                         (one of {FILE_CLASS}, {ENV_CLASS}, {DIRECTORY_CLASS})"
                    ),
                });
            };
            let kind = match class.value.trim() {
                FILE_CLASS => ProviderKind::File,
                ENV_CLASS => ProviderKind::EnvVar,
                DIRECTORY_CLASS => ProviderKind::Directory,
                _ => {
                    return Err(ConfigError::InvalidValue {
                        at: Location::new(file, class.line, class_key),
                        value: Some(class.value.clone()),
                        expected: format!(
                            "one of {FILE_CLASS}, {ENV_CLASS}, {DIRECTORY_CLASS} \
                             (custom providers need a JVM)"
                        ),
                    });
                }
            };
            let provider = Provider {
                kind,
                allowed_paths: allowed_paths(props, name),
                allowlist: allowlist(props, name, file)?,
            };
            out.providers.insert(name.to_owned(), provider);
        }
        Ok(out)
    }

    /// The provider named `name`.
    pub fn get(&self, name: &str) -> Option<&Provider> {
        self.providers.get(name)
    }

    /// Resolves every reference in `value` (a single pass, like Kafka's ConfigTransformer).
    pub fn resolve(
        &self,
        key: &str,
        value: &Value,
        file: &str,
        env: &Env,
        cache: &mut FileCache,
    ) -> Result<Value, ConfigError> {
        let text = value.expose();
        if !text.contains("${") {
            return Ok(value.clone());
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some((before, reference, after)) = next_reference(rest) {
            out.push_str(before);
            let unresolved = |reason: String| ConfigError::Unresolved {
                at: Location::of(file, value, key),
                reference: reference.whole.to_owned(),
                reason,
            };
            let resolved = self.lookup(&reference, env, cache).map_err(unresolved)?;
            out.push_str(&resolved);
            rest = after;
        }
        out.push_str(rest);
        Ok(value.with_text(out, key))
    }

    fn lookup(
        &self,
        r: &Reference<'_>,
        env: &Env,
        cache: &mut FileCache,
    ) -> Result<String, String> {
        let Some(provider) = self.providers.get(r.provider) else {
            return Err(format!(
                "provider `{}` is not declared: expected it in `{CONFIG_PROVIDERS}` with a \
                 `{CONFIG_PROVIDERS}.{}.class`",
                r.provider, r.provider
            ));
        };
        match provider.kind {
            ProviderKind::EnvVar => lookup_env(provider, r, env),
            ProviderKind::File => {
                let path = checked_path(provider, r)?;
                cache.file_key(&path, r.key)
            }
            ProviderKind::Directory => {
                let dir = checked_path(provider, r)?;
                read_dir_entry(&dir, r.key)
            }
        }
    }
}

fn allowed_paths(props: &Properties, name: &str) -> Vec<PathBuf> {
    props
        .get(&format!("{CONFIG_PROVIDERS}.{name}.param.allowed.paths"))
        .map(|p| {
            p.value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| normalize(Path::new(s)))
                .collect()
        })
        .unwrap_or_default()
}

fn allowlist(
    props: &Properties,
    name: &str,
    file: &str,
) -> Result<Option<PatternList>, ConfigError> {
    let key = format!("{CONFIG_PROVIDERS}.{name}.param.allowlist.pattern");
    let Some(p) = props.get(&key) else {
        return Ok(None);
    };
    PatternList::single(p.value.trim())
        .map(Some)
        .map_err(|e| ConfigError::Regex {
            at: Location::new(file, p.line, key),
            pattern: p.value.clone(),
            reason: e.to_string(),
        })
}

/// Finds the next `${provider:[path:]key}`; returns (text before, reference, text after).
/// Mirrors Kafka's pattern `\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`: the provider ends at the
/// first `:`, the path at the next `:`, and none of the parts may contain `}`.
fn next_reference(text: &str) -> Option<(&str, Reference<'_>, &str)> {
    let mut search = 0;
    loop {
        let start = search + text[search..].find("${")?;
        let body_start = start + 2;
        let end = body_start + text[body_start..].find('}')?;
        let body = &text[body_start..end];
        if let Some((provider, rest)) = body.split_once(':') {
            let (path, key) = match rest.split_once(':') {
                Some((path, key)) => (Some(path), key),
                None => (None, rest),
            };
            let r = Reference {
                whole: &text[start..=end],
                provider,
                path,
                key,
            };
            return Some((&text[..start], r, &text[end + 1..]));
        }
        // `${...}` without a colon is not a reference; keep scanning after it.
        search = body_start;
    }
}

fn lookup_env(provider: &Provider, r: &Reference<'_>, env: &Env) -> Result<String, String> {
    if r.path.is_some_and(|p| !p.is_empty()) {
        return Err("the environment-variable provider takes no path: expected \
                    `${env:VAR}` or `${env::VAR}`"
            .to_owned());
    }
    if let Some(allow) = provider.allowlist.as_ref().filter(|a| !a.matches(r.key)) {
        return Err(format!(
            "variable `{}` is not allowed by `allowlist.pattern` {}",
            r.key,
            allow.patterns().join(",")
        ));
    }
    env.var(r.key)
        .ok_or_else(|| format!("environment variable `{}` is not set", r.key))
}

fn checked_path(provider: &Provider, r: &Reference<'_>) -> Result<PathBuf, String> {
    let Some(path) = r.path.filter(|p| !p.is_empty()) else {
        return Err("expected a path: `${provider:/path:key}`".to_owned());
    };
    let path = normalize(Path::new(path));
    if !provider.allowed_paths.is_empty()
        && !provider.allowed_paths.iter().any(|a| path.starts_with(a))
    {
        return Err(format!(
            "path {} is outside `allowed.paths`",
            path.display()
        ));
    }
    Ok(path)
}

/// Lexical normalisation (`.` and `..` removed), as Kafka's `Path.normalize()`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn read_dir_entry(dir: &Path, name: &str) -> Result<String, String> {
    // DirectoryConfigProvider only serves regular files directly inside the directory.
    let is_plain_name = !name.is_empty()
        && Path::new(name).components().count() == 1
        && matches!(
            Path::new(name).components().next(),
            Some(Component::Normal(_))
        );
    let path = dir.join(name);
    if !is_plain_name || !path.is_file() {
        return Err(format!("no file `{name}` in directory {}", dir.display()));
    }
    std::fs::read(&path)
        .map(|b| properties::decode(&b))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Files read by `FileConfigProvider`, each parsed once per load.
#[derive(Debug, Default)]
pub struct FileCache {
    files: HashMap<PathBuf, Properties>,
}

impl FileCache {
    fn file_key(&mut self, path: &Path, key: &str) -> Result<String, String> {
        if !self.files.contains_key(path) {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let text = properties::decode(&bytes);
            let parsed =
                properties::parse(&text, &path.display().to_string()).map_err(|e| e.to_string())?;
            self.files.insert(path.to_owned(), parsed);
        }
        self.files
            .get(path)
            .and_then(|p| p.get(key))
            .map(|p| p.value.clone())
            .ok_or_else(|| format!("key `{key}` not found in {}", path.display()))
    }
}

/// Resolves every value of `props` except the provider declarations themselves.
pub(crate) fn resolve_all(
    props: &Properties,
    providers: &Providers,
    file: &str,
    env: &Env,
) -> Result<BTreeMap<String, Value>, ConfigError> {
    let mut cache = FileCache::default();
    let mut out = BTreeMap::new();
    for p in props.iter() {
        let raw = Value::for_key(&p.key, p.value.clone(), Origin::line(p.key.clone(), p.line));
        let value = if p.key.starts_with(CONFIG_PROVIDERS) {
            raw
        } else {
            providers.resolve(&p.key, &raw, file, env, &mut cache)?
        };
        out.insert(p.key.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_grammar() {
        let (b, r, a) = next_reference("x${file:/a/b.properties:k.e:y}z").expect("ref");
        assert_eq!((b, a), ("x", "z"));
        assert_eq!(r.provider, "file");
        assert_eq!(r.path, Some("/a/b.properties"));
        assert_eq!(r.key, "k.e:y");
        let (_, r, _) = next_reference("${env:HOME}").expect("ref");
        assert_eq!((r.path, r.key), (None, "HOME"));
        let (_, r, _) = next_reference("${env::HOME}").expect("ref");
        assert_eq!((r.path, r.key), (Some(""), "HOME"));
        assert!(next_reference("${nocolon}").is_none());
        assert!(next_reference("plain $ { text").is_none());
        let (b, r, _) = next_reference("${x} then ${env:A}").expect("ref");
        assert_eq!((b, r.key), ("${x} then ", "A"));
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
