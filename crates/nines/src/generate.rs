//! `nines generate`: files for other tools, made from the SLO specs. Today: Prometheus
//! recording and alerting rules.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use nines_core::duration::Duration;
use nines_prom::{GenerateError, Options, Resource, RuleSet};

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
    /// The Kubernetes namespace of the PrometheusRule.
    #[arg(long, value_name = "NS", requires = "operator")]
    namespace: Option<String>,
    /// A label of the PrometheusRule, such as prometheus=k8s for the operator's ruleSelector;
    /// repeat for several.
    #[arg(long = "label", value_name = "KEY=VALUE", requires = "operator")]
    labels: Vec<String>,
    /// File to write [default: stdout].
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// How long a burn-rate (or budget-exhausted) condition must hold before its alert fires.
    #[arg(long = "for", value_name = "DURATION")]
    for_duration: Option<Duration>,
    /// Also alert when an SLO sees no valid events for DURATION (whole minutes, 1m to 400d).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    no_data_alert: Option<String>,
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
    // Flags and specs first: nothing is written from specs with errors.
    let resource = resource(args)?;
    let no_data_alert = parse_no_data_alert(args.no_data_alert.as_deref())?;
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
        no_data_alert,
        budget_exhausted_alert: args.budget_exhausted_alert,
    };
    let rules = nines_prom::generate(&loaded.catalog, &options).map_err(hinted)?;
    print_notes(&rules)?;

    // Write the file.
    let text = if args.operator {
        rules.to_prometheus_rule(&resource)
    } else {
        rules.to_rule_file()
    };
    write(args.output.as_ref(), &text)?;
    Ok(Outcome::Ok)
}

/// The namespace and labels of the PrometheusRule, checked as Kubernetes checks them.
fn resource(args: &PrometheusArgs) -> anyhow::Result<Resource> {
    if let Some(namespace) = &args.namespace
        && !is_dns_label(namespace)
    {
        return Err(Hinted::error(
            format!("--namespace `{namespace}` is not a Kubernetes namespace name"),
            "lower-case letters, digits and `-`, at most 63, starting and ending with a letter \
             or digit",
        ));
    }
    let mut labels = nines_prom::Labels::new();
    for label in &args.labels {
        let (key, value) = parse_label(label)?;
        if let Some(first) = labels.insert(key.to_owned(), value.to_owned()) {
            return Err(Hinted::error(
                format!("--label `{key}` is given twice, as `{first}` and as `{value}`"),
                "a Kubernetes label has one value: give each key once",
            ));
        }
    }
    Ok(Resource {
        namespace: args.namespace.clone(),
        labels,
    })
}

/// The longest no-data lookback, as long as the longest window nines takes.
const MAX_NO_DATA_DAYS: i64 = 400;

/// The lookback of `--no-data-alert`: whole minutes, from 1m to 400d. A lookback shorter than
/// the base 5 minutes is allowed, with a note on stderr.
fn parse_no_data_alert(text: Option<&str>) -> anyhow::Result<Option<Duration>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let hint = "give whole minutes from 1m to 400d, such as 30m or 1h";
    let lookback = text
        .parse::<Duration>()
        .map_err(|error| Hinted::error(format!("--no-data-alert: {error}"), hint))?;
    if !lookback.is_whole_minutes() {
        return Err(Hinted::error(
            format!("--no-data-alert: {text} is not a whole number of minutes"),
            hint,
        ));
    }
    if lookback.seconds() > MAX_NO_DATA_DAYS * 86_400 {
        return Err(Hinted::error(
            format!("--no-data-alert: {text} is longer than {MAX_NO_DATA_DAYS} days"),
            hint,
        ));
    }
    if lookback < nines_core::conventions::prometheus_rules::BASE_LOOKBACK {
        writeln!(
            std::io::stderr().lock(),
            "note: --no-data-alert {lookback} reads rate() over {lookback}, which holds too few \
             samples at scrape intervals of 30s or more: SLONoData may fire while requests \
             flow; 5m or more is safer"
        )?;
    }
    Ok(Some(lookback))
}

/// `KEY=VALUE`, with a key and value Kubernetes accepts as a label.
fn parse_label(label: &str) -> anyhow::Result<(&str, &str)> {
    let Some((key, value)) = label.split_once('=') else {
        return Err(Hinted::error(
            format!("--label `{label}` has no value"),
            "write KEY=VALUE, such as --label prometheus=k8s",
        ));
    };
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok =
        prefix.is_none_or(|prefix| prefix.len() <= 253 && prefix.split('.').all(is_dns_label));
    if !prefix_ok || !is_label_text(name) || name.is_empty() {
        return Err(Hinted::error(
            format!("--label `{label}`: `{key}` is not a Kubernetes label key"),
            "a name of at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a \
             letter or digit, after an optional DNS prefix and `/`, such as \
             app.kubernetes.io/part-of",
        ));
    }
    if !is_label_text(value) {
        return Err(Hinted::error(
            format!("--label `{label}`: `{value}` is not a Kubernetes label value"),
            "at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or \
             digit, or nothing",
        ));
    }
    Ok((key, value))
}

/// A DNS label (RFC 1123), as Kubernetes names namespaces.
fn is_dns_label(text: &str) -> bool {
    let inner = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    let edge = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !text.is_empty()
        && text.len() <= 63
        && text.bytes().all(inner)
        && text.as_bytes().first().is_some_and(edge)
        && text.as_bytes().last().is_some_and(edge)
}

/// A Kubernetes label name or value: empty, or up to 63 alphanumerics, `-`, `_` and `.`,
/// alphanumeric at both ends.
fn is_label_text(text: &str) -> bool {
    let inner = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    let edge = |b: &u8| b.is_ascii_alphanumeric();
    text.is_empty()
        || (text.len() <= 63
            && text.bytes().all(inner)
            && text.as_bytes().first().is_some_and(edge)
            && text.as_bytes().last().is_some_and(edge))
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
