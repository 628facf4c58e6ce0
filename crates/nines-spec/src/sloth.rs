//! Sloth specs, translated into `nines/v1` nodes: `version: prometheus/v1` files and the
//! `PrometheusServiceLevel` Kubernetes resource (`apiVersion: sloth.slok.dev/v1`), which says
//! the same in camelCase.
//!
//! Sloth measures every SLO over 30 days, with the standard page and ticket alerts; nines gives
//! them the same window and the same factors. What Sloth uses only to name and label the rules
//! it generates has no place in the model and is reported as not kept.

use nines_core::duration::Duration;
use nines_core::window::Window;

use crate::alerting::{self, Preset, Rescale};
use crate::decode::{Context, Map, boolean, mapping, sequence, text};
use crate::diagnostic::Diagnostics;
use crate::import::{self, Alert, ServiceNodes, SloNodes};
use crate::native::{self, Document};
use crate::node::{Node, NodeKind};

/// The window Sloth measures every SLO over.
const WINDOW: Duration = Duration::from_seconds(30 * 86_400);

/// The key names of one of the two spellings.
struct Dialect {
    error_query: &'static str,
    total_query: &'static str,
    error_ratio_query: &'static str,
    page_alert: &'static str,
    ticket_alert: &'static str,
}

const PLAIN: Dialect = Dialect {
    error_query: "error_query",
    total_query: "total_query",
    error_ratio_query: "error_ratio_query",
    page_alert: "page_alert",
    ticket_alert: "ticket_alert",
};

const KUBERNETES: Dialect = Dialect {
    error_query: "errorQuery",
    total_query: "totalQuery",
    error_ratio_query: "errorRatioQuery",
    page_alert: "pageAlert",
    ticket_alert: "ticketAlert",
};

/// Translates every Sloth document; services named alike in several files are merged.
pub(crate) fn translate(
    documents: &[Document],
    diagnostics: &mut Diagnostics,
) -> Vec<ServiceNodes> {
    let mut translation = import::Translation::default();
    for document in documents {
        let cx = &mut Context {
            file: &document.file,
            diagnostics,
        };
        translate_document(cx, &document.root, &mut translation);
    }
    translation.services
}

fn translate_document(cx: &mut Context<'_>, root: &Node, translation: &mut import::Translation) {
    let is_resource = matches!(&root.kind, NodeKind::Mapping(entries)
        if entries.iter().any(|(key, _)| key.name == "apiVersion"));
    let (spec, dialect) = if is_resource {
        let Some(spec) = resource_spec(cx, root) else {
            return;
        };
        (spec, &KUBERNETES)
    } else {
        let Some(top) = mapping(
            cx,
            root,
            "a Sloth spec",
            &["version", "service", "labels", "slos"],
        ) else {
            return;
        };
        if let Some(version) = top.get("version").and_then(|n| text(cx, n, "`version`")) {
            if version != "prometheus/v1" {
                cx.error_hint(
                    root.position,
                    format!("unsupported Sloth version `{version}`"),
                    "nines reads Sloth's `version: prometheus/v1`",
                );
                return;
            }
        }
        (top, &PLAIN)
    };
    translate_spec(cx, &spec, dialect, translation);
}

/// The `spec` of a `PrometheusServiceLevel` resource.
fn resource_spec<'n>(cx: &mut Context<'_>, root: &'n Node) -> Option<Map<'n>> {
    // `status` is what the cluster says of the resource, as `kubectl get -o yaml` shows it.
    let keys = ["apiVersion", "kind", "metadata", "spec", "status"];
    let top = mapping(cx, root, "a Sloth resource", &keys)?;
    let version = top.get("apiVersion").and_then(Node::scalar);
    if version != Some("sloth.slok.dev/v1") {
        cx.error_hint(
            root.position,
            format!(
                "unsupported Sloth apiVersion `{}`",
                version.unwrap_or_default()
            ),
            "nines reads `apiVersion: sloth.slok.dev/v1`",
        );
        return None;
    }
    let kind = top.require(cx, "kind", "a Sloth resource")?;
    if kind.scalar() != Some("PrometheusServiceLevel") {
        cx.error_hint(
            kind.position,
            format!(
                "unsupported Sloth kind `{}`",
                kind.scalar().unwrap_or_default()
            ),
            "nines reads `kind: PrometheusServiceLevel`",
        );
        return None;
    }
    if let Some(metadata) = top.get("metadata") {
        resource_metadata(cx, metadata);
    }
    let spec = top.require(cx, "spec", "a Sloth resource")?;
    mapping(cx, spec, "the spec", &["service", "labels", "slos"])
}

/// The metadata a Kubernetes cluster sets on a resource, which `kubectl get -o yaml` shows:
/// nothing of the SLOs.
const SERVER_METADATA: [&str; 11] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "finalizers",
    "ownerReferences",
    "generateName",
];

/// The resource's own namespace, labels and annotations are Kubernetes', not the SLOs'; the
/// `PrometheusRule` that `nines generate prometheus --operator` writes gets its namespace and
/// labels from flags.
fn resource_metadata(cx: &mut Context<'_>, node: &Node) {
    let mut keys = vec!["name", "namespace", "labels", "annotations"];
    keys.extend(SERVER_METADATA);
    let Some(metadata) = mapping(cx, node, "the metadata", &keys) else {
        return;
    };
    let flags = [
        ("namespace", "--namespace NS", ""),
        (
            "labels",
            "--label KEY=VALUE",
            "; SLO labels go under `spec.labels`",
        ),
    ];
    for (key, flag, more) in flags {
        if let Some(value) = metadata.get(key) {
            cx.warning(
                value.position,
                format!(
                    "`metadata.{key}` is not kept: it belongs to the Kubernetes resource, and the \
                     PrometheusRule that nines generates does not carry it"
                ),
                Some(format!(
                    "give it with `nines generate prometheus --operator {flag}`{more}"
                )),
            );
        }
    }
    if let Some(value) = metadata.get("annotations") {
        let why = "they belong to the Kubernetes resource";
        import::not_kept(cx, value.position, "metadata.annotations", why);
    }
}

fn translate_spec(
    cx: &mut Context<'_>,
    spec: &Map<'_>,
    dialect: &Dialect,
    translation: &mut import::Translation,
) {
    let Some(name_node) = spec.require(cx, "service", "a Sloth spec") else {
        return;
    };
    let Some(name) = text(cx, name_node, "the service") else {
        return;
    };
    let mut entries = vec![("name", name_node.clone())];
    if let Some(labels) = spec.get("labels") {
        entries.push(("labels", labels.clone()));
    }
    // The service is where its name is, so that a clash with another format points there.
    let node = import::mapping(name_node.position, entries);
    let service = translation.service(name, cx.file, node);
    let Some(slos) = spec.get("slos") else {
        return;
    };
    for item in sequence(cx, slos, "`slos`") {
        if let Some(slo) = translate_slo(cx, item, dialect) {
            service.slos.push(slo);
        }
    }
}

const SLO_KEYS: [&str; 6] = [
    "name",
    "objective",
    "description",
    "labels",
    "sli",
    "alerting",
];

fn translate_slo(cx: &mut Context<'_>, node: &Node, dialect: &Dialect) -> Option<SloNodes> {
    let map = mapping(cx, node, "a Sloth SLO", &SLO_KEYS)?;
    let name = map.require(cx, "name", "a Sloth SLO");
    let objective = map.require(cx, "objective", "a Sloth SLO");
    let sli = map
        .require(cx, "sli", "a Sloth SLO")
        .and_then(|n| translate_sli(cx, n, dialect));
    let alerts = match map.get("alerting") {
        Some(alerting) => translate_alerting(cx, alerting, dialect)?,
        None => standard_alerts(cx, node, true, true),
    };
    let window = import::scalar(WINDOW.to_string(), node.position);
    let mut entries = vec![
        ("name", name?.clone()),
        ("objective", objective?.clone()),
        ("window", window),
        ("sli", sli?),
    ];
    for key in ["description", "labels"] {
        if let Some(value) = map.get(key) {
            entries.push((key, value.clone()));
        }
    }
    Some(SloNodes {
        file: cx.file.to_owned(),
        node: import::mapping(node.position, entries),
        expressions: None,
        alerts,
    })
}

/// `sli.events`, `sli.raw` or `sli.plugin`, as a native Prometheus SLI.
fn translate_sli(cx: &mut Context<'_>, node: &Node, dialect: &Dialect) -> Option<Node> {
    let map = mapping(cx, node, "a Sloth SLI", &["events", "raw", "plugin"])?;
    let prometheus = match (map.get("events"), map.get("raw"), map.get("plugin")) {
        (Some(events), None, None) => {
            let keys = [dialect.error_query, dialect.total_query];
            let events = mapping(cx, events, "`sli.events`", &keys)?;
            let errors = query(cx, &events, dialect.error_query);
            let total = query(cx, &events, dialect.total_query);
            let (errors, total) = (errors?, total?);
            import::warn_grouping(cx, &[&errors, &total]);
            vec![("errors", errors), ("total", total)]
        }
        (None, Some(raw), None) => {
            let raw = mapping(cx, raw, "`sli.raw`", &[dialect.error_ratio_query])?;
            let ratio = query(cx, &raw, dialect.error_ratio_query)?;
            import::warn_grouping(cx, &[&ratio]);
            vec![("error_ratio", ratio)]
        }
        (None, None, Some(plugin)) => {
            plugin_unsupported(cx, plugin);
            return None;
        }
        _ => {
            cx.error_hint(
                node.position,
                "a Sloth SLI needs exactly one of `events`, `raw` or `plugin`",
                format!(
                    "for example `events: {{{}: ..., {}: ...}}`",
                    dialect.error_query, dialect.total_query
                ),
            );
            return None;
        }
    };
    let prometheus = import::mapping(node.position, prometheus);
    Some(import::mapping(
        node.position,
        vec![("prometheus", prometheus)],
    ))
}

/// The query under `key`, which must have the window placeholder, as Sloth requires.
fn query(cx: &mut Context<'_>, map: &Map<'_>, key: &str) -> Option<Node> {
    let node = map.require(cx, key, "the SLI")?;
    let query = text(cx, node, &format!("`{key}`"))?;
    native::require_window(cx, node, key, query)?;
    Some(node.clone())
}

fn plugin_unsupported(cx: &mut Context<'_>, node: &Node) {
    let id = match &node.kind {
        NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(key, _)| key.name == "id")
            .and_then(|(_, value)| value.scalar()),
        _ => None,
    };
    // A valid Sloth spec that nines cannot measure: the SLO is left out with a warning, so
    // that the other SLOs of the file are still read.
    cx.warning(
        node.position,
        format!(
            "this SLO is not kept: the Sloth SLI plugin `{}` is not supported, as nines cannot \
             run Sloth plugins",
            id.unwrap_or("(no id)")
        ),
        Some("write the plugin's queries out under `sli.events` or `sli.raw`".to_owned()),
    );
}

fn translate_alerting(cx: &mut Context<'_>, node: &Node, dialect: &Dialect) -> Option<Vec<Alert>> {
    let keys = [
        "name",
        "labels",
        "annotations",
        dialect.page_alert,
        dialect.ticket_alert,
    ];
    let map = mapping(cx, node, "`alerting`", &keys)?;
    let mut dropped: Vec<String> = ["name", "labels", "annotations"]
        .iter()
        .filter(|key| map.has(key))
        .map(|key| format!("`{key}`"))
        .collect();
    let page = alert_enabled(cx, &map, dialect.page_alert, &mut dropped)?;
    let ticket = alert_enabled(cx, &map, dialect.ticket_alert, &mut dropped)?;
    if !dropped.is_empty() {
        cx.warning(
            node.position,
            format!(
                "{} of `alerting` {} not kept: nines has no alert names, labels or annotations",
                dropped.join(", "),
                if dropped.len() == 1 { "is" } else { "are" }
            ),
            Some("route nines' alerts by the SLO and severity they carry".to_owned()),
        );
    }
    Some(standard_alerts(cx, node, page, ticket))
}

/// Whether the page or ticket alert under `key` is enabled; its labels and annotations are
/// added to `dropped`.
fn alert_enabled(
    cx: &mut Context<'_>,
    alerting: &Map<'_>,
    key: &str,
    dropped: &mut Vec<String>,
) -> Option<bool> {
    let Some(node) = alerting.get(key) else {
        return Some(true);
    };
    let map = mapping(
        cx,
        node,
        &format!("`{key}`"),
        &["disable", "labels", "annotations"],
    )?;
    for field in ["labels", "annotations"] {
        if map.has(field) {
            dropped.push(format!("`{key}.{field}`"));
        }
    }
    match map.get("disable") {
        Some(flag) => Some(!boolean(cx, flag, "`disable`")?),
        None => Some(true),
    }
}

/// The standard rules for Sloth's 30-day window: page at 14.4 and 6, ticket at 3 and 1.
fn standard_alerts(cx: &mut Context<'_>, node: &Node, page: bool, ticket: bool) -> Vec<Alert> {
    let window = Window::Rolling(WINDOW);
    alerting::preset_rules(Preset::Google30d, &window, Rescale::Lookbacks, 0.0)
        .into_iter()
        .filter(|rule| match rule.severity.as_str() {
            "page" => page,
            _ => ticket,
        })
        .map(|rule| Alert {
            file: cx.file.to_owned(),
            position: node.position,
            rule,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_minimal_spec_gets_the_standard_alerts() {
        let loaded = crate::load_str(
            "sloth.yaml",
            "version: prometheus/v1\nservice: api\nslos:\n  - name: ok\n    objective: 99.9\n    \
             sli:\n      raw:\n        error_ratio_query: x{w=\"{{.window}}\"}\n",
        );
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let slo = &loaded.catalog.services[0].slos[0];
        let factors: Vec<f64> = slo.alerts.iter().map(|a| a.factor).collect();
        assert_eq!(factors, [14.4, 6.0, 3.0, 1.0]);
    }
}
