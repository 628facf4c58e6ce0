//! Durations as SLO files write them: `5m`, `1h30m`, `28d`, `1w`.

use std::fmt;
use std::str::FromStr;

/// A positive whole number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: i64,
}

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a duration: {why}")]
pub struct DurationError {
    text: String,
    why: &'static str,
}

const UNITS: [(char, i64); 5] = [
    ('w', 604_800),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

impl Duration {
    /// One minute, the resolution of slice series.
    pub const MINUTE: Duration = Duration { seconds: 60 };

    /// A duration of `seconds`.
    pub const fn from_seconds(seconds: i64) -> Self {
        Duration { seconds }
    }

    /// A duration of `minutes`.
    pub const fn from_minutes(minutes: i64) -> Self {
        Duration {
            seconds: minutes * 60,
        }
    }

    /// The length in seconds.
    pub fn seconds(self) -> i64 {
        self.seconds
    }

    /// The length in milliseconds.
    pub fn millis(self) -> i64 {
        self.seconds * 1000
    }

    /// The length in whole minutes, rounded down.
    pub fn minutes(self) -> i64 {
        self.seconds / 60
    }

    /// True when the duration is a whole number of minutes.
    pub fn is_whole_minutes(self) -> bool {
        self.seconds % 60 == 0
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |why| DurationError {
            text: text.to_owned(),
            why,
        };
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(fail(
                "it is empty; write a number and a unit, such as 30d or 5m",
            ));
        }
        let mut seconds: i64 = 0;
        while !rest.is_empty() {
            let split = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if split == 0 && rest.starts_with('-') {
                return Err(fail("it must be longer than zero"));
            }
            if split == 0 {
                return Err(fail(
                    "expected a number; write a number and a unit, such as 30d",
                ));
            }
            if rest[split..].starts_with(['.', ',']) {
                return Err(fail(
                    "it has a fraction; combine whole units instead, such as 1d12h or 90m",
                ));
            }
            let number: i64 = rest[..split]
                .parse()
                .map_err(|_| fail("the number is too large"))?;
            let unit = rest[split..]
                .chars()
                .next()
                .ok_or(fail("a unit is missing; use s, m, h, d or w, such as 30d"))?;
            let (_, scale) = UNITS
                .iter()
                .find(|(u, _)| *u == unit)
                .ok_or(fail("unknown unit; use s, m, h, d or w"))?;
            seconds = number
                .checked_mul(*scale)
                .and_then(|s| seconds.checked_add(s))
                .ok_or(fail("it is too long"))?;
            rest = &rest[split + unit.len_utf8()..];
        }
        if seconds == 0 {
            return Err(fail("it must be longer than zero"));
        }
        Ok(Duration { seconds })
    }
}

impl fmt::Display for Duration {
    /// The shortest form in days, hours, minutes and seconds: `7d`, `1h30m`, `90s` → `1m30s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.seconds;
        for (unit, scale) in &UNITS[1..] {
            if rest >= *scale {
                write!(f, "{}{unit}", rest / scale)?;
                rest %= scale;
            }
        }
        if self.seconds == 0 {
            f.write_str("0s")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(text: &str) -> i64 {
        text.parse::<Duration>().unwrap().seconds()
    }

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(seconds("90s"), 90);
        assert_eq!(seconds("5m"), 300);
        assert_eq!(seconds("1h30m"), 5_400);
        assert_eq!(seconds("28d"), 28 * 86_400);
        assert_eq!(seconds("1w"), 7 * 86_400);
    }

    #[test]
    fn prints_the_shortest_form() {
        assert_eq!(Duration::from_seconds(7 * 86_400).to_string(), "7d");
        assert_eq!(Duration::from_minutes(84).to_string(), "1h24m");
        assert_eq!(Duration::from_seconds(90).to_string(), "1m30s");
        assert_eq!(Duration::from_minutes(5).to_string(), "5m");
    }

    #[test]
    fn says_why_fractions_and_negatives_are_refused() {
        let why = |text: &str| text.parse::<Duration>().unwrap_err().to_string();
        assert_eq!(
            why("1.5d"),
            "`1.5d` is not a duration: it has a fraction; combine whole units instead, such as \
             1d12h or 90m"
        );
        assert_eq!(
            why("-5m"),
            "`-5m` is not a duration: it must be longer than zero"
        );
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for text in [
            "",
            "5",
            "m",
            "5x",
            "0m",
            "-5m",
            "1.5h",
            "99999999999999999d",
        ] {
            assert!(text.parse::<Duration>().is_err(), "{text}");
        }
    }
}
