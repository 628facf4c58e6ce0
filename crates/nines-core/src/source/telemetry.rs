//! Telemetry that is not one request a line: spans (OTLP, Zipkin), cumulative counter snapshots
//! and Prometheus text exposition. Each is described here with the fields it gives; readers in
//! `nines-ingest` turn spans, counter increases and histogram buckets into events.

use std::fmt;

use crate::event::{Field, FieldType, Value};
use crate::source::{FieldDef, TimestampUnit, built_in_def, number_fields};

/// How spans become events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSource {
    /// One event per span, or one per trace.
    pub mode: TraceMode,
    /// In span mode, the kinds of span that are events (server and consumer by default, so
    /// that a request is counted once, on the side that served it).
    pub span_kinds: Vec<SpanKind>,
    /// In trace mode, which spans make a trace an error.
    pub trace_error: TraceError,
    /// In trace mode, how many traces may wait for their last span at once; beyond it the
    /// oldest is closed and reported as incomplete.
    pub max_open_traces: usize,
}

impl Default for TraceSource {
    fn default() -> Self {
        TraceSource {
            mode: TraceMode::Span,
            span_kinds: vec![SpanKind::Server, SpanKind::Consumer],
            trace_error: TraceError::AnySpan,
            max_open_traces: TraceSource::MAX_OPEN_TRACES,
        }
    }
}

impl TraceSource {
    /// The default limit on open traces: a few tens of megabytes at most.
    pub const MAX_OPEN_TRACES: usize = 100_000;

    /// The custom fields of every trace source, in order: the position is the index of
    /// [`Field::Custom`].
    pub const CUSTOM_FIELDS: [(&'static str, FieldType); 5] = [
        ("service", FieldType::String),
        ("route", FieldType::String),
        ("name", FieldType::String),
        ("error", FieldType::Bool),
        ("kind", FieldType::String),
    ];

    /// The built-in fields spans fill.
    const BUILT_IN: [Field; 5] = [
        Field::Status,
        Field::Latency,
        Field::Method,
        Field::Path,
        Field::Host,
    ];

    /// The fields a span (or a trace's root span) gives: status, latency, method, path, host,
    /// then the custom `service`, `route`, `name`, `error` and `kind`.
    pub fn fields(&self) -> Vec<FieldDef> {
        let custom = Self::CUSTOM_FIELDS
            .iter()
            .zip(0u16..)
            .map(|(&(name, ty), index)| FieldDef {
                name: name.to_owned(),
                field: Field::Custom(index),
                ty,
            });
        Self::BUILT_IN
            .iter()
            .map(|&field| built_in_def(field))
            .chain(custom)
            .collect()
    }
}

/// What one event of a trace source stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceMode {
    /// Each span of the chosen kinds.
    #[default]
    Span,
    /// Each trace, measured by its root span.
    Trace,
}

/// Which spans make a trace an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceError {
    /// Any span of the trace with error status.
    #[default]
    AnySpan,
    /// Only the root span's own status.
    Root,
}

/// The kind of a span, as OpenTelemetry and Zipkin name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// No kind given.
    Unspecified,
    /// Work inside a process.
    Internal,
    /// The side that serves a request.
    Server,
    /// The side that sends a request.
    Client,
    /// The side that sends a message.
    Producer,
    /// The side that handles a message.
    Consumer,
}

impl SpanKind {
    /// Every kind, in OTLP's numbering (0 to 5).
    pub const ALL: [SpanKind; 6] = [
        SpanKind::Unspecified,
        SpanKind::Internal,
        SpanKind::Server,
        SpanKind::Client,
        SpanKind::Producer,
        SpanKind::Consumer,
    ];

    /// The name in specs and in the `kind` field: `server`, `client`, ...
    pub fn name(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }

    /// The kind called `name` (as [`SpanKind::name`] writes it).
    pub fn from_name(name: &str) -> Option<SpanKind> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// JSON lines of cumulative counters, such as an nginx status API polled every few seconds.
///
/// Each counter is one series; its increases between samples become events that carry the
/// series' constant fields, weighted by the increase.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterSource {
    /// The dotted path of the snapshot's timestamp.
    pub timestamp: String,
    /// How the timestamp is written.
    pub timestamp_unit: TimestampUnit,
    /// The constant fields the series set, each name once, in order of first appearance.
    pub fields: Vec<ConstantField>,
    /// The series.
    pub counters: Vec<CounterSeries>,
}

/// A field whose value is fixed per series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstantField {
    /// The name in expressions; a built-in name maps onto that field.
    pub name: String,
    /// Its type (a built-in field's own type).
    pub ty: FieldType,
}

/// One cumulative counter of a [`CounterSource`].
#[derive(Debug, Clone, PartialEq)]
pub struct CounterSeries {
    /// The dotted path of its value in each snapshot.
    pub path: String,
    /// One value per entry of [`CounterSource::fields`], [`Constant::Null`] where not set.
    pub values: Vec<Constant>,
}

/// A field value written in a spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Constant {
    /// Not set.
    #[default]
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Double(f64),
    /// Text.
    Str(String),
    /// A boolean.
    Bool(bool),
}

impl Constant {
    /// The value as events carry it.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            Constant::Null => Value::Null,
            Constant::Int(value) => Value::Int(*value),
            Constant::Double(value) => Value::Double(*value),
            Constant::Str(text) => Value::Str(text),
            Constant::Bool(value) => Value::Bool(*value),
        }
    }
}

impl CounterSource {
    /// One entry per constant field, in order: a built-in name keeps the built-in field, any
    /// other name becomes the next custom field.
    pub fn fields(&self) -> Vec<FieldDef> {
        number_fields(self.fields.iter().map(|f| (f.name.as_str(), f.ty)))
    }
}

/// Prometheus text exposition: one or more scrapes of a counter or a histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpositionSource {
    /// The metric read, and how.
    pub metric: ExpositionMetric,
    /// Labels copied into fields: label name, field name.
    pub labels: Vec<(String, String)>,
    /// For a histogram, the bucket bounds the spec declares (sorted, without `+Inf`); empty
    /// when not declared. Validation checks latency thresholds against them.
    pub buckets: Vec<f64>,
}

/// Which metric of an exposition is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpositionMetric {
    /// A counter: each increase of each series is an event weighted by the increase.
    Counter(String),
    /// A histogram (the name without `_bucket`): each bucket's share of an increase is an
    /// event whose latency is the bucket's upper bound.
    Histogram(String),
}

impl ExpositionMetric {
    /// The metric's name as the spec gives it.
    pub fn name(&self) -> &str {
        match self {
            ExpositionMetric::Counter(name) | ExpositionMetric::Histogram(name) => name,
        }
    }
}

impl ExpositionSource {
    /// The fields of the mapped labels, in order (a built-in name keeps its type, any other
    /// is a custom string), then `latency` for a histogram.
    pub fn fields(&self) -> Vec<FieldDef> {
        let labels = self
            .labels
            .iter()
            .map(|(_, field)| (field.as_str(), FieldType::String));
        let mut defs = number_fields(labels);
        if matches!(self.metric, ExpositionMetric::Histogram(_)) {
            defs.push(built_in_def(Field::Latency));
        }
        defs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(defs: &[FieldDef]) -> Vec<(&str, Field, FieldType)> {
        defs.iter()
            .map(|d| (d.name.as_str(), d.field, d.ty))
            .collect()
    }

    #[test]
    fn trace_sources_give_span_fields() {
        let defs = TraceSource::default().fields();
        assert_eq!(defs.len(), 10);
        assert_eq!(
            summary(&defs[4..6]),
            [
                ("host", Field::Host, FieldType::String),
                ("service", Field::Custom(0), FieldType::String),
            ]
        );
        assert_eq!(defs[8].name, "error");
        assert_eq!(defs[8].ty, FieldType::Bool);
    }

    #[test]
    fn span_kinds_round_trip_by_name() {
        for kind in SpanKind::ALL {
            assert_eq!(SpanKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(SpanKind::from_name("SERVER"), None);
    }

    #[test]
    fn counter_and_exposition_fields_number_customs() {
        let counters = CounterSource {
            timestamp: "ts".into(),
            timestamp_unit: TimestampUnit::Auto,
            fields: vec![
                ConstantField {
                    name: "status".into(),
                    ty: FieldType::Int,
                },
                ConstantField {
                    name: "zone".into(),
                    ty: FieldType::String,
                },
            ],
            counters: Vec::new(),
        };
        assert_eq!(
            summary(&counters.fields()),
            [
                ("status", Field::Status, FieldType::Int),
                ("zone", Field::Custom(0), FieldType::String),
            ]
        );
        let exposition = ExpositionSource {
            metric: ExpositionMetric::Histogram("h".into()),
            labels: vec![
                ("code".into(), "status".into()),
                ("job".into(), "job".into()),
            ],
            buckets: Vec::new(),
        };
        assert_eq!(
            summary(&exposition.fields()),
            [
                ("status", Field::Status, FieldType::Int),
                ("job", Field::Custom(0), FieldType::String),
                ("latency", Field::Latency, FieldType::Double),
            ]
        );
    }
}
