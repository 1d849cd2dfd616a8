//! Java regular expressions as MM2 uses them (`topics`, `groups`, `*.exclude`,
//! `config.properties.exclude`; KIP-382): a ConfigDef LIST joined with `|` and
//! matched with `Pattern.matcher(..).matches()`, i.e. a *full* match.
//!
//! Patterns run on fancy-regex after a translation of the Java-only syntax:
//! `\Q..\E` quoting, ASCII-only `\w \d \s \b` and POSIX `\p{Lower}` classes, `\h \v \R \e
//! \cX \0oct \uXXXX`, and the `d`/`u` inline flags. Constructs with no faithful
//! equivalent (`\G`, `\X`, `(?U)`, `\p{javaXxx}`) are rejected with an explanation rather
//! than silently matching something else.

use std::fmt;

use fancy_regex::Regex;

use super::PolicyError;

/// The longest pattern list (after MM2's join with `|`): 256 KiB (262 144 bytes), room for
/// thousands of explicit topic names. Longer input is refused before it reaches the regex
/// engine, whose compile time and memory grow with the pattern.
pub const MAX_PATTERN_BYTES: usize = 256 * 1024;

/// The error for an over-long pattern: only its start is quoted.
fn too_long(joined: &str) -> PolicyError {
    let start: String = joined.chars().take(40).collect();
    PolicyError::Regex {
        pattern: format!("{start}…"),
        reason: format!(
            "the pattern list is {} bytes long, more than the {} KiB ({MAX_PATTERN_BYTES} bytes) \
             limit",
            joined.len(),
            MAX_PATTERN_BYTES / 1024
        ),
    }
}

/// A compiled MM2 pattern list. An empty list matches nothing (MM2 compiles it to `null`).
#[derive(Clone)]
pub struct PatternList {
    patterns: Vec<String>,
    regex: Option<Regex>,
}

impl fmt::Debug for PatternList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.patterns).finish()
    }
}

impl PartialEq for PatternList {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl PatternList {
    /// Parses a ConfigDef LIST (`\s*,\s*`-separated, empty text = empty list) and compiles it.
    pub fn parse_list(text: &str) -> Result<Self, PolicyError> {
        Self::new(split_list(text))
    }

    /// Compiles already-split patterns: joined with `|`, full match. The joined pattern may
    /// be at most [`MAX_PATTERN_BYTES`] long.
    pub fn new(patterns: Vec<String>) -> Result<Self, PolicyError> {
        let regex = if patterns.is_empty() {
            None
        } else {
            let joined = patterns.join("|");
            if joined.len() > MAX_PATTERN_BYTES {
                return Err(too_long(&joined));
            }
            Some(compile_full_match(&joined)?)
        };
        Ok(Self { patterns, regex })
    }

    /// The empty list: matches nothing.
    pub fn empty() -> Self {
        Self {
            patterns: Vec::new(),
            regex: None,
        }
    }

    /// One pattern (no comma splitting), e.g. `allowlist.pattern`.
    pub fn single(pattern: &str) -> Result<Self, PolicyError> {
        Self::new(vec![pattern.to_owned()])
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// True when the list is empty (matches nothing).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Full-match test. `None` when the regex engine gave up (backtracking limit), so callers
    /// can decide which way is safe.
    pub fn try_matches(&self, s: &str) -> Option<bool> {
        match &self.regex {
            None => Some(false),
            Some(r) => r.is_match(s).ok(),
        }
    }

    /// Full-match test; a pattern that exhausts the backtracking limit counts as no match.
    pub fn matches(&self, s: &str) -> bool {
        self.try_matches(s).unwrap_or(false)
    }
}

/// ConfigDef LIST parsing: trim, empty → `[]`, split on commas with surrounding whitespace.
/// Empty elements are kept (`a,` is `["a", ""]`), as Java does.
pub fn split_list(text: &str) -> Vec<String> {
    let t = text.trim();
    if t.is_empty() {
        return Vec::new();
    }
    t.split(',').map(|s| s.trim().to_owned()).collect()
}

/// Compiles a Java pattern for `matches()` semantics: translated, then `^(?:…)$`.
pub(crate) fn compile_full_match(java: &str) -> Result<Regex, PolicyError> {
    let body = translate(java)?;
    Regex::new(&format!("^(?:{body})$")).map_err(|e| PolicyError::Regex {
        pattern: java.to_owned(),
        reason: engine_reason(&e.to_string()),
    })
}

/// The engine's message without its "at position N" (which counts in the translated,
/// wrapped pattern and would mislead).
fn engine_reason(message: &str) -> String {
    match message.split_once(": ") {
        Some((head, tail)) if head.contains(" at position ") => tail.to_owned(),
        _ => message.to_owned(),
    }
}

fn err(pattern: &[char], reason: impl Into<String>) -> PolicyError {
    PolicyError::Regex {
        pattern: pattern.iter().collect(),
        reason: reason.into(),
    }
}

/// Translates Java regex syntax to fancy-regex syntax (see the module docs).
pub fn translate(java: &str) -> Result<String, PolicyError> {
    let p: Vec<char> = java.chars().collect();
    let mut out = String::with_capacity(java.len() + 16);
    let mut i = 0;
    let mut class_depth = 0usize;
    while i < p.len() {
        let c = p[i];
        match c {
            '\\' => i = escape(&p, i, class_depth > 0, &mut out)?,
            '[' => {
                class_depth += 1;
                out.push('[');
                i += 1;
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
                i += 1;
            }
            // Rust treats `~~` in a class as symmetric difference; Java as two tildes.
            '~' if class_depth > 0 => {
                out.push_str("\\~");
                i += 1;
            }
            '(' if class_depth == 0 && p.get(i + 1) == Some(&'?') => i = group(&p, i, &mut out)?,
            '{' if class_depth == 0 => i = repetition(&p, i, &mut out)?,
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Characters that must be escaped to be literal in fancy-regex (inside or outside a class).
fn push_literal(out: &mut String, c: char) {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
        out.push(c);
    } else if c.is_whitespace() {
        // Escaped so that `(?x)` mode does not swallow it.
        out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
    } else {
        out.push(c);
    }
}

fn push_code_point(out: &mut String, v: u32) {
    out.push_str(&format!("\\x{{{v:X}}}"));
}

const WORD: &str = "[[:word:]]";
const NON_WORD: &str = "[[:^word:]]";
const SPACE: &str = "[\\t\\n\\x0B\\f\\r\\x20]";
const NON_SPACE: &str = "[^\\t\\n\\x0B\\f\\r\\x20]";
const HSPACE: &str =
    "[\\x20\\t\\xA0\\x{1680}\\x{180E}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}]";
const NON_HSPACE: &str =
    "[^\\x20\\t\\xA0\\x{1680}\\x{180E}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}]";
const VSPACE: &str = "[\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}]";
const NON_VSPACE: &str = "[^\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}]";
/// Java's `\b` is ASCII-word based by default; expressed with look-around.
const BOUNDARY: &str = "(?:(?<=[[:word:]])(?![[:word:]])|(?<![[:word:]])(?=[[:word:]]))";
const NON_BOUNDARY: &str = "(?:(?<=[[:word:]])(?=[[:word:]])|(?<![[:word:]])(?![[:word:]]))";

/// Handles `\x` at `p[i]`; returns the index after the escape.
fn escape(p: &[char], i: usize, in_class: bool, out: &mut String) -> Result<usize, PolicyError> {
    let Some(&n) = p.get(i + 1) else {
        return Err(err(p, "the pattern ends with a lone backslash"));
    };
    let next = i + 2;
    let simple = match n {
        'w' => Some(WORD),
        'W' => Some(NON_WORD),
        'd' => Some("[0-9]"),
        'D' => Some("[^0-9]"),
        's' => Some(SPACE),
        'S' => Some(NON_SPACE),
        'h' => Some(HSPACE),
        'H' => Some(NON_HSPACE),
        'v' => Some(VSPACE),
        'V' => Some(NON_VSPACE),
        't' => Some("\\t"),
        'n' => Some("\\n"),
        'r' => Some("\\r"),
        'f' => Some("\\f"),
        'a' => Some("\\x07"),
        'e' => Some("\\x1B"),
        'A' => Some("\\A"),
        'z' | 'Z' => Some("\\z"), // under matches() `\Z` can only sit at the very end
        _ => None,
    };
    if let Some(s) = simple {
        out.push_str(s);
        return Ok(next);
    }
    match n {
        'Q' => Ok(quote(p, next, out)),
        'b' | 'B' | 'R' if in_class => Err(err(
            p,
            format!("`\\{n}` cannot be used inside a character class"),
        )),
        'b' => push_then(out, BOUNDARY, next),
        'B' => push_then(out, NON_BOUNDARY, next),
        'R' => push_then(
            out,
            "(?:\\r\\n|[\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}])",
            next,
        ),
        'p' | 'P' => property(p, i, n == 'P', out),
        'c' => control(p, next, out),
        '0' => octal(p, next, out),
        'u' => unicode4(p, next, out),
        'x' | 'k' | '1'..='9' => push_then(out, &format!("\\{n}"), next),
        'G' | 'X' | 'E' | 'N' => Err(err(
            p,
            format!("`\\{n}` is not supported (no equivalent in strait's regex engine)"),
        )),
        c if c.is_ascii_alphanumeric() => {
            Err(err(p, format!("`\\{c}` is not a Java regex escape")))
        }
        c => {
            push_literal(out, c);
            Ok(next)
        }
    }
}

fn push_then(out: &mut String, s: &str, next: usize) -> Result<usize, PolicyError> {
    out.push_str(s);
    Ok(next)
}

/// `\Q...\E` (or to the end of the pattern): everything literal.
fn quote(p: &[char], start: usize, out: &mut String) -> usize {
    let mut i = start;
    while i < p.len() {
        if p[i] == '\\' && p.get(i + 1) == Some(&'E') {
            return i + 2;
        }
        push_literal(out, p[i]);
        i += 1;
    }
    i
}

/// `\p{Name}` / `\P{Name}` / `\pL`: POSIX names are ASCII classes in Java.
fn property(p: &[char], i: usize, negated: bool, out: &mut String) -> Result<usize, PolicyError> {
    let (name, next): (String, usize) = if p.get(i + 2) == Some(&'{') {
        let close = p[i + 3..]
            .iter()
            .position(|&c| c == '}')
            .ok_or_else(|| err(p, "unclosed `\\p{`: expected `}`"))?;
        (p[i + 3..i + 3 + close].iter().collect(), i + 4 + close)
    } else {
        let c = p
            .get(i + 2)
            .ok_or_else(|| err(p, "`\\p` needs a property name"))?;
        (c.to_string(), i + 3)
    };
    let posix = match name.as_str() {
        "Lower" => Some("lower"),
        "Upper" => Some("upper"),
        "ASCII" => Some("ascii"),
        "Alpha" => Some("alpha"),
        "Digit" => Some("digit"),
        "Alnum" => Some("alnum"),
        "Punct" => Some("punct"),
        "Graph" => Some("graph"),
        "Print" => Some("print"),
        "Blank" => Some("blank"),
        "Cntrl" => Some("cntrl"),
        "XDigit" => Some("xdigit"),
        "Space" => Some("space"),
        _ => None,
    };
    if let Some(class) = posix {
        let caret = if negated { "^" } else { "" };
        out.push_str(&format!("[[:{caret}{class}:]]"));
        return Ok(next);
    }
    if name.starts_with("java") || name.starts_with("In") {
        return Err(err(
            p,
            format!("`\\p{{{name}}}` (Java-specific class or Unicode block) is not supported"),
        ));
    }
    let letter = if negated { 'P' } else { 'p' };
    out.push_str(&format!("\\{letter}{{{name}}}"));
    Ok(next)
}

/// `\cX`: the control character X ^ 64.
fn control(p: &[char], at: usize, out: &mut String) -> Result<usize, PolicyError> {
    let c = p
        .get(at)
        .ok_or_else(|| err(p, "`\\c` needs a following letter"))?;
    push_code_point(out, u32::from(*c) ^ 64);
    Ok(at + 1)
}

/// `\0n`, `\0nn`, `\0mnn` (m ≤ 3): an octal character.
fn octal(p: &[char], at: usize, out: &mut String) -> Result<usize, PolicyError> {
    let digits: Vec<u32> = p[at..]
        .iter()
        .take(3)
        .map_while(|c| c.to_digit(8))
        .collect();
    let take = if digits.len() == 3 && digits[0] > 3 {
        2
    } else {
        digits.len()
    };
    if take == 0 {
        return Err(err(p, "`\\0` must be followed by octal digits"));
    }
    let v = digits[..take].iter().fold(0, |acc, d| acc * 8 + d);
    push_code_point(out, v);
    Ok(at + take)
}

fn unicode4(p: &[char], at: usize, out: &mut String) -> Result<usize, PolicyError> {
    let hex: String = p
        .get(at..at + 4)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    let v = u32::from_str_radix(&hex, 16)
        .ok()
        .filter(|_| hex.len() == 4)
        .ok_or_else(|| err(p, "`\\u` must be followed by 4 hex digits"))?;
    push_code_point(out, v);
    Ok(at + 4)
}

/// `(?flags)` / `(?flags:`: Java's `d` (UNIX_LINES) and `u` (UNICODE_CASE) have no effect on
/// names without line breaks / under fancy-regex's Unicode case folding, so they are dropped;
/// `U` would change `\w` etc. and is rejected. Other `(?` groups pass through.
fn group(p: &[char], i: usize, out: &mut String) -> Result<usize, PolicyError> {
    let start = i + 2;
    let mut j = start;
    while j < p.len() && (p[j].is_ascii_alphabetic() || p[j] == '-') {
        j += 1;
    }
    let terminator = p.get(j).copied();
    if j == start || !matches!(terminator, Some(')') | Some(':')) {
        out.push_str("(?");
        return Ok(start);
    }
    let (mut on, mut off, mut negative) = (String::new(), String::new(), false);
    for &f in &p[start..j] {
        match f {
            '-' => negative = true,
            'i' | 'm' | 's' | 'x' => {
                if negative {
                    off.push(f)
                } else {
                    on.push(f)
                }
            }
            'd' | 'u' => {}
            'U' => {
                return Err(err(
                    p,
                    "inline flag `U` (UNICODE_CHARACTER_CLASS) is not supported",
                ));
            }
            other => return Err(err(p, format!("unknown inline flag `{other}`"))),
        }
    }
    let flags = if off.is_empty() {
        on
    } else {
        format!("{on}-{off}")
    };
    match (flags.is_empty(), terminator) {
        (true, Some(')')) => {}
        (true, _) => out.push_str("(?:"),
        (false, Some(t)) => out.push_str(&format!("(?{flags}{t}")),
        (false, None) => {}
    }
    Ok(j + 1)
}

/// Java only accepts `{n}`, `{n,}` and `{n,m}` after `{`; anything else is "Illegal
/// repetition". This matters for MM2 lists: `x{1,3}` is split at the comma and rejoined as
/// `x{1|3}`, which Java rejects too.
fn repetition(p: &[char], i: usize, out: &mut String) -> Result<usize, PolicyError> {
    let mut j = i + 1;
    let digits = |j: &mut usize| {
        let s = *j;
        while p.get(*j).is_some_and(char::is_ascii_digit) {
            *j += 1;
        }
        *j > s
    };
    let ok = digits(&mut j) && {
        if p.get(j) == Some(&',') {
            j += 1;
            digits(&mut j);
        }
        p.get(j) == Some(&'}')
    };
    if !ok {
        return Err(err(
            p,
            "`{` must start a repetition such as {2}, {2,} or {2,5}; write `\\{` for a literal \
             brace. MM2 splits pattern lists at commas, so a {n,m} repetition cannot be used in \
             `topics`, `groups` or their excludes",
        ));
    }
    out.extend(&p[i..=j]);
    Ok(j + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, s: &str) -> bool {
        PatternList::parse_list(pattern)
            .expect("compiles")
            .matches(s)
    }

    #[test]
    fn full_match_and_lists() {
        assert!(m("foo", "foo"));
        assert!(!m("foo", "foobar"));
        assert!(!m("foo", "xfoo"));
        assert!(m("a, b ,c", "b"));
        assert!(m("app1.*|app2.*", "app2-x"));
        assert!(m("^(app1.*|app2.*)$", "app1"));
        assert!(!m("", "anything"));
        assert!(PatternList::parse_list("  ").expect("empty").is_empty());
        assert!(m("a,", ""));
    }

    #[test]
    fn mm2_defaults() {
        let ex = ".*[\\-\\.]internal, .*\\.replica, __.*";
        assert!(m(ex, "mm2-offsets.A.internal"));
        assert!(m(ex, "x-internal"));
        assert!(m(ex, "t.replica"));
        assert!(m(ex, "__consumer_offsets"));
        assert!(!m(ex, "orders"));
    }

    #[test]
    fn lookahead_from_seed() {
        let p = "^(?!.*(heartbeats|)).*$";
        // `(heartbeats|)` also matches the empty string, so this matches nothing at all.
        assert!(!m(p, "orders"));
        assert!(!m("^(?!.*heartbeats).*$", "heartbeats"));
        assert!(m("^(?!.*heartbeats).*$", "orders"));
    }

    #[test]
    fn java_specific_syntax() {
        assert!(m("\\Qa.b\\E", "a.b"));
        assert!(!m("\\Qa.b\\E", "axb"));
        assert!(m("\\Qa.b", "a.b"));
        assert!(m("\\w+", "abc_1"));
        assert!(!m("\\w+", "é"));
        assert!(m("\\p{Lower}+", "abc"));
        assert!(!m("\\p{Lower}", "é"));
        assert!(m("\\P{Lower}", "A"));
        assert!(m("(?iu)ABC", "abc"));
        assert!(m("a++b", "aab"));
        assert!(m("(?>a|ab)c|x", "x"));
        assert!(m("[a-z&&[^e]]+", "abc"));
        assert!(!m("[a-z&&[^e]]+", "abe"));
        assert!(m("\\u0041", "A"));
        assert!(m("\\0101", "A"));
        assert!(m("\\cA", "\u{1}"));
        assert!(m("a\\bb|a\\b", "a"));
        assert!(m("[\\w-]+", "a-b"));
        assert!(m("\\@x", "@x"));
        assert!(m("[~]", "~"));
        assert!(m("a{2}", "aa"));
        // Outside a comma list (e.g. `allowlist.pattern`) a {n,} repetition is fine.
        assert!(
            PatternList::single("a{2,}")
                .expect("compiles")
                .matches("aaa")
        );
    }

    #[test]
    fn rejects_with_reasons() {
        for (p, needle) in [
            ("x{1,3}", "commas"),
            ("a{", "repetition"),
            ("\\G", "not supported"),
            ("(?U)a", "UNICODE_CHARACTER_CLASS"),
            ("\\p{javaLowerCase}", "Java-specific"),
            ("\\y", "not a Java regex escape"),
            ("(unclosed", ""),
            ("a\\", "lone backslash"),
        ] {
            let e = PatternList::parse_list(p).expect_err(p).to_string();
            assert!(e.contains(needle), "{p}: {e}");
        }
    }
}
