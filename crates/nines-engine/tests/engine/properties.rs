//! Invariants that hold for any traffic.

use proptest::prelude::*;

use super::*;

fn traffic() -> impl Strategy<Value = Vec<(i64, u32, u32)>> {
    // (minute offset within 3 days, valid, bad ≤ valid)
    prop::collection::vec(
        (0i64..4_320, 0u32..1_000).prop_flat_map(|(m, v)| (Just(m), Just(v), 0..=v)),
        0..60,
    )
}

fn series_of(events: &[(i64, u32, u32)], base: i64) -> SloSeries {
    let mut series = SloSeries::default();
    for &(minute, valid, bad) in events {
        record(
            &mut series,
            base + minute * MINUTE_MS,
            f64::from(valid),
            f64::from(bad),
        );
    }
    series
}

proptest! {
    #[test]
    fn sli_lies_between_zero_and_one(events in traffic()) {
        let base = ms("2026-10-01T00:00:00Z");
        let slo = slo("99.9", rolling("2d"));
        let report = evaluate(&slo, &series_of(&events, base), base + 4_320 * MINUTE_MS,
            &Options::default());
        if let Some(sli) = report.sli {
            prop_assert!((0.0..=1.0).contains(&sli));
        }
        prop_assert!(report.good <= report.valid);
        for (_, rate) in &report.burn_rates.0 {
            if let Some(rate) = rate {
                prop_assert!(*rate >= 0.0 && rate.is_finite());
            }
        }
    }

    #[test]
    fn order_and_splitting_change_nothing(events in traffic(), split in 0usize..60) {
        let base = ms("2026-10-01T00:00:00Z");
        let at = base + 4_320 * MINUTE_MS;
        let mut slo = slo("99", rolling("2d"));
        slo.alerts = vec![page_rule("1h", "5m", 14.4, 0.0)];
        let whole = evaluate(&slo, &series_of(&events, base), at, &Options::default());
        // Reversed order, and split in two halves merged afterwards.
        let mut reversed = events.clone();
        reversed.reverse();
        let split = split.min(reversed.len());
        let mut merged = series_of(&reversed[..split], base);
        merged.merge(series_of(&reversed[split..], base));
        let other = evaluate(&slo, &merged, at, &Options::default());
        prop_assert_eq!(
            serde_json::to_string(&whole).unwrap(),
            serde_json::to_string(&other).unwrap()
        );
    }
}
