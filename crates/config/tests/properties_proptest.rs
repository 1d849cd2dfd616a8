//! Property tests of the `.properties` reader: any key/value written with Java's escaping
//! rules, any separator, any continuation split, reads back unchanged with its line number.

use proptest::prelude::*;
use strait_config::properties::parse;

/// One escaped unit per character, as `Properties.store` would write it (plus `\uXXXX`
/// for non-ASCII when `unicode_escape`).
fn escape_units(s: &str, unicode_escape: bool) -> Vec<String> {
    let mut out = Vec::new();
    for c in s.chars() {
        let unit = match c {
            '\\' => "\\\\".to_owned(),
            ' ' => "\\ ".to_owned(),
            '\t' => "\\t".to_owned(),
            '\n' => "\\n".to_owned(),
            '\r' => "\\r".to_owned(),
            '\u{c}' => "\\f".to_owned(),
            '=' | ':' | '#' | '!' => format!("\\{c}"),
            c if c.is_control() || (unicode_escape && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                c.encode_utf16(&mut buf)
                    .iter()
                    .map(|u| format!("\\u{u:04X}"))
                    .collect()
            }
            c => c.to_string(),
        };
        out.push(unit);
    }
    out
}

/// Joins units, inserting `\` + newline + indentation before the units in `breaks`.
fn with_continuations(units: &[String], breaks: &[usize], indent: &str) -> (String, usize) {
    let mut text = String::new();
    let mut lines = 0;
    for (i, u) in units.iter().enumerate() {
        if i > 0 && breaks.contains(&i) {
            text.push_str("\\\n");
            text.push_str(indent);
            lines += 1;
        }
        text.push_str(u);
    }
    (text, lines)
}

fn any_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            2 => prop::sample::select(vec![' ', '\t', '=', ':', '#', '!', '\\', '\n', '\r', '\u{c}', '.', '-', '$', '{', '}']),
            1 => any::<char>(),
        ],
        0..24,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn escaped_entries_round_trip(
        key in any_text().prop_filter("non-empty key", |k| !k.is_empty()),
        value in any_text(),
        sep in prop::sample::select(vec!["=", ":", " ", " = ", "\t:\t", "  "]),
        lead in prop::sample::select(vec!["", "  ", "\t", " \u{c} "]),
        unicode_escape in any::<bool>(),
        breaks in prop::collection::vec(0usize..30, 0..4),
        indent in prop::sample::select(vec!["", "  ", "\t\t", " \u{c}"]),
        blank_lines in 0usize..3,
    ) {
        let key_units = escape_units(&key, unicode_escape);
        let (key_text, key_lines) = with_continuations(&key_units, &breaks, indent);
        let value_units = escape_units(&value, unicode_escape);
        let (value_text, value_lines) = with_continuations(&value_units, &breaks, indent);
        let preamble = "# comment\n!other comment \\\n".to_owned() + &"\n".repeat(blank_lines);
        let text = format!("{preamble}{lead}{key_text}{sep}{value_text}\nnext = 1\n");
        let props = parse(&text, "p").expect("parses");
        let entry = props.get(&key).expect("key present");
        prop_assert_eq!(&entry.value, &value);
        let first_line = 3 + blank_lines;
        prop_assert_eq!(entry.line, first_line);
        let next = props.get("next").expect("next present");
        prop_assert_eq!(next.line, first_line + 1 + key_lines + value_lines);
    }

    #[test]
    fn never_panics(text in ".{0,200}") {
        let _ = parse(&text, "p");
    }

    #[test]
    fn later_duplicates_win(values in prop::collection::vec("[a-z0-9]{0,8}", 1..5)) {
        let text: String = values.iter().map(|v| format!("k={v}\n")).collect();
        let props = parse(&text, "p").expect("parses");
        let last = values.last().cloned().unwrap_or_default();
        prop_assert_eq!(props.get("k").map(|p| p.value.clone()), Some(last));
        prop_assert_eq!(props.get("k").map(|p| p.line), Some(values.len()));
    }
}
