//! Evaluating one SLO at one instant: SLI, budget, burn rates, alerts, forecasts, gaps.

use std::collections::BTreeMap;

use jiff::Timestamp;
use nines_core::duration::Duration;
use nines_core::series::{Counts, MINUTE_MS, MinuteSeries, SloSeries};
use nines_core::slo::{AlertRule, Budgeting, Slo};
use nines_core::window::Period;

use crate::measure::{Tally, slices, tally};
use crate::report::{
    AlertCondition, AlertState, Count, Coverage, ErrorBudget, Exhaustion, Forecast, Gap, Gaps,
    GroupReport, HistoryPoint, Lookbacks, Projection, SliceSummary, SloReport, Status,
};
use crate::timeline::Timeline;

/// The lookbacks every report gives a burn rate for, in minutes.
pub const LOOKBACKS: [(&str, i64); 7] = [
    ("5m", 5),
    ("30m", 30),
    ("1h", 60),
    ("2h", 120),
    ("6h", 360),
    ("1d", 1_440),
    ("3d", 4_320),
];

/// What to compute beyond the report itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Add SLI, budget and alerts at every `step` across the window.
    pub history_step: Option<Duration>,
}

/// Evaluates `slo` over what `series` recorded, at `at_ms` (Unix ms; rounded down to the
/// minute, the resolution of slice series).
pub fn evaluate(slo: &Slo, series: &SloSeries, at_ms: i64, options: &Options) -> SloReport {
    let now = at_ms.div_euclid(MINUTE_MS);
    let steps = history_steps(slo, now, options.history_step);
    let start = range_start(slo, now, &steps);
    let whole = Evaluator::new(slo, &series.total, &series.excluded, start, now);

    let mut report = whole.report();
    report.coverage.first_event = series.seen.map(|(first, _)| rfc3339(first));
    report.coverage.last_event = series.seen.map(|(_, last)| rfc3339(last));
    report.groups = series
        .groups
        .iter()
        .map(|(group, counts)| {
            Evaluator::new(slo, counts, &BTreeMap::new(), start, now).group_report(group)
        })
        // A value met only outside the window (older lines of a longer log) has nothing to
        // say about it.
        .filter(|group| group.valid > 0.0)
        .collect();
    if !steps.is_empty() {
        report.history = Some(
            steps
                .iter()
                .map(|&step| whole.history_point(step))
                .collect(),
        );
    }
    report
}

/// The burn-rate alerts firing at `at_ms`, by rule, for alert timelines and tests.
pub fn alert_states(slo: &Slo, series: &SloSeries, at_ms: i64) -> Vec<AlertState> {
    let now = at_ms.div_euclid(MINUTE_MS);
    let start = range_start(slo, now, &[]);
    Evaluator::new(slo, &series.total, &series.excluded, start, now).alerts_at(now)
}

/// The minutes an evaluation of `slo` at `at_ms` reads, as Unix ms `[start, end)`: the window
/// at each evaluation time (history steps too) and the longest lookback before it. Sources that
/// fetch data for one evaluation, such as Prometheus, fetch exactly this range.
pub fn range_needed(slo: &Slo, at_ms: i64, options: &Options) -> std::ops::Range<i64> {
    let now = at_ms.div_euclid(MINUTE_MS);
    let steps = history_steps(slo, now, options.history_step);
    range_start(slo, now, &steps) * MINUTE_MS..now * MINUTE_MS
}

/// The evaluation times of the history, oldest first, excluding the window's start.
fn history_steps(slo: &Slo, now: i64, step: Option<Duration>) -> Vec<i64> {
    let Some(step) = step else { return Vec::new() };
    let step = step.minutes().max(1);
    let window_start = slo
        .window
        .period_at(now * MINUTE_MS)
        .start_ms
        .div_euclid(MINUTE_MS);
    let mut steps: Vec<i64> = (0..)
        .map(|k| now - k * step)
        .take_while(|&minute| minute > window_start)
        .collect();
    steps.reverse();
    steps
}

/// The first minute any query of this evaluation reads.
fn range_start(slo: &Slo, now: i64, steps: &[i64]) -> i64 {
    let longest_lookback = slo
        .alerts
        .iter()
        .map(|alert| alert.long.minutes())
        .chain(LOOKBACKS.iter().map(|(_, minutes)| *minutes))
        .max()
        .unwrap_or(0);
    steps
        .iter()
        .chain(std::iter::once(&now))
        .map(|&at| {
            let window_start = slo
                .window
                .period_at(at * MINUTE_MS)
                .start_ms
                .div_euclid(MINUTE_MS);
            window_start.min(at - longest_lookback)
        })
        .min()
        .unwrap_or(now)
}

/// One SLO's numbers over one timeline (the whole, or one group).
struct Evaluator<'a> {
    slo: &'a Slo,
    timeline: Timeline,
    now: i64,
}

/// The window's numbers at one instant.
struct WindowState {
    period: Period,
    tally: Tally,
    budget: ErrorBudget,
}

impl<'a> Evaluator<'a> {
    fn new(
        slo: &'a Slo,
        counts: &MinuteSeries<Counts>,
        excluded: &BTreeMap<String, MinuteSeries<f64>>,
        start: i64,
        now: i64,
    ) -> Self {
        let timeline = Timeline::build(counts, excluded, &slo.exclusions, start, now);
        Evaluator { slo, timeline, now }
    }

    fn report(&self) -> SloReport {
        let slo = self.slo;
        let state = self.window_state(self.now);
        let counts = self
            .timeline
            .counts(minute(state.period.start_ms), self.now);
        let excluded = self
            .timeline
            .excluded(minute(state.period.start_ms), self.now);
        let alerts = self.alerts_at(self.now);
        let firing = firing(&alerts);
        let burn_rates = self.burn_rates(&state);
        SloReport {
            service: slo.service.clone(),
            slo: slo.name.clone(),
            objective: slo.objective.percent().to_f64(),
            window: slo.window.to_string(),
            budgeting: slo.budgeting.name().to_owned(),
            evaluated_at: rfc3339(self.now * MINUTE_MS),
            window_start: rfc3339(state.period.start_ms),
            window_end: rfc3339(state.period.end_ms),
            valid: counts.valid,
            good: counts.good,
            bad: counts.bad(),
            excluded: excluded.values().fold(0.0, |total, n| total + n),
            excluded_by_reason: excluded.into_iter().map(|(r, n)| (r, Count(n))).collect(),
            sli: state.tally.sli(),
            slices: self.slice_summary(&state),
            exhaustion: self.exhaustion(&state, &burn_rates),
            projection: self.projection(&state),
            gaps: self.gaps(&state.period),
            coverage: self.coverage(&state.period),
            status: status(&state, &firing),
            burn_rates,
            alerts,
            firing,
            error_budget: state.budget,
            group_by: slo.group_by.as_ref().map(|field| field.name.clone()),
            groups: Vec::new(),
            history: None,
        }
    }

    fn group_report(&self, group: &str) -> GroupReport {
        let state = self.window_state(self.now);
        let counts = self
            .timeline
            .counts(minute(state.period.start_ms), self.now);
        let firing = firing(&self.alerts_at(self.now));
        GroupReport {
            group: group.to_owned(),
            valid: counts.valid,
            good: counts.good,
            bad: counts.bad(),
            sli: state.tally.sli(),
            error_budget_remaining: state.budget.remaining,
            burn_rates: self.burn_rates(&state),
            status: status(&state, &firing),
            firing,
        }
    }

    fn history_point(&self, at: i64) -> HistoryPoint {
        let state = self.window_state(at);
        HistoryPoint {
            at: rfc3339(at * MINUTE_MS),
            sli: state.tally.sli(),
            error_budget_remaining: state.budget.remaining,
            firing: firing(&self.alerts_at(at)),
        }
    }

    /// The window holding minute `at`, what was measured in it, and its budget.
    fn window_state(&self, at: i64) -> WindowState {
        let period = self.slo.window.period_at(at * MINUTE_MS);
        let tally = tally(
            &self.timeline,
            self.slo.budgeting,
            minute(period.start_ms),
            at,
        );
        let budget = self.budget(&period, &tally, at);
        WindowState {
            period,
            tally,
            budget,
        }
    }

    /// The budget of the window at `at`. Event budgets grow with the events seen; slice
    /// budgets count the measured slices and, in a calendar period, the slices still to come.
    fn budget(&self, period: &Period, tally: &Tally, at: i64) -> ErrorBudget {
        let objective = self.slo.objective;
        let (unit, base, slice_minutes) = match self.slo.budgeting {
            Budgeting::Occurrences => ("events", tally.base, None),
            Budgeting::Timeslices { slice, .. } | Budgeting::RatioTimeslices { slice } => {
                // The slices measured so far and, in a calendar period, every slice still to
                // come: a month's budget is set by the month's length, not by the day.
                let future = slices(slice.minutes(), at, minute(period.end_ms)).count();
                let base = tally.base + future as f64;
                ("slices", base, Some(slice.minutes() as f64))
            }
        };
        let allowed = objective.allowed_bad(base);
        let spent = tally.bad;
        let consumed = if allowed > 0.0 { spent / allowed } else { 0.0 };
        ErrorBudget {
            unit,
            allowed,
            spent,
            consumed,
            remaining: 1.0 - consumed,
            // From the slice count times the slice length, so that 2,880 five-minute slices at
            // 99.5 % allow exactly 72 minutes rather than 14.4 × 5 in floating point.
            allowed_minutes: slice_minutes.map(|m| objective.allowed_bad(base * m)),
            remaining_minutes: slice_minutes.map(|m| (allowed - spent) * m),
        }
    }

    fn burn_rates(&self, state: &WindowState) -> Lookbacks {
        let objective = self.slo.objective;
        let budgeting = self.slo.budgeting;
        let mut rates: Vec<(String, Option<f64>)> = LOOKBACKS
            .iter()
            .map(|&(name, minutes)| {
                let tally = tally(&self.timeline, budgeting, self.now - minutes, self.now);
                (name.to_owned(), tally.burn_rate(objective, budgeting))
            })
            .collect();
        let window = state.tally.burn_rate(objective, budgeting);
        rates.push(("window".to_owned(), window));
        Lookbacks(rates)
    }

    /// Every alert rule's state at minute `at`.
    fn alerts_at(&self, at: i64) -> Vec<AlertState> {
        self.slo
            .alerts
            .iter()
            .map(|rule| self.alert_at(rule, at))
            .collect()
    }

    fn alert_at(&self, rule: &AlertRule, at: i64) -> AlertState {
        let (objective, budgeting) = (self.slo.objective, self.slo.budgeting);
        let long = tally(&self.timeline, budgeting, at - rule.long.minutes(), at);
        let short = tally(&self.timeline, budgeting, at - rule.short.minutes(), at);
        let long_burn_rate = long.burn_rate(objective, budgeting);
        let short_burn_rate = short.burn_rate(objective, budgeting);
        let state = match (long_burn_rate, short_burn_rate) {
            (None, _) => AlertCondition::NoData,
            _ if long.valid_events < rule.min_events => AlertCondition::InsufficientTraffic,
            (_, None) => AlertCondition::NoData,
            (Some(l), Some(s)) if l > rule.factor && s > rule.factor => AlertCondition::Firing,
            _ => AlertCondition::Ok,
        };
        AlertState {
            severity: rule.severity.clone(),
            long: rule.long.to_string(),
            short: rule.short.to_string(),
            factor: rule.factor,
            min_events: rule.min_events,
            long_burn_rate,
            short_burn_rate,
            long_valid: long.valid_events,
            state,
        }
    }

    /// When the budget runs out if the events of the last hour (or day) go on at the same
    /// rates, if it does before the forecast stops meaning anything.
    fn exhaustion(&self, state: &WindowState, rates: &Lookbacks) -> Exhaustion {
        let forecast = |lookback: &str, minutes: i64| {
            let seconds = if state.budget.remaining <= 0.0 {
                Some(0.0)
            } else {
                rates
                    .get(lookback)
                    .filter(|&rate| rate > 0.0)
                    .and_then(|rate| self.minutes_to_exhaustion(state, minutes, rate))
                    .map(|minutes| minutes * 60.0)
            };
            Forecast {
                seconds,
                at: seconds.map(|s| rfc3339(self.now * MINUTE_MS + (s * 1000.0) as i64)),
            }
        };
        Exhaustion {
            at_1h_burn_rate: forecast("1h", 60),
            at_1d_burn_rate: forecast("1d", 1_440),
        }
    }

    /// Minutes until spent reaches allowed, with the lookback's valid and bad events per
    /// minute going on.
    ///
    /// For events the recorded minutes are replayed: in a rolling window the oldest minutes
    /// leave as new ones come, so their errors stop counting and their valid events stop
    /// allowing; a calendar period keeps everything until its end, when the budget is renewed
    /// and the forecast stops. Slice budgets use the burn rate: a rolling window's spending
    /// settles at burn × budget, so only a burn above 1 runs out; a calendar period's budget
    /// is fixed, so bad slices spend it at their own pace.
    fn minutes_to_exhaustion(&self, state: &WindowState, lookback: i64, burn: f64) -> Option<f64> {
        let objective = self.slo.objective;
        let period = &state.period;
        let left = minute(period.end_ms) - self.now;
        let budget = &state.budget;
        if !matches!(self.slo.budgeting, Budgeting::Occurrences) {
            let length = period.length_ms() as f64 / MINUTE_MS as f64;
            let minutes = if self.slo.window.is_calendar() {
                // Bad slices per minute: burn × budget share of the slices per minute.
                let bad_per_minute = burn * objective.error_budget();
                (budget.allowed - budget.spent) / bad_per_minute
            } else if burn > 1.0 {
                budget.remaining * length / burn
            } else {
                return None;
            };
            return (!self.slo.window.is_calendar() || minutes < left as f64).then_some(minutes);
        }
        let recent = self.timeline.counts(self.now - lookback, self.now);
        let (valid, bad) = (
            recent.valid / lookback as f64,
            recent.bad() / lookback as f64,
        );
        let start = minute(period.start_ms);
        if self.slo.window.is_calendar() {
            // spent + bad × t = allowed(valid so far + valid × t)
            let so_far = self.timeline.counts(start, self.now);
            let net = bad - objective.allowed_bad(valid);
            let minutes = (objective.allowed_bad(so_far.valid) - so_far.bad()) / net;
            return (net > 0.0 && minutes < left as f64).then_some(minutes);
        }
        // Rolling: after one window length only the forecast's own events remain, and then
        // it runs out exactly when the burn is above 1; so stepping one window is enough.
        let length = self.now - start;
        (1..=length).find_map(|t| {
            let kept = self.timeline.counts(start + t, self.now);
            let spent = kept.bad() + bad * t as f64;
            let allowed = objective.allowed_bad(kept.valid + valid * t as f64);
            (spent >= allowed).then_some(t as f64)
        })
    }

    /// For calendar windows: the period's end if the rate so far goes on.
    fn projection(&self, state: &WindowState) -> Option<Projection> {
        let period = state.period;
        if !self.slo.window.is_calendar() || period.elapsed_ms() <= 0 {
            return None;
        }
        let scale = period.length_ms() as f64 / period.elapsed_ms() as f64;
        // What was measured so far, scaled to the whole period: events, or measured slices
        // (the empty slices to come are skipped as often as they were so far).
        let spent = state.budget.spent * scale;
        let allowed = self.slo.objective.allowed_bad(state.tally.base * scale);
        let consumed = if allowed > 0.0 { spent / allowed } else { 0.0 };
        let counts = self.timeline.counts(minute(period.start_ms), self.now);
        Some(Projection {
            estimate: true,
            period_end: rfc3339(period.end_ms),
            valid: counts.valid * scale,
            bad: counts.bad() * scale,
            consumed,
            remaining: 1.0 - consumed,
        })
    }

    fn slice_summary(&self, state: &WindowState) -> Option<SliceSummary> {
        let length = match self.slo.budgeting {
            Budgeting::Occurrences => return None,
            Budgeting::Timeslices { slice, .. } | Budgeting::RatioTimeslices { slice } => slice,
        };
        let (start, end) = (minute(state.period.start_ms), minute(state.period.end_ms));
        let s = state.tally.slices;
        Some(SliceSummary {
            length: length.to_string(),
            total: slices(length.minutes(), start, end).count() as u64,
            good: s.good,
            bad: s.bad,
            no_data: s.no_data,
            excluded: s.excluded,
        })
    }

    /// Runs of minutes with no valid events that are not excluded.
    fn gaps(&self, period: &Period) -> Gaps {
        let mut intervals = Vec::new();
        let mut run_start = None;
        for m in minute(period.start_ms)..=self.now {
            let empty =
                m < self.now && self.timeline.valid_in(m) <= 0.0 && !self.timeline.is_excluded(m);
            match (empty, run_start) {
                (true, None) => run_start = Some(m),
                (false, Some(start)) => {
                    intervals.push(Gap {
                        start: rfc3339(start * MINUTE_MS),
                        end: rfc3339(m * MINUTE_MS),
                        minutes: m - start,
                    });
                    run_start = None;
                }
                _ => {}
            }
        }
        Gaps {
            count: intervals.len(),
            minutes: intervals.iter().map(|gap| gap.minutes).sum(),
            intervals,
        }
    }

    fn coverage(&self, period: &Period) -> Coverage {
        let start = minute(period.start_ms);
        let excluded = self.timeline.excluded_minute_count(start, self.now);
        let window_minutes = (self.now - start - excluded).max(0);
        let minutes_with_data = (start..self.now)
            .filter(|&m| self.timeline.valid_in(m) > 0.0)
            .count() as i64;
        Coverage {
            window_minutes,
            minutes_with_data,
            ratio: if window_minutes > 0 {
                minutes_with_data as f64 / window_minutes as f64
            } else {
                0.0
            },
            first_event: None,
            last_event: None,
        }
    }
}

/// The severities of the rules that fire, each once, in rule order.
fn firing(alerts: &[AlertState]) -> Vec<String> {
    let mut severities: Vec<String> = Vec::new();
    for alert in alerts.iter().filter(|a| a.state == AlertCondition::Firing) {
        if !severities.contains(&alert.severity) {
            severities.push(alert.severity.clone());
        }
    }
    severities
}

fn status(state: &WindowState, firing: &[String]) -> Status {
    if state.tally.sli().is_some() && state.budget.remaining <= 0.0 {
        Status::Exhausted
    } else if firing.iter().any(|severity| severity == "page") {
        Status::Page
    } else if !firing.is_empty() {
        Status::Ticket
    } else if state.tally.sli().is_none() {
        Status::NoData
    } else {
        Status::Ok
    }
}

fn minute(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS)
}

/// Unix milliseconds as RFC 3339 in UTC.
pub fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}
