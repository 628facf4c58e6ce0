//! `nines report --format prometheus`: SLO status in the Prometheus text exposition format, for
//! node_exporter's textfile collector or a Pushgateway. Names come from
//! `nines_core::conventions`; undefined values are left out, never written as NaN.

use std::fmt::Write as _;

use nines_core::conventions::{self as names, metrics};
use nines_core::decimal::Objective;
use nines_engine::report::{AlertCondition, AlertState, Lookbacks, SloReport};

use crate::report::Report;

/// The exposition of every SLO in `report`. A grouped SLO's groups follow it, each with a
/// `group` label, so that a partial outage shows in the same metrics as the whole.
pub(crate) fn exposition(report: &Report) -> String {
    let subjects: Vec<Subject<'_>> = report.slos.iter().flat_map(subjects).collect();
    let mut out = String::new();
    let evaluated_at = report.evaluated_at as f64 / 1000.0;
    let whole = |subject: &&Subject<'_>| subject.group.is_none();
    family(
        &mut out,
        metrics::OBJECTIVE,
        subjects.iter().filter(whole),
        |s, out| {
            sample(
                out,
                metrics::OBJECTIVE,
                &s.labels(&[]),
                objective_ratio(s.slo),
            );
        },
    );
    family(&mut out, metrics::SLI, subjects.iter(), |s, out| {
        sample(out, metrics::SLI, &s.labels(&[]), s.sli);
    });
    family(&mut out, metrics::EVENTS, subjects.iter(), |s, out| {
        for (kind, value) in [
            ("valid", Some(s.valid)),
            ("good", Some(s.good)),
            ("bad", Some(s.bad)),
            ("excluded", s.excluded),
        ] {
            sample(
                out,
                metrics::EVENTS,
                &s.labels(&[(names::LABEL_KIND, kind)]),
                value,
            );
        }
    });
    family(
        &mut out,
        metrics::BUDGET_REMAINING,
        subjects.iter(),
        |s, out| {
            sample(
                out,
                metrics::BUDGET_REMAINING,
                &s.labels(&[]),
                Some(s.remaining),
            );
        },
    );
    family(&mut out, metrics::BURN_RATE, subjects.iter(), |s, out| {
        for (lookback, rate) in &s.rates.0 {
            let labels = s.labels(&[(names::LABEL_LOOKBACK, lookback)]);
            sample(out, metrics::BURN_RATE, &labels, *rate);
        }
    });
    family(
        &mut out,
        metrics::ALERT_FIRING,
        subjects.iter().filter(whole),
        |s, out| {
            // Two rules may share a severity and lookbacks; one series says whether either fires.
            let mut written: Vec<String> = Vec::new();
            for alert in &s.slo.alerts {
                let labels = s.labels(&[
                    (names::LABEL_SEVERITY, &alert.severity),
                    (names::LABEL_LONG, &alert.long),
                    (names::LABEL_SHORT, &alert.short),
                ]);
                if written.contains(&labels) {
                    continue;
                }
                let fires = |a: &AlertState| {
                    a.severity == alert.severity
                        && a.long == alert.long
                        && a.short == alert.short
                        && a.state == AlertCondition::Firing
                };
                let firing = f64::from(u8::from(s.slo.alerts.iter().any(fires)));
                sample(out, metrics::ALERT_FIRING, &labels, Some(firing));
                written.push(labels);
            }
        },
    );
    family(
        &mut out,
        metrics::EVALUATED_AT,
        subjects.iter().filter(whole),
        |s, out| {
            sample(
                out,
                metrics::EVALUATED_AT,
                &s.labels(&[]),
                Some(evaluated_at),
            );
        },
    );
    out
}

/// The objective as the ratio nearest its decimal value: `99.9` → `0.999`, where dividing the
/// percentage by 100 in floating point would give `0.9990000000000001`.
fn objective_ratio(slo: &SloReport) -> Option<f64> {
    let objective: Objective = slo.objective.to_string().parse().ok()?;
    Some(objective.ratio())
}

/// An SLO as a whole, or one group of it: what the samples are written from.
struct Subject<'a> {
    slo: &'a SloReport,
    group: Option<&'a str>,
    sli: Option<f64>,
    valid: f64,
    good: f64,
    bad: f64,
    excluded: Option<f64>,
    remaining: f64,
    rates: &'a Lookbacks,
}

fn subjects(slo: &SloReport) -> impl Iterator<Item = Subject<'_>> {
    let whole = Subject {
        slo,
        group: None,
        sli: slo.sli,
        valid: slo.valid,
        good: slo.good,
        bad: slo.bad,
        excluded: Some(slo.excluded),
        remaining: slo.error_budget.remaining,
        rates: &slo.burn_rates,
    };
    let groups = slo.groups.iter().map(move |group| Subject {
        slo,
        group: Some(&group.group),
        sli: group.sli,
        valid: group.valid,
        good: group.good,
        bad: group.bad,
        excluded: None,
        remaining: group.error_budget_remaining,
        rates: &group.burn_rates,
    });
    std::iter::once(whole).chain(groups)
}

impl Subject<'_> {
    /// `service="…",slo="…"`, the group if any, and `extra` labels, escaped.
    fn labels(&self, extra: &[(&str, &str)]) -> String {
        let base = [
            (names::LABEL_SERVICE, self.slo.service.as_str()),
            (names::LABEL_SLO, self.slo.slo.as_str()),
        ];
        let group = self.group.map(|group| (names::LABEL_GROUP, group));
        let pairs: Vec<String> = base
            .iter()
            .copied()
            .chain(group)
            .chain(extra.iter().copied())
            .map(|(name, value)| format!("{name}=\"{}\"", escape(value)))
            .collect();
        pairs.join(",")
    }
}

/// Writes the HELP and TYPE lines of `metric`, then its samples for every subject.
fn family<'s, 'a: 's>(
    out: &mut String,
    metric: metrics::Metric,
    subjects: impl Iterator<Item = &'s Subject<'a>>,
    mut samples: impl FnMut(&Subject<'a>, &mut String),
) {
    let (name, kind, help) = metric;
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for subject in subjects {
        samples(subject, out);
    }
}

fn sample(out: &mut String, metric: metrics::Metric, labels: &str, value: Option<f64>) {
    if let Some(value) = value.filter(|v| v.is_finite()) {
        let _ = writeln!(out, "{}{{{labels}}} {value}", metric.0);
    }
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
