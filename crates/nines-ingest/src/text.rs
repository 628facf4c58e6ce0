//! Reading numbers and absent values out of log text, without allocating.
//!
//! Every reader uses these; the access-log readers call them millions of times a second, so the
//! common shapes (`200`, `5316`, `0.123`) take a hand-written path before any general parser.

/// Access logs write `-` for a value that is absent.
#[inline]
pub(crate) fn dash_none(text: &str) -> Option<&str> {
    (text != "-").then_some(text)
}

/// A non-negative integer of up to 18 digits (so it cannot overflow `i64`).
#[inline]
pub(crate) fn parse_count(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 18 {
        return None;
    }
    bytes.iter().try_fold(0i64, |acc, &b| {
        let digit = b.wrapping_sub(b'0');
        (digit < 10).then(|| acc * 10 + i64::from(digit))
    })
}

/// An HTTP status: one to three digits.
#[inline]
pub(crate) fn parse_status(text: &str) -> Option<i64> {
    if text.len() > 3 {
        return None;
    }
    parse_count(text)
}

/// Powers of ten that `f64` holds exactly.
const EXACT_POWERS: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A non-negative decimal such as `0.123`, as a finite `f64`.
///
/// With at most 15 digits both the digits and the power of ten are exact in `f64`, so one
/// division gives the correctly rounded result (Clinger's fast path); longer or exponent forms
/// go to the standard parser.
#[inline]
pub(crate) fn parse_decimal(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut mantissa = 0u64;
    let mut digits = 0usize;
    let mut scale = None;
    for (at, &b) in bytes.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            mantissa = mantissa * 10 + u64::from(digit);
            digits += 1;
            if digits > 15 {
                return parse_finite(text);
            }
        } else if b == b'.' && scale.is_none() {
            scale = Some(at + 1);
        } else {
            return parse_finite(text);
        }
    }
    if digits == 0 {
        return None;
    }
    let fraction_digits = scale.map_or(0, |start| bytes.len() - start);
    Some(mantissa as f64 / EXACT_POWERS[fraction_digits])
}

/// A number the standard parser accepts, if finite (`inf` and `NaN` are not latencies).
fn parse_finite(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// A number written as text in a record: an integer when it has no fraction or exponent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// A whole number that fits `i64`.
    Int(i64),
    /// Anything else that is finite.
    Float(f64),
}

/// Reads `text` as a number, for records that write numbers as strings (`"200"`, `"0.25"`).
pub(crate) fn parse_number(text: &str) -> Option<Number> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(value) = text.parse::<i64>() {
            return Some(Number::Int(value));
        }
    }
    // Reject words the float parser knows (`inf`, `NaN`) but no record means as a number.
    let first = digits.bytes().next()?;
    if !(first.is_ascii_digit() || first == b'.') {
        return None;
    }
    parse_finite(text).map(Number::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_statuses() {
        assert_eq!(parse_count("5316"), Some(5316));
        assert_eq!(parse_count("0"), Some(0));
        assert_eq!(parse_count(""), None);
        assert_eq!(parse_count("12a"), None);
        assert_eq!(parse_count("-1"), None);
        assert_eq!(parse_count("9999999999999999999"), None);
        assert_eq!(parse_status("503"), Some(503));
        assert_eq!(parse_status("5030"), None);
    }

    #[test]
    fn decimals_match_the_standard_parser() {
        for text in [
            "0.123",
            "12",
            "0.000",
            "1.5",
            "123456.789012345",
            "3.",
            "0.1234567890123456",
        ] {
            assert_eq!(parse_decimal(text), text.parse::<f64>().ok(), "{text}");
        }
        assert_eq!(parse_decimal("1e-3"), Some(0.001));
        assert_eq!(parse_decimal("."), None);
        assert_eq!(parse_decimal("inf"), None);
        assert_eq!(parse_decimal("1.2.3"), None);
        assert_eq!(parse_decimal("-"), None);
    }

    #[test]
    fn numbers_in_text() {
        assert_eq!(parse_number("200"), Some(Number::Int(200)));
        assert_eq!(parse_number(" -3 "), Some(Number::Int(-3)));
        assert_eq!(parse_number("0.25"), Some(Number::Float(0.25)));
        assert_eq!(parse_number("1e3"), Some(Number::Float(1000.0)));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("infinity"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("12abc"), None);
    }
}
