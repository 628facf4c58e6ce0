//! nines-prom against the real Prometheus tools: generated rule files compared with golden
//! files and checked by `promtool check rules`, `promtool test rules` suites whose expected
//! values come from nines' own engine, and the live source against a running `prometheus`.
//!
//! The tools come from Debian's `prometheus` package. Tests that need them fail when
//! `NINES_REQUIRE_PROMETHEUS=1` is set (as CI does), and are skipped with a notice otherwise.

mod golden;
mod live;
mod suites;
mod threshold;
mod tools;
