//! The generated rules as data: groups of recording and alerting rules, one group per SLO.
//!
//! [`crate::generate`] builds them; `render` writes them out. Tests read them to know which
//! labels and annotations an alert carries.

use std::collections::BTreeMap;

use nines_core::duration::Duration;

use crate::generate::Note;

/// Labels or annotations, in name order.
pub type Labels = BTreeMap<String, String>;

/// Everything generated from a catalog.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// One group per SLO, in catalog order.
    pub groups: Vec<Group>,
    /// SLOs skipped, and what the rules of the others leave out.
    pub notes: Vec<Note>,
}

/// The rules of one SLO, evaluated in order at one instant: recordings first, so that the
/// alerts below them see this evaluation's values.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Unique within the rule set, a DNS label.
    pub name: String,
    /// The service the SLO belongs to.
    pub service: String,
    /// The SLO's name.
    pub slo: String,
    /// The rules, in evaluation order.
    pub rules: Vec<Rule>,
}

impl Group {
    /// The alerting rules named `alert`.
    pub fn alerts<'a>(&'a self, alert: &'a str) -> impl Iterator<Item = &'a Alerting> {
        self.rules.iter().filter_map(move |rule| match rule {
            Rule::Alert(alerting) if alerting.alert == alert => Some(alerting),
            _ => None,
        })
    }

    /// The recording rule writing `record`, if any.
    pub fn recording(&self, record: &str) -> Option<&Recording> {
        self.rules.iter().find_map(|rule| match rule {
            Rule::Record(recording) if recording.record == record => Some(recording),
            _ => None,
        })
    }
}

/// A recording or an alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Records a series.
    Record(Recording),
    /// Fires an alert.
    Alert(Alerting),
}

/// A recording rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The series it writes.
    pub record: String,
    /// The PromQL expression.
    pub expr: String,
    /// Labels added to every sample.
    pub labels: Labels,
}

/// An alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Alerting {
    /// The alert's name.
    pub alert: String,
    /// The PromQL condition; every series it returns is an alert.
    pub expr: String,
    /// How long the condition must hold before the alert fires.
    pub for_duration: Option<Duration>,
    /// Labels added to every alert.
    pub labels: Labels,
    /// Annotations, without templates.
    pub annotations: Labels,
}
