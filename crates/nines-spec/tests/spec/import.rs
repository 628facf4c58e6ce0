//! OpenSLO and Sloth specs read into the model, and the model written back as `nines/v1` and
//! OpenSLO v1.
//!
//! Each directory under `data/import/` is one case: the files in `in/` are loaded together; what
//! they report is a snapshot; `expected.nines.yaml` is what `nines convert` writes for them and
//! `expected.openslo.yaml` what `nines export openslo` writes. A case whose input has errors has
//! no expected files. `NINES_BLESS=1 cargo test -p nines-spec` rewrites the expected files.

use std::path::{Path, PathBuf};

use nines_spec::diagnostic::Severity;
use nines_spec::node::{Node, NodeKind};
use nines_spec::write::{to_native, to_openslo};
use nines_spec::{Loaded, load, load_str};

use super::rendered;

const DATA: &str = "tests/spec/data/import";

/// Loads a case's input, as `nines` would from the crate's directory.
fn load_case(case: &str) -> Loaded {
    load(&[Path::new(DATA).join(case).join("in")])
}

/// Compares `actual` with the expected file `name` of `case`, or rewrites it when blessing.
fn golden(case: &str, name: &str, actual: &str) {
    let path = Path::new(DATA).join(case).join(name);
    if std::env::var_os("NINES_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert!(
        expected == actual,
        "{} differs from what was written; NINES_BLESS=1 rewrites it\n--- written ---\n{actual}",
        path.display()
    );
}

/// The model, in a form two loads can be compared by: every field of every service and SLO.
fn model(loaded: &Loaded) -> String {
    format!("{:#?}\n{:#?}", loaded.catalog, loaded.criteria)
}

/// Reloads `text`, written by one of the writers, and checks that it reads without a word and
/// gives back the model of `original`.
fn assert_reads_back(original: &Loaded, name: &str, text: &str) {
    let reloaded = load_str(name, text);
    assert_eq!(
        rendered(&reloaded),
        "",
        "{name} reads back without problems"
    );
    assert_eq!(
        model(&reloaded),
        model(original),
        "{name} gives back the same model"
    );
}

/// Runs one case that loads without errors: diagnostics as a snapshot, the written files
/// against their expected versions, and both read back into the same model.
fn convert(case: &str) -> Loaded {
    let loaded = load_case(case);
    insta::assert_snapshot!(format!("{case}-diagnostics"), rendered(&loaded));
    assert!(!loaded.has_errors(), "{case} loads without errors");
    assert!(!loaded.catalog.services.is_empty());

    let native = to_native(&loaded.catalog, &loaded.criteria);
    golden(case, "expected.nines.yaml", &native);
    assert_reads_back(&loaded, "converted.yaml", &native);

    let openslo = to_openslo(&loaded.catalog, &loaded.criteria);
    golden(case, "expected.openslo.yaml", &openslo);
    assert_reads_back(&loaded, "exported.yaml", &openslo);
    loaded
}

fn slo_names(loaded: &Loaded) -> Vec<String> {
    loaded
        .catalog
        .slos()
        .map(|slo| format!("{}/{}", slo.service, slo.name))
        .collect()
}

#[test]
fn openslo_v1_every_kind() {
    let loaded = convert("openslo-v1");
    // The composite SLO is one SLO per objective; the Datadog SLO is left out, with a warning.
    assert_eq!(
        slo_names(&loaded),
        [
            "search/search-availability",
            "search/search-latency",
            "search/search-freshness",
            "search/search-journey-query",
            "search/search-journey-suggest",
            "suggest/suggest-availability",
        ]
    );
    let availability = loaded.catalog.slos().next().unwrap();
    // `fast-burn` by reference, and the `and` of 3d and 6h at 1; `cpu-usage-breach` (lte) is
    // not a rule nines has.
    let rules: Vec<_> = availability
        .alerts
        .iter()
        .map(|rule| {
            (
                rule.severity.as_str(),
                rule.long.to_string(),
                rule.short.to_string(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("page", "1h".into(), "5m".into()),
            ("ticket", "3d".into(), "6h".into())
        ]
    );
}

#[test]
fn openslo_v1alpha() {
    let loaded = convert("openslo-v1alpha");
    assert_eq!(
        slo_names(&loaded),
        ["foo/foo-availability", "foo/foo-latency"]
    );
}

#[test]
fn openslo_v2alpha() {
    let loaded = convert("openslo-v2alpha");
    // The budget adjustment is left out, with a warning.
    assert_eq!(
        slo_names(&loaded),
        [
            "web/web-availability",
            "web/web-checkout",
            "web/web-latency"
        ]
    );
}

#[test]
fn sloth_files_and_resources() {
    let loaded = convert("sloth");
    // The plugin SLO is left out, with a warning naming the plugin.
    assert_eq!(
        slo_names(&loaded),
        [
            "home-wifi/good-wifi-client-satisfaction",
            "router/uptime",
            "myservice/requests-availability",
            "myservice/ratio",
        ]
    );
    let severities = |name: &str| -> Vec<String> {
        let slo = loaded.catalog.slos().find(|slo| slo.name == name).unwrap();
        slo.alerts
            .iter()
            .map(|rule| rule.severity.clone())
            .collect()
    };
    // Sloth's standard set: page at 14.4 and 6, ticket at 3 and 1; a disabled page alert
    // leaves the tickets.
    assert_eq!(
        severities("requests-availability"),
        ["page", "page", "ticket", "ticket"]
    );
    assert_eq!(severities("ratio"), ["ticket", "ticket"]);
}

#[test]
fn native_specs_survive_export_and_import() {
    // Everything only nines has (ownership, dependencies, sources of every kind, criteria,
    // group_by, exclusions, timeslices without data, short lookbacks, minimum events) rides
    // along in annotations; `convert` checks that importing the export gives back the same
    // model.
    let loaded = convert("native");
    assert_eq!(loaded.catalog.slos().count(), 8);
    let sources: usize = loaded
        .catalog
        .services
        .iter()
        .map(|s| s.sources.len())
        .sum();
    assert_eq!(sources, 8);
}

#[test]
fn the_examples_convert_and_export() {
    for example in ["../../examples/openslo", "../../examples/sloth"] {
        let loaded = load(&[PathBuf::from(example)]);
        assert!(!loaded.has_errors(), "{example}: {}", rendered(&loaded));
        let native = to_native(&loaded.catalog, &loaded.criteria);
        assert_reads_back(&loaded, "converted.yaml", &native);
        let openslo = to_openslo(&loaded.catalog, &loaded.criteria);
        assert_reads_back(&loaded, "exported.yaml", &openslo);
    }
}

#[test]
fn invalid_documents_are_errors_at_their_place() {
    let loaded = load_case("errors");
    insta::assert_snapshot!("errors-diagnostics", rendered(&loaded));
    assert!(loaded.catalog.services.iter().all(|s| s.slos.is_empty()));
}

#[test]
fn sloth_and_openslo_mix_with_native_specs() {
    // One load of three formats: the native service depends on the imported ones.
    let dir = tempfile::tempdir().unwrap();
    let native = "apiVersion: nines/v1\nservices:\n  - name: shop\n    dependencies:\n      - \
                  service: payments-api\n      - service: checkout\n";
    std::fs::write(dir.path().join("shop.yaml"), native).unwrap();
    for example in ["sloth/payments.yaml", "openslo/checkout.yaml"] {
        let from = Path::new("../../examples").join(example);
        let to = dir.path().join(example.replace('/', "-"));
        std::fs::copy(from, to).unwrap();
    }
    let loaded = load(&[dir.path().to_owned()]);
    assert!(!loaded.has_errors(), "{}", rendered(&loaded));
    let mut services: Vec<&str> = loaded
        .catalog
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    services.sort_unstable();
    assert_eq!(services, ["checkout", "payments-api", "shop"]);
}

#[test]
fn one_service_defined_in_two_formats_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let native = "apiVersion: nines/v1\nservices:\n  - name: payments-api\n";
    std::fs::write(dir.path().join("a.yaml"), native).unwrap();
    std::fs::copy(
        "../../examples/sloth/payments.yaml",
        dir.path().join("b.yaml"),
    )
    .unwrap();
    let loaded = load(&[dir.path().to_owned()]);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let file = d.file.file_name().unwrap().to_string_lossy();
            let hint = d.hint.as_deref().unwrap_or_default();
            let hint = hint.replace(&format!("{}/", dir.path().display()), "");
            format!(
                "{file}:{}:{}: {}\n{hint}",
                d.position.line, d.position.column, d.message
            )
        })
        .collect();
    // The error is at the Sloth service's name, not at the top of its file.
    assert_eq!(
        errors,
        [
            "b.yaml:4:10: service `payments-api` is defined twice\nit is first defined at \
             a.yaml:3:5; the SLOs of a `nines/v1` service come from its own file, so write \
             these there (`nines convert` writes them as `nines/v1`)"
        ]
    );
}

/// Every input of every case, cut short after each line and with each line left out: the
/// loader reports what is wrong and never panics.
#[test]
fn damaged_inputs_never_panic() {
    let mut files = Vec::new();
    for case in std::fs::read_dir(DATA).unwrap() {
        for file in std::fs::read_dir(case.unwrap().path().join("in")).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    assert!(files.len() >= 8, "every case is found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for cut in 0..lines.len() {
            let name = format!("{}:{cut}", file.display());
            load_str(&name, &lines[..cut].join("\n"));
            let without: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(at, _)| *at != cut)
                .map(|(_, line)| *line)
                .collect();
            load_str(&name, &without.join("\n"));
        }
    }
}

/// What `nines export openslo` writes follows the rules of the OpenSLO v1 specification that
/// its validators check: names are DNS labels, durations use OpenSLO's units, a time window is
/// one, targets are ratios below 1, an alert policy has exactly one condition and at least one
/// notification target, and a ratio metric is good or bad with total, or raw with its type.
#[test]
fn exports_follow_the_openslo_schema() {
    for case in ["native", "openslo-v1", "sloth"] {
        let loaded = load_case(case);
        let text = to_openslo(&loaded.catalog, &loaded.criteria);
        let documents = nines_spec::node::parse(&text).unwrap();
        assert!(documents.len() > 3, "{case}");
        for document in &documents {
            assert_eq!(scalar(document, &["apiVersion"]), "openslo/v1");
            check_object(document);
            match scalar(document, &["kind"]) {
                "SLO" => check_slo(get(document, &["spec"]).unwrap()),
                "SLI" => check_ratio(get(document, &["spec", "ratioMetric"]).unwrap()),
                "DataSource" => assert!(get(document, &["spec", "type"]).is_some()),
                "Service" => {}
                other => panic!("{case}: a top-level {other}"),
            }
        }
    }
}

fn get<'n>(node: &'n Node, path: &[&str]) -> Option<&'n Node> {
    path.iter().try_fold(node, |node, key| match &node.kind {
        NodeKind::Mapping(entries) => entries.iter().find(|(k, _)| k.name == *key).map(|e| &e.1),
        _ => None,
    })
}

fn scalar<'n>(node: &'n Node, path: &[&str]) -> &'n str {
    get(node, path)
        .and_then(Node::scalar)
        .unwrap_or_else(|| panic!("{path:?} at {:?}", node.position))
}

fn items(node: &Node) -> &[Node] {
    match &node.kind {
        NodeKind::Sequence(items) => items,
        _ => panic!("a list at {:?}", node.position),
    }
}

fn keys(node: Option<&Node>) -> Vec<&str> {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Mapping(entries)) => entries.iter().map(|(k, _)| k.name.as_str()).collect(),
        _ => Vec::new(),
    }
}

fn is_dns_label(name: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    (1..=63).contains(&name.len())
        && name.chars().all(|c| alphanumeric(c) || c == '-')
        && name.starts_with(alphanumeric)
        && name.ends_with(alphanumeric)
}

fn is_duration(text: &str) -> bool {
    let (count, unit) = text.split_at(text.len() - 1);
    "mhdwMQY".contains(unit) && !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit())
}

/// Metadata: a DNS-label name, label keys, and annotation keys with a DNS-subdomain prefix.
fn check_object(object: &Node) {
    let name = scalar(object, &["metadata", "name"]);
    assert!(is_dns_label(name), "{name}");
    for key in keys(get(object, &["metadata", "labels"])) {
        assert!(
            key.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)),
            "{key}"
        );
    }
    for key in keys(get(object, &["metadata", "annotations"])) {
        let (prefix, name) = key.split_once('/').unwrap();
        assert!(prefix.split('.').all(is_dns_label), "{key}");
        assert!(is_dns_label(name), "{key}");
    }
}

fn check_slo(spec: &Node) {
    assert!(is_dns_label(scalar(spec, &["service"])));
    assert!(is_dns_label(scalar(spec, &["indicatorRef"])));
    let windows = items(get(spec, &["timeWindow"]).unwrap());
    assert_eq!(windows.len(), 1);
    assert!(is_duration(scalar(&windows[0], &["duration"])));
    let rolling = scalar(&windows[0], &["isRolling"]) == "true";
    assert_eq!(get(&windows[0], &["calendar"]).is_none(), rolling);
    if !rolling {
        let start = scalar(&windows[0], &["calendar", "startTime"]);
        assert!(jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", start).is_ok());
    }
    let method = scalar(spec, &["budgetingMethod"]);
    assert!(["Occurrences", "Timeslices", "RatioTimeslices"].contains(&method));
    for objective in items(get(spec, &["objectives"]).unwrap()) {
        let target: f64 = scalar(objective, &["target"]).parse().unwrap();
        assert!((0.0..1.0).contains(&target));
        if method != "Occurrences" {
            assert!(is_duration(scalar(objective, &["timeSliceWindow"])));
        }
        if method == "Timeslices" {
            let target: f64 = scalar(objective, &["timeSliceTarget"]).parse().unwrap();
            assert!(target > 0.0 && target <= 1.0);
        }
    }
    for policy in get(spec, &["alertPolicies"]).map_or(&[][..], items) {
        assert_eq!(scalar(policy, &["kind"]), "AlertPolicy");
        check_object(policy);
        let conditions = items(get(policy, &["spec", "conditions"]).unwrap());
        assert_eq!(conditions.len(), 1, "one condition per policy");
        let condition = &conditions[0];
        check_object(condition);
        assert!(!scalar(condition, &["spec", "severity"]).is_empty());
        assert_eq!(
            scalar(condition, &["spec", "condition", "kind"]),
            "burnrate"
        );
        assert_eq!(scalar(condition, &["spec", "condition", "op"]), "gt");
        let threshold: f64 = scalar(condition, &["spec", "condition", "threshold"])
            .parse()
            .unwrap();
        assert!(threshold > 0.0);
        assert!(is_duration(scalar(
            condition,
            &["spec", "condition", "lookbackWindow"]
        )));
        // `alertAfter` is how long the burn must last before the alert fires: nines fires at
        // once, and its short lookback rides in an annotation instead.
        assert!(get(condition, &["spec", "condition", "alertAfter"]).is_none());
        let short = scalar(
            condition,
            &["metadata", "annotations", "nines.dev/short-lookback"],
        );
        assert!(is_duration(short), "{short}");
        let targets = items(get(policy, &["spec", "notificationTargets"]).unwrap());
        assert!(!targets.is_empty());
        for target in targets {
            check_object(target);
            assert!(!scalar(target, &["spec", "target"]).is_empty());
        }
    }
}

fn check_ratio(ratio: &Node) {
    let mut present = keys(Some(ratio));
    present.retain(|key| *key != "counter");
    present.sort_unstable();
    let shapes: [&[&str]; 3] = [&["good", "total"], &["bad", "total"], &["raw", "rawType"]];
    assert!(shapes.contains(&present.as_slice()), "{present:?}");
    for key in ["good", "bad", "total", "raw"] {
        if let Some(metric) = get(ratio, &[key, "metricSource"]) {
            assert!(!keys(get(metric, &["spec"])).is_empty());
            if let Some(reference) = get(metric, &["metricSourceRef"]) {
                assert!(is_dns_label(reference.scalar().unwrap()));
            }
        }
    }
}

/// An OpenSLO v1 SLO of `shop` counting `good` of `total` events, queried from Prometheus;
/// the `good` query is on line 17 and the `total` query on line 22.
fn openslo_ratio(counter: bool, good: &str, total: &str) -> String {
    let metric = |query: &str| {
        format!(
            "\n          metricSource:\n            type: Prometheus\n            spec:\n              query: '{query}'"
        )
    };
    format!(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: shop-availability\nspec:\n  \
         service: shop\n  indicator:\n    metadata:\n      name: shop-ok\n    spec:\n      \
         ratioMetric:\n        counter: {counter}\n        good:{}\n        total:{}\n  \
         timeWindow:\n    - duration: 28d\n      isRolling: true\n  budgetingMethod: \
         Occurrences\n  objectives:\n    - target: 0.999\n",
        metric(good),
        metric(total),
    )
}

#[test]
fn grouped_queries_are_warned_about_where_they_are() {
    // Sloth: the errors and the total are both grouped; one warning, at the first of them.
    let sloth = "version: prometheus/v1\nservice: api\nslos:\n  - name: availability\n    \
                 objective: 99.9\n    sli:\n      events:\n        error_query: \
                 sum(rate(e_total{code=~\"5..\"}[{{.window}}])) by (namespace)\n        \
                 total_query: sum(rate(e_total[{{.window}}])) by (namespace)\n";
    insta::assert_snapshot!(super::diagnostics(sloth), @r"
    warning: slos.yaml:8:22: the query is grouped `by (namespace)`, but nines measures one SLI per SLO: the groups are summed into one, and a group that fails alone is diluted by the others
      hint: write one SLO per group, each selecting its own namespace, or leave out the grouping to measure them as one
    ");
    let openslo = openslo_ratio(
        true,
        "sum by (route) (rate(ok_total[5m]))",
        "sum by (route) (rate(all_total[5m]))",
    );
    insta::assert_snapshot!(super::diagnostics(&openslo), @r"
    warning: slos.yaml:17:22: the query is grouped `by (route)`, but nines measures one SLI per SLO: the groups are summed into one, and a group that fails alone is diluted by the others
      hint: write one SLO per group, each selecting its own route, or leave out the grouping to measure them as one
    ");
    let without = openslo_ratio(true, "sum(ok_total)", "sum without (pod) (all_total)");
    insta::assert_snapshot!(super::diagnostics(&without), @r"
    warning: slos.yaml:22:22: the query is grouped `without (pod)`, but nines measures one SLI per SLO: the groups are summed into one, and a group that fails alone is diluted by the others
      hint: write one SLO per group, each selecting its own labels, or leave out the grouping to measure them as one
    ");
    // A grouping summed by the query itself leaves one series: nothing to say.
    let summed = openslo_ratio(
        true,
        "sum(max by (pod) (rate(ok_total[5m])))",
        "sum(rate(all_total[5m]))",
    );
    assert_eq!(super::diagnostics(&summed), "");
}

#[test]
fn instant_counters_beside_ranges_are_refused() {
    let mixed = openslo_ratio(
        true,
        "sum(rate(ok_total[5m])) + sum(ok2_total)",
        "sum(rate(all_total[5m]))",
    );
    let loaded = load_str("slos.yaml", &mixed);
    assert!(loaded.has_errors());
    assert_eq!(loaded.catalog.slos().count(), 0);
    insta::assert_snapshot!(rendered(&loaded), @r"
    error: slos.yaml:17:22: nines cannot measure this query over its lookbacks: it reads `ok2_total` at one instant beside selectors read over a range, so the counter's running total would be added to a rate over the lookback
      hint: read it over the range too, such as rate(ok2_total[{{.window}}])
    ");
    let gauges = openslo_ratio(
        false,
        "sum(sum_over_time(ok[5m])) + sum(ok2)",
        "sum(sum_over_time(all[5m]))",
    );
    insta::assert_snapshot!(super::diagnostics(&gauges), @r"
    error: slos.yaml:17:22: nines cannot measure this query over its lookbacks: it reads `ok2` at one instant beside selectors read over a range, so a single sample would be added to a sum over the lookback
      hint: read it over the range too, such as sum_over_time(ok2[{{.window}}])
    ");
}

#[test]
fn instant_counters_beside_the_placeholder_are_refused_in_every_format() {
    // The same shape as with a fixed `[5m]`, written with the placeholder: nines/v1, Sloth
    // and OpenSLO queries are all checked where they are written.
    let native = "apiVersion: nines/v1\nservices:\n  - name: api\n    slos:\n      - name: ok\n        \
                  objective: 99.9\n        window: 28d\n        sli:\n          prometheus:\n            \
                  errors: sum(rate(a[{{.window}}])) + sum(b)\n            \
                  total: sum(rate(t[{{.window}}]))\n";
    let loaded = load_str("slos.yaml", native);
    assert_eq!(loaded.catalog.slos().count(), 0);
    insta::assert_snapshot!(rendered(&loaded), @r"
    error: slos.yaml:10:21: nines cannot measure this query over its lookbacks: it reads `b` at one instant beside selectors read over a range, so the counter's running total would be added to a rate over the lookback
      hint: read it over the range too, such as rate(b[{{.window}}])
    ");
    let sloth = "version: prometheus/v1\nservice: api\nslos:\n  - name: ok\n    objective: 99.9\n    \
                 sli:\n      events:\n        error_query: sum(rate(e[{{.window}}]))\n        \
                 total_query: sum(rate(t[{{ .window }}])) + sum(t2)\n";
    insta::assert_snapshot!(super::diagnostics(sloth), @r"
    error: slos.yaml:9:22: nines cannot measure this query over its lookbacks: it reads `t2` at one instant beside selectors read over a range, so the counter's running total would be added to a rate over the lookback
      hint: read it over the range too, such as rate(t2[{{.window}}])
    ");
    let openslo = openslo_ratio(
        false,
        "sum(count_over_time(ok[{{.window}}])) + sum(ok2)",
        "sum(count_over_time(all[{{.window}}]))",
    );
    insta::assert_snapshot!(super::diagnostics(&openslo), @r"
    error: slos.yaml:17:22: nines cannot measure this query over its lookbacks: it reads `ok2` at one instant beside selectors read over a range, so a single sample would be added to a sum over the lookback
      hint: read it over the range too, such as sum_over_time(ok2[{{.window}}])
    ");
}

#[test]
fn rates_beside_counts_over_the_range_are_refused_where_written() {
    let native = "apiVersion: nines/v1\nservices:\n  - name: api\n    slos:\n      - name: inc\n        \
                  objective: 99.9\n        window: 28d\n        sli:\n          prometheus:\n            \
                  good: sum(increase(ok[{{.window}}]))\n            \
                  total: sum(rate(t[{{.window}}])) + sum(increase(t2[{{.window}}]))\n";
    let loaded = load_str("slos.yaml", native);
    assert_eq!(loaded.catalog.slos().count(), 0);
    insta::assert_snapshot!(rendered(&loaded), @r"
    error: slos.yaml:11:20: this query mixes rate(), which counts events per second, with increase(), which counts them over the whole range, so its count has no single unit
      hint: write the query with rate() only, or with increase() only
    ");
    // Each query has one unit, even when the two queries differ: the rules scale each.
    let apart = native.replace(
        "sum(rate(t[{{.window}}])) + sum(increase(t2[{{.window}}]))",
        "sum(rate(t[{{.window}}]))",
    );
    assert_eq!(super::diagnostics(&apart), "");
}

#[test]
fn other_kubernetes_documents_are_skipped_and_lists_are_read() {
    // A manifest with a Deployment and a Service beside a Sloth resource, and Sloth resources
    // as `kubectl get -o yaml` lists them, with what the cluster adds.
    let manifest = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec: {replicas: 2}
---
apiVersion: v1
kind: Service
metadata: {name: api}
---
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: api}
spec:
  service: api
  slos:
    - name: availability
      objective: 99.9
      sli: {raw: {errorRatioQuery: 'sum(rate(e[{{.window}}])) / sum(rate(t[{{.window}}]))'}}
---
apiVersion: v1
kind: List
items:
  - apiVersion: sloth.slok.dev/v1
    kind: PrometheusServiceLevel
    metadata:
      name: web
      namespace: shop
      uid: 0b7c2f6e-4f7e-4a51-9d1e-3c2a4b5d6e7f
      resourceVersion: "4711"
      generation: 1
      creationTimestamp: "2026-11-02T09:00:00Z"
    spec:
      service: web
      slos:
        - name: availability
          objective: 99.9
          sli:
            events:
              errorQuery: sum(rate(e[{{.window}}]))
              totalQuery: sum(rate(t[{{.window}}]))
    status: {processedSLOs: 1, promOpRulesGenerated: true, observedGeneration: 1}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings}
metadata: {resourceVersion: ""}
"#;
    let loaded = load_str("manifest.yaml", manifest);
    insta::assert_snapshot!(rendered(&loaded), @r"
    warning: manifest.yaml:1:1: `Deployment` of `apiVersion: apps/v1` is not an SLO document; skipped
    warning: manifest.yaml:6:1: `Service` of `apiVersion: v1` is not an SLO document; skipped
    warning: manifest.yaml:27:18: `metadata.namespace` is not kept: it belongs to the Kubernetes resource, and the PrometheusRule that nines generates does not carry it
      hint: give it with `nines generate prometheus --operator --namespace NS`
    warning: manifest.yaml:42:5: `ConfigMap` of `apiVersion: v1` is not an SLO document; skipped
    ");
    let services: Vec<&str> = loaded
        .catalog
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(services, ["api", "web"]);

    // A kustomization is another API too; a version of a format nines reads, one that could
    // be a misspelt one, and a Kubernetes version without a kind are still errors.
    let other = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: \
                 [slos.yaml]\n---\napiVersion: nines/v9\nservices: []\n---\napiVersion: \
                 openslo/v9\nkind: SLO\nmetadata: {name: x}\nspec: {}\n---\napiVersion: \
                 nine/v1\nservices: []\n---\napiVersion: v1\nservices: []\n";
    let loaded = load_str("other.yaml", other);
    insta::assert_snapshot!(rendered(&loaded), @r"
    warning: other.yaml:1:1: `Kustomization` of `apiVersion: kustomize.config.k8s.io/v1beta1` is not an SLO document; skipped
    error: other.yaml:5:1: unsupported apiVersion `nines/v9`
      hint: nines reads `apiVersion: nines/v1`, OpenSLO (`openslo/v1`, `openslo/v1alpha`, `openslo.com/v2alpha`) and Sloth (`version: prometheus/v1`, `sloth.slok.dev/v1`)
    error: other.yaml:8:13: unsupported OpenSLO version `openslo/v9`
      hint: nines reads `openslo/v1`, `openslo/v1alpha` or `openslo.com/v2alpha`
    error: other.yaml:13:1: unsupported apiVersion `nine/v1`
      hint: nines reads `apiVersion: nines/v1`, OpenSLO (`openslo/v1`, `openslo/v1alpha`, `openslo.com/v2alpha`) and Sloth (`version: prometheus/v1`, `sloth.slok.dev/v1`)
    error: other.yaml:16:1: unsupported apiVersion `v1`
      hint: nines reads `apiVersion: nines/v1`, OpenSLO (`openslo/v1`, `openslo/v1alpha`, `openslo.com/v2alpha`) and Sloth (`version: prometheus/v1`, `sloth.slok.dev/v1`)
    ");
}

#[test]
fn what_alert_policies_and_services_lose_is_warned_about() {
    // One warning per policy lists all it loses: its name and display name, and how it
    // notifies, whichever way; a service's display name is lost even when it differs from
    // the name only in case.
    let policies = "\
apiVersion: openslo/v1
kind: Service
metadata: {name: shop, displayName: Shop}
spec: {}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: shop-availability}
spec:
  service: shop
  indicatorRef: shop-ok
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: fast-burn, displayName: Fast burn page}
      spec:
        alertWhenNoData: false
        alertWhenResolved: true
        alertWhenBreaching: true
        conditions:
          - kind: AlertCondition
            metadata: {name: fast}
            spec:
              severity: page
              condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}
    - alertPolicyRef: slow-burn
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: slow-burn}
spec:
  alertWhenNoData: true
  conditions:
    - kind: AlertCondition
      metadata: {name: slow}
      spec:
        severity: ticket
        condition: {kind: burnrate, op: gt, threshold: 6, lookbackWindow: 6h}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: shop-ok}
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(ok[5m]))'}}}
    total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(all[5m]))'}}}
";
    let loaded = load_str("slos.yaml", policies);
    insta::assert_snapshot!(rendered(&loaded), @r"
    warning: slos.yaml:3:37: `metadata.displayName` is not kept: nines shows names as they are
    warning: slos.yaml:17:24: `metadata.name`, `metadata.displayName`, `alertWhenNoData: false`, `alertWhenResolved: true` of alert policy `fast-burn` are not kept: nines alert rules have no names; nines never fires a burn-rate alert without data; nines does not send notifications yet
    warning: slos.yaml:32:18: `metadata.name`, `alertWhenNoData: true` of alert policy `slow-burn` are not kept: nines alert rules have no names; nines never fires a burn-rate alert without data
    ");
    assert_eq!(loaded.catalog.slos().next().unwrap().alerts.len(), 2);
}

#[test]
fn sloth_and_openslo_slos_of_one_service_are_merged() {
    // The payments API's Sloth file, and an OpenSLO Service and SLO for the same service: one
    // service with the SLOs of both. The labels are joined; `owner`, given differently, keeps
    // the OpenSLO value, with a warning at the Sloth one.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "../../examples/sloth/payments.yaml",
        dir.path().join("b-sloth.yaml"),
    )
    .unwrap();
    let openslo = "\
apiVersion: openslo/v1
kind: Service
metadata:
  name: payments-api
  labels: {owner: payments-oncall, region: eu}
spec: {}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: payments-latency}
spec:
  service: payments-api
  indicator:
    metadata: {name: payments-fast}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(fast_total[5m]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(all_total[5m]))'}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
";
    std::fs::write(dir.path().join("a-openslo.yaml"), openslo).unwrap();
    let loaded = load(&[dir.path().to_owned()]);
    let text = rendered(&loaded).replace(&format!("{}/", dir.path().display()), "");
    let mine: Vec<&str> = text.lines().filter(|line| line.contains("owner")).collect();
    assert_eq!(
        mine,
        [
            "warning: b-sloth.yaml:6:10: label `owner` of service `payments-api` is not kept: \
             the service is also defined at a-openslo.yaml:5:19, with `owner: payments-oncall`",
        ]
    );
    assert!(!loaded.has_errors(), "{text}");
    assert_eq!(loaded.catalog.services.len(), 1);
    let service = &loaded.catalog.services[0];
    let slos: Vec<&str> = service.slos.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        slos,
        [
            "payments-latency",
            "requests-availability",
            "requests-latency",
            "settlement-freshness"
        ]
    );
    let labels: Vec<(&str, &str)> = service
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("owner", "payments-oncall"),
            ("region", "eu"),
            ("repo", "acme/payments-api"),
            ("tier", "1")
        ]
    );
}
