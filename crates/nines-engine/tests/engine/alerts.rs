//! Multi-window burn-rate alerts.

use super::*;

fn states_at(slo: &Slo, series: &SloSeries, at_ms: i64) -> AlertCondition {
    alert_states(slo, series, at_ms)[0].state
}

/// The worked example: 99.9 % over 30d, page on (1h, 5m) at 14.4.
fn page_example() -> (Slo, SloSeries, i64) {
    let mut slo = slo("99.9", rolling("30d"));
    slo.alerts = vec![page_rule("1h", "5m", 14.4, 0.0)];
    let t = ms("2026-10-10T12:00:00Z");
    let minute = |offset: i64| t + offset * MINUTE_MS;
    let mut series = SloSeries::default();
    // Ten days earlier, a million good events keep the 30-day budget from running out.
    record(&mut series, minute(-14_400), 1_000_000.0, 0.0);
    record(&mut series, minute(-58), 1_000.0, 0.0);
    record(&mut series, minute(-30), 10_000.0, 160.0);
    record(&mut series, minute(-3), 1_000.0, 20.0);
    record(&mut series, minute(2), 1_000.0, 5.0);
    (slo, series, t)
}

#[test]
fn the_page_fires_when_both_lookbacks_burn_too_fast() {
    let (slo, series, t) = page_example();
    let state = &alert_states(&slo, &series, t)[0];
    // 1h: 12,000 valid, 180 bad → 0.015 / 0.001 = 15 > 14.4
    assert_close(state.long_burn_rate.unwrap(), 15.0);
    // 5m: 1,000 valid, 20 bad → 0.02 / 0.001 = 20 > 14.4
    assert_close(state.short_burn_rate.unwrap(), 20.0);
    assert_eq!(state.state, AlertCondition::Firing);
    let report = evaluate(&slo, &series, t, &Options::default());
    assert_eq!(report.firing, vec!["page".to_owned()]);
    assert_eq!(report.status, Status::Page);
}

#[test]
fn clearing_follows_the_short_lookback() {
    let (slo, series, t) = page_example();
    let later = t + 5 * MINUTE_MS;
    let state = &alert_states(&slo, &series, later)[0];
    // 5m: 1,000 valid, 5 bad → burn 5: the pair stops firing…
    assert_close(state.short_burn_rate.unwrap(), 5.0);
    assert_eq!(state.state, AlertCondition::Ok);
    // …although the 1h lookback, 12,000 valid and 185 bad, still burns at 15.42 > 14.4.
    assert_close(state.long_burn_rate.unwrap(), 185.0 / 12_000.0 / 0.001);
}

#[test]
fn fires_and_clears_at_the_right_minutes() {
    let (slo, series, t) = page_example();
    // The 20 bad events sit in minute t−3. A 5m lookback ending at `now` covers
    // [now − 5, now), so it holds t−3 for now in t−2 … t+2, and the pair fires exactly then.
    let firing: Vec<i64> = (-10..10)
        .filter(|k| states_at(&slo, &series, t + k * MINUTE_MS) == AlertCondition::Firing)
        .collect();
    assert_eq!(firing, vec![-2, -1, 0, 1, 2]);
}

#[test]
fn too_few_events_never_page() {
    // Minimum 100 events; at 03:00 the hour holds 4 valid events, 1 bad: burn 250 at 99.9 %.
    let mut slo = slo("99.9", rolling("30d"));
    slo.alerts = vec![page_rule("1h", "5m", 14.4, 100.0)];
    let mut series = SloSeries::default();
    record(&mut series, ms("2026-10-10T02:58:00Z"), 4.0, 1.0);
    let state = &alert_states(&slo, &series, ms("2026-10-10T03:00:00Z"))[0];
    assert_close(state.long_burn_rate.unwrap(), 250.0);
    assert_eq!(state.state, AlertCondition::InsufficientTraffic);
    let json = serde_json::to_value(state).unwrap();
    assert_eq!(json["state"], "insufficient traffic");
}

#[test]
fn no_data_never_fires() {
    let mut slo = slo("99.9", rolling("30d"));
    slo.alerts = vec![page_rule("1h", "5m", 14.4, 0.0)];
    let mut series = SloSeries::default();
    // All bad, but 10 minutes ago: the 5m lookback is empty.
    record(&mut series, ms("2026-10-10T11:50:00Z"), 100.0, 100.0);
    let state = &alert_states(&slo, &series, ms("2026-10-10T12:00:00Z"))[0];
    assert_eq!(state.state, AlertCondition::NoData);
    assert_eq!(state.short_burn_rate, None);
}
