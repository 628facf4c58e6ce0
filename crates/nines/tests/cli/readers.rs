//! Inputs in every shape give the same numbers: stdin, gzip, shuffled, split, sampled.

use std::io::Write;

use super::*;

const SPEC: &str = "examples/website.yaml";

fn real_log() -> String {
    std::fs::read_to_string(root().join("examples/apache_combined_2015.log")).unwrap()
}

/// The SLO part of a JSON report, without the inputs (whose paths differ).
fn slos(output: &Output) -> serde_json::Value {
    assert_eq!(output.code, 0, "{}", output.stderr);
    output.json()["slos"].clone()
}

fn report_of(inputs: &[&str]) -> serde_json::Value {
    let mut args = vec!["report", SPEC, "--format", "json"];
    for input in inputs {
        args.extend(["--input", input]);
    }
    slos(&nines(&args))
}

#[test]
fn stdin_gives_the_same_report() {
    let from_file = report_of(&["access=examples/apache_combined_2015.log"]);
    let output = nines_with_input(
        &["report", SPEC, "--format", "json", "--input", "access=-"],
        real_log().as_bytes(),
    );
    assert_eq!(slos(&output), from_file);
}

#[test]
fn gzip_is_read_transparently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), Default::default());
    encoder.write_all(real_log().as_bytes()).unwrap();
    encoder.finish().unwrap();
    let input = format!("access={}", path.display());
    assert_eq!(
        report_of(&[&input]),
        report_of(&["access=examples/apache_combined_2015.log"])
    );
}

#[test]
fn shuffled_and_split_input_gives_the_same_report() {
    // Reverse the lines, interleave them into two files: order and splitting change nothing.
    let log = real_log();
    let mut lines: Vec<&str> = log.lines().collect();
    lines.reverse();
    let (mut even, mut odd) = (String::new(), String::new());
    for (i, line) in lines.iter().enumerate() {
        let half = if i % 2 == 0 { &mut even } else { &mut odd };
        half.push_str(line);
        half.push('\n');
    }
    let (_a, first) = temp_file("a.log", &even);
    let (_b, second) = temp_file("b.log", &odd);
    let split = report_of(&[&format!("access={first}"), &format!("access={second}")]);
    assert_eq!(
        split,
        report_of(&["access=examples/apache_combined_2015.log"])
    );
}

#[test]
fn sampled_events_count_as_one_over_the_rate() {
    // Three events logged at sample rate 0.1 each count as 10; one is bad:
    // valid 30, bad 10, SLI 20 / 30 = 0.6667.
    let (_spec_dir, spec) = temp_file(
        "sampled.yaml",
        r#"apiVersion: nines/v1
services:
  - name: api
    sources:
      - name: events
        kind: json
        timestamp: time
        sample_rate: sample.rate
        fields:
          status: http.status
    slos:
      - name: availability
        objective: 99
        window: 1d
        sli: {source: events, bad: status >= 500}
"#,
    );
    let (_log_dir, log) = temp_file(
        "events.jsonl",
        r#"{"time": "2026-10-10T12:00:01Z", "http": {"status": 200}, "sample": {"rate": 0.1}}
{"time": "2026-10-10T12:00:02Z", "http": {"status": 503}, "sample": {"rate": 0.1}}
{"time": "2026-10-10T12:00:03Z", "http": {"status": 200}, "sample": {"rate": 0.1}}
"#,
    );
    let input = format!("events={log}");
    let output = nines(&["report", &spec, "--input", &input, "--format", "json"]);
    let slo = &slos_any(&output)[0];
    assert_eq!(slo["valid"], 30);
    assert_eq!(slo["bad"], 10);
    assert_close(slo["sli"].as_f64().unwrap(), 20.0 / 30.0);
}

/// The SLO part of a JSON report, whatever the exit code.
fn slos_any(output: &Output) -> serde_json::Value {
    output.json()["slos"].clone()
}

#[test]
fn a_burst_of_errors_pages_and_exits_one() {
    // 99.9 % over 30d with the standard alerts. 11:00–11:54: 550 good requests; 11:55–11:59:
    // 100 requests, 50 of them 500s. At 12:00 the hour holds 650 valid, 50 bad: burn
    // (50 / 650) / 0.001 ≈ 76.9; the 5 minutes 100 valid, 50 bad: burn 500. Both > 14.4:
    // the page fires, and the budget (0.65 allowed bad events) is long gone.
    let mut log = String::new();
    for i in 0..650 {
        // Ten requests a minute until 11:54, then twenty a minute, every other one failing.
        let (minute, second, status) = match i {
            0..550 => (i / 10, i % 10 * 6, 200),
            _ => (
                55 + (i - 550) / 20,
                (i - 550) % 20 * 3,
                if i % 2 == 0 { 500 } else { 200 },
            ),
        };
        log.push_str(&format!(
            "10.0.0.1 - - [10/Oct/2026:11:{minute:02}:{second:02} +0000] \"GET / HTTP/1.1\" \
             {status} 10 \"-\" \"curl\"\n"
        ));
    }
    let (_dir, path) = temp_file("burst.log", &log);
    let (_spec_dir, spec) = temp_file(
        "burst.yaml",
        "apiVersion: nines/v1\nservices:\n  - name: web\n    sources: [{name: access}]\n    \
         slos:\n      - name: availability\n        objective: 99.9\n        window: 30d\n        \
         sli: {source: access, bad: status >= 500}\n        alerting: {preset: google-30d}\n",
    );
    let input = format!("access={path}");
    let output = nines(&["report", &spec, "--input", &input, "--format", "json"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    let slo = &slos_any(&output)[0];
    assert_eq!(slo["evaluated_at"], "2026-10-10T12:00:00Z");
    assert_close(
        slo["alerts"][0]["long_burn_rate"].as_f64().unwrap(),
        50.0 / 650.0 / 0.001,
    );
    assert_close(slo["alerts"][0]["short_burn_rate"].as_f64().unwrap(), 500.0);
    assert_eq!(slo["alerts"][0]["state"], "firing");
    assert_eq!(slo["firing"][0], "page");
    assert_eq!(slo["status"], "exhausted");
}

#[test]
fn a_group_is_counted_whole_whatever_the_threads() {
    // 300,000 events over 450 values of `g`, more than the 100 groups kept: 150 values `w…`
    // with 1,000 events each, then 300 values `v…` with 500 each. Whichever values get a
    // group of their own, each such group holds all of its value's events (1,000 or 500), the
    // groups add up to the whole, and the rest is `(other)`.
    let (_spec_dir, spec) = grouped_spec();
    let mut log = String::with_capacity(300_000 * 60);
    for i in 0..300_000 {
        let value = if i < 150_000 {
            format!("w{:03}", i % 150)
        } else {
            format!("v{:03}", i % 300)
        };
        let status = if i % 97 == 0 { 500 } else { 200 };
        log.push_str(&format!(
            "{{\"ts\":\"2026-12-03T10:{:02}:00Z\",\"status\":{status},\"g\":\"{value}\"}}\n",
            i % 60
        ));
    }
    let (_log_dir, log) = temp_file("events.jsonl", &log);
    let input = format!("events={log}");
    for threads in ["1", "2", "8"] {
        let output = nines(&[
            "report",
            &spec,
            "-i",
            &input,
            "--threads",
            threads,
            "--format",
            "json",
        ]);
        let slo = &slos_any(&output)[0];
        assert_eq!(slo["valid"], 300_000);
        let groups = slo["groups"].as_array().unwrap();
        assert!(groups.len() <= 101, "{} groups", groups.len());
        let mut sum = 0;
        for group in groups {
            let name = group["group"].as_str().unwrap();
            let valid = group["valid"].as_i64().unwrap();
            sum += valid;
            match name.as_bytes()[0] {
                b'w' => assert_eq!(valid, 1_000, "{name} with {threads} threads"),
                b'v' => assert_eq!(valid, 500, "{name} with {threads} threads"),
                _ => assert_eq!(name, "(other)"),
            }
        }
        assert_eq!(sum, 300_000);
    }
}

#[test]
fn empty_and_missing_group_values_have_names_of_their_own() {
    let (_spec_dir, spec) = grouped_spec();
    let (_log_dir, log) = temp_file(
        "events.jsonl",
        "{\"ts\":\"2026-12-03T10:00:00Z\",\"status\":200,\"g\":\"\"}\n\
         {\"ts\":\"2026-12-03T10:00:01Z\",\"status\":500}\n\
         {\"ts\":\"2026-12-03T10:00:02Z\",\"status\":200,\"g\":\"eu\"}\n",
    );
    let input = format!("events={log}");
    let output = nines(&["report", &spec, "-i", &input, "--format", "json"]);
    let groups = &slos_any(&output)[0]["groups"];
    let names: Vec<&str> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["group"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["(empty)", "(none)", "eu"]);
}

#[test]
fn a_field_that_no_event_carries_is_named() {
    // `status` is mapped from the path `code`, which no line has: without the warning every
    // event would silently be good.
    let (_spec_dir, spec) = temp_file(
        "app.yaml",
        r#"apiVersion: nines/v1
services:
  - name: s
    sources:
      - {name: app, kind: json, timestamp: ts, fields: {status: code}}
    slos:
      - name: availability
        objective: 99
        window: 1d
        sli: {source: app, bad: status >= 500}
"#,
    );
    let (_log_dir, log) = temp_file(
        "app.jsonl",
        "{\"ts\":\"2026-12-03T10:00:00Z\",\"status\":500}\n",
    );
    let input = format!("app={log}");
    let output = nines(&["report", &spec, "-i", &input]);
    assert!(
        output
            .stderr
            .contains("no event carried the field `status` (read by SLO `availability`)"),
        "{}",
        output.stderr
    );
}

/// A JSON source with fields `status` and `g`, and an SLO grouped by `g`.
fn grouped_spec() -> (tempfile::TempDir, String) {
    temp_file(
        "groups.yaml",
        r#"apiVersion: nines/v1
services:
  - name: api
    sources:
      - {name: events, kind: json, timestamp: ts, fields: {status: status, g: g}}
    slos:
      - name: availability
        objective: 99
        window: 1d
        sli: {source: events, bad: status >= 500}
        group_by: g
"#,
    )
}
