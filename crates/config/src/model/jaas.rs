//! The `sasl.jaas.config` value (KIP-85, Kafka's `JaasConfig` grammar):
//! `<LoginModuleClass> <flag> [key=value ...];` with exactly one login module.
//! Error messages give the character position and what was expected there, never the text
//! found: an unquoted password with a space or `=` in it splits into words that would
//! otherwise be echoed as option keys or flags.

use std::collections::BTreeMap;

/// JAAS control flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginFlag {
    /// `required`
    Required,
    /// `requisite`
    Requisite,
    /// `sufficient`
    Sufficient,
    /// `optional`
    Optional,
}

/// One parsed login module.
#[derive(Clone, PartialEq, Eq)]
pub struct JaasModule {
    /// Fully qualified class name.
    pub class: String,
    /// Control flag.
    pub flag: LoginFlag,
    /// Options (values may be secrets: this type has no derived Debug).
    pub options: BTreeMap<String, String>,
}

impl std::fmt::Debug for JaasModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JaasModule")
            .field("class", &self.class)
            .field("flag", &self.flag)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Equals,
    Semicolon,
}

/// Parses a JAAS config holding exactly one login module. The error text never contains
/// any of the input's text, only positions (1-based characters) and expectations.
pub fn parse(text: &str) -> Result<JaasModule, String> {
    let tokens = tokenize(text)?;
    let end = text.chars().count() + 1;
    let mut it = tokens.into_iter().peekable();
    let class = match it.next() {
        Some((Token::Word(w), _)) => w,
        _ => return Err("expected a login module class name first".to_owned()),
    };
    let flag = match it.next() {
        Some((Token::Word(w), at)) => parse_flag(&w, at)?,
        other => {
            return Err(format!(
                "expected a control flag (required, requisite, sufficient, optional) after the \
                 login module class, at character {}",
                other.map_or(end, |(_, at)| at)
            ));
        }
    };
    let mut options = BTreeMap::new();
    loop {
        match it.next() {
            Some((Token::Semicolon, _)) => break,
            Some((Token::Word(key), at)) => {
                if !matches!(it.next(), Some((Token::Equals, _))) {
                    return Err(format!(
                        "expected `=` after the option key at character {at} (quote values \
                         that contain spaces, `=` or `;`)"
                    ));
                }
                match it.next() {
                    Some((Token::Word(v) | Token::Quoted(v), _)) => {
                        options.insert(key, v);
                    }
                    _ => {
                        return Err(format!("expected a value for the option at character {at}"));
                    }
                }
            }
            None => {
                return Err(format!(
                    "expected `;` at the end of the login module, character {end}"
                ));
            }
            Some((_, at)) => {
                return Err(format!(
                    "expected `key=value` options or `;` at character {at} (quote values \
                     that contain spaces, `=` or `;`)"
                ));
            }
        }
    }
    if let Some((_, at)) = it.next() {
        return Err(format!(
            "expected exactly one login module (Kafka clients accept one), found more at \
             character {at}"
        ));
    }
    Ok(JaasModule {
        class,
        flag,
        options,
    })
}

fn parse_flag(w: &str, at: usize) -> Result<LoginFlag, String> {
    match w.to_ascii_lowercase().as_str() {
        "required" => Ok(LoginFlag::Required),
        "requisite" => Ok(LoginFlag::Requisite),
        "sufficient" => Ok(LoginFlag::Sufficient),
        "optional" => Ok(LoginFlag::Optional),
        _ => Err(format!(
            "expected a control flag (required, requisite, sufficient or optional) at \
             character {at}"
        )),
    }
}

/// The tokens with the 1-based character position where each starts.
fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            i = skip_line_comment(&chars, i);
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i = skip_block_comment(&chars, i)?;
        } else if c == '=' {
            tokens.push((Token::Equals, i + 1));
            i += 1;
        } else if c == ';' {
            tokens.push((Token::Semicolon, i + 1));
            i += 1;
        } else if c == '"' || c == '\'' {
            let (s, next) = quoted(&chars, i)?;
            tokens.push((Token::Quoted(s), i + 1));
            i = next;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"=;\"'".contains(chars[i]) {
                i += 1;
            }
            tokens.push((Token::Word(chars[start..i].iter().collect()), start + 1));
        }
    }
    Ok(tokens)
}

fn skip_line_comment(chars: &[char], i: usize) -> usize {
    chars[i..]
        .iter()
        .position(|&c| c == '\n')
        .map_or(chars.len(), |p| i + p + 1)
}

fn skip_block_comment(chars: &[char], i: usize) -> Result<usize, String> {
    (i + 2..chars.len().saturating_sub(1))
        .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
        .map(|j| j + 2)
        .ok_or_else(|| "unterminated /* comment".to_owned())
}

/// A quoted string with `java.io.StreamTokenizer` escapes.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let quote = chars[start];
    let mut out = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return Ok((out, i + 1));
        }
        if c == '\\' && i + 1 < chars.len() {
            i += 1;
            out.push(match chars[i] {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'a' => '\u{7}',
                'v' => '\u{b}',
                other => other,
            });
        } else {
            out.push(c);
        }
        i += 1;
    }
    Err("unterminated quoted value".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_module() {
        let m = parse(
            "org.apache.kafka.common.security.plain.PlainLoginModule required \
             username=\"$ConnectionString\" password=\"Endpoint=sb://x/;Key=a=b\";",
        )
        .expect("parses");
        assert_eq!(
            m.class,
            "org.apache.kafka.common.security.plain.PlainLoginModule"
        );
        assert_eq!(m.flag, LoginFlag::Required);
        assert_eq!(m.options["username"], "$ConnectionString");
        assert_eq!(m.options["password"], "Endpoint=sb://x/;Key=a=b");
        assert!(!format!("{m:?}").contains("Endpoint"));
    }

    #[test]
    fn unquoted_escapes_and_comments() {
        let m = parse("x.ScramLoginModule REQUIRED /* c */ username=alice password = \"a\\\"b\" ;")
            .expect("parses");
        assert_eq!(m.flag, LoginFlag::Required);
        assert_eq!(m.options["username"], "alice");
        assert_eq!(m.options["password"], "a\"b");
    }

    #[test]
    fn errors_never_include_values() {
        for bad in [
            "",
            "x.Plain",
            "x.Plain sometimes;",
            "x.Plain required username=\"u\" password=\"s3cret\"",
            "x.Plain required password \"s3cret\";",
            "x.Plain required username=\"u\"; y.Other required;",
            "x.Plain required password=\"s3cret;",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(!e.contains("s3cret"), "{e}");
        }
    }

    #[test]
    fn unquoted_password_fragments_are_not_echoed() {
        for bad in [
            "x.Plain required username=u password=s3cret MARKERpw;",
            "x.Plain required username=u password=s3cret MARKERpw=x",
            "x.Plain required username=u password=s3cret MARKERpw=;",
            "x.Plain required username=u password=s3cret= MARKERpw;",
            "x.Plain MARKERpw username=u;",
            "x.Plain required password=a; MARKERpw",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(!e.contains("MARKER") && !e.contains("s3cret"), "{bad}: {e}");
            assert!(e.contains("character"), "{bad}: {e}");
        }
    }
}
