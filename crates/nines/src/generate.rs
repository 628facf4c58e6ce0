//! `nines generate`: files for other tools, made from the SLO specs. Today: Prometheus
//! recording and alerting rules.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use nines_core::duration::Duration;
use nines_prom::{GenerateError, Options, RuleSet};

use crate::Outcome;
use crate::failure::Hinted;
use crate::validate::print_diagnostics;

/// Options of `nines generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct GenerateArgs {
    #[command(subcommand)]
    target: Target,
}

/// What to generate.
#[derive(Debug, clap::Subcommand)]
enum Target {
    /// Prometheus recording rules and multi-window burn-rate alerts, with Sloth's series names,
    /// for every SLO whose SLI is a PromQL query.
    Prometheus(PrometheusArgs),
}

/// Options of `nines generate prometheus`.
#[derive(Debug, clap::Args)]
struct PrometheusArgs {
    /// Spec files or directories (searched recursively for .yaml and .yml files).
    #[arg(required = true, value_name = "SPEC")]
    specs: Vec<PathBuf>,
    /// Write a prometheus-operator PrometheusRule resource instead of a plain rule file.
    #[arg(long)]
    operator: bool,
    /// File to write [default: stdout].
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// How long a burn-rate (or budget-exhausted) condition must hold before its alert fires.
    #[arg(long = "for", value_name = "DURATION")]
    for_duration: Option<Duration>,
    /// Also alert when an SLO sees no valid events for DURATION.
    #[arg(long, value_name = "DURATION")]
    no_data_alert: Option<Duration>,
    /// Also alert when an SLO has spent its whole error budget over its window.
    #[arg(long)]
    budget_exhausted_alert: bool,
}

/// Runs `nines generate`.
pub(crate) fn run(args: &GenerateArgs) -> anyhow::Result<Outcome> {
    match &args.target {
        Target::Prometheus(args) => prometheus(args),
    }
}

fn prometheus(args: &PrometheusArgs) -> anyhow::Result<Outcome> {
    // Specs first: nothing is written from specs with errors.
    let loaded = nines_spec::load(&args.specs);
    print_diagnostics(&loaded)?;
    if loaded.has_errors() {
        return Err(Hinted::error(
            "the specs have errors; no rules were written",
            "run `nines validate` on them and fix what it reports",
        ));
    }

    // Generate, and tell what was left out.
    let options = Options {
        for_duration: args.for_duration,
        no_data_alert: args.no_data_alert,
        budget_exhausted_alert: args.budget_exhausted_alert,
    };
    let rules = nines_prom::generate(&loaded.catalog, &options).map_err(hinted)?;
    print_notes(&rules)?;

    // Write the file.
    let text = if args.operator {
        rules.to_prometheus_rule()
    } else {
        rules.to_rule_file()
    };
    write(args.output.as_ref(), &text)?;
    Ok(Outcome::Ok)
}

fn hinted(error: GenerateError) -> anyhow::Error {
    Hinted::error(error.to_string(), error.hint())
}

fn print_notes(rules: &RuleSet) -> std::io::Result<()> {
    let mut stderr = std::io::stderr().lock();
    for note in &rules.notes {
        writeln!(stderr, "note: {note}")?;
    }
    writeln!(
        stderr,
        "{} rule group(s), one per SLO measured by Prometheus",
        rules.groups.len()
    )
}

fn write(output: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write to stdout")
        }
    }
}
