//! An SLO's queries, run over the minutes its evaluation needs, become its per-minute series of
//! good and valid events: the value at instant `t` counts the events of `(t - 1m, t]`, and goes
//! into the minute slice that ends at `t`.
//!
//! Both queries of an SLO run at the same instants, and a minute gets counts only when both
//! have a sample there: a missing sample is no data, never zero. The one exception is the
//! errors query, as in the generated rules: error series often appear only with the first
//! error, so a minute with a total and no errors sample has no errors. An errors (or good)
//! query with no sample at all beside a total that has some is warned about once, since a
//! misspelt metric name looks just like a perfect service. Values that break
//! `0 <= good <= valid` are clamped and reported as warnings, never dropped silently.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use nines_core::series::{Counts, MINUTE_MS, SloSeries};
use nines_core::slo::{PromSli, Sli, Slo};

use super::FetchError;
use super::client::{Client, STEP_SECONDS};
use super::query::{self, CountQuery};

/// Differences this small between two queries' values are floating-point noise (a rate
/// times 60), not an inconsistency worth a warning.
const NOISE: f64 = 1e-9;

/// An SLO's series as fetched from Prometheus, and what the user should know about it.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// Good and valid events per minute.
    pub series: SloSeries,
    /// Values clamped, minutes without data on one side, the server's own warnings.
    pub warnings: Vec<Warning>,
}

/// Which of an SLO's queries a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The bad events.
    Errors,
    /// The good events.
    Good,
    /// All valid events.
    Total,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Errors => "errors",
            Role::Good => "good",
            Role::Total => "total",
        })
    }
}

/// Something in the fetched data that the user should know about.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// A count out of its range at one instant (errors or good above total, a count below
    /// zero), counted as the nearest value in range.
    Clamped {
        /// The instant (Unix ms).
        at_ms: i64,
        /// The query that gave the value.
        role: Role,
        /// The value given.
        value: f64,
        /// The value counted.
        clamped: f64,
    },
    /// A value that is not a finite number at one instant: that minute has no data.
    NotANumber {
        /// The instant (Unix ms).
        at_ms: i64,
        /// The query that gave the value.
        role: Role,
        /// The value given.
        value: f64,
    },
    /// Minutes where one query had a sample and the other none: they have no data.
    OneSided {
        /// The query without samples.
        missing: Role,
        /// How many minutes.
        minutes: u64,
        /// The first such instant (Unix ms).
        first_ms: i64,
        /// The last such instant (Unix ms).
        last_ms: i64,
    },
    /// A query gave no sample at all over the range.
    NoSamples {
        /// The query.
        role: Role,
        /// Its text.
        query: String,
    },
    /// The errors or good query gave no sample in the whole range while the total query did:
    /// most likely a misspelt metric name or label, not a perfect service.
    PartMissing {
        /// The query without samples.
        role: Role,
        /// Its text.
        query: String,
    },
    /// A warning the server sent with an answer.
    Server {
        /// The server's words.
        message: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Clamped {
                at_ms,
                role,
                value,
                clamped,
            } => write!(
                f,
                "at {}: {role} was {value}, counted as {clamped} ({})",
                time(*at_ms),
                if *value < 0.0 {
                    "counts cannot be negative"
                } else {
                    "a part cannot exceed the total"
                }
            ),
            Warning::NotANumber { at_ms, role, value } => write!(
                f,
                "at {}: {role} was {value}; that minute has no data",
                time(*at_ms)
            ),
            Warning::OneSided {
                missing,
                minutes,
                first_ms,
                last_ms,
            } => write!(
                f,
                "{minutes} minute(s) between {} and {} have a sample of one query but none of \
                 the {missing} query, and count as no data",
                time(*first_ms),
                time(*last_ms)
            ),
            Warning::NoSamples { role, query } => write!(
                f,
                "the {role} query gave no sample in the whole range; note that a [1m] range \
                 needs two samples, so a scrape interval of 1m or more leaves it empty: {query}"
            ),
            Warning::PartMissing { role, query } => {
                let counted = match role {
                    Role::Errors => {
                        "every minute with a total was counted as zero errors (an error \
                         counter that has never counted has no series either)"
                    }
                    Role::Good | Role::Total => "every minute with a total was counted as no data",
                };
                write!(
                    f,
                    "the {role} query gave no sample in the whole range while the total query \
                     did, so {counted}; check its metric name and labels: {query}"
                )
            }
            Warning::Server { message } => write!(f, "the server warned: {message}"),
        }
    }
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// Fetches the per-minute series of `slo` over `range` (Unix ms, whole minutes, end excluded),
/// as the engine's evaluation needs it.
///
/// # Errors
///
/// When the SLO is not measured by Prometheus, its SLI cannot be turned into counts, its
/// histogram has no bucket at the threshold, or the server cannot be reached or refuses.
pub fn fetch_series(client: &Client, slo: &Slo, range: Range<i64>) -> Result<Fetched, FetchError> {
    let Sli::Prometheus(sli) = &slo.sli else {
        return Err(FetchError::NotPrometheusSli);
    };
    let Some(instants) = Instants::covering(range) else {
        return Ok(Fetched::default());
    };
    let mut warnings = Vec::new();
    let pair = pair(client, sli, instants, &mut warnings)?;
    let part = samples(client, &pair.part, instants, &mut warnings)?;
    let total = samples(client, &pair.total, instants, &mut warnings)?;
    if total.is_empty() {
        warnings.push(Warning::NoSamples {
            role: Role::Total,
            query: pair.total.text.clone(),
        });
    }
    let series = combine(pair.role, &part, &total, &mut warnings);
    if part.is_empty() && !total.is_empty() {
        // One warning says it all, first so that it is among those shown.
        warnings.retain(|warning| {
            !matches!(warning, Warning::OneSided { missing, .. } if *missing == pair.role)
        });
        warnings.insert(
            0,
            Warning::PartMissing {
                role: pair.role,
                query: pair.part.text.clone(),
            },
        );
    }
    Ok(Fetched { series, warnings })
}

/// Fetches the series of every SLO of `jobs` on `threads` threads, all sharing the client and
/// so its rate limit. The results are in the order of `jobs`.
pub fn fetch_all(
    client: &Client,
    jobs: &[(&Slo, Range<i64>)],
    threads: usize,
) -> Vec<Result<Fetched, FetchError>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Fetched, FetchError>>>> =
        Mutex::new(jobs.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some((slo, range)) = jobs.get(index) else {
                        break;
                    };
                    let result = fetch_series(client, slo, range.clone());
                    lock(&results)[index] = Some(result);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results
        .into_iter()
        .map(|result| result.unwrap_or(Err(FetchError::NotPrometheusSli)))
        .collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// The instants of a range, in minutes since the epoch: `first..=last`, each the end of the
/// minute slice its sample counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Instants {
    first: i64,
    last: i64,
}

impl Instants {
    /// The ends of the minutes of `range`, or none when it holds no whole minute.
    fn covering(range: Range<i64>) -> Option<Instants> {
        let first = range.start.div_euclid(MINUTE_MS) + 1;
        let last = range.end.div_euclid(MINUTE_MS);
        (first <= last).then_some(Instants { first, last })
    }

    /// Consecutive pieces of at most `size` instants, for servers' limits on points.
    fn chunks(self, size: usize) -> impl Iterator<Item = Instants> {
        let size = size.max(1) as i64;
        (self.first..=self.last)
            .step_by(size as usize)
            .map(move |first| Instants {
                first,
                last: (first + size - 1).min(self.last),
            })
    }

    fn start_seconds(self) -> i64 {
        self.first * STEP_SECONDS
    }

    fn end_seconds(self) -> i64 {
        self.last * STEP_SECONDS
    }
}

/// An SLO's two queries: a part (errors or good events) and the total.
#[derive(Debug)]
struct Pair {
    role: Role,
    part: CountQuery,
    total: CountQuery,
}

fn pair(
    client: &Client,
    sli: &PromSli,
    instants: Instants,
    warnings: &mut Vec<Warning>,
) -> Result<Pair, FetchError> {
    let counted = |template: &str| {
        query::count_query(template).map_err(|_| FetchError::MixedUnits {
            query: template.to_owned(),
        })
    };
    match sli {
        PromSli::ErrorsTotal { errors, total } => Ok(Pair {
            role: Role::Errors,
            part: counted(errors)?,
            total: counted(total)?,
        }),
        PromSli::GoodTotal { good, total } => Ok(Pair {
            role: Role::Good,
            part: counted(good)?,
            total: counted(total)?,
        }),
        PromSli::ErrorRatio { .. } => Err(FetchError::ErrorRatio),
        PromSli::Latency {
            metric,
            selector,
            threshold,
        } => latency_pair(client, metric, selector, *threshold, instants, warnings),
    }
}

/// Good events from the bucket whose bound equals the threshold as a number, valid events
/// from the `+Inf` bucket; the bounds are looked up first, as the series spell them.
fn latency_pair(
    client: &Client,
    metric: &str,
    selector: &str,
    threshold: f64,
    instants: Instants,
    warnings: &mut Vec<Warning>,
) -> Result<Pair, FetchError> {
    let series = query::bucket_selector(metric, selector);
    let start = instants.start_seconds() - STEP_SECONDS;
    let bounds = client.label_values("le", &series, start, instants.end_seconds())?;
    warnings.extend(
        bounds
            .warnings
            .into_iter()
            .map(|message| Warning::Server { message }),
    );
    let spellings = |bound: f64| {
        // No bucket at all in the range is no data, as for any other query without series:
        // the queries are run as the bound is usually written, and find nothing.
        if bounds.data.is_empty() {
            return Ok(vec![super::error::bound_text(bound)]);
        }
        query::matching_bounds(&bounds.data, bound).map_err(|(below, above)| FetchError::NoBucket {
            series: series.clone(),
            bound,
            below,
            above,
        })
    };
    Ok(Pair {
        role: Role::Good,
        part: query::bucket_query(metric, selector, &spellings(threshold)?),
        total: query::bucket_query(metric, selector, &spellings(f64::INFINITY)?),
    })
}

/// The events per minute that `query` counts, by instant (Unix ms), summed over the series it
/// returns; instants without a sample are absent.
fn samples(
    client: &Client,
    query: &CountQuery,
    instants: Instants,
    warnings: &mut Vec<Warning>,
) -> Result<BTreeMap<i64, f64>, FetchError> {
    let mut values = BTreeMap::new();
    for chunk in instants.chunks(client.max_points()) {
        let answer = client.query_range(&query.text, chunk.start_seconds(), chunk.end_seconds())?;
        warnings.extend(
            answer
                .warnings
                .into_iter()
                .map(|message| Warning::Server { message }),
        );
        for (at_ms, value) in answer.data.into_iter().flatten() {
            *values.entry(at_ms).or_insert(0.0) += value * query.scale;
        }
    }
    Ok(values)
}

/// The series from both queries' samples, instant by instant.
fn combine(
    role: Role,
    part: &BTreeMap<i64, f64>,
    total: &BTreeMap<i64, f64>,
    warnings: &mut Vec<Warning>,
) -> SloSeries {
    let mut series = SloSeries::default();
    let mut one_sided = OneSided::default();
    let instants: std::collections::BTreeSet<i64> =
        part.keys().chain(total.keys()).copied().collect();
    for at_ms in instants {
        let (part_value, total_value) = match (part.get(&at_ms), total.get(&at_ms)) {
            (Some(&p), Some(&t)) => (p, t),
            // No error series yet: no errors, as the rules' `or on() vector(0)` says.
            (None, Some(&t)) if role == Role::Errors => (0.0, t),
            (None, _) => {
                one_sided.note(role, at_ms);
                continue;
            }
            (_, None) => {
                one_sided.note(Role::Total, at_ms);
                continue;
            }
        };
        // The sample at `at_ms` counts the minute that ends there.
        series.see(at_ms);
        if let Some(counts) = counts(role, part_value, total_value, at_ms, warnings) {
            series.total.at_mut(at_ms - MINUTE_MS).add(counts);
        }
    }
    warnings.extend(one_sided.warnings());
    series
}

/// Good and valid events of one instant, the values clamped into `0 <= part <= total`; none
/// when a value is not a number.
fn counts(
    role: Role,
    part: f64,
    total: f64,
    at_ms: i64,
    warnings: &mut Vec<Warning>,
) -> Option<Counts> {
    for (role, value) in [(role, part), (Role::Total, total)] {
        if !value.is_finite() {
            warnings.push(Warning::NotANumber { at_ms, role, value });
            return None;
        }
    }
    let total = clamp(Role::Total, total, f64::INFINITY, at_ms, warnings);
    let part = clamp(role, part, total, at_ms, warnings);
    let good = match role {
        Role::Errors => total - part,
        Role::Good | Role::Total => part,
    };
    Some(Counts { valid: total, good })
}

/// `value` within `[0, upper]`, with a warning when it lay outside by more than noise.
fn clamp(role: Role, value: f64, upper: f64, at_ms: i64, warnings: &mut Vec<Warning>) -> f64 {
    let clamped = value.clamp(0.0, upper);
    let tolerance = NOISE * (1.0 + upper.min(value.abs()));
    if (value - clamped).abs() > tolerance {
        warnings.push(Warning::Clamped {
            at_ms,
            role,
            value,
            clamped,
        });
    }
    clamped
}

/// Minutes where one query had a sample and the other none, per missing query.
#[derive(Debug, Default)]
struct OneSided {
    /// Minutes, first and last instant, by the query without a sample.
    by_role: BTreeMap<Role, (u64, i64, i64)>,
}

impl OneSided {
    fn note(&mut self, missing: Role, at_ms: i64) {
        let entry = self.by_role.entry(missing).or_insert((0, at_ms, at_ms));
        entry.0 += 1;
        entry.2 = at_ms;
    }

    fn warnings(self) -> impl Iterator<Item = Warning> {
        self.by_role.into_iter().map(
            |(missing, (minutes, first_ms, last_ms))| Warning::OneSided {
                missing,
                minutes,
                first_ms,
                last_ms,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(values: &[(i64, f64)]) -> BTreeMap<i64, f64> {
        values
            .iter()
            .map(|&(minute, v)| (minute * MINUTE_MS, v))
            .collect()
    }

    #[test]
    fn instants_end_each_minute_of_the_range_and_split_into_chunks() {
        // [minute 10, minute 15): the slices end at minutes 11..=15.
        let instants = Instants::covering(10 * MINUTE_MS..15 * MINUTE_MS).unwrap();
        assert_eq!(
            instants,
            Instants {
                first: 11,
                last: 15
            }
        );
        let chunks: Vec<Instants> = instants.chunks(2).collect();
        assert_eq!(
            chunks,
            vec![
                Instants {
                    first: 11,
                    last: 12
                },
                Instants {
                    first: 13,
                    last: 14
                },
                Instants {
                    first: 15,
                    last: 15
                },
            ]
        );
        assert_eq!(Instants::covering(10 * MINUTE_MS..10 * MINUTE_MS), None);
    }

    #[test]
    fn each_sample_lands_in_the_minute_it_ends() {
        let mut warnings = Vec::new();
        // At instant 11:00 (minute 11), 3 errors of 10: minute 10 has 7 good of 10.
        let series = combine(
            Role::Errors,
            &map(&[(11, 3.0)]),
            &map(&[(11, 10.0)]),
            &mut warnings,
        );
        let dense = series.total.dense(10, 12);
        assert_eq!(
            dense[0],
            Counts {
                valid: 10.0,
                good: 7.0
            }
        );
        assert_eq!(dense[1], Counts::default());
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_sample_missing_on_one_side_is_no_data_and_warned() {
        let mut warnings = Vec::new();
        let series = combine(
            Role::Good,
            &map(&[(2, 9.0), (4, 5.0)]),
            &map(&[(1, 10.0), (2, 10.0), (3, 10.0)]),
            &mut warnings,
        );
        // Minute 0 (instant 1) and minute 2 (instant 3) have no good sample, minute 3
        // (instant 4) no total: no data.
        let dense = series.total.dense(0, 4);
        assert_eq!(dense[0], Counts::default());
        assert_eq!(
            dense[1],
            Counts {
                valid: 10.0,
                good: 9.0
            }
        );
        assert_eq!(dense[2], Counts::default());
        assert_eq!(dense[3], Counts::default());
        assert_eq!(
            warnings,
            vec![
                Warning::OneSided {
                    missing: Role::Good,
                    minutes: 2,
                    first_ms: MINUTE_MS,
                    last_ms: 3 * MINUTE_MS,
                },
                Warning::OneSided {
                    missing: Role::Total,
                    minutes: 1,
                    first_ms: 4 * MINUTE_MS,
                    last_ms: 4 * MINUTE_MS,
                },
            ]
        );
    }

    #[test]
    fn a_missing_errors_sample_with_a_total_is_no_errors() {
        let mut warnings = Vec::new();
        let series = combine(
            Role::Errors,
            &map(&[(2, 1.0), (4, 2.0)]),
            &map(&[(1, 10.0), (2, 10.0), (3, 10.0)]),
            &mut warnings,
        );
        // Instants 1 and 3 have a total and no errors: 10 valid, all good, as the rules'
        // `or on() vector(0)` counts them. Instant 4 has errors and no total: no data.
        let dense = series.total.dense(0, 4);
        let all_good = Counts {
            valid: 10.0,
            good: 10.0,
        };
        assert_eq!(dense[0], all_good);
        assert_eq!(
            dense[1],
            Counts {
                valid: 10.0,
                good: 9.0
            }
        );
        assert_eq!(dense[2], all_good);
        assert_eq!(dense[3], Counts::default());
        assert_eq!(
            warnings,
            vec![Warning::OneSided {
                missing: Role::Total,
                minutes: 1,
                first_ms: 4 * MINUTE_MS,
                last_ms: 4 * MINUTE_MS,
            }]
        );
    }

    #[test]
    fn parts_above_the_total_or_below_zero_are_clamped_and_warned() {
        let mut warnings = Vec::new();
        let good = combine(
            Role::Good,
            &map(&[(1, 12.0)]),
            &map(&[(1, 10.0)]),
            &mut warnings,
        );
        assert_eq!(
            good.total.dense(0, 1)[0],
            Counts {
                valid: 10.0,
                good: 10.0
            }
        );
        let errors = combine(
            Role::Errors,
            &map(&[(1, -2.0)]),
            &map(&[(1, 10.0)]),
            &mut warnings,
        );
        assert_eq!(
            errors.total.dense(0, 1)[0],
            Counts {
                valid: 10.0,
                good: 10.0
            }
        );
        assert_eq!(
            warnings,
            vec![
                Warning::Clamped {
                    at_ms: MINUTE_MS,
                    role: Role::Good,
                    value: 12.0,
                    clamped: 10.0
                },
                Warning::Clamped {
                    at_ms: MINUTE_MS,
                    role: Role::Errors,
                    value: -2.0,
                    clamped: 0.0
                },
            ]
        );
    }

    #[test]
    fn floating_point_noise_is_clamped_without_a_warning() {
        let mut warnings = Vec::new();
        // All 80 requests failed; the errors rate times 60 came out a hair above the total's.
        let series = combine(
            Role::Errors,
            &map(&[(1, 80.000_000_000_000_01)]),
            &map(&[(1, 80.0)]),
            &mut warnings,
        );
        assert_eq!(
            series.total.dense(0, 1)[0],
            Counts {
                valid: 80.0,
                good: 0.0
            }
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn values_that_are_not_numbers_leave_the_minute_empty() {
        let mut warnings = Vec::new();
        let series = combine(
            Role::Good,
            &map(&[(1, f64::NAN)]),
            &map(&[(1, 5.0)]),
            &mut warnings,
        );
        assert_eq!(series.total.dense(0, 1)[0], Counts::default());
        assert!(matches!(
            warnings[0],
            Warning::NotANumber {
                role: Role::Good,
                ..
            }
        ));
    }
}
