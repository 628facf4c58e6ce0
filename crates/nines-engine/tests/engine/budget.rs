//! Occurrences budgets, ratio of sums, and windows without traffic.

use super::*;

#[test]
fn budget_over_a_rolling_window() {
    // Objective 99.9 %, rolling 30d; 1,000,000 valid events, 500 bad.
    let slo = slo("99.9", rolling("30d"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T12:00:00Z"), 1_000_000.0, 500.0);
    let report = report(&slo, &series, "2026-10-20T00:00:00Z");
    // SLI = 999,500 / 1,000,000 = 0.9995
    assert_eq!(report.sli, Some(0.9995));
    // allowed = (1 − 0.999) × 1,000,000 = 1,000 exactly
    assert_eq!(report.error_budget.allowed, 1_000.0);
    // consumed = 500 / 1,000 = 0.5; remaining = 0.5
    assert_eq!(report.error_budget.consumed, 0.5);
    assert_eq!(report.error_budget.remaining, 0.5);
    // burn rate over the window = (500 / 1,000,000) / 0.001 = 0.5
    assert_eq!(report.burn_rates.get("window"), Some(0.5));
    assert_eq!(report.status, Status::Ok);
}

#[test]
fn ratio_of_sums_not_mean_of_ratios() {
    // Hour A: 100,000 valid, 10 bad. Hour B: 100 valid, 50 bad.
    let slo = slo("99.9", rolling("1d"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T10:30:00Z"), 100_000.0, 10.0);
    record(&mut series, ms("2026-10-10T11:30:00Z"), 100.0, 50.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    // right: 1 − 60 / 100,100 = 0.999400599…; the mean of ratios would be 0.74995
    assert_close(report.sli.unwrap(), 1.0 - 60.0 / 100_100.0);
    assert_eq!(report.bad, 60.0);
}

#[test]
fn no_traffic_is_not_a_hundred_percent() {
    // Traffic an hour ago, none in the last 5 minutes.
    let slo = slo("99.9", rolling("7d"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T11:00:00Z"), 100.0, 1.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_eq!(report.burn_rates.get("5m"), None);
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["burn_rates"]["5m"].is_null());
    // 1 bad of 100 = 0.01 error ratio / 0.001 = burn 10 over the hour.
    assert_close(report.burn_rates.get("1h").unwrap(), 10.0);
}

#[test]
fn an_empty_window_has_no_sli_and_a_whole_budget() {
    let slo = slo("99.9", rolling("7d"));
    let report = report(&slo, &SloSeries::default(), "2026-10-10T12:00:00Z");
    assert_eq!(report.sli, None);
    assert_eq!(report.error_budget.remaining, 1.0);
    assert_eq!(report.status, Status::NoData);
    // The whole window is one gap: 7 × 1,440 = 10,080 minutes.
    assert_eq!(report.gaps.count, 1);
    assert_eq!(report.gaps.minutes, 10_080);
    assert_eq!(report.coverage.ratio, 0.0);
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["sli"].is_null());
}

#[test]
fn gaps_are_the_empty_stretches_of_the_window() {
    // A 1h window with data in minutes :10 and :40 only.
    let slo = slo("99", rolling("1h"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T11:10:00Z"), 5.0, 0.0);
    record(&mut series, ms("2026-10-10T11:40:30Z"), 5.0, 0.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    // [11:00, 11:10) 10 minutes, [11:11, 11:40) 29, [11:41, 12:00) 19.
    let lengths: Vec<i64> = report.gaps.intervals.iter().map(|g| g.minutes).collect();
    assert_eq!(lengths, vec![10, 29, 19]);
    assert_eq!(report.gaps.intervals[1].start, "2026-10-10T11:11:00Z");
    assert_eq!(report.coverage.minutes_with_data, 2);
    assert_eq!(report.coverage.window_minutes, 60);
}

#[test]
fn an_overspent_budget_goes_negative_and_fails() {
    // 99 % over 1d: 1,000 valid, 30 bad → allowed 10, consumed 3, remaining −2.
    let slo = slo("99", rolling("1d"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T08:00:00Z"), 1_000.0, 30.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_eq!(report.error_budget.allowed, 10.0);
    assert_eq!(report.error_budget.remaining, -2.0);
    assert_eq!(report.status, Status::Exhausted);
    assert!(report.status.is_failing());
    assert_eq!(report.exhaustion.at_1h_burn_rate.seconds, Some(0.0));
}

#[test]
fn time_to_exhaustion_at_the_current_burn() {
    // 99 % over 10d. Five days ago 30,000 valid, none bad; in the last day 10,000 valid, 200
    // bad. Window: 40,000 valid, allowed 400, spent 200, remaining 0.5.
    // Burn over 1d = (200 / 10,000) / 0.01 = 2. If the last day's rates go on, after t days
    // (t < 5, while the old 30,000 stay in the window): spent = 200 + 200 t, allowed =
    // 0.01 × (40,000 + 10,000 t) = 400 + 100 t; equal at t = 2 days = 172,800 s.
    let slo = slo("99", rolling("10d"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-05T12:00:00Z"), 30_000.0, 0.0);
    record(&mut series, ms("2026-10-10T06:00:00Z"), 10_000.0, 200.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_eq!(report.error_budget.remaining, 0.5);
    assert_eq!(report.exhaustion.at_1d_burn_rate.seconds, Some(172_800.0));
    assert_eq!(
        report.exhaustion.at_1d_burn_rate.at.as_deref(),
        Some("2026-10-12T12:00:00Z")
    );
    // Nothing in the last hour: no burn, no forecast.
    assert_eq!(report.exhaustion.at_1h_burn_rate.seconds, None);
}

#[test]
fn a_rolling_window_burning_at_one_or_less_never_runs_out() {
    // 99 % over 10d, all traffic in the last day: 10,000 valid, 50 bad. Remaining 0.5, burn
    // over 1d = (50 / 10,000) / 0.01 = 0.5. Errors age out of a rolling window as fast as a
    // burn of 1 spends, so at 0.5 the spending settles at half the budget: no exhaustion.
    let slo = slo("99", rolling("10d"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T06:00:00Z"), 10_000.0, 50.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_eq!(report.error_budget.remaining, 0.5);
    assert_eq!(report.exhaustion.at_1d_burn_rate.seconds, None);
}

#[test]
fn a_calendar_forecast_after_the_period_ends_is_none() {
    // Calendar day in UTC at 99 %, evaluated at 12:00. 06:00: 10,000 valid, 50 bad: allowed
    // 100, remaining 0.5; burn over 1d = 0.5, over 1h none. Half a budget at burn 0.5 lasts
    // 0.5 × 24 h / 0.5 = 24 h, past the day's end at midnight: the budget is renewed first.
    let slo = slo("99", calendar(CalendarUnit::Day, "UTC"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T06:00:00Z"), 10_000.0, 50.0);
    let day = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_eq!(day.error_budget.remaining, 0.5);
    assert_eq!(day.exhaustion.at_1d_burn_rate.seconds, None);
    // At 11:00 a burst of 70 bad in 1,000: allowed 110, spent 120, remaining 1 − 120 / 110
    // = −0.0909...: already spent.
    record(&mut series, ms("2026-10-10T11:00:00Z"), 1_000.0, 70.0);
    let spent = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_close(spent.error_budget.remaining, 1.0 - 120.0 / 110.0);
    assert_eq!(spent.exhaustion.at_1h_burn_rate.seconds, Some(0.0));
}

#[test]
fn evaluation_time_is_rounded_down_to_the_minute() {
    let slo = slo("99", rolling("1h"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T11:59:10Z"), 1.0, 0.0);
    let report = report(&slo, &series, "2026-10-10T11:59:40Z");
    assert_eq!(report.evaluated_at, "2026-10-10T11:59:00Z");
    // The minute being evaluated has not finished: it is not in the window.
    assert_eq!(report.valid, 0.0);
}

#[test]
fn groups_without_events_in_the_window_are_left_out() {
    // A 1d window at 12:00: the group `old` only has events three days earlier; `new` has 10
    // valid, 1 bad in the window: SLI 0.9.
    let slo = slo("99", rolling("1d"));
    let mut series = SloSeries::default();
    for (group, at, valid, bad) in [
        ("old", "2026-10-07T12:00:00Z", 5.0, 0.0),
        ("new", "2026-10-10T11:00:00Z", 10.0, 1.0),
    ] {
        record(&mut series, ms(at), valid, bad);
        series
            .groups
            .entry(group.to_owned())
            .or_default()
            .at_mut(ms(at))
            .add(Counts {
                valid,
                good: valid - bad,
            });
    }
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    let groups: Vec<&str> = report.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(groups, ["new"]);
    assert_close(report.groups[0].sli.unwrap(), 0.9);
}

#[test]
fn old_errors_age_out_of_a_rolling_window_in_the_forecast() {
    // 99 % over 1d, at 12:00 on the 10th. One valid event a minute for the whole day (1,440);
    // the 8 oldest minutes (12:00–12:08 on the 9th) were errors, and 6 of the last hour's 60.
    // Spent 14 of 14.4 allowed: remaining 0.4 events' worth.
    // The last hour's rates going on: 1 valid and 0.1 bad a minute. After t minutes the oldest
    // t minutes have left: for t ≤ 8, spent = 14 − t + 0.1 t, allowed = 0.01 × 1,440 = 14.4
    // (a minute in for a minute out): never reached. After the 8 old errors are gone, spent =
    // 6 + 0.1 t while allowed stays 14.4, until the last hour's own errors leave the window
    // (t ≥ 1,380): 6 + 0.1 t ≥ 14.4 at t = 84 minutes.
    let slo = slo("99", rolling("1d"));
    let mut series = SloSeries::default();
    let start = ms("2026-10-09T12:00:00Z");
    for minute in 0..1_440 {
        let bad = if minute < 8 || (minute >= 1_380 && minute % 10 == 0) {
            1.0
        } else {
            0.0
        };
        record(&mut series, start + minute * MINUTE_MS, 1.0, bad);
    }
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_close(report.error_budget.allowed, 14.4);
    assert_close(report.error_budget.spent, 14.0);
    assert_eq!(report.exhaustion.at_1h_burn_rate.seconds, Some(84.0 * 60.0));
}
