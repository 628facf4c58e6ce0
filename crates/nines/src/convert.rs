//! `nines convert` and `nines export`: the loaded specs, whatever their format (`nines/v1`,
//! OpenSLO, Sloth), written back as `nines/v1`, or as OpenSLO v1 for other tools.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use nines_spec::Loaded;

use crate::Outcome;
use crate::failure::Hinted;
use crate::validate::print_diagnostics;

/// Options of `nines convert`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConvertArgs {
    /// Spec files or directories, in any format nines reads: nines/v1, OpenSLO, Sloth.
    #[arg(required = true, value_name = "SPEC")]
    specs: Vec<PathBuf>,
    /// Write to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Options of `nines export`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    /// The format to write.
    #[arg(value_enum)]
    format: ExportFormat,
    /// Spec files or directories, in any format nines reads: nines/v1, OpenSLO, Sloth.
    #[arg(required = true, value_name = "SPEC")]
    specs: Vec<PathBuf>,
    /// Write to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The formats `nines export` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    /// OpenSLO v1: Service, DataSource, SLI and SLO documents; what only nines has rides
    /// along as `nines.dev/` annotations.
    Openslo,
}

/// Runs `nines convert`.
pub(crate) fn convert(args: &ConvertArgs) -> anyhow::Result<Outcome> {
    let loaded = load(&args.specs)?;
    let text = nines_spec::write::to_native(&loaded.catalog, &loaded.criteria);
    emit(&text, args.output.as_deref())
}

/// Runs `nines export`.
pub(crate) fn export(args: &ExportArgs) -> anyhow::Result<Outcome> {
    let loaded = load(&args.specs)?;
    let text = match args.format {
        ExportFormat::Openslo => nines_spec::write::to_openslo(&loaded.catalog, &loaded.criteria),
    };
    emit(&text, args.output.as_deref())
}

/// Loads the specs, printing every problem; a spec with errors is not written, since what is
/// left of it would be silently incomplete.
fn load(specs: &[PathBuf]) -> anyhow::Result<Loaded> {
    let loaded = nines_spec::load(specs);
    print_diagnostics(&loaded)?;
    if loaded.has_errors() {
        return Err(Hinted::error(
            "the specs have errors; nothing was written",
            "run `nines validate` on them and fix what it reports",
        ));
    }
    Ok(loaded)
}

fn emit(text: &str, output: Option<&Path>) -> anyhow::Result<Outcome> {
    match output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(Outcome::Ok)
}
