//! Spans as OTLP and Zipkin give them, in one shape, and turned into events: one per span of
//! the chosen kinds, or one per trace (see [`crate::telemetry::traces`]).
//!
//! A span's fields come from attributes (OTLP) or tags (Zipkin) under the OpenTelemetry
//! semantic-convention names, current ones first and the older ones as fallback, so that
//! instrumentation of any age gives the same fields.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};

use nines_core::event::{Event, Value};
use nines_core::source::{SpanKind, TraceMode, TraceSource};

use crate::error::Reason;
use crate::stats::Sample;
use crate::telemetry::traces::Traces;
use crate::telemetry::{Out, Place};

/// One span, borrowed from the parsed document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span<'a> {
    pub(crate) trace_id: Option<u128>,
    pub(crate) span_id: Option<u64>,
    pub(crate) has_parent: bool,
    pub(crate) kind: SpanKind,
    /// Zipkin: the server side of a span whose id the client side shares.
    pub(crate) shared: bool,
    pub(crate) timing: Result<Timing, Gap>,
    /// The span's own status is an error.
    pub(crate) error: bool,
    pub(crate) fields: SpanFields<'a>,
}

/// When a span ended and how long it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timing {
    /// Unix milliseconds: the event's time, as an access log stamps a request when it ends.
    pub(crate) end_ms: i64,
    /// Seconds.
    pub(crate) latency: f64,
}

/// Why a span has no timing. Never read as zero: a span without a duration says nothing
/// about latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gap {
    NoStart,
    NoEnd,
    NoTimestamp,
    NoDuration,
    EndsBeforeStart,
}

impl Gap {
    fn what(self) -> &'static str {
        match self {
            Gap::NoStart => "no start time",
            Gap::NoEnd => "no end time",
            Gap::NoTimestamp => "no timestamp",
            Gap::NoDuration => "no duration",
            Gap::EndsBeforeStart => "ends before it starts",
        }
    }

    /// The reason a span without timing is counted under.
    pub(crate) fn span_reason(self) -> Reason {
        Reason::Incomplete(Cow::Owned(format!("span ({})", self.what())))
    }

    /// The reason a trace whose root span has no timing is counted under.
    pub(crate) fn root_reason(self) -> Reason {
        Reason::Incomplete(Cow::Owned(format!("trace (root span has {})", self.what())))
    }
}

/// The request fields of a span.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SpanFields<'a> {
    pub(crate) status: Option<i64>,
    pub(crate) method: Option<&'a str>,
    pub(crate) path: Option<&'a str>,
    pub(crate) host: Option<&'a str>,
    pub(crate) service: Option<&'a str>,
    pub(crate) route: Option<&'a str>,
    pub(crate) name: Option<&'a str>,
}

/// An attribute value, as far as span fields are concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AttributeValue<'a> {
    Text(&'a str),
    Int(i64),
    Double(f64),
    /// A bool, an array, a map or bytes: no field takes these.
    Other,
}

impl<'a> AttributeValue<'a> {
    fn text(self) -> Option<&'a str> {
        match self {
            AttributeValue::Text(text) => Some(text),
            _ => None,
        }
    }

    fn int(self) -> Option<i64> {
        match self {
            AttributeValue::Int(value) => Some(value),
            AttributeValue::Text(text) => text.trim().parse().ok(),
            AttributeValue::Double(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
                Some(value as i64)
            }
            _ => None,
        }
    }
}

impl<'a> SpanFields<'a> {
    /// Takes the fields found in `attributes` (span attributes or tags).
    pub(crate) fn read(
        &mut self,
        attributes: impl IntoIterator<Item = (&'a str, AttributeValue<'a>)>,
    ) {
        // Older names are remembered apart and used only when the current one is absent.
        let mut older = SpanFields::default();
        for (key, value) in attributes {
            match key {
                "http.response.status_code" => self.status = value.int(),
                "http.status_code" => older.status = value.int(),
                "http.request.method" => self.method = value.text(),
                "http.method" => older.method = value.text(),
                "url.path" => self.path = value.text(),
                "http.target" | "http.path" => older.path = value.text(),
                "server.address" => self.host = value.text(),
                "http.host" | "net.host.name" => older.host = value.text(),
                "http.route" => self.route = value.text(),
                "service.name" => self.service = value.text(),
                _ => {}
            }
        }
        self.status = self.status.or(older.status);
        self.method = self.method.or(older.method);
        self.path = self.path.or(older.path);
        self.host = self.host.or(older.host);
    }
}

/// Hands `out` the event of a span (or of a trace, measured by its root span).
pub(crate) fn emit(
    out: &mut Out<'_>,
    input: usize,
    fields: &SpanFields<'_>,
    kind: SpanKind,
    timing: Timing,
    error: bool,
) {
    fn text(value: Option<&str>) -> Value<'_> {
        value.map_or(Value::Null, Value::Str)
    }
    // In the order of `TraceSource::CUSTOM_FIELDS`.
    let custom = [
        text(fields.service),
        text(fields.route),
        text(fields.name),
        Value::Bool(error),
        Value::Str(kind.name()),
    ];
    let event = Event {
        status: fields.status,
        latency: Some(timing.latency),
        method: fields.method,
        path: fields.path,
        host: fields.host,
        custom: &custom,
        ..Event::at(timing.end_ms)
    };
    out.event(input, &event);
}

/// A short description of a span for samples of problems.
pub(crate) fn describe(span: &Span<'_>) -> String {
    let mut text = String::from("span");
    if let Some(id) = span.span_id {
        let _ = write!(text, " {id:016x}");
    }
    if let Some(name) = span.fields.name {
        let _ = write!(text, " `{name}`");
    }
    if let Some(trace) = span.trace_id {
        let _ = write!(text, " of trace {}", trace_hex(trace));
    }
    text
}

/// A trace id as its producer wrote it: 16 hex digits for a 64-bit id (older Zipkin
/// instrumentation), 32 otherwise.
pub(crate) fn trace_hex(id: u128) -> String {
    match u64::try_from(id) {
        Ok(short) => format!("{short:016x}"),
        Err(_) => format!("{id:032x}"),
    }
}

/// How many span ids are remembered to catch a span reported twice.
const REMEMBERED_SPANS: usize = 1 << 18;

/// Turns spans into events, span by span or trace by trace.
pub(crate) struct Spans<'f> {
    source: &'f TraceSource,
    seen: RecentIds,
    traces: Traces,
}

impl<'f> Spans<'f> {
    pub(crate) fn new(source: &'f TraceSource) -> Self {
        Spans {
            source,
            seen: RecentIds::new(REMEMBERED_SPANS),
            traces: Traces::new(source.max_open_traces, source.trace_error),
        }
    }

    /// Takes one span found at `place`.
    pub(crate) fn take(&mut self, span: &Span<'_>, place: Place, out: &mut Out<'_>) {
        match self.source.mode {
            TraceMode::Trace => self.traces.take(span, place, out),
            TraceMode::Span => self.take_span(span, place, out),
        }
    }

    fn take_span(&mut self, span: &Span<'_>, place: Place, out: &mut Out<'_>) {
        if !self.source.span_kinds.contains(&span.kind) {
            return;
        }
        let reason = match span.timing {
            _ if !self.is_new(span) => Reason::duplicate("span"),
            Ok(timing) => {
                emit(
                    out,
                    place.input,
                    &span.fields,
                    span.kind,
                    timing,
                    span.error,
                );
                return;
            }
            Err(gap) => gap.span_reason(),
        };
        out.malformed(
            place.input,
            Sample::new(place.line, reason, &describe(span)),
        );
    }

    /// Whether the span has not been seen before (spans without ids always are new).
    fn is_new(&mut self, span: &Span<'_>) -> bool {
        let (Some(trace), Some(id)) = (span.trace_id, span.span_id) else {
            return true;
        };
        self.seen.insert(key_of(&(trace, id, span.kind)))
    }

    /// Closes the traces still open.
    pub(crate) fn finish(&mut self, out: &mut Out<'_>) {
        self.traces.finish(out);
    }
}

/// A 64-bit key for a set of recent ids; collisions are as rare as a 64-bit hash makes them.
pub(crate) fn key_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The last few keys seen, forgetting the oldest beyond a limit.
#[derive(Debug)]
pub(crate) struct RecentIds {
    set: HashSet<u64>,
    order: VecDeque<u64>,
    limit: usize,
}

impl RecentIds {
    pub(crate) fn new(limit: usize) -> Self {
        RecentIds {
            set: HashSet::new(),
            order: VecDeque::new(),
            limit,
        }
    }

    /// Remembers `key`; false when it was remembered already.
    pub(crate) fn insert(&mut self, key: u64) -> bool {
        if !self.set.insert(key) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > self.limit {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
        true
    }

    pub(crate) fn contains(&self, key: u64) -> bool {
        self.set.contains(&key)
    }
}

/// Reads a trace or span id written in hex (either case); `Ok(None)` when empty or all zeros,
/// which OpenTelemetry and Zipkin both treat as no id.
pub(crate) fn hex_id(text: &str, max_digits: usize) -> Result<Option<u128>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(());
    }
    let id = u128::from_str_radix(text, 16).map_err(|_| ())?;
    Ok((id != 0).then_some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_values_follow_the_declared_fields() {
        let names: Vec<&str> = TraceSource::CUSTOM_FIELDS.iter().map(|f| f.0).collect();
        assert_eq!(names, ["service", "route", "name", "error", "kind"]);
    }

    #[test]
    fn current_attribute_names_win_over_older_ones() {
        let mut fields = SpanFields::default();
        fields.read([
            ("http.status_code", AttributeValue::Text("404")),
            ("http.method", AttributeValue::Text("POST")),
            ("http.request.method", AttributeValue::Text("GET")),
            ("http.target", AttributeValue::Text("/a?b")),
            ("http.route", AttributeValue::Int(3)),
        ]);
        assert_eq!(fields.status, Some(404));
        assert_eq!(fields.method, Some("GET"));
        assert_eq!(fields.path, Some("/a?b"));
        assert_eq!(fields.route, None);
        let mut newer = SpanFields::default();
        newer.read([
            ("http.response.status_code", AttributeValue::Double(503.0)),
            ("http.status_code", AttributeValue::Int(200)),
        ]);
        assert_eq!(newer.status, Some(503));
    }

    #[test]
    fn ids_are_hex_in_either_case() {
        let upper = hex_id("5B8EFFF798038103D269B633813FC60C", 32).unwrap();
        let lower = hex_id("5b8efff798038103d269b633813fc60c", 32).unwrap();
        assert_eq!(upper, lower);
        assert_eq!(upper, Some(0x5b8efff798038103d269b633813fc60c));
        assert_eq!(hex_id("", 16), Ok(None));
        assert_eq!(hex_id("0000000000000000", 16), Ok(None));
        assert_eq!(hex_id("xyz", 16), Err(()));
        assert_eq!(hex_id("11111111111111111", 16), Err(()));
    }

    #[test]
    fn recent_ids_forget_the_oldest() {
        let mut ids = RecentIds::new(2);
        assert!(ids.insert(1));
        assert!(!ids.insert(1));
        assert!(ids.insert(2));
        assert!(ids.insert(3));
        assert!(!ids.contains(1));
        assert!(ids.insert(1));
    }
}
