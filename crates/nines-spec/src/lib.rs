//! Spec formats of nines: the `nines/v1` YAML and the CEL expressions inside it, OpenSLO and
//! Sloth specs, turned into the validated core model with diagnostics that point at the
//! offending text; and the writers that turn the model back into `nines/v1` or OpenSLO.
//!
//! [`load`] reads files and directories, checks everything it can, and returns both the
//! [`Catalog`] of what was valid and every problem found, so that one run reports them all.
//! Documents are told apart by their version key (`apiVersion`, or Sloth's `version`), so the
//! formats may be mixed freely in one load; documents of other Kubernetes APIs in the same
//! manifest are skipped with a warning, and the items of a Kubernetes `List` are read.

mod alerting;
mod decode;
pub mod diagnostic;
pub mod expr;
mod import;
mod native;
pub mod node;
mod openslo;
mod promql;
mod sloth;
mod sources;
pub mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nines_core::slo::Catalog;

pub use alerting::{Preset, Rescale, factor_for_share, preset_rules};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use native::API_VERSION;

/// What loading spec files gave.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The services and SLOs that decoded without error.
    pub catalog: Catalog,
    /// The named criteria, by name, as CEL text: SLI expressions refer to them, so writers
    /// need them to write the expressions back.
    pub criteria: BTreeMap<String, String>,
    /// Every problem, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Warnings about what sound specs mean for the commands that run them, such as an SLO
    /// that only the generated rules measure; `nines validate` shows them with the
    /// problems. Sorted by file and position.
    pub notes: Vec<Diagnostic>,
    /// The files read.
    pub files: Vec<PathBuf>,
}

impl Loaded {
    /// True when any problem is an error: the catalog is then incomplete.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// How many problems have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Loads every spec file in `paths`; directories are searched recursively for `.yaml` and
/// `.yml` files, in name order.
pub fn load(paths: &[PathBuf]) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let mut files = Vec::new();
    for path in paths {
        let before = files.len();
        collect_files(path, &mut files, &mut diagnostics);
        if files.len() == before && path.is_dir() {
            diagnostics.error_hint(
                path,
                node::Position { line: 1, column: 1 },
                "the directory holds no spec files: there is nothing to check",
                "spec files end in .yaml or .yml; give a directory that holds some, or the files",
            );
        }
    }
    // A file reached twice (`specs/` and `specs/api.yaml`) is read once, so that its services
    // are not defined twice and its diagnostics not shown twice.
    let mut seen = std::collections::HashSet::new();
    files.retain(|file| seen.insert(std::fs::canonicalize(file).unwrap_or_else(|_| file.clone())));
    let texts: Vec<(PathBuf, String)> = files
        .iter()
        .filter_map(|file| match std::fs::read_to_string(file) {
            Ok(text) => Some((file.clone(), text)),
            Err(error) => {
                let at = node::Position { line: 1, column: 1 };
                diagnostics.error(file, at, format!("cannot read the file: {error}"));
                None
            }
        })
        .collect();
    let mut loaded = load_texts(&texts, diagnostics);
    loaded.files = files;
    loaded
}

/// Loads specs from text, as if read from files named as given (for tests and stdin).
pub fn load_str(name: &str, text: &str) -> Loaded {
    load_texts(
        &[(PathBuf::from(name), text.to_owned())],
        Diagnostics::default(),
    )
}

fn load_texts(texts: &[(PathBuf, String)], mut diagnostics: Diagnostics) -> Loaded {
    // Parse every file, and set the documents of other formats apart by their version.
    let mut documents = Vec::new();
    let mut foreign = import::Foreign::default();
    for (file, text) in texts {
        match node::parse(text) {
            Ok(roots) if roots.iter().all(node::Node::is_null) => diagnostics.error_hint(
                file,
                node::Position { line: 1, column: 1 },
                "the file is empty: there is nothing to check",
                format!("start a spec with `apiVersion: {API_VERSION}`, or leave the file out"),
            ),
            Ok(roots) => {
                for root in roots {
                    foreign.route(file, root, &mut documents, &mut diagnostics);
                }
            }
            Err(error) => diagnostics.error_hint(
                file,
                error.position,
                format!("this is not valid YAML: {}", error.message),
                "check the indentation and quoting near this line",
            ),
        }
    }

    // Translate the other formats into native nodes; a service both define is merged, and
    // their criteria join the native ones.
    let mut translation = openslo::translate(&foreign.openslo, &mut diagnostics);
    let sloth = sloth::translate(&foreign.sloth, &mut diagnostics);
    translation.merge(sloth, &mut diagnostics);
    let mut criteria = native::collect_criteria(&documents, &mut diagnostics);
    import::add_criteria(&mut criteria, &translation.criteria, &mut diagnostics);
    native::check_cycles(&criteria, &mut diagnostics);
    let texts_by_name: BTreeMap<String, String> = criteria
        .iter()
        .map(|(name, criterion)| (name.clone(), criterion.text.clone()))
        .collect();

    // Decode everything into one catalog, so that dependencies may cross formats.
    let imported = import::decode(translation, &texts_by_name, &mut diagnostics);
    let catalog = native::build_services(&documents, &criteria, imported, &mut diagnostics);
    Loaded {
        catalog,
        criteria: texts_by_name,
        notes: diagnostics.sorted_notes(),
        diagnostics: diagnostics.into_sorted(),
        files: texts.iter().map(|(file, _)| file.clone()).collect(),
    }
}

fn collect_files(path: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Diagnostics) {
    let at = node::Position { line: 1, column: 1 };
    if path.is_file() {
        files.push(path.to_owned());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.error_hint(
                path,
                at,
                format!("cannot read: {error}"),
                "give a spec file or a directory of them",
            );
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        let is_yaml = child
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml");
        if child.is_dir() || is_yaml {
            collect_files(&child, files, diagnostics);
        }
    }
}
