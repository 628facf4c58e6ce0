//! Usage and input errors: exit code 2 and a message that says what to do.

use super::*;

#[test]
fn an_unknown_source_names_the_known_ones() {
    let output = nines(&["report", "examples/website.yaml", "--input", "acces=x.log"]);
    assert_eq!(output.code, 2);
    insta::assert_snapshot!(output.transcript());
}

#[test]
fn a_missing_file_is_named() {
    let output = nines(&[
        "report",
        "examples/website.yaml",
        "--input",
        "access=nope.log",
    ]);
    assert_eq!(output.code, 2);
    assert!(output.stderr.contains("nope.log"), "{}", output.stderr);
}

#[test]
fn an_input_without_a_source_gets_a_hint() {
    let output = nines(&["report", "examples/website.yaml", "--input", "x.log"]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("hint: write SOURCE=PATH"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_bad_time_is_refused() {
    let output = nines(&["report", "examples/website.yaml", "--at", "yesterday"]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("--at: `yesterday` is not a time"),
        "{}",
        output.stderr
    );
}

#[test]
fn strict_mode_stops_at_the_cut_off_line() {
    let output = nines(&[
        "report",
        "examples/website.yaml",
        "--strict",
        "--input",
        "access=examples/apache_combined_2015.log",
    ]);
    assert_eq!(output.code, 2);
    assert!(output.stderr.contains("8899"), "{}", output.stderr);
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(nines(&["report"]).code, 2);
    assert_eq!(nines(&["frobnicate"]).code, 2);
}
