//! The engine against the worked examples: each number below is worked out by hand in the
//! comment beside it.

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use nines_core::duration::Duration;
use nines_core::expr::Predicate;
use nines_core::series::{Counts, MINUTE_MS, SloSeries};
use nines_core::slo::{
    AlertRule, Budgeting, Criterion, EventSli, Exclusion, ExclusionKind, NoData, Sli, Slo,
};
use nines_core::window::{CalendarUnit, CalendarWindow, Window};
use nines_engine::report::{AlertCondition, SloReport, Status};
use nines_engine::{Options, alert_states, evaluate};

mod alerts;
mod budget;
mod calendar;
mod exclusions;
mod properties;
mod timeslices;

fn ms(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_millisecond()
}

fn minutes(text: &str) -> Duration {
    text.parse().unwrap()
}

fn slo(objective: &str, window: Window) -> Slo {
    Slo {
        service: "svc".into(),
        name: "availability".into(),
        description: None,
        objective: objective.parse().unwrap(),
        window,
        budgeting: Budgeting::Occurrences,
        sli: Sli::Events(EventSli {
            source: "access".into(),
            valid: Predicate::always(),
            criterion: Criterion::Good(Predicate::always()),
        }),
        group_by: None,
        alerts: Vec::new(),
        exclusions: Vec::new(),
        labels: Default::default(),
    }
}

fn rolling(text: &str) -> Window {
    Window::Rolling(minutes(text))
}

fn calendar(unit: CalendarUnit, zone: &str) -> Window {
    Window::Calendar(CalendarWindow {
        unit,
        time_zone: TimeZone::get(zone).unwrap(),
        time_zone_name: zone.into(),
        week_start: Weekday::Monday,
    })
}

/// Records `valid` events, `bad` of them bad, in the minute holding `at_ms`.
fn record(series: &mut SloSeries, at_ms: i64, valid: f64, bad: f64) {
    series.total.at_mut(at_ms).add(Counts {
        valid,
        good: valid - bad,
    });
    series.see(at_ms);
}

fn report(slo: &Slo, series: &SloSeries, at: &str) -> SloReport {
    evaluate(slo, series, ms(at), &Options::default())
}

fn page_rule(long: &str, short: &str, factor: f64, min_events: f64) -> AlertRule {
    AlertRule {
        severity: "page".into(),
        long: minutes(long),
        short: minutes(short),
        factor,
        budget_share: None,
        min_events,
    }
}

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "{actual} ≠ {expected}");
}
