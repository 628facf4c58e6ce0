//! A small YAML writer: block mappings and lists, scalars quoted only where a reader could take
//! them for something else, so that the output reads like a hand-written spec. JSON, for
//! annotation values, comes from the same tree.

use std::fmt::Write as _;

/// A YAML value to write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Yaml {
    /// Text written as is: numbers, booleans, durations.
    Plain(String),
    /// Text that must read back as text: quoted where it could be taken for anything else.
    Text(String),
    /// A mapping, keys in order.
    Map(Vec<(String, Yaml)>),
    /// A list.
    List(Vec<Yaml>),
}

impl Yaml {
    /// A plain scalar from anything printable.
    pub(crate) fn plain(value: impl ToString) -> Yaml {
        Yaml::Plain(value.to_string())
    }

    /// A text scalar.
    pub(crate) fn text(value: impl Into<String>) -> Yaml {
        Yaml::Text(value.into())
    }

    /// True for an empty mapping or list.
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Yaml::Map(entries) if entries.is_empty())
            || matches!(self, Yaml::List(items) if items.is_empty())
    }
}

/// A mapping under construction.
#[derive(Debug, Default)]
pub(crate) struct Mapping(Vec<(String, Yaml)>);

impl Mapping {
    /// An empty mapping.
    pub(crate) fn new() -> Mapping {
        Mapping::default()
    }

    /// Adds `key: value`.
    pub(crate) fn set(&mut self, key: &str, value: Yaml) -> &mut Mapping {
        self.0.push((key.to_owned(), value));
        self
    }

    /// Adds `key: value` when there is a value.
    pub(crate) fn set_some(&mut self, key: &str, value: Option<Yaml>) -> &mut Mapping {
        if let Some(value) = value {
            self.set(key, value);
        }
        self
    }

    /// Adds `key: value` unless the value is an empty mapping or list.
    pub(crate) fn set_nonempty(&mut self, key: &str, value: Yaml) -> &mut Mapping {
        if !value.is_empty() {
            self.set(key, value);
        }
        self
    }

    /// The finished mapping.
    pub(crate) fn build(&mut self) -> Yaml {
        Yaml::Map(std::mem::take(&mut self.0))
    }
}

/// `documents` as a YAML stream, separated by `---`.
pub(crate) fn documents(documents: &[Yaml]) -> String {
    let texts: Vec<String> = documents.iter().map(document).collect();
    texts.join("---\n")
}

/// One YAML document.
pub(crate) fn document(value: &Yaml) -> String {
    let mut out = String::new();
    match value {
        Yaml::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0, false),
        Yaml::List(items) if !items.is_empty() => write_list(&mut out, items, 0),
        other => {
            write_inline(&mut out, other, 0);
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, entries: &[(String, Yaml)], indent: usize, first_inline: bool) {
    for (number, (key, value)) in entries.iter().enumerate() {
        if number > 0 || !first_inline {
            pad(out, indent);
        }
        out.push_str(&scalar(key, indent));
        out.push(':');
        match value {
            Yaml::Map(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, indent + 2, false);
            }
            Yaml::List(items) if !items.is_empty() => {
                out.push('\n');
                write_list(out, items, indent + 2);
            }
            _ => {
                out.push(' ');
                write_inline(out, value, indent);
                out.push('\n');
            }
        }
    }
}

fn write_list(out: &mut String, items: &[Yaml], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push_str("- ");
        match item {
            Yaml::Map(entries) if !entries.is_empty() => write_map(out, entries, indent + 2, true),
            Yaml::List(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(out, inner, indent + 2);
            }
            _ => {
                write_inline(out, item, indent);
                out.push('\n');
            }
        }
    }
}

/// A scalar, or an empty mapping or list, on the current line.
fn write_inline(out: &mut String, value: &Yaml, indent: usize) {
    match value {
        Yaml::Plain(text) => out.push_str(text),
        Yaml::Text(text) => out.push_str(&scalar(text, indent)),
        Yaml::Map(_) => out.push_str("{}"),
        Yaml::List(_) => out.push_str("[]"),
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// `text` as a scalar that reads back as the same text: plain where that is safe, a literal
/// block for several lines, single quotes, or double quotes with escapes.
fn scalar(text: &str, indent: usize) -> String {
    if text.contains('\n') {
        if let Some(block) = literal_block(text, indent) {
            return block;
        }
        return double_quoted(text);
    }
    if is_plain_safe(text) {
        text.to_owned()
    } else if !text.contains('\'') && !text.chars().any(char::is_control) {
        format!("'{text}'")
    } else {
        double_quoted(text)
    }
}

/// A `|` block, when the lines can be written as they are.
fn literal_block(text: &str, indent: usize) -> Option<String> {
    let (body, chomp) = match text.strip_suffix('\n') {
        Some(body) if !body.ends_with('\n') => (body, ""),
        Some(_) => return None,
        None => (text, "-"),
    };
    let clean = !body.starts_with([' ', '\n'])
        && !body.chars().any(|c| c.is_control() && c != '\n')
        && body.lines().all(|line| line.trim_end() == line);
    if !clean {
        return None;
    }
    let mut block = format!("|{chomp}");
    for line in body.split('\n') {
        block.push('\n');
        if !line.is_empty() {
            pad(&mut block, indent + 2);
            block.push_str(line);
        }
    }
    Some(block)
}

/// Words a YAML reader would take for a boolean or null.
const RESERVED: [&str; 12] = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "nan", "inf",
];

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let indicator = "-?:,[]{}#&*!|>'\"%@`";
    let numeric = first.is_ascii_digit() || matches!(first, '.' | '+');
    !indicator.contains(first)
        && !numeric
        && text.trim() == text
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.chars().any(char::is_control)
        && !RESERVED.contains(&text.to_ascii_lowercase().trim_start_matches('.'))
}

fn double_quoted(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    escape_into(&mut quoted, text);
    quoted.push('"');
    quoted
}

/// Escapes `"`, `\` and control characters, as both YAML and JSON read them.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// `value` as compact JSON. Plain scalars are numbers when they read as one, else strings.
pub(crate) fn json(value: &Yaml) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Yaml) {
    match value {
        Yaml::Plain(text) if is_json_literal(text) => out.push_str(text),
        Yaml::Plain(text) | Yaml::Text(text) => {
            out.push('"');
            escape_into(out, text);
            out.push('"');
        }
        Yaml::Map(entries) => {
            out.push('{');
            for (number, (key, value)) in entries.iter().enumerate() {
                if number > 0 {
                    out.push_str(", ");
                }
                write_json(out, &Yaml::Text(key.clone()));
                out.push_str(": ");
                write_json(out, value);
            }
            out.push('}');
        }
        Yaml::List(items) => {
            out.push('[');
            for (number, item) in items.iter().enumerate() {
                if number > 0 {
                    out.push_str(", ");
                }
                write_json(out, item);
            }
            out.push(']');
        }
    }
}

fn is_json_literal(text: &str) -> bool {
    matches!(text, "true" | "false" | "null")
        || (text.parse::<f64>().is_ok_and(f64::is_finite)
            && text.starts_with(|c: char| c.is_ascii_digit() || c == '-')
            && !text.starts_with("00"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{NodeKind, parse};

    fn round_trip(text: &str) -> String {
        let written = document(&Mapping::new().set("k", Yaml::text(text)).build());
        let nodes = parse(&written).unwrap_or_else(|e| panic!("{written}: {e:?}"));
        let NodeKind::Mapping(entries) = &nodes[0].kind else {
            panic!("{written}")
        };
        entries[0].1.scalar().unwrap().to_owned()
    }

    #[test]
    fn text_reads_back_as_written() {
        for text in [
            "status >= 500",
            "!health_check",
            "path.startsWith(\"/healthz\")",
            "'quoted' and \"double\"",
            "true",
            "99.9",
            "2026-10-01",
            "a: b",
            "x #y",
            "-leading",
            "",
            " padded ",
            "sum(rate(x[{{.window}}]))",
            "{{.window}}",
            "two\nlines",
            "ends\n",
            "tab\there",
            "trailing \nspace",
        ] {
            assert_eq!(round_trip(text), text, "{text:?}");
        }
    }

    #[test]
    fn nested_mappings_and_lists() {
        let mut slo = Mapping::new();
        slo.set("name", Yaml::text("availability"))
            .set("objective", Yaml::plain("99.9"));
        let doc = Mapping::new()
            .set("services", Yaml::List(vec![slo.build()]))
            .set("empty", Yaml::List(Vec::new()))
            .build();
        assert_eq!(
            document(&doc),
            "services:\n  - name: availability\n    objective: 99.9\nempty: []\n"
        );
    }

    #[test]
    fn json_for_annotations() {
        let value = Yaml::List(vec![
            Mapping::new()
                .set("reason", Yaml::text("say \"hi\""))
                .set("n", Yaml::plain("100"))
                .set("d", Yaml::plain("5m"))
                .build(),
        ]);
        assert_eq!(
            json(&value),
            r#"[{"reason": "say \"hi\"", "n": 100, "d": "5m"}]"#
        );
    }
}
