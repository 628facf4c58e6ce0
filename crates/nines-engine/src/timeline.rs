//! A dense, per-minute view of one SLO's series over the range an evaluation needs, with
//! interval exclusions applied and prefix sums for constant-time interval queries.

use std::collections::BTreeMap;

use nines_core::series::{Counts, MINUTE_MS, MinuteSeries};
use nines_core::slo::{Exclusion, ExclusionKind};

/// Per-minute counts over `[origin, origin + len)` minutes since the epoch.
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    origin: i64,
    /// Running sums: `valid[i]` is the total over the first `i` minutes.
    valid: Vec<f64>,
    good: Vec<f64>,
    /// True for minutes inside an excluded interval.
    excluded_minute: Vec<bool>,
    /// Running count of excluded minutes.
    excluded_minutes: Vec<f64>,
    /// Running sums of excluded events, by reason.
    excluded: BTreeMap<String, Vec<f64>>,
}

impl Timeline {
    /// Builds the view of `series` over `[start_minute, end_minute)`, moving the events of
    /// excluded intervals out of good and valid into their reason.
    pub(crate) fn build(
        series: &MinuteSeries<Counts>,
        event_exclusions: &BTreeMap<String, MinuteSeries<f64>>,
        exclusions: &[Exclusion],
        start_minute: i64,
        end_minute: i64,
    ) -> Self {
        let mut counts = series.dense(start_minute, end_minute);
        let length = counts.len();
        let mut excluded_minute = vec![false; length];
        let mut excluded: BTreeMap<String, Vec<f64>> = event_exclusions
            .iter()
            .map(|(reason, s)| (reason.clone(), s.dense(start_minute, end_minute)))
            .collect();

        // Interval exclusions: whole minutes, their events counted under the reason.
        for exclusion in exclusions {
            for (from, to) in excluded_minutes(exclusion, start_minute, end_minute) {
                let per_minute = excluded
                    .entry(exclusion.reason.clone())
                    .or_insert_with(|| vec![0.0; length]);
                for minute in from..to {
                    let i = (minute - start_minute) as usize;
                    if !excluded_minute[i] {
                        per_minute[i] += counts[i].valid;
                        counts[i] = Counts::default();
                        excluded_minute[i] = true;
                    }
                }
            }
        }

        Timeline {
            origin: start_minute,
            valid: running_sum(counts.iter().map(|c| c.valid)),
            excluded_minutes: running_sum(excluded_minute.iter().map(|&e| f64::from(u8::from(e)))),
            good: running_sum(counts.iter().map(|c| c.good)),
            excluded_minute,
            excluded: excluded
                .into_iter()
                .map(|(reason, values)| (reason, running_sum(values.into_iter())))
                .collect(),
        }
    }

    /// Good and valid events over `[from, to)` minutes, clamped to the view.
    pub(crate) fn counts(&self, from: i64, to: i64) -> Counts {
        let (a, b) = self.clamp(from, to);
        Counts {
            valid: self.valid[b] - self.valid[a],
            good: self.good[b] - self.good[a],
        }
    }

    /// Excluded events by reason over `[from, to)` minutes; reasons with none are left out.
    pub(crate) fn excluded(&self, from: i64, to: i64) -> BTreeMap<String, f64> {
        let (a, b) = self.clamp(from, to);
        self.excluded
            .iter()
            .map(|(reason, sums)| (reason.clone(), sums[b] - sums[a]))
            .filter(|(_, count)| *count > 0.0)
            .collect()
    }

    /// True when `minute` lies in an excluded interval.
    pub(crate) fn is_excluded(&self, minute: i64) -> bool {
        self.index(minute)
            .is_some_and(|i| self.excluded_minute.get(i).copied().unwrap_or(false))
    }

    /// How many minutes of `[from, to)` lie in excluded intervals.
    pub(crate) fn excluded_minute_count(&self, from: i64, to: i64) -> i64 {
        let (a, b) = self.clamp(from, to);
        (self.excluded_minutes[b] - self.excluded_minutes[a]) as i64
    }

    /// Valid events in one minute.
    pub(crate) fn valid_in(&self, minute: i64) -> f64 {
        self.counts(minute, minute + 1).valid
    }

    fn index(&self, minute: i64) -> Option<usize> {
        usize::try_from(minute - self.origin).ok()
    }

    fn clamp(&self, from: i64, to: i64) -> (usize, usize) {
        let last = self.valid.len() - 1;
        let at = |minute: i64| (minute - self.origin).clamp(0, last as i64) as usize;
        let (a, b) = (at(from), at(to));
        (a, b.max(a))
    }
}

/// The running sum of `values`, starting with 0: element `i` is the sum of the first `i`.
fn running_sum(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut sums = vec![0.0];
    let mut total = 0.0;
    for value in values {
        total += value;
        sums.push(total);
    }
    sums
}

/// The minutes an interval exclusion covers within `[start, end)`, as `[from, to)` runs.
/// Partial minutes count as excluded: an exclusion is meant to cover its whole interval.
fn excluded_minutes(exclusion: &Exclusion, start: i64, end: i64) -> Vec<(i64, i64)> {
    let intervals = match &exclusion.kind {
        ExclusionKind::Interval { start_ms, end_ms } => vec![(*start_ms, *end_ms)],
        ExclusionKind::Recurring(recurrence) => {
            recurrence.occurrences(start * MINUTE_MS, end * MINUTE_MS)
        }
        ExclusionKind::Events(_) => Vec::new(),
    };
    intervals
        .into_iter()
        .map(|(from_ms, to_ms)| {
            let from = from_ms.div_euclid(MINUTE_MS).max(start);
            let to = (to_ms + MINUTE_MS - 1).div_euclid(MINUTE_MS).min(end);
            (from, to)
        })
        .filter(|(from, to)| from < to)
        .collect()
}
