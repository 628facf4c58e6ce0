//! `promtool test rules` suites: the rules generated from `tests/data/slos.yaml` are fed 12
//! hours of synthetic traffic as promtool input series, and must record the values and fire
//! the alerts that nines' own engine computes from the same traffic, minute by minute.
//!
//! The traffic holds what rule generators get wrong: two hours without any traffic (no NaN,
//! no alert, a no-data alert instead), a minute of little traffic with many errors (the
//! minimum of events), a counter reset in one of two instances (no spike), a burst of errors
//! and a latency incident.
//!
//! Samples are one minute apart and start from zero at time 0, so that Prometheus' `rate()`
//! needs no extrapolation: over `[L]` at a whole minute `t` it is exactly the increase between
//! the samples at `t - L` and `t` divided by `L`, and counts the events of the minutes
//! `[t - L, t)`, which is what the engine counts for a lookback `L` at `t`. The whole window
//! is summed in 5-minute tiles, so it is compared at whole 5 minutes, and between them the
//! budget-exhausted alert sees the window at the last tile.
//!
//! Exactness to the sample relies on ranges that include their start, as in Prometheus 2
//! (Debian's package); Prometheus 3 leaves the start out and extrapolates from the sample after
//! it, which moves the recorded ratios by a minute's worth of events.

use std::cell::OnceCell;
use std::ops::Range;

use nines_core::duration::Duration;
use nines_core::series::{Counts, MINUTE_MS, SloSeries};
use nines_core::slo::AlertRule;
use nines_core::slo::{PromSli, Sli, Slo};
use nines_core::window::Window;
use nines_engine::report::{AlertCondition, AlertState, SloReport};
use nines_engine::{LOOKBACKS, Options as EngineOptions, alert_states, evaluate};
use nines_prom::yaml::Yaml;
use nines_prom::{Group, Labels, Options, RuleSet};

use crate::golden::{data, generate};
use crate::tools::Tools;

/// Minutes of traffic; promtool evaluates the rules at every minute from 0 to this one.
const MINUTES: i64 = 720;
/// No traffic at all: the counters stay flat.
const QUIET: Range<i64> = 120..240;
/// The first minute after the quiet hours: 60 requests, 10 of them failed.
const LOW_TRAFFIC: i64 = 240;
/// Instance b restarts at the start of this minute: its counters begin again from zero.
const RESTART: i64 = 300;
/// Both instances fail many requests.
const BURST: Range<i64> = 400..430;
/// Instance a answers 40 requests a minute slower than 0.3 s.
const SLOW: Range<i64> = 500..560;

/// The two instances of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Instance {
    A,
    B,
}

/// One instance's requests in one minute.
#[derive(Debug, Clone, Copy, Default)]
struct Traffic {
    /// Answered with 200.
    ok: f64,
    /// Answered with 500.
    errors: f64,
    /// Among the `ok` ones, those slower than 0.3 s (errors are answered fast).
    slow: f64,
}

fn traffic(instance: Instance, minute: i64) -> Traffic {
    if QUIET.contains(&minute) {
        return Traffic::default();
    }
    let (ok, errors, slow) = match instance {
        Instance::A if minute == LOW_TRAFFIC => (30.0, 10.0, 0.0),
        Instance::B if minute == LOW_TRAFFIC => (20.0, 0.0, 0.0),
        Instance::A => {
            let errors = match minute {
                m if BURST.contains(&m) => 30.0,
                m if m % 10 == 0 => 1.0,
                _ => 0.0,
            };
            let slow = if SLOW.contains(&minute) { 40.0 } else { 3.0 };
            (61.0, errors, slow)
        }
        Instance::B => {
            let errors = if BURST.contains(&minute) { 20.0 } else { 0.0 };
            (37.0, errors, 2.0)
        }
    };
    Traffic { ok, errors, slow }
}

/// A counter series: its selector, its instance, and its increase in a minute of traffic.
struct Counter {
    series: String,
    instance: Instance,
    increase: fn(Traffic) -> f64,
}

fn counters() -> Vec<Counter> {
    let requests = |instance: Instance, code: &str, increase: fn(Traffic) -> f64| Counter {
        series: format!(
            "http_requests_total{{job=\"shop\", instance=\"{}\", code=\"{code}\"}}",
            name(instance)
        ),
        instance,
        increase,
    };
    let bucket = |instance: Instance, le: &str, increase: fn(Traffic) -> f64| Counter {
        series: format!(
            "http_request_duration_seconds_bucket{{job=\"shop\", instance=\"{}\", le=\"{le}\"}}",
            name(instance)
        ),
        instance,
        increase,
    };
    let fast = |t: Traffic| t.ok - t.slow + t.errors;
    let all = |t: Traffic| t.ok + t.errors;
    vec![
        requests(Instance::A, "200", |t| t.ok),
        requests(Instance::A, "500", |t| t.errors),
        requests(Instance::B, "200", |t| t.ok),
        requests(Instance::B, "500", |t| t.errors),
        // Instance a spells the threshold's bound `0.30`, instance b `0.3`: both count. The
        // 0.1 and 1 buckets must not.
        bucket(Instance::A, "0.1", |t| t.errors),
        bucket(Instance::A, "0.30", fast),
        bucket(Instance::A, "+Inf", all),
        bucket(Instance::B, "0.3", fast),
        bucket(Instance::B, "1", all),
        bucket(Instance::B, "+Inf", all),
    ]
}

fn name(instance: Instance) -> &'static str {
    match instance {
        Instance::A => "a",
        Instance::B => "b",
    }
}

/// The counter's value at each minute `0..=MINUTES`: the events of the minutes before it,
/// since the last restart.
fn values(counter: &Counter) -> Vec<f64> {
    let mut value = 0.0;
    let mut values = vec![value];
    for minute in 0..MINUTES {
        if counter.instance == Instance::B && minute == RESTART {
            value = 0.0;
        }
        value += (counter.increase)(traffic(counter.instance, minute));
        values.push(value);
    }
    values
}

/// The SLO's per-minute series, built from the traffic directly.
fn series(slo: &Slo) -> SloSeries {
    let latency = matches!(slo.sli, Sli::Prometheus(PromSli::Latency { .. }));
    let mut series = SloSeries::default();
    for minute in 0..MINUTES {
        let [a, b] = [Instance::A, Instance::B].map(|instance| traffic(instance, minute));
        let valid = a.ok + a.errors + b.ok + b.errors;
        let good = if latency {
            valid - a.slow - b.slow
        } else {
            a.ok + b.ok
        };
        if valid > 0.0 {
            series
                .total
                .at_mut(minute * MINUTE_MS)
                .add(Counts { valid, good });
            series.see(minute * MINUTE_MS);
        }
    }
    series
}

/// One SLO, its rules, its traffic, and the engine's reports and alert states at each minute
/// `0..=MINUTES`, computed when first asked for.
struct Case<'a> {
    slo: &'a Slo,
    group: &'a Group,
    series: SloSeries,
    reports: Vec<OnceCell<SloReport>>,
    alerts: Vec<OnceCell<Vec<AlertState>>>,
}

impl<'a> Case<'a> {
    fn new(slo: &'a Slo, group: &'a Group) -> Self {
        let minutes = MINUTES as usize + 1;
        Case {
            slo,
            group,
            series: series(slo),
            reports: (0..minutes).map(|_| OnceCell::new()).collect(),
            alerts: (0..minutes).map(|_| OnceCell::new()).collect(),
        }
    }

    fn report(&self, minute: i64) -> &SloReport {
        self.reports[minute as usize].get_or_init(|| {
            evaluate(
                self.slo,
                &self.series,
                minute * MINUTE_MS,
                &EngineOptions::default(),
            )
        })
    }

    fn alerts(&self, minute: i64) -> &[AlertState] {
        self.alerts[minute as usize]
            .get_or_init(|| alert_states(self.slo, &self.series, minute * MINUTE_MS))
    }

    /// True when the SLO saw no valid events in the minutes `[from, to)`.
    fn quiet(&self, from: i64, to: i64) -> bool {
        let from = from.max(0);
        self.series
            .total
            .dense(from, to)
            .iter()
            .all(|c| c.valid == 0.0)
    }

    fn budget(&self) -> f64 {
        self.slo.objective.error_budget()
    }

    /// The engine's error ratio over `lookback` at `minute`: its burn rate times the budget.
    fn ratio(&self, minute: i64, lookback: &str) -> Option<f64> {
        let report = self.report(minute);
        report
            .burn_rates
            .get(lookback)
            .map(|burn| burn * self.budget())
    }

    /// The engine's error ratio over the whole window at `minute`: bad over valid events.
    fn window_ratio(&self, minute: i64) -> Option<f64> {
        let report = self.report(minute);
        (report.valid > 0.0).then(|| report.bad / report.valid)
    }

    /// True when the rules sum the window from 5-minute tiles rather than query it directly.
    fn tiled(&self) -> bool {
        !matches!(self.slo.sli, Sli::Prometheus(PromSli::ErrorRatio { .. }))
    }

    fn window_name(&self) -> String {
        match &self.slo.window {
            Window::Rolling(length) => length.to_string(),
            Window::Calendar(_) => unreachable!("the suites' SLOs have rolling windows"),
        }
    }
}

/// The value PromQL's `round(v, to_nearest)` gives, computed as Prometheus does.
fn promql_round(value: f64, to_nearest: f64) -> f64 {
    let inverse = 1.0 / to_nearest;
    (value * inverse + 0.5).floor() / inverse
}

/// Ratios are compared to 1e-9: the engine adds counts where Prometheus adds per-second
/// rates, so the last bits differ.
const RATIO_PRECISION: f64 = 1e-9;
/// Budgets remaining reach into the hundreds (a 99.999 % objective has a small budget).
const REMAINING_PRECISION: f64 = 1e-6;

/// `{a="x", b="y"}` for promtool's expected samples.
fn selector(labels: &Labels) -> String {
    let pairs: Vec<String> = labels
        .iter()
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// A `promql_expr_test` of `round(<record>{sloth_id=...}, precision)` at `minute`.
fn expr_test(
    case: &Case<'_>,
    record: &str,
    minute: i64,
    value: Option<f64>,
    precision: f64,
) -> Yaml {
    let recording = case
        .group
        .recording(record)
        .unwrap_or_else(|| panic!("{}: no rule records {record}", case.group.name));
    let id = &recording.labels["sloth_id"];
    let mut labels = recording.labels.clone();
    if record == "slo:period_error_budget_remaining:ratio" {
        // As in Sloth, the window's burn rate keeps the window label of the error ratio it
        // divides, and the budget remaining computed from it too.
        labels.insert("sloth_window".into(), case.window_name());
    }
    let samples = value.map(|value| {
        Yaml::map()
            .with("labels", Yaml::str(selector(&labels)))
            .with("value", Yaml::number(promql_round(value, precision)))
    });
    Yaml::map()
        .with(
            "expr",
            Yaml::str(format!(
                "round({record}{{sloth_id=\"{id}\"}}, {precision:e})"
            )),
        )
        .with("eval_time", Yaml::str(format!("{minute}m")))
        .with("exp_samples", Yaml::Seq(samples.into_iter().collect()))
}

/// The recorded values to check at `minute`: every lookback the engine reports too, and at
/// whole 5 minutes the window's error ratio and budget remaining.
fn expr_tests(case: &Case<'_>, minute: i64) -> Vec<Yaml> {
    let mut tests = Vec::new();
    for (lookback, _) in LOOKBACKS {
        let record = format!("slo:sli_error:ratio_rate{lookback}");
        if case.group.recording(&record).is_some() {
            let value = case.ratio(minute, lookback);
            tests.push(expr_test(case, &record, minute, value, RATIO_PRECISION));
        }
    }
    if minute % 5 == 0 || !case.tiled() {
        let record = format!("slo:sli_error:ratio_rate{}", case.window_name());
        let value = case.window_ratio(minute);
        tests.push(expr_test(case, &record, minute, value, RATIO_PRECISION));
        let remaining = value.map(|_| case.report(minute).error_budget.remaining);
        let record = "slo:period_error_budget_remaining:ratio";
        tests.push(expr_test(
            case,
            record,
            minute,
            remaining,
            REMAINING_PRECISION,
        ));
    }
    tests
}

/// An alert as promtool expects it: its name, labels (without `alertname`) and annotations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    alert: &'static str,
    labels: Labels,
    annotations: Labels,
}

impl Expected {
    fn yaml(&self) -> Yaml {
        let map = |labels: &Labels| {
            Yaml::Map(
                labels
                    .iter()
                    .map(|(name, value)| (name.clone(), Yaml::str(value)))
                    .collect(),
            )
        };
        Yaml::map()
            .with("exp_labels", map(&self.labels))
            .with("exp_annotations", map(&self.annotations))
    }
}

/// The generated alerting rule `alert` of `severity`.
fn alert_rule(case: &Case<'_>, alert: &'static str, severity: &str) -> Expected {
    let rule = case
        .group
        .alerts(alert)
        .find(|rule| rule.labels["severity"] == severity)
        .unwrap_or_else(|| panic!("{}: no {alert} rule for {severity}", case.group.name));
    Expected {
        alert,
        labels: rule.labels.clone(),
        annotations: rule.annotations.clone(),
    }
}

/// What the engine says each alert's condition is at `minute`, before any `for`.
fn conditions(case: &Case<'_>, minute: i64) -> Vec<Expected> {
    let mut conditions = Vec::new();
    for (state, rule) in case.alerts(minute).iter().zip(&case.slo.alerts) {
        assert_no_tie(case, minute, state, rule);
        if state.state == AlertCondition::Firing {
            let mut expected = alert_rule(case, "SLOErrorBudgetBurn", &state.severity);
            expected
                .labels
                .insert("long_window".into(), state.long.clone());
            expected
                .labels
                .insert("short_window".into(), state.short.clone());
            conditions.push(expected);
        }
    }
    if no_data(case, minute) {
        conditions.push(alert_rule(case, "SLONoData", "ticket"));
    }
    // The tiled window moves in 5-minute steps.
    let seen = if case.tiled() {
        minute - minute % 5
    } else {
        minute
    };
    let remaining = case.report(seen);
    if remaining.valid > 0.0 && remaining.error_budget.remaining <= 0.0 {
        // As in Sloth, the window's burn rate keeps the window label of the error ratio it
        // divides, and the alert on it too.
        let mut expected = alert_rule(case, "SLOErrorBudgetExhausted", "ticket");
        expected
            .labels
            .insert("sloth_window".into(), case.window_name());
        conditions.push(expected);
    }
    conditions
}

/// The no-data alert of a counting SLI fires when the last 30 minutes had no valid events;
/// that of an error-ratio SLI when no 5-minute ratio was recorded at any evaluation of the
/// last 30 minutes, the one 30 minutes ago included, that is when the 35 minutes before had no
/// valid events (the first evaluation, at minute 0, records none).
fn no_data(case: &Case<'_>, minute: i64) -> bool {
    if case.tiled() {
        case.quiet(minute - 30, minute)
    } else {
        case.quiet(minute - 35, minute)
    }
}

/// The traffic keeps clear of the points where float rounding could decide an alert: no burn
/// rate within 1e-9 of its factor, no count of valid events within 1e-6 of the minimum.
fn assert_no_tie(case: &Case<'_>, minute: i64, state: &AlertState, rule: &AlertRule) {
    for burn in [state.long_burn_rate, state.short_burn_rate]
        .into_iter()
        .flatten()
    {
        assert!(
            (burn - rule.factor).abs() > 1e-9 * rule.factor,
            "{} at {minute}m: burn rate {burn} ties factor {}",
            case.group.name,
            rule.factor
        );
    }
    assert!(
        (state.long_valid - rule.min_events).abs() > 1e-6 || rule.min_events == 0.0,
        "{} at {minute}m: {} valid events tie the minimum",
        case.group.name,
        state.long_valid
    );
}

/// Which alerts fire at each minute: those whose condition held at every evaluation of the
/// rule's `for` period, up to and including this one.
fn firing(cases: &[Case<'_>], hold: Duration) -> Vec<Vec<Expected>> {
    let conditions: Vec<Vec<Expected>> = (0..=MINUTES)
        .map(|minute| {
            let mut all: Vec<Expected> = cases
                .iter()
                .flat_map(|case| conditions(case, minute))
                .collect();
            all.sort();
            all
        })
        .collect();
    (0..=MINUTES)
        .map(|minute| {
            conditions[minute as usize]
                .iter()
                .filter(|alert| {
                    // The no-data alert fires at once; the others wait for `for`.
                    let holds = alert.alert != "SLONoData";
                    let hold_minutes = if holds { hold.minutes() } else { 0 };
                    minute >= hold_minutes
                        && (minute - hold_minutes..=minute)
                            .all(|m| conditions[m as usize].contains(alert))
                })
                .cloned()
                .collect()
        })
        .collect()
}

/// The alert tests at `minute`: every alert name, with the alerts that fire.
fn alert_tests(minute: i64, firing: &[Expected]) -> Vec<Yaml> {
    ["SLOErrorBudgetBurn", "SLONoData", "SLOErrorBudgetExhausted"]
        .into_iter()
        .map(|alert| {
            let expected: Vec<Yaml> = firing
                .iter()
                .filter(|expected| expected.alert == alert)
                .map(Expected::yaml)
                .collect();
            Yaml::map()
                .with("eval_time", Yaml::str(format!("{minute}m")))
                .with("alertname", Yaml::str(alert))
                .with("exp_alerts", Yaml::Seq(expected))
        })
        .collect()
}

/// The minutes to test: every quarter hour, and each minute where the firing alerts change,
/// with the minutes either side.
fn test_minutes(firing: &[Vec<Expected>]) -> Vec<i64> {
    (1..=MINUTES)
        .filter(|&minute| {
            let at = |m: i64| firing.get(m as usize);
            minute % 15 == 0 || at(minute) != at(minute - 1) || at(minute) != at(minute + 1)
        })
        .collect()
}

/// The promtool test file: input series, recorded values and alerts.
fn suite(cases: &[Case<'_>], rule_file: &str, firing: &[Vec<Expected>]) -> (String, usize) {
    let input: Vec<Yaml> = counters()
        .iter()
        .map(|counter| {
            let values: Vec<String> = values(counter).iter().map(|v| format!("{v}")).collect();
            Yaml::map()
                .with("series", Yaml::str(&counter.series))
                .with("values", Yaml::str(values.join(" ")))
        })
        .collect();
    let minutes = test_minutes(firing);
    let exprs: Vec<Yaml> = minutes
        .iter()
        .flat_map(|&minute| cases.iter().flat_map(move |case| expr_tests(case, minute)))
        .collect();
    let alerts: Vec<Yaml> = minutes
        .iter()
        .flat_map(|&minute| alert_tests(minute, &firing[minute as usize]))
        .collect();
    let checks = exprs.len() + alerts.len();
    let test = Yaml::map()
        .with("interval", Yaml::str("1m"))
        .with("input_series", Yaml::Seq(input))
        .with("promql_expr_test", Yaml::Seq(exprs))
        .with("alert_rule_test", Yaml::Seq(alerts));
    let document = Yaml::map()
        .with("rule_files", Yaml::Seq(vec![Yaml::str(rule_file)]))
        .with("evaluation_interval", Yaml::str("1m"))
        .with("tests", Yaml::Seq(vec![test]));
    (document.render(), checks)
}

fn suite_options() -> Options {
    Options {
        for_duration: Some(Duration::from_minutes(5)),
        no_data_alert: Some(Duration::from_minutes(30)),
        budget_exhausted_alert: true,
    }
}

/// The SLOs of `tests/data/slos.yaml`, their rules, and the engine's report of each at every
/// minute of the traffic.
fn with_cases<T>(f: impl FnOnce(&RuleSet, &[Case<'_>]) -> T) -> T {
    let loaded = nines_spec::load(&[data("slos.yaml")]);
    let rules = generate(&[data("slos.yaml")], &suite_options());
    let slos: Vec<&Slo> = loaded.catalog.slos().collect();
    let cases: Vec<Case<'_>> = slos
        .iter()
        .copied()
        .zip(&rules.groups)
        .map(|(slo, group)| Case::new(slo, group))
        .collect();
    f(&rules, &cases)
}

/// `actual` is defined and within 1e-12 of `expected`.
#[track_caller]
fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a defined ratio");
    assert!((actual - expected).abs() < 1e-12, "{actual} ≠ {expected}");
}

fn case<'a, 'b>(cases: &'a [Case<'b>], name: &str) -> &'a Case<'b> {
    cases.iter().find(|case| case.slo.name == name).unwrap()
}

/// The engine's expectations are the numbers worked out by hand where the traffic is
/// interesting.
#[test]
fn the_expected_values_are_right_by_hand() {
    with_cases(|_, cases| {
        let availability = case(cases, "availability");
        // Minutes 56..60 hold 5 × (61 + 37) = 490 requests and the one error of minute 60.
        assert_close(availability.ratio(61, "5m"), 1.0 / 491.0);
        // The quiet hours have no traffic: no ratio, and after 30 minutes, no data.
        assert_eq!(availability.ratio(200, "5m"), None);
        assert!(no_data(availability, 150) && !no_data(availability, 149));
        assert!(no_data(availability, 240) && !no_data(availability, 241));
        // Instance b restarts at minute 300; minutes 300..304 still count 5 × 98 requests
        // and the error of minute 300: 1 / 491, not a spike from the counter's drop.
        assert_close(availability.ratio(305, "5m"), 1.0 / 491.0);
        // The burst: 30 + 20 errors of 61 + 37 + 50 = 148 requests a minute.
        assert_close(availability.ratio(430, "5m"), 250.0 / 740.0);
        // After the quiet hours the 1h lookback holds only minute 240's 60 requests, fewer
        // than the minimum of 100: no page, although 10 / 60 burns at 166.7.
        let at_241 = &availability.alerts(241)[0];
        assert_eq!(at_241.state, AlertCondition::InsufficientTraffic);
        // A minute later it holds 60 + 98 = 158 requests, 10 failed: 10 / 158 / 0.001 = 63.3
        // over both the 1h and the 5m lookback, above 14.4.
        let at_242 = &availability.alerts(242)[0];
        assert_eq!(at_242.state, AlertCondition::Firing);
        assert!((at_242.long_burn_rate.unwrap() - 10.0 / 158.0 / 0.001).abs() < 1e-9);

        let latency = case(cases, "latency");
        // Slow: 3 + 2 of 98 requests a minute; in the incident 40 + 2 of 98.
        assert_close(latency.ratio(60, "5m"), 25.0 / 490.0);
        assert_close(latency.ratio(530, "5m"), 210.0 / 490.0);

        // The window at 12 h holds all 720 minutes: less the 120 quiet ones and minute 240,
        // 599 minutes of 61 + 37 = 98 good requests (30 of them in the burst, with 30 + 20
        // errors more), and minute 240's 60 requests, 10 failed. Instance a fails one request
        // in every tenth minute elsewhere: 72 tenth minutes less 12 quiet, minute 240 and
        // 400, 410, 420 in the burst: 56.
        let tenth_minutes = (0..MINUTES)
            .filter(|m| m % 10 == 0 && !QUIET.contains(m) && !BURST.contains(m) && *m != 240)
            .count();
        assert_eq!(tenth_minutes, 56);
        let valid = 599.0 * 98.0 + 30.0 * 50.0 + 60.0 + 56.0;
        let bad = 30.0 * 50.0 + 10.0 + 56.0;
        assert_close(availability.window_ratio(MINUTES), bad / valid);
    });
}

/// promtool runs the suite: the rules record the engine's numbers and fire its alerts.
#[test]
fn promtool_agrees_with_the_engine_minute_by_minute() {
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    with_cases(|rules, cases| {
        let rule_file = dir.path().join("slos.rules.yaml");
        std::fs::write(&rule_file, rules.to_rule_file()).unwrap();
        // Every alert fires at some minutes and is quiet at others.
        let firing = firing(cases, Duration::from_minutes(5));
        for alert in ["SLOErrorBudgetBurn", "SLONoData", "SLOErrorBudgetExhausted"] {
            let minutes = firing
                .iter()
                .filter(|alerts| alerts.iter().any(|a| a.alert == alert))
                .count();
            assert!(
                0 < minutes && minutes < firing.len(),
                "{alert} fires in {minutes}"
            );
        }
        let (text, checks) = suite(cases, "slos.rules.yaml", &firing);
        let suite_file = dir.path().join("slos.test.yaml");
        std::fs::write(&suite_file, text).unwrap();
        // Five SLOs, dozens of minutes: the suite checks thousands of values.
        assert!(checks > 1_000, "only {checks} checks");
        let output = tools.promtool(&["test", "rules"], &suite_file);
        assert!(output.contains("SUCCESS"), "{output}");
    });
}
