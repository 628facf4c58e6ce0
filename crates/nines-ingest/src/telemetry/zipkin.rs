//! Zipkin v2 JSON spans: a file holding one array of spans (what the Zipkin API returns, also
//! as an array of traces), or JSON lines of arrays or single spans.
//!
//! Times are microseconds. Zipkin's own model reads a timestamp or duration of 0 as absent, and
//! so does this reader: such a span is counted as incomplete, never as taking 0 ms. Tags are
//! read like OTLP attributes; an `error` tag of any value marks an error, as in Zipkin's UI.

use std::borrow::Cow;
use std::fmt;
use std::io;

use nines_core::source::{SpanKind, TraceSource};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::Reason;
use crate::stats::Sample;
use crate::telemetry::lines::LineSource;
use crate::telemetry::otlp::{Int64, json_reason};
use crate::telemetry::spans::{AttributeValue, Gap, Span, SpanFields, Spans, Timing, hex_id};
use crate::telemetry::{Out, Place, Telemetry};

/// Reads Zipkin v2 JSON.
pub(crate) struct ZipkinReader<'f> {
    spans: Spans<'f>,
}

impl<'f> ZipkinReader<'f> {
    pub(crate) fn new(source: &'f TraceSource) -> Self {
        ZipkinReader {
            spans: Spans::new(source),
        }
    }

    /// Takes the spans of one document, each found at its own line.
    fn document(&mut self, place: Place, text: &str, out: &mut Out<'_>) {
        let mut lines = LineCounter::new(text, place.line);
        let spans = &mut self.spans;
        let walked = each_span(text, 0, &mut |offset, span| {
            let place = Place {
                line: lines.line_at(offset),
                ..place
            };
            let span = span.and_then(|span| {
                span.normalise()
                    .map_err(|reason| (reason, format!("span {}", span.id)))
            });
            match span {
                Ok(span) => spans.take(&span, place, out),
                Err((reason, excerpt)) => {
                    out.malformed(place.input, Sample::new(place.line, reason, &excerpt));
                }
            }
        });
        let stop = match walked {
            Ok(end) if skip_space(text, end) == text.len() => None,
            Ok(end) => Some((skip_space(text, end), Reason::InvalidJson)),
            Err(stop) => Some(stop),
        };
        if let Some((offset, reason)) = stop {
            let excerpt = text[offset..].lines().next().unwrap_or_default();
            let sample = Sample::new(lines.line_at(offset), reason, excerpt);
            out.malformed(place.input, sample);
        }
    }
}

impl Telemetry for ZipkinReader<'_> {
    fn read_input(
        &mut self,
        input: usize,
        lines: &mut LineSource,
        out: &mut Out<'_>,
    ) -> io::Result<()> {
        super::read_documents(input, lines, out, |place, text, out| {
            self.document(place, text, out);
        })
    }

    fn finish(&mut self, out: &mut Out<'_>) {
        self.spans.finish(out);
    }
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct ZipkinSpan<'a> {
    #[serde(borrow, default)]
    trace_id: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    parent_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    timestamp: Option<Int64>,
    #[serde(default)]
    duration: Option<Int64>,
    #[serde(borrow, default)]
    local_endpoint: Option<Endpoint<'a>>,
    #[serde(borrow, default)]
    tags: Tags<'a>,
    #[serde(default)]
    shared: Option<bool>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Endpoint<'a> {
    #[serde(borrow, default)]
    service_name: Option<Cow<'a, str>>,
}

impl ZipkinSpan<'_> {
    fn normalise(&self) -> Result<Span<'_>, Reason> {
        let trace_id = hex_id(&self.trace_id, 32).map_err(|()| Reason::bad("trace id"))?;
        let span_id = hex_id(&self.id, 16).map_err(|()| Reason::bad("span id"))?;
        let parent = self.parent_id.as_deref().unwrap_or_default();
        let parent = hex_id(parent, 16).map_err(|()| Reason::bad("parent id"))?;
        let mut fields = SpanFields::default();
        fields.read(
            self.tags
                .0
                .iter()
                .map(|(k, v)| (&**k, AttributeValue::Text(v))),
        );
        fields.service = self
            .local_endpoint
            .as_ref()
            .and_then(|e| e.service_name.as_deref());
        fields.name = self.name.as_deref().filter(|name| !name.is_empty());
        Ok(Span {
            trace_id,
            span_id: span_id.map(|id| id as u64),
            has_parent: parent.is_some(),
            kind: self.kind(),
            shared: self.shared == Some(true),
            timing: self.timing(),
            error: self.tags.0.iter().any(|(key, _)| key == "error"),
            fields,
        })
    }

    fn kind(&self) -> SpanKind {
        match self.kind.as_deref() {
            Some("SERVER") => SpanKind::Server,
            Some("CLIENT") => SpanKind::Client,
            Some("PRODUCER") => SpanKind::Producer,
            Some("CONSUMER") => SpanKind::Consumer,
            // Zipkin leaves the kind out for work inside a process.
            _ => SpanKind::Unspecified,
        }
    }

    fn timing(&self) -> Result<Timing, Gap> {
        let set = |time: Option<Int64>| time.map(|t| t.0).filter(|&t| t != 0);
        let start = set(self.timestamp).ok_or(Gap::NoTimestamp)?;
        let duration = set(self.duration).ok_or(Gap::NoDuration)?;
        if duration < 0 {
            return Err(Gap::EndsBeforeStart);
        }
        Ok(Timing {
            end_ms: (start + duration).div_euclid(1000),
            latency: duration as f64 / 1e6,
        })
    }
}

/// Tags: text keys and text values; a value of another type is skipped.
#[derive(Default, Clone)]
struct Tags<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Tags<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TagsVisitor(std::marker::PhantomData))
    }
}

struct TagsVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TagsVisitor<'a> {
    type Value = Tags<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of tags")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tags<'a>, E> {
        Ok(Tags::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags<'a>, A::Error> {
        let mut tags = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if let Some(value) = map.next_value::<TagValue<'de>>()?.0 {
                tags.push((key, value));
            }
        }
        Ok(Tags(tags))
    }
}

/// A tag's value, when it is text.
struct TagValue<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for TagValue<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TagValueVisitor(std::marker::PhantomData))
    }
}

struct TagValueVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TagValueVisitor<'a> {
    type Value = TagValue<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tag value")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<TagValue<'a>, E> {
        Ok(TagValue(Some(Cow::Borrowed(text))))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<TagValue<'a>, E> {
        Ok(TagValue(Some(Cow::Owned(text.to_owned()))))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<TagValue<'a>, E> {
        Ok(TagValue(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<TagValue<'a>, E> {
        Ok(TagValue(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<TagValue<'a>, E> {
        Ok(TagValue(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<TagValue<'a>, E> {
        Ok(TagValue(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<TagValue<'a>, E> {
        Ok(TagValue(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TagValue<'a>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TagValue(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TagValue<'a>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(TagValue(None))
    }
}

/// A span as read, or why it could not be and an excerpt to show.
type SpanResult<'r, 't> = Result<&'r ZipkinSpan<'t>, (Reason, String)>;

/// Calls `each` with every span of `text` from byte `at` on, and its byte offset: one span,
/// an array of spans, or an array of traces (arrays of spans), as the Zipkin API returns them.
/// Returns the offset after the value.
///
/// Arrays are walked element by element rather than deserialised whole, so that each span is
/// reported at its own line of a pretty-printed file, and a span that is valid JSON but not a
/// span costs only itself. Invalid JSON stops the walk: the error gives where and why.
fn each_span<'t>(
    text: &'t str,
    at: usize,
    each: &mut dyn FnMut(usize, SpanResult<'_, 't>),
) -> Result<usize, (usize, Reason)> {
    let at = skip_space(text, at);
    if !text[at..].starts_with('[') {
        return one_span(text, at, each);
    }
    let mut at = skip_space(text, at + 1);
    if text[at..].starts_with(']') {
        return Ok(at + 1);
    }
    loop {
        at = skip_space(text, each_span(text, at, each)?);
        match text.as_bytes().get(at) {
            Some(b',') => at += 1,
            Some(b']') => return Ok(at + 1),
            _ => return Err((at.min(text.len()), Reason::InvalidJson)),
        }
    }
}

/// Reads the span that starts at byte `at`; see [`each_span`].
fn one_span<'t>(
    text: &'t str,
    at: usize,
    each: &mut dyn FnMut(usize, SpanResult<'_, 't>),
) -> Result<usize, (usize, Reason)> {
    let rest = &text[at..];
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<ZipkinSpan<'t>>();
    match stream.next() {
        Some(Ok(span)) => {
            each(at, Ok(&span));
            return Ok(at + stream.byte_offset());
        }
        Some(Err(error)) if error.classify() != serde_json::error::Category::Data => {
            return Err((at, json_reason(&error)));
        }
        None => return Err((at, Reason::InvalidJson)),
        Some(Err(_)) => {}
    }
    // Valid JSON, but not a span: skip it whole.
    let mut skip = serde_json::Deserializer::from_str(rest).into_iter::<IgnoredAny>();
    match skip.next() {
        Some(Ok(_)) => {
            let excerpt = rest.lines().next().unwrap_or_default().to_owned();
            each(at, Err((Reason::bad("span"), excerpt)));
            Ok(at + skip.byte_offset())
        }
        Some(Err(error)) => Err((at, json_reason(&error))),
        None => Err((at, Reason::InvalidJson)),
    }
}

fn skip_space(text: &str, at: usize) -> usize {
    let rest = &text.as_bytes()[at.min(text.len())..];
    at + rest.iter().take_while(|b| b.is_ascii_whitespace()).count()
}

/// Line numbers of byte offsets in a document, for offsets that only grow.
struct LineCounter<'t> {
    text: &'t str,
    offset: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str, first_line: u64) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: first_line,
        }
    }

    /// The line holding byte `offset`.
    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.text.len());
        if offset > self.offset {
            let skipped = memchr::memchr_iter(b'\n', &self.text.as_bytes()[self.offset..offset]);
            self.line += skipped.count() as u64;
            self.offset = offset;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(json: &str) -> Vec<ZipkinSpan<'_>> {
        let mut found = Vec::new();
        each_span(json, 0, &mut |_, span| found.push(span.unwrap().clone())).unwrap();
        found
    }

    #[test]
    fn one_span_an_array_or_an_array_of_traces() {
        let one = r#"{"traceId":"a","id":"1"}"#;
        assert_eq!(spans(one).len(), 1);
        assert_eq!(spans(&format!("[{one},{one}]")).len(), 2);
        assert_eq!(spans(&format!("[[{one}],[{one},{one}]]")).len(), 3);
    }

    #[test]
    fn tags_give_fields_and_errors() {
        let list = spans(
            r#"{"traceId":"463ac35c9f6413ad48485a3953bb6124","id":"a2fb4a1d1a96d312",
            "kind":"SERVER","timestamp":1556604172355737,"duration":1431,"shared":true,
            "localEndpoint":{"serviceName":"backend"},"name":"get /api",
            "tags":{"http.method":"GET","http.path":"/api","http.status_code":"500",
            "error":"","count":3}}"#,
        );
        let span = list[0].normalise().unwrap();
        assert_eq!(span.kind, SpanKind::Server);
        assert!(span.shared && span.error && !span.has_parent);
        assert_eq!(span.fields.service, Some("backend"));
        assert_eq!(span.fields.status, Some(500));
        assert_eq!(span.fields.path, Some("/api"));
        // 1,431 µs; the span ends at 1556604172355737 + 1431 µs = 1556604172357 ms.
        assert_eq!(
            span.timing,
            Ok(Timing {
                end_ms: 1_556_604_172_357,
                latency: 0.001431
            })
        );
    }

    #[test]
    fn zero_or_absent_times_are_gaps_not_zero() {
        let list = spans(
            r#"[{"id":"1","timestamp":5},{"id":"2","timestamp":5,"duration":0},{"id":"3","duration":5}]"#,
        );
        let gaps: Vec<_> = list.iter().map(|s| s.normalise().unwrap().timing).collect();
        assert_eq!(
            gaps,
            [
                Err(Gap::NoDuration),
                Err(Gap::NoDuration),
                Err(Gap::NoTimestamp)
            ]
        );
    }
}
