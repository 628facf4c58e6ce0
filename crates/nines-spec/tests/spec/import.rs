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
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(errors, ["service `payments-api` is defined twice"]);
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
        for key in ["lookbackWindow", "alertAfter"] {
            assert!(is_duration(scalar(condition, &["spec", "condition", key])));
        }
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
