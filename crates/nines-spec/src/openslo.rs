//! OpenSLO (`openslo/v1`, `openslo/v1alpha`, `openslo.com/v2alpha`) translated into `nines/v1`
//! nodes: services, SLOs with their SLIs, data sources and alert policies, inline or by
//! reference across the files of one load.
//!
//! Every OpenSLO objective becomes one nines SLO. SLIs measured by Prometheus become
//! Prometheus SLIs; SLIs from a `DataSource` of `type: nines` (which `nines export openslo`
//! writes) become event SLIs of that source. Settings only nines has ride along as annotations
//! under [`annotation::PREFIX`], so that exporting and importing again gives the same model.

mod alert;
mod metric;
mod objects;
mod slo;
mod window;

use std::collections::BTreeMap;

use crate::decode::{Context, text};
use crate::diagnostic::Diagnostics;
use crate::import::{self, Translation};
use crate::native::Document;
use crate::node::{Node, NodeKind};

use objects::{Index, Kind, Object};

/// The annotations that carry what only nines has, one name each for the importer and the
/// writer.
pub(crate) mod annotation {
    /// Every nines annotation starts with this.
    pub(crate) const PREFIX: &str = "nines.dev/";
    /// The nines name of a service, SLO or source, when OpenSLO's naming rules changed it.
    pub(crate) const NAME: &str = "nines.dev/name";
    /// A service's team.
    pub(crate) const TEAM: &str = "nines.dev/team";
    /// A service's lead.
    pub(crate) const LEAD: &str = "nines.dev/lead";
    /// A service's tier.
    pub(crate) const TIER: &str = "nines.dev/tier";
    /// A service's dependencies, as JSON.
    pub(crate) const DEPENDENCIES: &str = "nines.dev/dependencies";
    /// The service whose source a nines data source describes.
    pub(crate) const SERVICE: &str = "nines.dev/service";
    /// The name of the source a nines data source describes.
    pub(crate) const SOURCE: &str = "nines.dev/source";
    /// The named criteria an SLI's expressions use, as a JSON object.
    pub(crate) const CRITERIA: &str = "nines.dev/criteria";
    /// A Prometheus latency SLI (histogram, selector, threshold), as JSON.
    pub(crate) const HISTOGRAM: &str = "nines.dev/prometheus-histogram";
    /// The field an SLO's SLI is broken down by.
    pub(crate) const GROUP_BY: &str = "nines.dev/group-by";
    /// An SLO's exclusions, as JSON.
    pub(crate) const EXCLUSIONS: &str = "nines.dev/exclusions";
    /// What a timeslice without data counts as.
    pub(crate) const NO_DATA: &str = "nines.dev/no-data";
    /// An alert's short lookback.
    pub(crate) const SHORT_LOOKBACK: &str = "nines.dev/short-lookback";
    /// An alert's minimum of valid events.
    pub(crate) const MIN_EVENTS: &str = "nines.dev/min-events";
    /// The share of the budget an alert spends before firing, in percent.
    pub(crate) const BUDGET_SHARE: &str = "nines.dev/budget-share";
}

/// The notification target of the policies nines exports: nines routes its alerts by the SLO
/// and severity they carry, so importing them loses nothing.
pub(crate) const NOTIFICATION_TARGET: &str = "nines";

/// Translates every OpenSLO document of one load.
pub(crate) fn translate(documents: &[Document], diagnostics: &mut Diagnostics) -> Translation {
    let index = Index::build(documents, diagnostics);
    let mut translation = Translation::default();
    let mut names = BTreeMap::new();
    for object in index.of_kind(Kind::Service) {
        let cx = &mut Context {
            file: object.file,
            diagnostics,
        };
        if let Some(name) = translate_service(cx, object, &mut translation) {
            names.insert(object.name.clone(), name);
        }
    }
    for object in index.of_kind(Kind::DataSource) {
        let cx = &mut Context {
            file: object.file,
            diagnostics,
        };
        translate_data_source(cx, &index, object, &mut translation);
    }
    for object in index.of_kind(Kind::Slo) {
        slo::translate(&index, object, &names, &mut translation, diagnostics);
    }
    index.report_unused(diagnostics);
    translation
}

const SERVICE_ANNOTATIONS: [&str; 5] = [
    annotation::NAME,
    annotation::TEAM,
    annotation::LEAD,
    annotation::TIER,
    annotation::DEPENDENCIES,
];

/// A `Service` object as a nines service; returns the nines name.
fn translate_service(
    cx: &mut Context<'_>,
    object: &Object<'_>,
    translation: &mut Translation,
) -> Option<String> {
    let name_node = object.metadata.annotation(annotation::NAME);
    let name_node = name_node.or(object.metadata.name)?;
    let name = text(cx, name_node, "the service name")?.to_owned();
    let spec = crate::decode::mapping(cx, object.spec, "the Service spec", &["description"])?;
    if let Some(description) = spec.get("description") {
        let why = "nines services have no description";
        import::not_kept(cx, description.position, "spec.description", why);
    }
    notes(cx, object, &name, &SERVICE_ANNOTATIONS);
    let mut entries = vec![("name", import::scalar(&name, name_node.position))];
    if let Some(labels) = labels(cx, object.metadata.labels) {
        entries.push(("labels", labels));
    }
    for (key, annotation) in [
        ("team", annotation::TEAM),
        ("lead", annotation::LEAD),
        ("tier", annotation::TIER),
    ] {
        if let Some(value) = object.metadata.annotation(annotation) {
            entries.push((key, value.clone()));
        }
    }
    if let Some(node) = object.metadata.annotation(annotation::DEPENDENCIES) {
        entries.push((
            "dependencies",
            import::embedded(cx, node, "the dependencies")?,
        ));
    }
    let node = import::mapping(object.position, entries);
    translation.service(&name, object.file, node);
    Some(name)
}

/// A data source nines exported names the service whose source it describes: that source is
/// kept even when no SLO reads it.
fn translate_data_source(
    cx: &mut Context<'_>,
    index: &Index<'_>,
    object: &Object<'_>,
    translation: &mut Translation,
) {
    notes(
        cx,
        object,
        &object.name,
        &[annotation::SERVICE, annotation::SOURCE],
    );
    let Some(service) = object.metadata.annotation(annotation::SERVICE) else {
        return;
    };
    let Some(name) = text(cx, service, "the service") else {
        return;
    };
    index.mark_used(object);
    let (_, source) = metric::source_node(cx, object);
    let node = import::mapping(
        service.position,
        vec![("name", import::scalar(name, service.position))],
    );
    let service = translation.service(name, object.file, node);
    service.sources.push((object.file.to_owned(), source));
}

/// Warns about what the metadata holds that nines does not keep: a display name other than
/// the name (even one that differs only in case and spaces, since that is what is lost),
/// labels of objects other than services and SLOs, and annotations other than `consumed`.
fn notes(cx: &mut Context<'_>, object: &Object<'_>, name: &str, consumed: &[&str]) {
    if let Some(labels) = object.metadata.labels {
        if !matches!(object.kind, Kind::Service | Kind::Slo) {
            let why = "nines keeps the labels of services and SLOs";
            import::not_kept(cx, labels.position, "metadata.labels", why);
        }
    }
    if let Some(display) = display_name(object, name) {
        let why = "nines shows names as they are";
        import::not_kept(cx, display.position, "metadata.displayName", why);
    }
    let dropped: Vec<&str> = object
        .metadata
        .annotations
        .iter()
        .map(|(key, _)| key.name.as_str())
        .filter(|key| !consumed.contains(key))
        .collect();
    let Some((first, _)) = object
        .metadata
        .annotations
        .iter()
        .find(|(key, _)| !consumed.contains(&key.name.as_str()))
    else {
        return;
    };
    let field = format!("metadata.annotations ({})", dropped.join(", "));
    let why = if dropped
        .iter()
        .any(|key| key.starts_with(annotation::PREFIX))
    {
        "nines does not use these annotations on this kind of object"
    } else {
        "nines has no annotations"
    };
    import::not_kept(cx, first.position, &field, why);
}

/// The object's display name, unless it is the name itself.
fn display_name<'d>(object: &Object<'d>, name: &str) -> Option<&'d Node> {
    let display = object.metadata.display_name?;
    let shown = display.scalar().unwrap_or_default().trim();
    (shown != name && shown != object.name).then_some(display)
}

/// True when `a` and `b` differ only in case and separators (`Checkout API`, `checkout-api`).
fn same_words(a: &str, b: &str) -> bool {
    let words = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    words(a) == words(b)
}

/// OpenSLO labels (values are strings or lists of strings) as a nines labels mapping; a list
/// of several values is joined with commas, with a warning, as nines labels hold one value.
fn labels(cx: &mut Context<'_>, node: Option<&Node>) -> Option<Node> {
    let node = node?;
    let NodeKind::Mapping(entries) = &node.kind else {
        cx.error(
            node.position,
            format!("labels must be a mapping, not {}", node.kind_name()),
        );
        return None;
    };
    let mut labels = Vec::new();
    for (key, value) in entries {
        let text = match &value.kind {
            NodeKind::Sequence(items) => {
                let values: Vec<&str> = items.iter().filter_map(Node::scalar).collect();
                if values.len() > 1 {
                    cx.warning(
                        value.position,
                        format!(
                            "label `{}` has {} values; nines labels hold one, so they are \
                             joined as `{}`",
                            key.name,
                            values.len(),
                            values.join(",")
                        ),
                        None,
                    );
                }
                values.join(",")
            }
            _ => match crate::decode::text(cx, value, &format!("label `{}`", key.name)) {
                Some(text) => text.to_owned(),
                None => continue,
            },
        };
        labels.push((key.name.as_str(), import::scalar(text, value.position)));
    }
    Some(import::mapping(node.position, labels))
}

/// Lowercase letters and digits, words joined by `-`.
pub(crate) fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}
