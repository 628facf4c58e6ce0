//! Every validation problem, reported at its place with a hint, all in one run.

use super::*;

#[test]
fn every_problem_in_one_run() {
    let text = r#"
apiVersion: nines/v1
criteria:
  server_error: status >=
services:
  - name: shop
    dependencies:
      - service: paymnts
    sources:
      - name: access
        format: combined
    slos:
      - name: availability
        objectve: 99.9
        objective: 100
        window: 30x
        sli: {source: access, bad: statsu >= 500}
      - name: latency
        objective: 99.9
        window: {calendar: month, time_zone: Europe/Berln}
        sli: {source: access, good: latency < 0.3}
      - name: latency
        objective: 90
        window: 7d
        sli: {source: access, bad: status == "500"}
      - name: errors
        objective: 90
        window: 7d
        sli: {source: acess, bad: path > 3}
  - name: payments
    slos:
      - name: ratio
        objective: 90
        window: 30d
        sli: {source: none, bad: "true"}
        alerting:
          alerts:
            - {severity: page, long: 1h, short: 5m, factor: 14.4}
            - {severity: ticket, long: 31d, short: 1d, factor: 1}
"#;
    insta::assert_snapshot!(diagnostics(text));
}

#[test]
fn a_hundred_percent_objective_has_no_budget() {
    let text = "apiVersion: nines/v1\nservices:\n  - name: a\n    sources: [{name: s}]\n    \
                slos:\n      - {name: x, objective: 100, window: 7d, sli: {source: s, bad: 'status >= 500'}}\n";
    let output = diagnostics(text);
    assert!(
        output.contains("an objective of 100 % leaves no error budget"),
        "{output}"
    );
    assert!(output.contains("hint: use 99.99 or similar"), "{output}");
}

#[test]
fn an_slo_stricter_than_its_hard_dependencies() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: checkout
    dependencies: [{service: payments}, {service: auth}, {service: ads, kind: soft}]
    sources: [{name: access}]
    slos:
      - {name: availability, objective: 99.95, window: 30d, sli: {source: access, bad: "status >= 500"}}
  - name: payments
    sources: [{name: access}]
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {source: access, bad: "status >= 500"}}
  - name: auth
    sources: [{name: access}]
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {source: access, bad: "status >= 500"}}
  - name: ads
    sources: [{name: access}]
    slos:
      - {name: availability, objective: 90, window: 30d, sli: {source: access, bad: "status >= 500"}}
"#;
    // 0.999 × 0.999 = 0.998001 → at most 99.8001 %; the soft dependency does not count.
    insta::assert_snapshot!(diagnostics(text));
}

#[test]
fn yaml_syntax_errors_have_a_position() {
    let output = diagnostics("apiVersion: nines/v1\nservices: [\n  - name: x\n");
    assert!(output.starts_with("error: slos.yaml:"), "{output}");
    assert!(output.contains("not valid YAML"), "{output}");
}

#[test]
fn documents_without_an_api_version_are_refused() {
    let output = diagnostics("services: []\n");
    assert!(output.contains("no `apiVersion`"), "{output}");
    assert!(
        output.contains("hint: start it with `apiVersion: nines/v1`"),
        "{output}"
    );
}

/// A one-service spec whose SLO `x` has `slo` as its remaining keys (indented by 8).
fn with_slo(slo: &str) -> String {
    format!(
        "apiVersion: nines/v1\nservices:\n  - name: web\n    sources: [{{name: access}}]\n    \
         slos:\n      - name: x\n        sli: {{source: access, bad: status >= 500}}\n{slo}"
    )
}

#[test]
fn windows_and_lookbacks_are_whole_minutes_within_400_days() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: web
    sources: [{name: access}]
    slos:
      - {name: huge, objective: 99, window: 100000000d, sli: {source: access, bad: "true"}}
      - {name: seconds, objective: 99, window: 90s, sli: {source: access, bad: "true"}}
      - {name: fraction, objective: 99, window: 1.5d, sli: {source: access, bad: "true"}}
      - {name: year, objective: 99, window: 400d, sli: {source: access, bad: "true"}}
      - name: lookbacks
        objective: 99
        window: 30d
        sli: {source: access, bad: "true"}
        alerting:
          alerts:
            - {severity: page, long: 401d, short: 30s, factor: 14.4}
"#;
    insta::assert_snapshot!(diagnostics(text));
}

#[test]
fn alerts_that_cannot_mean_anything_are_refused() {
    let text = with_slo(
        "        objective: 99.9\n        window: 30d\n        alerting:\n          \
         min_events: 10\n          alerts:\n            \
         - {severity: page, long: 1h, short: 5m, factor: 0}\n            \
         - {severity: page, long: 1h, short: 5m, factor: -2}\n            \
         - {severity: page, long: 1h, short: 5m, factor: fast}\n            \
         - {severity: page, long: 1h, short: 5m, budget_share: 0}\n",
    );
    insta::assert_snapshot!(diagnostics(&text));
}

#[test]
fn an_exclusion_is_of_one_kind() {
    let text = with_slo(
        "        objective: 99.9\n        window: 30d\n        exclusions:\n          \
         - {reason: a, start: 2026-10-01T02:00:00Z, end: 2026-10-01T03:00:00Z, rrule: \
         FREQ=DAILY, duration: 1h}\n          \
         - {reason: b, start: 2026-10-01T02:00:00Z, end: 2026-10-01T03:00:00Z, duration: 1h}\n          \
         - {reason: c, events: status == 404, start: 2026-10-01T02:00:00Z}\n          \
         - {reason: d, rrule: FREQ=DAILY, start: 2026-10-01T02:00:00Z, duration: 1h}\n",
    );
    insta::assert_snapshot!(diagnostics(&text));
}

#[test]
fn exclusions_off_the_minute_are_widened_with_a_warning() {
    let text = with_slo(
        "        objective: 99.9\n        window: 30d\n        exclusions:\n          \
         - {reason: deploy, start: 2026-10-01T02:00:30Z, end: 2026-10-01T02:10:05Z}\n          \
         - {reason: nightly, rrule: FREQ=DAILY, start: 2026-10-01T02:00:00Z, duration: 90s}\n          \
         - {reason: exact, start: 2026-10-01T02:00:00Z, end: 2026-10-01T03:00:00Z}\n",
    );
    // 02:00:30–02:10:05 touches the minutes from 02:00 to 02:11; 90 s from 02:00 touches two.
    insta::assert_snapshot!(diagnostics(&text));
}

#[test]
fn likely_slips_are_warned_about() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: web
    sources: [{name: access}]
    slos:
      - {name: ratio, objective: 0.999, window: 30d, sli: {source: access, bad: "true"}}
      - {name: half, objective: 0.5, window: 30d, sli: {source: access, bad: "true"}}
      - name: monthly
        objective: 99
        window: {calendar: month, week_start: sunday}
        sli: {source: access, bad: "true"}
      - name: weekly
        objective: 99
        window: {calendar: week, week_start: sunday}
        sli: {source: access, bad: "true"}
"#;
    insta::assert_snapshot!(diagnostics(text));
}

#[test]
fn names_cannot_be_empty() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: ""
  - name: web
    sources: [{name: " "}, {name: access}]
    slos:
      - {name: "", objective: 99, window: 30d, sli: {source: access, bad: "true"}}
"#;
    insta::assert_snapshot!(diagnostics(text));
}

#[test]
fn criteria_in_a_cycle_are_refused_even_when_unused() {
    let text = r#"
apiVersion: nines/v1
criteria:
  slow: latency > 1 || retried
  retried: status == 429 && slow
  itself: itself || status == 500
  fine: status >= 500
  uses_cycle: slow
"#;
    insta::assert_snapshot!(diagnostics(text));
}

#[test]
fn the_same_criterion_may_be_defined_in_several_files() {
    let dir = tempfile::tempdir().unwrap();
    let shared = "apiVersion: nines/v1\ncriteria:\n  server_error: status >= 500\n";
    std::fs::write(dir.path().join("a.yaml"), shared).unwrap();
    std::fs::write(dir.path().join("b.yaml"), shared).unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "apiVersion: nines/v1\ncriteria:\n  server_error: status >= 502\n",
    )
    .unwrap();
    let loaded = nines_spec::load(&[dir.path().to_owned()]);
    let output = rendered(&loaded).replace(&dir.path().display().to_string(), "specs");
    insta::assert_snapshot!(output);
}

#[test]
fn document_errors_are_reported_once() {
    let output = diagnostics("apiVersion: nines/v2\nservices: []\n---\nservces: []\n");
    insta::assert_snapshot!(output);
}

#[test]
fn a_broken_source_or_criterion_is_reported_once_where_defined() {
    let text = r#"
apiVersion: nines/v1
criteria:
  server_error: status >=
services:
  - name: web
    sources:
      - {name: access, format: combined-milis}
      - {name: other}
    slos:
      - {name: a, objective: 99, window: 30d, sli: {source: access, bad: "status >= 500"}}
      - {name: b, objective: 99, window: 30d, sli: {source: access, bad: "status >= 500"}}
      - {name: c, objective: 99, window: 30d, sli: {source: other, bad: server_error}}
      - {name: d, objective: 99, window: 30d, sli: {source: missing, bad: "true"}}
"#;
    // Only `missing` is unknown: `access` is declared, and its own error says what is wrong.
    insta::assert_snapshot!(diagnostics(text));
}

#[test]
fn values_of_the_wrong_kind_say_what_was_expected() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: web
    tier: first
    sources: [{name: access}]
    slos:
      - {name: a, objective: -1, window: 30d, sli: {source: access, bad: "true"}}
      - {name: b, objective: high, window: 30d, sli: {source: access, bad: "true"}}
      - {name: c, objective: 99, window: 1.5d, sli: {source: access, bad: "true"}}
      - name: d
        objective: 99
        window: 30d
        sli: {source: access, bad: "true"}
        alerting: {preset: google-30d, min_events: many}
"#;
    let output = diagnostics(text);
    for raw in ["invalid digit", "invalid float"] {
        assert!(!output.contains(raw), "{output}");
    }
    insta::assert_snapshot!(output);
}

#[test]
fn nothing_to_check_is_an_error() {
    let output = diagnostics("# only a comment\n");
    assert!(
        output.contains("slos.yaml:1:1: the file is empty: there is nothing to check"),
        "{output}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a spec").unwrap();
    let loaded = nines_spec::load(&[dir.path().to_owned()]);
    let output = rendered(&loaded);
    assert!(
        output.contains("the directory holds no spec files: there is nothing to check"),
        "{output}"
    );
    assert!(loaded.has_errors());
}

#[test]
fn ratio_timeslices_take_no_target_and_no_no_data() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: shop
    sources:
      - {name: access, kind: access-log, format: combined}
    slos:
      - name: availability
        objective: 99
        window: 1d
        budgeting: {method: ratio-timeslices, slice: 1m, target: 95, no_data: bad}
        sli: {source: access, bad: status >= 500}
"#;
    let found = diagnostics(text);
    assert!(
        found.contains("ratio-timeslices budgeting takes no `target`")
            && found.contains("ratio-timeslices budgeting takes no `no_data`"),
        "{found}"
    );
}

#[test]
fn options_of_other_source_kinds_are_refused() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: shop
    sources:
      - {name: access, kind: access-log, format: combined, sample_rate: rate}
      - {name: app, kind: json, timestamp: ts, format: combined}
"#;
    let found = diagnostics(text);
    assert!(
        found.contains("`sample_rate` does not apply to a source of kind `access-log`")
            && found.contains("`format` does not apply to a source of kind `json`"),
        "{found}"
    );
}

#[test]
fn slices_fit_the_window_and_divide_a_day() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: shop
    sources:
      - {name: access, kind: access-log, format: combined}
    slos:
      - name: long
        objective: 99
        window: 1d
        budgeting: {method: timeslices, slice: 2d, target: 95}
        sli: {source: access, bad: status >= 500}
      - name: odd
        objective: 99
        window: 1d
        budgeting: {method: ratio-timeslices, slice: 7m}
        sli: {source: access, bad: status >= 500}
"#;
    let found = diagnostics(text);
    assert!(
        found.contains("a slice of 2d is longer than the window (1d)")
            && found.contains("a slice of 7m does not divide a day"),
        "{found}"
    );
}
