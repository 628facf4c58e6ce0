//! Traces and counters, read from the hand-written files in `tests/data` with the numbers worked
//! out beside each assertion. Times in those files start at T0 = 2026-01-05T10:00:00Z.

use nines_core::source::{
    Constant, ConstantField, CounterSeries, CounterSource, ExpositionMetric, ExpositionSource,
    SpanKind, TraceError, TraceMode, TraceSource,
};

use super::*;

/// 2026-01-05T10:00:00Z in Unix milliseconds.
const T0: i64 = 1_767_607_200_000;

/// An event as a test needs it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    at: i64,
    weight: f64,
    status: Option<i64>,
    latency: Option<f64>,
    method: Option<String>,
    path: Option<String>,
    region: Option<String>,
    custom: Vec<Value<'static>>,
}

impl Seen {
    fn of(event: &Event<'_>) -> Seen {
        let text = |value: Option<&str>| value.map(str::to_owned);
        Seen {
            at: event.timestamp_ms,
            weight: event.weight,
            status: event.status,
            latency: event.latency,
            method: text(event.method),
            path: text(event.path),
            region: text(event.region),
            custom: event.custom.iter().map(|value| leak(*value)).collect(),
        }
    }

    /// A custom string field.
    fn text(&self, index: usize) -> Option<&str> {
        match self.custom.get(index) {
            Some(Value::Str(text)) => Some(text),
            _ => None,
        }
    }

    /// The `error` field of a span.
    fn error(&self) -> bool {
        self.custom[3] == Value::Bool(true)
    }
}

/// Keeps a custom value beyond its event; tests are short-lived.
fn leak(value: Value<'_>) -> Value<'static> {
    match value {
        Value::Str(text) => Value::Str(Box::leak(text.to_owned().into_boxed_str())),
        Value::Null => Value::Null,
        Value::Int(v) => Value::Int(v),
        Value::Double(v) => Value::Double(v),
        Value::Bool(v) => Value::Bool(v),
    }
}

fn data(name: &str) -> InputPath {
    InputPath::File(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
}

#[derive(Debug)]
struct Collect(Vec<Seen>);

impl nines_ingest::EventSink for Collect {
    fn accept(&mut self, event: &Event<'_>) {
        self.0.push(Seen::of(event));
    }
}

fn read(inputs: &[InputPath], format: &SourceFormat) -> (Vec<Seen>, Vec<InputStats>) {
    let options = ReadOptions::default();
    let outcome = read_inputs(inputs, format, &options, || Collect(Vec::new())).unwrap();
    assert_eq!(
        outcome.sinks.len(),
        1,
        "stateful formats read into one sink"
    );
    let mut events: Vec<Seen> = outcome.sinks.into_iter().flat_map(|c| c.0).collect();
    events.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    (events, outcome.inputs)
}

/// Valid and good weight: the SLI's numerator and denominator.
fn sli(events: &[Seen], valid: impl Fn(&Seen) -> bool, good: impl Fn(&Seen) -> bool) -> (f64, f64) {
    let valid: Vec<&Seen> = events.iter().filter(|e| valid(e)).collect();
    let good = valid.iter().filter(|e| good(e)).map(|e| e.weight).sum();
    (good, valid.iter().map(|e| e.weight).sum())
}

fn reasons(stats: &InputStats) -> Vec<(&str, u64)> {
    stats
        .malformed
        .iter()
        .map(|(reason, count)| (reason.as_str(), *count))
        .collect()
}

/// Writes `text` to a temporary file.
fn temp(name: &str, text: &str) -> (tempfile::TempDir, InputPath) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, text.as_bytes());
    (dir, file(&path))
}

fn traces(mode: TraceMode, trace_error: TraceError) -> TraceSource {
    TraceSource {
        mode,
        trace_error,
        ..TraceSource::default()
    }
}

mod otlp {
    use super::*;

    fn spans() -> SourceFormat {
        SourceFormat::Otlp(TraceSource::default())
    }

    fn per_trace(rule: TraceError) -> SourceFormat {
        SourceFormat::Otlp(traces(TraceMode::Trace, rule))
    }

    #[test]
    fn the_protocol_example_is_one_pretty_printed_request() {
        let (events, stats) = read(&[data("otlp_trace_example.json")], &spans());
        assert_eq!(events.len(), 1);
        let span = &events[0];
        // 1544712660 s to 1544712661 s: one second, ending at 1544712661000 ms.
        assert_eq!((span.at, span.latency), (1_544_712_661_000, Some(1.0)));
        assert_eq!(span.text(0), Some("my.service"));
        assert_eq!(span.text(2), Some("I'm a server span"));
        assert_eq!(span.text(4), Some("server"));
        assert!(!span.error());
        assert_eq!((stats[0].lines, stats[0].events), (51, 1));
        // Its parent lives elsewhere, so as a trace it has no root: counted, not dropped.
        let (events, stats) = read(
            &[data("otlp_trace_example.json")],
            &per_trace(TraceError::AnySpan),
        );
        assert!(events.is_empty());
        assert_eq!(reasons(&stats[0]), [("incomplete trace (no root span)", 1)]);
    }

    #[test]
    fn server_and_consumer_spans_are_events() {
        let (events, stats) = read(&[data("otlp_spans.jsonl")], &spans());
        // Server: A's root (0.2 s, 200), payments' POST /pay (0.08 s, 500, ERROR), B's root
        // (0.5 s, 503, ERROR), C's orphan (0.1 s, OK), F's root (0.1 s); consumer: D's root
        // (0.3 s). The client and internal spans are not events.
        assert_eq!(events.len(), 6);
        // Availability: 2 of 6 are errors: 4 / 6.
        assert_eq!(sli(&events, |_| true, |e| !e.error()), (4.0, 6.0));
        // Latency ≤ 0.25 s: 0.2, 0.08, 0.1, 0.1 are good, 0.5 and 0.3 are not: 4 / 6.
        assert_eq!(
            sli(&events, |_| true, |e| e.latency <= Some(0.25)),
            (4.0, 6.0)
        );
        let pay = events
            .iter()
            .find(|e| e.text(2) == Some("POST /pay"))
            .unwrap();
        // Older attribute names: http.method, http.target, http.status_code (a number).
        assert_eq!(pay.method.as_deref(), Some("POST"));
        assert_eq!(pay.path.as_deref(), Some("/pay?x=1"));
        assert_eq!((pay.status, pay.text(0)), (Some(500), Some("payments")));
        let cart = events
            .iter()
            .find(|e| e.text(1) == Some("/cart/{id}"))
            .unwrap();
        // "200" as a string; the span ends 0.2 s after T0.
        assert_eq!((cart.status, cart.at), (Some(200), T0 + 200));
        // E's root has no end; line 5 is cut short; line 6 repeats B's root.
        assert_eq!(
            reasons(&stats[0]),
            [
                ("duplicate span", 1),
                ("incomplete JSON document", 1),
                ("incomplete span (no end time)", 1),
            ]
        );
        assert_eq!((stats[0].lines, stats[0].events), (6, 6));
    }

    #[test]
    fn traces_are_measured_by_their_root() {
        let (events, stats) = read(&[data("otlp_spans.jsonl")], &per_trace(TraceError::AnySpan));
        // Traces A (root 0.2 s; its client and payments spans failed), B (root failed),
        // D (root 0.3 s; an internal span failed) and F (all fine). C has no root, E's root
        // no end time.
        let mut latencies: Vec<f64> = events.iter().filter_map(|e| e.latency).collect();
        latencies.sort_by(f64::total_cmp);
        assert_eq!(latencies, [0.1, 0.2, 0.3, 0.5]);
        // Any span failing fails the trace: only F is good, 1 / 4.
        assert_eq!(sli(&events, |_| true, |e| !e.error()), (1.0, 4.0));
        assert_eq!(
            reasons(&stats[0]),
            [
                ("duplicate span", 1),
                ("incomplete JSON document", 1),
                ("incomplete trace (no root span)", 1),
                ("incomplete trace (root span has no end time)", 1),
            ]
        );
        // Only the root's own status: A, D and F are good, B is not: 3 / 4.
        let (events, _) = read(&[data("otlp_spans.jsonl")], &per_trace(TraceError::Root));
        assert_eq!(sli(&events, |_| true, |e| !e.error()), (3.0, 4.0));
    }

    #[test]
    fn spans_of_a_trace_may_come_in_any_order_and_file() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/otlp_spans.jsonl"),
        )
        .unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        let (_a, last) = temp("last.jsonl", &lines[3..].join("\n"));
        let (_b, first) = temp("first.jsonl", &lines[..3].join("\n"));
        let format = per_trace(TraceError::AnySpan);
        let (reversed, _) = read(&[last, first], &format);
        let (original, _) = read(&[data("otlp_spans.jsonl")], &format);
        assert_eq!(reversed, original);
    }

    #[test]
    fn the_open_trace_limit_closes_the_least_recently_active_trace() {
        let format = SourceFormat::Otlp(TraceSource {
            max_open_traces: 1,
            ..traces(TraceMode::Trace, TraceError::AnySpan)
        });
        let (events, stats) = read(&[data("otlp_spans.jsonl")], &format);
        let (unlimited, _) = read(&[data("otlp_spans.jsonl")], &per_trace(TraceError::AnySpan));
        // Each trace's spans sit together, so closing early loses nothing...
        assert_eq!(events, unlimited);
        // ...but B's root, repeated at the end, now arrives after B was closed.
        assert_eq!(
            stats[0].malformed["incomplete trace (span arrived after the trace was closed)"],
            1
        );
    }

    #[test]
    fn span_kinds_choose_the_events() {
        let format = SourceFormat::Otlp(TraceSource {
            span_kinds: vec![SpanKind::Client, SpanKind::Internal],
            ..TraceSource::default()
        });
        let (events, _) = read(&[data("otlp_spans.jsonl")], &format);
        let kinds: Vec<&str> = events.iter().filter_map(|e| e.text(4)).collect();
        // A's POST payments and F's SELECT (client), D's validate (internal).
        assert_eq!(kinds.len(), 3);
        assert!(kinds.iter().all(|k| ["client", "internal"].contains(k)));
    }

    #[test]
    fn strict_mode_stops_at_the_first_problem() {
        let options = ReadOptions {
            strict: true,
            ..ReadOptions::default()
        };
        let result = read_inputs(&[data("otlp_spans.jsonl")], &spans(), &options, || {
            Collect(Vec::new())
        });
        let Err(error) = result else {
            panic!("a strict run with problems must fail");
        };
        assert!(
            error
                .to_string()
                .contains(":4: incomplete span (no end time)"),
            "{error}"
        );
    }
}

mod zipkin {
    use super::*;

    #[test]
    fn shared_and_repeated_spans_count_once() {
        let format = SourceFormat::Zipkin(TraceSource::default());
        let (events, stats) = read(&[data("zipkin_spans.json")], &format);
        // The server side of the shared call (0.25 s), the failed POST (0.12 s, counted once
        // although reported twice) and the consumer (0.04 s). The client side of the shared
        // call is not an event, so the call is not counted twice.
        let latencies: Vec<f64> = events.iter().filter_map(|e| e.latency).collect();
        assert_eq!(latencies.len(), 3);
        assert_eq!(sli(&events, |_| true, |e| !e.error()), (2.0, 3.0));
        let post = events.iter().find(|e| e.error()).unwrap();
        assert_eq!(post.status, Some(500));
        assert_eq!(post.path.as_deref(), Some("/api/orders"));
        // Two spans lack a duration (one says 0, which Zipkin means as absent), one a timestamp.
        assert_eq!(
            reasons(&stats[0]),
            [
                ("duplicate span", 1),
                ("incomplete span (no duration)", 2),
                ("incomplete span (no timestamp)", 1),
            ]
        );
        // Each problem is reported at the line its span starts on, not the array's.
        let lines: Vec<(u64, &str)> = stats[0]
            .samples
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (53, "duplicate span"),
                (70, "incomplete span (no duration)"),
                (80, "incomplete span (no timestamp)"),
                (90, "incomplete span (no duration)"),
            ]
        );
    }

    #[test]
    fn a_broken_span_costs_only_itself() {
        // Line 3 is JSON but not a span (a timestamp in words); line 5 is not JSON at all,
        // which ends its array but not the file.
        let text = "[\n\
            {\"traceId\":\"1\",\"id\":\"a\",\"kind\":\"SERVER\",\"timestamp\":1767607200000000,\"duration\":1000},\n\
            {\"traceId\":\"2\",\"id\":\"b\",\"kind\":\"SERVER\",\"timestamp\":\"soon\"},\n\
            {\"traceId\":\"3\",\"id\":\"c\",\"kind\":\"SERVER\",\"timestamp\":1767607201000000,\"duration\":2000}\n\
            ]\n\
            [{\"traceId\":\"4\" \"id\":\"d\"}]\n\
            {\"traceId\":\"5\",\"id\":\"e\",\"kind\":\"SERVER\",\"timestamp\":1767607202000000,\"duration\":3000}\n";
        let (_dir, path) = temp("spans.json", text);
        let (events, stats) = read(&[path], &SourceFormat::Zipkin(TraceSource::default()));
        // Spans a, c and e: 1 ms, 2 ms and 3 ms.
        let latencies: Vec<f64> = events.iter().filter_map(|e| e.latency).collect();
        assert_eq!(latencies, [0.001, 0.002, 0.003]);
        let lines: Vec<(u64, &str)> = stats[0]
            .samples
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(lines, [(3, "bad span"), (6, "invalid JSON")]);
    }

    #[test]
    fn a_trace_is_measured_from_the_side_that_began_it() {
        let format = SourceFormat::Zipkin(traces(TraceMode::Trace, TraceError::AnySpan));
        let (events, stats) = read(&[data("zipkin_spans.json")], &format);
        let mut latencies: Vec<f64> = events.iter().filter_map(|e| e.latency).collect();
        latencies.sort_by(f64::total_cmp);
        // The shared call's client side (0.3 s) is the root, not its server side (0.25 s).
        assert_eq!(latencies, [0.04, 0.12, 0.3]);
        assert_eq!(
            stats[0].malformed["incomplete trace (root span has no duration)"],
            2
        );
        assert_eq!(
            stats[0].malformed["incomplete trace (root span has no timestamp)"],
            1
        );
    }

    #[test]
    fn json_lines_of_spans_and_arrays_read_alike() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zipkin_spans.json"),
        )
        .unwrap();
        let spans: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let lines: Vec<String> = spans
            .iter()
            .enumerate()
            .map(|(i, span)| match i % 2 {
                0 => span.to_string(),
                _ => format!("[{span}]"),
            })
            .collect();
        let (_dir, path) = temp("spans.jsonl", &lines.join("\n"));
        let format = SourceFormat::Zipkin(TraceSource::default());
        let (from_lines, stats) = read(&[path], &format);
        assert_eq!(from_lines, read(&[data("zipkin_spans.json")], &format).0);
        assert_eq!(stats[0].lines, 8);
    }
}

mod counters {
    use super::*;

    fn series(path: &str, status: i64, region: &str) -> CounterSeries {
        CounterSeries {
            path: path.into(),
            values: vec![Constant::Int(status), Constant::Str(region.into())],
        }
    }

    fn status_api() -> SourceFormat {
        SourceFormat::Counters(CounterSource {
            timestamp: "ts".into(),
            timestamp_unit: TimestampUnit::Auto,
            fields: vec![
                ConstantField {
                    name: "status".into(),
                    ty: FieldType::Int,
                },
                ConstantField {
                    name: "region".into(),
                    ty: FieldType::String,
                },
            ],
            counters: vec![
                series("zones.eu.responses.2xx", 200, "eu"),
                series("zones.eu.responses.5xx", 500, "eu"),
                series("zones.us.responses.2xx", 200, "us"),
            ],
        })
    }

    #[test]
    fn a_reset_in_one_series_counts_from_zero() {
        let (events, _) = read(&[data("nginx_status.jsonl")], &status_api());
        let eu = |e: &Seen| e.region.as_deref() == Some("eu");
        // eu 2xx: 100 → 110 (+10). eu 5xx: 50 → 0 (a restart, +0) → 5 (+5). 10 + 5 = 15;
        // summing first (150 → 110 → 115) would give 115.
        assert_eq!(sli(&events, eu, |e| e.status == Some(200)), (10.0, 15.0));
        assert!(events.iter().all(|e| e.weight > 0.0));
    }

    #[test]
    fn a_missed_sample_is_not_a_restart() {
        let (events, stats) = read(&[data("nginx_status.jsonl")], &status_api());
        // us 2xx: 1000 at 10:00, absent at 10:01, 1006 at 10:02: +6, not 1006, and shared
        // out over the two minutes it was counted in, 3 and 3, rather than a burst at 10:02.
        let us: Vec<(i64, f64)> = events
            .iter()
            .filter(|e| e.region.as_deref() == Some("us"))
            .map(|e| (e.at, e.weight))
            .collect();
        assert_eq!(us, [(T0, 3.0), (T0 + 60_000, 3.0)]);
        // All: 10 + 5 + 6 = 21 requests, 5 of them 5xx: 16 / 21.
        assert_eq!(
            sli(&events, |_| true, |e| e.status < Some(500)),
            (16.0, 21.0)
        );
        assert_eq!(
            reasons(&stats[0]),
            [
                ("bad counter zones.eu.responses.2xx", 1),
                ("bad timestamp", 1)
            ]
        );
        // eu 2xx +10 in minute 10:00; eu 5xx +5 in 10:01; us 2xx 3 and 3 in 10:00 and 10:01.
        assert_eq!(stats[0].events, 4);
    }

    #[test]
    fn snapshots_in_any_order_give_the_same_increases() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nginx_status.jsonl"),
        )
        .unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.reverse();
        let (_dir, path) = temp("reversed.jsonl", &lines.join("\n"));
        let (events, _) = read(&[path], &status_api());
        assert_eq!(events, read(&[data("nginx_status.jsonl")], &status_api()).0);
    }
}

mod prometheus {
    use super::*;

    fn requests() -> SourceFormat {
        SourceFormat::PrometheusText(ExpositionSource {
            metric: ExpositionMetric::Counter("http_requests_total".into()),
            labels: vec![
                ("code".into(), "status".into()),
                ("route".into(), "path".into()),
            ],
            buckets: Vec::new(),
        })
    }

    fn durations(buckets: &[f64]) -> SourceFormat {
        SourceFormat::PrometheusText(ExpositionSource {
            metric: ExpositionMetric::Histogram("http_request_duration_seconds".into()),
            labels: Vec::new(),
            buckets: buckets.to_vec(),
        })
    }

    fn scrapes() -> [InputPath; 2] {
        [data("metrics.prom"), data("metrics-restarted.prom")]
    }

    #[test]
    fn counter_series_increase_and_reset_apart() {
        let (events, stats) = read(&scrapes(), &requests());
        // 200: 1e3 → 1.1e3 (+100) → 50 after the restart (+50); 500: 10 → 12 (+2) → 1 (+1).
        // valid 153, bad 3: 150 / 153.
        assert_eq!(
            sli(&events, |_| true, |e| e.status < Some(500)),
            (150.0, 153.0)
        );
        assert!(events.iter().all(|e| e.path.as_deref() == Some("/a")));
        assert_eq!(stats[0].events, 2);
        assert_eq!(reasons(&stats[1]), [("bad label", 1)]);
    }

    #[test]
    fn a_latency_threshold_counts_exactly_its_bucket() {
        let (events, stats) = read(&scrapes(), &durations(&[]));
        // Increases at 10:01: le 0.1 +800, 0.25 +950, 0.5 +990, 1.0 +995, 8.999… +999,
        // +Inf +1000. After the restart at 10:02: 8, 9, 10, 10, 10, 10.
        // latency ≤ 1 counts the le="1.0" (then le="1") bucket: 995 + 10 = 1005 of the +Inf
        // bucket's 1000 + 10 = 1010, not of the sum of all buckets.
        assert_eq!(
            sli(&events, |_| true, |e| e.latency <= Some(1.0)),
            (1005.0, 1010.0)
        );
        assert_eq!(
            sli(&events, |_| true, |e| e.latency <= Some(0.25)),
            (959.0, 1010.0)
        );
        let odd = events
            .iter()
            .find(|e| e.latency == Some(8.999_999_999_999_998))
            .unwrap();
        // 999 − 995 = 4 requests between 1 and 8.999… s.
        assert_eq!(odd.weight, 4.0);
        assert!(events.iter().any(|e| e.latency == Some(f64::INFINITY)));
        assert!(stats.iter().all(|s| s.malformed.is_empty()), "{stats:?}");
    }

    #[test]
    fn undeclared_bounds_fall_into_the_next_declared_bucket() {
        let (events, stats) = read(&scrapes(), &durations(&[0.1, 0.25, 0.5, 1.0]));
        // Without le="8.999…", its 4 + 0 requests join the +Inf bucket's 1 + 0.
        let slowest: f64 = events
            .iter()
            .filter(|e| e.latency == Some(f64::INFINITY))
            .map(|e| e.weight)
            .sum();
        assert_eq!(slowest, 5.0);
        assert_eq!(sli(&events, |_| true, |_| true), (1010.0, 1010.0));
        assert_eq!(
            stats[0].malformed["bucket bound not declared in the spec"],
            1
        );
    }

    #[test]
    fn a_gauge_is_not_read_as_a_counter() {
        let format = SourceFormat::PrometheusText(ExpositionSource {
            metric: ExpositionMetric::Counter("temperature_celsius".into()),
            labels: Vec::new(),
            buckets: Vec::new(),
        });
        let (events, stats) = read(&[data("metrics.prom")], &format);
        assert!(events.is_empty());
        assert_eq!(
            reasons(&stats[0]),
            [("metric is a gauge, not a counter", 2)]
        );
    }

    #[test]
    fn files_in_any_order_give_the_same_events() {
        let [first, second] = scrapes();
        let (reversed, _) = read(&[second, first], &durations(&[]));
        assert_eq!(reversed, read(&scrapes(), &durations(&[])).0);
    }

    #[test]
    fn samples_without_a_time_are_reported() {
        let (_dir, path) = temp("bare.prom", "http_requests_total{code=\"200\"} 5\n");
        let (events, stats) = read(&[path], &requests());
        assert!(events.is_empty());
        assert_eq!(reasons(&stats[0]), [("missing timestamp", 1)]);
    }
}
