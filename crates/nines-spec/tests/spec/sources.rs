//! Sources of traces, counter snapshots and Prometheus text: what they decode into, and the
//! mistakes validation catches in them.

use nines_core::event::{Field, FieldType};
use nines_core::source::{
    Constant, ExpositionMetric, SourceFormat, SpanKind, TimestampUnit, TraceError, TraceMode,
};

use super::*;

/// Loads one service with `sources` (YAML list items, indented for it) and no SLOs.
fn formats(sources: &str) -> (Vec<SourceFormat>, String) {
    let text = format!("apiVersion: nines/v1\nservices:\n  - name: shop\n    sources:\n{sources}");
    let loaded = load_str("slos.yaml", &text);
    let formats = loaded.catalog.services[0]
        .sources
        .iter()
        .map(|source| source.format.clone())
        .collect();
    (formats, rendered(&loaded))
}

#[test]
fn trace_sources_take_their_mode_and_kinds() {
    let (formats, diagnostics) = formats(
        "      - {name: a, kind: otlp}
      - {name: b, kind: zipkin, span_kinds: [server, client, server]}
      - {name: c, kind: otlp, mode: trace, trace_error: root, max_open_traces: 10}
",
    );
    assert_eq!(diagnostics, "");
    let SourceFormat::Otlp(a) = &formats[0] else {
        panic!("{:?}", formats[0])
    };
    assert_eq!(a.mode, TraceMode::Span);
    assert_eq!(a.span_kinds, [SpanKind::Server, SpanKind::Consumer]);
    let SourceFormat::Zipkin(b) = &formats[1] else {
        panic!("{:?}", formats[1])
    };
    // A kind listed twice is taken once.
    assert_eq!(b.span_kinds, [SpanKind::Server, SpanKind::Client]);
    let SourceFormat::Otlp(c) = &formats[2] else {
        panic!("{:?}", formats[2])
    };
    assert_eq!(
        (c.mode, c.trace_error, c.max_open_traces),
        (TraceMode::Trace, TraceError::Root, 10)
    );
}

#[test]
fn options_of_the_other_trace_mode_are_warned_about() {
    let (_, diagnostics) = formats(
        "      - {name: a, kind: otlp, trace_error: root}
      - {name: b, kind: zipkin, mode: trace, span_kinds: [client]}
",
    );
    assert_eq!(
        diagnostics,
        "warning: slos.yaml:5:44: `trace_error` applies only with `mode: trace`
  hint: remove it, or set `mode: trace`
warning: slos.yaml:6:58: `span_kinds` applies only with `mode: span`
  hint: remove it, or set `mode: span`
"
    );
}

#[test]
fn counter_fields_take_one_type_each() {
    let (formats, diagnostics) = formats(
        "      - name: status-api
        kind: counters
        timestamp: polled.at
        timestamp_unit: ms
        counters:
          - {path: zones.eu.2xx, fields: {status: 200, zone: eu, weight: 1}}
          - {path: zones.us.5xx, fields: {status: 500, zone: us, weight: 0.5}}
          - {path: zones.us.4xx, fields: {zone: \"4\"}}
",
    );
    assert_eq!(diagnostics, "");
    let SourceFormat::Counters(counters) = &formats[0] else {
        panic!("{:?}", formats[0])
    };
    assert_eq!(counters.timestamp, "polled.at");
    assert_eq!(counters.timestamp_unit, TimestampUnit::Millis);
    // status is built in (int); zone is text (one value is quoted); weight has a fraction.
    let types: Vec<(&str, FieldType)> = counters
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.ty))
        .collect();
    assert_eq!(
        types,
        [
            ("status", FieldType::Int),
            ("zone", FieldType::String),
            ("weight", FieldType::Double)
        ]
    );
    assert_eq!(
        counters.counters[1].values,
        [
            Constant::Int(500),
            Constant::Str("us".into()),
            Constant::Double(0.5)
        ]
    );
    // A field a counter does not set is null for it.
    assert_eq!(counters.counters[2].values[0], Constant::Null);
}

#[test]
fn prometheus_sources_read_a_counter_or_a_histogram() {
    let (formats, diagnostics) = formats(
        "      - {name: a, kind: prometheus-text, metric: http_requests_total, labels: {code: status}}
      - {name: b, kind: prometheus-text, histogram: d_seconds, buckets: [1.0, 0.25, 1, +Inf]}
",
    );
    assert_eq!(diagnostics, "");
    let SourceFormat::PrometheusText(a) = &formats[0] else {
        panic!("{:?}", formats[0])
    };
    assert_eq!(
        a.metric,
        ExpositionMetric::Counter("http_requests_total".into())
    );
    // The label `code` fills the built-in `status`, an int.
    assert_eq!(a.fields()[0].field, Field::Status);
    let SourceFormat::PrometheusText(b) = &formats[1] else {
        panic!("{:?}", formats[1])
    };
    // Bounds are numbers, sorted and each once: 1.0 and 1 are one bound; +Inf is implied.
    assert_eq!(b.buckets, [0.25, 1.0]);
    assert_eq!(b.fields()[0].field, Field::Latency);
}

#[test]
fn prometheus_sources_say_what_is_wrong() {
    let (_, diagnostics) = formats(
        "      - {name: a, kind: prometheus-text}
      - {name: b, kind: prometheus-text, histogram: h, labels: {le: x, path: latency}}
      - {name: c, kind: prometheus-text, metric: m, histogram: h}
",
    );
    assert_eq!(
        diagnostics,
        "error: slos.yaml:5:9: a prometheus-text source needs either `metric` (a counter) or \
         `histogram`
  hint: for example `metric: http_requests_total`, or `histogram: http_request_duration_seconds` \
         (without `_bucket`)
error: slos.yaml:6:69: label `le` cannot fill field `x`
error: slos.yaml:7:9: a prometheus-text source needs either `metric` (a counter) or \
         `histogram`
  hint: for example `metric: http_requests_total`, or `histogram: http_request_duration_seconds` \
         (without `_bucket`)
"
    );
}

#[test]
fn latency_thresholds_must_fall_on_a_declared_bound() {
    let spec = "apiVersion: nines/v1
services:
  - name: api
    sources:
      - {name: d, kind: prometheus-text, histogram: d_seconds, buckets: [0.1, 0.5, 1]}
    slos:
      - {name: on, objective: 99, window: 1d, sli: {source: d, good: latency <= 0.5}}
      - {name: between, objective: 99, window: 1d, sli: {source: d, good: latency < 0.5}}
      - {name: above, objective: 99, window: 1d, sli: {source: d, good: latency <= 2}}
";
    // `latency <= 0.5` is the le=\"0.5\" bucket; `< 0.5` cannot be told from a histogram whose
    // events carry 0.5 as their latency; above the largest bound only +Inf is left.
    let found = diagnostics(spec);
    let errors: Vec<&str> = found.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        errors,
        [
            "error: slos.yaml:8:75: the latency threshold lies between the bucket bounds 0.1 \
             and 0.5 of `d_seconds`, where a histogram cannot tell",
            "error: slos.yaml:9:73: the latency threshold lies above the largest bucket bound 1 \
             of `d_seconds`",
        ]
    );
}
