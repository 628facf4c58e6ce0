//! `nines`: service level management in one binary.
//!
//! The binary wires the library crates together: it parses flags, loads specs, reads
//! telemetry, asks the engine, and prints. Exit codes: 0 ok, 1 the answer is "no" (an SLO has
//! spent its budget or is paging; validation found warnings under `--strict`), 2 usage or
//! input error.

mod convert;
mod demo;
mod exposition;
mod failure;
mod generate;
mod prometheus;
mod render;
mod report;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Service level management: SLOs as code, SLIs from the telemetry you have, error budgets,
/// burn-rate alerts.
#[derive(Debug, Parser)]
#[command(name = "nines", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check spec files and report every problem, with file:line:col and a hint.
    Validate(validate::ValidateArgs),
    /// Measure SLOs from telemetry: SLI, error budget, burn rates, alerts, forecasts.
    Report(report::ReportArgs),
    /// Write a synthetic access log with a daily cycle and incidents, for trials and benchmarks.
    Demo(demo::DemoArgs),
    /// Generate files for other tools from the specs: Prometheus recording and alerting rules.
    Generate(generate::GenerateArgs),
    /// Write the specs, in any format nines reads (nines/v1, OpenSLO, Sloth), as nines/v1.
    Convert(convert::ConvertArgs),
    /// Write the specs in another tool's format: OpenSLO v1.
    Export(convert::ExportArgs),
}

/// What a command concluded, as an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// All is well.
    Ok,
    /// The answer is "no".
    No,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Report(args) => report::run(args),
        Command::Demo(args) => demo::run(args).map(|()| Outcome::Ok),
        Command::Generate(args) => generate::run(args),
        Command::Convert(args) => convert::convert(args),
        Command::Export(args) => convert::export(args),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::No) => ExitCode::from(1),
        Err(error) if failure::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            failure::print(&error);
            ExitCode::from(2)
        }
    }
}
