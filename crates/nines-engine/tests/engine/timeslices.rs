//! Timeslice budgets: good slices, empty slices, budgets in minutes.

use super::*;

fn timeslices(target: &str, no_data: NoData) -> Budgeting {
    Budgeting::Timeslices {
        slice: Duration::MINUTE,
        target: target.parse().unwrap(),
        no_data,
    }
}

#[test]
fn monthly_budget_in_minutes_follows_daylight_saving() {
    // 1-minute slices at 99.9 %: October 2026 in Berlin has 44,700 minutes, so its budget is
    // 44.7 bad minutes; March has 44,580 minutes, 44.58. A minute into the month, one slice
    // is measured and every other one is still to come.
    let mut slo = slo("99.9", calendar(CalendarUnit::Month, "Europe/Berlin"));
    slo.budgeting = timeslices("99", NoData::Skip);
    let first_minute = |start: &str| {
        let mut series = SloSeries::default();
        record(&mut series, ms(start), 10.0, 0.0);
        series
    };
    let october = report(
        &slo,
        &first_minute("2026-09-30T22:00:00Z"),
        "2026-09-30T22:01:00Z",
    );
    assert_close(october.error_budget.allowed, 44.7);
    assert_eq!(
        october.error_budget.allowed_minutes,
        Some(october.error_budget.allowed)
    );
    assert_eq!(october.slices.as_ref().unwrap().total, 44_700);
    let march = report(
        &slo,
        &first_minute("2026-02-28T23:00:00Z"),
        "2026-02-28T23:01:00Z",
    );
    assert_close(march.error_budget.allowed, 44.58);
    // Mid-October with traffic in every minute so far: measured and future slices together
    // are still the whole month.
    let mut series = SloSeries::default();
    let start = ms("2026-09-30T22:00:00Z");
    for minute in 0..(14 * 1_440 + 2 * 60) {
        record(&mut series, start + minute * MINUTE_MS, 10.0, 0.0);
    }
    let mid = report(&slo, &series, "2026-10-15T00:00:00Z");
    assert_close(mid.error_budget.allowed, 44.7);
}

#[test]
fn slices_are_judged_by_their_own_sli_and_empty_ones_are_skipped() {
    // A 10-minute window of 1-minute slices, target 95 %, objective 90 %.
    // 11:50: 100 valid, 2 bad → 98 % → good.  11:51: 100 valid, 10 bad → 90 % → bad.
    // 11:52: 20 valid, 1 bad → 95 % → good (meets the target exactly).
    // The 7 other minutes are empty: no data, neither good nor bad, and out of the budget.
    let mut slo = slo("90", rolling("10m"));
    slo.budgeting = timeslices("95", NoData::Skip);
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T11:50:00Z"), 100.0, 2.0);
    record(&mut series, ms("2026-10-10T11:51:00Z"), 100.0, 10.0);
    record(&mut series, ms("2026-10-10T11:52:00Z"), 20.0, 1.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    let slices = report.slices.as_ref().unwrap();
    assert_eq!((slices.good, slices.bad, slices.no_data), (2, 1, 7));
    // SLI = 2 good / 3 measured slices.
    assert_close(report.sli.unwrap(), 2.0 / 3.0);
    // Budget = 10 % of the 3 measured slices = 0.3 slice; one bad slice spends it 3.33
    // times over: remaining 1 − 1 / 0.3 = −2.33.
    assert_close(report.error_budget.allowed, 0.3);
    assert_close(report.error_budget.remaining, 1.0 - 1.0 / 0.3);
    assert_eq!(report.status, Status::Exhausted);
    // The window burn agrees: (1 bad / 3 measured) / 0.1 = 3.33, the share spent.
    assert_close(report.burn_rates.get("window").unwrap(), 1.0 / 0.3);
}

#[test]
fn empty_slices_can_count_as_bad() {
    // Same data, but an SLO that must always see traffic: the 7 empty minutes are bad too.
    let mut slo = slo("90", rolling("10m"));
    slo.budgeting = timeslices("95", NoData::Bad);
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T11:50:00Z"), 100.0, 2.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    let slices = report.slices.as_ref().unwrap();
    assert_eq!((slices.good, slices.bad, slices.no_data), (1, 9, 0));
    assert_close(report.sli.unwrap(), 0.1);
}

#[test]
fn ratio_timeslices_average_the_slice_ratios() {
    // Worked example 2 again, with hourly ratio-timeslices: the mean of 0.9999 and 0.5 is
    // 0.74995 — here that is what was asked for.
    let mut slo = slo("99", rolling("2h"));
    slo.budgeting = Budgeting::RatioTimeslices {
        slice: minutes("1h"),
    };
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T10:30:00Z"), 100_000.0, 10.0);
    record(&mut series, ms("2026-10-10T11:30:00Z"), 100.0, 50.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_close(report.sli.unwrap(), 0.74995);
}

#[test]
fn budget_minutes_are_exact() {
    // 5-minute slices over 10 days: 2,880 slices, all measured (empty ones count as bad). At
    // 99.9 % the budget is 0.001 × 2,880 = 2.88 slices, which is 14.4 minutes exactly (2.88 × 5
    // in floating point is 14.399999999999999).
    let mut slo = slo("99.9", rolling("10d"));
    slo.budgeting = Budgeting::Timeslices {
        slice: minutes("5m"),
        target: "99".parse().unwrap(),
        no_data: NoData::Bad,
    };
    let report = report(&slo, &SloSeries::default(), "2026-10-10T12:00:00Z");
    assert_close(report.error_budget.allowed, 2.88);
    assert_eq!(report.error_budget.allowed_minutes, Some(14.4));
}

#[test]
fn empty_slices_that_count_as_bad_are_in_the_budget_too() {
    // One good minute and 9 empty ones that count as bad, objective 90 %: all 10 slices are
    // measured, so the budget is 1 slice and 9 bad slices spend it 9 times: remaining −8.
    let mut slo = slo("90", rolling("10m"));
    slo.budgeting = timeslices("95", NoData::Bad);
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T11:50:00Z"), 100.0, 2.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_close(report.error_budget.allowed, 1.0);
    assert_close(report.error_budget.remaining, -8.0);
    // Burn over the window: (9 / 10) / 0.1 = 9.
    assert_close(report.burn_rates.get("window").unwrap(), 9.0);
}

#[test]
fn a_calendar_ratio_timeslice_budget_counts_the_slices_to_come() {
    // A calendar day in UTC at 99 % with 1-minute slices, evaluated at 12:00 after two
    // measured minutes: 11:00 all good, 11:01 half bad. Measured 2 + 720 to come = 722
    // slices: allowed 7.22; spent 0.5 (the bad share of 11:01); remaining 1 − 0.5 / 7.22.
    let mut slo = slo("99", calendar(CalendarUnit::Day, "UTC"));
    slo.budgeting = Budgeting::RatioTimeslices {
        slice: minutes("1m"),
    };
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T11:00:00Z"), 100.0, 0.0);
    record(&mut series, ms("2026-10-10T11:01:00Z"), 100.0, 50.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_close(report.error_budget.allowed, 7.22);
    assert_close(report.error_budget.remaining, 1.0 - 0.5 / 7.22);
    // The SLI is the mean of the two slice ratios: (1 + 0.5) / 2.
    assert_close(report.sli.unwrap(), 0.75);
}
