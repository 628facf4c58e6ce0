//! A small YAML writer for the files nines generates: rule files, `PrometheusRule` resources
//! and promtool test suites.
//!
//! nines decides the shape of these documents; only strings come from users (queries, names,
//! label values), so the care goes into scalars. A string is written plain only when no YAML
//! 1.1 or 1.2 reader (Prometheus reads rule files with a 1.1 one) can take it for anything
//! else, as a literal block when it spans lines, and double-quoted with escapes otherwise.

use std::fmt::Write as _;

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    /// A string, quoted as it needs.
    Str(String),
    /// A number or other scalar written exactly as given, unquoted.
    Raw(String),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// A mapping, in the order given.
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    /// A string node.
    pub fn str(text: impl Into<String>) -> Yaml {
        Yaml::Str(text.into())
    }

    /// A number node, written in Rust's shortest form that reads back to the same float.
    pub fn number(value: f64) -> Yaml {
        Yaml::Raw(format!("{value:?}"))
    }

    /// An empty mapping, to be filled with [`Yaml::with`].
    pub fn map() -> Yaml {
        Yaml::Map(Vec::new())
    }

    /// This mapping with `key: value` added at the end (no-op on other nodes).
    pub fn with(mut self, key: impl Into<String>, value: Yaml) -> Yaml {
        if let Yaml::Map(entries) = &mut self {
            entries.push((key.into(), value));
        }
        self
    }

    /// The document as text, ending with a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        match self {
            Yaml::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
            Yaml::Seq(items) if !items.is_empty() => write_seq(&mut out, items, 0),
            other => {
                out.push_str(&inline(other).unwrap_or_default());
                out.push('\n');
            }
        }
        out
    }
}

/// The node on one line, or `None` when it needs lines of its own.
fn inline(node: &Yaml) -> Option<String> {
    match node {
        Yaml::Str(text) => match style(text) {
            Style::Plain => Some(text.clone()),
            Style::Quoted => Some(double_quoted(text)),
            Style::Literal => None,
        },
        Yaml::Raw(text) => Some(text.clone()),
        Yaml::Seq(items) if items.is_empty() => Some("[]".to_owned()),
        Yaml::Map(entries) if entries.is_empty() => Some("{}".to_owned()),
        Yaml::Seq(_) | Yaml::Map(_) => None,
    }
}

fn write_map(out: &mut String, entries: &[(String, Yaml)], indent: usize) {
    for (index, (key, value)) in entries.iter().enumerate() {
        // The first entry of a mapping inside a sequence item follows its `- ` on the same line.
        if index > 0 || !out.ends_with("- ") {
            pad(out, indent);
        }
        out.push_str(&inline(&Yaml::Str(key.clone())).unwrap_or_else(|| double_quoted(key)));
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Yaml], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push_str("- ");
        match item {
            Yaml::Map(entries) if !entries.is_empty() => write_map(out, entries, indent + 2),
            Yaml::Seq(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, indent + 2);
            }
            Yaml::Str(text) if style(text) == Style::Literal => {
                out.pop();
                write_literal(out, text, indent);
            }
            other => {
                out.push_str(&inline(other).unwrap_or_default());
                out.push('\n');
            }
        }
    }
}

/// Writes what follows `key:`, with nested nodes indented under the key.
fn write_value(out: &mut String, value: &Yaml, indent: usize) {
    if let Some(text) = inline(value) {
        let _ = writeln!(out, " {text}");
        return;
    }
    match value {
        Yaml::Map(entries) => {
            out.push('\n');
            write_map(out, entries, indent + 2);
        }
        Yaml::Seq(items) => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        Yaml::Str(text) => write_literal(out, text, indent),
        Yaml::Raw(_) => {}
    }
}

/// A literal block (`|-`: no trailing newline), its lines indented one step deeper.
fn write_literal(out: &mut String, text: &str, indent: usize) {
    out.push_str(" |-\n");
    for line in text.split('\n') {
        if !line.is_empty() {
            pad(out, indent + 2);
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// How a string is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Literal,
    Quoted,
}

fn style(text: &str) -> Style {
    if is_plain_safe(text) {
        Style::Plain
    } else if is_literal_safe(text) {
        Style::Literal
    } else {
        Style::Quoted
    }
}

/// Characters that mean something at the start of a plain scalar.
const INDICATORS: &str = "-?:,[]{}#&*!|>'\"%@`";

/// Words that YAML 1.1 or 1.2 readers turn into booleans or null.
const SPECIAL_WORDS: [&str; 12] = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "<<", "=",
];

/// True when `text` reads back as this very string when written plain.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let printable_ascii = text.bytes().all(|b| (0x20..0x7f).contains(&b));
    printable_ascii
        && text.trim() == text
        && !INDICATORS.contains(first)
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !SPECIAL_WORDS.contains(&text.to_ascii_lowercase().as_str())
        && !may_resolve_to_number_or_date(text)
}

/// True for strings that start like a number, unless they are durations (`5m`, `1h30m`) or
/// text with spaces that cannot be a number or a date (`1 - x`).
fn may_resolve_to_number_or_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !(bytes[0].is_ascii_digit() || matches!(bytes[0], b'+' | b'-' | b'.')) {
        return false;
    }
    if is_duration(text) {
        return false;
    }
    let looks_like_date = bytes.len() > 4 && bytes[..4].iter().all(u8::is_ascii_digit);
    !text.contains(' ') || looks_like_date
}

/// `5m`, `1h30m`, `30d`: digits and unit letters, nothing else.
fn is_duration(text: &str) -> bool {
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let units = rest[digits..]
            .bytes()
            .take_while(|b| b"smhdwy".contains(b))
            .count();
        if digits == 0 || units == 0 {
            return false;
        }
        rest = &rest[digits + units..];
    }
    true
}

/// True when `text` can be a literal block: several lines of printable text, none ending in
/// blanks, the first not starting with one.
fn is_literal_safe(text: &str) -> bool {
    text.contains('\n')
        && !text.starts_with([' ', '\t', '\n'])
        && !text.ends_with('\n')
        && text.chars().all(|c| c == '\n' || !needs_escape(c))
        && !text.chars().any(|c| c == '\t')
        && text.split('\n').all(|line| line.trim_end() == line)
}

/// Characters that are not printable in YAML, or that a YAML 1.1 reader takes for line breaks.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A double-quoted scalar with YAML escapes.
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_nest_with_two_spaces() {
        let doc = Yaml::map().with(
            "groups",
            Yaml::Seq(vec![Yaml::map().with("name", Yaml::str("a")).with(
                "rules",
                Yaml::Seq(vec![
                    Yaml::map()
                        .with("record", Yaml::str("slo:sli_error:ratio_rate5m"))
                        .with("expr", Yaml::str("sum(rate(x{code=~\"5..\"}[5m]))"))
                        .with("labels", Yaml::map().with("sloth_window", Yaml::str("5m"))),
                ]),
            )]),
        );
        let expected = "\
groups:
  - name: a
    rules:
      - record: slo:sli_error:ratio_rate5m
        expr: sum(rate(x{code=~\"5..\"}[5m]))
        labels:
          sloth_window: 5m
";
        assert_eq!(doc.render(), expected);
    }

    #[test]
    fn strings_that_read_as_something_else_are_quoted() {
        for text in [
            "",
            "yes",
            "No",
            "on",
            "null",
            "~",
            "1",
            "0.5",
            "1e3",
            "0x1F",
            "1_000",
            "12:30",
            "2026-01-01",
            "- a",
            "a: b",
            "a #b",
            "{a}",
            "[a]",
            "'a",
            "\"a",
            "*a",
            "&a",
            "!a",
            "|a",
            ">a",
            "%a",
            "@a",
            "`a`",
            " a",
            "a ",
            "a\tb",
            "é",
            "2026-01-01 10:00",
        ] {
            let line = inline(&Yaml::str(text)).unwrap();
            assert!(line.starts_with('"'), "{text:?} was written as {line}");
        }
        for text in [
            "5m",
            "1h30m",
            "slo:x",
            "sum(rate(x[5m])) > 0",
            "1 - slo:x",
            "a-b",
        ] {
            assert_eq!(inline(&Yaml::str(text)).unwrap(), text);
        }
    }

    proptest::proptest! {
        /// Whatever a string holds, a YAML reader gets that very string back: plain, literal
        /// block or double-quoted, whichever the writer chose.
        #[test]
        fn every_string_reads_back_as_itself(
            text in "[a-z0-9 :#'\"{}\\[\\],&*!|>%@`\\-?=~.+\n\té\u{2028}]{0,24}",
        ) {
            use saphyr::LoadableYamlNode as _;
            let document = Yaml::map()
                .with("key", Yaml::str(&text))
                .with("list", Yaml::Seq(vec![Yaml::str(&text)]))
                .render();
            let parsed = saphyr::Yaml::load_from_str(&document).unwrap();
            let expected = Some(text.as_str());
            proptest::prop_assert_eq!(parsed[0]["key"].as_str(), expected, "{}", document);
            proptest::prop_assert_eq!(parsed[0]["list"][0].as_str(), expected, "{}", document);
        }
    }

    #[test]
    fn multi_line_strings_become_literal_blocks() {
        let doc = Yaml::map().with("expr", Yaml::str("a\nor\n  b"));
        assert_eq!(doc.render(), "expr: |-\n  a\n  or\n    b\n");
        let trailing = Yaml::map().with("expr", Yaml::str("a\n"));
        assert_eq!(trailing.render(), "expr: \"a\\n\"\n");
    }
}
