//! The validated SLO model: services, their telemetry sources and SLOs.
//!
//! `nines-spec` builds these from spec files; readers, the classifier and the engine only ever
//! see this model.

use std::collections::BTreeMap;

use crate::decimal::{Decimal, Objective, SliceTarget};
use crate::duration::Duration;
use crate::expr::Predicate;
use crate::recurrence::Recurrence;
use crate::source::{FieldDef, SourceFormat};
use crate::window::Window;

/// Everything the loaded spec files define.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Services, in the order they were read.
    pub services: Vec<Service>,
}

impl Catalog {
    /// Every SLO of every service, in order.
    pub fn slos(&self) -> impl Iterator<Item = &Slo> {
        self.services.iter().flat_map(|service| &service.slos)
    }

    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.name == name)
    }
}

/// A service: who owns it, what it depends on, what telemetry it has and its SLOs.
#[derive(Debug, Clone, Default)]
pub struct Service {
    /// Unique name.
    pub name: String,
    /// Owning team.
    pub team: Option<String>,
    /// Accountable lead.
    pub lead: Option<String>,
    /// Tier (1 is most critical).
    pub tier: Option<u32>,
    /// Free-form labels.
    pub labels: BTreeMap<String, String>,
    /// Services this one depends on.
    pub dependencies: Vec<Dependency>,
    /// Telemetry sources.
    pub sources: Vec<Source>,
    /// SLOs.
    pub slos: Vec<Slo>,
}

/// A dependency of one service on another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The service depended on.
    pub service: String,
    /// Hard: an outage of the dependency is an outage of this service.
    pub hard: bool,
    /// The dependency is run by a third party.
    pub third_party: bool,
}

/// A named telemetry source of a service.
#[derive(Debug, Clone)]
pub struct Source {
    /// Name, unique within the service.
    pub name: String,
    /// How its records are laid out.
    pub format: SourceFormat,
}

/// A service level objective.
#[derive(Debug, Clone)]
pub struct Slo {
    /// The service it belongs to.
    pub service: String,
    /// Name, unique within the service.
    pub name: String,
    /// What it promises, in words.
    pub description: Option<String>,
    /// The target share of good events (or slices).
    pub objective: Objective,
    /// The period the objective applies to.
    pub window: Window,
    /// How the budget is counted.
    pub budgeting: Budgeting,
    /// How events are classified.
    pub sli: Sli,
    /// A field to break the SLI down by (region, route), if any.
    pub group_by: Option<FieldDef>,
    /// Multi-window burn-rate alerts.
    pub alerts: Vec<AlertRule>,
    /// Intervals and event classes removed from measurement.
    pub exclusions: Vec<Exclusion>,
    /// Free-form labels.
    pub labels: BTreeMap<String, String>,
}

/// Where an SLI's good and valid counts come from.
#[derive(Debug, Clone)]
pub enum Sli {
    /// Events of a telemetry source, classified by nines.
    Events(EventSli),
    /// PromQL queries, evaluated by a Prometheus-compatible engine.
    Prometheus(PromSli),
}

impl Sli {
    /// The event SLI, when the SLO is measured from a telemetry source.
    pub fn events(&self) -> Option<&EventSli> {
        match self {
            Sli::Events(events) => Some(events),
            Sli::Prometheus(_) => None,
        }
    }

    /// The name of the telemetry source, for event SLIs.
    pub fn source(&self) -> Option<&str> {
        self.events().map(|events| events.source.as_str())
    }
}

/// How an SLI classifies events of its source.
#[derive(Debug, Clone)]
pub struct EventSli {
    /// The source's name within the service.
    pub source: String,
    /// Which events count at all.
    pub valid: Predicate,
    /// Which valid events are good, or which are bad.
    pub criterion: Criterion,
}

/// An SLI whose data lives in Prometheus. Range queries carry the placeholder
/// [`PromSli::WINDOW`] where the lookback goes, as Sloth writes them.
#[derive(Debug, Clone, PartialEq)]
pub enum PromSli {
    /// A query for bad events and one for all events.
    ErrorsTotal {
        /// Bad events over the window, such as `sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`.
        errors: String,
        /// All valid events over the window.
        total: String,
    },
    /// A query for good events and one for all events.
    GoodTotal {
        /// Good events over the window.
        good: String,
        /// All valid events over the window.
        total: String,
    },
    /// One query that gives the error ratio itself.
    ErrorRatio {
        /// The error ratio over the window.
        query: String,
    },
    /// Latency from a histogram: good events are those in the bucket whose bound equals the
    /// threshold (compared as numbers), valid events those in the `+Inf` bucket.
    Latency {
        /// The histogram's name, without `_bucket`.
        metric: String,
        /// Label matchers inside the braces, such as `job="api",route="/checkout"`.
        selector: String,
        /// The threshold in seconds.
        threshold: f64,
    },
}

impl PromSli {
    /// The placeholder for the range in Sloth-style queries.
    pub const WINDOW: &'static str = "{{.window}}";

    /// Functions whose value is per second: a query built on them counts events per second.
    pub const PER_SECOND_FUNCTIONS: [&'static str; 2] = ["rate", "irate"];

    /// Functions whose value is a count over their range: a query built on them counts the
    /// events of the whole range.
    pub const COUNTING_FUNCTIONS: [&'static str; 3] =
        ["increase", "sum_over_time", "count_over_time"];

    /// A regex (for `le=~`) that matches every usual spelling of the bucket bound
    /// `threshold`, compared as a number: `0.3`, `0.30`, `.3`, `3e-01`, `3.0E-1`, and no other
    /// number. Exporters print bounds differently (Go prints `0.3`, some libraries `0.30`,
    /// Python `1e-05`); an exact `le="0.3"` would silently find nothing for some of them.
    pub fn bucket_bound_regex(threshold: f64) -> String {
        let text = format!("{threshold}");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let plain = plain_pattern(whole, fraction);
        let scientific = scientific_pattern(whole, fraction);
        format!("\\+?(?:{plain}|{scientific})")
    }
}

/// `0*\.30*` for 0.3, `0*12(\.0*)?` for 12: leading and trailing zeros allowed.
fn plain_pattern(whole: &str, fraction: &str) -> String {
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let fraction_pattern = if fraction.is_empty() {
        "(?:\\.0*)?".to_owned()
    } else {
        format!("\\.{fraction}0*")
    };
    format!("0*{whole}{fraction_pattern}")
}

/// `3(?:\.0*)?[eE]-0*1` for 0.3: one digit before the point, as `%e` and `%g` print.
fn scientific_pattern(whole: &str, fraction: &str) -> String {
    let digits = format!("{whole}{fraction}");
    let first = digits.find(|c| c != '0').unwrap_or(0);
    let exponent = whole.len() as i64 - 1 - first as i64;
    let significant = digits[first..].trim_end_matches('0');
    let (lead, rest) = significant.split_at(1.min(significant.len()));
    let mantissa = if rest.is_empty() {
        format!("{lead}(?:\\.0*)?")
    } else {
        format!("{lead}\\.{rest}0*")
    };
    let exponent = match exponent {
        0 => "[+-]?0+".to_owned(),
        e if e > 0 => format!("\\+?0*{e}"),
        e => format!("-0*{}", -e),
    };
    format!("{mantissa}[eE]{exponent}")
}

/// The criterion of an SLI, written one way or the other.
#[derive(Debug, Clone)]
pub enum Criterion {
    /// Valid events that match are good.
    Good(Predicate),
    /// Valid events that match are bad.
    Bad(Predicate),
}

impl Criterion {
    /// True when the valid `event` is good.
    #[inline]
    pub fn is_good(&self, event: &crate::event::Event<'_>) -> bool {
        match self {
            Criterion::Good(good) => good.matches(event),
            Criterion::Bad(bad) => !bad.matches(event),
        }
    }
}

/// How an error budget is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budgeting {
    /// Count events: the SLI is the ratio of sums of good and valid events.
    Occurrences,
    /// Count slices: a slice is good when its own SLI meets the target.
    Timeslices {
        /// Slice length, a whole number of minutes.
        slice: Duration,
        /// The share of good events a slice needs.
        target: SliceTarget,
        /// What a slice without valid events counts as.
        no_data: NoData,
    },
    /// Average the per-slice ratios.
    RatioTimeslices {
        /// Slice length, a whole number of minutes.
        slice: Duration,
    },
}

impl Budgeting {
    /// The method's name in specs and output.
    pub fn name(self) -> &'static str {
        match self {
            Budgeting::Occurrences => "occurrences",
            Budgeting::Timeslices { .. } => "timeslices",
            Budgeting::RatioTimeslices { .. } => "ratio-timeslices",
        }
    }
}

/// What a timeslice without valid events counts as. Never good: no data is not 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoData {
    /// Neither good nor bad: reported as a gap.
    #[default]
    Skip,
    /// Bad: for SLOs that must always see traffic.
    Bad,
}

/// One multi-window burn-rate alert: it fires while both lookbacks burn faster than `factor`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Who is told: `page`, `ticket`, or a name of the user's.
    pub severity: String,
    /// The long lookback, which sets how much budget must have gone.
    pub long: Duration,
    /// The short lookback, which makes the alert clear soon after the burn stops.
    pub short: Duration,
    /// The burn-rate threshold.
    pub factor: f64,
    /// The share of the budget this alert spends before firing, when it was given that way.
    pub budget_share: Option<Decimal>,
    /// Fewer valid events than this in the long lookback: no alert, "insufficient traffic".
    pub min_events: f64,
}

/// Something removed from an SLO's measurement, with the reason.
#[derive(Debug, Clone)]
pub struct Exclusion {
    /// Why (maintenance, third-party outage, DDoS).
    pub reason: String,
    /// What is excluded.
    pub kind: ExclusionKind,
}

/// What an exclusion removes.
#[derive(Debug, Clone)]
pub enum ExclusionKind {
    /// One interval `[start_ms, end_ms)`, whole minutes.
    Interval {
        /// First excluded instant.
        start_ms: i64,
        /// First instant after the exclusion.
        end_ms: i64,
    },
    /// Intervals that recur by an RFC 5545 rule, each `duration` long.
    Recurring(Box<Recurrence>),
    /// Events that match a predicate, wherever they fall.
    Events(Predicate),
}
