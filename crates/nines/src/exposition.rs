//! `nines report --format prometheus`: SLO status in the Prometheus text exposition format, for
//! node_exporter's textfile collector or a Pushgateway. Names come from
//! `nines_core::conventions`; undefined values are left out, never written as NaN.

use std::fmt::Write as _;

use nines_core::conventions::{self as names, metrics};
use nines_engine::report::{AlertCondition, SloReport};

use crate::report::Report;

/// The exposition of every SLO in `report`.
pub(crate) fn exposition(report: &Report) -> String {
    let mut out = String::new();
    let evaluated_at = report.evaluated_at as f64 / 1000.0;
    family(&mut out, metrics::OBJECTIVE, report, |slo, out| {
        sample(
            out,
            metrics::OBJECTIVE,
            &labels(slo, &[]),
            Some(slo.objective / 100.0),
        );
    });
    family(&mut out, metrics::SLI, report, |slo, out| {
        sample(out, metrics::SLI, &labels(slo, &[]), slo.sli);
    });
    family(&mut out, metrics::EVENTS, report, |slo, out| {
        for (kind, value) in [
            ("valid", slo.valid),
            ("good", slo.good),
            ("bad", slo.bad),
            ("excluded", slo.excluded),
        ] {
            sample(
                out,
                metrics::EVENTS,
                &labels(slo, &[(names::LABEL_KIND, kind)]),
                Some(value),
            );
        }
    });
    family(&mut out, metrics::BUDGET_REMAINING, report, |slo, out| {
        let value = Some(slo.error_budget.remaining);
        sample(out, metrics::BUDGET_REMAINING, &labels(slo, &[]), value);
    });
    family(&mut out, metrics::BURN_RATE, report, |slo, out| {
        for (lookback, rate) in &slo.burn_rates.0 {
            let labels = labels(slo, &[(names::LABEL_LOOKBACK, lookback)]);
            sample(out, metrics::BURN_RATE, &labels, *rate);
        }
    });
    family(&mut out, metrics::ALERT_FIRING, report, |slo, out| {
        for alert in &slo.alerts {
            let labels = labels(
                slo,
                &[
                    (names::LABEL_SEVERITY, &alert.severity),
                    (names::LABEL_LONG, &alert.long),
                    (names::LABEL_SHORT, &alert.short),
                ],
            );
            let firing = f64::from(u8::from(alert.state == AlertCondition::Firing));
            sample(out, metrics::ALERT_FIRING, &labels, Some(firing));
        }
    });
    family(&mut out, metrics::EVALUATED_AT, report, |slo, out| {
        sample(
            out,
            metrics::EVALUATED_AT,
            &labels(slo, &[]),
            Some(evaluated_at),
        );
    });
    out
}

/// Writes the HELP and TYPE lines of `metric`, then its samples for every SLO.
fn family(
    out: &mut String,
    metric: metrics::Metric,
    report: &Report,
    mut samples: impl FnMut(&SloReport, &mut String),
) {
    let (name, kind, help) = metric;
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for slo in &report.slos {
        samples(slo, out);
    }
}

fn sample(out: &mut String, metric: metrics::Metric, labels: &str, value: Option<f64>) {
    if let Some(value) = value.filter(|v| v.is_finite()) {
        let _ = writeln!(out, "{}{{{labels}}} {value}", metric.0);
    }
}

/// `service="…",slo="…"` and any `extra` labels, escaped.
fn labels(slo: &SloReport, extra: &[(&str, &str)]) -> String {
    let base = [
        (names::LABEL_SERVICE, slo.service.as_str()),
        (names::LABEL_SLO, slo.slo.as_str()),
    ];
    let pairs: Vec<String> = base
        .iter()
        .chain(extra)
        .map(|(name, value)| format!("{name}=\"{}\"", escape(value)))
        .collect();
    pairs.join(",")
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
