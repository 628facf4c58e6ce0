//! Telemetry sources that are not one request a line (traces, counters, Prometheus text), as
//! the `nines/v1` keys `sources.rs` reads, with their defaults left out.

use nines_core::source::{
    Constant, CounterSource, ExpositionMetric, ExpositionSource, SpanKind, TraceError, TraceMode,
    TraceSource,
};

use super::yaml::{Mapping, Yaml};

/// The keys of a trace source.
pub(super) fn trace(map: &mut Mapping, source: &TraceSource) {
    let default = TraceSource::default();
    if source.mode == TraceMode::Trace {
        map.set("mode", Yaml::plain("trace"));
    }
    if source.span_kinds != default.span_kinds {
        let kinds = source.span_kinds.iter().copied().map(SpanKind::name);
        map.set("span_kinds", Yaml::List(kinds.map(Yaml::plain).collect()));
    }
    if source.trace_error == TraceError::Root {
        map.set("trace_error", Yaml::plain("root"));
    }
    if source.max_open_traces != default.max_open_traces {
        map.set("max_open_traces", Yaml::plain(source.max_open_traces));
    }
}

/// The keys of a counters source: each counter with the constant fields it sets.
pub(super) fn counters(map: &mut Mapping, source: &CounterSource) {
    map.set("timestamp", Yaml::text(&source.timestamp));
    map.set_some(
        "timestamp_unit",
        super::native::timestamp_unit(source.timestamp_unit),
    );
    let counters = source
        .counters
        .iter()
        .map(|series| {
            let fields = source
                .fields
                .iter()
                .zip(&series.values)
                .filter_map(|(field, value)| Some((field.name.clone(), constant(value)?)))
                .collect();
            Mapping::new()
                .set("path", Yaml::text(&series.path))
                .set_nonempty("fields", Yaml::Map(fields))
                .build()
        })
        .collect();
    map.set("counters", Yaml::List(counters));
}

/// A constant as the decoder infers its type back: doubles keep a decimal point, text that
/// looks like a number is quoted.
fn constant(value: &Constant) -> Option<Yaml> {
    Some(match value {
        Constant::Null => return None,
        Constant::Int(value) => Yaml::plain(value),
        Constant::Double(value) => Yaml::plain(format!("{value:?}")),
        Constant::Str(text) => Yaml::text(text),
        Constant::Bool(value) => Yaml::plain(value),
    })
}

/// The keys of a Prometheus text source.
pub(super) fn exposition(map: &mut Mapping, source: &ExpositionSource) {
    match &source.metric {
        ExpositionMetric::Counter(name) => map.set("metric", Yaml::text(name)),
        ExpositionMetric::Histogram(name) => map.set("histogram", Yaml::text(name)),
    };
    let labels = source
        .labels
        .iter()
        .map(|(label, field)| (label.clone(), Yaml::text(field)))
        .collect();
    map.set_nonempty("labels", Yaml::Map(labels));
    let buckets = source.buckets.iter().map(Yaml::plain).collect();
    map.set_nonempty("buckets", Yaml::List(buckets));
}
