//! Threshold metrics (OpenSLO `thresholdMetric`), measured as the share of steps in which a
//! quantile misses its threshold, run by `promtool test rules`: a step without traffic (a NaN
//! quantile) counts neither as good nor as bad, and the whole window is read from the recorded
//! 5-minute ratio rather than by evaluating the quantile at every step of 28 days.

use nines_prom::Options;

use crate::tools::Tools;

/// p99 latency of `latency_seconds` at most 0.5 s, in 99 % of the 1-minute steps.
const SPEC: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
spec:
  service: search
  indicator:
    metadata:
      name: search-p99
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: histogram_quantile(0.99, sum by (le) (rate(latency_seconds_bucket[5m])))
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - op: lte
      value: 0.5
      target: 0.99
"#;

/// Traffic, 60 requests a minute: fast (under 0.25 s) in minutes 0 to 30, slow (between
/// 0.25 s and 1 s) in minutes 30 to 60, none after that.
const INPUT: &str = r#"
      - series: 'latency_seconds_bucket{le="0.25"}'
        values: '0+60x30 1800+0x90'
      - series: 'latency_seconds_bucket{le="1"}'
        values: '0+60x60 3600+0x60'
      - series: 'latency_seconds_bucket{le="+Inf"}'
        values: '0+60x60 3600+0x60'"#;

#[test]
fn steps_without_traffic_are_neither_good_nor_bad_and_the_window_is_cheap() {
    let loaded = nines_spec::load_str("slos.yaml", SPEC);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let rules = nines_prom::generate(&loaded.catalog, &Options::default()).unwrap();
    let group = &rules.groups[0];

    // The window's ratio is the mean of the recorded 5-minute ratio, not a 28-day subquery.
    let ratio_5m = group.recording("slo:sli_error:ratio_rate5m").unwrap();
    let window = group.recording("slo:sli_error:ratio_rate28d").unwrap();
    assert!(
        window
            .expr
            .starts_with("avg_over_time(slo:sli_error:ratio_rate5m{"),
        "{}",
        window.expr
    );
    assert!(window.expr.ends_with("}[28d])"), "{}", window.expr);
    assert!(
        ratio_5m.expr.contains(">= -Inf) > bool 0.5"),
        "{}",
        ratio_5m.expr
    );

    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yaml"), rules.to_rule_file()).unwrap();
    let labels = |record: &str, window: &str| {
        let slo = &ratio_5m.labels;
        format!(
            "{record}{{sloth_id=\"{}\", sloth_service=\"{}\", sloth_slo=\"{}\", \
             sloth_window=\"{window}\"}}",
            slo["sloth_id"], slo["sloth_service"], slo["sloth_slo"]
        )
    };
    let expect = |record: &str, window: &str, minute: u32, value: Option<u32>| {
        let samples = match value {
            Some(value) => format!(
                "\n          - labels: '{}'\n            value: {value}",
                labels(record, window)
            ),
            None => " []".to_owned(),
        };
        format!(
            "\n      - expr: {record}\n        eval_time: {minute}m\n        exp_samples:{samples}"
        )
    };
    let ratio = "slo:sli_error:ratio_rate5m";
    let tests = [
        // Steps 15 to 20 read fast traffic only: p99 under 0.25 s, no step fails.
        expect(ratio, "5m", 20, Some(0)),
        // Steps 40 to 45 read slow traffic only: p99 near 1 s, every step fails.
        expect(ratio, "5m", 45, Some(1)),
        // Steps 95 to 100 have no traffic at all: the quantile is NaN, and no ratio is
        // recorded, as for any interval without traffic.
        expect(ratio, "5m", 100, None),
        // Every 5-minute ratio recorded so far was 0.
        expect("slo:sli_error:ratio_rate28d", "28d", 25, Some(0)),
    ];
    let suite = format!(
        "rule_files:\n  - rules.yaml\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    \
         input_series:{INPUT}\n    promql_expr_test:{}\n",
        tests.concat()
    );
    let path = dir.path().join("suite.yaml");
    std::fs::write(&path, suite).unwrap();
    let output = tools.promtool(&["test", "rules"], &path);
    assert!(output.contains("SUCCESS"), "{output}");
}
