//! The `sasl.jaas.config` value (KIP-85, Kafka's `JaasConfig` grammar):
//! `<LoginModuleClass> <flag> [key=value ...];` with exactly one login module.
//! Error messages name option keys but never their values.

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
/// option values.
pub fn parse(text: &str) -> Result<JaasModule, String> {
    let tokens = tokenize(text)?;
    let mut it = tokens.into_iter().peekable();
    let class = match it.next() {
        Some(Token::Word(w)) => w,
        _ => return Err("expected a login module class name first".to_owned()),
    };
    let flag = match it.next() {
        Some(Token::Word(w)) => parse_flag(&w)?,
        _ => {
            return Err(format!(
                "expected a control flag (required, requisite, sufficient, optional) after {class}"
            ));
        }
    };
    let mut options = BTreeMap::new();
    loop {
        match it.next() {
            Some(Token::Semicolon) => break,
            Some(Token::Word(key)) => {
                if it.next() != Some(Token::Equals) {
                    return Err(format!("expected `=` after option `{key}`"));
                }
                match it.next() {
                    Some(Token::Word(v)) | Some(Token::Quoted(v)) => {
                        options.insert(key, v);
                    }
                    _ => return Err(format!("expected a value for option `{key}`")),
                }
            }
            None => return Err("expected `;` at the end of the login module".to_owned()),
            Some(_) => return Err("expected `key=value` options or `;`".to_owned()),
        }
    }
    if it.next().is_some() {
        return Err("expected exactly one login module (Kafka clients accept one)".to_owned());
    }
    Ok(JaasModule {
        class,
        flag,
        options,
    })
}

fn parse_flag(w: &str) -> Result<LoginFlag, String> {
    match w.to_ascii_lowercase().as_str() {
        "required" => Ok(LoginFlag::Required),
        "requisite" => Ok(LoginFlag::Requisite),
        "sufficient" => Ok(LoginFlag::Sufficient),
        "optional" => Ok(LoginFlag::Optional),
        _ => Err(format!(
            "`{w}` is not a control flag: expected required, requisite, sufficient or optional"
        )),
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
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
            tokens.push(Token::Equals);
            i += 1;
        } else if c == ';' {
            tokens.push(Token::Semicolon);
            i += 1;
        } else if c == '"' || c == '\'' {
            let (s, next) = quoted(&chars, i)?;
            tokens.push(Token::Quoted(s));
            i = next;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"=;\"'".contains(chars[i]) {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
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
}
