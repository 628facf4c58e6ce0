//! Every name nines generates for other tools, in one place: metric names and labels of the
//! Prometheus exposition it writes, and the series, labels, alerts and groups of the Prometheus
//! rules it generates ([`prometheus_rules`]).
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

/// Names in the rule files of `nines generate prometheus`.
///
/// Series and label names are Sloth's, so that dashboards built for Sloth keep working; the
/// `slo:sli_bad:*` and `slo:sli_valid:*` rates are nines' own, recorded so that the whole-window
/// SLI can be a ratio of sums.
pub mod prometheus_rules {
    use crate::duration::Duration;

    /// The lookback every SLO records, whatever its alerts need: Sloth's dashboards read it,
    /// and the whole-window SLI sums it in back-to-back tiles of this length.
    pub const BASE_LOOKBACK: Duration = Duration::from_minutes(5);

    /// The error ratio over `window` (`5m`, `1h`, `30d`): bad over valid events.
    pub fn error_ratio(window: &str) -> String {
        format!("slo:sli_error:ratio_rate{window}")
    }

    /// Bad events per second over `window`.
    pub fn bad_rate(window: &str) -> String {
        format!("slo:sli_bad:rate{window}")
    }

    /// Valid events per second over `window`.
    pub fn valid_rate(window: &str) -> String {
        format!("slo:sli_valid:rate{window}")
    }

    /// The objective as a ratio (99.9 % is 0.999).
    pub const OBJECTIVE: &str = "slo:objective:ratio";
    /// The error budget as a ratio (0.001 for 99.9 %).
    pub const ERROR_BUDGET: &str = "slo:error_budget:ratio";
    /// The window's length in days.
    pub const TIME_PERIOD_DAYS: &str = "slo:time_period:days";
    /// The burn rate over the base lookback.
    pub const CURRENT_BURN_RATE: &str = "slo:current_burn_rate:ratio";
    /// The burn rate over the whole window.
    pub const PERIOD_BURN_RATE: &str = "slo:period_burn_rate:ratio";
    /// The share of the window's error budget left (negative when overspent).
    pub const PERIOD_ERROR_BUDGET_REMAINING: &str = "slo:period_error_budget_remaining:ratio";
    /// A constant 1 whose labels describe the SLO.
    pub const INFO: &str = "sloth_slo:info";

    /// Label with the SLO's id, `<service>-<slo>`.
    pub const LABEL_ID: &str = "sloth_id";
    /// Label with the service's name.
    pub const LABEL_SERVICE: &str = "sloth_service";
    /// Label with the SLO's name.
    pub const LABEL_SLO: &str = "sloth_slo";
    /// Label with the lookback or window a series covers.
    pub const LABEL_WINDOW: &str = "sloth_window";
    /// Label with the objective in percent, as written (on the info series).
    pub const LABEL_OBJECTIVE: &str = "sloth_objective";
    /// Label saying what generated the rules (on the info series).
    pub const LABEL_MODE: &str = "sloth_mode";
    /// Label with the spec format the SLO came from (on the info series).
    pub const LABEL_SPEC: &str = "sloth_spec";
    /// The value of [`LABEL_MODE`].
    pub const MODE: &str = "nines-generate-prometheus";
    /// Label with an alert's severity, for routing.
    pub const LABEL_SEVERITY: &str = "severity";
    /// The same severity under Sloth's name, for Sloth's dashboards.
    pub const LABEL_SLOTH_SEVERITY: &str = "sloth_severity";
    /// Label with the long lookback of the window pair that fires.
    pub const LABEL_LONG_WINDOW: &str = "long_window";
    /// Label with the short lookback of the window pair that fires.
    pub const LABEL_SHORT_WINDOW: &str = "short_window";

    /// The multi-window burn-rate alert; one rule per severity.
    pub const ALERT_BURN: &str = "SLOErrorBudgetBurn";
    /// The alert for an SLO that saw no valid events for a while.
    pub const ALERT_NO_DATA: &str = "SLONoData";
    /// The alert for an SLO that has spent its whole error budget.
    pub const ALERT_BUDGET_EXHAUSTED: &str = "SLOErrorBudgetExhausted";
    /// The severity of the no-data and budget-exhausted alerts.
    pub const SEVERITY_TICKET: &str = "ticket";
    /// Annotation with a one-line summary.
    pub const ANNOTATION_SUMMARY: &str = "summary";
    /// Annotation with a longer description.
    pub const ANNOTATION_DESCRIPTION: &str = "description";

    /// Prefix of every rule group's name.
    pub const GROUP_PREFIX: &str = "nines-";
    /// The longest group name: a DNS label, which every ruler and Kubernetes accepts.
    pub const GROUP_NAME_MAX: usize = 63;

    /// The prometheus-operator resource's API version.
    pub const OPERATOR_API_VERSION: &str = "monitoring.coreos.com/v1";
    /// The prometheus-operator resource's kind.
    pub const OPERATOR_KIND: &str = "PrometheusRule";
    /// The Kubernetes label saying which tool manages the resource.
    pub const OPERATOR_MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "nines");

    /// The SLO's id, as Sloth forms it: `<service>-<slo>`.
    pub fn id(service: &str, slo: &str) -> String {
        format!("{service}-{slo}")
    }

    /// Labels the rules set themselves besides the `sloth_*` ones, which a spec's labels must
    /// not overwrite.
    pub const RESERVED_LABELS: [&str; 4] = [
        LABEL_SEVERITY,
        LABEL_LONG_WINDOW,
        LABEL_SHORT_WINDOW,
        "alertname",
    ];

    /// True for a name Prometheus accepts as a label of a rule: `[a-zA-Z_][a-zA-Z0-9_]*`,
    /// without the `__` that Prometheus keeps for itself.
    pub fn is_label_name(name: &str) -> bool {
        let valid = name
            .bytes()
            .enumerate()
            .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()));
        !name.is_empty() && valid && !name.starts_with("__")
    }

    /// True for a label the generated rules set themselves: `sloth_*` and
    /// [`RESERVED_LABELS`].
    pub fn is_reserved_label(name: &str) -> bool {
        name.starts_with("sloth_") || RESERVED_LABELS.contains(&name)
    }
}
