//! The nines engine: error budgets, burn rates, multi-window alerts, forecasts and gaps, computed
//! from the per-minute slice series that readers fill.
//!
//! The engine is pure: the evaluation time is an argument, nothing here reads the clock, the
//! disk or the network. The CLI and the server call [`evaluate`] and render the
//! [`report::SloReport`] it returns.

mod evaluate;
mod measure;
pub mod report;
mod timeline;

pub use evaluate::{LOOKBACKS, Options, alert_states, evaluate, range_needed, rfc3339};
