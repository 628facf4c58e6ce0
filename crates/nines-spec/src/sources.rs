//! Sources of telemetry that is not one request a line: traces (`otlp`, `zipkin`), counter
//! snapshots (`counters`) and Prometheus text exposition (`prometheus-text`), decoded from a
//! source's mapping; and the check that latency thresholds of a histogram source's SLOs fall
//! on bucket bounds (DESIGN §4.5, WORKED_EXAMPLES 10).
//!
//! ```yaml
//! - {name: spans, kind: otlp, mode: trace, trace_error: root}
//! - {name: zipkin, kind: zipkin, span_kinds: [server]}
//! - name: status-api
//!   kind: counters
//!   timestamp: ts
//!   counters:
//!     - {path: zones.eu.responses.2xx, fields: {status: 200, region: eu}}
//! - name: metrics
//!   kind: prometheus-text
//!   histogram: http_request_duration_seconds
//!   labels: {route: path}
//!   buckets: [0.1, 0.25, 0.5, 1]
//! ```

use nines_core::event::{Event, Field, FieldType};
use nines_core::slo::{EventSli, Source};
use nines_core::source::{
    Constant, ConstantField, CounterSeries, CounterSource, ExpositionMetric, ExpositionSource,
    SourceFormat, SpanKind, TimestampUnit, TraceError, TraceMode, TraceSource,
};

use crate::decode::{Context, Map, choice, list, mapping, parsed, sequence, text};
use crate::node::{Node, NodeKind};

/// The kinds this module decodes.
pub(crate) const KINDS: [&str; 4] = ["otlp", "zipkin", "counters", "prometheus-text"];

/// Keys only these kinds take.
pub(crate) const KEYS: [&str; 9] = [
    "mode",
    "span_kinds",
    "trace_error",
    "max_open_traces",
    "counters",
    "metric",
    "histogram",
    "labels",
    "buckets",
];

/// The keys each kind takes, besides `name`, `kind` and `description`.
fn keys_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "otlp" | "zipkin" => &["mode", "span_kinds", "trace_error", "max_open_traces"],
        "counters" => &["timestamp", "timestamp_unit", "counters"],
        "prometheus-text" => &["metric", "histogram", "labels", "buckets"],
        "access-log" => &["format", "layout"],
        _ => &["timestamp", "timestamp_unit", "fields", "sample_rate"],
    }
}

/// Reports keys that do not apply to a source of `kind`. Only keys of the kinds decoded here
/// are checked, so that older sources keep their lenience.
pub(crate) fn check_keys(cx: &mut Context<'_>, map: &Map<'_>, kind: &str) {
    let NodeKind::Mapping(entries) = &map.node.kind else {
        return;
    };
    let own = keys_of(kind);
    let new_kind = KINDS.contains(&kind);
    for (key, _) in entries {
        let name = key.name.as_str();
        let common = matches!(name, "name" | "kind" | "description");
        let checked = new_kind || KEYS.contains(&name);
        if common || !checked || own.contains(&name) {
            continue;
        }
        cx.error_hint(
            key.position,
            format!("`{name}` does not apply to a source of kind `{kind}`"),
            format!("a source of kind `{kind}` takes {}", list(own)),
        );
    }
}

/// Decodes a source of one of [`KINDS`].
pub(crate) fn decode(cx: &mut Context<'_>, map: &Map<'_>, kind: &str) -> Option<SourceFormat> {
    Some(match kind {
        "otlp" => SourceFormat::Otlp(trace_source(cx, map)?),
        "zipkin" => SourceFormat::Zipkin(trace_source(cx, map)?),
        "counters" => SourceFormat::Counters(counter_source(cx, map)?),
        _ => SourceFormat::PrometheusText(exposition_source(cx, map)?),
    })
}

fn trace_source(cx: &mut Context<'_>, map: &Map<'_>) -> Option<TraceSource> {
    let mut source = TraceSource::default();
    if let Some(node) = map.get("mode") {
        if choice(cx, node, "the trace mode", &["span", "trace"])? == "trace" {
            source.mode = TraceMode::Trace;
        }
    }
    if let Some(node) = map.get("span_kinds") {
        source.span_kinds = span_kinds(cx, node)?;
    }
    if let Some(node) = map.get("trace_error") {
        if choice(cx, node, "`trace_error`", &["any-span", "root"])? == "root" {
            source.trace_error = TraceError::Root;
        }
    }
    if let Some(node) = map.get("max_open_traces") {
        let hint = "a whole number of traces, such as 100000";
        source.max_open_traces = parsed::<usize>(cx, node, "`max_open_traces`", hint)?;
        if source.max_open_traces == 0 {
            cx.error_hint(node.position, "`max_open_traces` must be at least 1", hint);
            return None;
        }
    }
    warn_unused_trace_keys(cx, map, source.mode);
    Some(source)
}

/// Keys of the other mode are allowed, but do nothing; say so.
fn warn_unused_trace_keys(cx: &mut Context<'_>, map: &Map<'_>, mode: TraceMode) {
    let (unused, other): (&[&str], &str) = match mode {
        TraceMode::Span => (&["trace_error", "max_open_traces"], "trace"),
        TraceMode::Trace => (&["span_kinds"], "span"),
    };
    for key in unused {
        if let Some(node) = map.get(key) {
            cx.warning(
                node.position,
                format!("`{key}` applies only with `mode: {other}`"),
                Some(format!("remove it, or set `mode: {other}`")),
            );
        }
    }
}

fn span_kinds(cx: &mut Context<'_>, node: &Node) -> Option<Vec<SpanKind>> {
    let names = SpanKind::ALL.map(SpanKind::name);
    let mut kinds = Vec::new();
    for item in sequence(cx, node, "`span_kinds`") {
        let name = choice(cx, item, "the span kind", &names)?;
        kinds.extend(SpanKind::from_name(name).filter(|kind| !kinds.contains(kind)));
    }
    if kinds.is_empty() {
        cx.error_hint(
            node.position,
            "`span_kinds` lists no kind, so no span would count",
            "the default is [server, consumer]",
        );
        return None;
    }
    Some(kinds)
}

fn counter_source(cx: &mut Context<'_>, map: &Map<'_>) -> Option<CounterSource> {
    let timestamp = match map.get("timestamp") {
        Some(node) => text(cx, node, "the timestamp path"),
        None => {
            cx.error_hint(
                map.node.position,
                "a counters source has no `timestamp`",
                "give the path of each snapshot's time, such as `timestamp: time`",
            );
            None
        }
    };
    let timestamp_unit = timestamp_unit(cx, map)?;
    let list = map.require(cx, "counters", "a counters source")?;
    let mut written: Vec<(&str, Vec<(&str, &Node)>)> = Vec::new();
    for item in sequence(cx, list, "`counters`") {
        if let Some(counter) = counter(cx, item) {
            written.push(counter);
        }
    }
    if written.is_empty() {
        cx.error_hint(
            list.position,
            "a counters source needs at least one counter",
            "for example `- {path: zones.eu.responses.5xx, fields: {status: 500}}`",
        );
        return None;
    }
    let fields = constant_fields(&written);
    let counters = written
        .iter()
        .map(|(path, values)| counter_series(cx, path, values, &fields))
        .collect::<Option<Vec<_>>>()?;
    Some(CounterSource {
        timestamp: timestamp?.to_owned(),
        timestamp_unit,
        fields,
        counters,
    })
}

/// One counter as written: its path and its constant fields.
fn counter<'n>(
    cx: &mut Context<'_>,
    node: &'n Node,
) -> Option<(&'n str, Vec<(&'n str, &'n Node)>)> {
    let map = mapping(cx, node, "a counter", &["path", "fields"])?;
    let path = map
        .require(cx, "path", "a counter")
        .and_then(|node| text(cx, node, "the counter's path"))?;
    let mut values = Vec::new();
    if let Some(fields) = map.get("fields") {
        let NodeKind::Mapping(entries) = &fields.kind else {
            cx.error(fields.position, "a counter's `fields` must be a mapping");
            return None;
        };
        for (key, value) in entries {
            values.push((key.name.as_str(), value));
        }
    }
    Some((path, values))
}

/// Every field name the counters set, each once, with its type: a built-in field's own, or
/// the type every value written for it has (int, then double, then bool, else string; a
/// quoted value is always a string).
fn constant_fields(written: &[(&str, Vec<(&str, &Node)>)]) -> Vec<ConstantField> {
    let mut names: Vec<&str> = Vec::new();
    for (_, values) in written {
        for (name, _) in values {
            if !names.contains(name) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let nodes = written
                .iter()
                .flat_map(|(_, values)| values.iter().filter(|(n, _)| *n == name));
            let ty = Field::built_in(name)
                .map_or_else(|| infer_type(nodes.map(|(_, node)| *node)), |(_, ty)| ty);
            ConstantField {
                name: name.to_owned(),
                ty,
            }
        })
        .collect()
}

fn infer_type<'n>(nodes: impl Iterator<Item = &'n Node> + Clone) -> FieldType {
    let plain = |node: &Node| match &node.kind {
        NodeKind::Scalar {
            text,
            quoted: false,
        } => Some(text.clone()),
        _ => None,
    };
    let all =
        |test: &dyn Fn(&str) -> bool| nodes.clone().all(|n| plain(n).is_some_and(|t| test(&t)));
    if all(&|text| text.parse::<i64>().is_ok()) {
        FieldType::Int
    } else if all(&|text| text.parse::<f64>().is_ok_and(f64::is_finite)) {
        FieldType::Double
    } else if all(&|text| matches!(text, "true" | "false")) {
        FieldType::Bool
    } else {
        FieldType::String
    }
}

fn counter_series(
    cx: &mut Context<'_>,
    path: &str,
    written: &[(&str, &Node)],
    fields: &[ConstantField],
) -> Option<CounterSeries> {
    let mut values = vec![Constant::Null; fields.len()];
    for (name, node) in written {
        let Some(index) = fields.iter().position(|f| f.name == *name) else {
            continue;
        };
        values[index] = constant(cx, node, name, fields[index].ty)?;
    }
    Some(CounterSeries {
        path: path.to_owned(),
        values,
    })
}

fn constant(cx: &mut Context<'_>, node: &Node, name: &str, ty: FieldType) -> Option<Constant> {
    let what = format!("field `{name}`");
    let value = text(cx, node, &what)?;
    let constant = match ty {
        FieldType::String => Some(Constant::Str(value.to_owned())),
        FieldType::Int => value.parse().ok().map(Constant::Int),
        FieldType::Double => value.parse().ok().map(Constant::Double),
        FieldType::Bool => value.parse().ok().map(Constant::Bool),
    };
    if constant.is_none() {
        cx.error(node.position, format!("{what} is {ty}, not `{value}`"));
    }
    constant
}

const UNITS: [&str; 6] = ["auto", "rfc3339", "s", "ms", "us", "ns"];

fn timestamp_unit(cx: &mut Context<'_>, map: &Map<'_>) -> Option<TimestampUnit> {
    let Some(node) = map.get("timestamp_unit") else {
        return Some(TimestampUnit::Auto);
    };
    Some(match choice(cx, node, "the timestamp unit", &UNITS)? {
        "rfc3339" => TimestampUnit::Rfc3339,
        "s" => TimestampUnit::Seconds,
        "ms" => TimestampUnit::Millis,
        "us" => TimestampUnit::Micros,
        "ns" => TimestampUnit::Nanos,
        _ => TimestampUnit::Auto,
    })
}

fn exposition_source(cx: &mut Context<'_>, map: &Map<'_>) -> Option<ExpositionSource> {
    let metric = match (map.get("metric"), map.get("histogram")) {
        (Some(node), None) => ExpositionMetric::Counter(text(cx, node, "the metric")?.to_owned()),
        (None, Some(node)) => {
            ExpositionMetric::Histogram(text(cx, node, "the histogram")?.to_owned())
        }
        _ => {
            cx.error_hint(
                map.node.position,
                "a prometheus-text source needs either `metric` (a counter) or `histogram`",
                "for example `metric: http_requests_total`, or \
                 `histogram: http_request_duration_seconds` (without `_bucket`)",
            );
            return None;
        }
    };
    let labels = match map.get("labels") {
        Some(node) => label_fields(cx, node, &metric)?,
        None => Vec::new(),
    };
    let buckets = match map.get("buckets") {
        Some(node) => buckets(cx, node, &metric)?,
        None => Vec::new(),
    };
    Some(ExpositionSource {
        metric,
        labels,
        buckets,
    })
}

fn label_fields(
    cx: &mut Context<'_>,
    node: &Node,
    metric: &ExpositionMetric,
) -> Option<Vec<(String, String)>> {
    let NodeKind::Mapping(entries) = &node.kind else {
        cx.error_hint(
            node.position,
            format!("`labels` must be a mapping, not {}", node.kind_name()),
            "map each label to a field, such as `labels: {code: status, route: path}`",
        );
        return None;
    };
    let mut labels: Vec<(String, String)> = Vec::new();
    for (key, value) in entries {
        let field = text(cx, value, &format!("the field of label `{}`", key.name))?;
        let taken = labels.iter().any(|(_, f)| f == field);
        let latency = field == "latency" && matches!(metric, ExpositionMetric::Histogram(_));
        if taken || latency || key.name == "le" {
            cx.error(
                value.position,
                format!("label `{}` cannot fill field `{field}`", key.name),
            );
            return None;
        }
        labels.push((key.name.clone(), field.to_owned()));
    }
    Some(labels)
}

fn buckets(cx: &mut Context<'_>, node: &Node, metric: &ExpositionMetric) -> Option<Vec<f64>> {
    if !matches!(metric, ExpositionMetric::Histogram(_)) {
        cx.error(node.position, "`buckets` applies only to a `histogram`");
        return None;
    }
    let mut bounds = Vec::new();
    for item in sequence(cx, node, "`buckets`") {
        let hint = "the `le` bounds the histogram exports, such as [0.1, 0.25, 0.5, 1]";
        let bound: f64 = parsed(cx, item, "a bucket bound", hint)?;
        if bound.is_finite() {
            bounds.push(bound);
        }
    }
    bounds.sort_by(f64::total_cmp);
    bounds.dedup();
    Some(bounds)
}

/// For a histogram source with declared buckets: reports criteria whose latency threshold
/// falls between two bounds. Events of a histogram carry their bucket's upper bound as their
/// latency, so such a threshold would silently be read as the bound below it.
///
/// The check probes each criterion with events that have only a latency, at points inside
/// every bucket; a criterion that mixes latency with other fields may escape it.
pub(crate) fn check_thresholds(cx: &mut Context<'_>, source: &Source, sli: &EventSli, node: &Node) {
    let SourceFormat::PrometheusText(exposition) = &source.format else {
        return;
    };
    if exposition.buckets.is_empty() {
        return;
    }
    let bounds = &exposition.buckets;
    let splits = [
        (
            "valid",
            split_bucket(bounds, &|event| sli.valid.matches(event)),
        ),
        (
            "good",
            split_bucket(bounds, &|event| sli.criterion.is_good(event)),
        ),
    ];
    for (key, split) in splits {
        if let Some((low, high)) = split {
            let at = child(node, key)
                .or_else(|| child(node, "bad"))
                .map_or(node.position, |n| n.position);
            report_split(cx, at, exposition.metric.name(), low, high);
        }
    }
}

/// The first bucket `(low, high]` inside which `test` changes its answer.
fn split_bucket(bounds: &[f64], test: &dyn Fn(&Event<'_>) -> bool) -> Option<(f64, f64)> {
    let probe = |latency: f64| {
        test(&Event {
            latency: Some(latency),
            ..Event::at(0)
        })
    };
    let mut low = 0.0;
    for &high in bounds.iter().chain([&f64::INFINITY]) {
        let points = [next_up(low), low + (high - low) / 2.0, high.min(f64::MAX)];
        let first = probe(points[0]);
        if points.iter().any(|&point| probe(point) != first) {
            return Some((low, high));
        }
        low = high;
    }
    None
}

fn next_up(value: f64) -> f64 {
    if value == 0.0 {
        f64::MIN_POSITIVE
    } else {
        f64::from_bits(value.to_bits() + 1)
    }
}

fn report_split(
    cx: &mut Context<'_>,
    at: crate::node::Position,
    metric: &str,
    low: f64,
    high: f64,
) {
    let (message, hint) = if high.is_infinite() {
        (
            format!(
                "the latency threshold lies above the largest bucket bound {low} of `{metric}`"
            ),
            format!("compare with a bound, such as `latency <= {low}`, or export a larger bucket"),
        )
    } else {
        (
            format!(
                "the latency threshold lies between the bucket bounds {low} and {high} of \
                 `{metric}`, where a histogram cannot tell"
            ),
            format!(
                "events of a histogram carry their bucket's upper bound as latency; compare \
                 with a bound, such as `latency <= {low}` or `latency <= {high}`"
            ),
        )
    };
    cx.error_hint(at, message, hint);
}

/// The value of `key` in a mapping node.
fn child<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.kind {
        NodeKind::Mapping(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    }
}
