//! The native `nines/v1` spec: services, their sources and SLOs, decoded into the core model.
//!
//! Decoding happens in two passes over all files: the first collects the organisation-wide
//! named criteria, the second builds services, whose expressions may use any criterion from any
//! file. Cross-service checks (dependencies) run once everything is built.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use nines_core::decimal::{Decimal, Objective, SliceTarget};
use nines_core::duration::Duration;
use nines_core::expr::Predicate;
use nines_core::recurrence::Recurrence;
use nines_core::slo::{
    AlertRule, Budgeting, Catalog, Criterion, Dependency, EventSli, Exclusion, ExclusionKind,
    NoData, PromSli, Service, Sli, Slo, Source,
};
use nines_core::source::{
    AccessLogLayout, FieldDef, LatencyUnit, MappedField, NginxLayout, RecordMapping, SourceFormat,
    TimestampUnit,
};
use nines_core::window::{CalendarUnit, CalendarWindow, Window};

use crate::alerting::{self, Preset, Rescale};
use crate::decode::{Context, Map, boolean, choice, labels, list, mapping, parsed, sequence, text};
use crate::diagnostic::Diagnostics;
use crate::expr::{self, Scope};
use crate::node::{Node, Position};

/// The API version this module reads.
pub const API_VERSION: &str = "nines/v1";

/// A named criterion as defined, with where it was defined.
#[derive(Debug, Clone)]
pub(crate) struct NamedCriterion {
    pub(crate) text: String,
    pub(crate) file: PathBuf,
    pub(crate) position: Position,
}

/// One parsed file.
pub(crate) struct Document {
    pub(crate) file: PathBuf,
    pub(crate) root: Node,
}

/// Collects named criteria from every document (first pass).
pub(crate) fn collect_criteria(
    documents: &[Document],
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, NamedCriterion> {
    let mut criteria: BTreeMap<String, NamedCriterion> = BTreeMap::new();
    for document in documents {
        let cx = &mut Context {
            file: &document.file,
            diagnostics,
        };
        let Some(node) = section(cx, document, "criteria") else {
            continue;
        };
        let Some(map) = mapping_any(cx, node, "criteria") else {
            continue;
        };
        for (key, value) in map {
            let Some(source) = text(cx, value, &format!("criterion `{}`", key.name)) else {
                continue;
            };
            check_criterion(cx, &key.name, source, value);
            if let Some(first) = criteria.get(&key.name) {
                cx.error_hint(
                    key.position,
                    format!("criterion `{}` is defined twice", key.name),
                    format!(
                        "it is first defined at {}:{}:{}",
                        first.file.display(),
                        first.position.line,
                        first.position.column
                    ),
                );
                continue;
            }
            criteria.insert(
                key.name.clone(),
                NamedCriterion {
                    text: source.to_owned(),
                    file: document.file.clone(),
                    position: value.position,
                },
            );
        }
    }
    criteria
}

fn check_criterion(cx: &mut Context<'_>, name: &str, source: &str, node: &Node) {
    if nines_core::event::Field::built_in(name).is_some() {
        cx.error_hint(
            node.position,
            format!("criterion `{name}` has the name of a field"),
            "give it a name that says what it means, such as `server_error`",
        );
    }
    if let Err(errors) = expr::check_syntax(source) {
        for mut error in errors {
            error.message = format!("criterion `{name}`: {}", error.message);
            report_expr_error(cx, node, &error);
        }
    }
}

/// Builds the services of every document (second pass).
pub(crate) fn build_services(
    documents: &[Document],
    criteria: &BTreeMap<String, NamedCriterion>,
    diagnostics: &mut Diagnostics,
) -> Catalog {
    let texts: BTreeMap<String, String> = criteria
        .iter()
        .map(|(name, c)| (name.clone(), c.text.clone()))
        .collect();
    let mut catalog = Catalog::default();
    let mut positions: BTreeMap<String, (PathBuf, Position)> = BTreeMap::new();
    for document in documents {
        let cx = &mut Context {
            file: &document.file,
            diagnostics,
        };
        let Some(services) = section(cx, document, "services") else {
            continue;
        };
        for node in sequence(cx, services, "`services`") {
            let Some(service) = decode_service(cx, node, &texts) else {
                continue;
            };
            if let Some((file, at)) = positions.get(&service.name) {
                cx.error_hint(
                    node.position,
                    format!("service `{}` is defined twice", service.name),
                    format!(
                        "it is first defined at {}:{}:{}",
                        file.display(),
                        at.line,
                        at.column
                    ),
                );
                continue;
            }
            positions.insert(service.name.clone(), (document.file.clone(), node.position));
            catalog.services.push(service);
        }
    }
    check_dependencies(&catalog, &positions, diagnostics);
    catalog
}

/// The top-level `key` of a document, if the document is a `nines/v1` one that has it.
fn section<'n>(cx: &mut Context<'_>, document: &'n Document, key: &str) -> Option<&'n Node> {
    top_level(cx, &document.root)?.get(key)
}

fn top_level<'n>(cx: &mut Context<'_>, root: &'n Node) -> Option<Map<'n>> {
    let top = mapping(
        cx,
        root,
        "a spec document",
        &["apiVersion", "criteria", "services"],
    )?;
    match top.get("apiVersion").and_then(Node::scalar) {
        Some(API_VERSION) => Some(top),
        Some(other) => {
            cx.error_hint(
                root.position,
                format!("unsupported apiVersion `{other}`"),
                format!("this file format is `apiVersion: {API_VERSION}`"),
            );
            None
        }
        None => {
            cx.error_hint(
                root.position,
                "the document has no `apiVersion`",
                format!("start it with `apiVersion: {API_VERSION}`"),
            );
            None
        }
    }
}

/// A mapping with any keys (names chosen by the user).
fn mapping_any<'n>(
    cx: &mut Context<'_>,
    node: &'n Node,
    what: &str,
) -> Option<&'n [(crate::node::Key, Node)]> {
    match &node.kind {
        crate::node::NodeKind::Mapping(entries) => Some(entries),
        _ => {
            cx.error(
                node.position,
                format!("{what} must be a mapping, not {}", node.kind_name()),
            );
            None
        }
    }
}

const SERVICE_KEYS: [&str; 9] = [
    "name",
    "description",
    "team",
    "lead",
    "tier",
    "labels",
    "dependencies",
    "sources",
    "slos",
];

fn decode_service(
    cx: &mut Context<'_>,
    node: &Node,
    criteria: &BTreeMap<String, String>,
) -> Option<Service> {
    let map = mapping(cx, node, "a service", &SERVICE_KEYS)?;
    let name = map
        .require(cx, "name", "a service")
        .and_then(|n| text(cx, n, "the name"))?;
    let mut service = Service {
        name: name.to_owned(),
        team: optional_text(cx, &map, "team"),
        lead: optional_text(cx, &map, "lead"),
        tier: map
            .get("tier")
            .and_then(|n| parsed(cx, n, "the tier", "write a whole number")),
        labels: labels(cx, map.get("labels")),
        ..Service::default()
    };
    if let Some(node) = map.get("dependencies") {
        service.dependencies = sequence(cx, node, "`dependencies`")
            .iter()
            .filter_map(|d| dependency(cx, d))
            .collect();
    }
    if let Some(node) = map.get("sources") {
        for item in sequence(cx, node, "`sources`") {
            let Some(source) = decode_source(cx, item) else {
                continue;
            };
            if service.sources.iter().any(|s| s.name == source.name) {
                cx.error(
                    item.position,
                    format!("source `{}` is defined twice", source.name),
                );
                continue;
            }
            service.sources.push(source);
        }
    }
    if let Some(node) = map.get("slos") {
        let mut names: Vec<&str> = Vec::new();
        for item in sequence(cx, node, "`slos`") {
            // Names are checked before decoding, so that a broken twin is still caught.
            let slo_name = item_name(item);
            if let Some(slo_name) = slo_name {
                if names.contains(&slo_name) {
                    cx.error(
                        item.position,
                        format!("SLO `{slo_name}` is defined twice in `{name}`"),
                    );
                    continue;
                }
                names.push(slo_name);
            }
            if let Some(slo) = decode_slo(cx, item, &service, criteria) {
                service.slos.push(slo);
            }
        }
    }
    Some(service)
}

/// The `name` of a mapping node, if it has a scalar one.
fn item_name(node: &Node) -> Option<&str> {
    match &node.kind {
        crate::node::NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(key, _)| key.name == "name")
            .and_then(|(_, value)| value.scalar()),
        _ => None,
    }
}

fn optional_text(cx: &mut Context<'_>, map: &Map<'_>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(|node| text(cx, node, &format!("`{key}`")))
        .map(str::to_owned)
}

fn dependency(cx: &mut Context<'_>, node: &Node) -> Option<Dependency> {
    let map = mapping(
        cx,
        node,
        "a dependency",
        &["service", "kind", "third_party"],
    )?;
    let service = map
        .require(cx, "service", "a dependency")
        .and_then(|n| text(cx, n, "service"))?;
    let hard = match map.get("kind") {
        Some(kind) => choice(cx, kind, "the dependency kind", &["hard", "soft"])? == "hard",
        None => true,
    };
    let third_party = match map.get("third_party") {
        Some(flag) => boolean(cx, flag, "`third_party`")?,
        None => false,
    };
    Some(Dependency {
        service: service.to_owned(),
        hard,
        third_party,
    })
}

const SOURCE_KEYS: [&str; 9] = [
    "name",
    "kind",
    "format",
    "layout",
    "timestamp",
    "timestamp_unit",
    "fields",
    "sample_rate",
    "description",
];

fn decode_source(cx: &mut Context<'_>, node: &Node) -> Option<Source> {
    let map = mapping(cx, node, "a source", &SOURCE_KEYS)?;
    let name = map
        .require(cx, "name", "a source")
        .and_then(|n| text(cx, n, "the name"))?;
    let kind = match map.get("kind") {
        Some(kind) => choice(cx, kind, "the source kind", &["access-log", "json", "csv"])?,
        None => "access-log",
    };
    let format = match kind {
        "access-log" => SourceFormat::AccessLog(access_log_layout(cx, &map)?),
        "json" => SourceFormat::JsonLines(record_mapping(cx, &map)?),
        _ => SourceFormat::Csv(record_mapping(cx, &map)?),
    };
    Some(Source {
        name: name.to_owned(),
        format,
    })
}

const LOG_FORMATS: [&str; 5] = [
    "common",
    "combined",
    "combined-seconds",
    "combined-micros",
    "nginx",
];

fn access_log_layout(cx: &mut Context<'_>, map: &Map<'_>) -> Option<AccessLogLayout> {
    let format = match map.get("format") {
        Some(node) => choice(cx, node, "the access-log format", &LOG_FORMATS)?,
        None => "combined",
    };
    Some(match format {
        "common" => AccessLogLayout::Common,
        "combined" => AccessLogLayout::Combined,
        "combined-seconds" => AccessLogLayout::CombinedSeconds,
        "combined-micros" => AccessLogLayout::CombinedMicros,
        _ => {
            let node = map.require(cx, "layout", "an nginx source")?;
            let layout = text(cx, node, "the layout")?;
            match NginxLayout::parse(layout) {
                Ok(layout) => AccessLogLayout::Nginx(layout),
                Err(error) => {
                    cx.error_hint(
                        node.position,
                        format!("the nginx layout cannot be used: {error}"),
                        "copy the `log_format` string from nginx.conf, such as \
                         '$remote_addr - $remote_user [$time_local] \"$request\" $status ...'",
                    );
                    return None;
                }
            }
        }
    })
}

const UNITS: [&str; 6] = ["auto", "rfc3339", "s", "ms", "us", "ns"];

fn record_mapping(cx: &mut Context<'_>, map: &Map<'_>) -> Option<RecordMapping> {
    let timestamp = map.require(cx, "timestamp", "a JSON or CSV source");
    let timestamp = timestamp.and_then(|n| text(cx, n, "the timestamp field"));
    let unit = match map.get("timestamp_unit") {
        Some(node) => choice(cx, node, "the timestamp unit", &UNITS)?,
        None => "auto",
    };
    let timestamp_unit = match unit {
        "rfc3339" => TimestampUnit::Rfc3339,
        "s" => TimestampUnit::Seconds,
        "ms" => TimestampUnit::Millis,
        "us" => TimestampUnit::Micros,
        "ns" => TimestampUnit::Nanos,
        _ => TimestampUnit::Auto,
    };
    let mut fields = Vec::new();
    if let Some(node) = map.get("fields") {
        for (key, value) in mapping_any(cx, node, "`fields`").unwrap_or_default() {
            if let Some(field) = mapped_field(cx, &key.name, value) {
                fields.push(field);
            }
        }
    }
    let sample_rate = optional_text(cx, map, "sample_rate");
    Some(RecordMapping {
        timestamp: timestamp?.to_owned(),
        timestamp_unit,
        fields,
        sample_rate,
    })
}

fn mapped_field(cx: &mut Context<'_>, name: &str, node: &Node) -> Option<MappedField> {
    use nines_core::event::{Field, FieldType};
    let built_in = Field::built_in(name).map(|(_, ty)| ty);
    let (path, ty, unit) = match node.scalar() {
        Some(path) => (
            path,
            built_in.unwrap_or(FieldType::String),
            LatencyUnit::Seconds,
        ),
        None => {
            let map = mapping(
                cx,
                node,
                &format!("field `{name}`"),
                &["path", "type", "unit"],
            )?;
            let path = map
                .require(cx, "path", "a field")
                .and_then(|n| text(cx, n, "the path"))?;
            let ty = match map.get("type") {
                Some(node) => {
                    match choice(
                        cx,
                        node,
                        "the field type",
                        &["string", "int", "double", "bool"],
                    )? {
                        "int" => FieldType::Int,
                        "double" => FieldType::Double,
                        "bool" => FieldType::Bool,
                        _ => FieldType::String,
                    }
                }
                None => built_in.unwrap_or(FieldType::String),
            };
            let unit = match map.get("unit") {
                Some(node) => match choice(cx, node, "the latency unit", &["s", "ms", "us"])? {
                    "ms" => LatencyUnit::Millis,
                    "us" => LatencyUnit::Micros,
                    _ => LatencyUnit::Seconds,
                },
                None => LatencyUnit::Seconds,
            };
            (path, ty, unit)
        }
    };
    if let Some(expected) = built_in.filter(|expected| *expected != ty) {
        cx.error(
            node.position,
            format!("`{name}` is a built-in field of type {expected}"),
        );
        return None;
    }
    Some(MappedField {
        name: name.to_owned(),
        path: path.to_owned(),
        ty,
        unit,
    })
}

const SLO_KEYS: [&str; 10] = [
    "name",
    "description",
    "objective",
    "window",
    "budgeting",
    "sli",
    "group_by",
    "alerting",
    "exclusions",
    "labels",
];

fn decode_slo(
    cx: &mut Context<'_>,
    node: &Node,
    service: &Service,
    criteria: &BTreeMap<String, String>,
) -> Option<Slo> {
    let map = mapping(cx, node, "an SLO", &SLO_KEYS)?;
    let name = map
        .require(cx, "name", "an SLO")
        .and_then(|n| text(cx, n, "the name"));
    let objective = map
        .require(cx, "objective", "an SLO")
        .and_then(|n| objective(cx, n));
    let window = map
        .require(cx, "window", "an SLO")
        .and_then(|n| window(cx, n));
    let budgeting = match map.get("budgeting") {
        Some(node) => budgeting(cx, node),
        None => Some(Budgeting::Occurrences),
    };
    let sli_node = map.require(cx, "sli", "an SLO");
    let prometheus = sli_node.and_then(|n| map_value(n, "prometheus"));
    let source = match prometheus {
        Some(_) => None,
        None => sli_node.and_then(|n| sli_source(cx, n, service)),
    };
    let fields = source.map(|s| s.format.fields()).unwrap_or_default();
    let scope = Scope {
        fields: &fields,
        criteria,
    };
    let sli = match (sli_node, source, prometheus) {
        (_, _, Some(query)) => prometheus_sli(cx, query).map(Sli::Prometheus),
        (Some(node), Some(source), None) => {
            decode_sli(cx, node, &source.name, &scope).map(Sli::Events)
        }
        _ => None,
    };
    let group_by = map.get("group_by").and_then(|n| group_by(cx, n, &fields));
    let alerts = match (&window, objective) {
        (Some(window), Some(objective)) => map.get("alerting").map_or(Some(Vec::new()), |n| {
            decode_alerting(cx, n, window, objective)
        }),
        _ => None,
    };
    let exclusions = map
        .get("exclusions")
        .map(|n| decode_exclusions(cx, n, source.is_some().then_some(&scope)))
        .unwrap_or_default();
    Some(Slo {
        service: service.name.clone(),
        name: name?.to_owned(),
        description: optional_text(cx, &map, "description"),
        objective: objective?,
        window: window?,
        budgeting: budgeting?,
        sli: sli?,
        group_by,
        alerts: alerts?,
        exclusions,
        labels: labels(cx, map.get("labels")),
    })
}

fn objective(cx: &mut Context<'_>, node: &Node) -> Option<Objective> {
    let text = text(cx, node, "the objective")?;
    match text.parse::<Objective>() {
        Ok(objective) => Some(objective),
        Err(error) => {
            cx.error_hint(node.position, error.to_string(), error.hint());
            None
        }
    }
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn window(cx: &mut Context<'_>, node: &Node) -> Option<Window> {
    if node.scalar().is_some() {
        let length: Duration = parsed(
            cx,
            node,
            "the window",
            "write a rolling window such as 28d or 30d",
        )?;
        return Some(Window::Rolling(length));
    }
    let map = mapping(
        cx,
        node,
        "a calendar window",
        &["calendar", "time_zone", "week_start"],
    )?;
    let unit_node = map.require(cx, "calendar", "a calendar window")?;
    let units = ["day", "week", "month", "quarter", "year"];
    let unit = CalendarUnit::from_name(choice(cx, unit_node, "the calendar unit", &units)?)?;
    let zone_name = match map.get("time_zone") {
        Some(node) => text(cx, node, "the time zone")?,
        None => "UTC",
    };
    let time_zone = match TimeZone::get(zone_name) {
        Ok(zone) => zone,
        Err(_) => {
            let at = map.get("time_zone").map_or(node.position, |n| n.position);
            cx.error_hint(
                at,
                format!("unknown time zone `{zone_name}`"),
                "use an IANA name such as Europe/Berlin, America/New_York or UTC",
            );
            return None;
        }
    };
    let week_start = match map.get("week_start") {
        Some(node) => {
            let day = choice(cx, node, "the first day of the week", &WEEKDAYS)?;
            let index = WEEKDAYS.iter().position(|d| *d == day).unwrap_or(0);
            Weekday::from_monday_zero_offset(index as i8).unwrap_or(Weekday::Monday)
        }
        None => Weekday::Monday,
    };
    Some(Window::Calendar(CalendarWindow {
        unit,
        time_zone,
        time_zone_name: zone_name.to_owned(),
        week_start,
    }))
}

fn budgeting(cx: &mut Context<'_>, node: &Node) -> Option<Budgeting> {
    const METHODS: [&str; 3] = ["occurrences", "timeslices", "ratio-timeslices"];
    let (method, map) = match node.scalar() {
        Some(_) => (choice(cx, node, "the budgeting method", &METHODS)?, None),
        None => {
            let keys = ["method", "slice", "target", "no_data"];
            let map = mapping(cx, node, "budgeting", &keys)?;
            let method = map.require(cx, "method", "budgeting")?;
            (
                choice(cx, method, "the budgeting method", &METHODS)?,
                Some(map),
            )
        }
    };
    match method {
        "occurrences" => Some(Budgeting::Occurrences),
        "timeslices" => {
            let map = map.as_ref();
            let slice = slice_length(cx, map, node)?;
            let target = match map.and_then(|m| m.get("target")) {
                Some(node) => {
                    parsed::<SliceTarget>(cx, node, "the slice target", "a percentage such as 95")?
                }
                None => {
                    cx.error_hint(
                        node.position,
                        "timeslices budgeting needs a slice `target`",
                        "the share of good events a slice needs, in percent, such as 95",
                    );
                    return None;
                }
            };
            let no_data = match map.and_then(|m| m.get("no_data")) {
                Some(node) => match choice(cx, node, "`no_data`", &["skip", "bad"])? {
                    "bad" => NoData::Bad,
                    _ => NoData::Skip,
                },
                None => NoData::Skip,
            };
            Some(Budgeting::Timeslices {
                slice,
                target,
                no_data,
            })
        }
        _ => Some(Budgeting::RatioTimeslices {
            slice: slice_length(cx, map.as_ref(), node)?,
        }),
    }
}

fn slice_length(cx: &mut Context<'_>, map: Option<&Map<'_>>, at: &Node) -> Option<Duration> {
    let Some(node) = map.and_then(|m| m.get("slice")) else {
        return Some(Duration::MINUTE);
    };
    let slice: Duration = parsed(
        cx,
        node,
        "the slice",
        "write a whole number of minutes, such as 1m or 5m",
    )?;
    if !slice.is_whole_minutes() {
        cx.error_hint(
            at.position,
            format!("a slice of {slice} is not a whole number of minutes"),
            "slices are counted from per-minute data: use 1m, 5m, ...",
        );
        return None;
    }
    Some(slice)
}

const SLI_KEYS: [&str; 5] = ["source", "valid", "good", "bad", "prometheus"];

/// The value of `key` in a mapping node, if the node is a mapping that has it.
fn map_value<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.kind {
        crate::node::NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, value)| value),
        _ => None,
    }
}

const PROMETHEUS_KEYS: [&str; 7] = [
    "errors",
    "good",
    "total",
    "error_ratio",
    "histogram",
    "selector",
    "threshold",
];

/// An SLI measured by Prometheus: errors and total, good and total, an error ratio, or a
/// histogram with a latency threshold.
fn prometheus_sli(cx: &mut Context<'_>, node: &Node) -> Option<PromSli> {
    let map = mapping(cx, node, "a Prometheus SLI", &PROMETHEUS_KEYS)?;
    let query = |cx: &mut Context<'_>, key: &str| -> Option<String> {
        let node = map.get(key)?;
        let text = text(cx, node, &format!("`{key}`"))?.trim().to_owned();
        if key != "histogram" && !text.contains(PromSli::WINDOW) {
            cx.error_hint(
                node.position,
                format!("the `{key}` query has no `{}` placeholder", PromSli::WINDOW),
                format!(
                    "write the range as [{}], such as rate(x[{}])",
                    PromSli::WINDOW,
                    PromSli::WINDOW
                ),
            );
            return None;
        }
        Some(text)
    };
    let sli = match (
        map.has("errors"),
        map.has("good"),
        map.has("error_ratio"),
        map.has("histogram"),
    ) {
        (true, false, false, false) => PromSli::ErrorsTotal {
            errors: query(cx, "errors")?,
            total: map
                .require(cx, "total", "a Prometheus SLI")
                .and(query(cx, "total"))?,
        },
        (false, true, false, false) => PromSli::GoodTotal {
            good: query(cx, "good")?,
            total: map
                .require(cx, "total", "a Prometheus SLI")
                .and(query(cx, "total"))?,
        },
        (false, false, true, false) => PromSli::ErrorRatio {
            query: query(cx, "error_ratio")?,
        },
        (false, false, false, true) => {
            let threshold = map.require(cx, "threshold", "a histogram SLI")?;
            let at = threshold.position;
            let threshold: f64 = parsed(
                cx,
                threshold,
                "the threshold",
                "a latency in seconds, such as 0.3",
            )?;
            if !(threshold > 0.0 && threshold.is_finite()) {
                cx.error(at, "the threshold must be a positive number of seconds");
                return None;
            }
            PromSli::Latency {
                metric: query(cx, "histogram")?,
                selector: map
                    .get("selector")
                    .and_then(|n| text(cx, n, "`selector`"))
                    .unwrap_or_default()
                    .to_owned(),
                threshold,
            }
        }
        _ => {
            cx.error_hint(
                node.position,
                "a Prometheus SLI needs exactly one of `errors`, `good`, `error_ratio` or \
                 `histogram`",
                "for example `errors: sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))` \
                 with `total: sum(rate(http_requests_total[{{.window}}]))`",
            );
            return None;
        }
    };
    Some(sli)
}

fn sli_source<'s>(cx: &mut Context<'_>, node: &Node, service: &'s Service) -> Option<&'s Source> {
    let map = mapping(cx, node, "an SLI", &SLI_KEYS)?;
    let name_node = map.require(cx, "source", "an SLI")?;
    let name = text(cx, name_node, "the source")?;
    let found = service.sources.iter().find(|s| s.name == name);
    if found.is_none() {
        let names: Vec<&str> = service.sources.iter().map(|s| s.name.as_str()).collect();
        let hint = match crate::diagnostic::did_you_mean(name, names.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None if names.is_empty() => "declare it under the service's `sources`".to_owned(),
            None => format!("the service's sources are {}", list(&names)),
        };
        cx.error_hint(name_node.position, format!("unknown source `{name}`"), hint);
    }
    found
}

fn decode_sli(
    cx: &mut Context<'_>,
    node: &Node,
    source: &str,
    scope: &Scope<'_>,
) -> Option<EventSli> {
    let map = mapping(cx, node, "an SLI", &SLI_KEYS)?;
    let valid = match map.get("valid") {
        Some(node) => compile(cx, node, scope)?,
        None => Predicate::always(),
    };
    let criterion = match (map.get("good"), map.get("bad")) {
        (Some(good), None) => Criterion::Good(compile(cx, good, scope)?),
        (None, Some(bad)) => Criterion::Bad(compile(cx, bad, scope)?),
        (Some(_), Some(bad)) => {
            cx.error_hint(
                bad.position,
                "an SLI has either `good` or `bad`, not both",
                "keep the one that is easier to read; the other is its negation",
            );
            return None;
        }
        (None, None) => {
            cx.error_hint(
                node.position,
                "an SLI needs a `good` or a `bad` criterion",
                "for example `bad: status >= 500`",
            );
            return None;
        }
    };
    Some(EventSli {
        source: source.to_owned(),
        valid,
        criterion,
    })
}

/// Compiles the expression in `node`, reporting its errors at their place in the file.
fn compile(cx: &mut Context<'_>, node: &Node, scope: &Scope<'_>) -> Option<Predicate> {
    let source = text(cx, node, "an expression")?;
    match expr::compile(source, scope) {
        Ok(predicate) => Some(predicate),
        Err(errors) => {
            for error in &errors {
                report_expr_error(cx, node, error);
            }
            None
        }
    }
}

fn report_expr_error(cx: &mut Context<'_>, node: &Node, error: &expr::ExprError) {
    let position = node.position_at(error.offset);
    match &error.hint {
        Some(hint) => cx.error_hint(position, error.message.clone(), hint.clone()),
        None => cx.error(position, error.message.clone()),
    }
}

fn group_by(cx: &mut Context<'_>, node: &Node, fields: &[FieldDef]) -> Option<FieldDef> {
    let name = text(cx, node, "`group_by`")?;
    let found = fields.iter().find(|f| f.name == name).cloned();
    if found.is_none() {
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        let hint = match crate::diagnostic::did_you_mean(name, names.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("the source provides {}", list(&names)),
        };
        cx.error_hint(
            node.position,
            format!("the source has no field `{name}` to group by"),
            hint,
        );
    }
    found
}

fn decode_alerting(
    cx: &mut Context<'_>,
    node: &Node,
    window: &Window,
    objective: Objective,
) -> Option<Vec<AlertRule>> {
    let keys = ["preset", "rescale", "min_events", "alerts"];
    let map = mapping(cx, node, "`alerting`", &keys)?;
    let min_events = match map.get("min_events") {
        Some(node) => parsed::<u64>(cx, node, "`min_events`", "write a whole number")? as f64,
        None => 0.0,
    };
    let mut rules: Vec<(AlertRule, Position)> = Vec::new();
    if let Some(preset) = map.get("preset") {
        let name = choice(cx, preset, "the alerting preset", &Preset::NAMES)?;
        let rescale = match map.get("rescale") {
            Some(node) => match choice(cx, node, "`rescale`", &["lookbacks", "factors"])? {
                "factors" => Rescale::Factors,
                _ => Rescale::Lookbacks,
            },
            None => Rescale::Lookbacks,
        };
        let preset_rules =
            alerting::preset_rules(Preset::from_name(name)?, window, rescale, min_events);
        rules.extend(preset_rules.into_iter().map(|rule| (rule, preset.position)));
    }
    if let Some(list) = map.get("alerts") {
        for item in sequence(cx, list, "`alerts`") {
            if let Some(rule) = alert_rule(cx, item, window, min_events) {
                rules.push((rule, item.position));
            }
        }
    }
    for (rule, position) in &rules {
        alerting::check_rule(cx, rule, window, objective, *position);
    }
    Some(rules.into_iter().map(|(rule, _)| rule).collect())
}

fn alert_rule(
    cx: &mut Context<'_>,
    node: &Node,
    window: &Window,
    min_events: f64,
) -> Option<AlertRule> {
    let keys = [
        "severity",
        "long",
        "short",
        "factor",
        "budget_share",
        "min_events",
    ];
    let map = mapping(cx, node, "an alert", &keys)?;
    let severity = map
        .require(cx, "severity", "an alert")
        .and_then(|n| text(cx, n, "severity"));
    let hint = "write a lookback such as 1h or 5m";
    let long = map
        .require(cx, "long", "an alert")
        .and_then(|n| parsed::<Duration>(cx, n, "`long`", hint));
    let short = map
        .require(cx, "short", "an alert")
        .and_then(|n| parsed::<Duration>(cx, n, "`short`", hint));
    let share: Option<Decimal> = map.get("budget_share").and_then(|n| {
        parsed(
            cx,
            n,
            "`budget_share`",
            "a percentage of the budget such as 2",
        )
    });
    let factor = match (map.get("factor"), share, long) {
        (Some(node), None, _) => parsed::<f64>(cx, node, "`factor`", "a burn rate such as 14.4")?,
        (None, Some(share), Some(long)) => alerting::factor_for_share(share, window, long),
        (Some(_), Some(_), _) => {
            cx.error(
                node.position,
                "an alert has either `factor` or `budget_share`, not both",
            );
            return None;
        }
        (None, None, _) => {
            cx.error_hint(
                node.position,
                "an alert needs a `factor` or a `budget_share`",
                "for example `factor: 14.4`, or `budget_share: 2` (percent of the budget)",
            );
            return None;
        }
        _ => return None,
    };
    let min_events = match map.get("min_events") {
        Some(node) => parsed::<u64>(cx, node, "`min_events`", "write a whole number")? as f64,
        None => min_events,
    };
    Some(AlertRule {
        severity: severity?.to_owned(),
        long: long?,
        short: short?,
        factor,
        budget_share: share,
        min_events,
    })
}

fn decode_exclusions(
    cx: &mut Context<'_>,
    node: &Node,
    scope: Option<&Scope<'_>>,
) -> Vec<Exclusion> {
    sequence(cx, node, "`exclusions`")
        .iter()
        .filter_map(|item| exclusion(cx, item, scope))
        .collect()
}

fn exclusion(cx: &mut Context<'_>, node: &Node, scope: Option<&Scope<'_>>) -> Option<Exclusion> {
    let keys = [
        "reason",
        "start",
        "end",
        "rrule",
        "duration",
        "time_zone",
        "events",
    ];
    let map = mapping(cx, node, "an exclusion", &keys)?;
    let reason = map
        .require(cx, "reason", "an exclusion")
        .and_then(|n| text(cx, n, "the reason"));
    let kind = if let Some(events) = map.get("events") {
        ExclusionKind::Events(compile(cx, events, scope?)?)
    } else if let Some(rule) = map.get("rrule") {
        recurring(cx, &map, rule)?
    } else if map.has("start") || map.has("end") {
        let start = map
            .require(cx, "start", "an exclusion")
            .and_then(|n| instant(cx, n));
        let end = map
            .require(cx, "end", "an exclusion")
            .and_then(|n| instant(cx, n));
        let (start_ms, end_ms) = (start?, end?);
        if end_ms <= start_ms {
            cx.error(node.position, "an exclusion must end after it starts");
            return None;
        }
        ExclusionKind::Interval { start_ms, end_ms }
    } else {
        cx.error_hint(
            node.position,
            "an exclusion needs `start` and `end`, an `rrule`, or `events`",
            "for example `start: 2026-10-01T02:00:00Z` and `end: 2026-10-01T03:00:00Z`",
        );
        return None;
    };
    Some(Exclusion {
        reason: reason?.to_owned(),
        kind,
    })
}

fn recurring(cx: &mut Context<'_>, map: &Map<'_>, rule: &Node) -> Option<ExclusionKind> {
    let text_rule = text(cx, rule, "the rule")?;
    let start = map
        .require(cx, "start", "a recurring exclusion")
        .and_then(|n| instant(cx, n));
    let duration = map
        .require(cx, "duration", "a recurring exclusion")
        .and_then(|n| {
            parsed::<Duration>(
                cx,
                n,
                "`duration`",
                "how long each occurrence lasts, such as 1h",
            )
        });
    let zone = match map.get("time_zone") {
        Some(node) => text(cx, node, "the time zone")?,
        None => "UTC",
    };
    match Recurrence::new(text_rule, start?, zone, duration?) {
        Ok(recurrence) => Some(ExclusionKind::Recurring(Box::new(recurrence))),
        Err(error) => {
            cx.error_hint(
                rule.position,
                error.to_string(),
                "write an RFC 5545 rule such as FREQ=WEEKLY;BYDAY=SU, and an IANA time zone",
            );
            None
        }
    }
}

fn instant(cx: &mut Context<'_>, node: &Node) -> Option<i64> {
    let value = text(cx, node, "a time")?;
    match value.parse::<Timestamp>() {
        Ok(instant) => Some(instant.as_millisecond()),
        Err(_) => {
            cx.error_hint(
                node.position,
                format!("`{value}` is not a time"),
                "write RFC 3339 with an offset, such as 2026-10-01T02:00:00Z",
            );
            None
        }
    }
}

/// Dependencies on unknown services, and SLOs stricter than their hard dependencies allow.
fn check_dependencies(
    catalog: &Catalog,
    positions: &BTreeMap<String, (PathBuf, Position)>,
    diagnostics: &mut Diagnostics,
) {
    for service in &catalog.services {
        let Some((file, at)) = positions.get(&service.name) else {
            continue;
        };
        let cx = &mut Context {
            file: Path::new(file),
            diagnostics,
        };
        for dependency in &service.dependencies {
            if catalog.service(&dependency.service).is_none() {
                let names = catalog.services.iter().map(|s| s.name.as_str());
                let hint = match crate::diagnostic::did_you_mean(&dependency.service, names) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "define it, or load the file that does".to_owned(),
                };
                cx.error_hint(
                    *at,
                    format!(
                        "`{}` depends on unknown service `{}`",
                        service.name, dependency.service
                    ),
                    hint,
                );
            }
        }
        for slo in &service.slos {
            stricter_than_dependencies(cx, catalog, service, slo, *at);
        }
    }
}

fn stricter_than_dependencies(
    cx: &mut Context<'_>,
    catalog: &Catalog,
    service: &Service,
    slo: &Slo,
    at: Position,
) {
    let limits: Vec<(String, Objective)> = service
        .dependencies
        .iter()
        .filter(|d| d.hard)
        .filter_map(|d| catalog.service(&d.service))
        .filter_map(|dep| dep.slos.iter().find(|s| s.name == slo.name))
        .map(|dep| {
            (
                format!("{}/{} {} %", dep.service, dep.name, dep.objective),
                dep.objective,
            )
        })
        .collect();
    if limits.is_empty() {
        return;
    }
    let product: f64 = limits
        .iter()
        .map(|(_, objective)| objective.ratio())
        .product();
    if slo.objective.ratio() > product {
        let factors: Vec<&str> = limits.iter().map(|(text, _)| text.as_str()).collect();
        cx.warning(
            at,
            format!(
                "{}/{} targets {} %, but its hard dependencies allow at most {} % ({})",
                slo.service,
                slo.name,
                slo.objective,
                round_percent(product * 100.0),
                factors.join(" × ")
            ),
            Some(
                "lower the objective, make a dependency soft (with a fallback), or raise the \
                 dependencies' objectives"
                    .to_owned(),
            ),
        );
    }
}

/// A percentage to at most 6 decimals, without trailing zeros.
fn round_percent(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
