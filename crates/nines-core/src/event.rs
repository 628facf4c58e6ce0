//! Events: one request or operation as a reader sees it, and the fields an expression can read.
//!
//! Readers in `nines-ingest` fill an [`Event`] that borrows from the line being read; the
//! classifier evaluates compiled expressions against it. Nothing here allocates per event.

use std::fmt;

/// The type of a field, as far as expressions are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A signed 64-bit integer (status, size).
    Int,
    /// A 64-bit float (latency in seconds).
    Double,
    /// A UTF-8 string.
    String,
    /// A boolean.
    Bool,
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldType::Int => "int",
            FieldType::Double => "double",
            FieldType::String => "string",
            FieldType::Bool => "bool",
        })
    }
}

/// A field that every reader knows by name, or a custom field declared by a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// HTTP status code (int).
    Status,
    /// Response size in bytes (int).
    Size,
    /// Latency in seconds (double).
    Latency,
    /// HTTP method (string).
    Method,
    /// Request path, with its query string (string).
    Path,
    /// Protocol, such as `HTTP/1.1` (string).
    Protocol,
    /// Virtual host (string).
    Host,
    /// Client address (string).
    Client,
    /// Authenticated user (string).
    User,
    /// Referer header (string).
    Referer,
    /// User-Agent header (string).
    UserAgent,
    /// Region or zone that served the request (string).
    Region,
    /// A field declared by the source, by its index in the source's custom field list.
    Custom(u16),
}

impl Field {
    /// The built-in fields with their names and types, in a fixed order.
    pub const BUILT_IN: [(&'static str, Field, FieldType); 12] = [
        ("status", Field::Status, FieldType::Int),
        ("size", Field::Size, FieldType::Int),
        ("latency", Field::Latency, FieldType::Double),
        ("method", Field::Method, FieldType::String),
        ("path", Field::Path, FieldType::String),
        ("protocol", Field::Protocol, FieldType::String),
        ("host", Field::Host, FieldType::String),
        ("client", Field::Client, FieldType::String),
        ("user", Field::User, FieldType::String),
        ("referer", Field::Referer, FieldType::String),
        ("user_agent", Field::UserAgent, FieldType::String),
        ("region", Field::Region, FieldType::String),
    ];

    /// Looks a built-in field up by name.
    pub fn built_in(name: &str) -> Option<(Field, FieldType)> {
        Self::BUILT_IN
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, field, ty)| (field, ty))
    }

    /// The name of a built-in field; custom fields are named by their source.
    pub fn built_in_name(self) -> Option<&'static str> {
        Self::BUILT_IN
            .iter()
            .find(|(_, f, _)| *f == self)
            .map(|&(name, _, _)| name)
    }
}

/// A value read from an event or written in an expression.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Value<'a> {
    /// The field is absent from this event.
    #[default]
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Double(f64),
    /// A string, borrowed from the input.
    Str(&'a str),
    /// A boolean.
    Bool(bool),
}

/// One request or operation. Fields borrow from the input line (or a reader's scratch space).
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    /// When the event happened, in milliseconds since the Unix epoch (UTC).
    pub timestamp_ms: i64,
    /// How many events this one stands for: 1 / sample rate (1 when not sampled).
    pub weight: f64,
    /// HTTP status code.
    pub status: Option<i64>,
    /// Response size in bytes.
    pub size: Option<i64>,
    /// Latency in seconds.
    pub latency: Option<f64>,
    /// HTTP method.
    pub method: Option<&'a str>,
    /// Request path with query string.
    pub path: Option<&'a str>,
    /// Protocol.
    pub protocol: Option<&'a str>,
    /// Virtual host.
    pub host: Option<&'a str>,
    /// Client address.
    pub client: Option<&'a str>,
    /// Authenticated user.
    pub user: Option<&'a str>,
    /// Referer header.
    pub referer: Option<&'a str>,
    /// User-Agent header.
    pub user_agent: Option<&'a str>,
    /// Region or zone.
    pub region: Option<&'a str>,
    /// Custom fields, indexed as the source declares them.
    pub custom: &'a [Value<'a>],
}

impl<'a> Event<'a> {
    /// A new event at `timestamp_ms` with weight 1 and no fields.
    pub fn at(timestamp_ms: i64) -> Self {
        Event {
            timestamp_ms,
            weight: 1.0,
            ..Event::default()
        }
    }

    /// The value of `field`, [`Value::Null`] when the event does not carry it.
    #[inline]
    pub fn get(&self, field: Field) -> Value<'a> {
        fn text(s: Option<&str>) -> Value<'_> {
            s.map_or(Value::Null, Value::Str)
        }
        match field {
            Field::Status => self.status.map_or(Value::Null, Value::Int),
            Field::Size => self.size.map_or(Value::Null, Value::Int),
            Field::Latency => self.latency.map_or(Value::Null, Value::Double),
            Field::Method => text(self.method),
            Field::Path => text(self.path),
            Field::Protocol => text(self.protocol),
            Field::Host => text(self.host),
            Field::Client => text(self.client),
            Field::User => text(self.user),
            Field::Referer => text(self.referer),
            Field::UserAgent => text(self.user_agent),
            Field::Region => text(self.region),
            Field::Custom(i) => self.custom.get(usize::from(i)).copied().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_fields_round_trip_by_name() {
        for (name, field, ty) in Field::BUILT_IN {
            assert_eq!(Field::built_in(name), Some((field, ty)));
            assert_eq!(field.built_in_name(), Some(name));
        }
        assert_eq!(Field::built_in("nope"), None);
    }

    #[test]
    fn absent_fields_read_as_null() {
        let custom = [Value::Str("eu")];
        let event = Event {
            status: Some(503),
            custom: &custom,
            ..Event::at(0)
        };
        assert_eq!(event.get(Field::Status), Value::Int(503));
        assert_eq!(event.get(Field::Latency), Value::Null);
        assert_eq!(event.get(Field::Custom(0)), Value::Str("eu"));
        assert_eq!(event.get(Field::Custom(1)), Value::Null);
    }
}
