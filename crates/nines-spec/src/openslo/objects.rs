//! OpenSLO objects of one load, indexed by kind and name so that references may cross files,
//! with their metadata read once.

use std::cell::Cell;
use std::path::Path;

use crate::decode::{Context, Map, list, mapping, text};
use crate::diagnostic::{Diagnostics, did_you_mean};
use crate::import;
use crate::native::Document;
use crate::node::{Key, Node, NodeKind, Position};

/// The versions of OpenSLO read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    /// `openslo/v1alpha`: metrics inline in objectives, `timeWindows` with count and unit.
    V1Alpha,
    /// `openslo/v1`.
    V1,
    /// `openslo.com/v2alpha`: `sli`/`sliRef`, data sources by `dataSourceRef`.
    V2Alpha,
}

impl Version {
    const NAMES: [&'static str; 3] = ["openslo/v1", "openslo/v1alpha", "openslo.com/v2alpha"];

    fn from_name(name: &str) -> Option<Version> {
        match name {
            "openslo/v1" => Some(Version::V1),
            "openslo/v1alpha" => Some(Version::V1Alpha),
            "openslo.com/v2alpha" | "openslo/v2alpha" | "openslo/v2alpha1" => {
                Some(Version::V2Alpha)
            }
            _ => None,
        }
    }
}

/// The kinds of OpenSLO object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Service,
    Slo,
    Sli,
    DataSource,
    AlertPolicy,
    AlertCondition,
    AlertNotificationTarget,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Service,
        Kind::Slo,
        Kind::Sli,
        Kind::DataSource,
        Kind::AlertPolicy,
        Kind::AlertCondition,
        Kind::AlertNotificationTarget,
    ];

    /// The name documents use.
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Service => "Service",
            Kind::Slo => "SLO",
            Kind::Sli => "SLI",
            Kind::DataSource => "DataSource",
            Kind::AlertPolicy => "AlertPolicy",
            Kind::AlertCondition => "AlertCondition",
            Kind::AlertNotificationTarget => "AlertNotificationTarget",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// One OpenSLO object, top-level or inline.
#[derive(Clone)]
pub(super) struct Object<'d> {
    pub(super) version: Version,
    pub(super) kind: Kind,
    /// `metadata.name`; empty for inline objects that have none.
    pub(super) name: String,
    pub(super) file: &'d Path,
    pub(super) position: Position,
    pub(super) metadata: Metadata<'d>,
    pub(super) spec: &'d Node,
}

/// What an object's metadata holds.
#[derive(Clone, Default)]
pub(super) struct Metadata<'d> {
    pub(super) name: Option<&'d Node>,
    pub(super) display_name: Option<&'d Node>,
    pub(super) labels: Option<&'d Node>,
    pub(super) annotations: Vec<(&'d Key, &'d Node)>,
}

impl<'d> Metadata<'d> {
    /// The annotation `key`, if present.
    pub(super) fn annotation(&self, key: &str) -> Option<&'d Node> {
        self.annotations
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, value)| *value)
    }
}

const METADATA_KEYS: [&str; 5] = ["name", "displayName", "labels", "annotations", "namespace"];

fn metadata<'d>(cx: &mut Context<'_>, node: &'d Node) -> Option<Metadata<'d>> {
    let map = mapping(cx, node, "`metadata`", &METADATA_KEYS)?;
    let annotations = match map.get("annotations").map(|n| &n.kind) {
        Some(NodeKind::Mapping(entries)) => entries.iter().map(|(k, v)| (k, v)).collect(),
        Some(_) => {
            let node = map.get("annotations")?;
            cx.error(
                node.position,
                format!("annotations must be a mapping, not {}", node.kind_name()),
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    if let Some(namespace) = map.get("namespace") {
        let why = "nines has no namespaces; names must be unique in one load";
        import::not_kept(cx, namespace.position, "metadata.namespace", why);
    }
    Some(Metadata {
        name: map.get("name"),
        display_name: map.get("displayName"),
        labels: map.get("labels"),
        annotations,
    })
}

/// The draft v2alpha kind that gives budget back for known unreliability.
const ADJUSTMENT: &str = "BudgetAdjustment";

/// Reads a top-level document as an object.
fn object<'d>(cx: &mut Context<'_>, file: &'d Path, root: &'d Node) -> Option<Object<'d>> {
    let top = mapping(
        cx,
        root,
        "an OpenSLO document",
        &["apiVersion", "kind", "metadata", "spec"],
    )?;
    let version_node = top.require(cx, "apiVersion", "an OpenSLO document")?;
    let version_text = text(cx, version_node, "`apiVersion`")?;
    let Some(version) = Version::from_name(version_text) else {
        cx.error_hint(
            version_node.position,
            format!("unsupported OpenSLO version `{version_text}`"),
            format!("nines reads {}", list(&Version::NAMES)),
        );
        return None;
    };
    if version == Version::V2Alpha && top.get("kind").and_then(Node::scalar) == Some(ADJUSTMENT) {
        let at = top.get("kind").map_or(root.position, |n| n.position);
        let name = top
            .get("metadata")
            .and_then(|metadata| match &metadata.kind {
                NodeKind::Mapping(entries) => entries.iter().find(|(k, _)| k.name == "name"),
                _ => None,
            })
            .and_then(|(_, name)| name.scalar())
            .unwrap_or_default();
        cx.warning(
            at,
            format!("{ADJUSTMENT} `{name}` is not kept: nines has no budget adjustments"),
            Some("write the interval as an exclusion of the SLO, with its reason".to_owned()),
        );
        return None;
    }
    let kind = kind(cx, &top)?;
    let metadata_node = top.require(cx, "metadata", "an OpenSLO document")?;
    let metadata = metadata(cx, metadata_node)?;
    let name = metadata
        .name
        .or_else(|| {
            cx.error(metadata_node.position, "the metadata has no `name`");
            None
        })
        .and_then(|n| text(cx, n, "the name"))?
        .to_owned();
    let spec = top.require(cx, "spec", "an OpenSLO document")?;
    Some(Object {
        version,
        kind,
        name,
        file,
        position: root.position,
        metadata,
        spec,
    })
}

fn kind(cx: &mut Context<'_>, top: &Map<'_>) -> Option<Kind> {
    let node = top.require(cx, "kind", "an OpenSLO document")?;
    let name = text(cx, node, "`kind`")?;
    let found = Kind::from_name(name);
    if found.is_none() {
        let names = Kind::ALL.map(Kind::name);
        let hint = match did_you_mean(name, names) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("OpenSLO kinds are {}", list(&names)),
        };
        cx.error_hint(
            node.position,
            format!("unknown OpenSLO kind `{name}`"),
            hint,
        );
    }
    found
}

/// Reads an object written inline (`kind`, `metadata` and `spec`, the first two optional),
/// such as an SLO's indicator or an alert policy's condition.
pub(super) fn inline<'d>(
    cx: &mut Context<'_>,
    file: &'d Path,
    node: &'d Node,
    kind: Kind,
    version: Version,
) -> Option<Object<'d>> {
    let what = format!("an inline {}", kind.name());
    let map = mapping(cx, node, &what, &["kind", "metadata", "spec"])?;
    if let Some(written) = map.get("kind").and_then(|n| text(cx, n, "`kind`")) {
        if written != kind.name() {
            cx.error(
                node.position,
                format!("expected `kind: {}` here, not `{written}`", kind.name()),
            );
            return None;
        }
    }
    let metadata = match map.get("metadata") {
        Some(node) => metadata(cx, node)?,
        None => Metadata::default(),
    };
    let name = metadata
        .name
        .and_then(Node::scalar)
        .unwrap_or_default()
        .to_owned();
    Some(Object {
        version,
        kind,
        name,
        file,
        position: node.position,
        metadata,
        spec: map.require(cx, "spec", &what)?,
    })
}

/// Every object of one load.
pub(super) struct Index<'d> {
    objects: Vec<Object<'d>>,
    used: Vec<Cell<bool>>,
}

impl<'d> Index<'d> {
    /// Reads every document; an object defined twice is an error.
    pub(super) fn build(documents: &'d [Document], diagnostics: &mut Diagnostics) -> Index<'d> {
        let mut objects: Vec<Object<'d>> = Vec::new();
        for document in documents {
            let cx = &mut Context {
                file: &document.file,
                diagnostics,
            };
            let Some(object) = object(cx, &document.file, &document.root) else {
                continue;
            };
            let twin = objects
                .iter()
                .find(|o| o.kind == object.kind && o.name == object.name);
            if let Some(first) = twin {
                cx.error_hint(
                    object.position,
                    format!("{} `{}` is defined twice", object.kind.name(), object.name),
                    format!(
                        "it is first defined at {}:{}:{}",
                        first.file.display(),
                        first.position.line,
                        first.position.column
                    ),
                );
                continue;
            }
            objects.push(object);
        }
        let used = objects.iter().map(|_| Cell::new(false)).collect();
        Index { objects, used }
    }

    /// The objects of `kind`, in the order read.
    pub(super) fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Object<'d>> {
        self.objects.iter().filter(move |o| o.kind == kind)
    }

    /// The object of `kind` named in `node`, marked as used; an unknown name is an error.
    pub(super) fn resolve(
        &self,
        cx: &mut Context<'_>,
        kind: Kind,
        node: &Node,
    ) -> Option<&Object<'d>> {
        let name = text(cx, node, &format!("the {} name", kind.name()))?;
        let found = self
            .objects
            .iter()
            .position(|o| o.kind == kind && o.name == name);
        match found {
            Some(index) => {
                self.used[index].set(true);
                Some(&self.objects[index])
            }
            None => {
                let names = self.of_kind(kind).map(|o| o.name.as_str());
                let hint = match did_you_mean(name, names) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!(
                        "define it with `kind: {}` in a file of the same load",
                        kind.name()
                    ),
                };
                cx.error_hint(
                    node.position,
                    format!("unknown {} `{name}`", kind.name()),
                    hint,
                );
                None
            }
        }
    }

    /// Marks `object` as used.
    pub(super) fn mark_used(&self, object: &Object<'_>) {
        let found = self
            .objects
            .iter()
            .position(|o| o.kind == object.kind && o.name == object.name);
        if let Some(index) = found {
            self.used[index].set(true);
        }
    }

    /// Warns about the objects no SLO used, since nines keeps only what SLOs use, and about
    /// every notification target, since nines does not send notifications.
    pub(super) fn report_unused(&self, diagnostics: &mut Diagnostics) {
        for (object, used) in self.objects.iter().zip(&self.used) {
            let why = match object.kind {
                Kind::Service | Kind::Slo => continue,
                Kind::AlertNotificationTarget => "nines does not send notifications yet",
                _ if used.get() => continue,
                _ => "no SLO refers to it",
            };
            diagnostics.warning(
                object.file,
                object.position,
                format!(
                    "{} `{}` is not kept: {why}",
                    object.kind.name(),
                    object.name
                ),
                None,
            );
        }
    }
}
