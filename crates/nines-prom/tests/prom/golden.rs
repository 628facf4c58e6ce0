//! Golden files: specs in, the exact rule files out, and every generated file accepted by
//! `promtool check rules`.
//!
//! After an intended change to the rules, write the new golden files with
//! `NINES_BLESS=1 cargo test -p nines-prom --test prom golden`, and read the diff.

use std::path::{Path, PathBuf};

use nines_core::duration::Duration;
use nines_prom::{Options, Resource, RuleSet};

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
    assert_golden(
        "example.operator.yaml",
        &rules.to_prometheus_rule(&Resource::default()),
    );
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
             cannot; `nines report --prometheus` can",
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
    let resource = rules.to_prometheus_rule(&Resource::default());
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

/// The namespace and labels given for the resource are in its metadata; a label may replace
/// the one saying who manages it.
#[test]
fn the_prometheus_rule_has_the_namespace_and_labels_given() {
    let rules = generate(&[data("slos.yaml")], &Options::default());
    let resource = Resource {
        namespace: Some("monitoring".into()),
        labels: [("prometheus", "k8s"), ("role", "alert-rules")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
    };
    let text = rules.to_prometheus_rule(&resource);
    let head = "metadata:\n  name: nines-shop\n  namespace: monitoring\n  labels:\n    \
                app.kubernetes.io/managed-by: nines\n    prometheus: k8s\n    role: alert-rules\n\
                spec:\n";
    assert!(text.contains(head), "{text}");
    let resource = Resource {
        namespace: None,
        labels: [("app.kubernetes.io/managed-by", "argocd")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
    };
    let text = rules.to_prometheus_rule(&resource);
    let head = "metadata:\n  name: nines-shop\n  labels:\n    \
                app.kubernetes.io/managed-by: argocd\nspec:\n";
    assert!(text.contains(head), "{text}");
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

/// One SLO with `labels` and `sli` (a YAML mapping on one line), in a service labelled
/// `service_labels`, loaded from `x.yaml`: the SLO's labels stand on line 8, the service's on
/// line 11.
fn load_one(service_labels: &str, labels: &str, sli: &str) -> nines_spec::Loaded {
    let spec = format!(
        "apiVersion: nines/v1\nservices:\n  - name: api\n    slos:\n      - name: x\n        \
         objective: 99\n        window: 30d\n        labels: {labels}\n        sli:\n          \
         prometheus: {sli}\n    labels: {service_labels}\n"
    );
    nines_spec::load_str("x.yaml", &spec)
}

/// The rules of one SLO with `labels` and `sli`, which must load without errors.
fn generate_one(labels: &str, sli: &str) -> Result<RuleSet, nines_prom::GenerateError> {
    let loaded = load_one("{}", labels, sli);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    nines_prom::generate(&loaded.catalog, &Options::default())
}

const RATE: &str = "{errors: 'sum(rate(e[{{.window}}]))', total: 'sum(rate(t[{{.window}}]))'}";

#[test]
fn labels_prometheus_cannot_take_are_validation_errors_at_their_keys() {
    // Every offending label of the SLO and of its service, in one run.
    let loaded = load_one(
        "{app.kubernetes.io/name: api, __meta: x, long_window: y}",
        "{team: a, 1team: b, sloth_id: c, severity: d}",
        RATE,
    );
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}: {}", d.position.line, d.position.column, d.message))
        .collect();
    assert_eq!(
        errors,
        [
            "8:27: the SLO label `1team` is not a Prometheus label name, and the rules of \
             `nines generate prometheus` carry it",
            "8:37: the SLO label `sloth_id` is set by the generated rules themselves",
            "8:50: the SLO label `severity` is set by the generated rules themselves",
            "11:14: the service label `app.kubernetes.io/name` is not a Prometheus label name, \
             and the rules of `nines generate prometheus` carry it",
            "11:43: the service label `__meta` is not a Prometheus label name, and the rules of \
             `nines generate prometheus` carry it",
            "11:54: the service label `long_window` is set by the generated rules themselves",
        ]
    );
    assert_eq!(
        loaded.diagnostics[3].hint.as_deref(),
        Some(
            "label names are letters, digits and underscores, not starting with a digit or \
             `__`, such as `app_kubernetes_io_name`"
        )
    );

    // The labels of an SLO measured from logs never reach rules, and are not checked.
    let spec = "apiVersion: nines/v1\nservices:\n  - name: web\n    labels: {a.b: c}\n    \
                sources: [{name: access, kind: access-log, format: combined}]\n    slos:\n      - name: x\n        \
                objective: 99\n        window: 30d\n        labels: {a.b: c}\n        sli: \
                {source: access, bad: 'status >= 500'}\n";
    let loaded = nines_spec::load_str("x.yaml", spec);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
}

#[test]
fn service_labels_then_slo_labels_are_on_every_rule() {
    let loaded = load_one("{team: a, tier: '2'}", "{tier: '1', owner: b}", RATE);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let rules = nines_prom::generate(&loaded.catalog, &Options::default()).unwrap();
    let expected = [("owner", "b"), ("team", "a"), ("tier", "1")];
    for rule in &rules.groups[0].rules {
        let labels = match rule {
            nines_prom::Rule::Record(recording) => &recording.labels,
            nines_prom::Rule::Alert(alerting) => &alerting.labels,
        };
        for (name, value) in expected {
            assert_eq!(
                labels.get(name).map(String::as_str),
                Some(value),
                "{rule:?}"
            );
        }
    }
}

#[test]
fn labels_and_queries_prometheus_cannot_take_are_errors() {
    assert!(generate_one("{team: a}", RATE).is_ok());

    // Labels from a catalog that was not validated are refused too.
    let mut loaded = load_one("{}", "{}", RATE);
    let slo = &mut loaded.catalog.services[0].slos[0];
    slo.labels.insert("1team".into(), "a".into());
    let error = nines_prom::generate(&loaded.catalog, &Options::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "api/x: `1team` is not a Prometheus label name"
    );
    let slo = &mut loaded.catalog.services[0].slos[0];
    slo.labels.clear();
    slo.labels.insert("sloth_id".into(), "a".into());
    let error = nines_prom::generate(&loaded.catalog, &Options::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "api/x: the label `sloth_id` is set by the generated rules"
    );
    assert!(error.hint().starts_with("rename the label"), "{error}");

    // A rate and an increase added up have no single unit: the rate of events per second
    // cannot be recorded. Validation says so at the query; a catalog that was not validated
    // is refused too.
    let mixed = "sum(rate(e[{{.window}}])) + sum(increase(f[{{.window}}]))";
    let loaded = load_one(
        "{}",
        "{}",
        &format!("{{errors: '{mixed}', total: 'sum(rate(t[{{{{.window}}}}]))'}}"),
    );
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}: {}", d.position.line, d.position.column, d.message))
        .collect();
    assert_eq!(
        errors,
        [
            "10:32: this query mixes rate(), which counts events per second, with increase(), \
          which counts them over the whole range, so its count has no single unit"
        ]
    );
    let mut loaded = load_one("{}", "{}", RATE);
    let slo = &mut loaded.catalog.services[0].slos[0];
    slo.sli = nines_core::slo::Sli::Prometheus(nines_core::slo::PromSli::ErrorsTotal {
        errors: mixed.into(),
        total: "sum(rate(t[{{.window}}]))".into(),
    });
    let error = nines_prom::generate(&loaded.catalog, &Options::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("api/x: the query mixes rate() and increase()"),
        "{error}"
    );
}

#[test]
fn samples_counted_over_time_count_once_per_lookback() {
    // Gauges of jobs done per scrape: each lookback's range is a millisecond short, so that
    // the sample on its start, which the lookback before counts, is not counted again.
    let sli = "{good: 'sum(sum_over_time(jobs{outcome=\"ok\"}[{{.window}}]))', \
               total: 'sum(count_over_time(jobs[{{.window}}])) + sum(increase(x[{{.window}}]))'}";
    let rules = generate_one("{}", sli).unwrap();
    let group = &rules.groups[0];
    let valid = group.recording("slo:sli_valid:rate5m").unwrap();
    // 5m is 300 s: counts over the lookback are recorded per second.
    assert_eq!(
        valid.expr,
        "sum(sum(count_over_time(jobs[4m59s999ms])) + sum(increase(x[5m]))) / 300"
    );
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    check_rules(&tools, dir.path(), "jobs.rules.yaml", &rules.to_rule_file());
}
