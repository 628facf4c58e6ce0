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

/// The query with its `{{.window}}` placeholder replaced by `window`.
pub(crate) fn at_window(query: &str, window: &str) -> String {
    query.trim().replace(PromSli::WINDOW, window)
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
    let text = format!("{threshold}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let plain = plain_pattern(whole, fraction);
    let scientific = scientific_pattern(whole, fraction);
    format!("\\+?(?:{plain}|{scientific})")
}

/// `0*\.30*` for 0.3, `0*12(\.0*)?` for 12: leading and trailing zeros allowed.
fn plain_pattern(whole: &str, fraction: &str) -> String {
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let fraction_pattern = if fraction.is_empty() {
        "(?:\\.0*)?".to_owned()
    } else {
        format!("\\.{fraction}0*")
    };
    format!("0*{whole}{fraction_pattern}")
}

/// `3(?:\.0*)?[eE]-0*1` for 0.3: one digit before the point, as `%e` and `%g` print.
fn scientific_pattern(whole: &str, fraction: &str) -> String {
    let digits = format!("{whole}{fraction}");
    let first = digits.find(|c| c != '0').unwrap_or(0);
    let exponent = whole.len() as i64 - 1 - first as i64;
    let significant = digits[first..].trim_end_matches('0');
    let (lead, rest) = significant.split_at(1.min(significant.len()));
    let mantissa = if rest.is_empty() {
        format!("{lead}(?:\\.0*)?")
    } else {
        format!("{lead}\\.{rest}0*")
    };
    let exponent = match exponent {
        0 => "[+-]?0+".to_owned(),
        e if e > 0 => format!("\\+?0*{e}"),
        e => format!("-0*{}", -e),
    };
    format!("{mantissa}[eE]{exponent}")
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
