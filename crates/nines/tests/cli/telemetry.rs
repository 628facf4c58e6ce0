//! `nines report` on traces, counter snapshots and Prometheus scrapes: the README's examples in
//! `examples/telemetry/`, with every number worked out by hand from the files.

use super::*;

/// Runs `nines report` on an example spec with the JSON format; `inputs` are SOURCE=FILE with
/// FILE under `examples/telemetry/`.
fn report(spec: &str, inputs: &[(&str, &str)]) -> Output {
    let spec = format!("examples/telemetry/{spec}");
    let inputs: Vec<String> = inputs
        .iter()
        .map(|(source, file)| format!("{source}=examples/telemetry/{file}"))
        .collect();
    let mut args = vec!["report", spec.as_str(), "--format", "json"];
    for input in &inputs {
        args.extend(["--input", input.as_str()]);
    }
    nines(&args)
}

/// The SLO named `name` of a JSON report.
fn slo<'j>(json: &'j serde_json::Value, name: &str) -> &'j serde_json::Value {
    json["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|slo| slo["slo"] == name)
        .unwrap_or_else(|| panic!("no SLO `{name}`"))
}

/// The input section of `source` (`service/source`).
fn input<'j>(json: &'j serde_json::Value, source: &str) -> &'j serde_json::Value {
    json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|input| input["source"] == source)
        .unwrap_or_else(|| panic!("no input for `{source}`"))
}

/// Valid, bad and SLI of an SLO, checked against the hand-worked numbers.
fn assert_sli(slo: &serde_json::Value, valid: f64, bad: f64) {
    assert_eq!(
        slo["valid"].as_f64(),
        Some(valid),
        "valid of {}",
        slo["slo"]
    );
    assert_eq!(slo["bad"].as_f64(), Some(bad), "bad of {}", slo["slo"]);
    assert_close(slo["sli"].as_f64().unwrap(), (valid - bad) / valid);
}

#[test]
fn otlp_spans_and_traces() {
    let output = report(
        "otlp.yaml",
        &[
            ("spans", "otlp_traces.jsonl"),
            ("traces", "otlp_traces.jsonl"),
        ],
    );
    // Both SLOs have spent their budget: the answer is "no".
    assert_eq!(output.code, 1, "{}", output.stderr);
    let json = output.json();
    // The newest span ends at 10:04:50.1; the report is evaluated at the end of that minute.
    assert_eq!(json["evaluated_at"], "2026-01-05T10:05:00Z");

    // Server spans: GET /cart 0.12 s, POST /pay 0.04 s, GET /cart 0.45 s, /healthz,
    // POST /checkout 0.3 s (error), POST /pay 0.2 s (error), GET /cart 0.08 s, and the lone
    // POST /pay 0.1 s. The GET /cart at 10:04:40 never ended: incomplete, not an event.
    // Valid (not /healthz): 7; bad (error status): 2; SLI 5 / 7.
    let availability = slo(&json, "availability");
    assert_sli(availability, 7.0, 2.0);
    // allowed = (1 − 0.99) × 7 = 0.07; remaining = 1 − 2 / 0.07 = −27.571…
    assert_close(
        availability["error_budget"]["remaining"].as_f64().unwrap(),
        1.0 - 2.0 / 0.07,
    );
    assert_eq!(availability["status"], "exhausted");

    // Traces by their root span: 0.12 s, 0.45 s, /healthz, 0.3 s (failed), 0.08 s. The trace
    // whose root never ended and the one whose root was lost are incomplete.
    // Valid 4; good (≤ 0.4 s): 0.12, 0.3, 0.08; bad 1; SLI 3 / 4.
    assert_sli(slo(&json, "latency"), 4.0, 1.0);

    let spans = input(&json, "checkout-traced/spans");
    assert_eq!(spans["events"], 8);
    assert_eq!(spans["malformed"]["incomplete span (no end time)"], 1);
    assert_eq!(spans["malformed_samples"][0]["line"], 7);
    let traces = input(&json, "checkout-traced/traces");
    // Five traces became events; two are counted as incomplete.
    assert_eq!(traces["events"], 5);
    assert_eq!(traces["malformed"]["incomplete trace (no root span)"], 1);
    assert_eq!(
        traces["malformed"]["incomplete trace (root span has no end time)"],
        1
    );
}

#[test]
fn the_otlp_protocol_example_reads_as_one_server_span() {
    let (_dir, spec) = temp_file(
        "spec.yaml",
        "apiVersion: nines/v1
services:
  - name: my.service
    sources:
      - {name: spans, kind: otlp}
    slos:
      - name: latency
        objective: 99
        window: 1d
        sli: {source: spans, valid: service == \"my.service\", good: latency <= 1}
",
    );
    let example = "spans=crates/nines-ingest/tests/data/otlp_trace_example.json";
    let output = nines(&["report", &spec, "--input", example, "--format", "json"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let json = output.json();
    // One server span from 1544712660 s to 1544712661 s: 1 s, ending at 14:51:01 on
    // 13 December 2018. It takes exactly 1 s, which `latency <= 1` counts as good: 1 / 1.
    assert_eq!(json["evaluated_at"], "2018-12-13T14:52:00Z");
    assert_sli(&json["slos"][0], 1.0, 0.0);
    // The pretty-printed file is one document of 51 lines.
    assert_eq!(json["inputs"][0]["lines"], 51);
}

#[test]
fn zipkin_shared_and_repeated_spans_count_once() {
    let output = report(
        "zipkin.yaml",
        &[
            ("spans", "zipkin_spans.json"),
            ("traces", "zipkin_spans.json"),
        ],
    );
    assert_eq!(output.code, 1, "{}", output.stderr);
    let json = output.json();

    // Server spans: GET /api/items 0.25 s and 0.45 s (each shared with a client span of the
    // same id, which is not counted), POST /api/orders (500, error; reported twice, counted
    // once), GET /api/items 0.08 s. The GET at 10:03 has no duration: incomplete.
    // Valid 4, bad 1: SLI 3 / 4.
    assert_sli(slo(&json, "availability"), 4.0, 1.0);
    // Traces, from the side that began them: 0.3 s and 0.5 s (the client sides), 0.12 s,
    // 0.08 s. Good (≤ 0.4 s): 3 of 4.
    assert_sli(slo(&json, "latency"), 4.0, 1.0);

    let spans = input(&json, "backend/spans");
    assert_eq!(spans["events"], 4);
    assert_eq!(spans["malformed"]["duplicate span"], 1);
    assert_eq!(spans["malformed"]["incomplete span (no duration)"], 1);
    // Each problem is shown at the line its span starts on in the pretty-printed array.
    let samples = spans["malformed_samples"].as_array().unwrap();
    let lines: Vec<_> = samples
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [25, 30]);
    assert!(output.stderr.contains(
        "examples/telemetry/zipkin_spans.json:30: incomplete span (no duration): span \
         0c1d2e3f4a5b6c7d `get /api/items` of trace 0c1d2e3f4a5b6c7d"
    ));
}

#[test]
fn counter_snapshots_become_increases_per_series() {
    let output = report("counters.yaml", &[("status-api", "nginx_status.jsonl")]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let json = output.json();
    // shop 2xx: 1000 → 1100 → 1180 → 30 (restart) → 130: +100 +80 +30 +100 = 310
    // shop 4xx: 10 → 12 → 12 → 0 (restart) → 2:          +2 +0 +0 +2 = 4
    // shop 5xx: 5 → 5 → 7 → 0 (restart) → 1:             +0 +2 +0 +1 = 3
    // api 2xx: 500 → 560 → (missed) → 680 → 740:         +60 +120 +60 = 240
    // api 5xx: 2 → 2 → (missed) → 3 → 3:                 +0 +1 +0 = 1
    // Valid 310 + 4 + 3 + 240 + 1 = 558; bad (5xx) 3 + 1 = 4; SLI 554 / 558.
    // Summing the zones first would have read the restart as a drop from 1,199 to 30.
    let availability = &json["slos"][0];
    assert_sli(availability, 558.0, 4.0);
    // allowed = 0.01 × 558 = 5.58; remaining = 1 − 4 / 5.58
    assert_close(
        availability["error_budget"]["remaining"].as_f64().unwrap(),
        1.0 - 4.0 / 5.58,
    );
    let groups = availability["groups"].as_array().unwrap();
    // api: 240 + 0 + 1 = 241 valid, 1 bad; shop: 317 valid, 3 bad.
    assert_eq!(
        (groups[0]["group"].as_str(), groups[0]["valid"].as_f64()),
        (Some("api"), Some(241.0))
    );
    assert_eq!(
        (groups[1]["group"].as_str(), groups[1]["bad"].as_f64()),
        (Some("shop"), Some(3.0))
    );
    // The first poll is the baseline; each increase is counted in the minute before its poll
    // (the api zone's +120 across the missed poll as 60 in 10:01 and 60 in 10:02), so the
    // newest requests are in minute 10:03 and the window is [4 Jan 10:04, 5 Jan 10:04), with
    // data in 4 of its 1,440 minutes.
    assert_eq!(json["evaluated_at"], "2026-01-05T10:04:00Z");
    assert_eq!(availability["coverage"]["minutes_with_data"], 4);
    let gap = &availability["gaps"]["intervals"][0];
    assert_eq!(gap["start"], "2026-01-04T10:04:00Z");
    assert_eq!(gap["end"], "2026-01-05T10:00:00Z");
    // The poll cut short at line 4 is counted, not read as zeros.
    let input = &json["inputs"][0];
    assert_eq!(input["malformed"]["incomplete JSON document"], 1);
    assert_eq!(input["malformed_samples"][0]["line"], 4);
}

#[test]
fn prometheus_scrapes_give_counters_and_histograms() {
    let output = report(
        "prometheus.yaml",
        &[("requests", "metrics.prom"), ("durations", "metrics.prom")],
    );
    assert_eq!(output.code, 0, "{}", output.stderr);
    let json = output.json();
    // code 200: 1000 → 1300 → 1600 → 250 (restart): +300 +300 +250 = 850
    // code 500: 3 → 4 → 6 → 1 (restart):            +1 +2 +1 = 4
    // Valid 854, bad 4: SLI 850 / 854.
    assert_sli(slo(&json, "availability"), 854.0, 4.0);
    // +Inf bucket: 1003 → 1304 → 1606 → 251: +301 +302 +251 = 854 valid.
    // latency ≤ 1 takes the le="1.0" bucket, then le="1" after the restart:
    // 995 → 1295 → 1596 → 248: +300 +301 +248 = 849 good; bad 5; SLI 849 / 854.
    assert_sli(slo(&json, "latency"), 854.0, 5.0);
    // Scrapes every minute from 10:00: the requests counted by the last one, at 10:03, were
    // served in minute 10:02, so the report is evaluated at its end, 10:03.
    assert_eq!(json["evaluated_at"], "2026-01-05T10:03:00Z");
    // The gauge, the summary-like _sum and _count series and NaN are not problems.
    for source in ["catalog/requests", "catalog/durations"] {
        assert_eq!(input(&json, source)["malformed"], serde_json::json!({}));
    }
}

#[test]
fn the_table_names_the_longest_gaps_and_what_was_skipped() {
    let spec = "examples/telemetry/counters.yaml";
    let input = "status-api=examples/telemetry/nginx_status.jsonl";
    let output = nines(&["report", spec, "--input", input]);
    assert_eq!(output.code, 0);
    insta::assert_snapshot!(output.transcript());
}

#[test]
fn wrong_source_options_are_reported_where_they_are_written() {
    let (_dir, spec) = temp_file(
        "spec.yaml",
        "apiVersion: nines/v1
services:
  - name: shop
    sources:
      - {name: spans, kind: otlp, mode: traces, format: combined}
      - {name: zipkin, kind: zipkin, span_kinds: []}
      - name: status
        kind: counters
        counters:
          - {path: zones.eu.5xx, fields: {status: five}}
      - {name: requests, kind: prometheus-text, metric: http_requests_total, buckets: [1]}
      - {name: durations, kind: prometheus-text, histogram: d_seconds, buckets: [0.1, 0.5]}
    slos:
      - name: latency
        objective: 99
        window: 30d
        sli: {source: durations, good: latency <= 0.3}
",
    );
    let output = nines(&["validate", &spec]);
    assert_eq!(output.code, 2);
    let expected = [
        ":5:41: the trace mode cannot be `traces`",
        ":5:49: `format` does not apply to a source of kind `otlp`",
        ":6:50: `span_kinds` lists no kind, so no span would count",
        ":7:9: a counters source has no `timestamp`",
        ":10:51: field `status` is int, not `five`",
        ":11:87: `buckets` applies only to a `histogram`",
        ":17:40: the latency threshold lies between the bucket bounds 0.1 and 0.5 of \
         `d_seconds`",
    ];
    for message in expected {
        assert!(
            output.stderr.contains(message),
            "missing `{message}` in:\n{}",
            output.stderr
        );
    }
}
