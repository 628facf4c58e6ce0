//! From a catalog to rule groups: which SLOs get rules, and the rules of each.
//!
//! Per SLO, in evaluation order: valid and bad rates and the error ratio for every lookback
//! (the base 5m, each alert's long and short lookback, the no-data lookback), the whole
//! window's error ratio as a ratio of sums, the metadata series, then the alerts.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use nines_core::conventions::prometheus_rules as names;
use nines_core::duration::Duration;
use nines_core::slo::{AlertRule, Budgeting, Catalog, PromSli, Sli, Slo};
use nines_core::window::Window;

use crate::promql::{number, selector};
use crate::rules::{Alerting, Group, Labels, Recording, Rule, RuleSet};
use crate::sli;

/// What to generate besides the burn-rate rules.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// How long a burn-rate or budget-exhausted condition must hold before its alert fires.
    pub for_duration: Option<Duration>,
    /// Alert when an SLO sees no valid events for this long.
    pub no_data_alert: Option<Duration>,
    /// Alert when an SLO has spent its whole error budget over its window.
    pub budget_exhausted_alert: bool,
}

/// Something the user should know about one SLO's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The service.
    pub service: String,
    /// The SLO.
    pub slo: String,
    /// True when the SLO got no rules at all.
    pub skipped: bool,
    /// What happened, in words.
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.skipped { "skipped " } else { "" };
        write!(f, "{verb}{}/{}: {}", self.service, self.slo, self.message)
    }
}

/// Why rules could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// A label of the SLO is not a valid Prometheus label name.
    #[error("{service}/{slo}: `{label}` is not a Prometheus label name")]
    LabelName {
        /// The service.
        service: String,
        /// The SLO.
        slo: String,
        /// The offending label.
        label: String,
    },
    /// A label of the SLO is one the generated rules set themselves.
    #[error("{service}/{slo}: the label `{label}` is set by the generated rules")]
    ReservedLabel {
        /// The service.
        service: String,
        /// The SLO.
        slo: String,
        /// The offending label.
        label: String,
    },
    /// A query mixes per-second rates and counts over its range, so its unit is unclear.
    #[error("{service}/{slo}: the query mixes rate() and increase() (or *_over_time()): {query}")]
    MixedUnits {
        /// The service.
        service: String,
        /// The SLO.
        slo: String,
        /// The query.
        query: String,
    },
}

impl GenerateError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            GenerateError::LabelName { .. } => {
                "label names are letters, digits and underscores, not starting with a digit or __"
            }
            GenerateError::ReservedLabel { .. } => {
                "rename the label; sloth_*, severity, long_window and short_window are taken"
            }
            GenerateError::MixedUnits { .. } => {
                "write the query with rate() only, or with increase() only"
            }
        }
    }
}

/// Rules for every SLO of `catalog` whose SLI is measured by Prometheus.
///
/// Other SLOs are skipped with a [`Note`], as are SLOs that the rules cannot measure faithfully
/// (timeslice budgeting).
///
/// # Errors
///
/// A [`GenerateError`] when an SLO's labels cannot be Prometheus labels.
pub fn generate(catalog: &Catalog, options: &Options) -> Result<RuleSet, GenerateError> {
    let mut set = RuleSet::default();
    let mut group_names = GroupNames::default();
    for (service, slo) in catalog
        .services
        .iter()
        .flat_map(|service| service.slos.iter().map(move |slo| (service, slo)))
    {
        let Some(sli) = supported_sli(slo, &mut set.notes) else {
            continue;
        };
        let builder = SloRules::new(slo, sli, &service.labels, options)?;
        set.notes.extend(builder.notes());
        set.groups.push(Group {
            name: group_names.claim(&slo.service, &slo.name),
            service: slo.service.clone(),
            slo: slo.name.clone(),
            rules: builder.rules(),
        });
    }
    Ok(set)
}

/// The SLO's Prometheus SLI, or `None` with a note saying why it gets no rules.
fn supported_sli<'a>(slo: &'a Slo, notes: &mut Vec<Note>) -> Option<&'a PromSli> {
    let reason = match (&slo.sli, slo.budgeting) {
        (Sli::Prometheus(sli), Budgeting::Occurrences) => return Some(sli),
        (Sli::Events(events), _) => format!(
            "measured from logs (source `{}`); Prometheus rules need a `prometheus` SLI",
            events.source
        ),
        (Sli::Prometheus(sli), budgeting) if sli::counts_events(sli) => format!(
            "{} budgeting counts slices, which Prometheus rates cannot; \
             `nines report --prometheus` can",
            budgeting.name()
        ),
        (Sli::Prometheus(_), budgeting) => format!(
            "{} budgeting counts slices, which Prometheus rates cannot; nor can \
             `nines report --prometheus`, which needs event counts that an error-ratio query \
             does not give",
            budgeting.name()
        ),
    };
    notes.push(note(slo, true, reason));
    None
}

fn note(slo: &Slo, skipped: bool, message: impl Into<String>) -> Note {
    Note {
        service: slo.service.clone(),
        slo: slo.name.clone(),
        skipped,
        message: message.into(),
    }
}

/// The rules of one SLO.
struct SloRules<'a> {
    slo: &'a Slo,
    sli: &'a PromSli,
    options: &'a Options,
    /// `sloth_id`, `sloth_service`, `sloth_slo`, the service's labels and the SLO's own.
    labels: Labels,
    /// Selects this SLO's recorded series.
    selector: String,
    /// The exact error budget, as PromQL reads it (`0.001`).
    budget: String,
}

impl<'a> SloRules<'a> {
    /// The rules of `slo`, labelled as Sloth labels them: the service's labels, then the
    /// SLO's own (which win where both have one), then the identifying ones.
    fn new(
        slo: &'a Slo,
        sli: &'a PromSli,
        service_labels: &Labels,
        options: &'a Options,
    ) -> Result<Self, GenerateError> {
        if let Some(query) = sli::mixed_units(sli) {
            return Err(GenerateError::MixedUnits {
                service: slo.service.clone(),
                slo: slo.name.clone(),
                query: query.to_owned(),
            });
        }
        let id = names::id(&slo.service, &slo.name);
        let selector = selector([
            (names::LABEL_ID, id.as_str()),
            (names::LABEL_SERVICE, slo.service.as_str()),
            (names::LABEL_SLO, slo.name.as_str()),
        ]);
        let mut labels = Labels::new();
        for (name, value) in service_labels.iter().chain(&slo.labels) {
            check_label(slo, name)?;
            labels.insert(name.clone(), value.clone());
        }
        labels.insert(names::LABEL_ID.to_owned(), id);
        labels.insert(names::LABEL_SERVICE.to_owned(), slo.service.clone());
        labels.insert(names::LABEL_SLO.to_owned(), slo.name.clone());
        Ok(SloRules {
            slo,
            sli,
            options,
            labels,
            selector,
            budget: slo.objective.error_budget_decimal().to_string(),
        })
    }

    fn rules(&self) -> Vec<Rule> {
        let mut rules = Vec::new();
        for lookback in self.lookbacks() {
            rules.extend(self.lookback_rules(lookback));
        }
        if let Some(period) = self.period() {
            rules.push(self.period_rule(period));
        }
        rules.extend(self.metadata_rules());
        rules.extend(self.burn_rate_alerts());
        rules.extend(self.no_data_alert());
        rules.extend(self.budget_exhausted_alert());
        rules
    }

    /// What the rules of this SLO leave out.
    fn notes(&self) -> Vec<Note> {
        let mut notes = Vec::new();
        if self.period().is_none() {
            notes.push(note(
                self.slo,
                false,
                "a calendar window has no fixed length in PromQL: burn-rate alerts are \
                 written, the whole-window SLI and budget are not",
            ));
        }
        if !self.slo.exclusions.is_empty() {
            notes.push(note(
                self.slo,
                false,
                "exclusions are not applied by the Prometheus rules",
            ));
        }
        let min_events = self.slo.alerts.iter().any(|rule| rule.min_events > 0.0);
        if min_events && !sli::counts_events(self.sli) {
            notes.push(note(
                self.slo,
                false,
                "an error-ratio query gives no event counts, so `min_events` is not applied",
            ));
        }
        // The alerts' lookbacks only: the no-data lookback is the user's own choice.
        let shortest = self
            .slo
            .alerts
            .iter()
            .map(|rule| rule.short.min(rule.long))
            .min();
        if let Some(short) = shortest
            && short < names::BASE_LOOKBACK
        {
            notes.push(note(
                self.slo,
                false,
                format!(
                    "a {short} lookback holds too few samples for rate() at common scrape \
                     intervals; `rescale: factors` keeps the standard lookbacks"
                ),
            ));
        }
        notes
    }

    /// Every lookback recorded, shortest first.
    fn lookbacks(&self) -> BTreeSet<Duration> {
        let mut lookbacks = BTreeSet::from([names::BASE_LOOKBACK]);
        for rule in &self.slo.alerts {
            lookbacks.extend([rule.long, rule.short]);
        }
        if let Some(quiet) = self.options.no_data_alert
            && sli::counts_events(self.sli)
        {
            lookbacks.insert(quiet);
        }
        lookbacks
    }

    /// The rolling window's length; calendar windows have none that PromQL can use.
    fn period(&self) -> Option<Duration> {
        match &self.slo.window {
            Window::Rolling(length) => Some(*length),
            Window::Calendar(_) => None,
        }
    }

    fn labels_with(&self, extra: &[(&str, &str)]) -> Labels {
        let mut labels = self.labels.clone();
        for (name, value) in extra {
            labels.insert((*name).to_owned(), (*value).to_owned());
        }
        labels
    }

    fn record(&self, record: String, expr: String, window: Option<&str>) -> Rule {
        let labels = match window {
            Some(window) => self.labels_with(&[(names::LABEL_WINDOW, window)]),
            None => self.labels.clone(),
        };
        Rule::Record(Recording {
            record,
            expr,
            labels,
        })
    }

    /// `series{sloth_id=..., sloth_service=..., sloth_slo=...}`.
    fn series(&self, name: &str) -> String {
        format!("{name}{}", self.selector)
    }

    /// Valid rate, bad rate and error ratio over `lookback` (only the ratio for error-ratio
    /// SLIs).
    fn lookback_rules(&self, lookback: Duration) -> Vec<Rule> {
        let window = lookback.to_string();
        let ratio = names::error_ratio(&window);
        let seconds = lookback.seconds();
        let (Some(valid), Some(bad)) = (
            sli::valid_rate(self.sli, &window, seconds),
            sli::bad_rate(self.sli, &window, seconds),
        ) else {
            let direct = sli::direct_error_ratio(self.sli, &window).unwrap_or_default();
            return vec![self.record(ratio, direct, Some(&window))];
        };
        let (valid_name, bad_name) = (names::valid_rate(&window), names::bad_rate(&window));
        let expr = self.ratio_of(&self.series(&bad_name), &self.series(&valid_name));
        vec![
            self.record(valid_name, valid, Some(&window)),
            self.record(bad_name, bad, Some(&window)),
            self.record(ratio, expr, Some(&window)),
        ]
    }

    /// The whole window's error ratio: the sums of back-to-back base-lookback rates over the
    /// window, divided, so that every event weighs the same (a ratio of sums, not a mean of
    /// ratios). A window without valid events gives no sample.
    ///
    /// The subquery's tiles are aligned to whole multiples of the base lookback, so the window
    /// moves in 5-minute steps: between two steps it ends at the last one. Recording rates
    /// rather than reading the raw counters over 30 or 90 days keeps the query cheap.
    ///
    /// An error ratio that is a share of steps (a subquery over the lookback, as threshold
    /// metrics are measured) is the mean of the recorded base-lookback ratios instead: the
    /// same share, read from one recorded series rather than by evaluating the raw query at
    /// every step of the window.
    fn period_rule(&self, period: Duration) -> Rule {
        let window = period.to_string();
        let base = names::BASE_LOOKBACK.to_string();
        let expr = match sli::direct_error_ratio(self.sli, &window) {
            Some(_) if sli::averages_steps(self.sli) => format!(
                "avg_over_time({}[{window}])",
                self.series(&names::error_ratio(&base))
            ),
            Some(direct) => direct,
            None => {
                let tiles = format!("[{window}:{base}]");
                let bad = self.series(&names::bad_rate(&base));
                let valid = self.series(&names::valid_rate(&base));
                self.ratio_of(
                    &format!("sum_over_time({bad}{tiles})"),
                    &format!("sum_over_time({valid}{tiles})"),
                )
            }
        };
        self.record(names::error_ratio(&window), expr, Some(&window))
    }

    /// `bad / (valid > 0)`, clamped to 1 where bad events are counted apart from valid ones.
    fn ratio_of(&self, bad: &str, valid: &str) -> String {
        if sli::needs_clamp(self.sli) {
            format!("clamp_max(\n  {bad}\n  /\n  ({valid} > 0),\n  1\n)")
        } else {
            format!("{bad}\n/\n({valid} > 0)")
        }
    }

    fn metadata_rules(&self) -> Vec<Rule> {
        let objective = self.slo.objective;
        let mut rules = vec![
            self.record(
                names::OBJECTIVE.to_owned(),
                format!("vector({})", objective.ratio_decimal()),
                None,
            ),
            self.record(
                names::ERROR_BUDGET.to_owned(),
                format!("vector({})", self.budget),
                None,
            ),
        ];
        let base = names::BASE_LOOKBACK.to_string();
        rules.push(self.burn_rate_rule(names::CURRENT_BURN_RATE, &base));
        if let Some(period) = self.period() {
            let days = period.seconds() as f64 / 86_400.0;
            rules.push(self.record(
                names::TIME_PERIOD_DAYS.to_owned(),
                format!("vector({})", number(days)),
                None,
            ));
            rules.push(self.burn_rate_rule(names::PERIOD_BURN_RATE, &period.to_string()));
            rules.push(self.record(
                names::PERIOD_ERROR_BUDGET_REMAINING.to_owned(),
                format!("1 - {}", self.series(names::PERIOD_BURN_RATE)),
                None,
            ));
        }
        rules.push(self.info_rule());
        rules
    }

    /// `record` = error ratio over `window` / error budget.
    fn burn_rate_rule(&self, record: &str, window: &str) -> Rule {
        let on = [names::LABEL_ID, names::LABEL_SERVICE, names::LABEL_SLO].join(", ");
        let expr = format!(
            "{}\n/ on({on}) group_left\n{}",
            self.series(&names::error_ratio(window)),
            self.series(names::ERROR_BUDGET)
        );
        self.record(record.to_owned(), expr, None)
    }

    fn info_rule(&self) -> Rule {
        let objective = self.slo.objective.to_string();
        Rule::Record(Recording {
            record: names::INFO.to_owned(),
            expr: "vector(1)".to_owned(),
            labels: self.labels_with(&[
                (names::LABEL_OBJECTIVE, &objective),
                (names::LABEL_MODE, names::MODE),
            ]),
        })
    }

    /// One alerting rule per severity; each window pair that burns too fast is one alert,
    /// labelled with its lookbacks, so that an alert keeps its identity (and its `for` timer)
    /// while another pair starts or stops firing.
    fn burn_rate_alerts(&self) -> Vec<Rule> {
        let mut severities: Vec<(&str, Vec<&AlertRule>)> = Vec::new();
        for rule in &self.slo.alerts {
            match severities.iter_mut().find(|(s, _)| *s == rule.severity) {
                Some((_, rules)) => rules.push(rule),
                None => severities.push((&rule.severity, vec![rule])),
            }
        }
        severities
            .into_iter()
            .map(|(severity, rules)| {
                let pairs: Vec<String> = rules.iter().map(|rule| self.pair(rule)).collect();
                self.alert(names::ALERT_BURN, pairs.join("\nor\n"), severity, true)
            })
            .collect()
    }

    /// The condition of one window pair, labelled with its lookbacks.
    fn pair(&self, rule: &AlertRule) -> String {
        let threshold = format!("({} * {})", number(rule.factor), self.budget);
        let over = |lookback: Duration| {
            format!(
                "max without ({}) ({} > {threshold})",
                names::LABEL_WINDOW,
                self.series(&names::error_ratio(&lookback.to_string()))
            )
        };
        let mut condition = format!("{}\n    and\n    {}", over(rule.long), over(rule.short));
        if rule.min_events > 0.0 && sli::counts_events(self.sli) {
            let valid = self.series(&names::valid_rate(&rule.long.to_string()));
            condition.push_str(&format!(
                "\n    and on()\n    sum({valid}) * {} >= {}",
                rule.long.seconds(),
                number(rule.min_events)
            ));
        }
        let set = |label: &str, value: Duration| format!("{label:?}, \"{value}\", \"\", \"\"");
        format!(
            "label_replace(\n  label_replace(\n    {condition},\n    {}\n  ),\n  {}\n)",
            set(names::LABEL_LONG_WINDOW, rule.long),
            set(names::LABEL_SHORT_WINDOW, rule.short),
        )
    }

    fn no_data_alert(&self) -> Option<Rule> {
        let quiet = self.options.no_data_alert?;
        let expr = if sli::counts_events(self.sli) {
            let valid = self.series(&names::valid_rate(&quiet.to_string()));
            format!("sum({valid}) == 0\nor\nabsent({valid})")
        } else {
            let ratio = self.series(&names::error_ratio(&names::BASE_LOOKBACK.to_string()));
            format!("absent_over_time({ratio}[{quiet}])")
        };
        Some(self.alert(names::ALERT_NO_DATA, expr, names::SEVERITY_TICKET, false))
    }

    fn budget_exhausted_alert(&self) -> Option<Rule> {
        if !self.options.budget_exhausted_alert {
            return None;
        }
        self.period()?;
        let remaining = self.series(names::PERIOD_ERROR_BUDGET_REMAINING);
        Some(self.alert(
            names::ALERT_BUDGET_EXHAUSTED,
            format!("{remaining} <= 0"),
            names::SEVERITY_TICKET,
            true,
        ))
    }

    fn alert(&self, alert: &str, expr: String, severity: &str, holds: bool) -> Rule {
        Rule::Alert(Alerting {
            alert: alert.to_owned(),
            expr,
            for_duration: self.options.for_duration.filter(|_| holds),
            labels: self.labels_with(&[
                (names::LABEL_SEVERITY, severity),
                (names::LABEL_SLOTH_SEVERITY, severity),
            ]),
            annotations: self.annotations(alert, severity),
        })
    }

    /// Fixed text, so that every alert of a rule reads the same and tests can expect it; user
    /// text is kept from being read as a template.
    fn annotations(&self, alert: &str, severity: &str) -> Labels {
        let slo = self.slo;
        let who = template_literal(&format!("{}/{}", slo.service, slo.name));
        let objective = format!("Objective {} % over {}", slo.objective, slo.window);
        let (summary, description) = match alert {
            names::ALERT_BURN => (
                format!("{who} is burning its error budget too fast ({severity})"),
                format!(
                    "{objective}, error budget {}. Fires while the error ratio over both \
                     lookbacks of a window pair exceeds the pair's burn-rate factor times the \
                     budget; the long_window and short_window labels name the pair.",
                    self.budget
                ),
            ),
            names::ALERT_NO_DATA => (
                format!(
                    "{who} saw no valid events for {}",
                    self.options.no_data_alert.unwrap_or(names::BASE_LOOKBACK)
                ),
                format!(
                    "{objective}. Without valid events the SLI is undefined and no burn-rate \
                     alert can fire: no data is not 100 %."
                ),
            ),
            _ => (
                format!("{who} has spent its error budget"),
                format!(
                    "{objective}: the error ratio over the window has reached the error \
                     budget of {}.",
                    self.budget
                ),
            ),
        };
        BTreeMap::from([
            (names::ANNOTATION_SUMMARY.to_owned(), summary),
            (names::ANNOTATION_DESCRIPTION.to_owned(), description),
        ])
    }
}

/// Annotations are Go templates: `{{` in user text is written so that it renders as itself.
fn template_literal(text: &str) -> String {
    text.replace("{{", "{{ \"{{\" }}")
}

/// Rejects label names Prometheus would refuse, and those the rules set themselves.
fn check_label(slo: &Slo, name: &str) -> Result<(), GenerateError> {
    let error = |reserved: bool| {
        let (service, slo, label) = (slo.service.clone(), slo.name.clone(), name.to_owned());
        Err(if reserved {
            GenerateError::ReservedLabel {
                service,
                slo,
                label,
            }
        } else {
            GenerateError::LabelName {
                service,
                slo,
                label,
            }
        })
    };
    if !names::is_label_name(name) {
        return error(false);
    }
    if names::is_reserved_label(name) {
        return error(true);
    }
    Ok(())
}

/// Hands out group names: DNS labels, unique within one rule set, so that Thanos, Mimir and
/// Kubernetes all accept them.
#[derive(Debug, Default)]
struct GroupNames {
    taken: HashSet<String>,
}

impl GroupNames {
    fn claim(&mut self, service: &str, slo: &str) -> String {
        let words = dns_words(&names::id(service, slo));
        let words = if words.is_empty() { "slo" } else { &words };
        let base = format!("{}{words}", names::GROUP_PREFIX);
        let mut name = if base.len() <= names::GROUP_NAME_MAX {
            base
        } else {
            // Cut, and tell long names apart by a hash of the whole.
            let hash = format!("{:08x}", fnv1a(&format!("{service}\0{slo}")));
            let cut = &base[..names::GROUP_NAME_MAX - hash.len() - 1];
            format!("{}-{hash}", cut.trim_end_matches('-'))
        };
        let stem = name.clone();
        let mut counter = 2;
        while self.taken.contains(&name) {
            let suffix = format!("-{counter}");
            let keep = stem.len().min(names::GROUP_NAME_MAX - suffix.len());
            name = format!("{}{suffix}", stem[..keep].trim_end_matches('-'));
            counter += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

/// Lower-case letters and digits, runs of anything else as one `-`, trimmed (maybe empty).
pub(crate) fn dns_words(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// 32-bit FNV-1a: a stable hash, the same on every platform and release.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_unique_dns_labels() {
        let mut names = GroupNames::default();
        assert_eq!(names.claim("API", "Latency p99"), "nines-api-latency-p99");
        assert_eq!(names.claim("api", "latency_p99"), "nines-api-latency-p99-2");
        let long = "x".repeat(80);
        let name = names.claim("svc", &long);
        assert_eq!(name.len(), 63);
        assert!(name.starts_with("nines-svc-xxx"));
        assert_ne!(names.claim("svc", &format!("{long}y")), name);
        assert_eq!(names.claim("", "!!"), "nines-slo");
    }

    #[test]
    fn templates_in_user_text_render_as_text() {
        assert_eq!(template_literal("a{{b}}"), "a{{ \"{{\" }}b}}");
    }
}
