//! `nines report --prometheus URL`: SLOs whose SLI is a PromQL query are measured from a live
//! Prometheus-compatible server (Prometheus, Thanos, Mimir).
//!
//! Every SLO is fetched for the minutes its evaluation reads, ending at the one evaluation
//! time of the report, so that all lookbacks, the window and both queries of an SLO describe
//! the same instant. One client serves all SLOs: its timeout, retries and rate limit hold for
//! all of them together.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use jiff::Timestamp;
use nines_core::duration::Duration;
use nines_core::series::{MINUTE_MS, SloSeries};
use nines_core::slo::{Catalog, Sli, Slo};
use nines_prom::source::{Client, ClientOptions, FetchError, Warning, fetch_all};

use crate::failure::Hinted;

/// Warnings shown per SLO; the rest are counted.
const WARNINGS_SHOWN: usize = 5;

/// Options of `nines report` for a live Prometheus.
#[derive(Debug, clap::Args)]
pub(crate) struct PrometheusArgs {
    /// Measure SLOs with a `prometheus` SLI from this server: the base URL of its HTTP API,
    /// such as http://localhost:9090 (the part before /api/v1).
    #[arg(long = "prometheus", value_name = "URL")]
    url: Option<String>,
    /// How long one request to Prometheus may take.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    prometheus_timeout: Duration,
    /// How many times a request that failed on the way (no answer, timeout, 5xx, 429) is sent
    /// again, waiting 0.5 s, then 1 s, 2 s, ... in between.
    #[arg(long, value_name = "N", default_value_t = 3)]
    prometheus_retries: u32,
    /// Requests per second to Prometheus, shared by all SLOs.
    #[arg(long, value_name = "RATE", default_value_t = 10.0)]
    prometheus_rate: f64,
    /// SLOs fetched at the same time.
    #[arg(long, value_name = "N", default_value_t = 4)]
    prometheus_concurrency: usize,
    /// An extra request header, such as X-Scope-OrgID=tenant for Mimir; repeat for several.
    #[arg(long, value_name = "NAME=VALUE")]
    prometheus_header: Vec<String>,
    /// A file holding a bearer token to send (kept off the command line).
    #[arg(long, value_name = "FILE")]
    prometheus_token_file: Option<PathBuf>,
}

/// A connection to the server, ready to fetch SLOs.
pub(crate) struct Live {
    client: Client,
    concurrency: usize,
}

impl Live {
    /// The client of `--prometheus`, or none without it; warns about SLOs measured by
    /// Prometheus that will have no data because no server was given.
    pub(crate) fn connect(
        args: &PrometheusArgs,
        catalog: &Catalog,
    ) -> anyhow::Result<Option<Live>> {
        let Some(url) = &args.url else {
            warn_unmeasured(catalog);
            return Ok(None);
        };
        let options = ClientOptions {
            url: url.clone(),
            timeout: std::time::Duration::from_secs(args.prometheus_timeout.seconds() as u64),
            retries: args.prometheus_retries,
            queries_per_second: args.prometheus_rate,
            bearer_token: read_token(args.prometheus_token_file.as_ref())?,
            headers: parse_headers(&args.prometheus_header)?,
            ..ClientOptions::default()
        };
        let client = Client::new(options)
            .map_err(|error| Hinted::error(format!("--prometheus: {error}"), error.hint()))?;
        Ok(Some(Live {
            client,
            concurrency: args.prometheus_concurrency.max(1),
        }))
    }

    /// The default evaluation time with a live server: the start of the current minute, the
    /// end of the last whole one.
    pub(crate) fn default_at() -> i64 {
        let now = Timestamp::now().as_millisecond();
        now - now.rem_euclid(MINUTE_MS)
    }

    /// The series of every SLO of `catalog` measured by Prometheus, for an evaluation at
    /// `at_ms`; the fetched data's warnings go to stderr.
    ///
    /// # Errors
    ///
    /// When an SLO cannot be fetched: the server is unreachable or refuses a query, or the
    /// SLI cannot be measured from it.
    pub(crate) fn fetch<'a>(
        &self,
        catalog: &'a Catalog,
        at_ms: i64,
        options: &nines_engine::Options,
    ) -> anyhow::Result<Vec<(&'a Slo, SloSeries)>> {
        let jobs: Vec<(&Slo, std::ops::Range<i64>)> = catalog
            .slos()
            .filter(|slo| matches!(slo.sli, Sli::Prometheus(_)))
            .map(|slo| (slo, nines_engine::range_needed(slo, at_ms, options)))
            .collect();
        let results = fetch_all(&self.client, &jobs, self.concurrency);
        let mut series = Vec::with_capacity(jobs.len());
        for ((slo, _), result) in jobs.iter().zip(results) {
            match result {
                Ok(fetched) => {
                    print_warnings(slo, &fetched.warnings)?;
                    series.push((*slo, fetched.series));
                }
                // A limit of the SLO's form, not of the server: the other SLOs still count.
                Err(error @ FetchError::ErrorRatio) => eprintln!(
                    "warning: SLO `{}/{}` has no data: {error}\n  hint: {}",
                    slo.service,
                    slo.name,
                    error.hint()
                ),
                Err(error) => return Err(fetch_error(slo, &error)),
            }
        }
        Ok(series)
    }
}

/// SLOs with a `prometheus` SLI have no data unless a server is given.
fn warn_unmeasured(catalog: &Catalog) {
    for slo in catalog.slos() {
        if matches!(slo.sli, Sli::Prometheus(_)) {
            eprintln!(
                "warning: SLO `{}/{}` is measured by Prometheus queries: pass --prometheus URL \
                 to measure it; it has no data",
                slo.service, slo.name
            );
        }
    }
}

fn read_token(path: Option<&PathBuf>) -> anyhow::Result<Option<String>> {
    let Some(path) = path else { return Ok(None) };
    let token = std::fs::read_to_string(path)
        .with_context(|| format!("--prometheus-token-file: cannot read {}", path.display()))?;
    Ok(Some(token.trim().to_owned()))
}

fn parse_headers(headers: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    headers
        .iter()
        .map(|header| match header.split_once('=') {
            Some((name, value)) => Ok((name.trim().to_owned(), value.trim().to_owned())),
            None => Err(Hinted::error(
                format!("--prometheus-header `{header}` has no value"),
                "write NAME=VALUE, such as --prometheus-header X-Scope-OrgID=tenant-1",
            )),
        })
        .collect()
}

fn fetch_error(slo: &Slo, error: &FetchError) -> anyhow::Error {
    Hinted::error(
        format!(
            "SLO `{}/{}` could not be measured from Prometheus: {error}",
            slo.service, slo.name
        ),
        error.hint(),
    )
}

/// The first few warnings of an SLO, and how many more there were.
fn print_warnings(slo: &Slo, warnings: &[Warning]) -> std::io::Result<()> {
    let mut stderr = std::io::stderr().lock();
    for warning in warnings.iter().take(WARNINGS_SHOWN) {
        writeln!(stderr, "warning: {}/{}: {warning}", slo.service, slo.name)?;
    }
    if warnings.len() > WARNINGS_SHOWN {
        writeln!(
            stderr,
            "warning: {}/{}: {} more warning(s) like these",
            slo.service,
            slo.name,
            warnings.len() - WARNINGS_SHOWN
        )?;
    }
    Ok(())
}
