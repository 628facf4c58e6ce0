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
