//! `nines convert` and `nines export openslo`, and the other commands reading OpenSLO and Sloth
//! files as they are.

use super::*;

#[test]
fn validate_reads_sloth_and_openslo_files() {
    let output = nines(&["validate", "examples/sloth/", "examples/openslo/"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    insta::assert_snapshot!(output.transcript());
}

#[test]
fn convert_writes_nines_v1() {
    let output = nines(&["convert", "examples/sloth/payments.yaml"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    insta::assert_snapshot!(output.transcript());
}

#[test]
fn export_writes_openslo_v1() {
    let output = nines(&["export", "openslo", "examples/openslo/checkout.yaml"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    insta::assert_snapshot!(output.transcript());
}

#[test]
fn specs_with_errors_are_not_written() {
    let (_dir, path) = temp_file(
        "sloth.yaml",
        "version: prometheus/v1\nservice: api\nslos:\n  - name: availability\n    objective: \
         99.9\n    sli: {events: {error_query: 'sum(rate(x[5m]))', total_query: 'y'}}\n",
    );
    let output = nines(&["convert", &path]);
    assert_eq!(output.code, 2);
    assert_eq!(output.stdout, "");
    insta::assert_snapshot!(output.stderr.replace(&path, "sloth.yaml"));
}

/// The website's SLO exported to OpenSLO keeps its access-log source in a `type: nines` data
/// source; `nines report` on the exported file measures the same log to the same numbers, and
/// `--output` writes what stdout would have shown.
#[test]
fn report_reads_an_exported_openslo_file() {
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("website.openslo.yaml");
    let exported = exported.to_str().unwrap();
    let output = nines(&["export", "openslo", "examples/website.yaml", "-o", exported]);
    assert_eq!(
        output.transcript(),
        "exit code: 0\n----- stdout -----\n----- stderr -----\n"
    );
    let printed = nines(&["export", "openslo", "examples/website.yaml"]).stdout;
    assert_eq!(std::fs::read_to_string(exported).unwrap(), printed);
    assert!(printed.contains("type: nines"), "{printed}");

    let log = "access=examples/apache_combined_2015.log";
    let direct = nines(&[
        "report",
        "examples/website.yaml",
        "-i",
        log,
        "--format",
        "json",
    ]);
    let imported = nines(&["report", exported, "-i", log, "--format", "json"]);
    assert_eq!(imported.code, direct.code, "{}", imported.stderr);
    assert_eq!(imported.stderr, direct.stderr);
    assert_eq!(imported.json(), direct.json());
    assert_eq!(imported.json()["slos"][0]["bad"], 3);
}

#[test]
fn convert_reads_back_what_export_wrote() {
    let (_dir, path) = temp_file(
        "exported.yaml",
        &nines(&["export", "openslo", "examples/sloth/"]).stdout,
    );
    let direct = nines(&["convert", "examples/sloth/"]);
    let round_trip = nines(&["convert", &path]);
    assert_eq!(round_trip.code, 0, "{}", round_trip.stderr);
    // The warnings about what Sloth has and nines does not were given by the first load.
    assert_eq!(round_trip.stderr, "");
    assert_eq!(round_trip.stdout, direct.stdout);
}

/// `kubectl get prometheusservicelevels -o yaml` beside the Deployment of one manifest: the
/// Sloth resources in the `List` are read, the Deployment is skipped with a warning, and the
/// exit code says the specs are valid.
#[test]
fn validate_reads_a_kubernetes_manifest() {
    let (_dir, path) = temp_file(
        "manifest.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {replicas: 2}\n---\n\
         apiVersion: v1\nkind: List\nitems:\n  - apiVersion: sloth.slok.dev/v1\n    kind: \
         PrometheusServiceLevel\n    metadata: {name: api}\n    spec:\n      service: api\n      \
         slos:\n        - name: availability\n          objective: 99.9\n          sli: \
         {events: {errorQuery: 'sum(rate(e[{{.window}}]))', totalQuery: \
         'sum(rate(t[{{.window}}]))'}}\nmetadata: {resourceVersion: \"\"}\n",
    );
    let output = nines(&["validate", &path]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    insta::assert_snapshot!(output.stderr.replace(&path, "manifest.yaml"), @r"
    warning: manifest.yaml:1:1: `Deployment` of `apiVersion: apps/v1` is not an SLO document; skipped
    1 file(s), 1 service(s), 1 SLO(s): 0 error(s), 1 warning(s)
    ");
}
