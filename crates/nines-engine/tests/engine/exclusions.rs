//! Exclusions: neither good nor bad, reported by reason.

use nines_core::recurrence::Recurrence;

use super::*;

#[test]
fn an_excluded_interval_counts_neither_good_nor_bad() {
    // 100 valid / 0 bad at 10:00, and an outage of 50 bad at 11:00 during maintenance.
    let mut slo = slo("99", rolling("1d"));
    slo.exclusions = vec![Exclusion {
        reason: "maintenance".into(),
        kind: ExclusionKind::Interval {
            start_ms: ms("2026-10-10T11:00:00Z"),
            end_ms: ms("2026-10-10T11:30:00Z"),
        },
    }];
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T10:00:00Z"), 100.0, 0.0);
    record(&mut series, ms("2026-10-10T11:10:00Z"), 50.0, 50.0);
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_eq!((report.valid, report.bad), (100.0, 0.0));
    assert_eq!(report.sli, Some(1.0));
    assert_eq!(report.excluded, 50.0);
    assert_eq!(report.excluded_by_reason["maintenance"].0, 50.0);
    // Excluded minutes are not gaps: the 30 minutes are left out of the coverage too.
    assert_eq!(report.coverage.window_minutes, 1_440 - 30);
}

#[test]
fn recurring_exclusions_follow_their_rule() {
    // Daily 02:00–02:30 UTC maintenance; bad events at 02:10 on two days are excluded,
    // bad events at 03:00 are not.
    let mut slo = slo("99", rolling("3d"));
    let rule = Recurrence::new(
        "FREQ=DAILY",
        ms("2026-10-01T02:00:00Z"),
        "UTC",
        minutes("30m"),
    );
    slo.exclusions = vec![Exclusion {
        reason: "nightly deploy".into(),
        kind: ExclusionKind::Recurring(Box::new(rule.unwrap())),
    }];
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-08T02:10:00Z"), 10.0, 10.0);
    record(&mut series, ms("2026-10-09T02:10:00Z"), 10.0, 10.0);
    record(&mut series, ms("2026-10-09T03:00:00Z"), 100.0, 1.0);
    let report = report(&slo, &series, "2026-10-10T00:00:00Z");
    assert_eq!((report.valid, report.bad), (100.0, 1.0));
    assert_eq!(report.excluded_by_reason["nightly deploy"].0, 20.0);
}

#[test]
fn excluded_events_are_reported_by_reason() {
    let slo = slo("99", rolling("1d"));
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T10:00:00Z"), 10.0, 0.0);
    *series
        .excluded
        .entry("synthetic probes".into())
        .or_default()
        .at_mut(ms("2026-10-10T10:00:00Z")) += 3.0;
    let report = report(&slo, &series, "2026-10-10T12:00:00Z");
    assert_eq!(report.valid, 10.0);
    assert_eq!(report.excluded, 3.0);
}
