//! Classification: every event of a source is judged by each SLO that reads the source —
//! valid or not, excluded or not, good or bad — and counted in that SLO's slice series.
//!
//! One classifier runs per reader thread; their series are merged afterwards, so the outcome
//! does not depend on how the input was split or in what order it came.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use nines_core::event::{Event, Field, Value};
use nines_core::expr::Predicate;
use nines_core::series::{Counts, SloSeries};
use nines_core::slo::{Criterion, EventSli, ExclusionKind, Slo};

use crate::EventSink;

/// Groups beyond this many distinct values are counted together, so that a group field with
/// unbounded values (a client address) cannot exhaust memory.
pub const MAX_GROUPS: usize = 100;

/// The name of the group that collects values beyond [`MAX_GROUPS`].
pub const OTHER_GROUP: &str = "(other)";

/// The name of the group of events that lack the group field.
pub const NO_GROUP: &str = "(none)";

/// The name of the group of events whose group field is the empty string: an empty name
/// would read as "no group" in CSV and as "no label" in the Prometheus exposition.
pub const EMPTY_GROUP: &str = "(empty)";

/// Rejected group values a reader thread remembers, so that it asks [`GroupAdmission`] about
/// each at most once; beyond this many it asks again for each event of a new rejected value.
const REJECTED_CACHE: usize = 4_096;

/// Which group values each SLO counts on its own: the first [`MAX_GROUPS`] that any reader
/// thread meets. It is shared by the classifiers of every thread, so that each value is
/// counted in its own group by all of them or in [`OTHER_GROUP`] by all of them, never split
/// between the two: a group's numbers are whole even when which values get a group depends on
/// the order the threads met them (only with more than [`MAX_GROUPS`] values).
#[derive(Debug, Default)]
pub struct GroupAdmission {
    admitted: Mutex<HashMap<usize, HashSet<String>>>,
}

impl GroupAdmission {
    /// Whether `value` has, or now gets, a group of its own for the SLO at `slo`.
    fn admit(&self, slo: usize, value: &str) -> bool {
        let mut admitted = self.admitted.lock().unwrap_or_else(PoisonError::into_inner);
        let values = admitted.entry(slo).or_default();
        if values.contains(value) {
            return true;
        }
        let room = values.len() < MAX_GROUPS;
        if room {
            values.insert(value.to_owned());
        }
        room
    }
}

/// Events of each classifier whose fields are checked for [`Classifier::absent_fields`]:
/// enough to catch a field that no event has, cheap enough to cost nothing after.
const PRESENCE_SAMPLE: u64 = 10_000;

/// Classifies the events of one source for the SLOs that read it.
#[derive(Debug)]
pub struct Classifier<'a> {
    slos: Vec<SloClassifier<'a>>,
    key: String,
    /// Events checked for the fields the criteria read, at most [`PRESENCE_SAMPLE`].
    checked: u64,
    /// Each field the criteria read, with how many checked events carried it.
    presence: Vec<(Field, u64)>,
}

#[derive(Debug)]
struct SloClassifier<'a> {
    sli: &'a EventSli,
    event_exclusions: Vec<(&'a str, &'a Predicate)>,
    group_by: Option<Field>,
    /// This SLO's place among the classifier's, for [`GroupAdmission`].
    index: usize,
    admission: &'a GroupAdmission,
    rejected: HashSet<String>,
    series: SloSeries,
}

impl<'a> Classifier<'a> {
    /// A classifier for `slos`, which must all read the same source; SLOs measured by
    /// Prometheus are left out. The classifiers of one read share `admission`.
    pub fn new(slos: &[&'a Slo], admission: &'a GroupAdmission) -> Self {
        let slos: Vec<SloClassifier<'a>> = slos
            .iter()
            .filter_map(|slo| Some((slo, slo.sli.events()?)))
            .enumerate()
            .map(|(index, (slo, sli))| SloClassifier {
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
                index,
                admission,
                rejected: HashSet::new(),
                series: SloSeries::default(),
            })
            .collect();
        let mut fields: Vec<Field> = Vec::new();
        for slo in &slos {
            let criterion = match &slo.sli.criterion {
                Criterion::Good(predicate) | Criterion::Bad(predicate) => predicate,
            };
            let predicates = [&slo.sli.valid, criterion]
                .into_iter()
                .chain(slo.event_exclusions.iter().map(|(_, predicate)| *predicate));
            for field in predicates.flat_map(Predicate::fields) {
                if !fields.contains(&field) {
                    fields.push(field);
                }
            }
        }
        Classifier {
            slos,
            key: String::new(),
            checked: 0,
            presence: fields.into_iter().map(|field| (field, 0)).collect(),
        }
    }

    /// The fields that the criteria read and that no checked event carried, when events were
    /// checked: most often a JSON path or CSV column mapped wrong, which would otherwise make
    /// every criterion on the field silently false.
    pub fn absent_fields(classifiers: &[Classifier<'_>]) -> Vec<Field> {
        let Some(first) = classifiers.first() else {
            return Vec::new();
        };
        if classifiers.iter().all(|c| c.checked == 0) {
            return Vec::new();
        }
        first
            .presence
            .iter()
            .enumerate()
            .filter(|(i, _)| classifiers.iter().all(|c| c.presence[*i].1 == 0))
            .map(|(_, (field, _))| *field)
            .collect()
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
        if self.checked < PRESENCE_SAMPLE {
            self.checked += 1;
            for (field, present) in &mut self.presence {
                if !matches!(event.get(*field), Value::Null) {
                    *present += 1;
                }
            }
        }
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
                    let own = !self.rejected.contains(key.as_str())
                        && self.admission.admit(self.index, key);
                    if !own && self.rejected.len() < REJECTED_CACHE {
                        self.rejected.insert(key.clone());
                    }
                    let name = if own { key.as_str() } else { OTHER_GROUP };
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
        Value::Str("") => write!(key, "{EMPTY_GROUP}"),
        Value::Str(text) => write!(key, "{text}"),
        Value::Int(number) => write!(key, "{number}"),
        Value::Double(number) => write!(key, "{number}"),
        Value::Bool(flag) => write!(key, "{flag}"),
    };
}
