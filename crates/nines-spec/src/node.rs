//! YAML as a tree of nodes that remember where they stand in the file, so that every problem
//! can be reported at its line and column.
//!
//! Scalars keep their text as written: the decoder knows which type each key wants, and an
//! objective of `99.90` must reach the decimal parser as text, never through a float.

use saphyr::{MarkedYaml, ScalarStyle, YamlData, YamlLoader};

/// Where a node starts: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where it starts.
    pub position: Position,
    /// What it holds.
    pub kind: NodeKind,
}

/// The kinds of YAML node the spec uses.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar, as written, and whether it was quoted.
    Scalar {
        /// The text, without quotes.
        text: String,
        /// True for `'…'`, `"…"` and block scalars.
        quoted: bool,
    },
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping with its keys in order.
    Mapping(Vec<(Key, Node)>),
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// Where it stands.
    pub position: Position,
}

/// A YAML syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub position: Position,
    /// What it said.
    pub message: String,
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// True for an empty plain scalar, `~` or `null`.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, quoted: false }
            if text.is_empty() || text == "~" || text == "null")
    }

    /// The column, counted from 1, of byte `offset` of this scalar's text, assuming it sits
    /// on one line; quotes shift it by one.
    pub fn position_at(&self, offset: usize) -> Position {
        let quote = matches!(&self.kind, NodeKind::Scalar { quoted: true, .. });
        let text = self.scalar().unwrap_or_default();
        let before = &text[..offset.min(text.len())];
        match before.rfind('\n') {
            // A block scalar: count lines from its start; columns are approximate.
            Some(newline) => Position {
                line: self.position.line + before.matches('\n').count(),
                column: before[newline + 1..].chars().count() + 1,
            },
            None => Position {
                line: self.position.line,
                column: self.position.column + usize::from(quote) + before.chars().count(),
            },
        }
    }

    /// A short description of the node's kind, for type errors.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { .. } if self.is_null() => "nothing",
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Sequence(_) => "a list",
            NodeKind::Mapping(_) => "a mapping",
        }
    }
}

/// Parses every document of `text`.
///
/// # Errors
///
/// The first YAML syntax error, with its position.
pub fn parse(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut loader = YamlLoader::<MarkedYaml<'_>>::default();
    loader.early_parse(false);
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    let scan = |error: &saphyr::ScanError| SyntaxError {
        position: Position {
            line: error.marker().line(),
            column: error.marker().col() + 1,
        },
        message: error.info().to_owned(),
    };
    parser.load(&mut loader, true).map_err(|e| scan(&e))?;
    if let Some(error) = loader.error() {
        return Err(scan(error));
    }
    Ok(loader.into_documents().iter().map(convert).collect())
}

fn convert(yaml: &MarkedYaml<'_>) -> Node {
    let position = Position {
        line: yaml.span.start.line(),
        column: yaml.span.start.col() + 1,
    };
    let kind = match &yaml.data {
        YamlData::Representation(text, style, _) => NodeKind::Scalar {
            text: text.to_string(),
            quoted: !matches!(style, ScalarStyle::Plain),
        },
        YamlData::Value(scalar) => NodeKind::Scalar {
            text: format!("{scalar:?}"),
            quoted: false,
        },
        YamlData::Sequence(items) => NodeKind::Sequence(items.iter().map(convert).collect()),
        YamlData::Mapping(entries) => NodeKind::Mapping(
            entries
                .iter()
                .map(|(key, value)| {
                    let key_node = convert(key);
                    let name = key_node.scalar().unwrap_or_default().to_owned();
                    let key = Key {
                        name,
                        position: key_node.position,
                    };
                    (key, convert(value))
                })
                .collect(),
        ),
        YamlData::Tagged(_, inner) => return convert(inner),
        YamlData::Alias(_) | YamlData::BadValue => NodeKind::Scalar {
            text: String::new(),
            quoted: false,
        },
    };
    Node { position, kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_their_text_and_position() {
        let docs = parse("a: 99.90\nb:\n  - 'x y'\n").unwrap();
        let NodeKind::Mapping(entries) = &docs[0].kind else {
            panic!()
        };
        assert_eq!(entries[0].0.name, "a");
        assert_eq!(entries[0].1.scalar(), Some("99.90"));
        assert_eq!(entries[0].1.position, Position { line: 1, column: 4 });
        let NodeKind::Sequence(items) = &entries[1].1.kind else {
            panic!()
        };
        assert_eq!(items[0].scalar(), Some("x y"));
        assert_eq!(items[0].position, Position { line: 3, column: 5 });
        // Offset 2 of 'x y' is the `y`, one column further for the quote.
        assert_eq!(items[0].position_at(2), Position { line: 3, column: 8 });
    }

    #[test]
    fn syntax_errors_have_positions() {
        let error = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(error.position.line >= 1);
        assert!(!error.message.is_empty());
    }

    #[test]
    fn several_documents() {
        assert_eq!(parse("a: 1\n---\nb: 2\n").unwrap().len(), 2);
    }
}
