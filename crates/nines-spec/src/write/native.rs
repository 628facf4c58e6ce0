//! The model as `nines/v1` YAML, written the way a person would: defaults left out, presets
//! named, expressions as their CEL text.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Weekday;
use nines_core::event::{Field, FieldType};
use nines_core::slo::{
    AlertRule, Budgeting, Catalog, Criterion, Dependency, Exclusion, ExclusionKind, NoData,
    PromSli, Service, Sli, Slo, Source,
};
use nines_core::source::{
    AccessLogLayout, LatencyUnit, MappedField, RecordMapping, SourceFormat, TimestampUnit,
};
use nines_core::window::Window;

use crate::alerting::{self, Rescale};
use crate::native::API_VERSION;

use super::sources;
use super::yaml::{Mapping, Yaml};

/// The catalog and the named criteria its expressions use as one `nines/v1` document.
pub fn to_native(catalog: &Catalog, criteria: &BTreeMap<String, String>) -> String {
    let mut document = Mapping::new();
    document.set("apiVersion", Yaml::text(API_VERSION));
    if !criteria.is_empty() {
        let entries = criteria
            .iter()
            .map(|(name, text)| (name.clone(), Yaml::text(text)))
            .collect();
        document.set("criteria", Yaml::Map(entries));
    }
    let services = catalog.services.iter().map(service).collect();
    document.set("services", Yaml::List(services));
    super::yaml::document(&document.build())
}

fn service(service: &Service) -> Yaml {
    let mut map = Mapping::new();
    map.set("name", Yaml::text(&service.name))
        .set_some("team", service.team.as_deref().map(Yaml::text))
        .set_some("lead", service.lead.as_deref().map(Yaml::text))
        .set_some("tier", service.tier.map(Yaml::plain))
        .set_nonempty("labels", labels(&service.labels))
        .set_nonempty("dependencies", dependencies(&service.dependencies))
        .set_nonempty(
            "sources",
            Yaml::List(service.sources.iter().map(source).collect()),
        )
        .set_nonempty("slos", Yaml::List(service.slos.iter().map(slo).collect()));
    map.build()
}

/// Labels, in name order.
pub(crate) fn labels(labels: &BTreeMap<String, String>) -> Yaml {
    Yaml::Map(
        labels
            .iter()
            .map(|(key, value)| (key.clone(), Yaml::text(value)))
            .collect(),
    )
}

/// Dependencies, with the defaults (hard, not third-party) left out.
pub(crate) fn dependencies(dependencies: &[Dependency]) -> Yaml {
    let items = dependencies
        .iter()
        .map(|dependency| {
            let mut map = Mapping::new();
            map.set("service", Yaml::text(&dependency.service));
            if !dependency.hard {
                map.set("kind", Yaml::plain("soft"));
            }
            if dependency.third_party {
                map.set("third_party", Yaml::plain("true"));
            }
            map.build()
        })
        .collect();
    Yaml::List(items)
}

fn source(source: &Source) -> Yaml {
    let mut map = Mapping::new();
    map.set("name", Yaml::text(&source.name));
    if let Yaml::Map(entries) = source_details(&source.format) {
        for (key, value) in entries {
            map.set(&key, value);
        }
    }
    map.build()
}

/// A source's keys other than its name, which OpenSLO data sources carry too.
pub(crate) fn source_details(format: &SourceFormat) -> Yaml {
    let mut map = Mapping::new();
    match format {
        SourceFormat::AccessLog(layout) => {
            map.set("kind", Yaml::plain("access-log"));
            let format = match layout {
                AccessLogLayout::Common => "common",
                AccessLogLayout::Combined => "combined",
                AccessLogLayout::CombinedSeconds => "combined-seconds",
                AccessLogLayout::CombinedMicros => "combined-micros",
                AccessLogLayout::Nginx(layout) => {
                    map.set("format", Yaml::plain("nginx"));
                    map.set("layout", Yaml::text(&layout.text));
                    return map.build();
                }
            };
            map.set("format", Yaml::plain(format));
        }
        SourceFormat::JsonLines(mapping) => {
            record_mapping(map.set("kind", Yaml::plain("json")), mapping);
        }
        SourceFormat::Csv(mapping) => record_mapping(map.set("kind", Yaml::plain("csv")), mapping),
        SourceFormat::Otlp(trace) => sources::trace(map.set("kind", Yaml::plain("otlp")), trace),
        SourceFormat::Zipkin(trace) => {
            sources::trace(map.set("kind", Yaml::plain("zipkin")), trace);
        }
        SourceFormat::Counters(counters) => {
            sources::counters(map.set("kind", Yaml::plain("counters")), counters);
        }
        SourceFormat::PrometheusText(exposition) => {
            let kind = Yaml::plain("prometheus-text");
            sources::exposition(map.set("kind", kind), exposition);
        }
    }
    map.build()
}

fn record_mapping(map: &mut Mapping, mapping: &RecordMapping) {
    map.set("timestamp", Yaml::text(&mapping.timestamp));
    map.set_some("timestamp_unit", timestamp_unit(mapping.timestamp_unit));
    let fields = mapping
        .fields
        .iter()
        .map(|field| (field.name.clone(), mapped_field(field)))
        .collect();
    map.set_nonempty("fields", Yaml::Map(fields));
    map.set_some(
        "sample_rate",
        mapping.sample_rate.as_deref().map(Yaml::text),
    );
}

/// The unit of a timestamp, left out when it is told from the value.
pub(super) fn timestamp_unit(unit: TimestampUnit) -> Option<Yaml> {
    let name = match unit {
        TimestampUnit::Auto => return None,
        TimestampUnit::Rfc3339 => "rfc3339",
        TimestampUnit::Seconds => "s",
        TimestampUnit::Millis => "ms",
        TimestampUnit::Micros => "us",
        TimestampUnit::Nanos => "ns",
    };
    Some(Yaml::plain(name))
}

/// A field as its path alone when its type and unit are the defaults.
fn mapped_field(field: &MappedField) -> Yaml {
    let built_in = Field::built_in(&field.name).map(|(_, ty)| ty);
    let default_type = built_in.unwrap_or(FieldType::String);
    if field.ty == default_type && field.unit == LatencyUnit::Seconds {
        return Yaml::text(&field.path);
    }
    let mut map = Mapping::new();
    map.set("path", Yaml::text(&field.path));
    if built_in.is_none() {
        let ty = match field.ty {
            FieldType::Int => "int",
            FieldType::Double => "double",
            FieldType::Bool => "bool",
            FieldType::String => "string",
        };
        map.set("type", Yaml::plain(ty));
    }
    let unit = match field.unit {
        LatencyUnit::Seconds => None,
        LatencyUnit::Millis => Some("ms"),
        LatencyUnit::Micros => Some("us"),
    };
    map.set_some("unit", unit.map(Yaml::plain));
    map.build()
}

fn slo(slo: &Slo) -> Yaml {
    let mut map = Mapping::new();
    map.set("name", Yaml::text(&slo.name))
        .set_some("description", slo.description.as_deref().map(Yaml::text))
        .set("objective", Yaml::plain(slo.objective))
        .set("window", window(&slo.window))
        .set_some("budgeting", budgeting(slo.budgeting))
        .set("sli", sli(&slo.sli))
        .set_some(
            "group_by",
            slo.group_by.as_ref().map(|g| Yaml::text(&g.name)),
        )
        .set_some("alerting", alerting(&slo.alerts, &slo.window))
        .set_nonempty("exclusions", exclusions(&slo.exclusions))
        .set_nonempty("labels", labels(&slo.labels));
    map.build()
}

fn window(window: &Window) -> Yaml {
    let Window::Calendar(calendar) = window else {
        return Yaml::plain(window);
    };
    let mut map = Mapping::new();
    map.set("calendar", Yaml::plain(calendar.unit.name()))
        .set("time_zone", Yaml::text(&calendar.time_zone_name));
    if calendar.week_start != Weekday::Monday {
        map.set("week_start", Yaml::plain(weekday(calendar.week_start)));
    }
    map.build()
}

/// The weekday's name in specs.
pub(crate) fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

fn budgeting(budgeting: Budgeting) -> Option<Yaml> {
    let mut map = Mapping::new();
    map.set("method", Yaml::plain(budgeting.name()));
    match budgeting {
        Budgeting::Occurrences => return None,
        Budgeting::Timeslices {
            slice,
            target,
            no_data,
        } => {
            map.set("slice", Yaml::plain(slice))
                .set("target", Yaml::plain(target));
            if no_data == NoData::Bad {
                map.set("no_data", Yaml::plain("bad"));
            }
        }
        Budgeting::RatioTimeslices { slice } => {
            map.set("slice", Yaml::plain(slice));
        }
    }
    Some(map.build())
}

fn sli(sli: &Sli) -> Yaml {
    let mut map = Mapping::new();
    match sli {
        Sli::Events(events) => {
            map.set("source", Yaml::text(&events.source));
            if !events.valid.is_always() {
                map.set("valid", Yaml::text(events.valid.source()));
            }
            match &events.criterion {
                Criterion::Good(good) => map.set("good", Yaml::text(good.source())),
                Criterion::Bad(bad) => map.set("bad", Yaml::text(bad.source())),
            };
        }
        Sli::Prometheus(prometheus) => {
            map.set("prometheus", prometheus_sli(prometheus));
        }
    }
    map.build()
}

fn prometheus_sli(sli: &PromSli) -> Yaml {
    let mut map = Mapping::new();
    match sli {
        PromSli::ErrorsTotal { errors, total } => {
            map.set("errors", Yaml::text(errors))
                .set("total", Yaml::text(total));
        }
        PromSli::GoodTotal { good, total } => {
            map.set("good", Yaml::text(good))
                .set("total", Yaml::text(total));
        }
        PromSli::ErrorRatio { query } => {
            map.set("error_ratio", Yaml::text(query));
        }
        PromSli::Latency {
            metric,
            selector,
            threshold,
        } => {
            map.set("histogram", Yaml::text(metric));
            if !selector.is_empty() {
                map.set("selector", Yaml::text(selector));
            }
            map.set("threshold", Yaml::plain(threshold));
        }
    }
    map.build()
}

/// A preset when the rules are one, else every rule.
fn alerting(rules: &[AlertRule], window: &Window) -> Option<Yaml> {
    let first = rules.first()?;
    let mut map = Mapping::new();
    if let Some((preset, rescale)) = alerting::detect_preset(rules, window) {
        map.set("preset", Yaml::plain(preset.name()));
        if rescale == Rescale::Factors {
            map.set("rescale", Yaml::plain("factors"));
        }
        map.set_some("min_events", min_events(first.min_events));
        return Some(map.build());
    }
    let shared = rules.iter().all(|r| r.min_events == first.min_events);
    if shared {
        map.set_some("min_events", min_events(first.min_events));
    }
    let alerts = rules
        .iter()
        .map(|rule| alert(rule, window, !shared))
        .collect();
    map.set("alerts", Yaml::List(alerts));
    Some(map.build())
}

fn alert(rule: &AlertRule, window: &Window, own_min_events: bool) -> Yaml {
    let mut map = Mapping::new();
    map.set("severity", Yaml::text(&rule.severity))
        .set("long", Yaml::plain(rule.long))
        .set("short", Yaml::plain(rule.short));
    // The share reads better, and gives the same factor when the model computed it so.
    match rule.budget_share {
        Some(share) if alerting::factor_for_share(share, window, rule.long) == rule.factor => {
            map.set("budget_share", Yaml::plain(share));
        }
        _ => {
            map.set("factor", Yaml::plain(rule.factor));
        }
    }
    if own_min_events {
        map.set_some("min_events", min_events(rule.min_events));
    }
    map.build()
}

/// A minimum of events, left out when zero; the model keeps it as a float of a whole number.
pub(crate) fn min_events(value: f64) -> Option<Yaml> {
    (value > 0.0).then(|| Yaml::plain(value as u64))
}

/// Exclusions as the spec writes them.
pub(crate) fn exclusions(exclusions: &[Exclusion]) -> Yaml {
    Yaml::List(exclusions.iter().map(exclusion).collect())
}

fn exclusion(exclusion: &Exclusion) -> Yaml {
    let mut map = Mapping::new();
    map.set("reason", Yaml::text(&exclusion.reason));
    match &exclusion.kind {
        ExclusionKind::Interval { start_ms, end_ms } => {
            map.set("start", Yaml::plain(instant(*start_ms)))
                .set("end", Yaml::plain(instant(*end_ms)));
        }
        ExclusionKind::Recurring(recurrence) => {
            map.set("rrule", Yaml::text(&recurrence.rule))
                .set("start", Yaml::plain(instant(recurrence.start_ms)))
                .set("duration", Yaml::plain(recurrence.duration))
                .set("time_zone", Yaml::text(&recurrence.time_zone));
        }
        ExclusionKind::Events(events) => {
            map.set("events", Yaml::text(events.source()));
        }
    }
    map.build()
}

fn instant(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_string()
}
