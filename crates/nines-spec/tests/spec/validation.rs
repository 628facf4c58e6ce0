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
