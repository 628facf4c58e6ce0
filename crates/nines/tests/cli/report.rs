//! `nines report` on the real access log shipped in examples/.

use super::*;

const SPEC: &str = "examples/website.yaml";
const LOG: &str = "access=examples/apache_combined_2015.log";

#[test]
fn the_readme_command_prints_the_table() {
    let output = nines(&["report", SPEC, "--input", LOG]);
    assert_eq!(output.code, 0);
    insta::assert_snapshot!(output.transcript());
}

#[test]
fn every_number_of_the_real_log_worked_out() {
    let output = nines(&["report", SPEC, "--input", LOG, "--format", "json"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let json = output.json();
    let slo = &json["slos"][0];
    // The newest request is at 2015-05-20T21:05:59: the report is evaluated at the end of
    // that minute, and the 7-day window starts 7 days earlier.
    assert_eq!(json["evaluated_at"], "2015-05-20T21:06:00Z");
    assert_eq!(slo["window_start"], "2015-05-13T21:06:00Z");
    // 10,000 lines, one cut off (line 8,899): 9,999 valid requests, of which 3 have status
    // 500 (`awk '$9 >= 500'` finds the same three).
    assert_eq!(slo["valid"], 9_999);
    assert_eq!(slo["bad"], 3);
    assert_eq!(slo["good"], 9_996);
    // SLI = 9,996 / 9,999
    assert_close(slo["sli"].as_f64().unwrap(), 9_996.0 / 9_999.0);
    // allowed = (1 − 0.995) × 9,999 = 49.995; consumed = 3 / 49.995 = 0.060006…
    let budget = &slo["error_budget"];
    assert_close(budget["allowed"].as_f64().unwrap(), 49.995);
    assert_close(budget["remaining"].as_f64().unwrap(), 1.0 - 3.0 / 49.995);
    // Burn over the window = (3 / 9,999) / 0.005 = 0.060006…
    assert_close(
        slo["burn_rates"]["window"].as_f64().unwrap(),
        3.0 / 9_999.0 / 0.005,
    );
    // Every request falls in minute :05 of its hour: the last 5 minutes hold the 21:05
    // requests, all good; the 1d lookback [19 May 21:06, 20 May 21:06) holds 2,821 lines
    // (`awk` over the log), one of them the cut-off line: 2,820 requests, with one 500 at
    // 20 May 14:05:16: burn = (1 / 2,820) / 0.005.
    assert_close(slo["burn_rates"]["5m"].as_f64().unwrap(), 0.0);
    assert_close(
        slo["burn_rates"]["1d"].as_f64().unwrap(),
        1.0 / 2_820.0 / 0.005,
    );
    // The google-30d preset scaled to 7 days: (14m, 1m) at 14.4 … (16h48m, 1h24m) at 1.
    let alerts = slo["alerts"].as_array().unwrap();
    assert_eq!(alerts[0]["long"], "14m");
    assert_eq!(alerts[0]["short"], "1m");
    assert_eq!(alerts[3]["long"], "16h48m");
    assert_eq!(slo["status"], "ok");
    // The input section counts the cut-off line by reason.
    let input = &json["inputs"][0];
    assert_eq!(input["lines"], 10_000);
    assert_eq!(input["events"], 9_999);
    assert_eq!(input["malformed_samples"][0]["line"], 8_899);
}

#[test]
fn json_keys_follow_the_schema() {
    let output = nines(&[
        "report",
        SPEC,
        "--input",
        LOG,
        "--format",
        "json",
        "--history",
        "1d",
    ]);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    assert_documented(&output.json(), &schema, "$");
}

/// Every key of `value` is a property of `schema` (recursively through objects and arrays).
fn assert_documented(value: &serde_json::Value, schema: &serde_json::Value, at: &str) {
    match value {
        serde_json::Value::Object(map) => {
            let properties = &schema["properties"];
            for (key, item) in map {
                if properties.is_object() {
                    let Some(sub) = properties.get(key) else {
                        panic!("{at}.{key} is not in docs/report.schema.json");
                    };
                    assert_documented(item, sub, &format!("{at}.{key}"));
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                assert_documented(item, &schema["items"], &format!("{at}[]"));
            }
        }
        _ => {}
    }
}

#[test]
fn csv_has_one_row_per_slo() {
    let output = nines(&["report", SPEC, "--input", LOG, "--format", "csv"]);
    assert_eq!(output.code, 0);
    insta::assert_snapshot!(output.stdout);
}

#[test]
fn history_steps_across_the_window() {
    let output = nines(&[
        "report",
        SPEC,
        "--input",
        LOG,
        "--format",
        "json",
        "--history",
        "1d",
    ]);
    let history = output.json()["slos"][0]["history"]
        .as_array()
        .unwrap()
        .clone();
    // Seven daily steps ending at the evaluation time.
    assert_eq!(history.len(), 7);
    assert_eq!(history[6]["at"], "2015-05-20T21:06:00Z");
    assert_eq!(history[0]["at"], "2015-05-14T21:06:00Z");
    // Before the first request the window has no data: no SLI, the whole budget left.
    assert!(history[0]["sli"].is_null());
    assert_eq!(history[0]["error_budget_remaining"], 1.0);
}

#[test]
fn an_evaluation_time_before_the_outage_sees_none_of_it() {
    // At 18 May 03:00 the window holds the requests of 17 May 10:05 … 18 May 02:05, none bad.
    let output = nines(&[
        "report",
        SPEC,
        "--input",
        LOG,
        "--format",
        "json",
        "--at",
        "2015-05-18T03:00:00Z",
    ]);
    let slo = &output.json()["slos"][0];
    assert_eq!(slo["bad"], 0);
    assert_eq!(slo["sli"], 1.0);
}

#[test]
fn an_evaluation_time_inside_a_minute_is_shown_rounded_down() {
    let output = nines(&[
        "report",
        "examples/website.yaml",
        "-i",
        "access=examples/apache_combined_2015.log",
        "--at",
        "2015-05-20T12:00:30Z",
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stdout
            .starts_with("evaluated at 2015-05-20T12:00:00Z (--at, rounded down to the minute)"),
        "{}",
        output.stdout
    );
}

#[test]
fn history_is_printed_in_the_table_and_as_csv_rows() {
    let args = [
        "report",
        "examples/website.yaml",
        "-i",
        "access=examples/apache_combined_2015.log",
        "--history",
        "1d",
    ];
    let table = nines(&args);
    assert_eq!(table.code, 0, "{}", table.stderr);
    // The 7-day window ends at 2015-05-20T21:06Z; steps of 1d give seven points, the last at
    // the evaluation time with the report's own numbers (SLI 9,996 / 9,999 = 99.970 %, 94.0 %
    // of the budget left: 3 bad of 0.005 × 9,999 = 49.995 allowed).
    assert!(table.stdout.contains("history of website/availability:"));
    assert!(
        table
            .stdout
            .contains("2015-05-20T21:06:00Z   99.970 %       94.0 %  -"),
        "{}",
        table.stdout
    );
    let csv = nines(&[&args[..], &["--format", "csv"]].concat());
    let rows: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(rows[0], "service,slo,at,sli,error_budget_remaining,firing");
    assert_eq!(rows.len(), 1 + 7);
    // The log starts on 2015-05-17: the first steps have no SLI and nothing spent.
    assert_eq!(rows[1], "website,availability,2015-05-14T21:06:00Z,,1.0,");
}

#[test]
fn the_exposition_has_each_group_beside_the_whole() {
    // 10 requests in the hour before 12:01: 6 GETs (1 server error) and 4 POSTs (2 server
    // errors). Objective 90 %, budget 10 %.
    // Whole: 3 bad of 10 → SLI 0.7; budget allowed 0.1 × 10 = 1, remaining 1 − 3 = −2.
    // GET: 1 of 6 → SLI 5/6; allowed 0.6, remaining 1 − 1 / 0.6 = −2/3.
    // POST: 2 of 4 → SLI 0.5; allowed 0.4, remaining 1 − 2 / 0.4 = −4.
    let spec = "apiVersion: nines/v1\nservices:\n  - name: web\n    sources:\n      - {name: access, kind: access-log, format: combined}\n    slos:\n      - name: availability\n        objective: 90\n        window: 1h\n        sli: {source: access, bad: status >= 500}\n        group_by: method\n";
    let mut log = String::new();
    for (i, (method, status)) in [
        ("GET", 200),
        ("GET", 200),
        ("GET", 503),
        ("GET", 200),
        ("GET", 200),
        ("GET", 200),
        ("POST", 500),
        ("POST", 201),
        ("POST", 502),
        ("POST", 201),
    ]
    .iter()
    .enumerate()
    {
        log.push_str(&format!(
            "10.0.0.1 - - [10/Oct/2026:11:{:02}:00 +0000] \"{method} / HTTP/1.1\" {status} 1 \"-\" \"t\"\n",
            10 + i
        ));
    }
    let (_spec_dir, spec_path) = temp_file("slos.yaml", spec);
    let (_log_dir, log_path) = temp_file("access.log", &log);
    let input = format!("access={log_path}");
    let output = nines(&[
        "report",
        &spec_path,
        "-i",
        &input,
        "--at",
        "2026-10-10T12:01:00Z",
        "--format",
        "prometheus",
    ]);
    let text = &output.stdout;
    let has = |line: &str| assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    has(r#"nines_slo_sli_ratio{service="web",slo="availability"} 0.7"#);
    has(r#"nines_slo_sli_ratio{service="web",slo="availability",group="POST"} 0.5"#);
    has(r#"nines_slo_error_budget_remaining_ratio{service="web",slo="availability"} -2"#);
    has(
        r#"nines_slo_error_budget_remaining_ratio{service="web",slo="availability",group="POST"} -4"#,
    );
    has(r#"nines_slo_window_events{service="web",slo="availability",group="GET",kind="bad"} 1"#);
    has(r#"nines_slo_window_events{service="web",slo="availability",group="GET",kind="good"} 5"#);
    let get = text
        .lines()
        .find_map(|l| {
            l.strip_prefix(r#"nines_slo_sli_ratio{service="web",slo="availability",group="GET"} "#)
        })
        .expect("the GET group's SLI");
    assert!((get.parse::<f64>().unwrap() - 5.0 / 6.0).abs() < 1e-12);
    // The objective is a property of the SLO: written once, without a group.
    assert_eq!(text.matches("nines_slo_objective_ratio{").count(), 1);
}

#[test]
fn the_exposition_prints_objectives_exactly() {
    // 99.9 / 100 in floating point is 0.9990000000000001; the objective is the decimal 0.999.
    let spec = std::fs::read_to_string(root().join("examples/website.yaml"))
        .unwrap()
        .replace("objective: 99.5", "objective: 99.9");
    let (_dir, spec_path) = temp_file("website.yaml", &spec);
    let output = nines(&[
        "report",
        &spec_path,
        "-i",
        "access=examples/apache_combined_2015.log",
        "--format",
        "prometheus",
    ]);
    assert!(
        output.stdout.contains(
            "nines_slo_objective_ratio{service=\"website\",slo=\"availability\"} 0.999\n"
        ),
        "{}",
        output.stdout
    );
}
