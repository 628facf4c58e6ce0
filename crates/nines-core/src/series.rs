//! Slice series: good, valid and excluded counts per minute, as readers fill them.
//!
//! Minutes are stored in day-sized chunks keyed by day, so late and out-of-order events land in
//! their own minute, and a stray timestamp years away costs one chunk, not years of memory.

use std::collections::BTreeMap;

/// Milliseconds in a minute.
pub const MINUTE_MS: i64 = 60_000;
const CHUNK_MINUTES: usize = 1_440;

/// The counts of one minute. Weighted: a sampled event counts as 1 / rate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Counts {
    /// Valid events.
    pub valid: f64,
    /// Good events among them.
    pub good: f64,
}

impl Counts {
    /// Bad events: valid but not good.
    pub fn bad(self) -> f64 {
        self.valid - self.good
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: Counts) {
        self.valid += other.valid;
        self.good += other.good;
    }
}

/// A series of values per minute.
#[derive(Debug, Clone, Default)]
pub struct MinuteSeries<T> {
    chunks: BTreeMap<i64, Box<[T]>>,
    /// The chunk written last, kept out of the map: input is mostly in time order, so most
    /// writes land here without a map lookup.
    hot: Option<(i64, Box<[T]>)>,
}

/// Per-minute values that can be added up.
pub trait Additive: Copy + Default {
    /// Adds `other` into `self`.
    fn accumulate(&mut self, other: Self);
}

impl Additive for Counts {
    fn accumulate(&mut self, other: Self) {
        self.add(other);
    }
}

impl Additive for f64 {
    fn accumulate(&mut self, other: Self) {
        *self += other;
    }
}

impl<T: Additive> MinuteSeries<T> {
    /// An empty series.
    pub fn new() -> Self {
        MinuteSeries {
            chunks: BTreeMap::new(),
            hot: None,
        }
    }

    /// The slot of the minute holding `timestamp_ms`.
    #[inline]
    pub fn at_mut(&mut self, timestamp_ms: i64) -> &mut T {
        let minute = timestamp_ms.div_euclid(MINUTE_MS);
        let chunk = minute.div_euclid(CHUNK_MINUTES as i64);
        let slot = minute.rem_euclid(CHUNK_MINUTES as i64) as usize;
        if self.hot.as_ref().is_none_or(|(key, _)| *key != chunk) {
            self.cool();
            let values = self
                .chunks
                .remove(&chunk)
                .unwrap_or_else(|| vec![T::default(); CHUNK_MINUTES].into_boxed_slice());
            self.hot = Some((chunk, values));
        }
        let (_, values) = self.hot.get_or_insert_with(|| unreachable!("set above"));
        &mut values[slot]
    }

    /// Moves the hot chunk back into the map.
    fn cool(&mut self) {
        if let Some((key, values)) = self.hot.take() {
            self.chunks.insert(key, values);
        }
    }

    /// Adds every minute of `other` into this series.
    pub fn merge(&mut self, mut other: MinuteSeries<T>) {
        self.cool();
        other.cool();
        for (chunk, values) in other.chunks {
            match self.chunks.get_mut(&chunk) {
                Some(mine) => mine
                    .iter_mut()
                    .zip(values.iter())
                    .for_each(|(a, b)| a.accumulate(*b)),
                None => {
                    self.chunks.insert(chunk, values);
                }
            }
        }
    }

    /// The values of each minute in `[start_minute, end_minute)` (minutes since the epoch),
    /// zero where nothing was recorded.
    pub fn dense(&self, start_minute: i64, end_minute: i64) -> Vec<T> {
        let length = usize::try_from(end_minute - start_minute).unwrap_or(0);
        let mut out = vec![T::default(); length];
        let first_chunk = start_minute.div_euclid(CHUNK_MINUTES as i64);
        let last_chunk = (end_minute - 1).div_euclid(CHUNK_MINUTES as i64);
        let hot = self.hot.iter().map(|(chunk, values)| (chunk, values));
        let chunks = self.chunks.range(first_chunk..=last_chunk).chain(hot);
        for (&chunk, values) in chunks {
            let chunk_start = chunk * CHUNK_MINUTES as i64;
            for (slot, value) in values.iter().enumerate() {
                let index = chunk_start + slot as i64 - start_minute;
                if (0..length as i64).contains(&index) {
                    out[index as usize] = *value;
                }
            }
        }
        out
    }
}

/// Everything one SLO's classifier records: the whole, excluded events by reason, and the
/// breakdown by the SLO's group field.
#[derive(Debug, Clone, Default)]
pub struct SloSeries {
    /// Good and valid events per minute (excluded events are not in here).
    pub total: MinuteSeries<Counts>,
    /// Events removed by event exclusions, by reason, per minute.
    pub excluded: BTreeMap<String, MinuteSeries<f64>>,
    /// Good and valid per minute for each value of the group field (`(none)` when absent).
    pub groups: BTreeMap<String, MinuteSeries<Counts>>,
    /// The first and last event time seen (Unix ms), valid or not.
    pub seen: Option<(i64, i64)>,
}

impl SloSeries {
    /// Adds everything `other` recorded into this one.
    pub fn merge(&mut self, other: SloSeries) {
        self.total.merge(other.total);
        for (reason, series) in other.excluded {
            self.excluded.entry(reason).or_default().merge(series);
        }
        for (group, series) in other.groups {
            self.groups.entry(group).or_default().merge(series);
        }
        self.seen = match (self.seen, other.seen) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (a, b) => a.or(b),
        };
    }

    /// Notes that an event at `timestamp_ms` was seen.
    #[inline]
    pub fn see(&mut self, timestamp_ms: i64) {
        self.seen = Some(match self.seen {
            Some((first, last)) => (first.min(timestamp_ms), last.max(timestamp_ms)),
            None => (timestamp_ms, timestamp_ms),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_land_in_their_minute_in_any_order() {
        let mut series = MinuteSeries::<f64>::new();
        *series.at_mut(3 * MINUTE_MS + 59_999) += 1.0;
        *series.at_mut(MINUTE_MS) += 1.0;
        *series.at_mut(3 * MINUTE_MS) += 1.0;
        assert_eq!(series.dense(0, 5), vec![0.0, 1.0, 0.0, 2.0, 0.0]);
    }

    #[test]
    fn negative_times_and_chunk_edges() {
        let mut series = MinuteSeries::<f64>::new();
        *series.at_mut(-1) += 1.0; // the minute before the epoch
        *series.at_mut(1_440 * MINUTE_MS) += 2.0; // first minute of the second day
        assert_eq!(series.dense(-1, 1), vec![1.0, 0.0]);
        assert_eq!(series.dense(1_439, 1_441), vec![0.0, 2.0]);
    }

    #[test]
    fn merging_adds_minute_by_minute() {
        let mut a = MinuteSeries::<Counts>::new();
        let mut b = MinuteSeries::<Counts>::new();
        a.at_mut(0).add(Counts {
            valid: 2.0,
            good: 1.0,
        });
        b.at_mut(0).add(Counts {
            valid: 3.0,
            good: 3.0,
        });
        b.at_mut(5 * 1_440 * MINUTE_MS).add(Counts {
            valid: 1.0,
            good: 0.0,
        });
        a.merge(b);
        assert_eq!(
            a.dense(0, 1),
            vec![Counts {
                valid: 5.0,
                good: 4.0
            }]
        );
        assert_eq!(a.dense(5 * 1_440, 5 * 1_440 + 1)[0].bad(), 1.0);
    }
}
