//! The native `nines/v1` spec: services, their sources and SLOs, decoded into the core model.
//!
//! Decoding happens in two passes over all files: the first collects the organisation-wide
//! named criteria, the second builds services, whose expressions may use any criterion from any
//! file. Cross-service checks (dependencies) run once everything is built.
//!
//! Each problem is reported once, where it is: a criterion defined identically in several files
//! is one criterion; a criterion or source that is broken where defined is not reported again
//! at each use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use nines_core::decimal::{Decimal, Objective, ObjectiveError, SliceTarget};
use nines_core::duration::Duration;
use nines_core::expr::Predicate;
use nines_core::recurrence::Recurrence;
use nines_core::series::MINUTE_MS;
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
use crate::decode::{
    Context, Map, boolean, choice, labels, list, mapping, number, parsed, sequence, text,
};
use crate::diagnostic::Diagnostics;
use crate::expr::{self, Scope};
use crate::node::{Node, Position};
use crate::{promql, sources};

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
            if let Some(first) = criteria.get(&key.name) {
                // Files that share an organisation-wide definition may each carry a copy.
                if first.text.trim() != source.trim() {
                    cx.error_hint(
                        key.position,
                        format!("criterion `{}` is defined twice, differently", key.name),
                        format!(
                            "it is first defined at {}:{}:{} as `{}`; give one of them \
                             another name, or make them the same",
                            first.file.display(),
                            first.position.line,
                            first.position.column,
                            first.text.trim()
                        ),
                    );
                    check_criterion(cx, &key.name, source, value);
                }
                continue;
            }
            check_criterion(cx, &key.name, source, value);
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

pub(crate) fn check_criterion(cx: &mut Context<'_>, name: &str, source: &str, node: &Node) {
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

/// Reports each cycle of criteria that use one another, once, where its first criterion (by
/// name) is defined, whether or not any SLO uses them.
pub(crate) fn check_cycles(
    criteria: &BTreeMap<String, NamedCriterion>,
    diagnostics: &mut Diagnostics,
) {
    let uses: BTreeMap<&str, Vec<String>> = criteria
        .iter()
        .map(|(name, criterion)| {
            let mut used = expr::references(&criterion.text);
            used.retain(|other| criteria.contains_key(other));
            (name.as_str(), used)
        })
        .collect();
    for start in uses.keys() {
        let Some(cycle) = cycle_from(start, &uses) else {
            continue;
        };
        // The same cycle is found from each of its criteria: report it from its first name.
        if cycle.iter().any(|member| member.as_str() < *start) {
            continue;
        }
        let defined = &criteria[*start];
        let message = match cycle.len() {
            2 => format!("criterion `{start}` uses itself"),
            _ => format!("criteria form a cycle: {}", cycle.join(" → ")),
        };
        diagnostics.error_hint(
            &defined.file,
            defined.position,
            message,
            "a criterion cannot use itself, directly or through other criteria",
        );
    }
}

/// The shortest path of uses from `start` back to itself (`start` first and last), if any.
fn cycle_from(start: &str, uses: &BTreeMap<&str, Vec<String>>) -> Option<Vec<String>> {
    // Breadth first, so that the reported cycle is the shortest one through `start`.
    let mut paths: Vec<Vec<String>> = vec![vec![start.to_owned()]];
    let mut seen: Vec<&str> = Vec::new();
    while !paths.is_empty() {
        let mut next = Vec::new();
        for path in paths {
            let last = path.last().map_or(start, String::as_str);
            for used in uses.get(last).into_iter().flatten() {
                let mut longer = path.clone();
                longer.push(used.clone());
                if used == start {
                    return Some(longer);
                }
                if !seen.contains(&used.as_str()) {
                    seen.push(used.as_str());
                    next.push(longer);
                }
            }
        }
        paths = next;
    }
    None
}

/// A service decoded from another format, with where it was defined.
pub(crate) struct Imported {
    pub(crate) service: Service,
    pub(crate) file: PathBuf,
    pub(crate) position: Position,
}

/// Builds the services of every document (second pass), followed by the services imported from
/// other formats, so that dependencies may cross formats.
pub(crate) fn build_services(
    documents: &[Document],
    criteria: &BTreeMap<String, NamedCriterion>,
    imported: Vec<Imported>,
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
        let Some(services) = section_unchecked(document, "services") else {
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
    for Imported {
        service,
        file,
        position,
    } in imported
    {
        if let Some((first, at)) = positions.get(&service.name) {
            // Sloth and OpenSLO services of one name are merged before this; a `nines/v1`
            // service is not, so that all it is stays in the file that defines it.
            diagnostics.error_hint(
                &file,
                position,
                format!("service `{}` is defined twice", service.name),
                format!(
                    "it is first defined at {}:{}:{}; the SLOs of a `{API_VERSION}` service \
                     come from its own file, so write these there (`nines convert` writes them \
                     as `{API_VERSION}`)",
                    first.display(),
                    at.line,
                    at.column
                ),
            );
            continue;
        }
        positions.insert(service.name.clone(), (file, position));
        catalog.services.push(service);
    }
    check_dependencies(&catalog, &positions, diagnostics);
    catalog
}

/// The top-level `key` of a document, if the document is a `nines/v1` one that has it.
fn section<'n>(cx: &mut Context<'_>, document: &'n Document, key: &str) -> Option<&'n Node> {
    top_level(cx, &document.root)?.get(key)
}

/// The top-level `key` of a `nines/v1` document, reporting nothing: the first pass has
/// reported what is wrong with the document itself.
fn section_unchecked<'n>(document: &'n Document, key: &str) -> Option<&'n Node> {
    let value = |name: &str| map_value(&document.root, name).filter(|node| !node.is_null());
    if value("apiVersion")?.scalar() != Some(API_VERSION) {
        return None;
    }
    value(key)
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
                format!(
                    "nines reads `apiVersion: {API_VERSION}`, OpenSLO (`openslo/v1`, \
                     `openslo/v1alpha`, `openslo.com/v2alpha`) and Sloth \
                     (`version: prometheus/v1`, `sloth.slok.dev/v1`)"
                ),
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

pub(crate) fn decode_service(
    cx: &mut Context<'_>,
    node: &Node,
    criteria: &BTreeMap<String, String>,
) -> Option<Service> {
    let map = mapping(cx, node, "a service", &SERVICE_KEYS)?;
    let name = map
        .require(cx, "name", "a service")
        .and_then(|n| name(cx, n, "a service", "checkout"))?;
    let mut service = Service {
        name: name.to_owned(),
        team: optional_text(cx, &map, "team"),
        lead: optional_text(cx, &map, "lead"),
        tier: map
            .get("tier")
            .and_then(|n| number(cx, n, "the tier", "a whole number such as 1")),
        labels: labels(cx, map.get("labels")),
        ..Service::default()
    };
    if let Some(node) = map.get("dependencies") {
        service.dependencies = sequence(cx, node, "`dependencies`")
            .iter()
            .filter_map(|d| dependency(cx, d))
            .collect();
    }
    // Sources that are declared but do not decode are remembered, so that the SLOs reading
    // them are not also told that the source is unknown.
    let mut broken_sources: Vec<&str> = Vec::new();
    if let Some(node) = map.get("sources") {
        for item in sequence(cx, node, "`sources`") {
            let Some(source) = decode_source(cx, item) else {
                broken_sources.extend(item_name(item));
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
            if let Some(slo) = decode_slo_with(cx, item, &service, &broken_sources, criteria) {
                service.slos.push(slo);
            }
        }
    }
    // The service's labels go on the rules of its SLOs measured by Prometheus.
    let by_prometheus = |slo: &Node| {
        map_value(slo, "sli").is_some_and(|sli| map_value(sli, "prometheus").is_some())
    };
    let slos = map.get("slos").map(|node| &node.kind);
    if let Some(crate::node::NodeKind::Sequence(slos)) = slos
        && slos.iter().any(by_prometheus)
    {
        promql::check_rule_labels(cx, map.get("labels"), "service");
    }
    Some(service)
}

/// A name that is not blank: reports, rules and alerts are labelled with it.
fn name<'n>(cx: &mut Context<'_>, node: &'n Node, of: &str, example: &str) -> Option<&'n str> {
    let name = text(cx, node, "the name")?;
    if name.trim().is_empty() {
        cx.error_hint(
            node.position,
            format!("the name of {of} is empty"),
            format!("give it a short name such as `{example}`"),
        );
        return None;
    }
    Some(name)
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

/// The keys of access-log, JSON and CSV sources; the telemetry kinds add [`sources::KEYS`].
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

const SOURCE_KINDS: [&str; 7] = [
    "access-log",
    "json",
    "csv",
    "otlp",
    "zipkin",
    "counters",
    "prometheus-text",
];

pub(crate) fn decode_source(cx: &mut Context<'_>, node: &Node) -> Option<Source> {
    let keys: Vec<&str> = SOURCE_KEYS.iter().chain(&sources::KEYS).copied().collect();
    let map = mapping(cx, node, "a source", &keys)?;
    let name = map
        .require(cx, "name", "a source")
        .and_then(|n| name(cx, n, "a source", "access"))?;
    let kind = match map.get("kind") {
        Some(kind) => choice(cx, kind, "the source kind", &SOURCE_KINDS)?,
        None => "access-log",
    };
    sources::check_keys(cx, &map, kind);
    let (foreign, takes): (&[&str], &str) = match kind {
        "access-log" => (
            &["timestamp", "timestamp_unit", "fields", "sample_rate"],
            "`format`, and `layout` for nginx",
        ),
        "json" | "csv" => (
            &["format", "layout"],
            "`timestamp`, `timestamp_unit`, `fields` and `sample_rate`",
        ),
        _ => (&[], ""),
    };
    for key in foreign {
        if let Some(value) = map.get(key) {
            cx.error_hint(
                value.position,
                format!("`{key}` does not apply to a source of kind `{kind}`"),
                format!("a source of kind `{kind}` takes {takes}"),
            );
        }
    }
    let format = match kind {
        "access-log" => SourceFormat::AccessLog(access_log_layout(cx, &map)?),
        "json" => SourceFormat::JsonLines(record_mapping(cx, &map)?),
        "csv" => SourceFormat::Csv(record_mapping(cx, &map)?),
        _ => sources::decode(cx, &map, kind)?,
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

pub(crate) fn decode_slo(
    cx: &mut Context<'_>,
    node: &Node,
    service: &Service,
    criteria: &BTreeMap<String, String>,
) -> Option<Slo> {
    decode_slo_with(cx, node, service, &[], criteria)
}

/// Decodes an SLO of `service`; an SLI reading one of `broken_sources`, which are declared
/// but did not decode, fails quietly, since the source's own errors say what is wrong.
fn decode_slo_with(
    cx: &mut Context<'_>,
    node: &Node,
    service: &Service,
    broken_sources: &[&str],
    criteria: &BTreeMap<String, String>,
) -> Option<Slo> {
    let map = mapping(cx, node, "an SLO", &SLO_KEYS)?;
    let name = map
        .require(cx, "name", "an SLO")
        .and_then(|n| name(cx, n, "an SLO", "availability"));
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
    if let (Some(window), Some(budgeting), Some(node)) = (&window, budgeting, map.get("budgeting"))
    {
        check_slice_fits(cx, node, window, budgeting);
    }
    let sli_node = map.require(cx, "sli", "an SLO");
    let prometheus = sli_node.and_then(|n| map_value(n, "prometheus"));
    let source = match prometheus {
        Some(_) => None,
        None => sli_node.and_then(|n| sli_source(cx, n, service, broken_sources)),
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
    if let (Some(Sli::Events(events)), Some(source), Some(node)) = (&sli, source, sli_node) {
        sources::check_thresholds(cx, source, events, node);
    }
    let group_by = map.get("group_by").and_then(|n| group_by(cx, n, &fields));
    let alerts = match (&window, objective) {
        (Some(window), Some(objective)) => map.get("alerting").map_or(Some(Vec::new()), |n| {
            decode_alerting(cx, n, window, objective)
        }),
        _ => None,
    };
    if prometheus.is_some() {
        promql::check_rule_labels(cx, map.get("labels"), "SLO");
    }
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
    let objective = match text.parse::<Objective>() {
        Ok(objective) => objective,
        Err(ObjectiveError::Decimal(_)) => {
            cx.error_hint(
                node.position,
                format!("the objective must be a number such as 99.9, not `{text}`"),
                "write the objective in percent, without quotes or units other than %",
            );
            return None;
        }
        Err(error) => {
            cx.error_hint(node.position, error.to_string(), error.hint());
            return None;
        }
    };
    // Below 1 % is almost surely a ratio where a percentage was meant: 0.999 for 99.9.
    let percent = objective.percent();
    if percent.digits() < percent.unit() {
        // The ratio in percent: the decimal point moves two places to the right.
        let shift = percent.scale().min(2);
        let meant = Decimal::from_parts(
            percent.digits() * 10u64.pow(2 - shift),
            percent.scale() - shift,
        );
        cx.warning(
            node.position,
            format!("the objective is {percent} %, which allows almost every event to fail"),
            Some(format!(
                "objectives are percentages: did you mean {}?",
                meant.normalized()
            )),
        );
    }
    Some(objective)
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

/// The longest rolling window or lookback, in days. Series are kept per minute, so the span
/// sets the memory an SLO needs; 400 days hold a year with room to spare.
const MAX_SPAN_DAYS: i64 = 400;

/// Checks that `length`, read from `node`, is a whole number of minutes (nines measures at
/// minute resolution) and at most [`MAX_SPAN_DAYS`] long.
fn span(cx: &mut Context<'_>, node: &Node, length: Duration, what: &str) -> Option<Duration> {
    let written = node
        .scalar()
        .map_or_else(|| length.to_string(), str::to_owned);
    if !length.is_whole_minutes() {
        cx.error_hint(
            node.position,
            format!("{what} of {written} is not a whole number of minutes"),
            "nines measures per minute: write 1m or more in whole minutes, such as 5m or 1h30m",
        );
        return None;
    }
    if length.seconds() > MAX_SPAN_DAYS * 86_400 {
        let instead = if what.contains("window") {
            "use a rolling window such as 90d, or a calendar window such as `{calendar: year}`"
        } else {
            "use a lookback within the window, such as 1h or 1d"
        };
        cx.error_hint(
            node.position,
            format!("{what} of {written} is longer than {MAX_SPAN_DAYS} days"),
            format!("nines keeps per-minute data for at most {MAX_SPAN_DAYS} days: {instead}"),
        );
        return None;
    }
    Some(length)
}

fn window(cx: &mut Context<'_>, node: &Node) -> Option<Window> {
    if node.scalar().is_some() {
        let length: Duration = parsed(
            cx,
            node,
            "the window",
            "write a rolling window such as 28d or 30d",
        )?;
        return span(cx, node, length, "a window").map(Window::Rolling);
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
        Some(node) if unit != CalendarUnit::Week => {
            cx.warning(
                node.position,
                format!(
                    "`week_start` has no effect on a calendar {} window",
                    unit.name()
                ),
                Some("remove it, or use `calendar: week`".to_owned()),
            );
            Weekday::Monday
        }
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

/// A slice longer than the window is never whole inside it, so it would never be judged; one
/// that does not divide a day has slices that cross every day's edge.
fn check_slice_fits(cx: &mut Context<'_>, node: &Node, window: &Window, budgeting: Budgeting) {
    let slice = match budgeting {
        Budgeting::Occurrences => return,
        Budgeting::Timeslices { slice, .. } | Budgeting::RatioTimeslices { slice } => slice,
    };
    let length = window.nominal_length();
    if slice.minutes() > length.minutes() {
        cx.error_hint(
            node.position,
            format!("a slice of {slice} is longer than the window ({length})"),
            "a slice is judged once it lies wholly in the window; choose a slice such as 1m \
             or 5m",
        );
    } else if 1_440 % slice.minutes() != 0 {
        cx.warning(
            node.position,
            format!("a slice of {slice} does not divide a day"),
            Some(
                "slices follow one another from the Unix epoch, so with this length they do \
                 not start at midnight and one crosses each day's edge; choose a length that \
                 divides 24h, such as 5m, 10m or 1h"
                    .to_owned(),
            ),
        );
    }
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
        _ => {
            // Each slice contributes its own ratio; a slice without events has none, so it
            // is always skipped, and a slice target has nothing to judge.
            for key in ["target", "no_data"] {
                if let Some(ignored) = map.as_ref().and_then(|m| m.get(key)) {
                    cx.error_hint(
                        ignored.position,
                        format!("ratio-timeslices budgeting takes no `{key}`"),
                        "each slice counts with its own ratio and empty slices are skipped; \
                         use `method: timeslices` to judge slices against a target or to \
                         count empty ones as bad",
                    );
                }
            }
            Some(Budgeting::RatioTimeslices {
                slice: slice_length(cx, map.as_ref(), node)?,
            })
        }
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

/// Checks that the PromQL `query` under `key` has the lookback placeholder, which every
/// lookback is substituted into; an error at `node` otherwise.
pub(crate) fn require_window(
    cx: &mut Context<'_>,
    node: &Node,
    key: &str,
    query: &str,
) -> Option<()> {
    if promql::normalise_window(query).contains(PromSli::WINDOW) {
        return Some(());
    }
    let window = PromSli::WINDOW;
    cx.error_hint(
        node.position,
        format!("the `{key}` query has no `{window}` placeholder"),
        format!("write the range as [{window}], such as rate(x[{window}])"),
    );
    None
}

/// An SLI measured by Prometheus: errors and total, good and total, an error ratio, or a
/// histogram with a latency threshold.
fn prometheus_sli(cx: &mut Context<'_>, node: &Node) -> Option<PromSli> {
    let map = mapping(cx, node, "a Prometheus SLI", &PROMETHEUS_KEYS)?;
    let query = |cx: &mut Context<'_>, key: &str| -> Option<String> {
        let node = map.get(key)?;
        let text = text(cx, node, &format!("`{key}`"))?.trim();
        if key == "histogram" {
            return Some(text.to_owned());
        }
        let text = promql::normalise_window(text).into_owned();
        require_window(cx, node, key, &text)?;
        promql::check_syntax(cx, node, &text)?;
        promql::check_shape(cx, node, &text, key != "error_ratio")?;
        Some(text)
    };
    let total = |cx: &mut Context<'_>| {
        map.require(cx, "total", "a Prometheus SLI")?;
        query(cx, "total")
    };
    let sli = match (
        map.has("errors"),
        map.has("good"),
        map.has("error_ratio"),
        map.has("histogram"),
    ) {
        // Both queries are checked before either failure returns, to report all at once.
        (true, false, false, false) => {
            let errors = query(cx, "errors");
            let total = total(cx);
            PromSli::ErrorsTotal {
                errors: errors?,
                total: total?,
            }
        }
        (false, true, false, false) => {
            let good = query(cx, "good");
            let total = total(cx);
            PromSli::GoodTotal {
                good: good?,
                total: total?,
            }
        }
        (false, false, true, false) => {
            let sli = PromSli::ErrorRatio {
                query: query(cx, "error_ratio")?,
            };
            promql::note_rules_only(cx, map.get("error_ratio").unwrap_or(node));
            sli
        }
        (false, false, false, true) => {
            let threshold = map.require(cx, "threshold", "a histogram SLI")?;
            let at = threshold.position;
            let threshold: f64 = number(
                cx,
                threshold,
                "the threshold",
                "a latency in seconds, such as 0.3",
            )?;
            if !(threshold > 0.0 && threshold.is_finite()) {
                cx.error(at, "the threshold must be a positive number of seconds");
                return None;
            }
            let sli = PromSli::Latency {
                metric: query(cx, "histogram")?,
                selector: map
                    .get("selector")
                    .and_then(|n| text(cx, n, "`selector`"))
                    .unwrap_or_default()
                    .to_owned(),
                threshold,
            };
            let at = map.get("selector").or(map.get("histogram")).unwrap_or(node);
            promql::check_histogram(cx, at, &sli)?;
            sli
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

fn sli_source<'s>(
    cx: &mut Context<'_>,
    node: &Node,
    service: &'s Service,
    broken_sources: &[&str],
) -> Option<&'s Source> {
    let map = mapping(cx, node, "an SLI", &SLI_KEYS)?;
    let name_node = map.require(cx, "source", "an SLI")?;
    let name = text(cx, name_node, "the source")?;
    let found = service.sources.iter().find(|s| s.name == name);
    if found.is_none() && !broken_sources.contains(&name) {
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

/// Compiles the expression in `node`, reporting its errors at their place in the file. A
/// criterion whose own text is broken is reported where it is defined, not at every use.
fn compile(cx: &mut Context<'_>, node: &Node, scope: &Scope<'_>) -> Option<Predicate> {
    let source = text(cx, node, "an expression")?;
    match expr::compile(source, scope) {
        Ok(predicate) => Some(predicate),
        Err(errors) => {
            for error in errors.iter().filter(|e| !e.in_criterion_definition) {
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
        Some(node) => number::<u64>(cx, node, "`min_events`", "a whole number such as 100")? as f64,
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
    let lookback = |cx: &mut Context<'_>, key: &str| {
        let node = map.require(cx, key, "an alert")?;
        let hint = "write a lookback such as 1h or 5m";
        let length = parsed::<Duration>(cx, node, &format!("`{key}`"), hint)?;
        span(cx, node, length, &format!("the {key} lookback"))
    };
    let long = lookback(cx, "long");
    let short = lookback(cx, "short");
    let share: Option<Decimal> = map.get("budget_share").and_then(|n| {
        parsed(
            cx,
            n,
            "`budget_share`",
            "a percentage of the budget such as 2",
        )
    });
    if let (Some(share), Some(node)) = (share, map.get("budget_share")) {
        if share.is_zero() {
            cx.error_hint(
                node.position,
                "`budget_share` must be above 0",
                "the percentage of the budget the alert may spend in its long lookback, such as 2",
            );
            return None;
        }
    }
    let factor = match (map.get("factor"), share, long) {
        (Some(node), None, _) => {
            let factor = number::<f64>(cx, node, "`factor`", "a burn rate such as 14.4")?;
            if !(factor > 0.0 && factor.is_finite()) {
                cx.error_hint(
                    node.position,
                    format!("`factor` must be a burn rate above 0, not {factor}"),
                    "a factor of 14.4 fires when the budget burns 14.4 times as fast as the \
                     window allows",
                );
                return None;
            }
            factor
        }
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
        Some(node) => number::<u64>(cx, node, "`min_events`", "a whole number such as 100")? as f64,
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

/// The keys of each kind of exclusion, besides `reason`; one entry is of one kind.
const EXCLUSION_KINDS: [(&str, &[&str]); 3] = [
    ("an event exclusion", &["events"]),
    (
        "a recurring exclusion",
        &["rrule", "start", "duration", "time_zone"],
    ),
    ("a one-off exclusion", &["start", "end"]),
];

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
    if !["events", "rrule", "start", "end"]
        .iter()
        .any(|key| map.has(key))
    {
        cx.error_hint(
            node.position,
            "an exclusion needs `start` and `end`, an `rrule`, or `events`",
            "for example `start: 2026-10-01T02:00:00Z` and `end: 2026-10-01T03:00:00Z`",
        );
        return None;
    }
    if !keys_of_one_kind(cx, &map) {
        return None;
    }
    let kind = if let Some(events) = map.get("events") {
        ExclusionKind::Events(compile(cx, events, scope?)?)
    } else if let Some(rule) = map.get("rrule") {
        recurring(cx, &map, rule)?
    } else {
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
    };
    let reason = reason?;
    warn_if_widened(cx, node, reason, &kind);
    Some(Exclusion {
        reason: reason.to_owned(),
        kind,
    })
}

/// True when the exclusion's keys all belong to the kind its first telling key picks
/// (`events`, then `rrule`, else a one-off interval); reports every key that does not.
fn keys_of_one_kind(cx: &mut Context<'_>, map: &Map<'_>) -> bool {
    let (kind, allowed) = if map.has("events") {
        EXCLUSION_KINDS[0]
    } else if map.has("rrule") {
        EXCLUSION_KINDS[1]
    } else {
        EXCLUSION_KINDS[2]
    };
    let mut one_kind = true;
    for key in ["start", "end", "rrule", "duration", "time_zone", "events"] {
        let Some(value) = map.get(key).filter(|_| !allowed.contains(&key)) else {
            continue;
        };
        let others: Vec<&str> = EXCLUSION_KINDS
            .iter()
            .filter(|(_, keys)| keys.contains(&key))
            .map(|(other, _)| *other)
            .collect();
        cx.error_hint(
            value.position,
            format!("`{key}` does not belong in {kind}"),
            format!(
                "{kind} takes {}; `{key}` belongs in {}: write that as an entry of its own",
                list(allowed).replace(" or ", " and "),
                others.join(" or ")
            ),
        );
        one_kind = false;
    }
    one_kind
}

/// Warns when an interval exclusion does not fall on whole minutes: series are kept per
/// minute, so the excluded interval is widened to the minutes it touches.
fn warn_if_widened(cx: &mut Context<'_>, node: &Node, reason: &str, kind: &ExclusionKind) {
    let widen = |start: i64, end: i64| {
        let from = start.div_euclid(MINUTE_MS) * MINUTE_MS;
        let to = (end + MINUTE_MS - 1).div_euclid(MINUTE_MS) * MINUTE_MS;
        (from, to)
    };
    let time = |ms: i64| {
        Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
    };
    let hint = Some("nines counts whole minutes; start and end the exclusion on a minute".into());
    match kind {
        ExclusionKind::Interval { start_ms, end_ms } => {
            let (from, to) = widen(*start_ms, *end_ms);
            if (from, to) != (*start_ms, *end_ms) {
                cx.warning(
                    node.position,
                    format!(
                        "exclusion `{reason}` is widened to whole minutes: {} to {} becomes {} \
                         to {}",
                        time(*start_ms),
                        time(*end_ms),
                        time(from),
                        time(to)
                    ),
                    hint,
                );
            }
        }
        ExclusionKind::Recurring(recurrence) => {
            let (start, end) = (
                recurrence.start_ms,
                recurrence.start_ms + recurrence.duration.millis(),
            );
            let (from, to) = widen(start, end);
            if (from, to) != (start, end) {
                cx.warning(
                    node.position,
                    format!(
                        "exclusion `{reason}` is widened to whole minutes: each occurrence, {} \
                         from {}, becomes {} from {}",
                        recurrence.duration,
                        time(start),
                        Duration::from_seconds((to - from) / 1000),
                        time(from)
                    ),
                    hint,
                );
            }
        }
        ExclusionKind::Events(_) => {}
    }
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
