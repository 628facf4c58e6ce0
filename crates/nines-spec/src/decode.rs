//! Reading typed values out of YAML nodes, reporting every mistake as a diagnostic.
//!
//! Each function returns `None` after recording what was wrong, so a caller can carry on and
//! find the next problem rather than stopping at the first.

use std::path::Path;
use std::str::FromStr;

use crate::diagnostic::{Diagnostics, did_you_mean};
use crate::node::{Key, Node, NodeKind, Position};

/// Where diagnostics go, and which file they are about.
pub(crate) struct Context<'a> {
    pub(crate) file: &'a Path,
    pub(crate) diagnostics: &'a mut Diagnostics,
}

impl Context<'_> {
    pub(crate) fn error(&mut self, position: Position, message: impl Into<String>) {
        self.diagnostics.error(self.file, position, message);
    }

    pub(crate) fn error_hint(
        &mut self,
        position: Position,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diagnostics
            .error_hint(self.file, position, message, hint);
    }

    pub(crate) fn warning(
        &mut self,
        position: Position,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.diagnostics.warning(self.file, position, message, hint);
    }

    pub(crate) fn note(&mut self, position: Position, message: impl Into<String>, hint: String) {
        self.diagnostics
            .note(self.file, position, message, Some(hint));
    }
}

/// A mapping whose keys were checked against the ones allowed.
pub(crate) struct Map<'n> {
    pub(crate) node: &'n Node,
    entries: &'n [(Key, Node)],
}

impl<'n> Map<'n> {
    /// The value of `key`, if present and not null.
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, value)| value)
            .filter(|value| !value.is_null())
    }

    /// The value of `key`, or an error that it is missing.
    pub(crate) fn require(&self, cx: &mut Context<'_>, key: &str, what: &str) -> Option<&'n Node> {
        let value = self.get(key);
        if value.is_none() {
            cx.error(self.node.position, format!("{what} has no `{key}`"));
        }
        value
    }

    /// True when `key` is present.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// Reads `node` as a mapping whose keys must be among `allowed`; unknown keys are errors with
/// a suggestion, and the mapping is still returned so its known keys can be checked.
pub(crate) fn mapping<'n>(
    cx: &mut Context<'_>,
    node: &'n Node,
    what: &str,
    allowed: &[&str],
) -> Option<Map<'n>> {
    let NodeKind::Mapping(entries) = &node.kind else {
        cx.error(
            node.position,
            format!("{what} must be a mapping, not {}", node.kind_name()),
        );
        return None;
    };
    for (key, _) in entries {
        if !allowed.contains(&key.name.as_str()) {
            let hint = match did_you_mean(&key.name, allowed.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("{what} takes {}", list(allowed)),
            };
            cx.error_hint(
                key.position,
                format!("unknown key `{}` in {what}", key.name),
                hint,
            );
        }
    }
    Some(Map { node, entries })
}

/// Reads `node` as a list; a single mapping or scalar is not accepted.
pub(crate) fn sequence<'n>(cx: &mut Context<'_>, node: &'n Node, what: &str) -> &'n [Node] {
    match &node.kind {
        NodeKind::Sequence(items) => items,
        _ => {
            cx.error(
                node.position,
                format!("{what} must be a list, not {}", node.kind_name()),
            );
            &[]
        }
    }
}

/// Reads a scalar's text.
pub(crate) fn text<'n>(cx: &mut Context<'_>, node: &'n Node, what: &str) -> Option<&'n str> {
    let text = node.scalar();
    if text.is_none() {
        cx.error(
            node.position,
            format!("{what} must be a value, not {}", node.kind_name()),
        );
    }
    text
}

/// Reads a scalar and parses it; the parser's error becomes the message when it is one of
/// ours, which say what was expected. The standard number parsers' messages ("invalid digit
/// found in string") do not, so for them the message only quotes the value and the hint says
/// what to write; [`number`] says it in the message.
pub(crate) fn parsed<T>(cx: &mut Context<'_>, node: &Node, what: &str, hint: &str) -> Option<T>
where
    T: FromStr,
    T::Err: std::fmt::Display + 'static,
{
    let text = text(cx, node, what)?;
    match text.parse::<T>() {
        Ok(value) => Some(value),
        Err(error) => {
            let any: &dyn std::any::Any = &error;
            let message =
                if any.is::<std::num::ParseIntError>() || any.is::<std::num::ParseFloatError>() {
                    format!("{what} cannot be `{text}`")
                } else {
                    format!("{what}: {error}")
                };
            cx.error_hint(node.position, message, hint);
            None
        }
    }
}

/// Reads a scalar as a number; the message says what was expected, since the number parsers'
/// own messages ("invalid digit found in string") do not.
pub(crate) fn number<T: FromStr>(
    cx: &mut Context<'_>,
    node: &Node,
    what: &str,
    expected: &str,
) -> Option<T> {
    let text = text(cx, node, what)?;
    let value = text.parse::<T>().ok();
    if value.is_none() {
        cx.error(
            node.position,
            format!("{what} must be {expected}, not `{text}`"),
        );
    }
    value
}

/// Reads a boolean.
pub(crate) fn boolean(cx: &mut Context<'_>, node: &Node, what: &str) -> Option<bool> {
    match text(cx, node, what)? {
        "true" => Some(true),
        "false" => Some(false),
        other => {
            cx.error(
                node.position,
                format!("{what} must be true or false, not `{other}`"),
            );
            None
        }
    }
}

/// Reads one of `choices`.
pub(crate) fn choice<'c>(
    cx: &mut Context<'_>,
    node: &Node,
    what: &str,
    choices: &[&'c str],
) -> Option<&'c str> {
    let value = text(cx, node, what)?;
    if let Some(found) = choices.iter().find(|c| **c == value) {
        return Some(found);
    }
    let hint = match did_you_mean(value, choices.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("use {}", list(choices)),
    };
    cx.error_hint(node.position, format!("{what} cannot be `{value}`"), hint);
    None
}

/// Reads a mapping of strings to strings (labels).
pub(crate) fn labels(
    cx: &mut Context<'_>,
    node: Option<&Node>,
) -> std::collections::BTreeMap<String, String> {
    let mut labels = std::collections::BTreeMap::new();
    let Some(node) = node else { return labels };
    match &node.kind {
        NodeKind::Mapping(entries) => {
            for (key, value) in entries {
                if let Some(text) = text(cx, value, &format!("label `{}`", key.name)) {
                    labels.insert(key.name.clone(), text.to_owned());
                }
            }
        }
        _ => cx.error(
            node.position,
            format!("labels must be a mapping, not {}", node.kind_name()),
        ),
    }
    labels
}

/// `a`, `b` or `c`.
pub(crate) fn list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_parser_messages_do_not_reach_the_user() {
        let node = &crate::node::parse("lots").unwrap()[0];
        let mut diagnostics = Diagnostics::default();
        let cx = &mut Context {
            file: Path::new("slos.yaml"),
            diagnostics: &mut diagnostics,
        };
        assert_eq!(
            parsed::<u64>(cx, node, "`count`", "a whole number such as 3"),
            None
        );
        assert_eq!(
            parsed::<f64>(cx, node, "a bound", "a number such as 0.5"),
            None
        );
        assert_eq!(
            number::<u64>(cx, node, "`min_events`", "a whole number such as 100"),
            None
        );
        let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "error: slos.yaml:1:1: `count` cannot be `lots`\n  hint: a whole number such as 3",
                "error: slos.yaml:1:1: a bound cannot be `lots`\n  hint: a number such as 0.5",
                "error: slos.yaml:1:1: `min_events` must be a whole number such as 100, not `lots`",
            ]
        );
    }
}
