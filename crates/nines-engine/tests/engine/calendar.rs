//! Calendar windows: budgets so far, projections, time zones.

use super::*;

#[test]
fn budget_so_far_and_the_projection() {
    // Calendar month at 90 %, evaluated after 7 of November's 30 days:
    // 100,000 valid events so far, 4,000 bad.
    let slo = slo("90", calendar(CalendarUnit::Month, "UTC"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-11-03T00:00:00Z"), 100_000.0, 4_000.0);
    let report = report(&slo, &series, "2026-11-08T00:00:00Z");
    // consumed = 4,000 / (0.1 × 100,000) = 0.4; remaining = 0.6 (the number that counts)
    assert_close(report.error_budget.consumed, 0.4);
    assert_close(report.error_budget.remaining, 0.6);
    assert_eq!(report.window_start, "2026-11-01T00:00:00Z");
    assert_eq!(report.window_end, "2026-12-01T00:00:00Z");
    // The projection, labelled an estimate: × 30/7 → ≈ 428,571 valid, ≈ 17,143 bad, and
    // the same share consumed.
    let projection = report.projection.unwrap();
    assert!(projection.estimate);
    assert_eq!(projection.valid.round(), 428_571.0);
    assert_eq!(projection.bad.round(), 17_143.0);
    assert_close(projection.consumed, 0.4);
}

#[test]
fn rolling_windows_have_no_projection() {
    let slo = slo("90", rolling("30d"));
    let report = report(&slo, &SloSeries::default(), "2026-11-08T00:00:00Z");
    assert!(report.projection.is_none());
}

#[test]
fn a_berlin_month_counts_from_local_midnight() {
    // October 2026 in Berlin starts 2026-09-30T22:00Z. An event at 22:30Z on 30 September
    // is in October there, and one at 21:30Z is still in September.
    let slo = slo("99", calendar(CalendarUnit::Month, "Europe/Berlin"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-09-30T21:30:00Z"), 7.0, 7.0);
    record(&mut series, ms("2026-09-30T22:30:00Z"), 10.0, 0.0);
    let report = report(&slo, &series, "2026-10-05T00:00:00Z");
    assert_eq!(report.valid, 10.0);
    assert_eq!(report.bad, 0.0);
    assert_eq!(report.window_start, "2026-09-30T22:00:00Z");
    assert_eq!(report.window_end, "2026-10-31T23:00:00Z");
}

#[test]
fn a_slice_projection_speaks_of_the_measured_slices() {
    // Calendar day in UTC, 1-minute timeslices at 99 % (target 95, empty slices skipped),
    // evaluated at 12:00 with 10 measured minutes from 10:00, one of them bad (10:08).
    // Half the day is over (scale 2): 20 measured slices and 2 bad by midnight at this rate;
    // the budget of 20 measured slices is 0.2, so 2 bad ones consume 10 times it: the
    // window's burn rate, 0.1 / 0.01 = 10.
    let mut slo = slo("99", calendar(CalendarUnit::Day, "UTC"));
    slo.budgeting = Budgeting::Timeslices {
        slice: minutes("1m"),
        target: "95".parse().unwrap(),
        no_data: NoData::Skip,
    };
    let mut series = SloSeries::default();
    for minute in 0..10 {
        let bad = if minute == 8 { 10.0 } else { 0.0 };
        record(
            &mut series,
            ms("2026-10-10T10:00:00Z") + minute * MINUTE_MS,
            10.0,
            bad,
        );
    }
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_close(report.burn_rates.get("window").unwrap(), 10.0);
    assert_close(report.projection.unwrap().consumed, 10.0);
}
