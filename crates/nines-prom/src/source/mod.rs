//! Prometheus as a source of SLI data, for `nines report --prometheus`.
//!
//! An SLO whose SLI is a pair of PromQL queries (or a histogram) is measured by asking a
//! Prometheus-compatible server (Prometheus, Thanos, Mimir: the same HTTP API) for its counts
//! minute by minute. The answers become the same per-minute series of good and valid events
//! that the log readers fill, so that one engine computes the SLI, budget, burn rates, alerts,
//! gaps and history alike for both.
//!
//! Each query runs as a range query at a step of one minute with `{{.window}}` replaced by
//! `1m`: the value at instant `t` counts the events of `(t - 1m, t]`. Queries built on
//! `rate()` give events per second and are scaled to the minute.

mod client;
mod error;
mod fetch;
pub(crate) mod query;

pub use client::{Client, ClientOptions};
pub use error::FetchError;
pub use fetch::{Fetched, Role, Warning, fetch_all, fetch_series};
