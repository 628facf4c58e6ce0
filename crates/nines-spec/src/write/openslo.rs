//! The model as OpenSLO v1: a `Service` per service, a `DataSource` per telemetry source, and
//! an `SLI` and an `SLO` per SLO, with alert policies inline.
//!
//! OpenSLO names are DNS labels and unique per kind, so SLOs are named `service-slo`; the nines
//! names, and everything only nines has (ownership, dependencies, sources, expressions and the
//! criteria they use, group_by, exclusions, short lookbacks, minimum events), ride along as
//! `nines.dev/` annotations, so that importing the export gives back the same model.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};
use nines_core::duration::Duration;
use nines_core::slo::{
    AlertRule, Budgeting, Catalog, Criterion, EventSli, ExclusionKind, NoData, PromSli, Service,
    Sli, Slo, Source,
};
use nines_core::window::{CalendarUnit, Window};

use crate::import::ratio;
use crate::openslo::{NOTIFICATION_TARGET, annotation};

use super::native;
use super::yaml::{self, Mapping, Yaml};

/// The OpenSLO version written.
const API_VERSION: &str = "openslo/v1";

/// The catalog as OpenSLO v1 documents; `criteria` are the named criteria its expressions
/// may use.
pub fn to_openslo(catalog: &Catalog, criteria: &BTreeMap<String, String>) -> String {
    let mut documents = Vec::new();
    let mut used = BTreeSet::new();
    for service in &catalog.services {
        documents.push(service_document(service));
        for source in &service.sources {
            documents.push(data_source(service, source));
        }
        for slo in &service.slos {
            let name = slo_name(service, slo, &mut used);
            documents.push(sli_document(service, slo, &name, criteria));
            documents.push(slo_document(service, slo, &name));
        }
    }
    yaml::documents(&documents)
}

/// The OpenSLO name of an SLO and its SLI, unique among the SLOs written: the service's name
/// and the SLO's, or the SLO's alone when it starts with the service's already, as SLOs
/// imported from OpenSLO do (`checkout-availability` of `checkout`). The nines name rides
/// along, so the choice does not change what is imported.
fn slo_name(service: &Service, slo: &Slo, used: &mut BTreeSet<String>) -> String {
    let prefixed = dns_name(&[&service.name, &slo.name]);
    let own = dns_name(&[&slo.name]);
    let service_prefix = format!("{}-", dns_name(&[&service.name]));
    let mut candidates = vec![prefixed.clone()];
    if own.starts_with(&service_prefix) {
        candidates.insert(0, own);
    }
    let name = candidates
        .into_iter()
        .find(|name| !used.contains(name))
        .unwrap_or_else(|| {
            (2..)
                .map(|number| dns_name(&[&prefixed, &number.to_string()]))
                .find(|name| !used.contains(name))
                .unwrap_or(prefixed)
        });
    used.insert(name.clone());
    name
}

/// A name OpenSLO accepts: lowercase letters, digits and `-`, at most 63 characters.
fn dns_name(parts: &[&str]) -> String {
    let name = crate::openslo::slug(&parts.join("-"));
    let mut name: String = name.chars().take(63).collect();
    while name.ends_with('-') {
        name.pop();
    }
    if name.is_empty() {
        "unnamed".into()
    } else {
        name
    }
}

fn object(kind: &str, metadata: Yaml, spec: Yaml) -> Yaml {
    Mapping::new()
        .set("apiVersion", Yaml::text(API_VERSION))
        .set("kind", Yaml::text(kind))
        .set("metadata", metadata)
        .set("spec", spec)
        .build()
}

fn metadata(name: &str, labels: &BTreeMap<String, String>, annotations: Mapping) -> Yaml {
    let mut annotations = annotations;
    Mapping::new()
        .set("name", Yaml::text(name))
        .set_nonempty("labels", native::labels(labels))
        .set_nonempty("annotations", annotations.build())
        .build()
}

fn service_document(service: &Service) -> Yaml {
    let name = dns_name(&[&service.name]);
    let mut annotations = Mapping::new();
    if name != service.name {
        annotations.set(annotation::NAME, Yaml::text(&service.name));
    }
    annotations
        .set_some(annotation::TEAM, service.team.as_deref().map(Yaml::text))
        .set_some(annotation::LEAD, service.lead.as_deref().map(Yaml::text))
        .set_some(
            annotation::TIER,
            service.tier.map(|t| Yaml::text(t.to_string())),
        );
    if !service.dependencies.is_empty() {
        let dependencies = yaml::json(&native::dependencies(&service.dependencies));
        annotations.set(annotation::DEPENDENCIES, Yaml::text(dependencies));
    }
    let metadata = metadata(&name, &service.labels, annotations);
    object("Service", metadata, Yaml::Map(Vec::new()))
}

fn data_source(service: &Service, source: &Source) -> Yaml {
    let mut annotations = Mapping::new();
    annotations
        .set(annotation::SERVICE, Yaml::text(&service.name))
        .set(annotation::SOURCE, Yaml::text(&source.name));
    let name = dns_name(&[&service.name, &source.name]);
    let metadata = metadata(&name, &BTreeMap::new(), annotations);
    let spec = Mapping::new()
        .set("type", Yaml::text("nines"))
        .set("connectionDetails", native::source_details(&source.format))
        .build();
    object("DataSource", metadata, spec)
}

fn sli_document(
    service: &Service,
    slo: &Slo,
    name: &str,
    criteria: &BTreeMap<String, String>,
) -> Yaml {
    let mut annotations = Mapping::new();
    let used = used_criteria(slo, criteria);
    if !used.is_empty() {
        let entries = used
            .into_iter()
            .map(|(name, text)| (name, Yaml::text(text)))
            .collect();
        annotations.set(
            annotation::CRITERIA,
            Yaml::text(yaml::json(&Yaml::Map(entries))),
        );
    }
    let ratio = match &slo.sli {
        Sli::Events(events) => event_ratio(service, events),
        Sli::Prometheus(prometheus) => {
            if let PromSli::Latency { .. } = prometheus {
                let histogram = yaml::json(&native_prometheus(prometheus));
                annotations.set(annotation::HISTOGRAM, Yaml::text(histogram));
            }
            prometheus_ratio(prometheus)
        }
    };
    let metadata = metadata(name, &BTreeMap::new(), annotations);
    let spec = Mapping::new().set("ratioMetric", ratio).build();
    object("SLI", metadata, spec)
}

/// The nines `prometheus` mapping of a Prometheus SLI.
fn native_prometheus(sli: &PromSli) -> Yaml {
    let PromSli::Latency {
        metric,
        selector,
        threshold,
    } = sli
    else {
        return Yaml::Map(Vec::new());
    };
    let mut map = Mapping::new();
    map.set("histogram", Yaml::text(metric));
    if !selector.is_empty() {
        map.set("selector", Yaml::text(selector));
    }
    map.set("threshold", Yaml::plain(threshold)).build()
}

/// Valid events as `total`, the criterion as `good` or `bad`, all from the source's data
/// source.
fn event_ratio(service: &Service, events: &EventSli) -> Yaml {
    let data_source = dns_name(&[&service.name, &events.source]);
    let metric = |query: &str| {
        let source = Mapping::new()
            .set("metricSourceRef", Yaml::text(&data_source))
            .set("type", Yaml::text("nines"))
            .set(
                "spec",
                Mapping::new().set("query", Yaml::text(query)).build(),
            )
            .build();
        Mapping::new().set("metricSource", source).build()
    };
    let (key, criterion) = match &events.criterion {
        Criterion::Good(good) => ("good", good),
        Criterion::Bad(bad) => ("bad", bad),
    };
    Mapping::new()
        .set("counter", Yaml::plain("true"))
        .set(key, metric(criterion.source()))
        .set("total", metric(events.valid.source()))
        .build()
}

fn prometheus_ratio(sli: &PromSli) -> Yaml {
    let metric = |query: &str| {
        let source = Mapping::new()
            .set("type", Yaml::text("Prometheus"))
            .set(
                "spec",
                Mapping::new().set("query", Yaml::text(query)).build(),
            )
            .build();
        Mapping::new().set("metricSource", source).build()
    };
    let mut map = Mapping::new();
    match sli {
        PromSli::ErrorsTotal { errors, total } => {
            map.set("counter", Yaml::plain("true"))
                .set("bad", metric(errors))
                .set("total", metric(total));
        }
        PromSli::GoodTotal { good, total } => {
            map.set("counter", Yaml::plain("true"))
                .set("good", metric(good))
                .set("total", metric(total));
        }
        PromSli::ErrorRatio { query } => {
            map.set("counter", Yaml::plain("false"))
                .set("rawType", Yaml::text("failure"))
                .set("raw", metric(query));
        }
        PromSli::Latency {
            metric: histogram,
            selector,
            threshold,
        } => {
            // The threshold's bucket by its numeric bound, as the rules find it: `le="0.3"`
            // would miss exporters that write `0.30`.
            let bucket = |le: &str| {
                let separator = if selector.is_empty() { "" } else { "," };
                format!(
                    "sum(rate({histogram}_bucket{{{selector}{separator}{le}}}[{}]))",
                    PromSli::WINDOW
                )
            };
            let threshold = format!("le=~`{}`", PromSli::bucket_bound_regex(*threshold));
            map.set("counter", Yaml::plain("true"))
                .set("good", metric(&bucket(&threshold)))
                .set("total", metric(&bucket("le=\"+Inf\"")));
        }
    }
    map.build()
}

/// The named criteria `slo`'s expressions use, and those they use in turn.
fn used_criteria(slo: &Slo, criteria: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut texts: Vec<&str> = Vec::new();
    if let Sli::Events(events) = &slo.sli {
        texts.push(events.valid.source());
        texts.push(match &events.criterion {
            Criterion::Good(p) | Criterion::Bad(p) => p.source(),
        });
    }
    for exclusion in &slo.exclusions {
        if let ExclusionKind::Events(events) = &exclusion.kind {
            texts.push(events.source());
        }
    }
    let mut used = BTreeMap::new();
    while let Some(text) = texts.pop() {
        for word in identifiers(text) {
            if let Some((name, definition)) = criteria.get_key_value(word) {
                if used.insert(name.clone(), definition.clone()).is_none() {
                    texts.push(definition);
                }
            }
        }
    }
    used
}

/// The identifiers of a CEL expression, outside string literals.
fn identifiers(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if byte == b'"' || byte == b'\'' {
            at += 1;
            while at < bytes.len() && bytes[at] != byte {
                at += if bytes[at] == b'\\' { 2 } else { 1 };
            }
            at += 1;
        } else if byte.is_ascii_alphabetic() || byte == b'_' {
            let start = at;
            while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                at += 1;
            }
            words.push(&text[start..at]);
        } else {
            at += 1;
        }
    }
    words
}

fn slo_document(service: &Service, slo: &Slo, name: &str) -> Yaml {
    let metadata = metadata(name, &slo.labels, slo_annotations(slo, name));
    let mut spec = Mapping::new();
    spec.set_some("description", slo.description.as_deref().map(Yaml::text))
        .set("service", Yaml::text(dns_name(&[&service.name])))
        .set("indicatorRef", Yaml::text(name))
        .set("timeWindow", Yaml::List(vec![window(&slo.window)]))
        .set("budgetingMethod", Yaml::text(method(slo.budgeting)))
        .set("objectives", Yaml::List(vec![objective(slo)]));
    if !slo.alerts.is_empty() {
        spec.set("alertPolicies", Yaml::List(policies(name, &slo.alerts)));
    }
    object("SLO", metadata, spec.build())
}

fn slo_annotations(slo: &Slo, name: &str) -> Mapping {
    let mut annotations = Mapping::new();
    if name != slo.name {
        annotations.set(annotation::NAME, Yaml::text(&slo.name));
    }
    annotations.set_some(
        annotation::GROUP_BY,
        slo.group_by.as_ref().map(|g| Yaml::text(&g.name)),
    );
    if !slo.exclusions.is_empty() {
        let exclusions = yaml::json(&native::exclusions(&slo.exclusions));
        annotations.set(annotation::EXCLUSIONS, Yaml::text(exclusions));
    }
    if let Budgeting::Timeslices {
        no_data: NoData::Bad,
        ..
    } = slo.budgeting
    {
        annotations.set(annotation::NO_DATA, Yaml::text("bad"));
    }
    annotations
}

/// A length in OpenSLO's shorthand, one unit only: `28d`, `36h`, `1008m`.
fn shorthand(duration: Duration) -> String {
    let seconds = duration.seconds();
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn window(window: &Window) -> Yaml {
    let calendar = match window {
        Window::Rolling(length) => {
            return Mapping::new()
                .set("duration", Yaml::plain(shorthand(*length)))
                .set("isRolling", Yaml::plain("true"))
                .build();
        }
        Window::Calendar(calendar) => calendar,
    };
    let duration = match calendar.unit {
        CalendarUnit::Day => "1d",
        CalendarUnit::Week => "1w",
        CalendarUnit::Month => "1M",
        CalendarUnit::Quarter => "1Q",
        CalendarUnit::Year => "1Y",
    };
    let week_start = match calendar.unit {
        CalendarUnit::Week => calendar.week_start,
        _ => Weekday::Monday,
    };
    let start_time = format!("{} 00:00:00", first_day(week_start));
    let start = Mapping::new()
        .set("startTime", Yaml::text(start_time))
        .set("timeZone", Yaml::text(&calendar.time_zone_name))
        .build();
    Mapping::new()
        .set("duration", Yaml::plain(duration))
        .set("calendar", start)
        .set("isRolling", Yaml::plain("false"))
        .build()
}

/// A period start in 2024 on the week's first day (1 January 2024 is a Monday), which also
/// starts every other unit.
fn first_day(week_start: Weekday) -> Date {
    let monday = jiff::civil::date(2024, 1, 1);
    let offset = i64::from(week_start.to_monday_zero_offset());
    if offset == 0 {
        return monday;
    }
    // Only weekly windows look at the weekday; the days before 1 January start a week too.
    monday
        .checked_sub(jiff::Span::new().days(7 - offset))
        .unwrap_or(monday)
}

fn method(budgeting: Budgeting) -> &'static str {
    match budgeting {
        Budgeting::Occurrences => "Occurrences",
        Budgeting::Timeslices { .. } => "Timeslices",
        Budgeting::RatioTimeslices { .. } => "RatioTimeslices",
    }
}

fn objective(slo: &Slo) -> Yaml {
    let mut map = Mapping::new();
    map.set(
        "target",
        Yaml::plain(ratio::from_percent(slo.objective.percent())),
    );
    match slo.budgeting {
        Budgeting::Occurrences => {}
        Budgeting::Timeslices { slice, target, .. } => {
            map.set(
                "timeSliceTarget",
                Yaml::plain(ratio::from_percent(target.percent())),
            )
            .set("timeSliceWindow", Yaml::plain(shorthand(slice)));
        }
        Budgeting::RatioTimeslices { slice } => {
            map.set("timeSliceWindow", Yaml::plain(shorthand(slice)));
        }
    }
    map.build()
}

/// The SLO's alert rules as inline policies, one per rule, since an OpenSLO policy holds one
/// condition. OpenSLO has one lookback per condition: the long one; the short one rides along
/// in an annotation. It is not written as `alertAfter`, which in OpenSLO is how long the
/// condition must hold before the alert fires: other tools would page that much later.
fn policies(slo_name: &str, rules: &[AlertRule]) -> Vec<Yaml> {
    rules
        .iter()
        .enumerate()
        .map(|(number, rule)| {
            let name = dns_name(&[slo_name, &rule.severity, &(number + 1).to_string()]);
            policy(&name, rule)
        })
        .collect()
}

fn policy(name: &str, rule: &AlertRule) -> Yaml {
    let metadata = Mapping::new().set("name", Yaml::text(name)).build();
    let spec = Mapping::new()
        .set("alertWhenBreaching", Yaml::plain("true"))
        .set("conditions", Yaml::List(vec![condition(name, rule)]))
        .set(
            "notificationTargets",
            Yaml::List(vec![notification_target()]),
        )
        .build();
    Mapping::new()
        .set("kind", Yaml::text("AlertPolicy"))
        .set("metadata", metadata)
        .set("spec", spec)
        .build()
}

/// OpenSLO requires a policy to name where its alerts go; nines alerts carry their SLO and
/// severity, and are routed by them.
fn notification_target() -> Yaml {
    let spec = Mapping::new()
        .set("target", Yaml::text(NOTIFICATION_TARGET))
        .set(
            "description",
            Yaml::text("Routed by the SLO and severity the alert carries"),
        )
        .build();
    Mapping::new()
        .set("kind", Yaml::text("AlertNotificationTarget"))
        .set(
            "metadata",
            Mapping::new()
                .set("name", Yaml::text(NOTIFICATION_TARGET))
                .build(),
        )
        .set("spec", spec)
        .build()
}

/// A minimum of events as annotation text; the model keeps it as a float of a whole number.
fn min_events(rule: &AlertRule) -> String {
    (rule.min_events as u64).to_string()
}

fn condition(name: &str, rule: &AlertRule) -> Yaml {
    let mut annotations = Mapping::new();
    annotations
        .set(
            annotation::SHORT_LOOKBACK,
            Yaml::text(shorthand(rule.short)),
        )
        .set_some(
            annotation::MIN_EVENTS,
            native::min_events(rule.min_events).map(|_| Yaml::text(min_events(rule))),
        )
        .set_some(
            annotation::BUDGET_SHARE,
            rule.budget_share.map(|share| Yaml::text(share.to_string())),
        );
    let metadata = metadata(name, &BTreeMap::new(), annotations);
    let burn = Mapping::new()
        .set("kind", Yaml::text("burnrate"))
        .set("op", Yaml::text("gt"))
        .set("threshold", Yaml::plain(rule.factor))
        .set("lookbackWindow", Yaml::plain(shorthand(rule.long)))
        .build();
    let spec = Mapping::new()
        .set("severity", Yaml::text(&rule.severity))
        .set("condition", burn)
        .build();
    Mapping::new()
        .set("kind", Yaml::text("AlertCondition"))
        .set("metadata", metadata)
        .set("spec", spec)
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn slo_names_stay_unique() {
        // `availability` of `checkout` is `checkout-availability`, and so is the SLO named
        // `checkout-availability`: the second one gets a number.
        let loaded = crate::load_str(
            "slos.yaml",
            "apiVersion: nines/v1\nservices:\n  - name: checkout\n    slos:\n      - {name: \
             availability, objective: 99, window: 7d, sli: {prometheus: {error_ratio: \
             'x[{{.window}}]'}}}\n      - {name: checkout-availability, objective: 99, window: \
             7d, sli: {prometheus: {error_ratio: 'y[{{.window}}]'}}}\n",
        );
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let text = super::to_openslo(&loaded.catalog, &loaded.criteria);
        let names: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("  name: "))
            .collect();
        assert_eq!(
            names,
            [
                "checkout",
                "checkout-availability",
                "checkout-availability",
                "checkout-checkout-availability",
                "checkout-checkout-availability",
            ]
        );
        let reloaded = crate::load_str("exported.yaml", &text);
        assert!(
            reloaded.diagnostics.is_empty(),
            "{:?}",
            reloaded.diagnostics
        );
        let slos: Vec<&str> = reloaded.catalog.slos().map(|s| s.name.as_str()).collect();
        assert_eq!(slos, ["availability", "checkout-availability"]);
    }
}
