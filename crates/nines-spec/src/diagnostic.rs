//! Diagnostics: every problem found in the spec files, with where it is and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::node::Position;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The spec works, but probably not as meant.
    Warning,
    /// The spec cannot be used.
    Error,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub position: Position,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let Position { line, column } = self.position;
        write!(
            f,
            "{word}: {}:{line}:{column}: {}",
            self.file.display(),
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The problems found so far, in the order found, and the notes for `nines validate`.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    notes: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records an error.
    pub fn error(&mut self, file: &Path, position: Position, message: impl Into<String>) {
        self.push(Severity::Error, file, position, message.into(), None);
    }

    /// Records an error with a hint.
    pub fn error_hint(
        &mut self,
        file: &Path,
        position: Position,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(
            Severity::Error,
            file,
            position,
            message.into(),
            Some(hint.into()),
        );
    }

    /// Records a warning, with a hint if there is one.
    pub fn warning(
        &mut self,
        file: &Path,
        position: Position,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.push(Severity::Warning, file, position, message.into(), hint);
    }

    /// Records a note: a warning about what a sound spec means for the commands that run it
    /// (an SLO that only the generated rules measure), which `nines validate` shows and other
    /// commands leave out.
    pub fn note(
        &mut self,
        file: &Path,
        position: Position,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.notes.push(Diagnostic {
            severity: Severity::Warning,
            file: file.to_owned(),
            position,
            message: message.into(),
            hint,
        });
    }

    fn push(
        &mut self,
        severity: Severity,
        file: &Path,
        position: Position,
        message: String,
        hint: Option<String>,
    ) {
        self.items.push(Diagnostic {
            severity,
            file: file.to_owned(),
            position,
            message,
            hint,
        });
    }

    /// True when any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// How many problems have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    /// Every problem, sorted by file and position, each once: a part shared by several
    /// SLOs (an imported SLI, a data source) is checked once for each.
    pub fn into_sorted(self) -> Vec<Diagnostic> {
        sorted_unique(self.items)
    }

    /// Every note, sorted and each once, as [`Diagnostics::into_sorted`] gives the problems.
    pub fn sorted_notes(&self) -> Vec<Diagnostic> {
        sorted_unique(self.notes.clone())
    }

    /// Every problem, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

/// `items` sorted by file and position, each once.
fn sorted_unique(mut items: Vec<Diagnostic>) -> Vec<Diagnostic> {
    items.sort_by(|a, b| (&a.file, a.position).cmp(&(&b.file, b.position)));
    let mut unique: Vec<Diagnostic> = Vec::with_capacity(items.len());
    for item in items {
        let start = unique
            .iter()
            .rposition(|d| (&d.file, d.position) != (&item.file, item.position))
            .map_or(0, |at| at + 1);
        if !unique[start..].contains(&item) {
            unique.push(item);
        }
    }
    unique
}

/// The closest of `candidates` to `word`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let keys = ["objective", "window", "budgeting"];
        assert_eq!(did_you_mean("objectve", keys), Some("objective"));
        assert_eq!(did_you_mean("windwo", keys), Some("window"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
