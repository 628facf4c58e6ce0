//! SLO windows: rolling (the last 30 days) and calendar (this month, in a time zone).
//!
//! A rolling window `W` evaluated at `t` covers `[t - W, t)`. A calendar window covers the
//! period of its unit that holds the instant just before `t`, so that evaluating at midnight on
//! the 1st reports the month that just ended; only `[start, t)` has happened so far.

use std::fmt;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::duration::Duration;

/// The calendar units a window can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalendarUnit {
    /// A day.
    Day,
    /// A week, starting on the window's first day of the week.
    Week,
    /// A month.
    Month,
    /// A quarter (January, April, July, October).
    Quarter,
    /// A year.
    Year,
}

impl CalendarUnit {
    /// The unit's name in specs and output.
    pub fn name(self) -> &'static str {
        match self {
            CalendarUnit::Day => "day",
            CalendarUnit::Week => "week",
            CalendarUnit::Month => "month",
            CalendarUnit::Quarter => "quarter",
            CalendarUnit::Year => "year",
        }
    }

    /// Looks a unit up by name.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Day,
            Self::Week,
            Self::Month,
            Self::Quarter,
            Self::Year,
        ]
        .into_iter()
        .find(|unit| unit.name() == name)
    }
}

/// A calendar window: a unit in a time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarWindow {
    /// Day, week, month, quarter or year.
    pub unit: CalendarUnit,
    /// The time zone whose midnight starts a period.
    pub time_zone: TimeZone,
    /// The zone's IANA name, as written (`Europe/Berlin`).
    pub time_zone_name: String,
    /// The day a week starts on (only weekly windows use it).
    pub week_start: Weekday,
}

/// The period an SLO's objective applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    /// The last `Duration` before the evaluation time.
    Rolling(Duration),
    /// The current calendar period.
    Calendar(CalendarWindow),
}

/// The span of a window at one evaluation time, in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Where the window starts.
    pub start_ms: i64,
    /// The evaluation time: what has happened lies in `[start_ms, now_ms)`.
    pub now_ms: i64,
    /// Where the window ends: `now_ms` for rolling windows, the period's end for calendar ones.
    pub end_ms: i64,
}

impl Period {
    /// The whole length of the window, including what is still to come.
    pub fn length_ms(self) -> i64 {
        self.end_ms - self.start_ms
    }

    /// The part that has happened.
    pub fn elapsed_ms(self) -> i64 {
        self.now_ms - self.start_ms
    }
}

impl Window {
    /// The window's span when evaluated at `now_ms`.
    pub fn period_at(&self, now_ms: i64) -> Period {
        match self {
            Window::Rolling(length) => Period {
                start_ms: now_ms - length.millis(),
                now_ms,
                end_ms: now_ms,
            },
            Window::Calendar(calendar) => {
                let (start_ms, end_ms) = calendar.bounds_of(now_ms - 1);
                Period {
                    start_ms,
                    now_ms,
                    end_ms,
                }
            }
        }
    }

    /// The nominal length used to scale alert factors: the rolling length, or the average
    /// length of the calendar unit (a month counts as 30 days).
    pub fn nominal_length(&self) -> Duration {
        const DAY: i64 = 86_400;
        match self {
            Window::Rolling(length) => *length,
            Window::Calendar(calendar) => Duration::from_seconds(match calendar.unit {
                CalendarUnit::Day => DAY,
                CalendarUnit::Week => 7 * DAY,
                CalendarUnit::Month => 30 * DAY,
                CalendarUnit::Quarter => 90 * DAY,
                CalendarUnit::Year => 365 * DAY,
            }),
        }
    }

    /// True for calendar windows.
    pub fn is_calendar(&self) -> bool {
        matches!(self, Window::Calendar(_))
    }
}

impl CalendarWindow {
    /// The start and end (Unix ms) of the period holding the instant `at_ms`.
    pub fn bounds_of(&self, at_ms: i64) -> (i64, i64) {
        let instant = Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
        let today = instant.to_zoned_datetime(self.time_zone.clone()).date();
        let start = self.period_start(today);
        let end = self.period_end(start);
        (self.midnight_ms(start), self.midnight_ms(end))
    }

    fn period_start(&self, day: Date) -> Date {
        match self.unit {
            CalendarUnit::Day => day,
            CalendarUnit::Week => {
                let back = self.week_start.until(day.weekday());
                day.checked_sub(i64::from(back).days()).unwrap_or(day)
            }
            CalendarUnit::Month => day.first_of_month(),
            CalendarUnit::Quarter => {
                let first_month = (day.month() - 1) / 3 * 3 + 1;
                Date::new(day.year(), first_month, 1).unwrap_or(day)
            }
            CalendarUnit::Year => day.first_of_year(),
        }
    }

    fn period_end(&self, start: Date) -> Date {
        let span = match self.unit {
            CalendarUnit::Day => 1.day(),
            CalendarUnit::Week => 7.days(),
            CalendarUnit::Month => 1.month(),
            CalendarUnit::Quarter => 3.months(),
            CalendarUnit::Year => 1.year(),
        };
        start.checked_add(span).unwrap_or(start)
    }

    /// The first instant of `day` in the window's zone (midnight, or the first time that
    /// exists when a clock change skips midnight).
    fn midnight_ms(&self, day: Date) -> i64 {
        day.to_zoned_datetime(self.time_zone.clone())
            .map(|zoned| zoned.timestamp().as_millisecond())
            .unwrap_or_default()
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Rolling(length) => write!(f, "{length}"),
            Window::Calendar(calendar) => {
                write!(f, "{} ({})", calendar.unit.name(), calendar.time_zone_name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(unit: CalendarUnit, zone: &str, week_start: Weekday) -> Window {
        Window::Calendar(CalendarWindow {
            unit,
            time_zone: TimeZone::get(zone).unwrap(),
            time_zone_name: zone.to_owned(),
            week_start,
        })
    }

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn rolling_window_ends_at_evaluation_time() {
        let window = Window::Rolling("7d".parse().unwrap());
        let period = window.period_at(ms("2026-10-08T00:00:00Z"));
        assert_eq!(period.start_ms, ms("2026-10-01T00:00:00Z"));
        assert_eq!(period.end_ms, ms("2026-10-08T00:00:00Z"));
    }

    #[test]
    fn berlin_months_follow_daylight_saving() {
        let window = calendar(CalendarUnit::Month, "Europe/Berlin", Weekday::Monday);
        // October 2026 starts 2026-09-30T22:00Z (CEST, +2) and ends 2026-10-31T23:00Z (CET,
        // +1): the clocks go back on 25 October, so it has 31 × 24 + 1 = 745 hours.
        let october = window.period_at(ms("2026-10-15T12:00:00Z"));
        assert_eq!(october.start_ms, ms("2026-09-30T22:00:00Z"));
        assert_eq!(october.end_ms, ms("2026-10-31T23:00:00Z"));
        assert_eq!(october.length_ms() / 60_000, 44_700);
        // March 2026: 31 × 24 − 1 = 743 hours (clocks go forward on 29 March).
        let march = window.period_at(ms("2026-03-10T00:00:00Z"));
        assert_eq!(march.length_ms() / 60_000, 44_580);
        // February 2026: 28 × 24 = 672 hours = 40,320 minutes.
        let february = window.period_at(ms("2026-02-10T00:00:00Z"));
        assert_eq!(february.length_ms() / 60_000, 40_320);
    }

    #[test]
    fn evaluating_at_a_period_boundary_reports_the_period_that_ended() {
        let window = calendar(CalendarUnit::Month, "UTC", Weekday::Monday);
        let period = window.period_at(ms("2026-11-01T00:00:00Z"));
        assert_eq!(period.start_ms, ms("2026-10-01T00:00:00Z"));
        assert_eq!(period.elapsed_ms(), period.length_ms());
    }

    #[test]
    fn weeks_start_on_the_configured_day() {
        // 2026-12-03 is a Thursday.
        let monday = calendar(CalendarUnit::Week, "UTC", Weekday::Monday);
        let period = monday.period_at(ms("2026-12-03T10:00:00Z"));
        assert_eq!(period.start_ms, ms("2026-11-30T00:00:00Z"));
        assert_eq!(period.end_ms, ms("2026-12-07T00:00:00Z"));
        let sunday = calendar(CalendarUnit::Week, "UTC", Weekday::Sunday);
        let period = sunday.period_at(ms("2026-12-03T10:00:00Z"));
        assert_eq!(period.start_ms, ms("2026-11-29T00:00:00Z"));
        // A Sunday-start week evaluated on a Sunday starts that very day.
        let period = sunday.period_at(ms("2026-11-29T05:00:00Z"));
        assert_eq!(period.start_ms, ms("2026-11-29T00:00:00Z"));
    }

    #[test]
    fn quarters_and_years() {
        let quarter = calendar(CalendarUnit::Quarter, "UTC", Weekday::Monday);
        let period = quarter.period_at(ms("2026-08-15T00:00:00Z"));
        assert_eq!(period.start_ms, ms("2026-07-01T00:00:00Z"));
        assert_eq!(period.end_ms, ms("2026-10-01T00:00:00Z"));
        let year = calendar(CalendarUnit::Year, "America/New_York", Weekday::Monday);
        let period = year.period_at(ms("2026-08-15T00:00:00Z"));
        assert_eq!(period.start_ms, ms("2026-01-01T05:00:00Z"));
        assert_eq!(period.end_ms, ms("2027-01-01T05:00:00Z"));
    }
}
