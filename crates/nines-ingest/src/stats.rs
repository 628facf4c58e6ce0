//! What reading each input found: lines, events, malformed lines by reason and the first few of
//! them. Workers keep partial counts ([`Tally`]) that are merged into [`InputStats`] at the end.

use std::collections::BTreeMap;

use crate::error::Reason;

/// How many malformed lines per input are kept as samples.
pub const SAMPLE_COUNT: usize = 5;

/// How many characters of a malformed line a sample keeps.
const EXCERPT_CHARS: usize = 120;

/// One malformed line, kept so that a person can find and look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The input's label: the path as given, or `-` for standard input.
    pub file: String,
    /// The 1-based line number in that input (for CSV, the line the record starts on).
    pub line: u64,
    /// Why it was not read, as [`Reason`] prints it.
    pub reason: String,
    /// The start of the line, at most 120 characters, control characters replaced.
    pub excerpt: String,
}

/// What reading one input found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InputStats {
    /// The path as given, or `-` for standard input.
    pub label: String,
    /// Bytes of text read: after gzip decompression, without a byte-order mark.
    pub bytes: u64,
    /// Lines read, blank ones included.
    pub lines: u64,
    /// Events handed to the sink.
    pub events: u64,
    /// Malformed lines by reason, and records that gave no event: spans without a duration,
    /// traces without a root span, spans or samples seen twice, samples out of order.
    pub malformed: BTreeMap<String, u64>,
    /// The first malformed lines, in line order, at most [`SAMPLE_COUNT`].
    pub samples: Vec<Malformed>,
}

impl InputStats {
    /// All malformed lines, whatever their reason.
    pub fn malformed_total(&self) -> u64 {
        self.malformed.values().sum()
    }
}

/// The start of a line as a sample shows it.
pub(crate) fn excerpt(line: &str) -> String {
    let mut out: String = line
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if line.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// A malformed line that is not yet tied to an input's label.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) line: u64,
    pub(crate) reason: Reason,
    pub(crate) excerpt: String,
}

impl Sample {
    pub(crate) fn new(line: u64, reason: Reason, text: &str) -> Sample {
        Sample {
            line,
            reason,
            excerpt: excerpt(text),
        }
    }

    pub(crate) fn into_malformed(self, file: &str) -> Malformed {
        Malformed {
            file: file.to_owned(),
            line: self.line,
            reason: self.reason.to_string(),
            excerpt: self.excerpt,
        }
    }
}

/// Partial counts for one input, kept by one worker (or by the block reader).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) events: u64,
    pub(crate) malformed: BTreeMap<Reason, u64>,
    /// The earliest malformed lines this tally saw, sorted by line.
    pub(crate) samples: Vec<Sample>,
}

impl Tally {
    /// Counts a malformed line and keeps it if it is among the earliest seen.
    pub(crate) fn record(&mut self, line: u64, reason: Reason, text: &str) {
        let keep = self.samples.len() < SAMPLE_COUNT
            || self.samples.last().is_some_and(|last| line < last.line);
        if keep {
            self.keep(Sample::new(line, reason.clone(), text));
        }
        *self.malformed.entry(reason).or_default() += 1;
    }

    /// Counts a record that gave no event, found by a reader that made the sample itself.
    pub(crate) fn record_sample(&mut self, sample: Sample) {
        *self.malformed.entry(sample.reason.clone()).or_default() += 1;
        let keep = self.samples.len() < SAMPLE_COUNT
            || self
                .samples
                .last()
                .is_some_and(|last| sample.line < last.line);
        if keep {
            self.keep(sample);
        }
    }

    fn keep(&mut self, sample: Sample) {
        let at = self.samples.partition_point(|s| s.line < sample.line);
        self.samples.insert(at, sample);
        self.samples.truncate(SAMPLE_COUNT);
    }

    /// Adds another tally of the same input.
    pub(crate) fn absorb(&mut self, other: Tally) {
        self.events += other.events;
        for (reason, count) in other.malformed {
            *self.malformed.entry(reason).or_default() += count;
        }
        for sample in other.samples {
            self.keep(sample);
        }
    }

    /// The final stats of an input, given what the block reader counted.
    pub(crate) fn into_stats(self, label: String, bytes: u64, lines: u64) -> InputStats {
        let samples = self
            .samples
            .into_iter()
            .map(|sample| sample.into_malformed(&label))
            .collect();
        InputStats {
            malformed: self
                .malformed
                .into_iter()
                .map(|(reason, count)| (reason.to_string(), count))
                .collect(),
            label,
            bytes,
            lines,
            events: self.events,
            samples,
        }
    }
}

/// One tally per input, grown as inputs appear.
#[derive(Debug, Default)]
pub(crate) struct Tallies(pub(crate) Vec<Tally>);

impl Tallies {
    pub(crate) fn get(&mut self, input: usize) -> &mut Tally {
        if self.0.len() <= input {
            self.0.resize_with(input + 1, Tally::default);
        }
        &mut self.0[input]
    }

    pub(crate) fn absorb(&mut self, other: Tallies) {
        for (input, tally) in other.0.into_iter().enumerate() {
            self.get(input).absorb(tally);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_keep_the_earliest_samples_whatever_the_order() {
        let mut first = Tally::default();
        let mut second = Tally::default();
        for line in [40, 7, 9, 12, 30, 31, 2] {
            first.record(line, Reason::Mismatch, "x");
        }
        for line in [1, 50] {
            second.record(line, Reason::bad("status"), "y");
        }
        first.absorb(second);
        let lines: Vec<u64> = first.samples.iter().map(|s| s.line).collect();
        assert_eq!(lines, [1, 2, 7, 9, 12]);
        assert_eq!(first.malformed[&Reason::Mismatch], 7);
        let stats = first.into_stats("a.log".into(), 10, 3);
        assert_eq!(stats.malformed["bad status"], 2);
        assert_eq!(stats.malformed_total(), 9);
        assert_eq!(stats.samples[0].file, "a.log");
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        let long = "é".repeat(200);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 121);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("a\u{1b}[31mb"), "a\u{fffd}[31mb");
    }
}
