//! The Prometheus source against a real Prometheus: known counters are written as OpenMetrics,
//! loaded with `promtool tsdb create-blocks-from openmetrics`, served by `prometheus` on a
//! loopback port, and fetched through the client. The engine's report from the fetched series
//! must equal its report from the same per-minute counts built directly.
//!
//! Needs `prometheus` and `promtool` on the PATH (see [`crate::tools`]).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use nines_core::duration::Duration;
use nines_core::series::{Counts, MINUTE_MS, SloSeries};
use nines_core::slo::{AlertRule, Budgeting, PromSli, Sli, Slo};
use nines_core::window::Window;
use nines_engine::report::Status;
use nines_engine::{Options, evaluate, range_needed};
use nines_prom::source::{Client, ClientOptions, Role, Warning, fetch_all, fetch_series};

use crate::tools::Tools;

/// The evaluation time: 2025-03-04T12:00:00Z.
const AT_MS: i64 = 1_741_089_600_000;
/// The data start 3 days and 30 minutes before it, and end 30 minutes after it.
const FIRST_MINUTE: i64 = AT_MS / MINUTE_MS - 3 * 1_440 - 30;
const MINUTES: i64 = 3 * 1_440 + 60;
/// Seconds between samples: four per minute, as a 15s scrape interval gives.
const SAMPLE_SECONDS: i64 = 15;

// What happens, in minutes since FIRST_MINUTE. The evaluation reads minutes 30..4350.
/// The 5xx series appear only 3 hours into the range: before, errors have no samples at all,
/// which counts as no errors, as in the generated rules.
const ERRORS_APPEAR: i64 = 30 + 180;
/// Scrapes failed for half an hour: no samples of any series.
const NO_SAMPLES: std::ops::Range<i64> = 30 + 1_440..30 + 1_440 + 30;
/// No traffic for two hours: the counters stay flat.
const NO_TRAFFIC: std::ops::Range<i64> = 30 + 2 * 1_440..30 + 2 * 1_440 + 120;
/// The service in `a` restarts: its 2xx counter drops to zero mid-minute.
const RESET_MINUTE: i64 = 30 + 2 * 1_440 + 600;
/// A burst of errors in the last 20 minutes before the evaluation.
const BURST: std::ops::Range<i64> = 30 + 3 * 1_440 - 20..30 + 3 * 1_440 + 10;

/// One counter series: its name with labels, and its increase per sample interval by minute.
struct Counter {
    series: String,
    per_interval: fn(i64) -> f64,
    alive: fn(i64) -> bool,
    reset_at: Option<i64>,
}

fn always(minute: i64) -> bool {
    !NO_SAMPLES.contains(&minute)
}

fn errors_alive(minute: i64) -> bool {
    always(minute) && minute >= ERRORS_APPEAR
}

fn quiet(minute: i64) -> bool {
    NO_TRAFFIC.contains(&minute)
}

fn ok_a(minute: i64) -> f64 {
    if quiet(minute) {
        0.0
    } else {
        10.0 + (minute % 7) as f64
    }
}

fn ok_b(minute: i64) -> f64 {
    if quiet(minute) {
        0.0
    } else {
        12.0 + (minute % 5) as f64
    }
}

fn errors_a(minute: i64) -> f64 {
    match minute {
        m if quiet(m) => 0.0,
        m if BURST.contains(&m) => 8.0,
        m => f64::from(u8::from(m % 37 == 0)),
    }
}

fn errors_b(minute: i64) -> f64 {
    if BURST.contains(&minute) { 30.0 } else { 0.0 }
}

/// Requests of `a` faster than 0.3 s: all but a few of the good ones.
fn fast_a(minute: i64) -> f64 {
    (ok_a(minute) - (minute % 3) as f64).max(0.0)
}

fn fast_b(minute: i64) -> f64 {
    (ok_b(minute) - (minute % 2) as f64).max(0.0)
}

fn all_a(minute: i64) -> f64 {
    ok_a(minute) + errors_a(minute)
}

fn all_b(minute: i64) -> f64 {
    ok_b(minute) + errors_b(minute)
}

fn zero(_: i64) -> f64 {
    0.0
}

fn counters() -> Vec<Counter> {
    let counter = |series: &str, per_interval: fn(i64) -> f64, alive: fn(i64) -> bool| Counter {
        series: series.to_owned(),
        per_interval,
        alive,
        reset_at: None,
    };
    let bucket = |instance: &str, le: &str, per_interval| {
        let series = format!(
            "http_request_duration_seconds_bucket{{service=\"api\",instance=\"{instance}\",\
             le=\"{le}\"}}"
        );
        counter(&series, per_interval, always)
    };
    vec![
        Counter {
            reset_at: Some(RESET_MINUTE),
            ..counter(
                r#"http_requests_total{instance="a",code="200"}"#,
                ok_a,
                always,
            )
        },
        counter(
            r#"http_requests_total{instance="b",code="200"}"#,
            ok_b,
            always,
        ),
        counter(
            r#"http_requests_total{instance="a",code="500"}"#,
            errors_a,
            errors_alive,
        ),
        counter(
            r#"http_requests_total{instance="b",code="500"}"#,
            errors_b,
            errors_alive,
        ),
        // The same bound spelled two ways, as two client libraries would.
        bucket("a", "0.1", zero),
        bucket("a", "0.30", fast_a),
        bucket("a", "+Inf", all_a),
        bucket("b", "0.3", fast_b),
        bucket("b", "1", fast_b),
        bucket("b", "+Inf", all_b),
    ]
}

/// The counter's samples as OpenMetrics lines: every 15 s while it is alive. The interval
/// ending at a sample belongs to the minute holding its start, so that a minute's count is
/// four times its per-interval increase.
fn samples(counter: &Counter, out: &mut String) {
    let mut value = 1_000.0;
    let first = FIRST_MINUTE * 60;
    for tick in 0..MINUTES * 60 / SAMPLE_SECONDS {
        let at = first + tick * SAMPLE_SECONDS;
        let minute = tick * SAMPLE_SECONDS / 60;
        let interval_minute = (tick * SAMPLE_SECONDS - 1).div_euclid(60);
        if tick > 0 {
            // A restart two samples into the minute: the counter begins again from zero.
            if counter.reset_at == Some(minute) && tick % 4 == 2 {
                value = 0.0;
            }
            value += (counter.per_interval)(interval_minute);
        }
        if (counter.alive)(minute) {
            out.push_str(&format!("{} {value} {at}\n", counter.series));
        }
    }
}

fn openmetrics() -> String {
    let mut out = String::from("# TYPE http_requests counter\n");
    let counters = counters();
    for counter in &counters[..4] {
        samples(counter, &mut out);
    }
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    for counter in &counters[4..] {
        samples(counter, &mut out);
    }
    gauges(&mut out);
    out.push_str("# EOF\n");
    out
}

/// Jobs done per scrape, as a gauge of counts: one sample every 15 s, on each minute's end
/// too, where a range that holds both its ends would count it in two minutes.
fn gauges(out: &mut String) {
    out.push_str("# TYPE batch_jobs gauge\n");
    for outcome in ["ok", "failed"] {
        for tick in 0..MINUTES * 60 / SAMPLE_SECONDS {
            let at = FIRST_MINUTE * 60 + tick * SAMPLE_SECONDS;
            let value = match outcome {
                "ok" => 3 + tick % 4,
                _ => i64::from(tick % 3 == 0),
            };
            out.push_str(&format!(
                "batch_jobs{{outcome=\"{outcome}\"}} {value} {at}\n"
            ));
        }
    }
}

/// A series in a query: its increase per sample interval and whether it has samples, by minute.
type Part = (fn(i64) -> f64, fn(i64) -> bool);

/// What a query summing `parts` counts in `minute`: four intervals of each series alive then;
/// none when no series is.
fn count(minute: i64, parts: &[Part]) -> Option<f64> {
    let alive: Vec<_> = parts.iter().filter(|(_, alive)| alive(minute)).collect();
    (!alive.is_empty()).then(|| alive.iter().map(|(per, _)| 4.0 * per(minute)).sum())
}

/// The series an SLO should get up to the evaluation time, built from the counts directly:
/// per minute, valid and good where both queries have a sample, or where the total has one
/// and the errors none (no errors yet).
fn expected(slo: &str) -> SloSeries {
    let mut series = SloSeries::default();
    for minute in 0..AT_MS / MINUTE_MS - FIRST_MINUTE {
        let requests: [Part; 2] = [(ok_a, always), (ok_b, always)];
        let errors: [Part; 2] = [(errors_a, errors_alive), (errors_b, errors_alive)];
        let all = [requests[0], requests[1], errors[0], errors[1]];
        let counts = match slo {
            "errors" => count(minute, &all).map(|valid| Counts {
                valid,
                good: valid - count(minute, &errors).unwrap_or(0.0),
            }),
            "good" => count(minute, &requests)
                .zip(count(minute, &all))
                .map(|(good, valid)| Counts { valid, good }),
            "latency" => count(minute, &[(fast_a, always), (fast_b, always)])
                .zip(count(minute, &[(all_a, always), (all_b, always)]))
                .map(|(good, valid)| Counts { valid, good }),
            // Errors of both instances against the requests of `a` alone: in the burst they
            // outnumber them, and good is clamped at zero.
            "clamped" => count(minute, &[requests[0], errors[0]]).map(|valid| Counts {
                valid,
                good: (valid - count(minute, &errors).unwrap_or(0.0)).max(0.0),
            }),
            other => panic!("no SLO {other}"),
        };
        if let Some(counts) = counts {
            let start_ms = (FIRST_MINUTE + minute) * MINUTE_MS;
            series.total.at_mut(start_ms).add(counts);
            series.see(start_ms + MINUTE_MS);
        }
    }
    series
}

fn slo(name: &str, sli: PromSli) -> Slo {
    let rule = |severity: &str, long: i64, short: i64, factor: f64| AlertRule {
        severity: severity.into(),
        long: Duration::from_minutes(long),
        short: Duration::from_minutes(short),
        factor,
        budget_share: None,
        min_events: 10.0,
    };
    Slo {
        service: "api".into(),
        name: name.into(),
        description: None,
        objective: "99".parse().unwrap(),
        window: Window::Rolling(Duration::from_minutes(3 * 1_440)),
        budgeting: Budgeting::Occurrences,
        sli: Sli::Prometheus(sli),
        group_by: None,
        alerts: vec![
            rule("page", 60, 5, 14.4),
            rule("page", 360, 30, 6.0),
            rule("ticket", 1_440, 120, 3.0),
            rule("ticket", 4_320, 360, 1.0),
        ],
        exclusions: Vec::new(),
        labels: Default::default(),
    }
}

fn slos() -> Vec<Slo> {
    vec![
        slo(
            "errors",
            PromSli::ErrorsTotal {
                errors: r#"sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))"#.into(),
                total: "sum(rate(http_requests_total[{{.window}}]))".into(),
            },
        ),
        slo(
            "good",
            PromSli::GoodTotal {
                good: r#"sum(increase(http_requests_total{code="200"}[{{.window}}]))"#.into(),
                total: "sum(increase(http_requests_total[{{.window}}]))".into(),
            },
        ),
        slo(
            "latency",
            PromSli::Latency {
                metric: "http_request_duration_seconds".into(),
                selector: r#"service="api""#.into(),
                threshold: 0.3,
            },
        ),
        slo(
            "clamped",
            PromSli::ErrorsTotal {
                errors: r#"sum(increase(http_requests_total{code="500"}[{{.window}}]))"#.into(),
                total: r#"sum(increase(http_requests_total{instance="a"}[{{.window}}]))"#.into(),
            },
        ),
        slo(
            "ratio",
            PromSli::ErrorRatio {
                query: "sum(rate(errors[{{.window}}])) / sum(rate(requests[{{.window}}]))".into(),
            },
        ),
    ]
}

#[test]
fn reports_from_prometheus_equal_reports_from_the_same_counts() {
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&tools, dir.path(), &openmetrics());
    let client = Client::new(ClientOptions {
        url: server.url.clone(),
        queries_per_second: 200.0,
        // Small chunks, so that the range of 4,320 minutes is fetched in five pieces.
        max_points: 1_000,
        ..ClientOptions::default()
    })
    .unwrap();

    // Fetch every SLO over the range its evaluation needs, history included.
    let options = Options {
        history_step: Some(Duration::from_minutes(360)),
    };
    let slos = slos();
    let jobs: Vec<(&Slo, std::ops::Range<i64>)> = slos
        .iter()
        .map(|slo| (slo, range_needed(slo, AT_MS, &options)))
        .collect();
    let mut results = fetch_all(&client, &jobs, 3).into_iter();
    let mut next = || results.next().unwrap();
    let errors = next().unwrap();
    let good = next().unwrap();
    let latency = next().unwrap();
    let clamped = next().unwrap();
    let ratio = next().unwrap_err();

    // The engine says the same from both, down to every number of the report.
    for (name, fetched) in [
        ("errors", &errors),
        ("good", &good),
        ("latency", &latency),
        ("clamped", &clamped),
    ] {
        let slo = slos.iter().find(|slo| slo.name == name).unwrap();
        let from_prometheus = evaluate(slo, &fetched.series, AT_MS, &options);
        let from_counts = evaluate(slo, &expected(name), AT_MS, &options);
        assert_same(
            name,
            &serde_json::to_value(&from_prometheus).unwrap(),
            &serde_json::to_value(&from_counts).unwrap(),
        );
    }

    // The data is not trivial: the burst pages, the quiet hours and the failed scrapes are
    // gaps, and good data in between counts, before the errors series appear too.
    let report = evaluate(&slos[0], &errors.series, AT_MS, &options);
    assert_eq!(report.status, Status::Page);
    assert_eq!(report.gaps.count, 2, "{:?}", report.gaps);
    // The window is minutes 30..4,350: 4,320 minutes, less 30 without samples and 120
    // without traffic: 4,170.
    assert_eq!(report.coverage.minutes_with_data, 4_170);

    // Minutes 0..210 have requests but no errors series: no errors, and nothing to warn of.
    assert!(errors.warnings.is_empty(), "{:?}", errors.warnings);
    // Minute 100: `a` has 10 + 100 % 7 = 12 requests per interval and `b` 12 + 100 % 5 = 12,
    // four intervals each: 96 valid events, all good.
    let minute = FIRST_MINUTE + 100;
    let early = errors.series.total.dense(minute, minute + 1)[0];
    assert!((early.valid - 96.0).abs() < 1e-9, "{early:?}");
    assert_eq!(early.good, early.valid);
    let clamped_minutes = clamped
        .warnings
        .iter()
        .filter(|w| {
            matches!(
                w,
                Warning::Clamped {
                    role: Role::Errors,
                    ..
                }
            )
        })
        .count();
    // The burst's 20 minutes before the evaluation time: 38 errors per interval against
    // 18 to 24 requests of `a`.
    assert_eq!(clamped_minutes, 20);
    assert!(good.warnings.is_empty(), "{:?}", good.warnings);
    assert!(latency.warnings.is_empty(), "{:?}", latency.warnings);
    assert!(ratio.to_string().contains("error_ratio"), "{ratio}");

    // Failures name what to fix; they share the server to keep the test quick.
    threshold_without_its_bucket(&client);
    query_the_server_cannot_parse(&client);
    misspelt_parts_are_warned_about_once(&client);
    samples_counted_over_time_count_once(&client, &server.url);
}

/// `*_over_time()` SLIs, fetched minute by minute, count every sample once: the minutes of a
/// day add up to what Prometheus itself counts over that day.
fn samples_counted_over_time_count_once(client: &Client, url: &str) {
    let day = AT_MS - 1_440 * MINUTE_MS..AT_MS;
    let fetch_day = |function: &str| {
        let slo = slo(
            function,
            PromSli::GoodTotal {
                good: format!(r#"sum({function}(batch_jobs{{outcome="ok"}}[{{{{.window}}}}]))"#),
                total: format!("sum({function}(batch_jobs[{{{{.window}}}}]))"),
            },
        );
        let fetched = fetch_series(client, &slo, day.clone()).unwrap();
        let shown = &fetched.warnings[..fetched.warnings.len().min(3)];
        assert!(fetched.warnings.is_empty(), "{shown:?}");
        let minutes = fetched
            .series
            .total
            .dense(day.start / MINUTE_MS, day.end / MINUTE_MS);
        let valid: f64 = minutes.iter().map(|counts| counts.valid).sum();
        let good: f64 = minutes.iter().map(|counts| counts.good).sum();
        (valid, good)
    };
    let instant = |query: &str| -> f64 {
        let mut response = ureq::get(&format!("{url}/api/v1/query"))
            .query("query", query)
            .query("time", (AT_MS / 1_000).to_string())
            .call()
            .unwrap();
        let body = response.body_mut().read_to_string().unwrap();
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        let value = &answer["data"]["result"][0]["value"][1];
        value.as_str().unwrap().parse().unwrap()
    };

    // Prometheus over the whole day ending at AT_MS. A 2.x range holds both ends, so `[1d]`
    // also counts the sample at AT_MS - 1d, which belongs to the minute before the day; the
    // day itself, (AT_MS - 1d, AT_MS], holds that sample less.
    let counted = instant("sum(count_over_time(batch_jobs[1d]))");
    // Two series, four samples a minute for 1,440 minutes, and one at AT_MS - 1d each.
    assert_eq!(counted, 2.0 * (4.0 * 1_440.0 + 1.0));
    let (valid, good) = fetch_day("count_over_time");
    assert_eq!(valid, counted - 2.0);
    assert_eq!(good, valid / 2.0);

    let day_start = |selector: &str| instant(&format!("sum({selector} offset 1d)"));
    let summed = |selector: &str| {
        instant(&format!("sum(sum_over_time({selector}[1d]))")) - day_start(selector)
    };
    let (valid, good) = fetch_day("sum_over_time");
    assert_eq!(valid, summed("batch_jobs"));
    assert_eq!(good, summed(r#"batch_jobs{outcome="ok"}"#));
}

/// An errors or good query that finds no series at all, beside a total that does: counted as
/// the rules count it, with one warning that names the query.
fn misspelt_parts_are_warned_about_once(client: &Client) {
    let total = "sum(rate(http_requests_total[{{.window}}]))";
    let errors = slo(
        "errors",
        PromSli::ErrorsTotal {
            errors: r#"sum(rate(http_request_total{code=~"5.."}[{{.window}}]))"#.into(),
            total: total.into(),
        },
    );
    let good = slo(
        "good",
        PromSli::GoodTotal {
            good: r#"sum(rate(http_request_total{code="200"}[{{.window}}]))"#.into(),
            total: total.into(),
        },
    );
    let range = range_needed(&errors, AT_MS, &Options::default());
    let errors = fetch_series(client, &errors, range.clone()).unwrap();
    let good = fetch_series(client, &good, range).unwrap();

    // Zero errors in every minute with a total; no data at all without good samples.
    let minute = FIRST_MINUTE + 100;
    let counted = errors.series.total.dense(minute, minute + 1)[0];
    assert!(
        counted.valid > 0.0 && counted.good == counted.valid,
        "{counted:?}"
    );
    assert_eq!(
        good.series.total.dense(minute, minute + 1)[0],
        Counts::default()
    );

    for (fetched, role) in [(&errors, Role::Errors), (&good, Role::Good)] {
        let missing: Vec<&Warning> = fetched
            .warnings
            .iter()
            .filter(|w| matches!(w, Warning::PartMissing { .. } | Warning::OneSided { .. }))
            .collect();
        assert_eq!(missing.len(), 1, "{:?}", fetched.warnings);
        assert!(
            matches!(missing[0], Warning::PartMissing { role: r, query } if *r == role
                && query.starts_with("sum(rate(http_request_total{code")),
            "{missing:?}"
        );
    }
    let text = errors.warnings[0].to_string();
    assert!(text.contains("counted as zero errors"), "{text}");
    assert!(text.contains("check its metric name"), "{text}");
}

fn threshold_without_its_bucket(client: &Client) {
    let slo = slo(
        "latency",
        PromSli::Latency {
            metric: "http_request_duration_seconds".into(),
            selector: r#"service="api""#.into(),
            threshold: 0.25,
        },
    );
    let range = range_needed(&slo, AT_MS, &Options::default());
    let error = fetch_series(client, &slo, range).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no bucket of `http_request_duration_seconds_bucket{service=\"api\"}` has le = 0.25 \
         (the nearest bounds are 0.1 and 0.3)"
    );
}

/// Prometheus' own message, the URL and the query, and no retries for a bad query.
fn query_the_server_cannot_parse(client: &Client) {
    let broken = fetch_series(
        client,
        &slo(
            "broken",
            PromSli::GoodTotal {
                good: "sum(rate(x[{{.window}}])".into(),
                total: "sum(rate(x[{{.window}}]))".into(),
            },
        ),
        AT_MS - MINUTE_MS..AT_MS,
    )
    .unwrap_err()
    .to_string();
    assert!(
        broken.contains("answered 400 after 1 attempt(s)"),
        "{broken}"
    );
    assert!(broken.contains("/api/v1/query_range"), "{broken}");
    assert!(broken.contains("query: sum(rate(x[1m])"), "{broken}");
}

/// Every number in `actual` within 1e-9 (relative for large counts) of `expected`, and every
/// other value equal.
fn assert_same(path: &str, actual: &serde_json::Value, expected: &serde_json::Value) {
    use serde_json::Value;
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            let tolerance = 1e-9 * a.abs().max(e.abs()).max(1.0);
            assert!((a - e).abs() <= tolerance, "{path}: {a} ≠ {e}");
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{path}: lengths differ");
            for (i, (a, e)) in a.iter().zip(e).enumerate() {
                assert_same(&format!("{path}[{i}]"), a, e);
            }
        }
        (Value::Object(a), Value::Object(e)) => {
            let keys = |o: &serde_json::Map<String, Value>| o.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(a), keys(e), "{path}: fields differ");
            for (key, value) in a {
                assert_same(&format!("{path}.{key}"), value, &e[key]);
            }
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

/// Loads `openmetrics` into blocks under `dir` and serves them on a free loopback port.
fn serve(tools: &Tools, dir: &Path, openmetrics: &str) -> Server {
    let input = dir.join("data.om");
    std::fs::write(&input, openmetrics).unwrap();
    let data = dir.join("data");
    let status = Command::new(&tools.promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet"])
        .arg(&input)
        .arg(&data)
        .status()
        .unwrap();
    assert!(status.success(), "promtool failed: {status}");
    let config = dir.join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1h\n").unwrap();
    Server::start(
        &tools.prometheus,
        &data,
        &config,
        &dir.join("prometheus.log"),
    )
}

/// A running Prometheus, killed when dropped, also when a test fails.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(binary: &Path, data: &Path, config: &Path, log: &Path) -> Server {
        let port = free_port();
        let log_file = std::fs::File::create(log).unwrap();
        let child = Command::new(binary)
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // Time retention counts back from the newest block, but the blocks must all stay.
            .arg("--storage.tsdb.retention.time=100y")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap();
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_ready(log);
        server
    }

    /// Polls `/-/ready`: Prometheus answers 503 until it has loaded its blocks.
    fn wait_until_ready(&self, log: &Path) {
        let deadline = Instant::now() + StdDuration::from_secs(60);
        let ready = format!("{}/-/ready", self.url);
        while Instant::now() < deadline {
            let answer = ureq::get(&ready)
                .config()
                .http_status_as_error(false)
                .build()
                .call();
            if answer.is_ok_and(|response| response.status() == 200) {
                return;
            }
            std::thread::sleep(StdDuration::from_millis(200));
        }
        let log = std::fs::read_to_string(log).unwrap_or_default();
        panic!("Prometheus was not ready within 60 s; its log:\n{log}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on the loopback address now; Prometheus takes it a moment later.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
