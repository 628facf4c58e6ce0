//! Classification: every event of a source is judged by each SLO that reads the source —
//! valid or not, excluded or not, good or bad — and counted in that SLO's slice series.
//!
//! One classifier runs per reader thread; their series are merged afterwards, so the outcome
//! does not depend on how the input was split or in what order it came.

use std::fmt::Write as _;

use nines_core::event::{Event, Field, Value};
use nines_core::expr::Predicate;
use nines_core::series::{Counts, SloSeries};
use nines_core::slo::{EventSli, ExclusionKind, Slo};

use crate::EventSink;

/// Groups beyond this many distinct values are counted together, so that a group field with
/// unbounded values (a client address) cannot exhaust memory.
pub const MAX_GROUPS: usize = 100;

/// The name of the group that collects values beyond [`MAX_GROUPS`].
pub const OTHER_GROUP: &str = "(other)";

/// The name of the group of events that lack the group field.
pub const NO_GROUP: &str = "(none)";

/// Classifies the events of one source for the SLOs that read it.
#[derive(Debug)]
pub struct Classifier<'a> {
    slos: Vec<SloClassifier<'a>>,
    key: String,
}

#[derive(Debug)]
struct SloClassifier<'a> {
    sli: &'a EventSli,
    event_exclusions: Vec<(&'a str, &'a Predicate)>,
    group_by: Option<Field>,
    series: SloSeries,
}

impl<'a> Classifier<'a> {
    /// A classifier for `slos`, which must all read the same source; SLOs measured by
    /// Prometheus are left out.
    pub fn new(slos: &[&'a Slo]) -> Self {
        let slos = slos
            .iter()
            .filter_map(|slo| Some((slo, slo.sli.events()?)))
            .map(|(slo, sli)| SloClassifier {
                sli,
                event_exclusions: slo
                    .exclusions
                    .iter()
                    .filter_map(|exclusion| match &exclusion.kind {
                        ExclusionKind::Events(predicate) => {
                            Some((exclusion.reason.as_str(), predicate))
                        }
                        _ => None,
                    })
                    .collect(),
                group_by: slo.group_by.as_ref().map(|def| def.field),
                series: SloSeries::default(),
            })
            .collect();
        Classifier {
            slos,
            key: String::new(),
        }
    }

    /// The series of each SLO, in the order given to [`Classifier::new`].
    pub fn into_series(self) -> Vec<SloSeries> {
        self.slos.into_iter().map(|slo| slo.series).collect()
    }

    /// Merges classifiers of the same SLOs (one per reader thread) into their series.
    pub fn merge_all(classifiers: Vec<Classifier<'a>>) -> Vec<SloSeries> {
        let mut merged: Option<Vec<SloSeries>> = None;
        for classifier in classifiers {
            let series = classifier.into_series();
            merged = Some(match merged {
                None => series,
                Some(mut all) => {
                    all.iter_mut().zip(series).for_each(|(a, b)| a.merge(b));
                    all
                }
            });
        }
        merged.unwrap_or_default()
    }
}

impl EventSink for Classifier<'_> {
    #[inline]
    fn accept(&mut self, event: &Event<'_>) {
        for slo in &mut self.slos {
            slo.accept(event, &mut self.key);
        }
    }
}

impl SloClassifier<'_> {
    #[inline]
    fn accept(&mut self, event: &Event<'_>, key: &mut String) {
        let sli = self.sli;
        self.series.see(event.timestamp_ms);
        if !sli.valid.matches(event) {
            return;
        }
        let weight = event.weight;
        if let Some((reason, _)) = self.event_exclusions.iter().find(|(_, p)| p.matches(event)) {
            *self
                .series
                .excluded
                .entry((*reason).to_owned())
                .or_default()
                .at_mut(event.timestamp_ms) += weight;
            return;
        }
        let good = if sli.criterion.is_good(event) {
            weight
        } else {
            0.0
        };
        let counts = Counts {
            valid: weight,
            good,
        };
        self.series.total.at_mut(event.timestamp_ms).add(counts);
        if let Some(field) = self.group_by {
            group_key(event.get(field), key);
            let groups = &mut self.series.groups;
            let series = match groups.get_mut(key.as_str()) {
                Some(series) => series,
                None => {
                    let name = if groups.len() < MAX_GROUPS {
                        key.as_str()
                    } else {
                        OTHER_GROUP
                    };
                    groups.entry(name.to_owned()).or_default()
                }
            };
            series.at_mut(event.timestamp_ms).add(counts);
        }
    }
}

/// Writes the group name for `value` into `key`.
fn group_key(value: Value<'_>, key: &mut String) {
    key.clear();
    let _ = match value {
        Value::Null => write!(key, "{NO_GROUP}"),
        Value::Str(text) => write!(key, "{text}"),
        Value::Int(number) => write!(key, "{number}"),
        Value::Double(number) => write!(key, "{number}"),
        Value::Bool(flag) => write!(key, "{flag}"),
    };
}
