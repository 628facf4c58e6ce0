//! What the imported formats (OpenSLO, Sloth) share: documents are routed by their version,
//! translated into `nines/v1` nodes that keep the positions of the text they came from, and
//! decoded by the native decoder, so that every format is checked by the same rules and its
//! problems are reported at the same file:line:col.
//!
//! Parts of one imported SLO may come from several files (an OpenSLO SLO in one, the SLI it
//! refers to in another), so each part is decoded with the file it was written in.

pub(crate) mod shape;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use nines_core::slo::{AlertRule, Service, Slo};

use crate::alerting;
use crate::decode::{Context, text};
use crate::diagnostic::Diagnostics;
use crate::expr::{self, Scope};
use crate::native::{self, Document, NamedCriterion};
use crate::node::{Key, Node, NodeKind, Position};

/// The format of one document, told by its version key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Format {
    Native,
    OpenSlo,
    Sloth,
    Empty,
    /// A Kubernetes list (`kind: List`, as `kubectl get -o yaml` writes): its items are read.
    List,
    /// A document of another API, such as a Deployment beside the SLOs in one manifest: it is
    /// skipped. The text says what it is.
    Other(String),
}

/// Documents of the imported formats, set apart from the native ones.
#[derive(Default)]
pub(crate) struct Foreign {
    pub(crate) openslo: Vec<Document>,
    pub(crate) sloth: Vec<Document>,
}

impl Foreign {
    /// Sends `root` to the decoder of its format: native documents go to `native`. A YAML list
    /// of documents (as OpenSLO tools write them) and a Kubernetes `List` are split into their
    /// items; a document of another API is skipped with a warning.
    pub(crate) fn route(
        &mut self,
        file: &Path,
        root: Node,
        native: &mut Vec<Document>,
        diagnostics: &mut Diagnostics,
    ) {
        let format = format_of(&root);
        if let NodeKind::Sequence(items) = &root.kind {
            if items.iter().any(|item| format_of(item) != Format::Native) {
                for item in items.clone() {
                    self.route(file, item, native, diagnostics);
                }
                return;
            }
        }
        if format == Format::List {
            let items = match value_of(&root, "items").map(|items| &items.kind) {
                Some(NodeKind::Sequence(items)) => items.clone(),
                _ => Vec::new(),
            };
            for item in items {
                self.route(file, item, native, diagnostics);
            }
            return;
        }
        let document = Document {
            file: file.to_owned(),
            root,
        };
        match format {
            Format::Native => native.push(document),
            Format::OpenSlo => self.openslo.push(document),
            Format::Sloth => self.sloth.push(document),
            Format::Empty | Format::List => {}
            Format::Other(what) => diagnostics.warning(
                file,
                document.root.position,
                format!("{what} is not an SLO document; skipped"),
                None,
            ),
        }
    }
}

fn format_of(root: &Node) -> Format {
    if root.is_null() {
        return Format::Empty;
    }
    if !matches!(root.kind, NodeKind::Mapping(_)) {
        return Format::Native;
    }
    let value = |name: &str| value_of(root, name).and_then(Node::scalar);
    let kind = value("kind");
    let items = value_of(root, "items").map(|items| &items.kind);
    if kind.is_some_and(|kind| kind.ends_with("List"))
        && matches!(items, Some(NodeKind::Sequence(_)))
    {
        return Format::List;
    }
    match value("apiVersion") {
        Some(version) if version.starts_with("openslo/") || version.starts_with("openslo.com/") => {
            Format::OpenSlo
        }
        Some(version) if version.starts_with("sloth.slok.dev/") => Format::Sloth,
        // Every Kubernetes object names its kind; without one, `apiVersion: v1` is more
        // likely a slip for `nines/v1`, which the native decoder reports.
        Some(version) if kind.is_some() && is_other_api(version) => Format::Other(format!(
            "`{}` of `apiVersion: {version}`",
            kind.unwrap_or_default()
        )),
        Some(_) => Format::Native,
        None if value("version").is_some_and(|v| v.starts_with("prometheus/")) => Format::Sloth,
        None => Format::Native,
    }
}

fn value_of<'n>(root: &'n Node, name: &str) -> Option<&'n Node> {
    match &root.kind {
        NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(key, _)| key.name == name)
            .map(|(_, value)| value),
        _ => None,
    }
}

/// The API groups of Kubernetes itself that have no dot in their name.
const CORE_GROUPS: [&str; 5] = ["apps", "batch", "autoscaling", "policy", "extensions"];

/// True for the version of an API that is clearly not an SLO spec: Kubernetes' core `v1`,
/// its groups (`apps/v1`), and groups named by a domain (`kustomize.config.k8s.io/v1beta1`).
/// A version that could be a misspelt SLO format (`nines/v2`, `openslo/v3`, `nine/v1`) is
/// not one, so that its decoder reports it.
fn is_other_api(version: &str) -> bool {
    let is_version = |text: &str| {
        text.strip_prefix('v').is_some_and(|rest| {
            rest.starts_with(|c: char| c.is_ascii_digit())
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
        })
    };
    let Some((group, version)) = version.split_once('/') else {
        return is_version(version);
    };
    let lower = group.to_ascii_lowercase();
    let like_slo = ["nines", "slo", "sloth"]
        .iter()
        .any(|word| lower.contains(word));
    is_version(version) && !like_slo && (group.contains('.') || CORE_GROUPS.contains(&group))
}

/// Imported documents as `nines/v1` nodes, ready for the native decoder.
#[derive(Default)]
pub(crate) struct Translation {
    /// Services, in the order first seen.
    pub(crate) services: Vec<ServiceNodes>,
    /// Named criteria carried along by documents that nines exported.
    pub(crate) criteria: Vec<CriterionNode>,
}

impl Translation {
    /// The service called `name`, added (defined at `file` and `node`) if it is new.
    pub(crate) fn service(&mut self, name: &str, file: &Path, node: Node) -> &mut ServiceNodes {
        let index = match self.services.iter().position(|s| s.name == name) {
            Some(index) => index,
            None => {
                self.services.push(ServiceNodes {
                    name: name.to_owned(),
                    file: file.to_owned(),
                    node,
                    sources: Vec::new(),
                    slos: Vec::new(),
                });
                self.services.len() - 1
            }
        };
        &mut self.services[index]
    }

    /// Adds the services of another format. A service both formats define is one service
    /// with the SLOs and sources of both: its labels are joined, and where both give one label
    /// different values, the value already here is kept, with a warning where the other is.
    pub(crate) fn merge(&mut self, services: Vec<ServiceNodes>, diagnostics: &mut Diagnostics) {
        for other in services {
            let Some(service) = self.services.iter_mut().find(|s| s.name == other.name) else {
                self.services.push(other);
                continue;
            };
            let cx = &mut Context {
                file: &other.file,
                diagnostics: &mut *diagnostics,
            };
            merge_labels(cx, service, &other.node);
            service.sources.extend(other.sources);
            service.slos.extend(other.slos);
        }
    }
}

/// Joins the labels of `other`, a service node of another format, into `service`'s.
fn merge_labels(cx: &mut Context<'_>, service: &mut ServiceNodes, other: &Node) {
    let Some(labels) = value_of(other, "labels") else {
        return;
    };
    let (file, name) = (service.file.clone(), service.name.clone());
    let NodeKind::Mapping(entries) = &mut service.node.kind else {
        return;
    };
    let Some((_, kept)) = entries.iter_mut().find(|(key, _)| key.name == "labels") else {
        entries.push((
            Key {
                name: "labels".to_owned(),
                position: labels.position,
            },
            labels.clone(),
        ));
        return;
    };
    let (NodeKind::Mapping(kept), NodeKind::Mapping(added)) = (&mut kept.kind, &labels.kind) else {
        return;
    };
    for (key, value) in added {
        match kept.iter().find(|(k, _)| k.name == key.name) {
            None => kept.push((key.clone(), value.clone())),
            Some((_, first)) if first.scalar() != value.scalar() => cx.warning(
                value.position,
                format!(
                    "label `{}` of service `{name}` is not kept: the service is also defined \
                     at {}:{}:{}, with `{}: {}`",
                    key.name,
                    file.display(),
                    first.position.line,
                    first.position.column,
                    key.name,
                    first.scalar().unwrap_or_default()
                ),
                Some("give the label one value in both files".to_owned()),
            ),
            Some(_) => {}
        }
    }
}

/// A service as a `nines/v1` mapping without sources and SLOs, which come separately because
/// they may be written in other files.
pub(crate) struct ServiceNodes {
    pub(crate) name: String,
    pub(crate) file: PathBuf,
    pub(crate) node: Node,
    /// Telemetry sources, each with the file it was written in.
    pub(crate) sources: Vec<(PathBuf, Node)>,
    pub(crate) slos: Vec<SloNodes>,
}

/// One SLO as a `nines/v1` mapping without `alerting`: its alerts are built directly, because
/// other formats describe them rule by rule.
pub(crate) struct SloNodes {
    pub(crate) file: PathBuf,
    pub(crate) node: Node,
    /// The CEL expressions of an event SLI, with the file they were written in and the source
    /// they read, checked there before the SLO is decoded.
    pub(crate) expressions: Option<Expressions>,
    pub(crate) alerts: Vec<Alert>,
}

/// The expressions of an event SLI.
pub(crate) struct Expressions {
    pub(crate) file: PathBuf,
    pub(crate) source: String,
    pub(crate) nodes: Vec<Node>,
}

/// One alert rule with where it was written.
#[derive(Clone)]
pub(crate) struct Alert {
    pub(crate) file: PathBuf,
    pub(crate) position: Position,
    pub(crate) rule: AlertRule,
}

/// A named criterion carried along by an exported document.
pub(crate) struct CriterionNode {
    pub(crate) file: PathBuf,
    pub(crate) name: String,
    pub(crate) node: Node,
}

/// Adds the imported criteria to the native ones; the same definition twice is fine, two
/// different ones are an error.
pub(crate) fn add_criteria(
    criteria: &mut BTreeMap<String, NamedCriterion>,
    imported: &[CriterionNode],
    diagnostics: &mut Diagnostics,
) {
    for criterion in imported {
        let cx = &mut Context {
            file: &criterion.file,
            diagnostics,
        };
        let Some(source) = text(
            cx,
            &criterion.node,
            &format!("criterion `{}`", criterion.name),
        ) else {
            continue;
        };
        if let Some(first) = criteria.get(&criterion.name) {
            if first.text != source {
                cx.error_hint(
                    criterion.node.position,
                    format!(
                        "criterion `{}` is defined twice, differently",
                        criterion.name
                    ),
                    format!(
                        "it is first defined at {}:{}:{} as `{}`",
                        first.file.display(),
                        first.position.line,
                        first.position.column,
                        first.text
                    ),
                );
            }
            continue;
        }
        native::check_criterion(cx, &criterion.name, source, &criterion.node);
        criteria.insert(
            criterion.name.clone(),
            NamedCriterion {
                text: source.to_owned(),
                file: criterion.file.clone(),
                position: criterion.node.position,
            },
        );
    }
}

/// Decodes the translated services with the native decoder.
pub(crate) fn decode(
    translation: Translation,
    criteria: &BTreeMap<String, String>,
    diagnostics: &mut Diagnostics,
) -> Vec<native::Imported> {
    translation
        .services
        .into_iter()
        .filter_map(|nodes| decode_service(nodes, criteria, diagnostics))
        .collect()
}

fn decode_service(
    nodes: ServiceNodes,
    criteria: &BTreeMap<String, String>,
    diagnostics: &mut Diagnostics,
) -> Option<native::Imported> {
    let cx = &mut Context {
        file: &nodes.file,
        diagnostics,
    };
    let mut service = native::decode_service(cx, &nodes.node, criteria)?;
    for (file, node) in &nodes.sources {
        let cx = &mut Context { file, diagnostics };
        let Some(source) = native::decode_source(cx, node) else {
            continue;
        };
        if !service.sources.iter().any(|s| s.name == source.name) {
            service.sources.push(source);
        }
    }
    let mut names = BTreeSet::new();
    for slo_nodes in &nodes.slos {
        let Some(slo) = decode_slo(slo_nodes, &service, criteria, diagnostics) else {
            continue;
        };
        if !names.insert(slo.name.clone()) {
            diagnostics.error_hint(
                &slo_nodes.file,
                slo_nodes.node.position,
                format!("SLO `{}` is defined twice in `{}`", slo.name, service.name),
                "give each SLO of a service its own name",
            );
            continue;
        }
        service.slos.push(slo);
    }
    Some(native::Imported {
        service,
        file: nodes.file,
        position: nodes.node.position,
    })
}

fn decode_slo(
    nodes: &SloNodes,
    service: &Service,
    criteria: &BTreeMap<String, String>,
    diagnostics: &mut Diagnostics,
) -> Option<Slo> {
    if let Some(expressions) = &nodes.expressions {
        if !expressions_compile(expressions, service, criteria, diagnostics) {
            return None;
        }
    }
    let cx = &mut Context {
        file: &nodes.file,
        diagnostics,
    };
    let mut slo = native::decode_slo(cx, &nodes.node, service, criteria)?;
    for alert in &nodes.alerts {
        let cx = &mut Context {
            file: &alert.file,
            diagnostics,
        };
        alerting::check_rule(cx, &alert.rule, &slo.window, slo.objective, alert.position);
    }
    slo.alerts = nodes
        .alerts
        .iter()
        .map(|alert| alert.rule.clone())
        .collect();
    Some(slo)
}

/// Compiles an event SLI's expressions where they were written, so that their problems are
/// reported in that file; the native decoder compiles them again without finding any.
fn expressions_compile(
    expressions: &Expressions,
    service: &Service,
    criteria: &BTreeMap<String, String>,
    diagnostics: &mut Diagnostics,
) -> bool {
    let Some(source) = service
        .sources
        .iter()
        .find(|s| s.name == expressions.source)
    else {
        // The source did not decode; its own errors say why.
        return false;
    };
    let fields = source.format.fields();
    let scope = Scope::new(&fields, criteria);
    let cx = &mut Context {
        file: &expressions.file,
        diagnostics,
    };
    let mut ok = true;
    for node in &expressions.nodes {
        let Some(source) = text(cx, node, "an expression") else {
            ok = false;
            continue;
        };
        if let Err(errors) = expr::compile(source, &scope) {
            ok = false;
            for error in errors {
                let at = node.position_at(error.offset);
                match error.hint {
                    Some(hint) => cx.error_hint(at, error.message, hint),
                    None => cx.error(at, error.message),
                }
            }
        }
    }
    ok
}

/// Warns at the first of `queries` whose result is split into groups (`by (namespace)`):
/// nines measures one SLI per SLO, so the groups are summed into one, and a group that fails
/// alone is diluted by the others.
pub(crate) fn warn_grouping(cx: &mut Context<'_>, queries: &[&Node]) {
    let grouped = queries.iter().find_map(|node| {
        let clause = shape::grouping(node.scalar()?)?;
        Some((node.position, clause))
    });
    let Some((at, clause)) = grouped else {
        return;
    };
    let hint = match clause.strip_prefix("by (") {
        Some(labels) => format!(
            "write one SLO per group, each selecting its own {}, or leave out the grouping \
             to measure them as one",
            labels.trim_end_matches(')')
        ),
        None => "write one SLO per group, each selecting its own labels, or leave out the \
                 grouping to measure them as one"
            .to_owned(),
    };
    cx.warning(
        at,
        format!(
            "the query is grouped `{clause}`, but nines measures one SLI per SLO: the groups \
             are summed into one, and a group that fails alone is diluted by the others"
        ),
        Some(hint),
    );
}

/// Reports that `field` is not kept, and why.
pub(crate) fn not_kept(cx: &mut Context<'_>, at: Position, field: &str, why: &str) {
    cx.warning(at, format!("`{field}` is not kept: {why}"), None);
}

/// A scalar made by a translation, at the position of what it was made from. It counts as
/// quoted so that no text of it reads as null.
pub(crate) fn scalar(text: impl Into<String>, at: Position) -> Node {
    Node {
        position: at,
        kind: NodeKind::Scalar {
            text: text.into(),
            quoted: true,
        },
    }
}

/// A mapping made by a translation.
pub(crate) fn mapping(at: Position, entries: Vec<(&str, Node)>) -> Node {
    let entries = entries
        .into_iter()
        .map(|(name, value)| {
            let key = Key {
                name: name.to_owned(),
                position: value.position,
            };
            (key, value)
        })
        .collect();
    Node {
        position: at,
        kind: NodeKind::Mapping(entries),
    }
}

/// The YAML (or JSON) held as text in `node`, such as an annotation's value, with every
/// position moved to `node`'s, since that is all a reader can find in the file.
pub(crate) fn embedded(cx: &mut Context<'_>, node: &Node, what: &str) -> Option<Node> {
    let source = text(cx, node, what)?;
    match crate::node::parse(source) {
        Ok(mut documents) if documents.len() == 1 => {
            let mut value = documents.remove(0);
            relocate(&mut value, node.position);
            Some(value)
        }
        Ok(_) => {
            cx.error(node.position, format!("{what} must hold one JSON value"));
            None
        }
        Err(error) => {
            cx.error_hint(
                node.position,
                format!("{what} is not valid JSON: {}", error.message),
                "nines writes these annotations itself; export the spec again",
            );
            None
        }
    }
}

fn relocate(node: &mut Node, at: Position) {
    node.position = at;
    match &mut node.kind {
        NodeKind::Scalar { .. } => {}
        NodeKind::Sequence(items) => items.iter_mut().for_each(|item| relocate(item, at)),
        NodeKind::Mapping(entries) => {
            for (key, value) in entries {
                key.position = at;
                relocate(value, at);
            }
        }
    }
}

/// Exact conversions between a ratio in [0, 1] (OpenSLO's targets) and a percentage (nines').
pub(crate) mod ratio {
    use nines_core::decimal::Decimal;

    /// `0.999` → `99.9`, exactly; `None` when `text` is not a plain decimal.
    pub(crate) fn to_percent(text: &str) -> Option<String> {
        let ratio: Decimal = text.trim().parse().ok()?;
        let percent = match ratio.scale() {
            scale if scale >= 2 => Decimal::from_parts(ratio.digits(), scale - 2),
            scale => Decimal::from_parts(ratio.digits().checked_mul(10u64.pow(2 - scale))?, 0),
        };
        Some(percent.to_string())
    }

    /// `99.9` → `0.999`, exactly.
    pub(crate) fn from_percent(percent: Decimal) -> String {
        Decimal::from_parts(percent.digits(), percent.scale() + 2).to_string()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn ratios_and_percentages_convert_exactly() {
            assert_eq!(to_percent("0.999").as_deref(), Some("99.9"));
            assert_eq!(to_percent("0.99990").as_deref(), Some("99.99"));
            assert_eq!(to_percent("0.5").as_deref(), Some("50"));
            assert_eq!(to_percent("1").as_deref(), Some("100"));
            assert_eq!(to_percent("9.99e-1"), None);
            let percent: Decimal = "99.95".parse().unwrap();
            assert_eq!(from_percent(percent), "0.9995");
            assert_eq!(from_percent("95".parse().unwrap()), "0.95");
        }
    }
}
