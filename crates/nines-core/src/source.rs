//! Telemetry sources: the formats nines reads and the fields each one gives to expressions.
//!
//! A source format is pure description; `nines-ingest` turns it into a reader. The spec layer
//! asks [`SourceFormat::fields`] which fields exist, so that an expression naming a field the
//! source cannot provide is rejected by validation, not discovered while reading. The meaning of
//! each nginx variable ([`NginxVariable`]) lives here too, so that validation and the reader
//! agree on it. Spans, counter snapshots and Prometheus exposition are described in
//! [`telemetry`](self::telemetry).

mod telemetry;

use std::fmt;
use std::str::FromStr;

use crate::event::{Field, FieldType};

pub use self::telemetry::{
    Constant, ConstantField, CounterSeries, CounterSource, ExpositionMetric, ExpositionSource,
    SpanKind, TraceError, TraceMode, TraceSource,
};

/// A field a source provides, by the name expressions use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// The name in expressions (`status`, `latency`, `customer_tier`).
    pub name: String,
    /// Where the value lives in an [`crate::event::Event`].
    pub field: Field,
    /// Its type.
    pub ty: FieldType,
}

/// How a source's records are laid out.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceFormat {
    /// An access log, one request a line.
    AccessLog(AccessLogLayout),
    /// JSON, one object a line.
    JsonLines(RecordMapping),
    /// CSV with a header line.
    Csv(RecordMapping),
    /// OpenTelemetry traces as OTLP/JSON (the Collector's file exporter).
    Otlp(TraceSource),
    /// Zipkin v2 JSON spans.
    Zipkin(TraceSource),
    /// JSON snapshots of cumulative counters.
    Counters(CounterSource),
    /// Prometheus text exposition, one or more scrapes.
    PrometheusText(ExpositionSource),
}

/// The layouts of access logs nines knows.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessLogLayout {
    /// Apache/nginx common log format.
    Common,
    /// Apache/nginx combined log format.
    Combined,
    /// Combined, followed by the request time in seconds (nginx `$request_time`).
    CombinedSeconds,
    /// Combined, followed by the request time in microseconds (Apache `%D`).
    CombinedMicros,
    /// A layout given as an nginx `log_format` string.
    Nginx(NginxLayout),
}

/// An nginx `log_format` string, split into literal text and variables.
#[derive(Debug, Clone, PartialEq)]
pub struct NginxLayout {
    /// The string as the user wrote it.
    pub text: String,
    /// Its parts, in order.
    pub parts: Vec<NginxPart>,
}

/// One part of an nginx layout.
#[derive(Debug, Clone, PartialEq)]
pub enum NginxPart {
    /// Text that must appear as written.
    Literal(String),
    /// A variable such as `$status`, without the `$`.
    Variable(String),
}

/// How JSON or CSV records map to event fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordMapping {
    /// Where the timestamp is: a dotted path for JSON, a column name for CSV.
    pub timestamp: String,
    /// How the timestamp is written.
    pub timestamp_unit: TimestampUnit,
    /// Fields: expression name, path or column, type.
    pub fields: Vec<MappedField>,
    /// Where the sample rate is, if events are sampled (each counts as 1 / rate).
    pub sample_rate: Option<String>,
}

/// One mapped field of a JSON or CSV source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedField {
    /// The name expressions use; a built-in name (`status`, `latency`) maps onto that field.
    pub name: String,
    /// Dotted path (JSON) or column name (CSV).
    pub path: String,
    /// The type of a custom field; built-in fields keep their own type.
    pub ty: FieldType,
    /// For `latency`: the unit the record writes it in.
    pub unit: LatencyUnit,
}

/// How a timestamp is written in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampUnit {
    /// RFC 3339 text, or a number whose size tells its unit (s, ms, µs, ns).
    #[default]
    Auto,
    /// RFC 3339 text.
    Rfc3339,
    /// Seconds since the epoch (may have a fraction).
    Seconds,
    /// Milliseconds since the epoch.
    Millis,
    /// Microseconds since the epoch.
    Micros,
    /// Nanoseconds since the epoch.
    Nanos,
}

/// The unit a latency is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatencyUnit {
    /// Seconds.
    #[default]
    Seconds,
    /// Milliseconds.
    Millis,
    /// Microseconds.
    Micros,
}

impl SourceFormat {
    /// The fields this format gives to expressions, each name once.
    ///
    /// Access logs give the built-in fields their layout holds. An nginx layout maps known
    /// variables onto built-in fields and every other variable onto a custom string field named
    /// after it, numbered in order of appearance. JSON and CSV give one entry per mapped field,
    /// in the mapping's order: a built-in name keeps the built-in field and its type, any other
    /// name becomes the next custom field with the declared type. Spans, counters and
    /// expositions are described with their types ([`TraceSource::fields`], ...).
    pub fn fields(&self) -> Vec<FieldDef> {
        match self {
            SourceFormat::AccessLog(layout) => layout.fields(),
            SourceFormat::JsonLines(mapping) | SourceFormat::Csv(mapping) => mapping.fields(),
            SourceFormat::Otlp(traces) | SourceFormat::Zipkin(traces) => traces.fields(),
            SourceFormat::Counters(counters) => counters.fields(),
            SourceFormat::PrometheusText(exposition) => exposition.fields(),
        }
    }

    /// Whether records depend on one another (spans of a trace, samples of a counter), so
    /// that an input must be read in order on one thread.
    pub fn is_stateful(&self) -> bool {
        !matches!(
            self,
            SourceFormat::AccessLog(_) | SourceFormat::JsonLines(_) | SourceFormat::Csv(_)
        )
    }
}

impl AccessLogLayout {
    /// The fields a line of this layout gives; see [`SourceFormat::fields`].
    pub fn fields(&self) -> Vec<FieldDef> {
        const COMMON: [Field; 7] = [
            Field::Client,
            Field::User,
            Field::Method,
            Field::Path,
            Field::Protocol,
            Field::Status,
            Field::Size,
        ];
        let extra: &[Field] = match self {
            AccessLogLayout::Common => &[],
            AccessLogLayout::Combined => &[Field::Referer, Field::UserAgent],
            AccessLogLayout::CombinedSeconds | AccessLogLayout::CombinedMicros => {
                &[Field::Referer, Field::UserAgent, Field::Latency]
            }
            AccessLogLayout::Nginx(layout) => return layout.fields(),
        };
        COMMON
            .iter()
            .chain(extra)
            .map(|&field| built_in_def(field))
            .collect()
    }
}

/// The definition of a built-in field, under its own name and type.
fn built_in_def(field: Field) -> FieldDef {
    let (name, _, ty) = Field::BUILT_IN
        .iter()
        .find(|(_, f, _)| *f == field)
        .copied()
        .expect("only built-in fields are passed here");
    FieldDef {
        name: name.to_owned(),
        field,
        ty,
    }
}

impl RecordMapping {
    /// The fields of this mapping, one per mapped field in order; see [`SourceFormat::fields`].
    pub fn fields(&self) -> Vec<FieldDef> {
        number_fields(self.fields.iter().map(|m| (m.name.as_str(), m.ty)))
    }
}

/// Field definitions for names in order: a built-in name keeps the built-in field and its
/// type, any other name becomes the next custom field with the type given.
fn number_fields<'n>(names: impl Iterator<Item = (&'n str, FieldType)>) -> Vec<FieldDef> {
    let mut next_custom = 0u16;
    names
        .map(|(name, declared)| {
            let (field, ty) = Field::built_in(name).unwrap_or_else(|| {
                next_custom += 1;
                (Field::Custom(next_custom - 1), declared)
            });
            FieldDef {
                name: name.to_owned(),
                field,
                ty,
            }
        })
        .collect()
}

/// Why an nginx `log_format` string cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// The layout has no text at all.
    #[error("the nginx log_format is empty")]
    Empty,
    /// No variable gives the time of the request.
    #[error(
        "the nginx log_format `{layout}` has no time variable \\
         (one of $time_local, $time_iso8601, $msec)"
    )]
    NoTimestamp {
        /// The layout as written.
        layout: String,
    },
    /// A `$` is followed by neither a name nor `{name}`.
    #[error("`$` at byte {position} of the nginx log_format is not followed by a variable name")]
    BadVariable {
        /// Byte offset of the `$`.
        position: usize,
    },
    /// A `${` has no closing `}`, or the braces hold no name.
    #[error("`${{` at byte {position} of the nginx log_format is not closed by `}}` after a name")]
    UnclosedBrace {
        /// Byte offset of the `$`.
        position: usize,
    },
    /// Two variables follow each other with no text between them, so a reader cannot tell
    /// where the first ends.
    #[error(
        "variables ${first} and ${second} touch at byte {position} of the nginx log_format; \\
         a reader cannot tell where one ends, so put a separator such as a space between them"
    )]
    AdjacentVariables {
        /// The first variable.
        first: String,
        /// The variable right after it.
        second: String,
        /// Byte offset of the second variable's `$`.
        position: usize,
    },
}

impl NginxLayout {
    /// Parses an nginx `log_format` string: variables written `$name` or `${name}`, and the
    /// literal text between them.
    ///
    /// # Errors
    ///
    /// A [`LayoutError`] when the layout is empty, has no time variable (`$time_local`,
    /// `$time_iso8601` or `$msec`), has a `$` without a name, or has two variables with nothing
    /// between them.
    pub fn parse(text: &str) -> Result<NginxLayout, LayoutError> {
        if text.is_empty() {
            return Err(LayoutError::Empty);
        }
        let parts = split_layout(text)?;
        let has_time = parts.iter().any(|part| match part {
            NginxPart::Variable(name) => NginxVariable::is_time(name),
            NginxPart::Literal(_) => false,
        });
        if !has_time {
            return Err(LayoutError::NoTimestamp {
                layout: text.to_owned(),
            });
        }
        Ok(NginxLayout {
            text: text.to_owned(),
            parts,
        })
    }

    /// The meaning of each variable part, in order of appearance.
    ///
    /// A variable that appears twice keeps one custom index.
    pub fn variables(&self) -> Vec<(&str, NginxVariable)> {
        let mut customs: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for part in &self.parts {
            let NginxPart::Variable(name) = part else {
                continue;
            };
            let meaning = NginxVariable::known(name).unwrap_or_else(|| {
                let index = customs.iter().position(|c| c == name).unwrap_or_else(|| {
                    customs.push(name);
                    customs.len() - 1
                });
                NginxVariable::Custom(u16::try_from(index).unwrap_or(u16::MAX))
            });
            out.push((name.as_str(), meaning));
        }
        out
    }

    /// The fields this layout gives; see [`SourceFormat::fields`].
    pub fn fields(&self) -> Vec<FieldDef> {
        let mut defs: Vec<FieldDef> = Vec::new();
        let mut push = |def: FieldDef| {
            if !defs.iter().any(|d| d.field == def.field) {
                defs.push(def);
            }
        };
        for (name, meaning) in self.variables() {
            match meaning {
                NginxVariable::TimeLocal | NginxVariable::TimeIso8601 | NginxVariable::Msec => {}
                NginxVariable::Request => {
                    for field in [Field::Method, Field::Path, Field::Protocol] {
                        push(built_in_def(field));
                    }
                }
                NginxVariable::Field(field) => push(built_in_def(field)),
                NginxVariable::Custom(index) => push(FieldDef {
                    name: name.to_owned(),
                    field: Field::Custom(index),
                    ty: FieldType::String,
                }),
            }
        }
        defs
    }
}

impl FromStr for NginxLayout {
    type Err = LayoutError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        NginxLayout::parse(text)
    }
}

impl fmt::Display for NginxLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits a layout into literals and variables, rejecting variables that touch.
fn split_layout(text: &str) -> Result<Vec<NginxPart>, LayoutError> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut literal_start = 0;
    let mut at = 0;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'$') {
        let dollar = at + offset;
        let (name, end) = variable_at(text, dollar)?;
        if dollar > literal_start {
            parts.push(NginxPart::Literal(text[literal_start..dollar].to_owned()));
        } else if let Some(NginxPart::Variable(first)) = parts.last() {
            return Err(LayoutError::AdjacentVariables {
                first: first.clone(),
                second: name.to_owned(),
                position: dollar,
            });
        }
        parts.push(NginxPart::Variable(name.to_owned()));
        literal_start = end;
        at = end;
    }
    if literal_start < text.len() {
        parts.push(NginxPart::Literal(text[literal_start..].to_owned()));
    }
    Ok(parts)
}

/// The variable name at `dollar` (which holds a `$`) and the byte just after the variable.
fn variable_at(text: &str, dollar: usize) -> Result<(&str, usize), LayoutError> {
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let rest = &text[dollar + 1..];
    if let Some(braced) = rest.strip_prefix('{') {
        let len = braced.bytes().take_while(is_name).count();
        if len == 0 || braced.as_bytes().get(len) != Some(&b'}') {
            return Err(LayoutError::UnclosedBrace { position: dollar });
        }
        return Ok((&braced[..len], dollar + len + 3));
    }
    let len = rest.bytes().take_while(is_name).count();
    if len == 0 {
        return Err(LayoutError::BadVariable { position: dollar });
    }
    Ok((&rest[..len], dollar + len + 1))
}

/// What a reader does with one nginx variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NginxVariable {
    /// `$time_local`: `17/May/2015:10:05:03 +0000`.
    TimeLocal,
    /// `$time_iso8601`: `2015-05-17T10:05:03+00:00`.
    TimeIso8601,
    /// `$msec`: seconds since the epoch with milliseconds, `1431857103.123`.
    Msec,
    /// `$request`: method, path and protocol separated by spaces.
    Request,
    /// A variable that fills a built-in field (`$status`, `$request_time` as latency, ...).
    Field(Field),
    /// Any other variable: a custom string field, by index in order of appearance.
    Custom(u16),
}

impl NginxVariable {
    /// The meaning of a variable nginx defines, or of one named like a built-in field
    /// (`$region`); `None` for a custom variable.
    pub fn known(name: &str) -> Option<NginxVariable> {
        let field = match name {
            "time_local" => return Some(NginxVariable::TimeLocal),
            "time_iso8601" => return Some(NginxVariable::TimeIso8601),
            "msec" => return Some(NginxVariable::Msec),
            "request" => return Some(NginxVariable::Request),
            "remote_addr" => Field::Client,
            "remote_user" => Field::User,
            "request_method" => Field::Method,
            "request_uri" | "uri" => Field::Path,
            "server_protocol" => Field::Protocol,
            "body_bytes_sent" | "bytes_sent" => Field::Size,
            "http_referer" => Field::Referer,
            "http_user_agent" => Field::UserAgent,
            "request_time" => Field::Latency,
            "host" | "http_host" | "server_name" => Field::Host,
            other => Field::built_in(other)?.0,
        };
        Some(NginxVariable::Field(field))
    }

    /// Whether the variable gives the time of the request.
    pub fn is_time(name: &str) -> bool {
        matches!(
            NginxVariable::known(name),
            Some(NginxVariable::TimeLocal | NginxVariable::TimeIso8601 | NginxVariable::Msec)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NGINX_COMBINED: &str = concat!(
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "#,
        r#""$http_referer" "$http_user_agent""#
    );

    fn names(defs: &[FieldDef]) -> Vec<&str> {
        defs.iter().map(|d| d.name.as_str()).collect()
    }

    #[test]
    fn nginx_layout_splits_literals_and_variables() {
        let layout = NginxLayout::parse("$remote_addr [${time_local}]x$status").unwrap();
        assert_eq!(
            layout.parts,
            vec![
                NginxPart::Variable("remote_addr".into()),
                NginxPart::Literal(" [".into()),
                NginxPart::Variable("time_local".into()),
                NginxPart::Literal("]x".into()),
                NginxPart::Variable("status".into()),
            ]
        );
        assert_eq!(layout.to_string(), "$remote_addr [${time_local}]x$status");
    }

    #[test]
    fn nginx_layout_errors_name_the_problem() {
        assert_eq!(NginxLayout::parse(""), Err(LayoutError::Empty));
        assert!(matches!(
            NginxLayout::parse("$remote_addr $status"),
            Err(LayoutError::NoTimestamp { .. })
        ));
        assert_eq!(
            NginxLayout::parse("$msec$status"),
            Err(LayoutError::AdjacentVariables {
                first: "msec".into(),
                second: "status".into(),
                position: 5,
            })
        );
        assert_eq!(
            NginxLayout::parse("$msec $ x"),
            Err(LayoutError::BadVariable { position: 6 })
        );
        assert_eq!(
            NginxLayout::parse("$msec ${status"),
            Err(LayoutError::UnclosedBrace { position: 6 })
        );
        assert_eq!(
            NginxLayout::parse("$msec ${}"),
            Err(LayoutError::UnclosedBrace { position: 6 })
        );
    }

    #[test]
    fn access_log_layouts_give_their_fields() {
        let common = SourceFormat::AccessLog(AccessLogLayout::Common).fields();
        assert_eq!(
            names(&common),
            [
                "client", "user", "method", "path", "protocol", "status", "size"
            ]
        );
        let micros = SourceFormat::AccessLog(AccessLogLayout::CombinedMicros).fields();
        assert_eq!(names(&micros[7..]), ["referer", "user_agent", "latency"]);
        assert_eq!(micros[9].ty, FieldType::Double);
        let combined = AccessLogLayout::Combined.fields();
        assert_eq!(combined.len(), 9);
    }

    #[test]
    fn nginx_combined_gives_the_combined_fields() {
        let layout = NginxLayout::parse(NGINX_COMBINED).unwrap();
        let mut nginx = names(&layout.fields())
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        let mut combined = names(&AccessLogLayout::Combined.fields())
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        nginx.sort();
        combined.sort();
        assert_eq!(nginx, combined);
    }

    #[test]
    fn unknown_nginx_variables_become_custom_strings_in_order() {
        let layout = NginxLayout::parse(
            "$msec $upstream_addr $request_time $http_host $region $upstream_addr $geo",
        )
        .unwrap();
        let defs = layout.fields();
        let summary: Vec<_> = defs
            .iter()
            .map(|d| (d.name.as_str(), d.field, d.ty))
            .collect();
        assert_eq!(
            summary,
            [
                ("upstream_addr", Field::Custom(0), FieldType::String),
                ("latency", Field::Latency, FieldType::Double),
                ("host", Field::Host, FieldType::String),
                ("region", Field::Region, FieldType::String),
                ("geo", Field::Custom(1), FieldType::String),
            ]
        );
    }

    #[test]
    fn record_mappings_keep_built_in_types_and_number_customs() {
        let mapped = |name: &str, ty| MappedField {
            name: name.into(),
            path: format!("http.{name}"),
            ty,
            unit: LatencyUnit::Millis,
        };
        let mapping = RecordMapping {
            timestamp: "ts".into(),
            timestamp_unit: TimestampUnit::Auto,
            fields: vec![
                mapped("status", FieldType::String),
                mapped("tier", FieldType::String),
                mapped("latency", FieldType::Int),
                mapped("cached", FieldType::Bool),
            ],
            sample_rate: None,
        };
        let summary: Vec<_> = SourceFormat::Csv(mapping)
            .fields()
            .into_iter()
            .map(|d| (d.field, d.ty))
            .collect();
        assert_eq!(
            summary,
            [
                (Field::Status, FieldType::Int),
                (Field::Custom(0), FieldType::String),
                (Field::Latency, FieldType::Double),
                (Field::Custom(1), FieldType::Bool),
            ]
        );
    }
}
