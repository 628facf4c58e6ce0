//! Timestamps as logs write them, turned into UTC milliseconds since the Unix epoch.
//!
//! Access logs repeat one timestamp shape millions of times, so the common shapes are parsed by
//! hand with plain date arithmetic; jiff handles the rarer RFC 3339 spellings and is the oracle
//! in tests. Every reader in this crate goes through here.

use nines_core::source::TimestampUnit;

const MS_PER_DAY: i64 = 86_400_000;

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    // Months counted from March, so that the leap day ends the year.
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A civil date and time with a UTC offset, checked field by field.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    offset_seconds: i64,
}

impl Civil {
    fn to_millis(&self) -> Option<i64> {
        let valid = (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            // A leap second rolls over into the next minute, as POSIX time does.
            && self.second <= 60;
        if !valid {
            return None;
        }
        let seconds = i64::from(self.hour * 3600 + self.minute * 60 + self.second);
        let day_ms = days_from_civil(self.year, self.month, self.day) * MS_PER_DAY;
        Some(day_ms + (seconds - self.offset_seconds) * 1000 + i64::from(self.millis))
    }
}

#[inline]
fn digit(bytes: &[u8], at: usize) -> Option<u32> {
    let value = bytes.get(at)?.wrapping_sub(b'0');
    (value < 10).then_some(u32::from(value))
}

#[inline]
fn two_digits(bytes: &[u8], at: usize) -> Option<u32> {
    Some(digit(bytes, at)? * 10 + digit(bytes, at + 1)?)
}

fn four_digits(bytes: &[u8], at: usize) -> Option<u32> {
    Some(two_digits(bytes, at)? * 100 + two_digits(bytes, at + 2)?)
}

fn month_from_abbreviation(name: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let position = MONTHS.iter().position(|month| month.as_slice() == name)?;
    u32::try_from(position + 1).ok()
}

/// An offset written `+hhmm` or `+hh:mm` starting at `at`, in seconds east of UTC.
fn offset_at(bytes: &[u8], at: usize, colon: bool) -> Option<i64> {
    let sign = match bytes.get(at)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = two_digits(bytes, at + 1)?;
    let minutes = two_digits(bytes, at + if colon { 4 } else { 3 })?;
    if colon && bytes[at + 3] != b':' || hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * i64::from(hours * 3600 + minutes * 60))
}

/// Parses the access-log time `17/May/2015:10:05:03 +0000` (Apache `%t` without brackets,
/// nginx `$time_local`).
pub(crate) fn parse_clf(text: &[u8]) -> Option<i64> {
    if text.len() != 26 || text[2] != b'/' || text[6] != b'/' || text[11] != b':' {
        return None;
    }
    if text[14] != b':' || text[17] != b':' || text[20] != b' ' {
        return None;
    }
    Civil {
        year: i64::from(four_digits(text, 7)?),
        month: month_from_abbreviation(&text[3..6])?,
        day: two_digits(text, 0)?,
        hour: two_digits(text, 12)?,
        minute: two_digits(text, 15)?,
        second: two_digits(text, 18)?,
        millis: 0,
        offset_seconds: offset_at(text, 21, false)?,
    }
    .to_millis()
}

/// Parses an RFC 3339 timestamp (`2015-05-17T10:05:03.250+02:00`), with jiff as the fallback
/// for spellings the fast path does not take.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    parse_rfc3339_fast(text.as_bytes()).or_else(|| {
        let timestamp: jiff::Timestamp = text.parse().ok()?;
        Some(timestamp.as_millisecond())
    })
}

fn parse_rfc3339_fast(text: &[u8]) -> Option<i64> {
    if text.len() < 20 || text[4] != b'-' || text[7] != b'-' || text[13] != b':' {
        return None;
    }
    if !matches!(text[10], b'T' | b't' | b' ') || text[16] != b':' {
        return None;
    }
    let (millis, rest) = fraction_millis(&text[19..]);
    let offset_seconds = match rest {
        b"Z" | b"z" => 0,
        _ if rest.len() == 6 => offset_at(rest, 0, true)?,
        _ => return None,
    };
    Civil {
        year: i64::from(four_digits(text, 0)?),
        month: two_digits(text, 5)?,
        day: two_digits(text, 8)?,
        hour: two_digits(text, 11)?,
        minute: two_digits(text, 14)?,
        second: two_digits(text, 17)?,
        millis,
        offset_seconds,
    }
    .to_millis()
}

/// Milliseconds from an optional `.fff...` fraction (truncated, not rounded), and what follows.
fn fraction_millis(text: &[u8]) -> (u32, &[u8]) {
    let Some(digits) = text.strip_prefix(b".") else {
        return (0, text);
    };
    let count = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    let millis = (0..3).fold(0, |acc, i| {
        acc * 10
            + if i < count {
                u32::from(digits[i] - b'0')
            } else {
                0
            }
    });
    (millis, &digits[count..])
}

/// An epoch timestamp as a record writes it: an integer or a number with a fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum EpochNumber {
    /// A whole number.
    Int(i64),
    /// A number with a fraction (or too large for `i64`).
    Float(f64),
}

/// The unit a number is in when the mapping says [`TimestampUnit::Auto`]: the smallest unit
/// that puts it between 1973 and 5138 (seconds below 1e11, milliseconds below 1e14, ...).
fn guess_unit(magnitude: f64) -> TimestampUnit {
    if magnitude < 1e11 {
        TimestampUnit::Seconds
    } else if magnitude < 1e14 {
        TimestampUnit::Millis
    } else if magnitude < 1e17 {
        TimestampUnit::Micros
    } else {
        TimestampUnit::Nanos
    }
}

/// Converts an epoch number in `unit` to milliseconds; `None` for RFC 3339 or out of range.
pub(crate) fn epoch_to_millis(number: EpochNumber, unit: TimestampUnit) -> Option<i64> {
    let unit = match (unit, number) {
        (TimestampUnit::Auto, EpochNumber::Int(value)) => guess_unit(value.unsigned_abs() as f64),
        (TimestampUnit::Auto, EpochNumber::Float(value)) => guess_unit(value.abs()),
        (unit, _) => unit,
    };
    let per_ms: i64 = match unit {
        TimestampUnit::Seconds => return seconds_to_millis(number),
        TimestampUnit::Millis => 1,
        TimestampUnit::Micros => 1_000,
        TimestampUnit::Nanos => 1_000_000,
        TimestampUnit::Auto | TimestampUnit::Rfc3339 => return None,
    };
    match number {
        EpochNumber::Int(value) => Some(value.div_euclid(per_ms)),
        EpochNumber::Float(value) => float_to_millis(value / per_ms as f64),
    }
}

fn seconds_to_millis(number: EpochNumber) -> Option<i64> {
    match number {
        EpochNumber::Int(value) => value.checked_mul(1000),
        EpochNumber::Float(value) => float_to_millis(value * 1000.0),
    }
}

/// Rounds to the nearest millisecond, which undoes binary noise such as `...102.99999`.
fn float_to_millis(millis: f64) -> Option<i64> {
    // Beyond ±2^62 ms (146 million years) a timestamp is garbage, not a date.
    const LIMIT: f64 = 4.6e18;
    (millis.is_finite() && millis.abs() < LIMIT).then(|| millis.round() as i64)
}

/// Parses nginx `$msec`: seconds with a fraction, `1431857103.123`.
pub(crate) fn parse_epoch_seconds(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 12 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (millis, _) = fraction_millis(&text.as_bytes()[whole.len()..]);
    Some(whole.parse::<i64>().ok()? * 1000 + i64::from(millis))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use proptest::prelude::*;

    fn jiff_millis(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn access_log_times_honour_the_offset() {
        assert_eq!(
            parse_clf(b"17/May/2015:10:05:03 +0000"),
            Some(jiff_millis("2015-05-17T10:05:03Z"))
        );
        // 10:05 at +02:00 is 08:05 UTC.
        assert_eq!(
            parse_clf(b"17/May/2015:10:05:03 +0200"),
            Some(jiff_millis("2015-05-17T08:05:03Z"))
        );
        assert_eq!(
            parse_clf(b"01/Jan/2000:00:30:00 -0130"),
            Some(jiff_millis("2000-01-01T02:00:00Z"))
        );
    }

    #[test]
    fn access_log_times_reject_impossible_dates() {
        for text in [
            "29/Feb/2015:10:05:03 +0000",
            "17/Mai/2015:10:05:03 +0000",
            "17/May/2015:24:05:03 +0000",
            "17/May/2015:10:05:03 0000",
            "17/May/2015:10:05:03 +0000]",
            "7/May/2015:10:05:03 +0000",
        ] {
            assert_eq!(parse_clf(text.as_bytes()), None, "{text}");
        }
        assert!(parse_clf(b"29/Feb/2016:10:05:03 +0000").is_some());
    }

    #[test]
    fn rfc3339_fast_path_and_fallback_agree_with_jiff() {
        for text in [
            "2015-05-17T10:05:03Z",
            "2015-05-17T10:05:03.25+02:00",
            "2015-05-17t10:05:03.123456789-07:30",
            "2015-05-17 10:05:03z",
        ] {
            assert_eq!(parse_rfc3339(text), Some(jiff_millis(text)), "{text}");
        }
        assert_eq!(
            parse_rfc3339("2015-05-17T10:05:03.9999Z"),
            Some(1_431_857_103_999)
        );
        assert_eq!(parse_rfc3339("2015-02-30T10:05:03Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn epoch_units_are_guessed_from_magnitude() {
        let seconds = 1_431_857_103_i64;
        let expected = seconds * 1000;
        for value in [
            seconds,
            seconds * 1000,
            seconds * 1_000_000,
            seconds * 1_000_000_000,
        ] {
            let got = epoch_to_millis(EpochNumber::Int(value), TimestampUnit::Auto);
            assert_eq!(got, Some(expected), "{value}");
        }
        let fractional = EpochNumber::Float(1_431_857_103.25);
        assert_eq!(
            epoch_to_millis(fractional, TimestampUnit::Auto),
            Some(expected + 250)
        );
        assert_eq!(
            epoch_to_millis(EpochNumber::Int(5), TimestampUnit::Millis),
            Some(5)
        );
        assert_eq!(
            epoch_to_millis(EpochNumber::Int(5), TimestampUnit::Rfc3339),
            None
        );
        assert_eq!(
            epoch_to_millis(EpochNumber::Float(f64::NAN), TimestampUnit::Auto),
            None
        );
    }

    #[test]
    fn msec_keeps_milliseconds() {
        assert_eq!(
            parse_epoch_seconds("1431857103.123"),
            Some(1_431_857_103_123)
        );
        assert_eq!(parse_epoch_seconds("1431857103"), Some(1_431_857_103_000));
        assert_eq!(parse_epoch_seconds("14318x7103.1"), None);
        assert_eq!(parse_epoch_seconds(".5"), None);
    }

    proptest! {
        #[test]
        fn civil_arithmetic_matches_jiff(
            year in 1i16..=9999,
            month in 1i8..=12,
            day in 1i8..=31,
            hour in 0u32..24,
            minute in 0u32..60,
            second in 0u32..60,
            offset_minutes in -(23i32 * 60 + 59)..=(23 * 60 + 59),
        ) {
            let max_day = days_in_month(i64::from(year), month as u32) as i8;
            prop_assume!(day <= max_day);
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let (oh, om) = (offset_minutes.abs() / 60, offset_minutes.abs() % 60);
            let (date, time) = (
                format!("{year:04}-{month:02}-{day:02}"),
                format!("{hour:02}:{minute:02}:{second:02}"),
            );
            let text = format!("{date}T{time}{sign}{oh:02}:{om:02}");
            let Ok(expected) = text.parse::<Timestamp>() else {
                // jiff's range ends a day before year 10000 in some offsets.
                return Ok(());
            };
            prop_assert_eq!(parse_rfc3339_fast(text.as_bytes()), Some(expected.as_millisecond()));
            let month_name = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                "Oct", "Nov", "Dec"][month as usize - 1];
            let clf = format!("{day:02}/{month_name}/{year:04}:{time} {sign}{oh:02}{om:02}");
            prop_assert_eq!(parse_clf(clf.as_bytes()), Some(expected.as_millisecond()));
        }
    }
}
