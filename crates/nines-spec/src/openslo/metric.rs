//! OpenSLO SLIs as nines SLIs: ratio and threshold metrics from Prometheus become Prometheus
//! SLIs, ratio metrics from a `type: nines` data source become event SLIs of that source.

use std::path::PathBuf;

use crate::decode::{Context, Map, boolean, choice, mapping, text};
use crate::import::{self, CriterionNode, Expressions};
use crate::node::{Node, NodeKind, Position};
use crate::promql::{self, WindowError, Windowed};

use super::annotation;
use super::objects::{Index, Kind, Object, Version};

/// An SLI as nines nodes.
pub(super) struct SliNodes {
    /// The SLO's `sli`.
    pub(super) node: Node,
    /// The telemetry source an event SLI reads, to add to the service, with its file.
    pub(super) source: Option<(PathBuf, Node)>,
    /// An event SLI's expressions.
    pub(super) expressions: Option<Expressions>,
    /// The named criteria the SLI carried along.
    pub(super) criteria: Vec<CriterionNode>,
}

/// How a threshold SLI's objective compares the metric.
pub(super) struct Threshold {
    /// `lt`, `lte`, `gt` or `gte`: how a good value compares to `value`.
    pub(super) op: &'static str,
    /// The value compared against, as written.
    pub(super) value: String,
    /// How often the metric is sampled: the slice length, or a minute.
    pub(super) step: String,
}

/// Where a metric's data comes from.
enum Backend<'a> {
    Prometheus,
    /// A nines telemetry source, described by this data source.
    Nines(&'a Object<'a>),
    Other(String),
}

/// One metric: its backend and its query.
struct Metric<'a> {
    backend: Backend<'a>,
    query: &'a Node,
}

/// Translates `indicator`'s spec; v1alpha objectives bring their own `ratio` metrics.
pub(super) fn translate<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    indicator: &Object<'a>,
    ratio: Option<&'a Node>,
    threshold: Option<Threshold>,
) -> Option<SliNodes> {
    let consumed = [annotation::CRITERIA, annotation::HISTOGRAM];
    super::notes(cx, indicator, &indicator.name, &consumed);
    let criteria = criteria(cx, indicator);
    if let Some(histogram) = indicator.metadata.annotation(annotation::HISTOGRAM) {
        let spec = import::embedded(cx, histogram, "the histogram annotation")?;
        return Some(prometheus_sli(spec.position, spec, criteria));
    }
    if let Some(ratio) = ratio {
        // v1alpha objectives hold their ratio themselves, beside or instead of the SLO's
        // indicator.
        let mut sli = ratio_sli(cx, index, indicator, ratio)?;
        sli.criteria = criteria;
        return Some(sli);
    }
    let keys: &[&str] = match indicator.version {
        Version::V1Alpha => &["thresholdMetric"],
        _ => &["description", "thresholdMetric", "ratioMetric"],
    };
    let spec = mapping(cx, indicator.spec, "the SLI spec", keys)?;
    if let Some(description) = spec.get("description") {
        let why = "nines SLIs have no description; the SLO's is kept";
        import::not_kept(cx, description.position, "spec.description", why);
    }
    let mut sli = match (spec.get("ratioMetric"), spec.get("thresholdMetric")) {
        (Some(ratio), None) => ratio_sli(cx, index, indicator, ratio)?,
        (None, Some(metric)) => threshold_sli(cx, index, indicator, metric, threshold)?,
        _ => {
            cx.error(
                indicator.spec.position,
                "an SLI needs exactly one of `ratioMetric` or `thresholdMetric`",
            );
            return None;
        }
    };
    sli.criteria = criteria;
    Some(sli)
}

/// The named criteria an exported SLI carries along.
fn criteria(cx: &mut Context<'_>, indicator: &Object<'_>) -> Vec<CriterionNode> {
    let Some(node) = indicator.metadata.annotation(annotation::CRITERIA) else {
        return Vec::new();
    };
    let Some(value) = import::embedded(cx, node, "the criteria annotation") else {
        return Vec::new();
    };
    let NodeKind::Mapping(entries) = value.kind else {
        cx.error(
            node.position,
            "the criteria annotation must be a JSON object",
        );
        return Vec::new();
    };
    entries
        .into_iter()
        .map(|(key, node)| CriterionNode {
            file: indicator.file.to_owned(),
            name: key.name,
            node,
        })
        .collect()
}

fn prometheus_sli(at: Position, prometheus: Node, criteria: Vec<CriterionNode>) -> SliNodes {
    SliNodes {
        node: import::mapping(at, vec![("prometheus", prometheus)]),
        source: None,
        expressions: None,
        criteria,
    }
}

fn ratio_sli<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    indicator: &Object<'a>,
    node: &'a Node,
) -> Option<SliNodes> {
    let version = indicator.version;
    let keys: &[&str] = match version {
        Version::V1Alpha => &["incremental", "good", "total"],
        _ => &["counter", "good", "bad", "total", "rawType", "raw"],
    };
    let map = mapping(cx, node, "`ratioMetric`", keys)?;
    let counter_key = if version == Version::V1Alpha {
        "incremental"
    } else {
        "counter"
    };
    let counter = match map.get(counter_key) {
        Some(flag) => boolean(cx, flag, &format!("`{counter_key}`"))?,
        None => true,
    };
    let read = |cx: &mut Context<'_>, key: &str| {
        map.get(key)
            .map(|n| metric(cx, index, indicator, n, &format!("`{key}`")))
    };
    let (good, bad, total, raw) = (
        read(cx, "good"),
        read(cx, "bad"),
        read(cx, "total"),
        read(cx, "raw"),
    );
    match (good, bad, total, raw) {
        (Some(good), None, Some(total), None) => counts(cx, "good", good?, total?, counter),
        (None, Some(bad), Some(total), None) => counts(cx, "bad", bad?, total?, counter),
        (None, None, None, Some(raw)) => raw_ratio(cx, &map, raw?),
        _ => {
            cx.error_hint(
                node.position,
                "a ratio metric needs `good` or `bad` with `total`, or `raw` with `rawType`",
                "for example `good: {metricSource: ...}` and `total: {metricSource: ...}`",
            );
            None
        }
    }
}

/// Good or bad events over all events, from one backend.
fn counts(
    cx: &mut Context<'_>,
    numerator: &str,
    events: Metric<'_>,
    total: Metric<'_>,
    counter: bool,
) -> Option<SliNodes> {
    match (&events.backend, &total.backend) {
        (Backend::Prometheus, Backend::Prometheus) => {
            import::warn_grouping(cx, &[events.query, total.query]);
            let key = if numerator == "good" {
                "good"
            } else {
                "errors"
            };
            let prometheus = import::mapping(
                events.query.position,
                vec![
                    (key, windowed(cx, events.query, counter, false)?),
                    ("total", windowed(cx, total.query, counter, false)?),
                ],
            );
            Some(prometheus_sli(
                events.query.position,
                prometheus,
                Vec::new(),
            ))
        }
        (Backend::Nines(source), Backend::Nines(other)) if source.name == other.name => {
            Some(event_sli(cx, source, numerator, events.query, total.query))
        }
        (Backend::Nines(_), Backend::Nines(_)) => {
            cx.error(
                total.query.position,
                "`total` must read the same nines data source as the events counted",
            );
            None
        }
        (Backend::Other(_), _) => {
            unsupported(cx, &events, "a ratio");
            None
        }
        (_, Backend::Other(_)) => {
            unsupported(cx, &total, "a ratio");
            None
        }
        _ => {
            cx.error(
                total.query.position,
                "the events counted and `total` must come from the same kind of source",
            );
            None
        }
    }
}

/// An event SLI of the nines source that `data_source` describes.
fn event_sli(
    cx: &mut Context<'_>,
    data_source: &Object<'_>,
    numerator: &str,
    events: &Node,
    total: &Node,
) -> SliNodes {
    let (source_name, source) = source_node(cx, data_source);
    let at = events.position;
    let mut entries = vec![("source", import::scalar(&source_name, at))];
    let mut expressions = vec![events.clone()];
    if total.scalar().map(str::trim) != Some("true") {
        entries.push(("valid", total.clone()));
        expressions.push(total.clone());
    }
    entries.push((numerator, events.clone()));
    SliNodes {
        node: import::mapping(at, entries),
        source: Some((data_source.file.to_owned(), source)),
        expressions: Some(Expressions {
            file: cx.file.to_owned(),
            source: source_name,
            nodes: expressions,
        }),
        criteria: Vec::new(),
    }
}

/// The nines source a `type: nines` data source describes: its `connectionDetails` are a
/// source's keys, named by the annotation or by the data source.
pub(super) fn source_node(cx: &mut Context<'_>, data_source: &Object<'_>) -> (String, Node) {
    let named = data_source.metadata.annotation(annotation::SOURCE);
    let name = named
        .and_then(Node::scalar)
        .unwrap_or(&data_source.name)
        .to_owned();
    let at = data_source.position;
    let details = data_source_map(cx, data_source).and_then(|m| m.get("connectionDetails"));
    let mut entries = match details.map(|d| &d.kind) {
        Some(NodeKind::Mapping(entries)) => entries.clone(),
        _ => Vec::new(),
    };
    entries.retain(|(key, _)| key.name != "name");
    let mut node = import::mapping(at, vec![("name", import::scalar(&name, at))]);
    if let NodeKind::Mapping(own) = &mut node.kind {
        own.extend(entries);
    }
    (name, node)
}

fn data_source_map<'a>(cx: &mut Context<'_>, data_source: &Object<'a>) -> Option<Map<'a>> {
    let keys = ["description", "type", "connectionDetails"];
    let mut cx = Context {
        file: data_source.file,
        diagnostics: &mut *cx.diagnostics,
    };
    mapping(&mut cx, data_source.spec, "the DataSource spec", &keys)
}

/// A precomputed ratio, of failures or of successes.
fn raw_ratio(cx: &mut Context<'_>, map: &Map<'_>, raw: Metric<'_>) -> Option<SliNodes> {
    if !matches!(raw.backend, Backend::Prometheus) {
        unsupported(cx, &raw, "a raw ratio");
        return None;
    }
    let kind = map.require(cx, "rawType", "a raw ratio metric")?;
    let kind = choice(cx, kind, "`rawType`", &["success", "failure"])?;
    let query = windowed(cx, raw.query, false, true)?;
    import::warn_grouping(cx, &[raw.query]);
    let text = query.scalar().unwrap_or_default();
    let text = match kind {
        "success" => format!("1 - ({text})"),
        _ => text.to_owned(),
    };
    let at = raw.query.position;
    let prometheus = import::mapping(at, vec![("error_ratio", import::scalar(text, at))]);
    Some(prometheus_sli(at, prometheus, Vec::new()))
}

/// A threshold on a Prometheus metric, measured as the share of steps in which it fails.
fn threshold_sli<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    indicator: &Object<'a>,
    node: &'a Node,
    threshold: Option<Threshold>,
) -> Option<SliNodes> {
    let metric = metric(cx, index, indicator, node, "`thresholdMetric`")?;
    if !matches!(metric.backend, Backend::Prometheus) {
        unsupported(cx, &metric, "a threshold");
        return None;
    }
    let Some(threshold) = threshold else {
        cx.error_hint(
            node.position,
            "a threshold metric needs `op` and `value` in its objective",
            "for example `op: lte` and `value: 0.3`: good when the metric is at most 0.3",
        );
        return None;
    };
    let query = text(cx, metric.query, "the query")?.trim();
    import::warn_grouping(cx, &[metric.query]);
    let failing = match threshold.op {
        "lt" => ">=",
        "lte" => ">",
        "gt" => "<=",
        _ => "<",
    };
    // `>= -Inf` keeps every number and drops NaN, which a quantile is without traffic: such
    // steps have no sample, rather than count as good (`NaN > bool 0.5` is 0).
    let error_ratio = format!(
        "avg_over_time(((({query}) >= -Inf) {failing} bool {})[{}:{}])",
        threshold.value,
        nines_core::slo::PromSli::WINDOW,
        threshold.step
    );
    cx.warning(
        node.position,
        format!(
            "the threshold metric is measured as the share of {} steps in which it is not \
             `{} {}`; steps where it is NaN (a quantile without traffic) count neither way",
            threshold.step, threshold.op, threshold.value
        ),
        Some("`nines convert` shows the query nines runs".to_owned()),
    );
    let at = metric.query.position;
    let prometheus = import::mapping(at, vec![("error_ratio", import::scalar(error_ratio, at))]);
    Some(prometheus_sli(at, prometheus, Vec::new()))
}

/// The query with the placeholder for the lookback, or an error saying why not.
fn windowed(cx: &mut Context<'_>, node: &Node, counter: bool, ratio: bool) -> Option<Node> {
    let query = text(cx, node, "the query")?;
    let result = if ratio {
        promql::ratio_with_window(query)
    } else {
        promql::with_window(query, counter)
    };
    match result {
        Ok(Windowed::AsWritten(_)) => Some(node.clone()),
        Ok(Windowed::Replaced { .. })
            if instant_beside_range(cx, node, query, counter || ratio) =>
        {
            None
        }
        Ok(windowed) => Some(import::scalar(windowed.query(), node.position)),
        Err(error) => {
            cx.error_hint(
                node.position,
                format!("nines cannot measure this query over its lookbacks: {error}"),
                window_hint(&error),
            );
            None
        }
    }
}

/// Reports a query that reads a selector at one instant beside others over a range, as in
/// `sum(rate(a[5m])) + sum(b)`: the lookback would replace the range, and the instant value
/// would still be added to an amount per lookback.
fn instant_beside_range(cx: &mut Context<'_>, node: &Node, query: &str, counter: bool) -> bool {
    let Some(selector) = import::shape::instant_beside_range(query) else {
        return false;
    };
    promql::report_instant_beside_range(cx, node, &selector, counter);
    true
}

fn window_hint(error: &WindowError) -> String {
    let window = nines_core::slo::PromSli::WINDOW;
    match error {
        WindowError::Subquery => format!("write the range as [{window}] without a resolution"),
        _ => format!("write [{window}] where the range goes, such as sum(rate(x[{window}]))"),
    }
}

/// Reports a metric nines cannot measure as `shape`. A backend nines does not read is a
/// warning: the document is valid OpenSLO, and the other SLOs of the load are still kept. A
/// nines source measured as a raw ratio or a threshold is an error, since nines wrote it so.
fn unsupported(cx: &mut Context<'_>, metric: &Metric<'_>, shape: &str) {
    match &metric.backend {
        Backend::Other(kind) => cx.warning(
            metric.query.position,
            format!(
                "this objective is not kept: metrics from `{kind}` are not supported, so nines \
                 cannot measure its SLI"
            ),
            Some(
                "nines measures SLIs from Prometheus, or from its own sources (`type: nines`)"
                    .to_owned(),
            ),
        ),
        Backend::Nines(source) => cx.error_hint(
            metric.query.position,
            format!(
                "the nines data source `{}` cannot give {shape} metric",
                source.name
            ),
            "count its events with `good` or `bad`, and `total`",
        ),
        Backend::Prometheus => {}
    }
}

/// Reads one metric in the shape of the indicator's version.
fn metric<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    indicator: &Object<'a>,
    node: &'a Node,
    what: &str,
) -> Option<Metric<'a>> {
    match indicator.version {
        Version::V1Alpha => alpha_metric(cx, node, what),
        Version::V1 => {
            let map = mapping(cx, node, what, &["metricSource"])?;
            let source = map.require(cx, "metricSource", what)?;
            let keys = ["metricSourceRef", "type", "spec"];
            let source = mapping(cx, source, "`metricSource`", &keys)?;
            let data_source = source.get("metricSourceRef");
            resolved(cx, index, &source, data_source, source.get("type"), what)
        }
        Version::V2Alpha => {
            // The draft writes the inline data source as `dataSourceSpec`, and once as
            // `dataSource`.
            let keys = ["dataSourceRef", "dataSourceSpec", "dataSource", "spec"];
            let map = mapping(cx, node, what, &keys)?;
            let inline = map.get("dataSourceSpec").or(map.get("dataSource"));
            let inline_type = inline.and_then(|spec| {
                let keys = ["description", "type", "connectionDetails"];
                mapping(cx, spec, "`dataSourceSpec`", &keys)?.get("type")
            });
            resolved(cx, index, &map, map.get("dataSourceRef"), inline_type, what)
        }
    }
}

/// A v1 or v2alpha metric: its backend from its own `type` or its data source's.
fn resolved<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    map: &Map<'a>,
    reference: Option<&'a Node>,
    kind: Option<&'a Node>,
    what: &str,
) -> Option<Metric<'a>> {
    let data_source = match reference {
        Some(name) => Some(index.resolve(cx, Kind::DataSource, name)?),
        None => None,
    };
    let kind = match (kind, data_source) {
        (Some(kind), _) => text(cx, kind, "the type")?.to_owned(),
        (None, Some(data_source)) => data_source_type(cx, data_source)?,
        (None, None) => {
            cx.error_hint(
                map.node.position,
                format!("{what} names neither a data source nor a type"),
                "add `type: Prometheus`, or refer to a DataSource",
            );
            return None;
        }
    };
    let spec = map.require(cx, "spec", what)?;
    let backend = match kind.to_ascii_lowercase().as_str() {
        "prometheus" => Backend::Prometheus,
        "nines" => match data_source {
            Some(data_source) => Backend::Nines(data_source),
            None => {
                cx.error(
                    map.node.position,
                    "a nines metric must refer to the DataSource that describes its source",
                );
                return None;
            }
        },
        _ => Backend::Other(kind),
    };
    if let (Backend::Prometheus, Some(data_source)) = (&backend, data_source) {
        connection_not_kept(cx, data_source);
    }
    let query = query(cx, spec, matches!(backend, Backend::Other(_)))?;
    Some(Metric { backend, query })
}

fn data_source_type(cx: &mut Context<'_>, data_source: &Object<'_>) -> Option<String> {
    let map = data_source_map(cx, data_source)?;
    let mut cx = Context {
        file: data_source.file,
        diagnostics: &mut *cx.diagnostics,
    };
    let kind = map.require(&mut cx, "type", "a DataSource")?;
    Some(text(&mut cx, kind, "the type")?.to_owned())
}

fn connection_not_kept(cx: &mut Context<'_>, data_source: &Object<'_>) {
    let mut cx = Context {
        file: data_source.file,
        diagnostics: &mut *cx.diagnostics,
    };
    let details = match &data_source.spec.kind {
        NodeKind::Mapping(entries) => entries.iter().find(|(k, _)| k.name == "connectionDetails"),
        _ => None,
    };
    if let Some((key, _)) = details {
        let why = "nines is told where Prometheus is when it runs, not in the spec";
        import::not_kept(&mut cx, key.position, "spec.connectionDetails", why);
    }
}

/// The query in a metric's `spec`; other keys are not kept. `other` backends are reported by
/// the caller, so their keys are not.
fn query<'a>(cx: &mut Context<'_>, spec: &'a Node, other: bool) -> Option<&'a Node> {
    let NodeKind::Mapping(entries) = &spec.kind else {
        cx.error(
            spec.position,
            format!(
                "the metric spec must be a mapping, not {}",
                spec.kind_name()
            ),
        );
        return None;
    };
    let mut found = None;
    for (key, value) in entries {
        match key.name.as_str() {
            "query" | "promql" if found.is_none() => found = Some(value),
            _ if other => {}
            name => {
                let why = "nines reads only the query";
                import::not_kept(cx, key.position, &format!("spec.{name}"), why);
            }
        }
    }
    if found.is_none() {
        cx.error(spec.position, "the metric spec has no `query`");
    }
    found
}

/// A v1alpha metric: `source`, `queryType`, `query` and `metadata`.
fn alpha_metric<'a>(cx: &mut Context<'_>, node: &'a Node, what: &str) -> Option<Metric<'a>> {
    let keys = ["source", "queryType", "query", "metadata"];
    let map = mapping(cx, node, what, &keys)?;
    let source = map.require(cx, "source", what)?;
    let kind = text(cx, source, "the source")?;
    let backend = match kind.to_ascii_lowercase().as_str() {
        "prometheus" => Backend::Prometheus,
        _ => Backend::Other(kind.to_owned()),
    };
    if let Some(metadata) = map.get("metadata") {
        let why = "nines reads only the query";
        import::not_kept(cx, metadata.position, "metadata", why);
    }
    let query = map.require(cx, "query", what)?;
    Some(Metric { backend, query })
}
