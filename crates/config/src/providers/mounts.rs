//! Path mounts for config provider references: `${file:PATH:key}` and
//! `${directory:PATH:file}` written for a container (e.g. `/opt/kafka/custom-config`) read
//! from where that path is mounted on this machine.

use std::path::{Path, PathBuf};

/// Rewrites `${provider:PATH:...}` references whose PATH starts with a mount's first path.
pub(crate) fn apply_mounts(text: &str, mounts: &[(PathBuf, PathBuf)]) -> String {
    if mounts.is_empty() || !text.contains("${") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let body = &rest[start + 2..];
        let end = body.find('}').unwrap_or(body.len());
        let inner = &body[..end];
        let rewritten = match inner.split_once(':') {
            Some((provider, after)) => match after.split_once(':') {
                Some((path, key)) => {
                    let p = Path::new(path);
                    match mounts.iter().find(|(from, _)| p.starts_with(from)) {
                        Some((from, to)) => {
                            let local = p.strip_prefix(from).map_or_else(
                                |_| to.clone(),
                                |tail| {
                                    if tail.as_os_str().is_empty() {
                                        to.clone()
                                    } else {
                                        to.join(tail)
                                    }
                                },
                            );
                            format!("{provider}:{}:{key}", local.display())
                        }
                        None => inner.to_owned(),
                    }
                }
                None => inner.to_owned(),
            },
            None => inner.to_owned(),
        };
        out.push_str("${");
        out.push_str(&rewritten);
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_rewrite_reference_paths() {
        let m = vec![(PathBuf::from("/opt/kafka/cfg"), PathBuf::from("/tmp/x"))];
        assert_eq!(
            apply_mounts(
                "u=\"${file:/opt/kafka/cfg/k.properties:user}\" ${env:A}",
                &m
            ),
            "u=\"${file:/tmp/x/k.properties:user}\" ${env:A}"
        );
        assert_eq!(apply_mounts("${file:/other/k:x}", &m), "${file:/other/k:x}");
    }
}
