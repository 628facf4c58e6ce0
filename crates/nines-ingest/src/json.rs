//! JSON lines: one object a line, fields found by dotted paths into nested objects.
//!
//! The paths of a [`RecordMapping`](nines_core::source::RecordMapping) are compiled into a
//! tree, and serde_json walks each line against it: wanted values are kept (borrowed from the
//! line unless they hold escapes), everything else is skipped without being built, so a line
//! costs no allocation. serde_json still checks the whole line, so invalid JSON is reported.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::Reason;
use crate::record::{Mapping, Scalar, Strings};

/// A node of the path tree: the slots whose path ends here and the keys that go deeper.
#[derive(Debug, Default)]
struct Node {
    slots: Vec<usize>,
    children: Vec<(String, Node)>,
}

impl Node {
    fn insert(&mut self, path: &str, slot: usize) {
        let mut node = self;
        for key in path.split('.') {
            let index = match node.children.iter().position(|(k, _)| k == key) {
                Some(index) => index,
                None => {
                    node.children.push((key.to_owned(), Node::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[index].1;
        }
        node.slots.push(slot);
    }
}

/// A reader of JSON lines.
#[derive(Debug)]
pub(crate) struct JsonParser {
    pub(crate) mapping: Mapping,
    root: Node,
}

impl JsonParser {
    pub(crate) fn new(mapping: Mapping) -> JsonParser {
        let mut root = Node::default();
        for (slot, path) in mapping.paths.iter().enumerate() {
            if let Some(path) = path {
                root.insert(path, slot);
            }
        }
        JsonParser { mapping, root }
    }

    /// Finds the mapped values of one line, one per slot (`slots` must hold `slot_count`).
    pub(crate) fn find<'a>(
        &self,
        line: &'a str,
        slots: &mut [Scalar<'a>],
        strings: &mut Strings,
    ) -> Result<(), Reason> {
        let mut deserializer = serde_json::Deserializer::from_str(line);
        let seed = NodeSeed {
            node: &self.root,
            mapping: &self.mapping,
            slots,
            strings,
        };
        let is_object = seed
            .deserialize(&mut deserializer)
            .map_err(|_| Reason::InvalidJson)?;
        deserializer.end().map_err(|_| Reason::InvalidJson)?;
        if is_object {
            Ok(())
        } else {
            Err(Reason::NotJsonObject)
        }
    }
}

/// Walks one JSON value at a node of the path tree; yields whether the value was an object.
struct NodeSeed<'p, 's, 'a> {
    node: &'p Node,
    mapping: &'p Mapping,
    slots: &'s mut [Scalar<'a>],
    strings: &'s mut Strings,
}

impl<'a> NodeSeed<'_, '_, 'a> {
    fn set(&mut self, scalar: Scalar<'a>) {
        for &slot in &self.node.slots {
            self.slots[slot] = scalar;
        }
    }

    /// A number goes into text slots as text, since the record could have quoted it.
    fn set_number(&mut self, scalar: Scalar<'a>, display: impl fmt::Display) {
        for &slot in &self.node.slots {
            self.slots[slot] = if self.mapping.wants_text(slot) {
                Scalar::Owned(self.strings.push_display(&display))
            } else {
                scalar
            };
        }
    }

    fn child(&mut self, index: usize) -> NodeSeed<'_, '_, 'a> {
        NodeSeed {
            node: &self.node.children[index].1,
            mapping: self.mapping,
            slots: self.slots,
            strings: self.strings,
        }
    }
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for NodeSeed<'_, '_, 'a> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for NodeSeed<'_, '_, 'a> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(mut self, value: bool) -> Result<bool, E> {
        self.set(Scalar::Bool(value));
        Ok(false)
    }

    fn visit_i64<E: de::Error>(mut self, value: i64) -> Result<bool, E> {
        self.set_number(Scalar::Int(value), value);
        Ok(false)
    }

    fn visit_u64<E: de::Error>(mut self, value: u64) -> Result<bool, E> {
        let scalar = i64::try_from(value).map_or(Scalar::Float(value as f64), Scalar::Int);
        self.set_number(scalar, value);
        Ok(false)
    }

    fn visit_f64<E: de::Error>(mut self, value: f64) -> Result<bool, E> {
        self.set_number(Scalar::Float(value), value);
        Ok(false)
    }

    fn visit_borrowed_str<E: de::Error>(mut self, value: &'de str) -> Result<bool, E> {
        self.set(Scalar::Str(value));
        Ok(false)
    }

    fn visit_str<E: de::Error>(mut self, value: &str) -> Result<bool, E> {
        if !self.node.slots.is_empty() {
            let index = self.strings.push(value);
            self.set(Scalar::Owned(index));
        }
        Ok(false)
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<bool, E> {
        self.set(Scalar::Null);
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.set(Scalar::Other);
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<bool, A::Error> {
        let children = &self.node.children;
        while let Some(found) = map.next_key_seed(KeySeed(children))? {
            match found {
                Some(index) => {
                    map.next_value_seed(self.child(index))?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.set(Scalar::Other);
        Ok(true)
    }
}

/// Reads an object key and says which child of the node it names, without copying it.
struct KeySeed<'p>(&'p [(String, Node)]);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|(name, _)| name == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nines_core::event::{FieldType, Value};
    use nines_core::source::{LatencyUnit, MappedField, RecordMapping, TimestampUnit};

    fn parser() -> JsonParser {
        let mapped = |name: &str, path: &str, ty| MappedField {
            name: name.into(),
            path: path.into(),
            ty,
            unit: LatencyUnit::Millis,
        };
        JsonParser::new(Mapping::new(&RecordMapping {
            timestamp: "time".into(),
            timestamp_unit: TimestampUnit::Auto,
            fields: vec![
                mapped("status", "http.response.status", FieldType::Int),
                mapped("latency", "http.duration_ms", FieldType::Double),
                mapped("path", "http.path", FieldType::String),
                mapped("customer", "customer.id", FieldType::String),
            ],
            sample_rate: Some("sampling.rate".into()),
        }))
    }

    /// Reads a line and hands the event to `check`.
    fn read(line: &str, check: impl FnOnce(&nines_core::event::Event<'_>)) -> Result<(), Reason> {
        let parser = parser();
        let mut slots = vec![Scalar::Missing; parser.mapping.slot_count()];
        let mut strings = Strings::default();
        parser.find(line, &mut slots, &mut strings)?;
        let mut custom = Vec::new();
        let event = parser
            .mapping
            .build(&slots, strings.as_slice(), &mut custom)?;
        check(&nines_core::event::Event {
            custom: &custom,
            ..event
        });
        Ok(())
    }

    #[test]
    fn nested_paths_escapes_and_numbers_as_text() {
        let line = r#"{"time":"2015-05-17T10:05:03.5Z","http":{"response":{"status":"404"},
            "duration_ms":12.5,"path":"/a\"b","extra":[1,{"x":2}]},"customer":{"id":1234},
            "sampling":{"rate":0.5}}"#
            .replace('\n', "");
        read(&line, |event| {
            assert_eq!(event.timestamp_ms, 1_431_857_103_500);
            assert_eq!(event.status, Some(404));
            // 12.5 ms is 0.0125 s.
            assert_eq!(event.latency, Some(0.0125));
            assert_eq!(event.path, Some("/a\"b"));
            assert_eq!(event.custom, [Value::Str("1234")]);
            assert_eq!(event.weight, 2.0);
        })
        .unwrap();
    }

    #[test]
    fn epoch_numbers_and_missing_fields() {
        read(r#"{"time":1431857103123,"http":null}"#, |event| {
            assert_eq!(event.timestamp_ms, 1_431_857_103_123);
            assert_eq!(event.status, None);
            assert_eq!(event.weight, 1.0);
            assert_eq!(event.custom, [Value::Null]);
        })
        .unwrap();
    }

    #[test]
    fn malformed_lines_say_why() {
        let cases = [
            (r#"{"time":1431857103"#, Reason::InvalidJson),
            (r#"{"time":1431857103} x"#, Reason::InvalidJson),
            ("[1,2]", Reason::NotJsonObject),
            (r#"{"http":{}}"#, Reason::missing("timestamp")),
            (r#"{"time":"later"}"#, Reason::bad("timestamp")),
            (
                r#"{"time":1,"sampling":{"rate":1.5}}"#,
                Reason::bad("sample rate"),
            ),
            (
                r#"{"time":1,"http":{"response":{"status":[]}}}"#,
                Reason::bad("status"),
            ),
            (r#"{"time":1,"http":{"path":{"a":1}}}"#, Reason::bad("path")),
        ];
        for (line, reason) in cases {
            assert_eq!(read(line, |_| {}).unwrap_err(), reason, "{line}");
        }
    }
}
