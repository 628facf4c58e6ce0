//! What each budgeting method counts over an interval: good and bad units, and the base that
//! burn rates and budgets are measured against.
//!
//! - occurrences: units are events; the base is the valid events.
//! - timeslices: units are slices; a slice is good when its own SLI meets the target. An empty
//!   slice counts as bad when the SLO says so, and is otherwise skipped: left out of the SLI,
//!   the burn rates and the budget alike, so that all three speak of the same slices. The
//!   base is the measured slices (good or bad).
//! - ratio-timeslices: each slice with data contributes its ratio; the SLI is their mean.

use nines_core::decimal::Objective;
use nines_core::slo::{Budgeting, NoData};

use crate::timeline::Timeline;

/// Units counted over one interval.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Tally {
    /// Good units.
    pub good: f64,
    /// Bad units.
    pub bad: f64,
    /// What burn rates divide by.
    pub base: f64,
    /// Valid events, whatever the units.
    pub valid_events: f64,
    /// Slices counted, by state (timeslice methods only).
    pub slices: SliceCounts,
}

/// Slices of an interval by state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct SliceCounts {
    pub good: u64,
    pub bad: u64,
    pub no_data: u64,
    pub excluded: u64,
}

impl Tally {
    /// good / (good + bad); `None` when nothing was measured.
    pub(crate) fn sli(&self) -> Option<f64> {
        let measured = self.good + self.bad;
        (measured > 0.0).then(|| self.good / measured)
    }

    /// The burn rate; `None` when the interval had no valid events (no data is not zero burn),
    /// unless empty slices count as bad.
    pub(crate) fn burn_rate(&self, objective: Objective, budgeting: Budgeting) -> Option<f64> {
        let empty_is_bad = matches!(
            budgeting,
            Budgeting::Timeslices {
                no_data: NoData::Bad,
                ..
            }
        );
        if self.valid_events <= 0.0 && !empty_is_bad {
            return None;
        }
        objective.burn_rate(self.bad, self.base)
    }
}

/// Counts `[from, to)` minutes of `timeline` the way `budgeting` says.
pub(crate) fn tally(timeline: &Timeline, budgeting: Budgeting, from: i64, to: i64) -> Tally {
    match budgeting {
        Budgeting::Occurrences => {
            let counts = timeline.counts(from, to);
            Tally {
                good: counts.good,
                bad: counts.bad(),
                base: counts.valid,
                valid_events: counts.valid,
                slices: SliceCounts::default(),
            }
        }
        Budgeting::Timeslices {
            slice,
            target,
            no_data,
        } => {
            let mut tally = Tally {
                valid_events: timeline.counts(from, to).valid,
                ..Tally::default()
            };
            for (start, end) in slices(slice.minutes(), from, to) {
                let counts = timeline.counts(start, end);
                let slices = &mut tally.slices;
                if counts.valid > 0.0 {
                    if target.is_met(counts.good, counts.valid) {
                        slices.good += 1;
                    } else {
                        slices.bad += 1;
                    }
                } else if timeline.excluded_minute_count(start, end) == end - start {
                    slices.excluded += 1;
                } else if no_data == NoData::Bad {
                    slices.bad += 1;
                } else {
                    slices.no_data += 1;
                }
            }
            let s = tally.slices;
            tally.good = s.good as f64;
            tally.bad = s.bad as f64;
            // Skipped empty slices are neither good nor bad: they measure nothing, so they
            // neither burn nor enlarge the budget.
            tally.base = (s.good + s.bad) as f64;
            tally
        }
        Budgeting::RatioTimeslices { slice } => {
            let mut tally = Tally {
                valid_events: timeline.counts(from, to).valid,
                ..Tally::default()
            };
            for (start, end) in slices(slice.minutes(), from, to) {
                let counts = timeline.counts(start, end);
                if counts.valid > 0.0 {
                    let ratio = counts.good / counts.valid;
                    tally.good += ratio;
                    tally.bad += 1.0 - ratio;
                    tally.base += 1.0;
                    tally.slices.good += 1;
                } else {
                    tally.slices.no_data += 1;
                }
            }
            tally
        }
    }
}

/// The slices of `length` minutes, aligned to the epoch, that lie wholly in `[from, to)`.
pub(crate) fn slices(length: i64, from: i64, to: i64) -> impl Iterator<Item = (i64, i64)> {
    let length = length.max(1);
    let first = from.div_euclid(length) + i64::from(from.rem_euclid(length) != 0);
    let last = to.div_euclid(length);
    (first..last).map(move |n| (n * length, (n + 1) * length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_lie_wholly_inside_the_interval() {
        let got: Vec<_> = slices(5, 3, 22).collect();
        assert_eq!(got, vec![(5, 10), (10, 15), (15, 20)]);
        assert_eq!(slices(1, 0, 3).count(), 3);
        assert_eq!(slices(5, 1, 4).count(), 0);
    }
}
