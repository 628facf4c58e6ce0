//! Printing reports: a table for people, JSON and CSV for programs. The only place that
//! writes to stdout.

use std::io::{self, IsTerminal, Write};

use nines_engine::report::{
    AlertCondition, AlertState, Count, Gap, Gaps, Lookbacks, SloReport, Status,
};
use serde::Serialize;

use crate::report::Report;

/// The version of the JSON report's schema (`docs/report.schema.json`).
pub(crate) const SCHEMA: &str = "nines.report/v1";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A table for people.
    Table,
    /// JSON, as documented in docs/report.schema.json.
    Json,
    /// CSV, one row per SLO (and per group).
    Csv,
    /// The Prometheus text exposition format, for a textfile collector or a Pushgateway.
    Prometheus,
}

/// Prints `report` in `format` to stdout.
pub(crate) fn print(report: &Report, format: Format) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        Format::Table => table(&mut out, report, Style::detect())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &json_report(report))?;
            writeln!(out)?;
        }
        Format::Csv => csv_report(&mut out, report)?,
        Format::Prometheus => out.write_all(crate::exposition::exposition(report).as_bytes())?,
    }
    out.flush()?;
    Ok(())
}

/// The JSON report, fields in the documented order.
#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    evaluated_at: String,
    evaluated_at_from: &'static str,
    slos: &'a [SloReport],
    inputs: Vec<JsonInput<'a>>,
}

#[derive(Serialize)]
struct JsonInput<'a> {
    source: &'a str,
    path: &'a str,
    bytes: u64,
    lines: u64,
    events: u64,
    malformed: &'a std::collections::BTreeMap<String, u64>,
    malformed_samples: Vec<JsonSample<'a>>,
}

#[derive(Serialize)]
struct JsonSample<'a> {
    line: u64,
    reason: &'a str,
    excerpt: &'a str,
}

fn json_report(report: &Report) -> JsonReport<'_> {
    let inputs = report
        .inputs
        .iter()
        .map(|input| {
            let stats = &input.stats;
            JsonInput {
                source: &input.source,
                path: &stats.label,
                bytes: stats.bytes,
                lines: stats.lines,
                events: stats.events,
                malformed: &stats.malformed,
                malformed_samples: stats
                    .samples
                    .iter()
                    .map(|sample| JsonSample {
                        line: sample.line,
                        reason: &sample.reason,
                        excerpt: &sample.excerpt,
                    })
                    .collect(),
            }
        })
        .collect();
    JsonReport {
        schema: SCHEMA,
        evaluated_at: nines_engine::rfc3339(report.evaluated_at),
        evaluated_at_from: report.evaluated_at_from,
        slos: &report.slos,
        inputs,
    }
}

/// Whether to colour the status column.
#[derive(Debug, Clone, Copy)]
struct Style {
    colour: bool,
}

impl Style {
    /// Colour only on a terminal, and never when `NO_COLOR` is set.
    fn detect() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            colour: io::stdout().is_terminal() && !no_color,
        }
    }

    fn status(self, status: Status) -> String {
        let word = status.word();
        if !self.colour {
            return word.to_owned();
        }
        let code = match status {
            Status::Ok => "32",
            Status::Ticket => "33",
            Status::Page | Status::Exhausted => "1;31",
            Status::NoData => "2",
        };
        format!("\x1b[{code}m{word}\x1b[0m")
    }
}

const HEADERS: [&str; 12] = [
    "SERVICE",
    "SLO",
    "OBJECTIVE",
    "WINDOW",
    "VALID",
    "BAD",
    "SLI",
    "BUDGET LEFT",
    "BURN 1H",
    "BURN 1D",
    "FIRING",
    "STATUS",
];

fn table(out: &mut impl Write, report: &Report, style: Style) -> anyhow::Result<()> {
    writeln!(
        out,
        "evaluated at {} ({})\n",
        nines_engine::rfc3339(report.evaluated_at),
        report.evaluated_at_from
    )?;
    let mut rows: Vec<(Vec<String>, Status)> = Vec::new();
    for line in report.slos.iter().flat_map(lines) {
        rows.push((table_row(&line), line.status));
    }
    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.len()).collect();
    for (cells, _) in &rows {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ")
    };
    let headers: Vec<String> = HEADERS.iter().map(|h| (*h).to_owned()).collect();
    writeln!(out, "{}", line(&headers).trim_end())?;
    for (mut cells, status) in rows {
        // The status is the last column: coloured, and not padded.
        cells.pop();
        writeln!(out, "{}  {}", line(&cells), style.status(status))?;
    }
    details(out, report)?;
    history(out, report)?;
    inputs_table(out, report)
}

/// With `--history`: each SLO's SLI, budget and alerts at every step.
fn history(out: &mut impl Write, report: &Report) -> io::Result<()> {
    for slo in &report.slos {
        let Some(points) = &slo.history else { continue };
        writeln!(out, "\nhistory of {}/{}:", slo.service, slo.slo)?;
        writeln!(
            out,
            "  {:<20}  {:>9}  {:>11}  FIRING",
            "AT", "SLI", "BUDGET LEFT"
        )?;
        for point in points {
            writeln!(
                out,
                "  {:<20}  {:>9}  {:>11}  {}",
                point.at,
                percent(point.sli),
                format!("{:.1} %", point.error_budget_remaining * 100.0),
                firing(&point.firing)
            )?;
        }
    }
    Ok(())
}

/// One row of a report: an SLO as a whole, or one group of it.
struct Line<'a> {
    slo: &'a SloReport,
    /// The group's value; `None` for the SLO as a whole.
    group: Option<&'a str>,
    valid: f64,
    good: f64,
    bad: f64,
    sli: Option<f64>,
    remaining: f64,
    rates: &'a Lookbacks,
    firing: &'a [String],
    status: Status,
}

/// The SLO as a whole, then each of its groups.
fn lines(slo: &SloReport) -> impl Iterator<Item = Line<'_>> {
    let whole = Line {
        slo,
        group: None,
        valid: slo.valid,
        good: slo.good,
        bad: slo.bad,
        sli: slo.sli,
        remaining: slo.error_budget.remaining,
        rates: &slo.burn_rates,
        firing: &slo.firing,
        status: slo.status,
    };
    let groups = slo.groups.iter().map(move |group| Line {
        slo,
        group: Some(&group.group),
        valid: group.valid,
        good: group.good,
        bad: group.bad,
        sli: group.sli,
        remaining: group.error_budget_remaining,
        rates: &group.burn_rates,
        firing: &group.firing,
        status: group.status,
    });
    std::iter::once(whole).chain(groups)
}

fn table_row(line: &Line<'_>) -> Vec<String> {
    let slo = line.slo;
    let (service, name, objective, window) = match line.group {
        None => (
            slo.service.clone(),
            slo.slo.clone(),
            format!("{} %", slo.objective),
            slo.window.clone(),
        ),
        Some(group) => {
            let field = slo.group_by.as_deref().unwrap_or("group");
            (
                String::new(),
                format!("  {field}={group}"),
                String::new(),
                String::new(),
            )
        }
    };
    vec![
        service,
        name,
        objective,
        window,
        count(line.valid),
        count(line.bad),
        percent(line.sli),
        format!("{:.1} %", line.remaining * 100.0),
        rate(line.rates.get("1h")),
        rate(line.rates.get("1d")),
        firing(line.firing),
        line.status.word().to_owned(),
    ]
}

/// Per-SLO lines that do not fit the table: forecasts, projections, gaps, exclusions.
fn details(out: &mut impl Write, report: &Report) -> io::Result<()> {
    for slo in &report.slos {
        let mut notes = Vec::new();
        if let Some(seconds) = slo.exhaustion.at_1h_burn_rate.seconds.filter(|s| *s > 0.0) {
            notes.push(format!(
                "budget runs out in {} at the 1h burn rate",
                span(seconds)
            ));
        }
        if let Some(projection) = &slo.projection {
            notes.push(format!(
                "estimate: at this rate the period ends with {:.1} % of the budget left",
                projection.remaining * 100.0
            ));
        }
        for (reason, count) in &slo.excluded_by_reason {
            notes.push(format!("excluded ({reason}): {}", self::count(count.0)));
        }
        if slo.gaps.count > 0 {
            notes.push(format!(
                "{} gap(s) without data, {} in all; coverage {:.1} % of the window",
                slo.gaps.count,
                span(slo.gaps.minutes as f64 * 60.0),
                slo.coverage.ratio * 100.0
            ));
            notes.extend(longest_gaps(&slo.gaps));
        }
        let quiet = |a: &&AlertState| a.state == AlertCondition::InsufficientTraffic;
        for alert in slo.alerts.iter().filter(quiet) {
            notes.push(format!(
                "{} alert ({} & {}): {}, {} valid events in the long lookback",
                alert.severity,
                alert.long,
                alert.short,
                alert.state.word(),
                count(alert.long_valid)
            ));
        }
        if notes.is_empty() {
            continue;
        }
        writeln!(out, "\n{}/{}:", slo.service, slo.slo)?;
        for note in notes {
            writeln!(out, "  {note}")?;
        }
    }
    Ok(())
}

/// How many gaps the table names: the longest, so that an outage stands out among the quiet
/// minutes of a low-traffic service. The JSON report lists every gap.
const GAPS_SHOWN: usize = 3;

/// The longest gaps, oldest first, one note each.
fn longest_gaps(gaps: &Gaps) -> Vec<String> {
    let mut longest: Vec<(usize, &Gap)> = gaps.intervals.iter().enumerate().collect();
    longest.sort_by_key(|(index, gap)| (std::cmp::Reverse(gap.minutes), *index));
    longest.truncate(GAPS_SHOWN);
    longest.sort_by_key(|(index, _)| *index);
    let mut notes: Vec<String> = longest
        .iter()
        .map(|(_, gap)| {
            let length = span(gap.minutes as f64 * 60.0);
            format!("  no data from {} to {} ({length})", gap.start, gap.end)
        })
        .collect();
    if gaps.intervals.len() > GAPS_SHOWN {
        let more = gaps.intervals.len() - GAPS_SHOWN;
        notes.push(format!(
            "  and {more} shorter gap(s); the JSON report lists every one"
        ));
    }
    notes
}

fn inputs_table(out: &mut impl Write, report: &Report) -> anyhow::Result<()> {
    if report.inputs.is_empty() {
        return Ok(());
    }
    writeln!(out, "\ninputs:")?;
    for input in &report.inputs {
        let stats = &input.stats;
        let malformed: u64 = stats.malformed.values().sum();
        let reasons: Vec<String> = stats
            .malformed
            .iter()
            .map(|(reason, n)| format!("{reason}: {n}"))
            .collect();
        write!(
            out,
            "  {}  {}: {} lines, {} events, {} malformed",
            input.source,
            stats.label,
            count(stats.lines as f64),
            count(stats.events as f64),
            count(malformed as f64)
        )?;
        if !reasons.is_empty() {
            write!(out, " ({})", reasons.join(", "))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct CsvRow<'a> {
    service: &'a str,
    slo: &'a str,
    group: &'a str,
    objective: f64,
    window: &'a str,
    evaluated_at: &'a str,
    valid: Count,
    good: Count,
    bad: Count,
    sli: Option<f64>,
    error_budget_remaining: f64,
    burn_rate_5m: Option<f64>,
    burn_rate_30m: Option<f64>,
    burn_rate_1h: Option<f64>,
    burn_rate_2h: Option<f64>,
    burn_rate_6h: Option<f64>,
    burn_rate_1d: Option<f64>,
    burn_rate_3d: Option<f64>,
    burn_rate_window: Option<f64>,
    firing: String,
    status: &'static str,
}

/// One step of an SLO's history, for CSV with `--history`.
#[derive(Serialize)]
struct CsvHistoryRow<'a> {
    service: &'a str,
    slo: &'a str,
    at: &'a str,
    sli: Option<f64>,
    error_budget_remaining: f64,
    firing: String,
}

/// CSV: one row per SLO and group; with `--history`, one row per SLO and step instead, so
/// that every row has the same columns.
fn csv_report(out: &mut impl Write, report: &Report) -> anyhow::Result<()> {
    if report.slos.iter().any(|slo| slo.history.is_some()) {
        return csv_history(out, report);
    }
    let mut writer = csv::Writer::from_writer(out);
    for line in report.slos.iter().flat_map(lines) {
        let (slo, rates) = (line.slo, line.rates);
        writer.serialize(CsvRow {
            service: &slo.service,
            slo: &slo.slo,
            group: line.group.unwrap_or_default(),
            objective: slo.objective,
            window: &slo.window,
            evaluated_at: &slo.evaluated_at,
            valid: Count(line.valid),
            good: Count(line.good),
            bad: Count(line.bad),
            sli: line.sli,
            error_budget_remaining: line.remaining,
            burn_rate_5m: rates.get("5m"),
            burn_rate_30m: rates.get("30m"),
            burn_rate_1h: rates.get("1h"),
            burn_rate_2h: rates.get("2h"),
            burn_rate_6h: rates.get("6h"),
            burn_rate_1d: rates.get("1d"),
            burn_rate_3d: rates.get("3d"),
            burn_rate_window: rates.get("window"),
            firing: line.firing.join(" "),
            status: line.status.word(),
        })?;
    }
    writer.flush()?;
    Ok(())
}

fn csv_history(out: &mut impl Write, report: &Report) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    for slo in &report.slos {
        for point in slo.history.iter().flatten() {
            writer.serialize(CsvHistoryRow {
                service: &slo.service,
                slo: &slo.slo,
                at: &point.at,
                sli: point.sli,
                error_budget_remaining: point.error_budget_remaining,
                firing: point.firing.join(" "),
            })?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// A count with thousands separators; fractions (from sampling) keep two decimals.
fn count(value: f64) -> String {
    let rounded = (value.abs() * 100.0).round() / 100.0;
    let fraction = if rounded.fract() == 0.0 {
        String::new()
    } else {
        format!("{:.2}", rounded.fract())[1..].to_owned()
    };
    let digits = format!("{}", rounded.trunc() as u64);
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped.push_str(&fraction);
    if value < 0.0 && rounded > 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// An SLI as a percentage with three decimals, or `-` when undefined.
fn percent(sli: Option<f64>) -> String {
    sli.map_or_else(|| "-".to_owned(), |s| format!("{:.3} %", s * 100.0))
}

/// A burn rate with two decimals, or `-` when undefined.
fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}"))
}

fn firing(severities: &[String]) -> String {
    if severities.is_empty() {
        "-".to_owned()
    } else {
        severities.join(",")
    }
}

/// A length of time in the largest sensible units: `3d 4h`, `2h 5m`, `45m`.
fn span(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round() as i64;
    let (days, hours, mins) = (minutes / 1_440, minutes % 1_440 / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins}m"),
        (0, _) => format!("{hours}h {mins}m"),
        _ => format!("{days}d {hours}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(1_000.0), "1,000");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(2.5), "2.50");
        assert_eq!(count(12_345.678), "12,345.68");
        assert_eq!(count(-1_500.25), "-1,500.25");
        assert_eq!(count(0.999), "1");
    }

    #[test]
    fn spans_use_the_largest_units() {
        assert_eq!(span(45.0 * 60.0), "45m");
        assert_eq!(span(125.0 * 60.0), "2h 5m");
        assert_eq!(span(3.0 * 86_400.0 + 4.0 * 3_600.0), "3d 4h");
    }
}
