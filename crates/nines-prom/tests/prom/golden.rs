//! Golden files: specs in, the exact rule files out, and every generated file accepted by
//! `promtool check rules`.
//!
//! After an intended change to the rules, write the new golden files with
//! `NINES_BLESS=1 cargo test -p nines-prom --test prom golden`, and read the diff.

use std::path::{Path, PathBuf};

use nines_core::duration::Duration;
use nines_prom::{Options, RuleSet};

use crate::tools::Tools;

/// The crate's test data.
pub(crate) fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The workspace's examples.
fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// The rules generated from the specs at `paths`, which must load without errors.
pub(crate) fn generate(paths: &[PathBuf], options: &Options) -> RuleSet {
    let loaded = nines_spec::load(paths);
    assert!(
        !loaded.has_errors(),
        "the specs {paths:?} have errors: {:?}",
        loaded.diagnostics
    );
    nines_prom::generate(&loaded.catalog, options).expect("rules are generated")
}

/// Every optional alert, held for 5 minutes.
fn all_alerts() -> Options {
    Options {
        for_duration: Some(Duration::from_minutes(5)),
        no_data_alert: Some(Duration::from_minutes(30)),
        budget_exhausted_alert: true,
    }
}

/// Compares `actual` with the golden file `name`, or writes it when blessing.
fn assert_golden(name: &str, actual: &str) {
    let path = data("golden").join(name);
    if std::env::var("NINES_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
        panic!(
            "{} differs from the generated rules at line {}:\n  generated: {:?}\n  golden:    \
             {:?}\nrun with NINES_BLESS=1 to accept the new output",
            path.display(),
            line + 1,
            actual.lines().nth(line),
            expected.lines().nth(line)
        );
    }
}

/// Writes `text` to `dir/name` and has promtool check it as a rule file.
fn check_rules(tools: &Tools, dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let output = tools.promtool(&["check", "rules"], &path);
    assert!(output.contains("SUCCESS"), "{output}");
}

#[test]
fn the_example_gives_the_golden_rule_file_and_prometheus_rule() {
    let rules = generate(&[example("prometheus/slos.yaml")], &Options::default());
    assert_golden("example.rules.yaml", &rules.to_rule_file());
    let rules = generate(&[example("prometheus/slos.yaml")], &all_alerts());
    assert_golden("example.operator.yaml", &rules.to_prometheus_rule());
}

#[test]
fn every_sli_kind_objective_and_window_gives_the_golden_rule_file() {
    let rules = generate(&[data("slos.yaml")], &all_alerts());
    assert_golden("slos.rules.yaml", &rules.to_rule_file());
    assert!(rules.notes.is_empty(), "{:?}", rules.notes);
}

#[test]
fn what_the_rules_leave_out_is_noted() {
    let rules = generate(&[data("calendar.yaml")], &all_alerts());
    assert_golden("calendar.rules.yaml", &rules.to_rule_file());
    let notes: Vec<String> = rules.notes.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        [
            "billing/monthly: a calendar window has no fixed length in PromQL: burn-rate alerts \
             are written, the whole-window SLI and budget are not",
            // 5m × 7d / 30d = 70 s, rounded to whole minutes: 1m.
            "billing/weekly-short-lookbacks: a 1m lookback holds too few samples for rate() at \
             common scrape intervals; `rescale: factors` keeps the standard lookbacks",
            "skipped billing/slices: timeslices budgeting counts slices, which Prometheus rates \
             cannot; `nines report` can",
            "skipped billing/from-logs: measured from logs (source `access`); Prometheus rules \
             need a `prometheus` SLI",
        ]
    );
}

/// The `PrometheusRule` holds the rule file's groups, indented under `spec`.
#[test]
fn the_prometheus_rule_holds_the_same_groups() {
    let rules = generate(&[data("slos.yaml")], &all_alerts());
    let file = rules.to_rule_file();
    let resource = rules.to_prometheus_rule();
    let groups = file.split_once("groups:\n").unwrap().1;
    let indented: String = groups
        .lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_owned()
            } else {
                format!("  {line}\n")
            }
        })
        .collect();
    let expected_head = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  \
                         name: nines-shop\n  labels:\n    app.kubernetes.io/managed-by: nines\n\
                         spec:\n  groups:\n";
    let body = resource.split_once('\n').unwrap().1;
    assert_eq!(body, format!("{expected_head}{indented}"));
}

/// promtool accepts every file nines generates: the golden specs with and without the optional
/// alerts, the example, and the Sloth and OpenSLO examples as imported.
#[test]
fn promtool_accepts_every_generated_rule_file() {
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("example", vec![example("prometheus/slos.yaml")]),
        ("slos", vec![data("slos.yaml")]),
        ("calendar", vec![data("calendar.yaml")]),
        ("sloth", vec![example("sloth")]),
        ("openslo", vec![example("openslo")]),
    ];
    for (name, paths) in &cases {
        for (suffix, options) in [("plain", Options::default()), ("all", all_alerts())] {
            let rules = generate(paths, &options);
            assert!(!rules.groups.is_empty(), "{name}: no rules");
            check_rules(
                &tools,
                dir.path(),
                &format!("{name}-{suffix}.rules.yaml"),
                &rules.to_rule_file(),
            );
        }
    }
}

/// The rules of one SLO with `labels` and `sli` (a YAML mapping on one line).
fn generate_one(labels: &str, sli: &str) -> Result<RuleSet, nines_prom::GenerateError> {
    let spec = format!(
        "apiVersion: nines/v1\nservices:\n  - name: api\n    slos:\n      - name: x\n        \
         objective: 99\n        window: 30d\n        labels: {labels}\n        sli:\n          \
         prometheus: {sli}\n"
    );
    let loaded = nines_spec::load_str("x.yaml", &spec);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    nines_prom::generate(&loaded.catalog, &Options::default())
}

#[test]
fn labels_and_queries_prometheus_cannot_take_are_errors() {
    let rate = "{errors: 'sum(rate(e[{{.window}}]))', total: 'sum(rate(t[{{.window}}]))'}";
    assert!(generate_one("{team: a}", rate).is_ok());
    let error = generate_one("{1team: a}", rate).unwrap_err();
    assert_eq!(
        error.to_string(),
        "api/x: `1team` is not a Prometheus label name"
    );
    let error = generate_one("{sloth_id: a}", rate).unwrap_err();
    assert_eq!(
        error.to_string(),
        "api/x: the label `sloth_id` is set by the generated rules"
    );
    let error = generate_one("{severity: a}", rate).unwrap_err();
    assert!(error.hint().starts_with("rename the label"), "{error}");
    // A rate and an increase added up have no single unit: the rate of events per second
    // cannot be recorded.
    let mixed = "{errors: 'sum(rate(e[{{.window}}])) + sum(increase(f[{{.window}}]))', \
                 total: 'sum(rate(t[{{.window}}]))'}";
    let error = generate_one("{}", mixed).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("api/x: the query mixes rate() and increase()"),
        "{error}"
    );
}
