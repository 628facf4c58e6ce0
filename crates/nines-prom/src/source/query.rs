//! The query text nines sends: an SLO's queries with the slice put in for the placeholder, in
//! the unit they count in, and the queries of a histogram's buckets.

use nines_core::slo::PromSli;

/// What replaces [`PromSli::WINDOW`]: one slice, so that each sample counts one minute.
pub(crate) const SLICE_RANGE: &str = "1m";

/// Seconds in a slice, to turn a per-second rate into the slice's count.
const SLICE_SECONDS: f64 = 60.0;

/// Milliseconds in a slice.
const SLICE_MS: i64 = 60_000;

/// One query, ready to send, and the factor that turns its value into events per slice.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CountQuery {
    /// The PromQL text.
    pub(crate) text: String,
    /// 60 for per-second rates, 1 for counts.
    pub(crate) scale: f64,
}

/// Why a query's unit cannot be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MixedUnits;

/// The count query for a Sloth-style `template`. A query built on `rate()` gives events per
/// second, and is scaled to events per slice; one built on `increase()` or `*_over_time()`
/// counts already. A query that mixes both has no single unit.
///
/// The samples that `sum_over_time()` and `count_over_time()` count are read over a range a
/// millisecond short of the slice, so that each sample counts in one slice only.
pub(crate) fn count_query(template: &str) -> Result<CountQuery, MixedUnits> {
    let text = crate::promql::at_lookback(template, SLICE_RANGE, SLICE_MS);
    let scale = if per_second(&text)? {
        SLICE_SECONDS
    } else {
        1.0
    };
    Ok(CountQuery { text, scale })
}

/// True when `query` gives events per second (it calls `rate()` or `irate()`), false when it
/// counts events over its range (`increase()`, `*_over_time()`, or no function at all).
pub(crate) fn per_second(query: &str) -> Result<bool, MixedUnits> {
    let called = called_functions(query);
    let per_second = called
        .iter()
        .any(|name| PromSli::PER_SECOND_FUNCTIONS.contains(name));
    let counting = called
        .iter()
        .any(|name| PromSli::COUNTING_FUNCTIONS.contains(name));
    match (per_second, counting) {
        (true, true) => Err(MixedUnits),
        (per_second, _) => Ok(per_second),
    }
}

/// The names of the functions `query` calls: identifiers followed by `(`, outside string
/// literals (a label value may well contain `rate(`).
fn called_functions(query: &str) -> Vec<&str> {
    let bytes = query.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'' | b'`') => i = skip_string(bytes, i, quote),
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let next = bytes[i..].iter().find(|b| !b.is_ascii_whitespace());
                if next == Some(&b'(') {
                    names.push(&query[start..i]);
                }
            }
            _ => i += 1,
        }
    }
    names
}

/// The index just past the string literal that opens at `start`.
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != quote {
        // Raw strings (backticks) have no escapes.
        i += if bytes[i] == b'\\' && quote != b'`' {
            2
        } else {
            1
        };
    }
    i + 1
}

/// The series selector of a histogram's buckets, such as `latency_bucket{job="api"}`.
pub(crate) fn bucket_selector(metric: &str, selector: &str) -> String {
    format!("{metric}_bucket{{{}}}", selector.trim())
}

/// The count, per slice, of the events in the buckets whose bound is one of `spellings`.
pub(crate) fn bucket_query(metric: &str, selector: &str, spellings: &[String]) -> CountQuery {
    let selector = selector.trim();
    let separator = if selector.is_empty() { "" } else { "," };
    let le = le_matcher(spellings);
    CountQuery {
        text: format!("sum(increase({metric}_bucket{{{selector}{separator}{le}}}[{SLICE_RANGE}]))"),
        scale: 1.0,
    }
}

/// A matcher for the `le` label: equality for one spelling, an anchored regex for several
/// (clients write `0.3` and `0.30` for the same bound).
fn le_matcher(spellings: &[String]) -> String {
    match spellings {
        [one] => format!("le=\"{}\"", escape_string(one)),
        many => {
            let alternatives: Vec<String> = many.iter().map(|s| escape_regex(s)).collect();
            format!("le=~\"{}\"", escape_string(&alternatives.join("|")))
        }
    }
}

fn escape_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn escape_string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The bucket bounds among `values` (the `le` label's values) that equal `bound` as numbers,
/// as they are spelled; or, when none does, the nearest bounds below and above.
pub(crate) fn matching_bounds(
    values: &[String],
    bound: f64,
) -> Result<Vec<String>, (Option<f64>, Option<f64>)> {
    let parsed: Vec<(&String, f64)> = values
        .iter()
        .filter_map(|text| Some((text, parse_bound(text)?)))
        .collect();
    let matching: Vec<String> = parsed
        .iter()
        .filter(|(_, value)| *value == bound)
        .map(|(text, _)| (*text).clone())
        .collect();
    if !matching.is_empty() {
        return Ok(matching);
    }
    let below = parsed
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| *v < bound)
        .reduce(f64::max);
    let above = parsed
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| *v > bound)
        .reduce(f64::min);
    Err((below, above))
}

/// A bucket bound as a number: `0.3`, `3e-1`, `+Inf`.
fn parse_bound(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| !v.is_nan())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn rates_are_scaled_to_the_slice_and_counts_are_not() {
        let rate = count_query("sum(rate(x{code=~\"5..\"}[{{.window}}]))").unwrap();
        assert_eq!(rate.text, "sum(rate(x{code=~\"5..\"}[1m]))");
        assert_eq!(rate.scale, 60.0);
        let increase = count_query("sum(increase(x[{{.window}}]))").unwrap();
        assert_eq!(increase.scale, 1.0);
        let gauge = count_query("sum(sum_over_time(x[{{.window}}]))").unwrap();
        assert_eq!(gauge.scale, 1.0);
        // Samples on a minute's end count in that minute only.
        assert_eq!(gauge.text, "sum(sum_over_time(x[59s999ms]))");
        let spaced = count_query("sum by (job) (irate (x[{{.window}}]))").unwrap();
        assert_eq!(spaced.scale, 60.0);
    }

    #[test]
    fn function_names_inside_strings_do_not_count() {
        let query = count_query("sum(increase(x{path=\"/rate(\"}[{{.window}}]))").unwrap();
        assert_eq!(query.scale, 1.0);
        let escaped = count_query(r#"sum(increase(x{path="\"rate("}[{{.window}}]))"#).unwrap();
        assert_eq!(escaped.scale, 1.0);
        let raw = count_query("sum(increase(x{path=`rate(`}[{{.window}}]))").unwrap();
        assert_eq!(raw.scale, 1.0);
    }

    #[test]
    fn a_query_mixing_rates_and_counts_has_no_unit() {
        let mixed = count_query("sum(rate(a[{{.window}}])) + sum(increase(b[{{.window}}]))");
        assert_eq!(mixed, Err(MixedUnits));
    }

    #[test]
    fn bounds_are_compared_as_numbers() {
        let values = strings(&["0.1", "0.30", "0.3", "3e-1", "1", "+Inf"]);
        assert_eq!(
            matching_bounds(&values, 0.3),
            Ok(strings(&["0.30", "0.3", "3e-1"]))
        );
        assert_eq!(
            matching_bounds(&values, f64::INFINITY),
            Ok(strings(&["+Inf"]))
        );
        assert_eq!(matching_bounds(&values, 0.25), Err((Some(0.1), Some(0.3))));
        assert_eq!(matching_bounds(&values, 0.05), Err((None, Some(0.1))));
        assert_eq!(matching_bounds(&[], 0.05), Err((None, None)));
    }

    #[test]
    fn bucket_queries_match_every_spelling_of_the_bound() {
        let one = bucket_query("latency", "job=\"api\"", &strings(&["0.3"]));
        assert_eq!(
            one.text,
            "sum(increase(latency_bucket{job=\"api\",le=\"0.3\"}[1m]))"
        );
        let two = bucket_query("latency", "", &strings(&["0.3", "0.30"]));
        assert_eq!(
            two.text,
            r#"sum(increase(latency_bucket{le=~"0\\.3|0\\.30"}[1m]))"#
        );
        let inf = bucket_query("latency", " ", &strings(&["+Inf"]));
        assert_eq!(inf.text, "sum(increase(latency_bucket{le=\"+Inf\"}[1m]))");
    }
}
