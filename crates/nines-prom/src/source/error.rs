//! What can go wrong measuring an SLO from Prometheus, with the URL and the query in every
//! message, and a hint on what to do.

/// Why an SLO's series could not be fetched from Prometheus.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// The base URL is not one the client can use.
    #[error("`{url}` is not an http:// or https:// URL")]
    BadUrl {
        /// The URL as given.
        url: String,
    },
    /// A client option is out of range.
    #[error("{what}")]
    BadOption {
        /// What is wrong, in words.
        what: String,
    },
    /// A custom header has a name or value HTTP does not allow.
    #[error("the header `{name}` is not a valid HTTP header")]
    BadHeader {
        /// The header's name.
        name: String,
    },
    /// No answer: connection refused, timed out, reset; retried and given up.
    #[error("no answer from {url} after {attempts} attempt(s): {detail}\n  query: {query}")]
    Unreachable {
        /// The endpoint asked.
        url: String,
        /// The query sent.
        query: String,
        /// What the transport said.
        detail: String,
        /// How many times the query was sent.
        attempts: u32,
    },
    /// The server answered with an error status.
    #[error("{url} answered {status} after {attempts} attempt(s): {message}\n  query: {query}")]
    Refused {
        /// The endpoint asked.
        url: String,
        /// The query sent.
        query: String,
        /// The HTTP status.
        status: u16,
        /// The server's error message.
        message: String,
        /// How many times the query was sent.
        attempts: u32,
    },
    /// The answer is not the Prometheus API's JSON.
    #[error("{url} did not answer as the Prometheus HTTP API does: {detail}\n  query: {query}")]
    NotPrometheus {
        /// The endpoint asked.
        url: String,
        /// The query sent.
        query: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// The SLO's SLI is not measured by Prometheus queries.
    #[error("the SLO is not measured by Prometheus queries")]
    NotPrometheusSli,
    /// The SLI's form cannot be turned into counts of events.
    #[error("an `error_ratio` SLI is not supported from Prometheus: it has no events to add up")]
    ErrorRatio,
    /// The query's value has no single unit: it mixes per-second rates and counts.
    #[error(
        "the query mixes rate() and increase() (or *_over_time()), so its unit is unclear: {query}"
    )]
    MixedUnits {
        /// The query.
        query: String,
    },
    /// No bucket of the histogram has the threshold as its bound.
    #[error("no bucket of `{series}` has le = {}{}", bound_text(*.bound), nearest(.below, .above))]
    NoBucket {
        /// The buckets' series selector.
        series: String,
        /// The bound looked for (the threshold, or +Inf).
        bound: f64,
        /// The largest bound below it.
        below: Option<f64>,
        /// The smallest bound above it.
        above: Option<f64>,
    },
}

impl FetchError {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            FetchError::BadUrl { .. } => {
                "give the server's base URL, such as http://localhost:9090".to_owned()
            }
            FetchError::BadOption { .. } | FetchError::BadHeader { .. } => {
                "fix the option and run again".to_owned()
            }
            FetchError::Unreachable { .. } => "check that the server runs and that the URL and \
                                               port are right; for slow queries raise the timeout"
                .to_owned(),
            FetchError::Refused { status, .. } => refused_hint(*status).to_owned(),
            FetchError::NotPrometheus { .. } => "give the URL of the Prometheus API itself (the \
                                                 path before /api/v1), not of a UI or a proxy's \
                                                 login page"
                .to_owned(),
            FetchError::NotPrometheusSli => "only SLOs with `sli: prometheus:` are measured from \
                                             Prometheus"
                .to_owned(),
            FetchError::ErrorRatio => "give `errors` and `total` (or `good` and `total`) queries \
                                       instead of `error_ratio`"
                .to_owned(),
            FetchError::MixedUnits { .. } => "write the query with rate() only, or with \
                                              increase() only"
                .to_owned(),
            FetchError::NoBucket { .. } => "set the threshold to one of the histogram's bucket \
                                            bounds, or add a bucket with that bound"
                .to_owned(),
        }
    }
}

fn refused_hint(status: u16) -> &'static str {
    match status {
        400 => "the server could not run the query: try it in the Prometheus UI and fix it",
        401 | 403 => "check the bearer token and headers (Mimir and Cortex need X-Scope-OrgID)",
        404 => "give the URL of the Prometheus API (the part before /api/v1)",
        422 => "the query failed on the server: try it in the Prometheus UI over a short range",
        429 => "the server limits queries: lower the query rate",
        500..=599 => "the server failed: try again later, or raise its query timeout",
        _ => "check the URL and the server's logs",
    }
}

/// A bucket bound as Prometheus spells the infinite one.
/// A bucket bound as Prometheus writes it: `0.3`, `+Inf`.
pub(crate) fn bound_text(bound: f64) -> String {
    if bound == f64::INFINITY {
        "+Inf".to_owned()
    } else {
        bound.to_string()
    }
}

fn nearest(below: &Option<f64>, above: &Option<f64>) -> String {
    match (*below, *above) {
        (None, None) => " (no buckets found in the range)".to_owned(),
        (Some(below), None) => format!(" (the nearest bound is {below})"),
        (None, Some(above)) => format!(" (the nearest bound is {above})"),
        (Some(below), Some(above)) => format!(" (the nearest bounds are {below} and {above})"),
    }
}
