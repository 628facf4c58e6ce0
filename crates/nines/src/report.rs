//! `nines report`: measure every SLO from the telemetry given, and print the report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use jiff::Timestamp;
use nines_core::duration::Duration;
use nines_core::series::{MINUTE_MS, SloSeries};
use nines_core::slo::{Catalog, Criterion, ExclusionKind, Slo};
use nines_engine::report::SloReport;
use nines_ingest::classify::{Classifier, GroupAdmission};
use nines_ingest::{InputPath, InputStats, ReadOptions};

use crate::Outcome;
use crate::failure::Hinted;
use crate::render::{self, Format};
use crate::validate::print_diagnostics;

/// Options of `nines report`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// Spec files or directories (searched recursively for .yaml and .yml files).
    #[arg(required = true, value_name = "SPEC")]
    specs: Vec<PathBuf>,
    /// Telemetry for a source: SOURCE=PATH, or SERVICE/SOURCE=PATH when several services
    /// name a source alike. PATH `-` reads stdin; gzip is read transparently. Repeat for
    /// several files or sources.
    #[arg(long = "input", short = 'i', value_name = "SOURCE=PATH")]
    inputs: Vec<String>,
    /// Evaluation time (RFC 3339). Default: the end of the minute of the newest event.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Add SLI, budget and alerts at every STEP across the window (such as 1h or 1d).
    #[arg(long, value_name = "STEP")]
    history: Option<String>,
    /// Stop at the first malformed line instead of counting it.
    #[arg(long)]
    strict: bool,
    /// Reader threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    #[command(flatten)]
    prometheus: crate::prometheus::PrometheusArgs,
}

/// A source with the files given for it and the SLOs that read it.
struct Binding<'a> {
    service: String,
    source: &'a nines_core::slo::Source,
    paths: Vec<InputPath>,
    slos: Vec<&'a Slo>,
}

/// One input's numbers, for the report's `inputs` section.
pub(crate) struct InputReport {
    /// `service/source`.
    pub(crate) source: String,
    /// What the reader counted.
    pub(crate) stats: InputStats,
}

/// Everything `nines report` prints.
pub(crate) struct Report {
    /// The evaluation time (Unix ms).
    pub(crate) evaluated_at: i64,
    /// How the evaluation time was chosen.
    pub(crate) evaluated_at_from: &'static str,
    /// One report per SLO, in spec order.
    pub(crate) slos: Vec<SloReport>,
    /// What each input held.
    pub(crate) inputs: Vec<InputReport>,
}

/// Runs `nines report`.
pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<Outcome> {
    // Specs first: a broken spec stops before any log is read.
    let loaded = nines_spec::load(&args.specs);
    print_diagnostics(&loaded)?;
    if loaded.has_errors() {
        return Err(Hinted::error(
            "the specs have errors; nothing was measured",
            "run `nines validate` on them and fix what it reports",
        ));
    }
    let catalog = &loaded.catalog;
    let history = parse_history(args.history.as_deref())?;
    let at = args.at.as_deref().map(parse_at).transpose()?;
    let live = crate::prometheus::Live::connect(&args.prometheus, catalog)?;

    // Bind inputs to sources, then read each source once for all of its SLOs.
    if args.threads > MAX_THREADS {
        return Err(Hinted::error(
            format!("--threads {} is more than nines starts", args.threads),
            format!("give at most {MAX_THREADS}, or 0 for one per core"),
        ));
    }
    let bindings = bind_inputs(catalog, &args.inputs)?;
    warn_unbound(catalog, &bindings);
    let options = ReadOptions {
        strict: args.strict,
        threads: args.threads,
        progress: None,
    };
    let mut series: Vec<(&Slo, SloSeries)> = Vec::new();
    let mut inputs = Vec::new();
    for binding in &bindings {
        let (slo_series, stats) = read_binding(binding, &options)?;
        series.extend(binding.slos.iter().copied().zip(slo_series));
        let read: Vec<InputReport> = stats
            .into_iter()
            .map(|stats| InputReport {
                source: format!("{}/{}", binding.service, binding.source.name),
                stats,
            })
            .collect();
        warn_malformed(&read);
        // A trace whose root never arrived is not a sign of the wrong file: only records that
        // stand alone (log lines) prove the format wrong when none of them can be read.
        if !binding.source.format.is_stateful() {
            refuse_unreadable(&read)?;
        }
        inputs.extend(read);
    }

    // Evaluate every SLO at one instant, on a minute boundary: nines counts in minutes.
    let (evaluated_at, evaluated_at_from) = match at {
        Some(at) if at.rem_euclid(MINUTE_MS) == 0 => (at, "--at"),
        Some(at) => (
            at - at.rem_euclid(MINUTE_MS),
            "--at, rounded down to the minute",
        ),
        None if live.is_some() => (
            crate::prometheus::Live::default_at(),
            "the start of the current minute (--prometheus)",
        ),
        None => (
            newest_minute_end(&series)?,
            "the end of the minute of the newest event",
        ),
    };
    let options = nines_engine::Options {
        history_step: history,
    };
    if let Some(live) = &live {
        series.extend(live.fetch(catalog, evaluated_at, &options)?);
    }
    let empty = SloSeries::default();
    let slos: Vec<SloReport> = catalog
        .slos()
        .map(|slo| {
            let recorded = series
                .iter()
                .find(|(s, _)| std::ptr::eq(*s, slo))
                .map(|(_, s)| s);
            nines_engine::evaluate(slo, recorded.unwrap_or(&empty), evaluated_at, &options)
        })
        .collect();
    if live.is_some() && at.is_none() && slos.iter().all(|report| report.valid <= 0.0) {
        // As with logs that held no event: a report of nothing but "no data" most often means
        // queries that name no series, and must not pass for a healthy one.
        return Err(Hinted::error(
            "Prometheus returned no events for any SLO in its window; nothing was measured",
            "check the SLIs' metric names and labels against the server (the warnings above \
             name the queries), or pass --at to report an empty window",
        ));
    }
    let failing = slos.iter().any(|report| report.status.is_failing());
    let report = Report {
        evaluated_at,
        evaluated_at_from,
        slos,
        inputs,
    };

    // Print, and answer "no" when an SLO has spent its budget or is paging.
    render::print(&report, args.format)?;
    Ok(if failing { Outcome::No } else { Outcome::Ok })
}

fn parse_history(step: Option<&str>) -> anyhow::Result<Option<Duration>> {
    let hint = "give a step of whole minutes, such as 30m, 1h or 1d";
    step.map(|text| {
        let step = text
            .parse::<Duration>()
            .map_err(|error| Hinted::error(format!("--history: {error}"), hint))?;
        if step.minutes() < 1 || !step.is_whole_minutes() {
            return Err(Hinted::error(
                format!("--history: a step of {text} is not a whole number of minutes"),
                hint,
            ));
        }
        Ok(step)
    })
    .transpose()
}

/// The most reader threads nines starts; more than the machine's cores only adds switching.
const MAX_THREADS: usize = 256;

fn parse_at(text: &str) -> anyhow::Result<i64> {
    let at: Timestamp = text.parse().map_err(|_| {
        Hinted::error(
            format!("--at: `{text}` is not a time"),
            "write RFC 3339 with an offset, such as 2026-10-01T12:00:00Z",
        )
    })?;
    Ok(at.as_millisecond())
}

/// Matches each `SOURCE=PATH` to a source of the catalog.
fn bind_inputs<'a>(catalog: &'a Catalog, inputs: &[String]) -> anyhow::Result<Vec<Binding<'a>>> {
    let mut bindings: Vec<Binding<'a>> = Vec::new();
    let mut stdin_for: Option<&str> = None;
    for input in inputs {
        let Some((name, path)) = input.split_once('=') else {
            return Err(Hinted::error(
                format!("--input `{input}` does not say which source it is for"),
                "write SOURCE=PATH, such as --input access=/var/log/nginx/access.log",
            ));
        };
        let (service, source) = find_source(catalog, name)?;
        let path = if path == "-" {
            // Standard input can be read once: a second source would silently get nothing.
            if let Some(first) = stdin_for.replace(name) {
                return Err(Hinted::error(
                    format!("--input {input}: standard input is already the input of `{first}`"),
                    "give the other source a file, or save standard input to a file first",
                ));
            }
            InputPath::Stdin
        } else {
            InputPath::File(path.into())
        };
        match bindings
            .iter_mut()
            .find(|b| b.service == service && b.source.name == source.name)
        {
            Some(binding) if binding.paths.iter().any(|given| same_input(given, &path)) => {
                eprintln!(
                    "warning: --input {input}: this file is already an input of `{service}/{}`; \
                     it is read once",
                    source.name
                );
            }
            Some(binding) => binding.paths.push(path),
            None => bindings.push(Binding {
                service: service.to_owned(),
                source,
                paths: vec![path],
                slos: catalog
                    .slos()
                    .filter(|slo| {
                        slo.service == service && slo.sli.source() == Some(source.name.as_str())
                    })
                    .collect(),
            }),
        }
    }
    Ok(bindings)
}

fn find_source<'a>(
    catalog: &'a Catalog,
    name: &str,
) -> anyhow::Result<(&'a str, &'a nines_core::slo::Source)> {
    let (service_name, source_name) = match name.split_once('/') {
        Some((service, source)) => (Some(service), source),
        None => (None, name),
    };
    let matches: Vec<(&str, &nines_core::slo::Source)> = catalog
        .services
        .iter()
        .filter(|service| service_name.is_none_or(|wanted| service.name == wanted))
        .flat_map(|service| {
            service
                .sources
                .iter()
                .map(move |s| (service.name.as_str(), s))
        })
        .filter(|(_, source)| source.name == source_name)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => {
            let known: Vec<String> = catalog
                .services
                .iter()
                .flat_map(|s| {
                    s.sources
                        .iter()
                        .map(move |src| format!("{}/{}", s.name, src.name))
                })
                .collect();
            let close = nines_spec::diagnostic::did_you_mean(
                name,
                known
                    .iter()
                    .map(|k| k.split_once('/').map_or(k.as_str(), |(_, source)| source)),
            );
            let hint = match (close, known.is_empty()) {
                (_, true) => {
                    "the specs declare no sources; add one under a service's `sources`".to_owned()
                }
                (Some(close), _) => format!("did you mean `{close}`?"),
                (None, _) => format!("the specs declare these sources: {}", known.join(", ")),
            };
            Err(Hinted::error(
                format!("--input names unknown source `{name}`"),
                hint,
            ))
        }
        _ => Err(Hinted::error(
            format!("--input `{name}` matches sources of several services"),
            format!("say which: {}", {
                let names: Vec<String> = matches
                    .iter()
                    .map(|(service, _)| format!("{service}/{name}"))
                    .collect();
                names.join(", ")
            }),
        )),
    }
}

/// Whether two inputs are the same file, however their paths are written (`./a.log`, a
/// symbolic link, an absolute path).
fn same_input(a: &InputPath, b: &InputPath) -> bool {
    match (a, b) {
        (InputPath::File(a), InputPath::File(b)) => {
            a == b
                || matches!(
                    (std::fs::canonicalize(a), std::fs::canonicalize(b)),
                    (Ok(a), Ok(b)) if a == b
                )
        }
        (a, b) => a == b,
    }
}

/// Warns about SLOs whose source was given no input: they will report no data.
fn warn_unbound(catalog: &Catalog, bindings: &[Binding<'_>]) {
    for slo in catalog.slos() {
        let Some(source) = slo.sli.source() else {
            continue;
        };
        let bound = bindings
            .iter()
            .any(|b| b.service == slo.service && b.source.name == source);
        if !bound {
            eprintln!(
                "warning: no --input for source `{}/{source}`: SLO `{}` has no data",
                slo.service, slo.name
            );
        }
    }
}

/// Reads the inputs of one source and classifies its events for each of its SLOs.
fn read_binding(
    binding: &Binding<'_>,
    options: &ReadOptions,
) -> anyhow::Result<(Vec<SloSeries>, Vec<InputStats>)> {
    let slos = &binding.slos;
    let mut options = options.clone();
    let progress = progress_bar(&binding.paths);
    if let Some(bar) = &progress {
        let bar = bar.clone();
        options.progress = Some(Arc::new(move |bytes| bar.set_position(bytes)));
    }
    let admission = GroupAdmission::default();
    let outcome =
        nines_ingest::read_inputs(&binding.paths, &binding.source.format, &options, || {
            Classifier::new(slos, &admission)
        })
        .with_context(|| {
            format!(
                "reading source `{}/{}`",
                binding.service, binding.source.name
            )
        })?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    warn_absent_fields(binding, &Classifier::absent_fields(&outcome.sinks));
    Ok((Classifier::merge_all(outcome.sinks), outcome.inputs))
}

/// A progress bar on stderr, only when stderr is a terminal and the input size is known.
fn progress_bar(paths: &[InputPath]) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = paths
        .iter()
        .filter_map(|path| match path {
            InputPath::File(file) => std::fs::metadata(file).ok().map(|m| m.len()),
            InputPath::Stdin => None,
        })
        .sum();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} reading {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    );
    if let Ok(style) = style {
        bar.set_style(style);
    }
    Some(bar)
}

/// Names the fields that criteria read and no event of the source carried.
fn warn_absent_fields(binding: &Binding<'_>, absent: &[nines_core::event::Field]) {
    let defs = binding.source.format.fields();
    for field in absent {
        let Some(def) = defs.iter().find(|def| def.field == *field) else {
            continue;
        };
        let readers: Vec<String> = binding
            .slos
            .iter()
            .filter(|slo| reads_field(slo, *field))
            .map(|slo| format!("`{}`", slo.name))
            .collect();
        eprintln!(
            "warning: source `{}/{}`: no event carried the field `{}` (read by SLO {}); a \
             criterion on an absent field is false, so check where the source maps `{}` from",
            binding.service,
            binding.source.name,
            def.name,
            readers.join(", "),
            def.name
        );
    }
}

/// Whether the criteria of `slo` (validity, good or bad, event exclusions) read `field`.
fn reads_field(slo: &Slo, field: nines_core::event::Field) -> bool {
    let Some(sli) = slo.sli.events() else {
        return false;
    };
    let criterion = match &sli.criterion {
        Criterion::Good(predicate) | Criterion::Bad(predicate) => predicate,
    };
    let exclusions = slo
        .exclusions
        .iter()
        .filter_map(|exclusion| match &exclusion.kind {
            ExclusionKind::Events(predicate) => Some(predicate),
            _ => None,
        });
    [&sli.valid, criterion]
        .into_iter()
        .chain(exclusions)
        .any(|predicate| predicate.fields().contains(&field))
}

/// Malformed lines are counted and the first few shown, never silently dropped; an empty
/// input is named, since its source will have no data from it.
fn warn_malformed(inputs: &[InputReport]) {
    for input in inputs {
        if input.stats.lines == 0 {
            eprintln!(
                "warning: {}: the input is empty; `{}` has no data from it",
                input.stats.label, input.source
            );
        }
        let total: u64 = input.stats.malformed.values().sum();
        if total == 0 {
            continue;
        }
        eprintln!(
            "warning: {}: {total} malformed or incomplete record(s) skipped and counted",
            input.stats.label
        );
        for sample in &input.stats.samples {
            eprintln!(
                "  {}:{}: {}: {}",
                sample.file, sample.line, sample.reason, sample.excerpt
            );
        }
    }
}

/// An input that had lines but not one readable event is the wrong file or the wrong format:
/// reporting "no data" for it would hide the mistake.
fn refuse_unreadable(inputs: &[InputReport]) -> anyhow::Result<()> {
    let unreadable = inputs
        .iter()
        .find(|input| input.stats.events == 0 && input.stats.malformed_total() > 0);
    match unreadable {
        Some(input) => Err(Hinted::error(
            format!(
                "{}: none of its {} record(s) could be read as source `{}`; nothing was measured \
                 from it",
                input.stats.label,
                input.stats.malformed_total(),
                input.source
            ),
            "check that the file is the source's telemetry and that the source's `kind` and \
             `format` match it (the warnings above show the first records and why each failed)",
        )),
        None => Ok(()),
    }
}

/// The end of the minute holding the newest event seen by any SLO. Without events there is no
/// time to evaluate at, and inventing one (the clock) would label a report that measured
/// nothing as if it had; so that is an error unless `--at` was given.
fn newest_minute_end(series: &[(&Slo, SloSeries)]) -> anyhow::Result<i64> {
    let newest = series
        .iter()
        .filter_map(|(_, s)| s.seen.map(|(_, last)| last))
        .max();
    let Some(last) = newest else {
        return Err(Hinted::error(
            "no event was read, so there is nothing to report on",
            "give each source its telemetry with --input SOURCE=PATH, or pass --at TIME to \
             report an empty window",
        ));
    };
    let end = (last.div_euclid(MINUTE_MS) + 1) * MINUTE_MS;
    if Timestamp::from_millisecond(end).is_err() {
        return Err(Hinted::error(
            "the newest event is at the very end of year 9999, later than a report can be \
             evaluated",
            "a log line with a wrong year is the usual cause; pass --at to choose the time",
        ));
    }
    let now = Timestamp::now().as_millisecond();
    if end > now + MINUTE_MS {
        eprintln!(
            "warning: the newest event ({}) is later than this machine's clock; the report is \
             evaluated there. A clock or time-zone error in the log is the usual cause; pass \
             --at to choose the time",
            nines_engine::rfc3339(last)
        );
    }
    Ok(end)
}
