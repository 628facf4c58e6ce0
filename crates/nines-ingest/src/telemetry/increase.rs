//! Cumulative counters turned into increases, series by series (DESIGN §4.5).
//!
//! Samples are buffered per series and sorted by time before increases are taken, so input
//! order does not matter (§4.12). A drop means the counter restarted from 0, so the increase
//! is the new value. A missing sample is not zero: the next present sample's increase covers
//! the gap. The first sample of a series is its baseline and gives no increase. Buffers are
//! flushed when they hold too many samples; a sample older than what a flush already counted is
//! rejected and reported.
//!
//! An increase is known only between two samples, so [`spread`] shares it out over the minutes
//! between them rather than putting it all at the later sample: a missed poll must not look
//! like a burst of traffic (and of errors) that trips a short burn-rate alert.

use nines_core::series::MINUTE_MS;

use crate::error::Reason;
use crate::stats::Sample;
use crate::telemetry::Place;

/// How many samples are buffered before a flush (about 32 bytes each).
pub(crate) const BUFFERED_SAMPLES: usize = 1 << 21;

/// One sample of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    /// Unix milliseconds.
    pub(crate) at: i64,
    pub(crate) value: f64,
    pub(crate) place: Place,
}

impl Point {
    /// The malformed-record sample of a rejected point: `what` (the counter's name or path),
    /// its value and its time as people read it.
    pub(crate) fn rejected(&self, what: &str, reason: Reason) -> Sample {
        let at = jiff::Timestamp::from_millisecond(self.at)
            .map_or_else(|_| format!("{} ms", self.at), |t| t.to_string());
        let excerpt = format!("{what} = {} at {at}", self.value);
        Sample::new(self.place.line, reason, &excerpt)
    }
}

/// What a flush found for one sample (other than a baseline).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// The series grew by `increase` (0 included) between its previous sample, at `from`,
    /// and this one, at `at`.
    Increase {
        series: usize,
        from: i64,
        at: i64,
        increase: f64,
        place: Place,
    },
    /// The sample cannot be counted.
    Rejected {
        series: usize,
        point: Point,
        reason: Reason,
    },
}

#[derive(Debug, Default)]
struct Track {
    /// The last sample counted: time and value.
    last: Option<(i64, f64)>,
    pending: Vec<Point>,
}

/// Every series of a source and its buffered samples.
#[derive(Debug, Default)]
pub(crate) struct Increases {
    tracks: Vec<Track>,
    buffered: usize,
}

impl Increases {
    /// Adds a series; its number is the count of series before it.
    pub(crate) fn add_series(&mut self) -> usize {
        self.tracks.push(Track::default());
        self.tracks.len() - 1
    }

    /// Buffers a sample of `series`; true when the buffers are full and should be flushed.
    pub(crate) fn push(&mut self, series: usize, sample: Point) -> bool {
        self.tracks[series].pending.push(sample);
        self.buffered += 1;
        self.buffered >= BUFFERED_SAMPLES
    }

    /// Takes the increases of every buffered sample, series by series in time order.
    pub(crate) fn flush(&mut self, mut each: impl FnMut(Change)) {
        for (series, track) in self.tracks.iter_mut().enumerate() {
            track.flush(series, &mut each);
        }
        self.buffered = 0;
    }
}

impl Track {
    fn flush(&mut self, series: usize, each: &mut impl FnMut(Change)) {
        // Stable, so that of two samples at one time the first read is counted.
        self.pending.sort_by_key(|sample| sample.at);
        for sample in self.pending.drain(..) {
            let Some((last_at, last_value)) = self.last else {
                self.last = Some((sample.at, sample.value));
                continue;
            };
            let reason = match sample.at {
                at if at < last_at => Reason::OutOfOrder,
                at if at == last_at => Reason::duplicate("sample"),
                _ => {
                    let increase = if sample.value >= last_value {
                        sample.value - last_value
                    } else {
                        sample.value
                    };
                    self.last = Some((sample.at, sample.value));
                    each(Change::Increase {
                        series,
                        from: last_at,
                        at: sample.at,
                        increase,
                        place: sample.place,
                    });
                    continue;
                }
            };
            each(Change::Rejected {
                series,
                point: sample,
                reason,
            });
        }
        if self.pending.capacity() > 1024 {
            self.pending.shrink_to(1024);
        }
    }
}

/// The longest interval an increase is spread over: as long as the longest window or lookback
/// a spec may declare (400 days).
const MAX_SPREAD_MS: i64 = 400 * 24 * 60 * MINUTE_MS;

/// Shares out `increase`, counted between samples at `from` and `to` (Unix ms, `from < to`),
/// over the minutes from `from` to `to` in proportion to the time of each in the interval,
/// calling `each` with a time in the minute and its share (shares of 0 are left out).
///
/// Requests counted between two polls happened somewhere between them; spread evenly, a poller
/// that was down for an hour shows the hour's steady traffic instead of an hour of requests in
/// one minute. A whole increase is split into whole shares, by rounding the running total, so
/// that counts stay exact.
pub(crate) fn spread(from: i64, to: i64, increase: f64, mut each: impl FnMut(i64, f64)) {
    // A sample from long ago (a stray line, a restarted poller years later) must not turn
    // into millions of events: no window reaches further back than this.
    let from = from.max(to - MAX_SPREAD_MS);
    let length = (to - from) as f64;
    let whole = increase.fract() == 0.0;
    let last = (to - 1).div_euclid(MINUTE_MS);
    let mut given = 0.0;
    for minute in from.div_euclid(MINUTE_MS)..=last {
        let start = (minute * MINUTE_MS).max(from);
        let end = ((minute + 1) * MINUTE_MS).min(to);
        let mut total = increase * ((end - from) as f64 / length);
        if minute == last {
            total = increase;
        } else if whole {
            total = total.round();
        }
        let share = total - given;
        given = total;
        if share > 0.0 {
            each(start, share);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_point_shows_its_time_as_people_read_it() {
        // 1,796,292,120,000 ms after the epoch is 2026-12-03T10:02:00Z.
        let rejected = sample(1_796_292_120_000, 10.0).rejected("err", Reason::bad("sample"));
        assert_eq!(rejected.excerpt, "err = 10 at 2026-12-03T10:02:00Z");
    }

    fn sample(at: i64, value: f64) -> Point {
        Point {
            at,
            value,
            place: Place {
                input: 0,
                line: at as u64,
            },
        }
    }

    /// A series, a time and a value (or an increase).
    type Triple = (usize, i64, f64);

    /// The increases per series, and the lines of the samples rejected.
    fn run(samples: &[Triple]) -> (Vec<Triple>, Vec<(u64, Reason)>) {
        let mut increases = Increases::default();
        for _ in 0..2 {
            increases.add_series();
        }
        for &(series, at, value) in samples {
            increases.push(series, sample(at, value));
        }
        let (mut found, mut rejected) = (Vec::new(), Vec::new());
        increases.flush(|change| match change {
            Change::Increase {
                series,
                at,
                increase,
                ..
            } => found.push((series, at, increase)),
            Change::Rejected { point, reason, .. } => rejected.push((point.place.line, reason)),
        });
        (found, rejected)
    }

    fn total(found: &[Triple]) -> f64 {
        found.iter().map(|(_, _, increase)| increase).sum()
    }

    #[test]
    fn a_reset_in_one_series_counts_from_zero() {
        // a: 100 → 110 is +10; b: 50 → 0 is a restart (+0), 0 → 5 is +5. Total 15, not the
        // 115 that summing first (150 → 110 → 115) would give.
        let (found, rejected) = run(&[
            (0, 1, 100.0),
            (1, 1, 50.0),
            (0, 2, 110.0),
            (1, 2, 0.0),
            (1, 3, 5.0),
        ]);
        assert_eq!(found, [(0, 2, 10.0), (1, 2, 0.0), (1, 3, 5.0)]);
        assert_eq!(total(&found), 15.0);
        assert!(rejected.is_empty());
    }

    #[test]
    fn a_missed_sample_is_not_zero() {
        // 10 at t1, nothing at t2, 16 at t3: +6 at t3. Reading the gap as 0 would have made
        // t3 look like a restart worth 16.
        let (found, _) = run(&[(0, 1, 10.0), (0, 3, 16.0)]);
        assert_eq!(found, [(0, 3, 6.0)]);
    }

    #[test]
    fn order_does_not_matter_and_repeats_are_reported() {
        let (found, rejected) = run(&[(0, 3, 16.0), (0, 1, 10.0), (0, 2, 12.0), (0, 2, 12.0)]);
        assert_eq!(found, [(0, 2, 2.0), (0, 3, 4.0)]);
        assert_eq!(rejected, [(2, Reason::duplicate("sample"))]);
    }

    #[test]
    fn samples_older_than_a_flush_are_rejected() {
        let mut increases = Increases::default();
        increases.add_series();
        increases.push(0, sample(5, 1.0));
        increases.flush(|_| {});
        increases.push(0, sample(4, 2.0));
        let mut changes = Vec::new();
        increases.flush(|change| changes.push(change));
        assert_eq!(
            changes,
            [Change::Rejected {
                series: 0,
                point: sample(4, 2.0),
                reason: Reason::OutOfOrder,
            }]
        );
    }

    /// The shares of `spread`, as (minute, share).
    fn shares(from: i64, to: i64, increase: f64) -> Vec<(i64, f64)> {
        let mut found = Vec::new();
        spread(from, to, increase, |at, share| {
            found.push((at.div_euclid(MINUTE_MS), share))
        });
        found
    }

    #[test]
    fn an_increase_lands_in_the_minutes_it_was_counted_in() {
        // Polls at 10:00:45 and 10:01:00: all 7 requests fall in minute 10:00 (minute 600).
        assert_eq!(shares(36_045_000, 36_060_000, 7.0), [(600, 7.0)]);
        // Polls on the minute: the interval is the minute before the later one.
        assert_eq!(shares(36_000_000, 36_060_000, 7.0), [(600, 7.0)]);
    }

    #[test]
    fn a_missed_poll_spreads_the_increase_without_a_spike() {
        // Polls at 10:00:30 and 10:03:30 (one every minute missed twice), +9: 30 s of the
        // 180 s in minute 600, 60 s each in 601 and 602, 30 s in 603: 1.5, 3, 3, 1.5, rounded
        // along the running total (1.5 → 2, 4.5 → 5, 7.5 → 8, 9): 2, 3, 3, 1. Still 9 in all.
        let found = shares(36_030_000, 36_210_000, 9.0);
        assert_eq!(found, [(600, 2.0), (601, 3.0), (602, 3.0), (603, 1.0)]);
        // A fraction is shared exactly: 0.75 over the same minutes, 1 : 2 : 2 : 1.
        let found = shares(36_030_000, 36_210_000, 0.75);
        for ((_, share), part) in found.iter().zip([1.0, 2.0, 2.0, 1.0]) {
            assert!((share / 0.125 - part).abs() < 1e-12, "{found:?}");
        }
        assert_eq!(found.len(), 4);
    }

    #[test]
    fn an_increase_from_long_ago_is_spread_over_400_days_at_most() {
        // A baseline at the epoch and a sample 1,000 days later: +576,000 over the last
        // 400 × 1,440 = 576,000 minutes, one each.
        let to = 1_000 * 1_440 * MINUTE_MS;
        let found = shares(0, to, 576_000.0);
        assert_eq!(found.len(), 576_000);
        assert_eq!(found[0], (600 * 1_440, 1.0));
        assert!(found.iter().all(|&(_, share)| share == 1.0));
    }
}
