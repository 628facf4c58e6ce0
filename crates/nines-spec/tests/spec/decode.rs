//! What a valid spec decodes into.

use nines_core::event::{Event, Field};
use nines_core::slo::{Budgeting, Criterion, ExclusionKind, NoData};
use nines_core::window::{CalendarUnit, Window};

use super::*;

const SHOP: &str = r#"
apiVersion: nines/v1
criteria:
  server_error: status >= 500
  health_check: path.startsWith("/healthz")
services:
  - name: shop
    team: storefront
    lead: ana@example.com
    tier: 1
    labels: {env: prod}
    dependencies:
      - service: payments
        kind: hard
    sources:
      - name: access
        format: combined-seconds
    slos:
      - name: availability
        objective: 99.9
        window: 28d
        sli:
          source: access
          valid: "!health_check"
          bad: server_error
        alerting:
          preset: google-28d
          min_events: 100
      - name: latency
        objective: 99
        window: {calendar: month, time_zone: Europe/Berlin}
        budgeting: {method: timeslices, slice: 5m, target: 95, no_data: bad}
        sli:
          source: access
          good: latency < 0.3
        group_by: method
        exclusions:
          - reason: maintenance
            start: 2026-10-01T02:00:00Z
            end: 2026-10-01T03:00:00Z
          - reason: synthetic probes
            events: user_agent.startsWith("probe")
  - name: payments
    sources:
      - name: access
    slos:
      - name: availability
        objective: 99.95
        window: 28d
        sli: {source: access, bad: server_error}
"#;

#[test]
fn a_full_spec_decodes_without_problems() {
    let loaded = load_str("shop.yaml", SHOP);
    assert_eq!(rendered(&loaded), "");
    let shop = loaded.catalog.service("shop").unwrap();
    assert_eq!(shop.team.as_deref(), Some("storefront"));
    assert_eq!(shop.tier, Some(1));
    assert!(shop.dependencies[0].hard);

    let availability = &shop.slos[0];
    assert_eq!(availability.objective.to_string(), "99.9");
    assert_eq!(availability.window, Window::Rolling("28d".parse().unwrap()));
    // google-28d on a 28-day window: 13.44, 5.6, 2.8, 0.9333…
    let factors: Vec<f64> = availability.alerts.iter().map(|a| a.factor).collect();
    assert_eq!(factors[..3], [13.44, 5.6, 2.8]);
    assert!(availability.alerts.iter().all(|a| a.min_events == 100.0));

    // The named criteria are inlined: a health check is not valid, a 503 is bad.
    let probe = Event {
        path: Some("/healthz"),
        status: Some(200),
        ..Event::at(0)
    };
    let failure = Event {
        path: Some("/cart"),
        status: Some(503),
        ..Event::at(0)
    };
    let sli = availability.sli.events().unwrap();
    assert!(!sli.valid.matches(&probe));
    assert!(sli.valid.matches(&failure));
    assert!(!sli.criterion.is_good(&failure));
}

#[test]
fn calendar_windows_timeslices_groups_and_exclusions() {
    let loaded = load_str("shop.yaml", SHOP);
    let latency = &loaded.catalog.service("shop").unwrap().slos[1];
    let Window::Calendar(calendar) = &latency.window else {
        panic!("not a calendar window")
    };
    assert_eq!(calendar.unit, CalendarUnit::Month);
    assert_eq!(calendar.time_zone_name, "Europe/Berlin");
    let Budgeting::Timeslices {
        slice,
        target,
        no_data,
    } = latency.budgeting
    else {
        panic!()
    };
    assert_eq!(
        (slice.minutes(), target.to_string(), no_data),
        (5, "95".into(), NoData::Bad)
    );
    assert_eq!(latency.group_by.as_ref().unwrap().field, Field::Method);
    assert!(matches!(
        latency.sli.events().unwrap().criterion,
        Criterion::Good(_)
    ));
    assert!(matches!(
        latency.exclusions[0].kind,
        ExclusionKind::Interval { .. }
    ));
    assert!(matches!(
        latency.exclusions[1].kind,
        ExclusionKind::Events(_)
    ));
}

#[test]
fn prometheus_slis_in_every_form() {
    let text = r#"
apiVersion: nines/v1
services:
  - name: api
    slos:
      - name: errors
        objective: 99.9
        window: 30d
        sli:
          prometheus:
            errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
            total: sum(rate(http_requests_total[{{.window}}]))
      - name: latency
        objective: 99
        window: 30d
        sli:
          prometheus:
            histogram: http_request_duration_seconds
            selector: job="api"
            threshold: 0.3
"#;
    let loaded = load_str("api.yaml", text);
    assert_eq!(rendered(&loaded), "");
    let slos = &loaded.catalog.service("api").unwrap().slos;
    assert!(matches!(
        &slos[0].sli,
        nines_core::slo::Sli::Prometheus(nines_core::slo::PromSli::ErrorsTotal { .. })
    ));
    let nines_core::slo::Sli::Prometheus(nines_core::slo::PromSli::Latency { threshold, .. }) =
        &slos[1].sli
    else {
        panic!("not a latency SLI");
    };
    assert_eq!(*threshold, 0.3);
}

#[test]
fn prometheus_queries_need_the_window_placeholder() {
    let text = "apiVersion: nines/v1\nservices:\n  - name: api\n    slos:\n      - name: e\n        \
                objective: 99\n        window: 30d\n        sli:\n          prometheus:\n            \
                errors: sum(rate(x[5m]))\n            total: sum(rate(y[{{.window}}]))\n";
    let output = rendered(&load_str("api.yaml", text));
    assert!(
        output.contains("has no `{{.window}}` placeholder"),
        "{output}"
    );
}
