//! PromQL text: string literals, selectors, numbers, the `{{.window}}` placeholder, and the
//! `le` matcher that finds a histogram bucket by its numeric bound.

use nines_core::slo::PromSli;

/// A PromQL double-quoted string literal.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{a="x", b="y"}` from label pairs, in the order given.
pub(crate) fn selector<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let matchers: Vec<String> = labels
        .into_iter()
        .map(|(name, value)| format!("{name}={}", string(value)))
        .collect();
    format!("{{{}}}", matchers.join(", "))
}

/// A number as PromQL reads it back to the same float: `14.4`, `6`, `0.9333333333333333`.
pub(crate) fn number(value: f64) -> String {
    format!("{value}")
}

/// Functions that count the samples in their range. Prometheus 2.x ranges hold both of their
/// ends, so a sample on the boundary of two back-to-back ranges would count in both; their
/// range is made a millisecond shorter (`[4m59s999ms]` for `5m`), so that back-to-back ranges
/// share no sample, as the increases of `rate()` and `increase()` share none.
const SAMPLE_COUNTING: [&str; 2] = ["sum_over_time", "count_over_time"];

/// The query with its `{{.window}}` placeholder replaced by `window`.
pub(crate) fn at_window(query: &str, window: &str) -> String {
    query.trim().replace(PromSli::WINDOW, window)
}

/// The query over the lookback of `window_ms` milliseconds: the placeholder becomes `window`
/// (its text, such as `5m`), and a millisecond less in the functions of [`SAMPLE_COUNTING`],
/// so that the query at `t` counts the samples of `(t - window, t]`.
pub(crate) fn at_lookback(query: &str, window: &str, window_ms: i64) -> String {
    let query = query.trim();
    let just_under = duration_ms(window_ms - 1);
    let bytes = query.as_bytes();
    let mut out = String::with_capacity(query.len());
    // The function (or nothing) that each open parenthesis belongs to.
    let mut calls: Vec<&str> = Vec::new();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if query[at..].starts_with(PromSli::WINDOW) {
            out.push_str(&query[copied..at]);
            let counts_samples = calls
                .last()
                .is_some_and(|name| SAMPLE_COUNTING.contains(name));
            out.push_str(if counts_samples { &just_under } else { window });
            at += PromSli::WINDOW.len();
            copied = at;
            continue;
        }
        match bytes[at] {
            quote @ (b'"' | b'\'' | b'`') => at = string_end(bytes, at, quote),
            b'(' => calls.push(name_before(&query[..at])),
            b')' => {
                calls.pop();
            }
            _ => {}
        }
        at += 1;
    }
    out.push_str(&query[copied..]);
    out
}

/// The offset of the quote closing the string literal that opens at `start`.
fn string_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut at = start + 1;
    while at < bytes.len() && bytes[at] != quote {
        // Raw strings (backticks) have no escapes.
        if bytes[at] == b'\\' && quote != b'`' {
            at += 1;
        }
        at += 1;
    }
    at
}

/// The identifier that ends `text`, spaces after it ignored; empty when there is none.
fn name_before(text: &str) -> &str {
    let text = text.trim_end();
    let start = text
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |at| at + 1);
    &text[start..]
}

/// `milliseconds` as a PromQL duration: `4m59s999ms`, `27d23h59m59s999ms`, `1m`.
pub(crate) fn duration_ms(milliseconds: i64) -> String {
    const UNITS: [(&str, i64); 5] = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let mut rest = milliseconds.max(1);
    let mut out = String::new();
    for (unit, length) in UNITS {
        if rest >= length {
            out.push_str(&format!("{}{unit}", rest / length));
            rest %= length;
        }
    }
    out
}

/// The query summed into one series, unless it already is a bare `sum(...)`.
///
/// Each SLO is one series of events; summing also keeps a query that returns one series per
/// instance from turning the SLI into a per-instance one.
pub(crate) fn summed(query: &str) -> String {
    let query = query.trim();
    let bare_sum = query
        .strip_prefix("sum(")
        .is_some_and(|_| closing_paren(query, 3) == Some(query.len() - 1));
    if bare_sum {
        query.to_owned()
    } else {
        format!("sum({query})")
    }
}

/// The byte index of the parenthesis closing the one at `open`, skipping string literals.
fn closing_paren(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut index = open;
    while index < bytes.len() {
        let b = bytes[index];
        match quote {
            Some(q) if b == b'\\' && q != b'`' => index += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if matches!(b, b'"' | b'\'' | b'`') => quote = Some(b),
            None if b == b'(' => depth += 1,
            None if b == b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            None => {}
        }
        index += 1;
    }
    None
}

/// The `le` matcher of the bucket whose bound equals `threshold`, compared as numbers: a regex
/// (in a raw string) that matches every usual spelling of the number, `0.3`, `0.30`, `.3`,
/// `3e-01`, `3.0E-1`, and no other number.
///
/// Exporters print bounds differently (Go prints `0.3`, some libraries `0.30`, Python `1e-05`);
/// an exact `le="0.3"` would silently find nothing for some of them.
pub(crate) fn le_matcher(threshold: f64) -> String {
    format!("le=~`{}`", le_regex(threshold))
}

/// The regex of [`le_matcher`].
pub(crate) fn le_regex(threshold: f64) -> String {
    PromSli::bucket_bound_regex(threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_and_backslashes() {
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(
            selector([("sloth_id", "api-x"), ("b", "1")]),
            r#"{sloth_id="api-x", b="1"}"#
        );
    }

    #[test]
    fn bare_sums_are_not_summed_again() {
        assert_eq!(summed("sum(rate(x[5m]))"), "sum(rate(x[5m]))");
        assert_eq!(summed(" rate(x[5m]) "), "sum(rate(x[5m]))");
        assert_eq!(
            summed("sum(rate(x[5m])) by (job)"),
            "sum(sum(rate(x[5m])) by (job))"
        );
        assert_eq!(
            summed("sum(rate(x[5m])) / sum(rate(y[5m]))"),
            "sum(sum(rate(x[5m])) / sum(rate(y[5m])))"
        );
        assert_eq!(
            summed(r#"sum(rate(x{a=")"}[5m]))"#),
            r#"sum(rate(x{a=")"}[5m]))"#
        );
    }

    #[test]
    fn ranges_that_count_samples_end_just_short_of_the_lookback() {
        // 5m is 300,000 ms; a millisecond less is 4m59s999ms.
        assert_eq!(
            at_lookback(
                "sum(count_over_time(x[{{.window}}])) + sum(increase(y[{{.window}}]))",
                "5m",
                300_000
            ),
            "sum(count_over_time(x[4m59s999ms])) + sum(increase(y[5m]))"
        );
        assert_eq!(
            at_lookback(
                "sum(sum_over_time (x{a=\")\"}[{{.window}}]))",
                "28d",
                2_419_200_000
            ),
            "sum(sum_over_time (x{a=\")\"}[27d23h59m59s999ms]))"
        );
        assert_eq!(
            at_lookback("sum(rate(x[{{.window}}]))", "1m", 60_000),
            "sum(rate(x[1m]))"
        );
        assert_eq!(duration_ms(59_999), "59s999ms");
        assert_eq!(duration_ms(3_600_000), "1h");
    }

    #[test]
    fn numbers_print_shortest() {
        assert_eq!(number(14.4), "14.4");
        assert_eq!(number(6.0), "6");
        assert_eq!(number(67.2 / 72.0), "0.9333333333333333");
    }

    /// `le_regex(x)` anchored as Prometheus anchors label regexes.
    fn matcher(threshold: f64) -> regex::Regex {
        regex::Regex::new(&format!("^(?:{})$", le_regex(threshold))).unwrap()
    }

    /// The ways exporters spell `value`: shortest, with trailing zeros, in scientific
    /// notation as Rust, C and Python print it, with a plus sign.
    fn spellings(value: f64) -> Vec<String> {
        let plain = format!("{value}");
        let scientific = format!("{value:e}");
        let (mantissa, exponent) = scientific.split_once('e').unwrap();
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(digits) => ("-", digits),
            None => ("+", exponent),
        };
        let mut all = vec![
            plain.clone(),
            format!("+{plain}"),
            scientific.clone(),
            format!("{mantissa}e{sign}{digits:0>2}"),
            format!("{mantissa}E{sign}{digits:0>2}"),
        ];
        if plain.contains('.') {
            all.push(format!("{plain}000"));
        } else {
            all.push(format!("{plain}.0"));
        }
        if !mantissa.contains('.') {
            all.push(format!("{mantissa}.000e{exponent}"));
        }
        all
    }

    proptest::proptest! {
        /// Every spelling of the threshold matches; no spelling of a neighbouring bound does.
        #[test]
        fn le_regex_matches_the_threshold_and_nothing_else(
            digits in 1u64..100_000,
            exponent in -7i32..5,
        ) {
            let value: f64 = format!("{digits}e{exponent}").parse().unwrap();
            let neighbour: f64 = format!("{}e{exponent}", digits + 1).parse().unwrap();
            let matcher = matcher(value);
            for spelling in spellings(value) {
                proptest::prop_assert!(matcher.is_match(&spelling), "{} ≠ {}", spelling, value);
            }
            for spelling in spellings(neighbour) {
                proptest::prop_assert!(!matcher.is_match(&spelling), "{} = {}", spelling, value);
            }
        }
    }

    #[test]
    fn le_regex_shapes() {
        assert_eq!(le_regex(0.3), r"\+?(?:0*\.30*|3(?:\.0*)?[eE]-0*1)");
        assert_eq!(le_regex(1.0), r"\+?(?:0*1(?:\.0*)?|1(?:\.0*)?[eE][+-]?0+)");
    }
}
