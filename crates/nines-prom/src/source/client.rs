//! The HTTP side of the Prometheus source: range queries and label values over the Prometheus
//! HTTP API, which Thanos and Mimir serve too. Every request has a timeout; requests that fail
//! on the way (connection errors, timeouts, 5xx, 429) are retried a bounded number of times
//! with exponential backoff; and one rate limit paces every request of every SLO, so that a
//! thousand SLOs do not flood the server.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::FetchError;

/// The step of every range query: one slice.
pub(crate) const STEP_SECONDS: i64 = 60;

/// The most points Prometheus returns for one series of a range query.
const PROMETHEUS_MAX_POINTS: usize = 11_000;

/// No answer nines asks for comes near this; a larger one is a runaway query.
const BODY_LIMIT: u64 = 512 * 1024 * 1024;

/// The longest wait between two attempts, whatever the backoff or `Retry-After` say.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How to reach a Prometheus-compatible server, and how hard to push it.
#[derive(Clone)]
pub struct ClientOptions {
    /// The API's base URL: the part before `/api/v1`, such as `http://localhost:9090` or
    /// `https://mimir.example.com/prometheus`.
    pub url: String,
    /// How long one request may take, from connecting to the end of the answer.
    pub timeout: Duration,
    /// How many times a failed request is sent again (connection errors, timeouts, 5xx, 429).
    pub retries: u32,
    /// The wait before the first retry; it doubles with each further one.
    pub backoff: Duration,
    /// Requests per second, shared by every query of every SLO.
    pub queries_per_second: f64,
    /// Sent as `Authorization: Bearer <token>`.
    pub bearer_token: Option<String>,
    /// Extra headers, such as `X-Scope-OrgID` for Mimir and Cortex.
    pub headers: Vec<(String, String)>,
    /// The most instants one range query asks for; longer ranges are split.
    pub max_points: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            url: "http://localhost:9090".to_owned(),
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(500),
            queries_per_second: 10.0,
            bearer_token: None,
            headers: Vec::new(),
            max_points: 10_000,
        }
    }
}

impl fmt::Debug for ClientOptions {
    // The token stays out of debug output and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .field("queries_per_second", &self.queries_per_second)
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "<redacted>"),
            )
            .field("headers", &self.headers)
            .field("max_points", &self.max_points)
            .finish()
    }
}

/// A client of one Prometheus-compatible server. Share one client between all SLOs (it is
/// `Sync`): its rate limit then holds for all of them together.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    options: ClientOptions,
    pacer: Pacer,
}

/// A successful answer and the warnings the server sent with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer<T> {
    /// The answer's `data`.
    pub(crate) data: T,
    /// The answer's `warnings` (Thanos partial responses, for one).
    pub(crate) warnings: Vec<String>,
}

/// One series of a range query's answer: (Unix ms, value) pairs in time order.
pub(crate) type Samples = Vec<(i64, f64)>;

impl Client {
    /// A client for the server at `options.url`.
    ///
    /// # Errors
    ///
    /// When the URL is not http(s), a header is not valid HTTP, or a number is out of range.
    pub fn new(options: ClientOptions) -> Result<Client, FetchError> {
        let base = options.url.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(FetchError::BadUrl {
                url: options.url.clone(),
            });
        }
        check_options(&options)?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("nines/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            agent,
            base,
            pacer: Pacer::new(options.queries_per_second),
            options,
        })
    }

    /// The base URL of the server.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The most instants one range query asks for.
    pub(crate) fn max_points(&self) -> usize {
        self.options.max_points
    }

    /// Runs `query` at every minute from `start_s` to `end_s` (Unix seconds, both included).
    pub(crate) fn query_range(
        &self,
        query: &str,
        start_s: i64,
        end_s: i64,
    ) -> Result<Answer<Vec<Samples>>, FetchError> {
        let params = [
            ("query", query.to_owned()),
            ("start", start_s.to_string()),
            ("end", end_s.to_string()),
            ("step", STEP_SECONDS.to_string()),
        ];
        let url = format!("{}/api/v1/query_range", self.base);
        let answer: Answer<Matrix> = self.get(&url, &params, query)?;
        if answer.data.result_type != "matrix" {
            return Err(FetchError::NotPrometheus {
                url,
                query: query.to_owned(),
                detail: format!(
                    "a range query gave a `{}`, not a matrix",
                    answer.data.result_type
                ),
            });
        }
        let series = answer
            .data
            .result
            .into_iter()
            .map(|series| series.values.into_iter().map(parse_sample).collect())
            .collect();
        Ok(Answer {
            data: series,
            warnings: answer.warnings,
        })
    }

    /// The values of `label` on the series that `selector` matches between `start_s` and
    /// `end_s` (Unix seconds).
    pub(crate) fn label_values(
        &self,
        label: &str,
        selector: &str,
        start_s: i64,
        end_s: i64,
    ) -> Result<Answer<Vec<String>>, FetchError> {
        let params = [
            ("match[]", selector.to_owned()),
            ("start", start_s.to_string()),
            ("end", end_s.to_string()),
        ];
        let url = format!("{}/api/v1/label/{label}/values", self.base);
        self.get(&url, &params, selector)
    }

    /// Sends a GET until it succeeds, fails for good, or runs out of retries.
    fn get<T: DeserializeOwned>(
        &self,
        url: &str,
        params: &[(&str, String)],
        query: &str,
    ) -> Result<Answer<T>, FetchError> {
        let mut attempt: u32 = 0;
        loop {
            self.pacer.wait();
            attempt += 1;
            match self.send(url, params) {
                Ok(body) => return decode(&body, url, query),
                Err(failure) if failure.is_transient() && attempt <= self.options.retries => {
                    std::thread::sleep(self.backoff(attempt, failure.retry_after()));
                }
                Err(failure) => return Err(failure.into_error(url.to_owned(), query, attempt)),
            }
        }
    }

    fn send(&self, url: &str, params: &[(&str, String)]) -> Result<String, Failure> {
        let pairs = params.iter().map(|(key, value)| (*key, value.as_str()));
        let mut request = self.agent.get(url).query_pairs(pairs);
        if let Some(token) = &self.options.bearer_token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        for (name, value) in &self.options.headers {
            request = request.header(name, value);
        }
        let mut response = request.call().map_err(Failure::Transport)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok()?.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_string()
            .map_err(Failure::Transport)?;
        match status {
            200 => Ok(body),
            _ => Err(Failure::Status {
                status,
                message: error_message(&body),
                retry_after,
            }),
        }
    }

    /// The wait before attempt `attempt + 1`: the backoff doubled for each attempt so far, or
    /// what the server asked for if that is longer.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let doubled = self
            .options
            .backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        doubled
            .max(retry_after.unwrap_or_default())
            .min(MAX_BACKOFF)
    }
}

fn check_options(options: &ClientOptions) -> Result<(), FetchError> {
    let rate = options.queries_per_second;
    if !(rate > 0.0 && rate.is_finite()) {
        return Err(FetchError::BadOption {
            what: format!("the query rate must be a positive number, not {rate}"),
        });
    }
    if !(1..PROMETHEUS_MAX_POINTS).contains(&options.max_points) {
        return Err(FetchError::BadOption {
            what: format!(
                "points per query must lie between 1 and {PROMETHEUS_MAX_POINTS}, not {}",
                options.max_points
            ),
        });
    }
    for (name, value) in &options.headers {
        let valid = ureq::http::HeaderName::try_from(name.as_str()).is_ok()
            && ureq::http::HeaderValue::try_from(value.as_str()).is_ok();
        if !valid {
            return Err(FetchError::BadHeader { name: name.clone() });
        }
    }
    Ok(())
}

/// Why one attempt failed.
#[derive(Debug)]
enum Failure {
    /// No HTTP answer: connection, TLS, timeout.
    Transport(ureq::Error),
    /// An HTTP answer with an error status.
    Status {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
}

impl Failure {
    /// True when sending the same request again may well succeed.
    fn is_transient(&self) -> bool {
        match self {
            Failure::Transport(error) => matches!(
                error,
                ureq::Error::Timeout(_)
                    | ureq::Error::Io(_)
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::HostNotFound
                    | ureq::Error::BodyStalled
            ),
            Failure::Status { status, .. } => *status == 429 || *status >= 500,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Status { retry_after, .. } => *retry_after,
            Failure::Transport(_) => None,
        }
    }

    fn into_error(self, url: String, query: &str, attempts: u32) -> FetchError {
        let query = query.to_owned();
        match self {
            Failure::Transport(error) => FetchError::Unreachable {
                url,
                query,
                detail: error.to_string(),
                attempts,
            },
            Failure::Status {
                status, message, ..
            } => FetchError::Refused {
                url,
                query,
                status,
                message,
                attempts,
            },
        }
    }
}

/// The envelope of every Prometheus API answer.
#[derive(Debug, Deserialize)]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

/// The `data` of a range query.
#[derive(Debug, Deserialize)]
struct Matrix {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<MatrixSeries>,
}

#[derive(Debug, Deserialize)]
struct MatrixSeries {
    values: Vec<(f64, String)>,
}

fn decode<T: DeserializeOwned>(
    body: &str,
    url: &str,
    query: &str,
) -> Result<Answer<T>, FetchError> {
    let not_prometheus = |detail: String| FetchError::NotPrometheus {
        url: url.to_owned(),
        query: query.to_owned(),
        detail,
    };
    let envelope: Envelope<T> = serde_json::from_str(body)
        .map_err(|error| not_prometheus(format!("{error}; the answer began: {}", excerpt(body))))?;
    match (envelope.status.as_str(), envelope.data) {
        ("success", Some(data)) => Ok(Answer {
            data,
            warnings: envelope.warnings,
        }),
        _ => Err(not_prometheus(envelope.error.unwrap_or_else(|| {
            format!("status `{}` without data", envelope.status)
        }))),
    }
}

/// A sample's time in Unix ms and its value; `NaN` and `±Inf` are kept for the caller to
/// judge.
fn parse_sample((seconds, value): (f64, String)) -> (i64, f64) {
    let ms = (seconds * 1000.0).round() as i64;
    (ms, value.parse().unwrap_or(f64::NAN))
}

/// The server's own message from an error answer, or the start of whatever it sent.
fn error_message(body: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(rename = "errorType")]
        error_type: Option<String>,
        error: Option<String>,
    }
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(ErrorBody {
            error: Some(error),
            error_type,
        }) => match error_type {
            Some(kind) => format!("{kind}: {error}"),
            None => error,
        },
        _ => excerpt(body),
    }
}

/// The first line of `body`, shortened, for messages.
fn excerpt(body: &str) -> String {
    let line = body.trim().lines().next().unwrap_or("(empty)");
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_owned(),
    }
}

/// Paces requests to a rate: each request takes the next free slot, one interval after the
/// previous one. The monotonic clock used here only spaces requests; it never enters a result.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    fn new(per_second: f64) -> Self {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's slot.
    fn wait(&self) {
        let slot = {
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |next| next.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        std::thread::sleep(slot.saturating_duration_since(Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;

    use super::*;

    /// A server that answers each connection with the next of `answers` (status and body),
    /// and sends each request's head (request line and headers) to the returned receiver.
    fn fake_server(answers: Vec<(u16, &'static str)>) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (heads, received) = mpsc::channel();
        std::thread::spawn(move || {
            for (status, body) in answers {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    head.push_str(&line);
                }
                let _ = heads.send(head);
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: \
                     {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                reader.get_mut().write_all(answer.as_bytes()).unwrap();
            }
        });
        (url, received)
    }

    fn client(url: &str, retries: u32) -> Client {
        Client::new(ClientOptions {
            url: url.to_owned(),
            retries,
            backoff: Duration::from_millis(10),
            queries_per_second: 1_000.0,
            bearer_token: Some("s3cret".into()),
            headers: vec![("X-Scope-OrgID".into(), "tenant-1".into())],
            ..ClientOptions::default()
        })
        .unwrap()
    }

    const MATRIX: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{},"values":[[60,"1.5"],[120,"NaN"]]}]},"warnings":["partial"]}"#;

    #[test]
    fn transient_failures_are_retried_and_the_answer_decoded() {
        let (url, heads) = fake_server(vec![(503, "busy"), (200, MATRIX)]);
        let answer = client(&url, 2).query_range("up", 60, 120).unwrap();
        assert_eq!(answer.data.len(), 1);
        assert_eq!(answer.data[0][0], (60_000, 1.5));
        assert!(answer.data[0][1].1.is_nan());
        assert_eq!(answer.warnings, vec!["partial".to_owned()]);
        // Both attempts asked the same, with the token and the tenant header.
        for _ in 0..2 {
            let head = heads.recv().unwrap().to_ascii_lowercase();
            assert!(
                head.starts_with("get /api/v1/query_range?query=up&start=60&end=120&step=60 "),
                "{head}"
            );
            assert!(head.contains("authorization: bearer s3cret"), "{head}");
            assert!(head.contains("x-scope-orgid: tenant-1"), "{head}");
        }
    }

    #[test]
    fn a_refused_query_is_not_retried() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        let (url, heads) = fake_server(vec![(400, body)]);
        let error = client(&url, 3).query_range("up(", 60, 120).unwrap_err();
        assert_eq!(
            error,
            FetchError::Refused {
                url: format!("{url}/api/v1/query_range"),
                query: "up(".into(),
                status: 400,
                message: "bad_data: parse error".into(),
                attempts: 1,
            }
        );
        assert_eq!(heads.iter().count(), 1);
    }

    #[test]
    fn retries_run_out() {
        let (url, _heads) = fake_server(vec![(503, "busy"), (502, "gateway"), (503, "busy")]);
        let error = client(&url, 2).query_range("up", 60, 120).unwrap_err();
        // One attempt and two retries, the last answer reported.
        assert!(
            matches!(
                error,
                FetchError::Refused {
                    status: 503,
                    attempts: 3,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn an_answer_that_is_not_the_api_is_named() {
        let (url, _heads) = fake_server(vec![(200, "<html>login</html>")]);
        let error = client(&url, 0).query_range("up", 60, 120).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("did not answer as the Prometheus HTTP API does"),
            "{error}"
        );
    }

    #[test]
    fn backoff_doubles_honours_retry_after_and_is_capped() {
        let client = Client::new(ClientOptions::default()).unwrap();
        // 0.5 s, then 1 s, 2 s, 4 s.
        let waits: Vec<Duration> = (1..=4).map(|n| client.backoff(n, None)).collect();
        assert_eq!(waits, [500, 1_000, 2_000, 4_000].map(Duration::from_millis));
        let asked = Some(Duration::from_secs(5));
        assert_eq!(client.backoff(1, asked), Duration::from_secs(5));
        assert_eq!(client.backoff(30, None), MAX_BACKOFF);
    }

    #[test]
    fn the_pacer_spaces_requests_by_the_rate() {
        // 50 requests per second: six requests span at least five intervals of 20 ms.
        let pacer = Pacer::new(50.0);
        let start = Instant::now();
        for _ in 0..6 {
            pacer.wait();
        }
        assert!(
            start.elapsed() >= Duration::from_millis(100),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn options_are_checked() {
        let with = |change: fn(&mut ClientOptions)| {
            let mut options = ClientOptions::default();
            change(&mut options);
            Client::new(options).unwrap_err()
        };
        assert!(matches!(
            with(|o| o.url = "localhost:9090".into()),
            FetchError::BadUrl { .. }
        ));
        assert!(matches!(
            with(|o| o.queries_per_second = 0.0),
            FetchError::BadOption { .. }
        ));
        assert!(matches!(
            with(|o| o.headers = vec![("bad name".into(), "x".into())]),
            FetchError::BadHeader { .. }
        ));
        let debug = format!(
            "{:?}",
            ClientOptions {
                bearer_token: Some("s3cret".into()),
                ..ClientOptions::default()
            }
        );
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
