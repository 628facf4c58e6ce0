//! Domain types of nines, validated on construction: exact objectives, durations, windows,
//! budgeting methods, events and the expressions that classify them, and the per-minute slice
//! series that readers fill and the engine reads.
//!
//! Every other crate speaks in these types; raw input (YAML, flags) never gets this far without
//! being checked.

pub mod conventions;
pub mod decimal;
pub mod duration;
pub mod event;
pub mod expr;
pub mod recurrence;
pub mod series;
pub mod slo;
pub mod source;
pub mod window;
