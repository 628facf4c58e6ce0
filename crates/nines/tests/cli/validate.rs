//! `nines validate`: exit codes and messages.

use super::*;

#[test]
fn a_clean_spec_passes() {
    let output = nines(&["validate", "examples/website.yaml"]);
    assert_eq!(output.code, 0);
    insta::assert_snapshot!(output.transcript());
}

#[test]
fn errors_exit_two_with_every_problem() {
    let (_dir, path) = temp_file(
        "broken.yaml",
        "apiVersion: nines/v1\nservices:\n  - name: web\n    sources: [{name: access}]\n    \
         slos:\n      - name: availability\n        objective: 100\n        window: 7d\n        \
         sli: {source: access, bad: stauts >= 500}\n        windw: 7d\n",
    );
    let output = nines(&["validate", &path]);
    assert_eq!(output.code, 2);
    let stderr = output.stderr.replace(&path, "broken.yaml");
    insta::assert_snapshot!(stderr);
}

#[test]
fn warnings_fail_only_when_strict() {
    // A page at factor 14.4 can never fire at objective 90 % (14.4 × 0.1 = 1.44 > 1).
    let (_dir, path) = temp_file(
        "loose.yaml",
        "apiVersion: nines/v1\nservices:\n  - name: web\n    sources: [{name: access}]\n    \
         slos:\n      - name: availability\n        objective: 90\n        window: 30d\n        \
         sli: {source: access, bad: status >= 500}\n        alerting: {preset: google-30d}\n",
    );
    let output = nines(&["validate", &path]);
    assert_eq!(output.code, 0);
    assert!(
        output.stderr.contains("can never fire"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("needs an error ratio of 1.44"),
        "{}",
        output.stderr
    );
    assert_eq!(nines(&["validate", "--strict", &path]).code, 1);
}

#[test]
fn examples_may_share_a_criterion() {
    // Both files define `server_error: status >= 500`, the same organisation-wide criterion.
    let output = nines(&["validate", "examples/website.yaml", "examples/demo"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(!output.stderr.contains("error:"), "{}", output.stderr);
}

#[test]
fn every_example_validates_together() {
    // One catalog of every format nines reads: names do not clash across the examples.
    let output = nines(&["validate", "examples"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(!output.stderr.contains("error:"), "{}", output.stderr);
}

#[test]
fn the_readme_sample_is_a_valid_spec() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let sample = readme
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a YAML sample");
    assert!(sample.contains("apiVersion: nines/v1"), "{sample}");
    let (_dir, path) = temp_file("readme.yaml", sample);
    let output = nines(&["validate", "--strict", &path]);
    assert_eq!(output.code, 0, "{}", output.stderr);
}

#[test]
fn nothing_to_check_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.yaml"), "").unwrap();
    std::fs::create_dir(dir.path().join("nothing")).unwrap();
    let base = dir.path().display().to_string();
    let output = nines(&[
        "validate",
        &format!("{base}/empty.yaml"),
        &format!("{base}/nothing"),
    ]);
    assert_eq!(output.code, 2);
    insta::assert_snapshot!(output.stderr.replace(&base, "specs"));
}

#[test]
fn a_window_too_long_to_measure_stops_the_report_before_any_input() {
    let (_dir, path) = temp_file(
        "huge.yaml",
        "apiVersion: nines/v1\nservices:\n  - name: web\n    sources: [{name: access}]\n    \
         slos:\n      - name: availability\n        objective: 99.9\n        \
         window: 100000000d\n        sli: {source: access, bad: status >= 500}\n",
    );
    let input = "access=examples/apache_combined_2015.log";
    let output = nines(&["report", &path, "--input", input]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("a window of 100000000d is longer than 400 days"),
        "{}",
        output.stderr
    );
}
