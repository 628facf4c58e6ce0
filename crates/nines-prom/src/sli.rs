//! What each kind of Prometheus SLI records over one lookback.
//!
//! Counting SLIs (errors and total, good and total, a latency histogram) record valid and bad
//! events per second, so that any interval's SLI is a ratio of sums. A query that counts over
//! its range (`increase()`) is divided by the range's seconds, so that every recorded rate is
//! per second whatever the spec wrote, and the minimum of events holds for both. An
//! error-ratio SLI only gives the ratio itself, so its lookbacks and window are queried
//! directly.

use nines_core::slo::PromSli;

use crate::promql::{at_lookback, at_window, le_matcher, summed};
use crate::source::query;

/// The first query of `sli` whose unit cannot be told, because it mixes per-second rates and
/// counts over the range.
pub(crate) fn mixed_units(sli: &PromSli) -> Option<&str> {
    let queries: Vec<&String> = match sli {
        PromSli::ErrorsTotal { errors, total } => vec![errors, total],
        PromSli::GoodTotal { good, total } => vec![good, total],
        PromSli::ErrorRatio { .. } | PromSli::Latency { .. } => Vec::new(),
    };
    queries
        .into_iter()
        .find(|text| query::per_second(text).is_err())
        .map(String::as_str)
}

/// The query over `window`, summed into one series, in events per second.
fn rate(template: &str, window: &str, seconds: i64) -> String {
    let text = summed(&at_lookback(template, window, seconds * 1_000));
    // Queries of mixed units are rejected before rules are made.
    if query::per_second(template).unwrap_or(true) {
        text
    } else {
        format!("{text} / {seconds}")
    }
}

/// True when the SLI counts events, so that valid and bad rates can be recorded.
pub(crate) fn counts_events(sli: &PromSli) -> bool {
    !matches!(sli, PromSli::ErrorRatio { .. })
}

/// True when bad events come from their own query and may outnumber valid ones, measured at a
/// slightly different instant; the ratio is then clamped to 1 (a good > valid inconsistency
/// never yields an error ratio above 100 %).
pub(crate) fn needs_clamp(sli: &PromSli) -> bool {
    matches!(sli, PromSli::ErrorsTotal { .. })
}

/// Valid events per second over `window` (`seconds` long), as one series; `None` for
/// error-ratio SLIs.
pub(crate) fn valid_rate(sli: &PromSli, window: &str, seconds: i64) -> Option<String> {
    match sli {
        PromSli::ErrorsTotal { total, .. } | PromSli::GoodTotal { total, .. } => {
            Some(rate(total, window, seconds))
        }
        PromSli::Latency {
            metric, selector, ..
        } => Some(bucket_rate(metric, selector, "le=\"+Inf\"", window)),
        PromSli::ErrorRatio { .. } => None,
    }
}

/// Bad events per second over `window` (`seconds` long), as one series; `None` for
/// error-ratio SLIs.
///
/// A missing error series means no errors yet (error counters often appear with the first
/// error), so it counts as zero. A missing good series or threshold bucket does not: it is
/// more likely a mistake than an outage, and reads as no data rather than as 100 % errors.
pub(crate) fn bad_rate(sli: &PromSli, window: &str, seconds: i64) -> Option<String> {
    match sli {
        PromSli::ErrorsTotal { errors, .. } => Some(format!(
            "{} or on() vector(0)",
            rate(errors, window, seconds)
        )),
        PromSli::GoodTotal { good, total } => Some(format!(
            "clamp_min({} - {}, 0)",
            rate(total, window, seconds),
            rate(good, window, seconds)
        )),
        PromSli::Latency {
            metric,
            selector,
            threshold,
        } => Some(format!(
            "clamp_min({} - {}, 0)",
            bucket_rate(metric, selector, "le=\"+Inf\"", window),
            bucket_rate(metric, selector, &le_matcher(*threshold), window)
        )),
        PromSli::ErrorRatio { .. } => None,
    }
}

/// The error ratio over `window` straight from an error-ratio query: clamped into [0, 1], and
/// without the NaN that `0 / 0` gives over an interval without traffic.
pub(crate) fn direct_error_ratio(sli: &PromSli, window: &str) -> Option<String> {
    match sli {
        PromSli::ErrorRatio { query } => {
            Some(format!("clamp({}, 0, 1) >= 0", at_window(query, window)))
        }
        _ => None,
    }
}

/// True when the SLI is an error ratio averaged over steps of its lookback, a subquery such
/// as `avg_over_time((q > bool 0.5)[{{.window}}:1m])`: the share of failing steps.
pub(crate) fn averages_steps(sli: &PromSli) -> bool {
    match sli {
        PromSli::ErrorRatio { query } => query.contains(&format!("[{}:", PromSli::WINDOW)),
        _ => false,
    }
}

/// `sum(rate(<metric>_bucket{<selector>, <le>}[<window>]))`.
fn bucket_rate(metric: &str, selector: &str, le: &str, window: &str) -> String {
    let selector = selector.trim().trim_end_matches([',', ' ']);
    let matchers = if selector.is_empty() {
        le.to_owned()
    } else {
        format!("{selector}, {le}")
    };
    format!(
        "sum(rate({}_bucket{{{matchers}}}[{window}]))",
        metric.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_counts_valid_from_the_inf_bucket() {
        let sli = PromSli::Latency {
            metric: "http_request_duration_seconds".into(),
            selector: "job=\"api\",".into(),
            threshold: 0.3,
        };
        assert_eq!(
            valid_rate(&sli, "5m", 300).unwrap(),
            "sum(rate(http_request_duration_seconds_bucket{job=\"api\", le=\"+Inf\"}[5m]))"
        );
        let bad = bad_rate(&sli, "1h", 3_600).unwrap();
        assert!(bad.starts_with("clamp_min(sum(rate(http_request_duration_seconds_bucket{job"));
        assert!(bad.contains("le=~`\\+?(?:0*\\.30*|"), "{bad}");
    }

    #[test]
    fn missing_errors_count_as_zero() {
        let sli = PromSli::ErrorsTotal {
            errors: "sum(rate(e[{{.window}}]))".into(),
            total: "rate(t[{{.window}}])".into(),
        };
        assert_eq!(
            bad_rate(&sli, "5m", 300).unwrap(),
            "sum(rate(e[5m])) or on() vector(0)"
        );
        assert_eq!(valid_rate(&sli, "5m", 300).unwrap(), "sum(rate(t[5m]))");
    }

    #[test]
    fn counts_over_the_range_are_recorded_per_second() {
        let sli = PromSli::GoodTotal {
            good: "sum(increase(ok[{{.window}}]))".into(),
            total: "sum(increase(all[{{.window}}]))".into(),
        };
        // 1h is 3,600 s: 7,200 requests in the hour are recorded as 2 per second.
        assert_eq!(
            valid_rate(&sli, "1h", 3_600).unwrap(),
            "sum(increase(all[1h])) / 3600"
        );
        assert_eq!(
            bad_rate(&sli, "1h", 3_600).unwrap(),
            "clamp_min(sum(increase(all[1h])) / 3600 - sum(increase(ok[1h])) / 3600, 0)"
        );
        assert_eq!(mixed_units(&sli), None);
        let mixed = PromSli::ErrorsTotal {
            errors: "sum(rate(e[{{.window}}])) + sum(increase(f[{{.window}}]))".into(),
            total: "sum(rate(t[{{.window}}]))".into(),
        };
        assert_eq!(
            mixed_units(&mixed),
            Some("sum(rate(e[{{.window}}])) + sum(increase(f[{{.window}}]))")
        );
    }
}
