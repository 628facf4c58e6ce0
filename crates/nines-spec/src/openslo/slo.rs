//! An OpenSLO SLO: every objective becomes one nines SLO, with the SLO's window, budgeting
//! method and alert policies, and nines' own settings from its annotations.

use std::collections::BTreeMap;

use nines_core::duration::Duration;

use crate::decode::{Context, Map, choice, mapping, sequence, text};
use crate::diagnostic::Diagnostics;
use crate::import::{self, Alert, SloNodes, Translation, ratio};
use crate::node::{Node, Position};

use super::alert;
use super::annotation;
use super::metric::{self, Threshold};
use super::objects::{self, Index, Kind, Metadata, Object, Version};
use super::window::{self, Shorthand};

/// How an SLO counts its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Occurrences,
    Timeslices,
    RatioTimeslices,
}

/// What every objective of one SLO shares.
struct Common<'a> {
    spec: Map<'a>,
    name: String,
    service: String,
    service_node: Node,
    window: Option<Node>,
    method: (Method, Position),
    indicator: Option<Object<'a>>,
    /// Keys after `sli` in the nines SLO: description, group_by, exclusions, labels.
    settings: Vec<(&'static str, Node)>,
    no_data: Option<Node>,
    alerts: Vec<Alert>,
}

/// Translates one SLO object into its service's SLOs.
pub(super) fn translate<'a>(
    index: &'a Index<'a>,
    object: &Object<'a>,
    services: &BTreeMap<String, String>,
    translation: &mut Translation,
    diagnostics: &mut Diagnostics,
) {
    let cx = &mut Context {
        file: object.file,
        diagnostics,
    };
    let Some(common) = common(cx, index, object, services) else {
        return;
    };
    let Some(objectives) = common.spec.require(cx, "objectives", "an SLO") else {
        return;
    };
    let items = sequence(cx, objectives, "`objectives`");
    if items.is_empty() {
        cx.error(objectives.position, "an SLO needs at least one objective");
    }
    let mut translated = Vec::new();
    for (number, item) in items.iter().enumerate() {
        let name = objective_name(&common, item, number, items.len());
        if let Some(slo) = objective(cx, index, object, &common, item, name) {
            translated.push(slo);
        }
    }
    for (_, _, criteria) in &mut translated {
        translation.criteria.append(criteria);
    }
    let service = translation.service(&common.service, object.file, common.service_node);
    for (slo, source, _) in translated {
        service.sources.extend(source);
        service.slos.push(slo);
    }
}

const CONSUMED: [&str; 4] = [
    annotation::NAME,
    annotation::GROUP_BY,
    annotation::EXCLUSIONS,
    annotation::NO_DATA,
];

fn spec_keys(version: Version) -> &'static [&'static str] {
    match version {
        Version::V1Alpha => &[
            "description",
            "service",
            "indicator",
            "timeWindows",
            "budgetingMethod",
            "objectives",
        ],
        Version::V1 => &[
            "description",
            "service",
            "indicator",
            "indicatorRef",
            "timeWindow",
            "budgetingMethod",
            "objectives",
            "alertPolicies",
        ],
        Version::V2Alpha => &[
            "description",
            "service",
            "serviceRef",
            "sli",
            "sliRef",
            "timeWindow",
            "budgetingMethod",
            "objectives",
            "alertPolicies",
        ],
    }
}

fn common<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    object: &Object<'a>,
    services: &BTreeMap<String, String>,
) -> Option<Common<'a>> {
    let spec = mapping(cx, object.spec, "the SLO spec", spec_keys(object.version))?;
    let name_node = object.metadata.annotation(annotation::NAME);
    let name = text(cx, name_node.or(object.metadata.name)?, "the SLO name")?.to_owned();
    super::notes(cx, object, &name, &CONSUMED);
    // Every part is read before any error stops the SLO, so that one run reports them all.
    let service = service(cx, &spec, services);
    let window = window::translate(cx, object.version, &spec);
    let method = method(cx, &spec);
    let indicator = indicator(cx, index, object, &spec);
    let alerts = match spec.get("alertPolicies") {
        Some(node) => alert::translate(cx, index, object, node),
        None => Vec::new(),
    };
    let settings = settings(cx, &spec, &object.metadata);
    let ((service, service_node), method) = (service?, method?);
    let (indicator, settings) = (indicator?, settings?);
    Some(Common {
        spec,
        name,
        service,
        service_node,
        window,
        method,
        indicator,
        settings,
        no_data: object.metadata.annotation(annotation::NO_DATA).cloned(),
        alerts,
    })
}

/// The nines name of the SLO's service (the `Service` object may rename it), and a service
/// node for when no `Service` object defines it.
fn service(
    cx: &mut Context<'_>,
    spec: &Map<'_>,
    services: &BTreeMap<String, String>,
) -> Option<(String, Node)> {
    let Some(node) = spec.get("service").or(spec.get("serviceRef")) else {
        cx.error_hint(
            spec.node.position,
            "an SLO has no `service`",
            "name the service it belongs to, such as `service: checkout`",
        );
        return None;
    };
    let written = text(cx, node, "the service")?;
    let name = services.get(written).map_or(written, String::as_str);
    let service_node = import::mapping(
        node.position,
        vec![("name", import::scalar(name, node.position))],
    );
    Some((name.to_owned(), service_node))
}

fn method(cx: &mut Context<'_>, spec: &Map<'_>) -> Option<(Method, Position)> {
    let Some(node) = spec.get("budgetingMethod") else {
        return Some((Method::Occurrences, spec.node.position));
    };
    let names = ["Occurrences", "Timeslices", "RatioTimeslices"];
    let method = match choice(cx, node, "the budgeting method", &names)? {
        "Timeslices" => Method::Timeslices,
        "RatioTimeslices" => Method::RatioTimeslices,
        _ => Method::Occurrences,
    };
    Some((method, node.position))
}

/// The SLI given in `map`, inline or by name: `Some(None)` when there is none, `None` after an
/// error.
fn indicator<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    object: &Object<'a>,
    map: &Map<'a>,
) -> Option<Option<Object<'a>>> {
    let (inline_key, ref_key) = match object.version {
        Version::V2Alpha => ("sli", "sliRef"),
        _ => ("indicator", "indicatorRef"),
    };
    match (map.get(inline_key), map.get(ref_key)) {
        (None, None) => Some(None),
        (Some(_), Some(reference)) => {
            cx.error(
                reference.position,
                format!("give either `{inline_key}` or `{ref_key}`, not both"),
            );
            None
        }
        (None, Some(reference)) => Some(Some(index.resolve(cx, Kind::Sli, reference)?.clone())),
        (Some(node), None) if object.version == Version::V1Alpha => {
            Some(Some(alpha_indicator(object, node)))
        }
        (Some(node), None) => {
            let version = object.version;
            Some(Some(objects::inline(
                cx,
                object.file,
                node,
                Kind::Sli,
                version,
            )?))
        }
    }
}

/// Description, group_by, exclusions and labels, as the nines SLO writes them.
fn settings(
    cx: &mut Context<'_>,
    spec: &Map<'_>,
    metadata: &Metadata<'_>,
) -> Option<Vec<(&'static str, Node)>> {
    let mut settings = Vec::new();
    if let Some(description) = spec.get("description") {
        settings.push(("description", description.clone()));
    }
    if let Some(group_by) = metadata.annotation(annotation::GROUP_BY) {
        settings.push(("group_by", group_by.clone()));
    }
    if let Some(node) = metadata.annotation(annotation::EXCLUSIONS) {
        settings.push(("exclusions", import::embedded(cx, node, "the exclusions")?));
    }
    if let Some(labels) = super::labels(cx, metadata.labels) {
        settings.push(("labels", labels));
    }
    Some(settings)
}

/// The SLO's own name when it has one objective; with several, each is told apart by its
/// display name, or else its number.
fn objective_name(common: &Common<'_>, node: &Node, number: usize, count: usize) -> String {
    if count == 1 {
        return common.name.clone();
    }
    let display = match &node.kind {
        crate::node::NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(key, _)| key.name == "displayName")
            .and_then(|(_, value)| value.scalar()),
        _ => None,
    };
    match display.map(super::slug).filter(|s| !s.is_empty()) {
        Some(slug) => format!("{}-{slug}", common.name),
        None => format!("{}-{}", common.name, number + 1),
    }
}

fn objective_keys(version: Version) -> &'static [&'static str] {
    match version {
        Version::V1Alpha => &[
            "displayName",
            "op",
            "value",
            "target",
            "timeSliceTarget",
            "ratioMetrics",
        ],
        Version::V1 => &[
            "displayName",
            "op",
            "value",
            "target",
            "targetPercent",
            "timeSliceTarget",
            "timeSliceWindow",
            "indicator",
            "indicatorRef",
            "compositeWeight",
        ],
        Version::V2Alpha => &[
            "displayName",
            "labels",
            "op",
            "value",
            "target",
            "targetPercent",
            "timeSliceTarget",
            "timeSliceWindow",
            "sli",
            "sliRef",
            "compositeWeight",
        ],
    }
}

type Translated = (
    SloNodes,
    Option<(std::path::PathBuf, Node)>,
    Vec<import::CriterionNode>,
);

fn objective<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    object: &Object<'a>,
    common: &Common<'a>,
    node: &'a Node,
    name: String,
) -> Option<Translated> {
    let what = "an objective";
    let map = mapping(cx, node, what, objective_keys(object.version))?;
    objective_notes(cx, &map, &name);
    let own = indicator(cx, index, object, &map)?;
    if own.is_some() || map.has("compositeWeight") {
        composite(cx, &map, &name);
    }
    let ratio_metrics = map.get("ratioMetrics");
    let indicator = own
        .or_else(|| common.indicator.clone())
        .or_else(|| ratio_metrics.map(|node| alpha_indicator(object, node)));
    let Some(indicator) = indicator else {
        cx.error_hint(
            node.position,
            "the objective has no SLI",
            "give the SLO an `indicator`, or refer to one with `indicatorRef`",
        );
        return None;
    };
    let objective = target(cx, &map);
    let budgeting = budgeting(cx, common, &map);
    let threshold = threshold(cx, &map);
    let sli = {
        let mut cx = Context {
            file: indicator.file,
            diagnostics: &mut *cx.diagnostics,
        };
        metric::translate(&mut cx, index, &indicator, ratio_metrics, threshold?)
    };
    let (objective, budgeting, sli, window) =
        (objective?, budgeting?, sli?, common.window.clone()?);
    let mut entries = vec![
        ("name", import::scalar(name, node.position)),
        ("objective", objective),
        ("window", window),
    ];
    entries.extend(budgeting.map(|b| ("budgeting", b)));
    entries.push(("sli", sli.node));
    entries.extend(common.settings.iter().cloned());
    let slo = SloNodes {
        file: object.file.to_owned(),
        node: import::mapping(node.position, entries),
        expressions: sli.expressions,
        alerts: common.alerts.clone(),
    };
    Some((slo, sli.source, sli.criteria))
}

/// v1alpha objectives carry their metrics; they stand for an SLI of their own.
fn alpha_indicator<'a>(object: &Object<'a>, node: &'a Node) -> Object<'a> {
    Object {
        version: Version::V1Alpha,
        kind: Kind::Sli,
        name: String::new(),
        file: object.file,
        position: node.position,
        metadata: Metadata::default(),
        spec: node,
    }
}

fn objective_notes(cx: &mut Context<'_>, map: &Map<'_>, name: &str) {
    if let Some(display) = map.get("displayName") {
        let shown = display.scalar().unwrap_or_default();
        if !super::same_words(shown, name) && !name.ends_with(&super::slug(shown)) {
            let why = "nines shows names as they are";
            import::not_kept(cx, display.position, "displayName", why);
        }
    }
    if let Some(labels) = map.get("labels") {
        let why = "nines keeps labels per SLO; put them in the SLO's metadata";
        import::not_kept(cx, labels.position, "labels", why);
    }
}

fn composite(cx: &mut Context<'_>, map: &Map<'_>, name: &str) {
    let at = map.get("compositeWeight").unwrap_or(map.node).position;
    cx.warning(
        at,
        format!(
            "`compositeWeight` is not kept: nines has no composite SLOs, so this objective is \
             the SLO `{name}` of its own"
        ),
        Some("the report shows each part; weigh them by hand".to_owned()),
    );
}

/// The objective in percent: `target` is a ratio, `targetPercent` a percentage.
fn target(cx: &mut Context<'_>, map: &Map<'_>) -> Option<Node> {
    match (map.get("target"), map.get("targetPercent")) {
        (Some(target), None) => {
            let written = text(cx, target, "the target")?;
            match ratio::to_percent(written) {
                Some(percent) => Some(import::scalar(percent, target.position)),
                None => {
                    cx.error_hint(
                        target.position,
                        format!("the target `{written}` is not a ratio"),
                        "write the share of good events as a decimal, such as 0.999",
                    );
                    None
                }
            }
        }
        (None, Some(percent)) => Some(percent.clone()),
        (Some(_), Some(percent)) => {
            cx.error(
                percent.position,
                "an objective has either `target` or `targetPercent`, not both",
            );
            None
        }
        (None, None) => {
            cx.error_hint(
                map.node.position,
                "the objective has no `target`",
                "write the share of good events, such as `target: 0.999`",
            );
            None
        }
    }
}

/// The nines `budgeting` node: `Some(None)` for occurrences, `None` after an error.
fn budgeting(cx: &mut Context<'_>, common: &Common<'_>, map: &Map<'_>) -> Option<Option<Node>> {
    let (method, at) = common.method;
    if method == Method::Occurrences {
        for key in ["timeSliceTarget", "timeSliceWindow"] {
            if let Some(node) = map.get(key) {
                let why = "only timeslices budgeting has slices";
                import::not_kept(cx, node.position, key, why);
            }
        }
        return Some(None);
    }
    let slice = slice(cx, map, at)?;
    let name = match method {
        Method::Timeslices => "timeslices",
        _ => "ratio-timeslices",
    };
    let mut entries = vec![
        ("method", import::scalar(name, at)),
        ("slice", import::scalar(slice.to_string(), at)),
    ];
    if method == Method::Timeslices {
        if let Some(target) = map.get("timeSliceTarget") {
            let written = text(cx, target, "the slice target")?;
            let Some(percent) = ratio::to_percent(written) else {
                cx.error_hint(
                    target.position,
                    format!("the slice target `{written}` is not a ratio"),
                    "write the share of good events a slice needs, such as 0.95",
                );
                return None;
            };
            entries.push(("target", import::scalar(percent, target.position)));
        }
        entries.extend(common.no_data.clone().map(|node| ("no_data", node)));
    }
    Some(Some(import::mapping(at, entries)))
}

/// The slice length: `timeSliceWindow`, or a minute.
fn slice(cx: &mut Context<'_>, map: &Map<'_>, at: Position) -> Option<Duration> {
    let Some(node) = map.get("timeSliceWindow") else {
        cx.warning(
            at,
            "the objective has no `timeSliceWindow`; nines uses slices of 1m",
            None,
        );
        return Some(Duration::MINUTE);
    };
    let written = text(cx, node, "`timeSliceWindow`")?;
    let duration = Shorthand::parse(written)
        .and_then(Shorthand::duration)
        .and_then(|text| text.parse::<Duration>().ok());
    if duration.is_none() {
        cx.error_hint(
            node.position,
            format!("`{written}` is not a slice length"),
            "write a duration such as 1m or 5m",
        );
    }
    duration
}

/// `op` and `value` of a threshold SLI, with the step it is sampled at.
fn threshold(cx: &mut Context<'_>, map: &Map<'_>) -> Option<Option<Threshold>> {
    let (Some(op), Some(value)) = (map.get("op"), map.get("value")) else {
        return Some(None);
    };
    let op = choice(cx, op, "`op`", &["lt", "lte", "gt", "gte"])?;
    let value_text = text(cx, value, "the value")?.trim();
    if value_text.parse::<f64>().is_err() {
        cx.error(
            value.position,
            format!("the value `{value_text}` is not a number"),
        );
        return None;
    }
    let step = map
        .get("timeSliceWindow")
        .and_then(Node::scalar)
        .and_then(|s| s.trim().parse::<Duration>().ok())
        .unwrap_or(Duration::MINUTE);
    Some(Some(Threshold {
        op,
        value: value_text.to_owned(),
        step: step.to_string(),
    }))
}
