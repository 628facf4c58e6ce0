//! OTLP/JSON traces, as the OpenTelemetry Collector's file exporter writes them: one
//! `ExportTraceServiceRequest` a line (or one pretty-printed document a file), spans under
//! `resourceSpans[].scopeSpans[].spans[]`.
//!
//! The protocol's JSON mapping writes 64-bit integers as strings or numbers and enums as
//! numbers (some producers use their names); ids are hex. Attribute values of every type are
//! accepted; those no field takes (arrays, maps, bytes) are skipped without being built.

use std::borrow::Cow;
use std::fmt;
use std::io;

use nines_core::source::{SpanKind, TraceSource};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::error::Reason;
use crate::stats::Sample;
use crate::telemetry::lines::LineSource;
use crate::telemetry::spans::{AttributeValue, Gap, Span, SpanFields, Spans, Timing, hex_id};
use crate::telemetry::{Out, Place, Telemetry};

/// Reads OTLP/JSON trace files.
pub(crate) struct OtlpReader<'f> {
    spans: Spans<'f>,
}

impl<'f> OtlpReader<'f> {
    pub(crate) fn new(source: &'f TraceSource) -> Self {
        OtlpReader {
            spans: Spans::new(source),
        }
    }

    fn request(&mut self, place: Place, text: &str, out: &mut Out<'_>) {
        let request: Request<'_> = match serde_json::from_str(text) {
            Ok(request) => request,
            Err(error) => {
                let reason = json_reason(&error);
                return out.malformed(place.input, Sample::new(place.line, reason, text));
            }
        };
        for resource in &request.resource_spans {
            let mut base = SpanFields::default();
            base.read(attributes(&resource.resource.attributes));
            for scope in &resource.scope_spans {
                for span in &scope.spans {
                    match span.normalise(base) {
                        Ok(span) => self.spans.take(&span, place, out),
                        Err(reason) => {
                            let excerpt = format!("span `{}`", span.name);
                            out.malformed(place.input, Sample::new(place.line, reason, &excerpt));
                        }
                    }
                }
            }
        }
    }
}

impl Telemetry for OtlpReader<'_> {
    fn read_input(
        &mut self,
        input: usize,
        lines: &mut LineSource,
        out: &mut Out<'_>,
    ) -> io::Result<()> {
        super::read_documents(input, lines, out, |place, text, out| {
            self.request(place, text, out);
        })
    }

    fn finish(&mut self, out: &mut Out<'_>) {
        self.spans.finish(out);
    }
}

/// Invalid JSON, or JSON that is not a trace request.
pub(crate) fn json_reason(error: &serde_json::Error) -> Reason {
    match error.classify() {
        serde_json::error::Category::Data => Reason::bad("trace data"),
        _ => Reason::InvalidJson,
    }
}

fn attributes<'a>(
    attributes: &'a [KeyValue<'a>],
) -> impl Iterator<Item = (&'a str, AttributeValue<'a>)> {
    attributes
        .iter()
        .map(|kv| (&*kv.key, kv.value.as_attribute()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(borrow, default)]
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans<'a> {
    #[serde(borrow, default)]
    resource: Resource<'a>,
    /// `instrumentationLibrarySpans` before OTLP 0.15.
    #[serde(borrow, default, alias = "instrumentationLibrarySpans")]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize, Default)]
struct Resource<'a> {
    #[serde(borrow, default)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(borrow, default)]
    spans: Vec<SpanJson<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpanJson<'a> {
    #[serde(borrow, default)]
    trace_id: Cow<'a, str>,
    #[serde(borrow, default)]
    span_id: Cow<'a, str>,
    #[serde(borrow, default)]
    parent_span_id: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    #[serde(default)]
    kind: Code,
    #[serde(default)]
    start_time_unix_nano: Option<Int64>,
    #[serde(default)]
    end_time_unix_nano: Option<Int64>,
    #[serde(borrow, default)]
    attributes: Vec<KeyValue<'a>>,
    #[serde(default)]
    status: Status,
}

#[derive(Deserialize, Default)]
struct Status {
    #[serde(default)]
    code: Code,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(borrow, default)]
    value: AnyValue<'a>,
}

/// An attribute value; `arrayValue`, `kvlistValue` and `bytesValue` are skipped.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnyValue<'a> {
    #[serde(borrow, default)]
    string_value: Option<Cow<'a, str>>,
    #[serde(default)]
    int_value: Option<Int64>,
    #[serde(default)]
    double_value: Option<Float64>,
}

impl AnyValue<'_> {
    fn as_attribute(&self) -> AttributeValue<'_> {
        match (&self.string_value, self.int_value, self.double_value) {
            (Some(text), _, _) => AttributeValue::Text(text),
            (None, Some(Int64(value)), _) => AttributeValue::Int(value),
            (None, None, Some(Float64(value))) => AttributeValue::Double(value),
            (None, None, None) => AttributeValue::Other,
        }
    }
}

/// The OTLP status code that means an error.
const STATUS_ERROR: u32 = 2;

impl SpanJson<'_> {
    /// The span in the common shape, with the resource's fields under its own.
    fn normalise<'s>(&'s self, base: SpanFields<'s>) -> Result<Span<'s>, Reason> {
        let trace_id = hex_id(&self.trace_id, 32).map_err(|()| Reason::bad("trace id"))?;
        let span_id = hex_id(&self.span_id, 16).map_err(|()| Reason::bad("span id"))?;
        let parent = hex_id(&self.parent_span_id, 16).map_err(|()| Reason::bad("parent id"))?;
        let mut fields = base;
        fields.read(attributes(&self.attributes));
        fields.name = Some(&self.name)
            .filter(|name| !name.is_empty())
            .map(|n| &**n);
        Ok(Span {
            trace_id,
            span_id: span_id.map(|id| id as u64),
            has_parent: parent.is_some(),
            kind: SpanKind::ALL
                .get(self.kind.0 as usize)
                .copied()
                .unwrap_or(SpanKind::Unspecified),
            shared: false,
            timing: self.timing(),
            error: self.status.code.0 == STATUS_ERROR,
            fields,
        })
    }

    fn timing(&self) -> Result<Timing, Gap> {
        // The protocol leaves unset times at 0.
        let set = |time: Option<Int64>| time.map(|t| t.0).filter(|&t| t != 0);
        let start = set(self.start_time_unix_nano).ok_or(Gap::NoStart)?;
        let end = set(self.end_time_unix_nano).ok_or(Gap::NoEnd)?;
        if end < start {
            return Err(Gap::EndsBeforeStart);
        }
        Ok(Timing {
            end_ms: end.div_euclid(1_000_000),
            latency: (end - start) as f64 / 1e9,
        })
    }
}

/// A 64-bit integer written as a number or as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Int64(pub(crate) i64);

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Int64Visitor)
    }
}

struct Int64Visitor;

impl Visitor<'_> for Int64Visitor {
    type Value = Int64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a 64-bit integer, as a number or a string")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Int64, E> {
        Ok(Int64(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Int64, E> {
        i64::try_from(value)
            .map(Int64)
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Int64, E> {
        if value.fract() == 0.0 && value.abs() < 9.2e18 {
            Ok(Int64(value as i64))
        } else {
            Err(E::custom("not a whole number"))
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Int64, E> {
        text.trim()
            .parse()
            .map(Int64)
            .map_err(|_| E::custom("not an integer"))
    }
}

/// A double written as a number, or as a string (`"NaN"`, `"Infinity"` in proto3 JSON).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Float64(f64);

impl<'de> Deserialize<'de> for Float64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Float64Visitor)
    }
}

struct Float64Visitor;

impl Visitor<'_> for Float64Visitor {
    type Value = Float64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Float64, E> {
        Ok(Float64(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Float64, E> {
        Ok(Float64(value as f64))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Float64, E> {
        Ok(Float64(value as f64))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Float64, E> {
        text.trim()
            .parse()
            .map(Float64)
            .map_err(|_| E::custom("not a number"))
    }
}

/// An enum value (span kind, status code), as a number or by its protocol name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Code(u32);

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CodeVisitor)
    }
}

struct CodeVisitor;

/// The names of span kinds and status codes, with their numbers.
const CODE_NAMES: [(&str, u32); 9] = [
    ("SPAN_KIND_UNSPECIFIED", 0),
    ("SPAN_KIND_INTERNAL", 1),
    ("SPAN_KIND_SERVER", 2),
    ("SPAN_KIND_CLIENT", 3),
    ("SPAN_KIND_PRODUCER", 4),
    ("SPAN_KIND_CONSUMER", 5),
    ("STATUS_CODE_UNSET", 0),
    ("STATUS_CODE_OK", 1),
    ("STATUS_CODE_ERROR", 2),
];

impl Visitor<'_> for CodeVisitor {
    type Value = Code;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an enum value, as a number or a name")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Code, E> {
        Ok(Code(u32::try_from(value).unwrap_or(u32::MAX)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Code, E> {
        Ok(Code(u32::try_from(value).unwrap_or(u32::MAX)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Code, E> {
        let known = CODE_NAMES.iter().find(|(name, _)| *name == text);
        Ok(Code(known.map_or(u32::MAX, |&(_, code)| code)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Code, E> {
        Ok(Code::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(json: &str) -> SpanJson<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn integers_and_enums_in_either_spelling() {
        let a = span(
            r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
            "kind":"SPAN_KIND_SERVER","startTimeUnixNano":1544712660000000000,
            "endTimeUnixNano":"1544712660250000000","status":{"code":"STATUS_CODE_ERROR"}}"#,
        );
        let normal = a.normalise(SpanFields::default()).unwrap();
        assert_eq!(normal.kind, SpanKind::Server);
        assert!(normal.error);
        assert!(!normal.has_parent);
        // 250,000,000 ns is 0.25 s; the span ends at 1544712660250 ms.
        assert_eq!(
            normal.timing,
            Ok(Timing {
                end_ms: 1_544_712_660_250,
                latency: 0.25
            })
        );
    }

    #[test]
    fn attribute_values_of_every_type_are_accepted() {
        let a = span(
            r#"{"name":"GET /a","kind":5,"attributes":[
            {"key":"http.response.status_code","value":{"intValue":"503"}},
            {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"x"}]}}},
            {"key":"map","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":true}}]}}},
            {"key":"raw","value":{"bytesValue":"AAE="}},
            {"key":"ratio","value":{"doubleValue":"NaN"}},
            {"key":"flag","value":{"boolValue":false}},
            {"key":"http.route","value":{"stringValue":"/a/{id}"}}]}"#,
        );
        let normal = a.normalise(SpanFields::default()).unwrap();
        assert_eq!(normal.kind, SpanKind::Consumer);
        assert_eq!(normal.fields.status, Some(503));
        assert_eq!(normal.fields.route, Some("/a/{id}"));
        assert_eq!(normal.fields.name, Some("GET /a"));
        assert_eq!(normal.timing, Err(Gap::NoStart));
        // UNSET (no status at all) is not an error.
        assert!(!normal.error);
    }

    #[test]
    fn bad_ids_are_reported() {
        let a = span(r#"{"traceId":"not hex"}"#);
        assert_eq!(
            a.normalise(SpanFields::default()).unwrap_err(),
            Reason::bad("trace id")
        );
    }
}
