//! `nines generate prometheus` and `nines report --prometheus`.

use super::*;

/// A golden rule file of nines-prom, which its tests check with promtool.
fn golden(name: &str) -> String {
    std::fs::read_to_string(
        root()
            .join("crates/nines-prom/tests/data/golden")
            .join(name),
    )
    .unwrap()
}

#[test]
fn generate_prometheus_writes_the_rule_file() {
    let output = nines(&["generate", "prometheus", "examples/prometheus/slos.yaml"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert_eq!(output.stdout, golden("example.rules.yaml"));
    assert_eq!(
        output.stderr,
        "2 rule group(s), one per SLO measured by Prometheus\n"
    );
}

#[test]
fn generate_prometheus_writes_a_prometheus_rule_with_every_alert_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("api.yaml");
    let output = nines(&[
        "generate",
        "prometheus",
        "examples/prometheus/slos.yaml",
        "--operator",
        "--for",
        "5m",
        "--no-data-alert",
        "30m",
        "--budget-exhausted-alert",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert_eq!(output.stdout, "");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        golden("example.operator.yaml")
    );
}

#[test]
fn generate_prometheus_notes_the_slos_it_skips() {
    let output = nines(&["generate", "prometheus", "examples/website.yaml"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("note: skipped website/availability: measured from logs (source `access`)"),
        "{}",
        output.stderr
    );
    assert!(output.stdout.contains("groups: []"), "{}", output.stdout);
}

#[test]
fn generate_prometheus_writes_nothing_from_specs_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("broken.yaml");
    std::fs::write(&spec, "apiVersion: nines/v1\nservices: 3\n").unwrap();
    let output = nines(&["generate", "prometheus", spec.to_str().unwrap()]);
    assert_eq!(output.code, 2);
    assert_eq!(output.stdout, "");
    assert!(
        output
            .stderr
            .contains("the specs have errors; no rules were written"),
        "{}",
        output.stderr
    );
}

#[test]
fn report_without_prometheus_says_which_slos_have_no_data() {
    let output = nines(&[
        "report",
        "examples/prometheus/slos.yaml",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    assert!(
        output.stderr.contains(
            "warning: SLO `api/availability` is measured by Prometheus queries: pass \
             --prometheus URL to measure it; it has no data"
        ),
        "{}",
        output.stderr
    );
}

#[test]
fn report_from_an_unreachable_prometheus_is_an_input_error() {
    // Port 1 on the loopback address: nothing listens there, the connection is refused.
    let output = nines(&[
        "report",
        "examples/prometheus/slos.yaml",
        "--prometheus",
        "http://127.0.0.1:1",
        "--prometheus-retries",
        "1",
    ]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains(
            "error: SLO `api/availability` could not be measured from Prometheus: no answer \
             from http://127.0.0.1:1/api/v1/query_range after 2 attempt(s)"
        ),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("hint: check that the server runs and that the URL and port are right"),
        "{}",
        output.stderr
    );
}

#[test]
fn report_refuses_a_bad_prometheus_option() {
    let output = nines(&[
        "report",
        "examples/prometheus/slos.yaml",
        "--prometheus",
        "localhost:9090",
    ]);
    assert_eq!(output.code, 2);
    assert!(
        output
            .stderr
            .contains("--prometheus: `localhost:9090` is not an http:// or https:// URL"),
        "{}",
        output.stderr
    );
    let output = nines(&[
        "report",
        "examples/prometheus/slos.yaml",
        "--prometheus",
        "http://localhost:9090",
        "--prometheus-header",
        "X-Scope-OrgID",
    ]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.contains("hint: write NAME=VALUE"),
        "{}",
        output.stderr
    );
}

/// Three hours of counters for the example's SLOs, a sample every 15 s ending at the
/// evaluation time: per sample 40 answers with 200 and 1 with 500, and of these 41 requests
/// 39 within 0.3 s (the bucket is spelled `0.30`, as some client libraries write it).
fn three_hours(at_s: i64) -> String {
    let counter = |out: &mut String, series: &str, per_sample: i64| {
        for tick in 0..=3 * 240 {
            let at = at_s - 3 * 3_600 + tick * 15;
            out.push_str(&format!("{series} {} {at}\n", tick * per_sample));
        }
    };
    let mut out = String::from("# TYPE http_requests counter\n");
    counter(&mut out, r#"http_requests_total{job="api",code="200"}"#, 40);
    counter(&mut out, r#"http_requests_total{job="api",code="500"}"#, 1);
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    for (le, per_sample) in [("0.1", 20), ("0.30", 39), ("+Inf", 41)] {
        let series = format!(r#"http_request_duration_seconds_bucket{{job="api",le="{le}"}}"#);
        counter(&mut out, &series, per_sample);
    }
    out.push_str("# EOF\n");
    out
}

/// `nines report --prometheus` against a real Prometheus loaded with known counters.
#[test]
fn report_measures_slos_from_a_live_prometheus() {
    let Some(server) = live::Server::start(&three_hours(1_767_225_600)) else {
        return;
    };
    let output = nines(&[
        "report",
        "examples/prometheus/slos.yaml",
        "--prometheus",
        &server.url,
        "--at",
        "2026-01-01T00:00:00Z",
        "--format",
        "json",
    ]);
    // Availability has spent its budget (below), so the answer is "no".
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert_eq!(output.stderr, "");
    let json = output.json();
    let slo = |name: &str| {
        json["slos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|slo| slo["slo"] == name)
            .unwrap()
            .clone()
    };
    // 180 minutes of 4 samples: 720 × 41 = 29,520 requests, 720 × 1 = 720 failed.
    let availability = slo("availability");
    assert_eq!(availability["valid"], 29_520.0);
    assert_eq!(availability["bad"], 720.0);
    // The budget allows 0.1 % of 29,520 = 29.52 failures; 720 spend it 24.4 times over. The
    // error ratio, 1 / 41 = 2.4 %, burns 24.4 times too fast in every lookback: it pages.
    assert_eq!(availability["status"], "exhausted");
    let firing = availability["firing"].as_array().unwrap();
    assert!(firing.iter().any(|alert| alert == "page"), "{firing:?}");
    // The 0.30 bucket is the 0.3 threshold: 720 × (41 - 39) = 1,440 slow requests.
    let latency = slo("latency");
    assert_eq!(latency["valid"], 29_520.0);
    assert_eq!(latency["bad"], 1_440.0);
    // Only three hours of the 30-day window have data.
    assert_eq!(availability["coverage"]["minutes_with_data"], 180);

    // Evaluated now, eleven months later, no SLO has an event in its window: that is an
    // input error, not a healthy report.
    let now = nines(&[
        "report",
        "examples/prometheus/slos.yaml",
        "--prometheus",
        &server.url,
    ]);
    assert_eq!(now.code, 2, "{}", now.stderr);
    assert!(
        now.stderr
            .contains("Prometheus returned no events for any SLO in its window"),
        "{}",
        now.stderr
    );
}

/// A real Prometheus for the tests, when the tools are installed.
mod live {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// Set to `1` to make missing tools a failure rather than a skipped test.
    const REQUIRE: &str = "NINES_REQUIRE_PROMETHEUS";

    /// A `prometheus` serving data loaded with `promtool`, killed when dropped.
    pub(super) struct Server {
        child: Child,
        pub(super) url: String,
        _dir: tempfile::TempDir,
    }

    impl Server {
        /// Loads `openmetrics` and serves it on a free loopback port; none, with a notice,
        /// when the tools are missing (a failure when `NINES_REQUIRE_PROMETHEUS=1`).
        pub(super) fn start(openmetrics: &str) -> Option<Server> {
            let (Some(prometheus), Some(promtool)) = (which("prometheus"), which("promtool"))
            else {
                let reason = "prometheus and promtool are not on the PATH \
                              (apt-get install prometheus)";
                assert!(std::env::var(REQUIRE).as_deref() != Ok("1"), "{reason}");
                eprintln!("skipped: {reason}; set {REQUIRE}=1 to make this a failure");
                return None;
            };
            let dir = tempfile::tempdir().unwrap();
            let input = dir.path().join("data.om");
            std::fs::write(&input, openmetrics).unwrap();
            let data = dir.path().join("data");
            let status = Command::new(promtool)
                .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet"])
                .arg(&input)
                .arg(&data)
                .status()
                .unwrap();
            assert!(status.success(), "promtool failed: {status}");
            let config = dir.path().join("prometheus.yml");
            std::fs::write(&config, "global:\n  scrape_interval: 1h\n").unwrap();
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new(prometheus)
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--storage.tsdb.retention.time=100y")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let server = Server {
                child,
                url: format!("http://127.0.0.1:{port}"),
                _dir: dir,
            };
            server.wait_until_ready(port);
            Some(server)
        }

        /// Polls `/-/ready`: Prometheus answers 503 until it has loaded its blocks.
        fn wait_until_ready(&self, port: u16) {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
                    let mut answer = String::new();
                    let asked = stream.write_all(b"GET /-/ready HTTP/1.0\r\n\r\n");
                    if asked.is_ok()
                        && stream.read_to_string(&mut answer).is_ok()
                        && answer.starts_with("HTTP/1.0 200")
                    {
                        return;
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            panic!("Prometheus at {} was not ready within 60 s", self.url);
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn which(name: &str) -> Option<PathBuf> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    }
}

/// A spec whose Prometheus parts break: a query that does not parse, labels the rules cannot
/// carry; beside them a placeholder written with spaces, which is fine, and an error-ratio SLI,
/// which only the rules measure.
const PROMETHEUS_PROBLEMS: &str = r#"apiVersion: nines/v1
services:
  - name: api
    labels:
      app.kubernetes.io/name: api
    slos:
      - name: availability
        objective: 99.9
        window: 30d
        labels:
          severity: high
        sli:
          prometheus:
            errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}])
            total: sum(rate(http_requests_total[{{ .window }}]))
      - name: ratio
        objective: 99
        window: 30d
        sli:
          prometheus:
            error_ratio: sum(rate(e[{{ .window }}])) / sum(rate(t[{{ .window }}]))
"#;

#[test]
fn validate_checks_what_prometheus_will_read() {
    let (_dir, path) = temp_file("slos.yaml", PROMETHEUS_PROBLEMS);
    let output = nines(&["validate", &path]);
    assert_eq!(output.code, 2);
    insta::assert_snapshot!(output.transcript().replace(&path, "slos.yaml"));

    // The same file, fixed, is clean but for the note on the error ratio.
    let fixed = PROMETHEUS_PROBLEMS
        .replace("app.kubernetes.io/name", "app")
        .replace("severity", "urgency")
        .replace("[{{.window}}])\n", "[{{.window}}]))\n");
    let (_dir, path) = temp_file("slos.yaml", &fixed);
    let output = nines(&["validate", &path]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stderr
            .ends_with("1 file(s), 1 service(s), 2 SLO(s): 0 error(s), 1 warning(s)\n"),
        "{}",
        output.stderr
    );

    // The placeholder with spaces reaches the rules as the range, like Sloth's.
    let generated = nines(&["generate", "prometheus", &path]);
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    assert!(
        generated
            .stdout
            .contains("expr: sum(rate(http_requests_total[5m]))\n"),
        "{}",
        generated.stdout
    );
    assert!(
        !generated.stdout.contains(".window"),
        "{}",
        generated.stdout
    );
    // The note on the error ratio is for `validate`; the rules measure it.
    assert!(
        !generated.stderr.contains("error-ratio"),
        "{}",
        generated.stderr
    );
}

#[test]
fn generate_gives_the_prometheus_rule_a_namespace_and_labels() {
    let output = nines(&[
        "generate",
        "prometheus",
        "examples/prometheus/slos.yaml",
        "--operator",
        "--namespace",
        "monitoring",
        "--label",
        "prometheus=k8s",
        "--label",
        "app.kubernetes.io/part-of=shop",
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output.stdout.contains(
            "metadata:\n  name: nines-api\n  namespace: monitoring\n  labels:\n    \
             app.kubernetes.io/managed-by: nines\n    app.kubernetes.io/part-of: shop\n    \
             prometheus: k8s\nspec:\n"
        ),
        "{}",
        output.stdout
    );

    // Kubernetes would refuse these: nothing is written.
    for (flag, value, message) in [
        ("--label", "prometheus", "--label `prometheus` has no value"),
        (
            "--label",
            "team name=x",
            "--label `team name=x`: `team name` is not a Kubernetes label key",
        ),
        (
            "--label",
            "team=a b",
            "--label `team=a b`: `a b` is not a Kubernetes label value",
        ),
        (
            "--namespace",
            "Monitoring",
            "--namespace `Monitoring` is not a Kubernetes namespace name",
        ),
    ] {
        let output = nines(&[
            "generate",
            "prometheus",
            "examples/prometheus/slos.yaml",
            "--operator",
            flag,
            value,
        ]);
        assert_eq!(output.code, 2, "{}", output.stderr);
        assert_eq!(output.stdout, "");
        assert!(output.stderr.contains(message), "{}", output.stderr);
    }

    // They are the resource's: without --operator there is none.
    let output = nines(&[
        "generate",
        "prometheus",
        "examples/prometheus/slos.yaml",
        "--namespace",
        "monitoring",
    ]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(output.stderr.contains("--operator"), "{}", output.stderr);
}

#[test]
fn generate_reads_a_file_given_twice_once_and_says_each_thing_once() {
    let output = nines(&[
        "generate",
        "prometheus",
        "examples/openslo",
        "examples/openslo/checkout.yaml",
        "--output",
        "/dev/null",
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let mut lines: Vec<&str> = output.stderr.lines().collect();
    assert!(lines.len() > 3, "{}", output.stderr);
    let count = lines.len();
    lines.sort_unstable();
    lines.dedup();
    // Hints may repeat, as several warnings share one; the warnings do not.
    let hints = output
        .stderr
        .lines()
        .filter(|l| l.starts_with("  hint"))
        .count();
    let distinct_hints = lines.iter().filter(|l| l.starts_with("  hint")).count();
    assert_eq!(
        count - hints,
        lines.len() - distinct_hints,
        "{}",
        output.stderr
    );
}

/// `three_hours` without a single failed request: the 500 series never appear.
fn three_healthy_hours(at_s: i64) -> String {
    three_hours(at_s)
        .lines()
        .filter(|line| !line.contains("code=\"500\""))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// An error series that does not exist yet means no errors, as in the generated rules' `or
/// on() vector(0)`: the report measures the SLO instead of calling it no data. Since a
/// misspelt errors query looks the same, one warning says so.
#[test]
fn report_counts_a_missing_error_series_as_no_errors() {
    let Some(server) = live::Server::start(&three_healthy_hours(1_767_225_600)) else {
        return;
    };
    let output = nines(&[
        "report",
        "examples/prometheus/slos.yaml",
        "--prometheus",
        &server.url,
        "--at",
        "2026-01-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(
        output.stderr,
        "warning: api/availability: the errors query gave no sample in the whole range while \
         the total query did, so every minute with a total was counted as zero errors (an \
         error counter that has never counted has no series either); check its metric name \
         and labels: sum(rate(http_requests_total{job=\"api\",code=~\"5..\"}[1m]))\n"
    );
    let json = output.json();
    let availability = json["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|slo| slo["slo"] == "availability")
        .unwrap()
        .clone();
    // 180 minutes of 4 samples of 40 requests: 28,800, none failed.
    assert_eq!(availability["valid"], 28_800.0);
    assert_eq!(availability["bad"], 0.0);
    assert_eq!(availability["coverage"]["minutes_with_data"], 180);
    assert_eq!(availability["status"], "ok");
}

#[test]
fn generate_takes_a_no_data_lookback_of_whole_minutes_up_to_400_days() {
    let generate = |lookback: &str| {
        nines(&[
            "generate",
            "prometheus",
            "examples/prometheus/slos.yaml",
            "--no-data-alert",
            lookback,
        ])
    };
    for (lookback, message) in [
        (
            "90s",
            "error: --no-data-alert: 90s is not a whole number of minutes",
        ),
        (
            "401d",
            "error: --no-data-alert: 401d is longer than 400 days",
        ),
        (
            "-5m",
            "error: --no-data-alert: `-5m` is not a duration: it must be longer than zero",
        ),
        (
            "0m",
            "error: --no-data-alert: `0m` is not a duration: it must be longer than zero",
        ),
    ] {
        let output = generate(lookback);
        assert_eq!(output.code, 2, "{lookback}: {}", output.stderr);
        assert_eq!(output.stdout, "");
        assert!(output.stderr.starts_with(message), "{}", output.stderr);
        assert!(
            output
                .stderr
                .contains("hint: give whole minutes from 1m to 400d, such as 30m or 1h"),
            "{}",
            output.stderr
        );
    }

    // The bounds themselves are taken; a lookback under 5m says what it risks, once, and
    // nothing about the alerts' lookbacks, which are the preset's.
    let longest = generate("400d");
    assert_eq!(longest.code, 0, "{}", longest.stderr);
    assert!(longest.stdout.contains("SLONoData"), "{}", longest.stdout);
    let shortest = generate("1m");
    assert_eq!(shortest.code, 0, "{}", shortest.stderr);
    assert!(
        shortest.stdout.contains("slo:sli_valid:rate1m"),
        "{}",
        shortest.stdout
    );
    assert_eq!(
        shortest.stderr,
        "note: --no-data-alert 1m reads rate() over 1m, which holds too few samples at scrape \
         intervals of 30s or more: SLONoData may fire while requests flow; 5m or more is safer\n\
         2 rule group(s), one per SLO measured by Prometheus\n"
    );
}

#[test]
fn generate_refuses_a_label_given_twice() {
    let output = nines(&[
        "generate",
        "prometheus",
        "examples/prometheus/slos.yaml",
        "--operator",
        "--label",
        "prometheus=k8s",
        "--label",
        "prometheus=main",
    ]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert_eq!(output.stdout, "");
    assert!(
        output.stderr.starts_with(
            "error: --label `prometheus` is given twice, as `k8s` and as `main`\n  hint: a \
             Kubernetes label has one value: give each key once"
        ),
        "{}",
        output.stderr
    );
}
