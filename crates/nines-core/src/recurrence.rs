//! Recurring intervals from RFC 5545 rules, for exclusions such as a weekly maintenance slot.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rrule::RRuleSet;

use crate::duration::Duration;

/// A recurring interval: an RFC 5545 `RRULE` from a first occurrence, each `duration` long.
#[derive(Debug, Clone)]
pub struct Recurrence {
    /// The rule text, such as `FREQ=WEEKLY;BYDAY=SU`.
    pub rule: String,
    /// The first occurrence (Unix ms); later ones keep its wall-clock time in `time_zone`.
    pub start_ms: i64,
    /// The zone in which the rule's days and hours are read.
    pub time_zone: String,
    /// How long each occurrence lasts.
    pub duration: Duration,
    set: RRuleSet,
}

/// Why a recurrence rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    /// The zone is not an IANA time zone.
    #[error("unknown time zone `{0}`")]
    TimeZone(String),
    /// The rule does not parse or validate.
    #[error("`{rule}` is not a valid RFC 5545 rule: {why}")]
    Rule {
        /// The rule as written.
        rule: String,
        /// What the rule parser said.
        why: String,
    },
}

impl Recurrence {
    /// Checks and keeps a rule.
    ///
    /// # Errors
    ///
    /// When the zone is unknown or the rule is not valid RFC 5545.
    pub fn new(
        rule: &str,
        start_ms: i64,
        time_zone: &str,
        duration: Duration,
    ) -> Result<Self, RecurrenceError> {
        let zone =
            TimeZone::get(time_zone).map_err(|_| RecurrenceError::TimeZone(time_zone.into()))?;
        let local = Timestamp::from_millisecond(start_ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(zone)
            .datetime();
        let rule = rule.trim().trim_start_matches("RRULE:");
        let text = format!(
            "DTSTART;TZID={time_zone}:{}\nRRULE:{rule}",
            local.strftime("%Y%m%dT%H%M%S")
        );
        let set: RRuleSet =
            text.parse()
                .map_err(|error: rrule::RRuleError| RecurrenceError::Rule {
                    rule: rule.to_owned(),
                    why: error.to_string(),
                })?;
        // nines counts whole minutes: a rule repeating every second would widen each
        // occurrence to its minute and expand into tens of millions of intervals a year.
        let secondly = set
            .get_rrule()
            .iter()
            .any(|rrule| rrule.get_freq() == rrule::Frequency::Secondly);
        if secondly {
            return Err(RecurrenceError::Rule {
                rule: rule.to_owned(),
                why: "nines counts whole minutes, so a rule repeats at most every minute \
                      (FREQ=MINUTELY); for a continuous span, write a one-off exclusion"
                    .to_owned(),
            });
        }
        Ok(Recurrence {
            rule: rule.to_owned(),
            start_ms,
            time_zone: time_zone.to_owned(),
            duration,
            set,
        })
    }

    /// The occurrences that overlap `[from_ms, to_ms)`, as `[start, end)` in Unix ms, however
    /// many there are: a minutely rule over a year has more than half a million.
    pub fn occurrences(&self, from_ms: i64, to_ms: i64) -> Vec<(i64, i64)> {
        // An occurrence that starts up to one duration before the range still overlaps it.
        let first_start = from_ms.saturating_sub(self.duration.millis());
        // The iterator runs from the rule's first occurrence; `limit` only guards against rules
        // that never produce a date, never against how many dates there are.
        self.set
            .clone()
            .limit()
            .into_iter()
            .map(|start| start.timestamp_millis())
            .skip_while(|&start| start <= first_start)
            .take_while(|&start| start < to_ms)
            .map(|start| (start, start + self.duration.millis()))
            .filter(|&(start, end)| end > from_ms && start < to_ms)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn weekly_slots_keep_local_time_across_daylight_saving() {
        // Sundays 02:00–03:00 Berlin time from 2026-10-18 (CEST, UTC+2).
        let hour = "1h".parse().unwrap();
        let weekly = Recurrence::new(
            "FREQ=WEEKLY;BYDAY=SU",
            ms("2026-10-18T00:00:00Z"),
            "Europe/Berlin",
            hour,
        )
        .unwrap();
        let slots = weekly.occurrences(ms("2026-10-17T00:00:00Z"), ms("2026-11-02T00:00:00Z"));
        // 18 October, 02:00 CEST = 00:00Z. 25 October: the clocks go back from 03:00 CEST to
        // 02:00 CET, so 02:00 happens twice; RFC 5545 takes the first, 02:00 CEST = 00:00Z.
        // 1 November, 02:00 CET = 01:00Z.
        assert_eq!(
            slots,
            vec![
                (ms("2026-10-18T00:00:00Z"), ms("2026-10-18T01:00:00Z")),
                (ms("2026-10-25T00:00:00Z"), ms("2026-10-25T01:00:00Z")),
                (ms("2026-11-01T01:00:00Z"), ms("2026-11-01T02:00:00Z")),
            ]
        );
    }

    #[test]
    fn rules_repeat_at_most_every_minute() {
        let minute = "1m".parse().unwrap();
        let start = ms("2026-01-01T00:00:00Z");
        assert!(Recurrence::new("FREQ=MINUTELY;INTERVAL=5", start, "UTC", minute).is_ok());
        let error = Recurrence::new("FREQ=SECONDLY", start, "UTC", minute).unwrap_err();
        assert!(error.to_string().contains("FREQ=MINUTELY"), "{error}");
    }

    #[test]
    fn an_occurrence_that_started_before_the_range_still_overlaps_it() {
        let daily = Recurrence::new(
            "FREQ=DAILY",
            ms("2026-01-01T23:30:00Z"),
            "UTC",
            "1h".parse().unwrap(),
        )
        .unwrap();
        let slots = daily.occurrences(ms("2026-01-02T00:00:00Z"), ms("2026-01-02T12:00:00Z"));
        assert_eq!(
            slots,
            vec![(ms("2026-01-01T23:30:00Z"), ms("2026-01-02T00:30:00Z"))]
        );
    }

    #[test]
    fn every_occurrence_is_expanded_however_many_there_are() {
        // Every other minute for 100 days: 100 × 1,440 / 2 = 72,000 occurrences, more than the
        // 65,535 that the rule library returns in one call.
        let minute: Duration = "1m".parse().unwrap();
        let rule = Recurrence::new(
            "FREQ=MINUTELY;INTERVAL=2",
            ms("2026-01-01T00:00:00Z"),
            "UTC",
            minute,
        )
        .unwrap();
        let slots = rule.occurrences(ms("2026-01-01T00:00:00Z"), ms("2026-04-11T00:00:00Z"));
        assert_eq!(slots.len(), 72_000);
        // The last starts 2 minutes before the end of the range: 2026-04-10T23:58Z.
        assert_eq!(
            slots.last(),
            Some(&(ms("2026-04-10T23:58:00Z"), ms("2026-04-10T23:59:00Z")))
        );
        assert!(
            slots
                .windows(2)
                .all(|pair| pair[1].0 - pair[0].0 == 120_000)
        );
    }

    #[test]
    fn bad_rules_and_zones_are_refused() {
        let hour: Duration = "1h".parse().unwrap();
        assert!(Recurrence::new("FREQ=SOMETIMES", 0, "UTC", hour).is_err());
        assert_eq!(
            Recurrence::new("FREQ=DAILY", 0, "Mars/Olympus", hour).unwrap_err(),
            RecurrenceError::TimeZone("Mars/Olympus".into())
        );
    }
}
