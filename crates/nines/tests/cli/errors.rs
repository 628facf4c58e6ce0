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

#[test]
fn an_input_with_no_readable_line_measures_nothing_and_says_so() {
    let (_dir, path) = temp_file("wrong.log", "{\"not\": \"an access log\"}\nplain text\n");
    let input = format!("access={path}");
    let output = nines(&["report", "examples/website.yaml", "--input", &input]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("none of its 2 record(s) could be read as source `website/access`"),
        "{}",
        output.stderr
    );
    assert!(output.stdout.is_empty(), "{}", output.stdout);
}

#[test]
fn a_report_without_events_needs_a_time() {
    let output = nines(&["report", "examples/website.yaml"]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("no event was read"),
        "{}",
        output.stderr
    );
    // With --at the empty window is reported: no data, not 100 %.
    let output = nines(&[
        "report",
        "examples/website.yaml",
        "--at",
        "2026-10-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let slo = &output.json()["slos"][0];
    assert_eq!(slo["sli"], serde_json::Value::Null);
    assert_eq!(slo["status"], "no data");
}

#[test]
fn the_same_file_twice_is_read_once() {
    // The same file written three ways: relative, with `./`, and absolute.
    let log = "examples/apache_combined_2015.log";
    let absolute = root().join(log).canonicalize().unwrap();
    let inputs = [
        format!("access={log}"),
        format!("access=./{log}"),
        format!("access={}", absolute.display()),
    ];
    let output = nines(&[
        "report",
        "examples/website.yaml",
        "-i",
        &inputs[0],
        "-i",
        &inputs[1],
        "-i",
        &inputs[2],
        "--format",
        "json",
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output.stderr.contains("it is read once"),
        "{}",
        output.stderr
    );
    assert_eq!(output.json()["slos"][0]["valid"], 9_999);
}

#[test]
fn standard_input_feeds_one_source_only() {
    let output = nines(&[
        "report",
        "examples/telemetry/otlp.yaml",
        "--input",
        "spans=-",
        "--input",
        "traces=-",
    ]);
    assert_eq!(output.code, 2);
    assert!(
        output
            .stderr
            .contains("standard input is already the input of `spans`"),
        "{}",
        output.stderr
    );
}

#[test]
fn odd_thread_counts_and_history_steps_are_refused() {
    for (flag, value, message) in [
        ("--threads", "100000", "give at most 256"),
        ("--history", "90s", "not a whole number of minutes"),
    ] {
        let output = nines(&[
            "report",
            "examples/website.yaml",
            "-i",
            "access=examples/apache_combined_2015.log",
            flag,
            value,
        ]);
        assert_eq!(output.code, 2, "{}", output.stderr);
        assert!(output.stderr.contains(message), "{}", output.stderr);
    }
}

#[test]
fn an_empty_input_is_named() {
    let (_dir, empty) = temp_file("empty.log", "");
    let inputs = [
        "access=examples/apache_combined_2015.log".to_owned(),
        format!("access={empty}"),
    ];
    let output = nines(&[
        "report",
        "examples/website.yaml",
        "-i",
        &inputs[0],
        "-i",
        &inputs[1],
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("the input is empty; `website/access` has no data from it"),
        "{}",
        output.stderr
    );
}

#[test]
fn an_event_at_the_end_of_time_needs_a_time() {
    let (_dir, log) = temp_file(
        "late.log",
        "10.0.0.1 - - [31/Dec/9999:23:59:30 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"t\"\n",
    );
    let input = format!("access={log}");
    let output = nines(&["report", "examples/website.yaml", "-i", &input]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output.stderr.contains("end of year 9999") && output.stderr.contains("--at"),
        "{}",
        output.stderr
    );
}
