//! Every name nines generates for other tools, in one place: metric names and labels of the
//! Prometheus exposition it writes.
//!
//! Changing a name here changes it everywhere; dashboards depend on these, so they change only
//! with a new major version.

/// Label naming the service.
pub const LABEL_SERVICE: &str = "service";
/// Label naming the SLO.
pub const LABEL_SLO: &str = "slo";
/// Label naming a burn-rate lookback (`5m`, `1h`, `window`).
pub const LABEL_LOOKBACK: &str = "lookback";
/// Label naming an alert severity.
pub const LABEL_SEVERITY: &str = "severity";
/// Label naming an alert's long lookback.
pub const LABEL_LONG: &str = "long";
/// Label naming an alert's short lookback.
pub const LABEL_SHORT: &str = "short";
/// Label naming a kind of event count (`valid`, `good`, `bad`, `excluded`).
pub const LABEL_KIND: &str = "kind";
/// Label naming a value of the SLO's group field.
pub const LABEL_GROUP: &str = "group";

/// Metrics of `nines report --format prometheus`: name, type, help.
pub mod metrics {
    /// A metric's name, type and help text.
    pub type Metric = (&'static str, &'static str, &'static str);

    /// The objective as a ratio.
    pub const OBJECTIVE: Metric = (
        "nines_slo_objective_ratio",
        "gauge",
        "The SLO's objective as a ratio (99.9 % is 0.999).",
    );
    /// The SLI over the window.
    pub const SLI: Metric = (
        "nines_slo_sli_ratio",
        "gauge",
        "Good over valid events in the SLO window; absent when there were no valid events.",
    );
    /// Events in the window by kind.
    pub const EVENTS: Metric = (
        "nines_slo_window_events",
        "gauge",
        "Events in the SLO window, by kind (weighted).",
    );
    /// Error budget remaining.
    pub const BUDGET_REMAINING: Metric = (
        "nines_slo_error_budget_remaining_ratio",
        "gauge",
        "Share of the error budget left in the window; negative when overspent.",
    );
    /// Burn rate per lookback.
    pub const BURN_RATE: Metric = (
        "nines_slo_burn_rate",
        "gauge",
        "Error ratio over the lookback divided by the error budget; absent without data.",
    );
    /// Alert state per rule.
    pub const ALERT_FIRING: Metric = (
        "nines_slo_alert_firing",
        "gauge",
        "1 while the multi-window burn-rate alert fires, else 0.",
    );
    /// The evaluation time.
    pub const EVALUATED_AT: Metric = (
        "nines_slo_evaluation_timestamp_seconds",
        "gauge",
        "When the SLO was evaluated, in seconds since the Unix epoch.",
    );
}
