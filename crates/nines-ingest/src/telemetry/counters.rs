//! JSON snapshots of cumulative counters (an nginx status API polled every few seconds): each
//! configured path is one series, and each increase of a series, shared out over the minutes
//! between its two samples, gives events that carry the series' constant fields, weighted by
//! the increase.

use std::borrow::Cow;
use std::io;

use nines_core::event::FieldType;
use nines_core::source::{CounterSource, LatencyUnit, MappedField, RecordMapping};

use crate::error::Reason;
use crate::json::JsonParser;
use crate::record::{FIRST_FIELD_SLOT, Mapping, Scalar, Strings, number, recycle_scalars};
use crate::stats::Sample;
use crate::telemetry::increase::{Change, Increases, Point, spread};
use crate::telemetry::lines::LineSource;
use crate::telemetry::{Constants, Out, Place, Telemetry};
use crate::text::Number;

/// Reads counter snapshots.
pub(crate) struct CounterReader<'f> {
    source: &'f CounterSource,
    parser: JsonParser,
    /// The constant fields of each series, in the source's order.
    constants: Vec<Constants>,
    increases: Increases,
    slots: Vec<Scalar<'static>>,
    strings: Strings,
}

impl<'f> CounterReader<'f> {
    pub(crate) fn new(source: &'f CounterSource) -> Self {
        let defs = source.fields();
        let constants = source
            .counters
            .iter()
            .map(|counter| Constants::new(&defs, counter.values.iter().cloned()))
            .collect();
        let mut increases = Increases::default();
        for _ in &source.counters {
            increases.add_series();
        }
        CounterReader {
            source,
            parser: JsonParser::new(Mapping::new(&snapshot_mapping(source))),
            constants,
            increases,
            slots: Vec::new(),
            strings: Strings::default(),
        }
    }

    /// Buffers the counters of one snapshot.
    fn snapshot(&mut self, place: Place, text: &str, out: &mut Out<'_>) {
        let found = self.find(text);
        let (at, values) = match found {
            Ok(found) => found,
            Err(reason) => {
                return out.malformed(place.input, Sample::new(place.line, reason, text));
            }
        };
        for (series, value) in values.into_iter().enumerate() {
            match value {
                Ok(Some(value)) => {
                    if self.increases.push(series, Point { at, value, place }) {
                        self.flush(out);
                    }
                }
                Ok(None) => {}
                Err(()) => {
                    let reason = self.bad_counter(series);
                    out.malformed(place.input, Sample::new(place.line, reason, text));
                }
            }
        }
    }

    /// The time of a snapshot and the value of each counter in it.
    fn find(&mut self, text: &str) -> Result<(i64, Vec<CounterValue>), Reason> {
        let mut slots = recycle_scalars(std::mem::take(&mut self.slots));
        slots.resize(self.parser.mapping.slot_count(), Scalar::Missing);
        self.strings.reset();
        let found = self.parser.find(text, &mut slots, &mut self.strings);
        let owned = self.strings.as_slice();
        let result = found
            .and_then(|()| self.parser.mapping.timestamp_of(&slots, owned))
            .map(|at| {
                let values = slots[FIRST_FIELD_SLOT..]
                    .iter()
                    .map(|&scalar| match scalar {
                        Scalar::Owned(index) => counter_value(Scalar::Str(&owned[index])),
                        other => counter_value(other),
                    });
                (at, values.collect())
            });
        self.slots = recycle_scalars(slots);
        result
    }

    fn bad_counter(&self, series: usize) -> Reason {
        let path = &self.source.counters[series].path;
        Reason::Bad(Cow::Owned(format!("counter {path}")))
    }

    /// Turns the buffered samples into events.
    fn flush(&mut self, out: &mut Out<'_>) {
        let CounterReader {
            source,
            constants,
            increases,
            ..
        } = self;
        increases.flush(|change| match change {
            Change::Increase {
                series,
                from,
                at,
                increase,
                place,
            } => spread(from, at, increase, |minute, share| {
                constants[series].emit(out, place.input, minute, share);
            }),
            Change::Rejected {
                series,
                point,
                reason,
            } => {
                let path = &source.counters[series].path;
                out.malformed(point.place.input, point.rejected(path, reason));
            }
        });
    }
}

impl Telemetry for CounterReader<'_> {
    fn read_input(
        &mut self,
        input: usize,
        lines: &mut LineSource,
        out: &mut Out<'_>,
    ) -> io::Result<()> {
        super::read_documents(input, lines, out, |place, text, out| {
            self.snapshot(place, text, out);
        })
    }

    fn finish(&mut self, out: &mut Out<'_>) {
        self.flush(out);
    }
}

/// A record mapping that finds the timestamp and every counter of a snapshot.
fn snapshot_mapping(source: &CounterSource) -> RecordMapping {
    let fields = source
        .counters
        .iter()
        .enumerate()
        .map(|(index, counter)| MappedField {
            // Not a field name anyone can write, so never a built-in one.
            name: format!("#{index}"),
            path: counter.path.clone(),
            ty: FieldType::Double,
            unit: LatencyUnit::Seconds,
        })
        .collect();
    RecordMapping {
        timestamp: source.timestamp.clone(),
        timestamp_unit: source.timestamp_unit,
        fields,
        sample_rate: None,
    }
}

/// A counter's value in one snapshot: `None` when the snapshot lacks it, `Err` when it is not
/// a count.
type CounterValue = Result<Option<f64>, ()>;

/// The [`CounterValue`] of a scalar.
fn counter_value(scalar: Scalar<'_>) -> CounterValue {
    let value = match number(scalar)? {
        None => return Ok(None),
        Some(Number::Int(value)) => value as f64,
        Some(Number::Float(value)) => value,
    };
    if value.is_finite() && value >= 0.0 {
        Ok(Some(value))
    } else {
        Err(())
    }
}
