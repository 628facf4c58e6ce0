//! Prometheus rules for nines SLOs whose SLI is measured by PromQL: recording rules for every
//! lookback the burn-rate alerts need and for the whole window, the SLO's metadata, and
//! multi-window multi-burn-rate alerts, written as a plain rule file or as a prometheus-operator
//! `PrometheusRule`.
//!
//! Series and label names are Sloth's (see [`nines_core::conventions::prometheus_rules`]), so
//! Sloth's dashboards keep working, but the numbers follow nines' semantics where Sloth's do
//! not: the whole-window SLI is a ratio of sums, an interval without traffic gives no sample
//! (never NaN), objectives and budgets are printed exactly, and histogram buckets are found by
//! their numeric bound. The `nines` binary calls [`generate`] for `nines generate prometheus`.

mod generate;
mod promql;
mod render;
mod rules;
mod sli;
pub mod source;
pub mod yaml;

pub use generate::{GenerateError, Note, Options, generate};
pub use render::Resource;
pub use rules::{Alerting, Group, Labels, Recording, Rule, RuleSet};
