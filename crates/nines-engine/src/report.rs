//! The SLO report: what the engine says about one SLO at one evaluation time.
//!
//! These types are the JSON output of `nines report --format json`; their field names are a
//! stable interface documented in `docs/report.schema.json`.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

/// The report of one SLO.
#[derive(Debug, Clone, Serialize)]
pub struct SloReport {
    /// The service.
    pub service: String,
    /// The SLO's name.
    pub slo: String,
    /// The objective in percent, as written (`99.9`).
    pub objective: f64,
    /// The window: `7d`, or `month (Europe/Berlin)`.
    pub window: String,
    /// `occurrences`, `timeslices` or `ratio-timeslices`.
    pub budgeting: String,
    /// When the report was evaluated (RFC 3339).
    pub evaluated_at: String,
    /// Where the window starts (RFC 3339).
    pub window_start: String,
    /// Where the window ends (RFC 3339): the evaluation time, or a calendar period's end.
    pub window_end: String,
    /// Valid events in the window so far (weighted).
    #[serde(serialize_with = "count")]
    pub valid: f64,
    /// Good events.
    #[serde(serialize_with = "count")]
    pub good: f64,
    /// Bad events.
    #[serde(serialize_with = "count")]
    pub bad: f64,
    /// Excluded events, all reasons together.
    #[serde(serialize_with = "count")]
    pub excluded: f64,
    /// Excluded events by reason.
    pub excluded_by_reason: BTreeMap<String, Count>,
    /// good / valid (or good slices / measured slices); `null` when nothing was measured.
    pub sli: Option<f64>,
    /// The error budget.
    pub error_budget: ErrorBudget,
    /// Slices by state, for timeslice budgeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slices: Option<SliceSummary>,
    /// Burn rate per lookback (`5m` … `3d`, and `window`); `null` where there was no data.
    pub burn_rates: Lookbacks,
    /// Every alert rule's state.
    pub alerts: Vec<AlertState>,
    /// The severities firing now.
    pub firing: Vec<String>,
    /// When the budget runs out at the current burn.
    pub exhaustion: Exhaustion,
    /// For calendar windows: the end of the period at the current rate (an estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection: Option<Projection>,
    /// Stretches of the window with no valid events.
    pub gaps: Gaps,
    /// How much of the window had data.
    pub coverage: Coverage,
    /// `ok`, `ticket`, `page`, `exhausted` or `no data`.
    pub status: Status,
    /// The field the SLO is grouped by, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    /// The same SLO for each value of its group field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupReport>,
    /// SLI and budget at each step across the window, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryPoint>>,
}

/// A count of (weighted) events, printed as a whole number when it is one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count(pub f64);

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        count(&self.0, serializer)
    }
}

/// Serialises an event count: an integer when whole, else a float.
fn count<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// The error budget of the window so far.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBudget {
    /// `events` or `slices`.
    pub unit: &'static str,
    /// How many bad units the objective allows.
    pub allowed: f64,
    /// How many were spent.
    pub spent: f64,
    /// spent / allowed (0 when nothing is allowed because nothing was measured).
    pub consumed: f64,
    /// 1 − consumed: may be negative when the budget is overspent.
    pub remaining: f64,
    /// For timeslices: the budget in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_minutes: Option<f64>,
    /// For timeslices: minutes left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_minutes: Option<f64>,
}

/// Slices of the window by state.
#[derive(Debug, Clone, Serialize)]
pub struct SliceSummary {
    /// Slice length.
    pub length: String,
    /// Slices in the whole window.
    pub total: u64,
    /// Slices that met the target.
    pub good: u64,
    /// Slices that missed it (or had no data, when no data counts as bad).
    pub bad: u64,
    /// Slices without valid events, counted as neither.
    pub no_data: u64,
    /// Slices inside excluded intervals.
    pub excluded: u64,
}

/// Burn rates by lookback, in a fixed order.
#[derive(Debug, Clone, Default)]
pub struct Lookbacks(pub Vec<(String, Option<f64>)>);

impl Lookbacks {
    /// The burn rate over `lookback`, if it was computed and defined.
    pub fn get(&self, lookback: &str) -> Option<f64> {
        self.0
            .iter()
            .find(|(name, _)| name == lookback)
            .and_then(|(_, rate)| *rate)
    }
}

impl Serialize for Lookbacks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, rate)| (name, rate)))
    }
}

/// One alert rule at the evaluation time.
#[derive(Debug, Clone, Serialize)]
pub struct AlertState {
    /// `page`, `ticket`, or the user's name.
    pub severity: String,
    /// The long lookback.
    pub long: String,
    /// The short lookback.
    pub short: String,
    /// The burn-rate threshold.
    pub factor: f64,
    /// The minimum valid events in the long lookback.
    #[serde(serialize_with = "count")]
    pub min_events: f64,
    /// Burn over the long lookback.
    pub long_burn_rate: Option<f64>,
    /// Burn over the short lookback.
    pub short_burn_rate: Option<f64>,
    /// Valid events in the long lookback.
    #[serde(serialize_with = "count")]
    pub long_valid: f64,
    /// `firing`, `ok`, `insufficient traffic` or `no data`.
    pub state: AlertCondition,
}

/// The condition of one alert rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AlertCondition {
    /// Both lookbacks burn faster than the factor.
    #[serde(rename = "firing")]
    Firing,
    /// Not firing.
    #[serde(rename = "ok")]
    Ok,
    /// Fewer valid events than the minimum in the long lookback.
    #[serde(rename = "insufficient traffic")]
    InsufficientTraffic,
    /// A lookback without valid events: no burn rate, no alert.
    #[serde(rename = "no data")]
    NoData,
}

impl AlertCondition {
    /// The condition in words, as in JSON.
    pub fn word(self) -> &'static str {
        match self {
            AlertCondition::Firing => "firing",
            AlertCondition::Ok => "ok",
            AlertCondition::InsufficientTraffic => "insufficient traffic",
            AlertCondition::NoData => "no data",
        }
    }
}

/// When the budget runs out if the current burn goes on.
#[derive(Debug, Clone, Serialize)]
pub struct Exhaustion {
    /// At the burn rate of the last hour.
    pub at_1h_burn_rate: Forecast,
    /// At the burn rate of the last day.
    pub at_1d_burn_rate: Forecast,
}

/// A time-to-exhaustion forecast.
#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    /// Seconds until the budget is spent if the lookback's rates go on: 0 when it already
    /// is, `null` when it does not run out (no data, errors ageing out of a rolling window as
    /// fast as they come, or a calendar period that ends first).
    pub seconds: Option<f64>,
    /// The instant it runs out (RFC 3339), if it does.
    pub at: Option<String>,
}

/// A calendar period's end, projected at the current rate: an estimate, labelled so.
#[derive(Debug, Clone, Serialize)]
pub struct Projection {
    /// Always true: this is not a measurement.
    pub estimate: bool,
    /// The end of the period (RFC 3339).
    pub period_end: String,
    /// Valid events expected by then.
    pub valid: f64,
    /// Bad events expected by then.
    pub bad: f64,
    /// The share of the budget consumed by then.
    pub consumed: f64,
    /// The budget remaining by then.
    pub remaining: f64,
}

/// Stretches of the window without valid events.
#[derive(Debug, Clone, Serialize)]
pub struct Gaps {
    /// How many stretches.
    pub count: usize,
    /// Their minutes in all.
    pub minutes: i64,
    /// The stretches, oldest first.
    pub intervals: Vec<Gap>,
}

/// One stretch without valid events.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// First empty minute (RFC 3339).
    pub start: String,
    /// First minute with data again, or the evaluation time (RFC 3339).
    pub end: String,
    /// Its length.
    pub minutes: i64,
}

/// How much of the window had data.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Minutes of the window so far, less excluded minutes.
    pub window_minutes: i64,
    /// Minutes with at least one valid event.
    pub minutes_with_data: i64,
    /// minutes_with_data / window_minutes.
    pub ratio: f64,
    /// The first event of the source seen by this SLO (RFC 3339), valid or not.
    pub first_event: Option<String>,
    /// The last one.
    pub last_event: Option<String>,
}

/// The SLO's state in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    /// Within budget, no alert.
    #[serde(rename = "ok")]
    Ok,
    /// A ticket-level (non-page) alert is firing.
    #[serde(rename = "ticket")]
    Ticket,
    /// A page alert is firing.
    #[serde(rename = "page")]
    Page,
    /// The budget is spent.
    #[serde(rename = "exhausted")]
    Exhausted,
    /// Nothing was measured in the window.
    #[serde(rename = "no data")]
    NoData,
}

impl Status {
    /// The word printed in tables.
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Ticket => "ticket",
            Status::Page => "page",
            Status::Exhausted => "exhausted",
            Status::NoData => "no data",
        }
    }

    /// True when the answer is "no": the budget is spent or someone is being paged.
    pub fn is_failing(self) -> bool {
        matches!(self, Status::Page | Status::Exhausted)
    }
}

/// One value of the SLO's group field.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    /// The field's value (`(none)` when events lack it).
    pub group: String,
    /// Valid events.
    #[serde(serialize_with = "count")]
    pub valid: f64,
    /// Good events.
    #[serde(serialize_with = "count")]
    pub good: f64,
    /// Bad events.
    #[serde(serialize_with = "count")]
    pub bad: f64,
    /// The group's SLI.
    pub sli: Option<f64>,
    /// The group's budget remaining.
    pub error_budget_remaining: f64,
    /// Burn rate per lookback.
    pub burn_rates: Lookbacks,
    /// Severities firing for this group alone.
    pub firing: Vec<String>,
    /// Its status.
    pub status: Status,
}

/// The SLO at one step of its history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryPoint {
    /// The step (RFC 3339).
    pub at: String,
    /// The SLI over the window ending there.
    pub sli: Option<f64>,
    /// The budget remaining there.
    pub error_budget_remaining: f64,
    /// Severities firing there.
    pub firing: Vec<String>,
}
