//! A Java `.properties` reader that keeps line numbers, following the rules of
//! `java.util.Properties.load` (Java SE API docs): `#` / `!` comments only at the start of a
//! line, `=` / `:` / whitespace separators, backslash line continuation, `\uXXXX` and the
//! other escapes, leading whitespace trimmed, later duplicates win.
//!
//! Encoding: MM2 reads its file as ISO-8859-1. strait reads UTF-8 (what editors write)
//! and falls back to ISO-8859-1 only when the bytes are not valid UTF-8, so ASCII files
//! (with `\u` escapes) behave identically in both.

use std::collections::BTreeMap;

use crate::document::error::ConfigError;
use crate::document::limits::MAX_VALUE_BYTES;

/// One `key = value` entry and the 1-based line its logical line starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    /// The unescaped key.
    pub key: String,
    /// The unescaped value (trailing whitespace kept, as Java does).
    pub value: String,
    /// 1-based line number where the entry starts.
    pub line: usize,
}

/// The parsed file: the winning entry per key, plus keys that were set more than once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties {
    entries: BTreeMap<String, Property>,
    overridden: Vec<Property>,
}

impl Properties {
    /// The entry for `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.entries.get(key)
    }

    /// All entries, ordered by key.
    pub fn iter(&self) -> impl Iterator<Item = &Property> {
        self.entries.values()
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the file had no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries that a later line with the same key replaced (for diagnostics).
    pub fn overridden(&self) -> &[Property] {
        &self.overridden
    }

    fn insert(&mut self, p: Property) {
        if let Some(old) = self.entries.insert(p.key.clone(), p) {
            self.overridden.push(old);
        }
    }
}

/// Decodes file bytes: UTF-8 if valid, else ISO-8859-1 (each byte one char, like Java).
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Parses `.properties` text. `file` is only used in error messages.
/// A leading UTF-8 byte-order mark is skipped, as the YAML and JSON readers do.
pub fn parse(text: &str, file: &str) -> Result<Properties, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut props = Properties::default();
    for logical in logical_lines(text) {
        let (key, value) = split_key_value(&logical.chars);
        let syntax = |message: String| ConfigError::Syntax {
            file: file.to_owned(),
            line: logical.line,
            message,
        };
        let key = unescape(key).map_err(&syntax)?;
        let value = unescape(value).map_err(|m| syntax(format!("value of `{key}`: {m}")))?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(syntax(format!(
                "`{key}`: value of {} bytes is longer than the {} MiB ({MAX_VALUE_BYTES} bytes) \
                 limit for one value",
                value.len(),
                MAX_VALUE_BYTES / (1024 * 1024)
            )));
        }
        props.insert(Property {
            key,
            value,
            line: logical.line,
        });
    }
    Ok(props)
}

/// A logical line (natural lines joined at continuations), still escaped.
struct LogicalLine {
    chars: Vec<char>,
    line: usize,
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// Splits on `\n`, `\r\n` and `\r`, yielding (1-based number, content).
fn natural_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut number = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number += 1;
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..end];
        let after = &rest[end..];
        rest = if let Some(r) = after.strip_prefix("\r\n") {
            r
        } else {
            after.get(1..).unwrap_or("")
        };
        Some((number, line))
    })
}

/// True when `chars` ends with an odd number of backslashes, i.e. the line continues.
fn ends_with_continuation(chars: &[char]) -> bool {
    chars.iter().rev().take_while(|&&c| c == '\\').count() % 2 == 1
}

fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut current: Option<LogicalLine> = None;
    for (number, line) in natural_lines(text) {
        let segment: Vec<char> = line.chars().skip_while(|&c| is_blank(c)).collect();
        let mut logical = match current.take() {
            Some(mut open) => {
                // A blank line after a continuation ends the logical line (Java LineReader).
                if segment.is_empty() {
                    out.push(open);
                    continue;
                }
                open.chars.extend_from_slice(&segment);
                open
            }
            None => {
                // Comments are recognised only at the start of a logical line.
                if segment.is_empty() || matches!(segment[0], '#' | '!') {
                    continue;
                }
                LogicalLine {
                    chars: segment.clone(),
                    line: number,
                }
            }
        };
        if ends_with_continuation(&segment) {
            logical.chars.pop();
            current = Some(logical);
        } else {
            out.push(logical);
        }
    }
    out.extend(current);
    out
}

/// Splits a logical line into (escaped key, escaped value) as `Properties.load0` does.
fn split_key_value(chars: &[char]) -> (&[char], &[char]) {
    let mut key_end = chars.len();
    let mut value_start = chars.len();
    let mut has_separator = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate() {
        if !escaped && (c == '=' || c == ':') {
            key_end = i;
            value_start = i + 1;
            has_separator = true;
            break;
        }
        if !escaped && is_blank(c) {
            key_end = i;
            value_start = i + 1;
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    while let Some(&c) = chars.get(value_start) {
        if is_blank(c) {
            value_start += 1;
        } else if !has_separator && (c == '=' || c == ':') {
            has_separator = true;
            value_start += 1;
        } else {
            break;
        }
    }
    (&chars[..key_end], &chars[value_start.min(chars.len())..])
}

/// Resolves `\t \n \r \f \uXXXX` and drops the backslash before any other character.
fn unescape(chars: &[char]) -> Result<String, String> {
    let mut units: Vec<u16> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let c = if c != '\\' {
            c
        } else {
            let Some(&next) = chars.get(i) else { break };
            i += 1;
            match next {
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                'f' => '\u{c}',
                'u' => {
                    units.push(hex4(chars.get(i..i + 4))?);
                    i += 4;
                    continue;
                }
                other => other,
            }
        };
        let mut buf = [0u16; 2];
        units.extend_from_slice(c.encode_utf16(&mut buf));
    }
    // Java strings are UTF-16: `\uD83D\uDE00` is one character. Lone surrogates cannot be
    // represented in Rust strings and become U+FFFD.
    Ok(String::from_utf16_lossy(&units))
}

fn hex4(digits: Option<&[char]>) -> Result<u16, String> {
    let malformed = || "malformed \\uXXXX escape: expected 4 hex digits after \\u".to_owned();
    let digits = digits.ok_or_else(malformed)?;
    let mut v: u16 = 0;
    for d in digits {
        let n = d.to_digit(16).ok_or_else(malformed)?;
        v = (v << 4) | n as u16;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(String, String, usize)> {
        parse(text, "t")
            .expect("parses")
            .iter()
            .map(|p| (p.key.clone(), p.value.clone(), p.line))
            .collect()
    }

    fn one(text: &str) -> (String, String) {
        let v = kv(text);
        assert_eq!(v.len(), 1, "{v:?}");
        (v[0].0.clone(), v[0].1.clone())
    }

    #[test]
    fn separators() {
        assert_eq!(one("a=b"), ("a".into(), "b".into()));
        assert_eq!(one("a:b"), ("a".into(), "b".into()));
        assert_eq!(one("a b"), ("a".into(), "b".into()));
        assert_eq!(one("  a \t = \t b  "), ("a".into(), "b  ".into()));
        assert_eq!(one("a  :  =b"), ("a".into(), "=b".into()));
        assert_eq!(one("a"), ("a".into(), "".into()));
        assert_eq!(one("a="), ("a".into(), "".into()));
        assert_eq!(one("=b"), ("".into(), "b".into()));
        assert_eq!(
            one("A->B.enabled = true"),
            ("A->B.enabled".into(), "true".into())
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(one(r"a\=b\:c\ d = x\ty"), ("a=b:c d".into(), "x\ty".into()));
        assert_eq!(one(r"k = \u0041\u00e9\q"), ("k".into(), "Aéq".into()));
        assert_eq!(one(r"k = \uD83D\uDE00"), ("k".into(), "😀".into()));
        assert_eq!(one(r"k = a\\b"), ("k".into(), r"a\b".into()));
        assert_eq!(one(r"k=\n\r\f"), ("k".into(), "\n\r\u{c}".into()));
    }

    #[test]
    fn bad_unicode_escape_names_line() {
        let e = parse("a=1\n\nb = x\\u12G4\n", "mm2.properties").expect_err("bad escape");
        let msg = e.to_string();
        assert!(msg.starts_with("mm2.properties:3:"), "{msg}");
        assert!(msg.contains("\\uXXXX"), "{msg}");
        assert!(parse("k=\\u12", "f").is_err());
    }

    #[test]
    fn comments_only_at_line_start() {
        let v = kv("# c\n! c\n  # indented comment\nk = v # not a comment\n");
        assert_eq!(v, vec![("k".into(), "v # not a comment".into(), 4)]);
    }

    #[test]
    fn continuation() {
        let text =
            "sasl.jaas.config=Plain required \\\n  username=\"u\" \\\n  password=\"p\";\nnext=1";
        let v = kv(text);
        assert_eq!(
            v[1],
            (
                "sasl.jaas.config".into(),
                "Plain required username=\"u\" password=\"p\";".into(),
                1
            )
        );
        assert_eq!(v[0], ("next".into(), "1".into(), 4));
    }

    #[test]
    fn continuation_edge_cases() {
        // Even number of backslashes: no continuation.
        assert_eq!(kv("a=x\\\\\nb=y").len(), 2);
        // A comment line ending in a backslash does not continue.
        assert_eq!(kv("# c \\\na=1"), vec![("a".into(), "1".into(), 2)]);
        // A continuation line starting with # is content.
        assert_eq!(one("a=1\\\n#2"), ("a".into(), "1#2".into()));
        // A blank line ends the continuation.
        assert_eq!(kv("a=1\\\n\nb=2").len(), 2);
        // Trailing backslash at EOF is dropped.
        assert_eq!(one("a=1\\"), ("a".into(), "1".into()));
        // Continuation inside the key.
        assert_eq!(one("ab\\\n  cd=1"), ("abcd".into(), "1".into()));
    }

    #[test]
    fn line_endings_and_line_numbers() {
        let v = kv("a=1\r\nb=2\rc=3\n\n\nd=4");
        assert_eq!(
            v,
            vec![
                ("a".into(), "1".into(), 1),
                ("b".into(), "2".into(), 2),
                ("c".into(), "3".into(), 3),
                ("d".into(), "4".into(), 6)
            ]
        );
    }

    #[test]
    fn later_duplicates_win() {
        let p = parse("a=1\na=2\n", "f").expect("parses");
        assert_eq!(
            p.get("a").map(|p| (p.value.as_str(), p.line)),
            Some(("2", 2))
        );
        assert_eq!(p.overridden().len(), 1);
    }

    #[test]
    fn latin1_fallback() {
        assert_eq!(decode(&[b'k', b'=', 0xe9]), "k=é");
        assert_eq!(decode("k=é".as_bytes()), "k=é");
    }
}
