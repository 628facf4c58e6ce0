//! `nines validate`: every problem in every spec file, in one run.

use std::io::Write;
use std::path::PathBuf;

use nines_spec::{Diagnostic, Loaded, Severity};

use crate::Outcome;

/// Options of `nines validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// Spec files or directories (searched recursively for .yaml and .yml files).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Treat warnings as a failure (exit code 1).
    #[arg(long)]
    strict: bool,
}

/// Runs `nines validate`.
pub(crate) fn run(args: &ValidateArgs) -> anyhow::Result<Outcome> {
    // The problems, and the notes on what the specs mean for other commands, in file order.
    let loaded = nines_spec::load(&args.paths);
    let mut all: Vec<&Diagnostic> = loaded.diagnostics.iter().chain(&loaded.notes).collect();
    all.sort_by(|a, b| (&a.file, a.position).cmp(&(&b.file, b.position)));
    let mut stderr = std::io::stderr().lock();
    for diagnostic in all {
        writeln!(stderr, "{diagnostic}")?;
    }

    let (errors, warnings) = (
        loaded.count(Severity::Error),
        loaded.count(Severity::Warning) + loaded.notes.len(),
    );
    let slos = loaded.catalog.slos().count();
    writeln!(
        stderr,
        "{} file(s), {} service(s), {slos} SLO(s): {errors} error(s), {warnings} warning(s)",
        loaded.files.len(),
        loaded.catalog.services.len(),
    )?;
    if errors > 0 {
        anyhow::bail!("the specs have {errors} error(s)");
    }
    Ok(if args.strict && warnings > 0 {
        Outcome::No
    } else {
        Outcome::Ok
    })
}

/// Prints every diagnostic to stderr.
pub(crate) fn print_diagnostics(loaded: &Loaded) -> std::io::Result<()> {
    let mut stderr = std::io::stderr().lock();
    for diagnostic in &loaded.diagnostics {
        writeln!(stderr, "{diagnostic}")?;
    }
    Ok(())
}
