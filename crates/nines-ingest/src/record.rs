//! Records with named fields (JSON objects, CSV rows) turned into events by a
//! [`RecordMapping`]: which path or column holds the timestamp, the sample rate and each field.
//!
//! The JSON and CSV readers only find the values ([`Scalar`]s, one per slot); the conversions
//! (types, units, sample weights) live here so that both formats behave alike.

use std::borrow::Cow;
use std::fmt::Write as _;

use nines_core::event::{Event, Field, FieldType, Value};
use nines_core::source::{LatencyUnit, RecordMapping, TimestampUnit};

use crate::error::Reason;
use crate::text::{Number, parse_number};
use crate::time::{EpochNumber, epoch_to_millis, parse_rfc3339};

/// The slot of the timestamp; the sample rate has slot 1 and mapped fields follow.
pub(crate) const TIMESTAMP_SLOT: usize = 0;
/// The slot of the sample rate (left missing when the mapping has none).
pub(crate) const SAMPLE_RATE_SLOT: usize = 1;
/// The slot of the first mapped field.
pub(crate) const FIRST_FIELD_SLOT: usize = 2;

/// A value found in a record, before conversion to its field's type.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) enum Scalar<'a> {
    /// The record does not have it.
    #[default]
    Missing,
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// Text that borrows from the record.
    Str(&'a str),
    /// Text the reader had to copy (unescaped JSON, repaired UTF-8): an index into its strings.
    Owned(usize),
    /// An object or array, which no field can hold.
    Other,
}

/// Reuses a vector's allocation for a shorter-lived borrow: the standard library collects a
/// `map` over `into_iter` in place when the element layouts match, as they do here.
pub(crate) fn recycle_scalars<'b>(mut slots: Vec<Scalar<'_>>) -> Vec<Scalar<'b>> {
    slots.clear();
    slots.into_iter().map(|_| Scalar::Missing).collect()
}

/// As [`recycle_scalars`], for custom field values.
pub(crate) fn recycle_values<'b>(mut values: Vec<Value<'_>>) -> Vec<Value<'b>> {
    values.clear();
    values.into_iter().map(|_| Value::Null).collect()
}

/// Strings a reader copied for one record, reused from record to record.
#[derive(Debug, Default)]
pub(crate) struct Strings {
    pool: Vec<String>,
    used: usize,
}

impl Strings {
    /// Forgets the previous record's strings, keeping their allocations.
    pub(crate) fn reset(&mut self) {
        self.used = 0;
    }

    /// Stores `text`, returning its index.
    pub(crate) fn push(&mut self, text: &str) -> usize {
        self.next_slot().push_str(text);
        self.used - 1
    }

    /// Stores a number as text (for a string field that a record writes as a number).
    pub(crate) fn push_display(&mut self, value: impl std::fmt::Display) -> usize {
        let _ = write!(self.next_slot(), "{value}");
        self.used - 1
    }

    fn next_slot(&mut self) -> &mut String {
        if self.used == self.pool.len() {
            self.pool.push(String::new());
        }
        self.used += 1;
        let slot = &mut self.pool[self.used - 1];
        slot.clear();
        slot
    }

    /// The strings of the current record.
    pub(crate) fn as_slice(&self) -> &[String] {
        &self.pool[..self.used]
    }
}

/// Where one mapped field goes.
#[derive(Debug, Clone)]
struct Target {
    field: Field,
    ty: FieldType,
    unit: LatencyUnit,
    /// The field's name in reasons (`bad status`, `bad tier`).
    name: Cow<'static, str>,
}

/// A [`RecordMapping`] ready to convert records.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    /// The path or column of each slot; `None` for an unused sample-rate slot.
    pub(crate) paths: Vec<Option<String>>,
    timestamp_unit: TimestampUnit,
    targets: Vec<Target>,
    custom_count: usize,
}

impl Mapping {
    pub(crate) fn new(mapping: &RecordMapping) -> Mapping {
        let defs = mapping.fields();
        let targets: Vec<Target> = mapping
            .fields
            .iter()
            .zip(&defs)
            .map(|(mapped, def)| Target {
                field: def.field,
                ty: def.ty,
                unit: mapped.unit,
                name: def
                    .field
                    .built_in_name()
                    .map_or_else(|| Cow::Owned(mapped.name.clone()), Cow::Borrowed),
            })
            .collect();
        let custom_count = targets
            .iter()
            .filter(|target| matches!(target.field, Field::Custom(_)))
            .count();
        let mut paths = vec![Some(mapping.timestamp.clone()), mapping.sample_rate.clone()];
        paths.extend(
            mapping
                .fields
                .iter()
                .map(|mapped| Some(mapped.path.clone())),
        );
        Mapping {
            paths,
            timestamp_unit: mapping.timestamp_unit,
            targets,
            custom_count,
        }
    }

    /// How many slots a record fills.
    pub(crate) fn slot_count(&self) -> usize {
        self.paths.len()
    }

    /// Whether a slot holds text, so that a number found there should be kept as text.
    pub(crate) fn wants_text(&self, slot: usize) -> bool {
        slot >= FIRST_FIELD_SLOT && self.targets[slot - FIRST_FIELD_SLOT].ty == FieldType::String
    }

    /// Converts the values found for each slot into an event, its custom fields into `custom`.
    pub(crate) fn build<'a>(
        &self,
        slots: &[Scalar<'a>],
        owned: &'a [String],
        custom: &mut Vec<Value<'a>>,
    ) -> Result<Event<'a>, Reason> {
        let resolve = |scalar: Scalar<'a>| match scalar {
            Scalar::Owned(index) => Scalar::Str(&owned[index]),
            other => other,
        };
        let mut event = Event::at(self.timestamp(resolve(slots[TIMESTAMP_SLOT]))?);
        event.weight = weight(resolve(slots[SAMPLE_RATE_SLOT]))?;
        custom.clear();
        custom.resize(self.custom_count, Value::Null);
        let values = slots[FIRST_FIELD_SLOT..]
            .iter()
            .map(|&scalar| resolve(scalar));
        for (target, scalar) in self.targets.iter().zip(values) {
            target.assign(scalar, &mut event, custom)?;
        }
        Ok(event)
    }

    /// The timestamp in the slots a reader filled, for readers that take no event from them.
    pub(crate) fn timestamp_of(
        &self,
        slots: &[Scalar<'_>],
        owned: &[String],
    ) -> Result<i64, Reason> {
        let scalar = match slots[TIMESTAMP_SLOT] {
            Scalar::Owned(index) => Scalar::Str(&owned[index]),
            other => other,
        };
        self.timestamp(scalar)
    }

    fn timestamp(&self, scalar: Scalar<'_>) -> Result<i64, Reason> {
        let unit = self.timestamp_unit;
        let millis = match scalar {
            Scalar::Missing | Scalar::Null => return Err(Reason::missing("timestamp")),
            Scalar::Int(value) => epoch_to_millis(EpochNumber::Int(value), unit),
            Scalar::Float(value) => epoch_to_millis(EpochNumber::Float(value), unit),
            Scalar::Str(text) => timestamp_text(text, unit),
            Scalar::Bool(_) | Scalar::Owned(_) | Scalar::Other => None,
        };
        millis.ok_or(Reason::bad("timestamp"))
    }
}

pub(crate) fn timestamp_text(text: &str, unit: TimestampUnit) -> Option<i64> {
    let epoch = |number| match number {
        Number::Int(value) => epoch_to_millis(EpochNumber::Int(value), unit),
        Number::Float(value) => epoch_to_millis(EpochNumber::Float(value), unit),
    };
    match unit {
        TimestampUnit::Rfc3339 => parse_rfc3339(text),
        TimestampUnit::Auto => parse_number(text).map_or_else(|| parse_rfc3339(text), epoch),
        _ => epoch(parse_number(text)?),
    }
}

/// A number, from a number or from text that holds one; `Err` for anything else.
pub(crate) fn number(scalar: Scalar<'_>) -> Result<Option<Number>, ()> {
    match scalar {
        Scalar::Missing | Scalar::Null => Ok(None),
        Scalar::Int(value) => Ok(Some(Number::Int(value))),
        Scalar::Float(value) => Ok(Some(Number::Float(value))),
        Scalar::Str(text) => parse_number(text).map(Some).ok_or(()),
        Scalar::Bool(_) | Scalar::Owned(_) | Scalar::Other => Err(()),
    }
}

/// The smallest sample rate taken: one event kept in a billion. Below it a weight would
/// dwarf every other event and, summed, lose their counts to floating-point rounding.
const MIN_SAMPLE_RATE: f64 = 1e-9;

/// The weight of an event sampled at the rate found: 1 / rate, 1 when there is no rate.
fn weight(scalar: Scalar<'_>) -> Result<f64, Reason> {
    let rate = match number(scalar) {
        Ok(None) => return Ok(1.0),
        Ok(Some(Number::Int(rate))) => rate as f64,
        Ok(Some(Number::Float(rate))) => rate,
        Err(()) => f64::NAN,
    };
    if (MIN_SAMPLE_RATE..=1.0).contains(&rate) {
        Ok(1.0 / rate)
    } else {
        Err(Reason::bad("sample rate"))
    }
}

impl Target {
    fn assign<'a>(
        &self,
        scalar: Scalar<'a>,
        event: &mut Event<'a>,
        custom: &mut [Value<'a>],
    ) -> Result<(), Reason> {
        match self.field {
            Field::Status => event.status = self.int(scalar)?,
            Field::Size => event.size = self.int(scalar)?,
            Field::Latency => event.latency = self.latency(scalar)?,
            Field::Method => event.method = self.text(scalar)?,
            Field::Path => event.path = self.text(scalar)?,
            Field::Protocol => event.protocol = self.text(scalar)?,
            Field::Host => event.host = self.text(scalar)?,
            Field::Client => event.client = self.text(scalar)?,
            Field::User => event.user = self.text(scalar)?,
            Field::Referer => event.referer = self.text(scalar)?,
            Field::UserAgent => event.user_agent = self.text(scalar)?,
            Field::Region => event.region = self.text(scalar)?,
            Field::Custom(index) => custom[usize::from(index)] = self.custom(scalar)?,
        }
        Ok(())
    }

    fn bad(&self) -> Reason {
        Reason::Bad(self.name.clone())
    }

    fn int(&self, scalar: Scalar<'_>) -> Result<Option<i64>, Reason> {
        match number(scalar).map_err(|()| self.bad())? {
            None => Ok(None),
            Some(Number::Int(value)) => Ok(Some(value)),
            // 200.0 is a whole number; 200.5 is not, and neither is 1e300.
            Some(Number::Float(value)) if value.fract() == 0.0 && value.abs() < 9.2e18 => {
                Ok(Some(value as i64))
            }
            Some(Number::Float(_)) => Err(self.bad()),
        }
    }

    fn double(&self, scalar: Scalar<'_>) -> Result<Option<f64>, Reason> {
        Ok(match number(scalar).map_err(|()| self.bad())? {
            None => None,
            Some(Number::Int(value)) => Some(value as f64),
            Some(Number::Float(value)) => Some(value),
        })
    }

    fn latency(&self, scalar: Scalar<'_>) -> Result<Option<f64>, Reason> {
        let per_second = match self.unit {
            LatencyUnit::Seconds => 1.0,
            LatencyUnit::Millis => 1e3,
            LatencyUnit::Micros => 1e6,
        };
        Ok(self.double(scalar)?.map(|value| value / per_second))
    }

    fn text<'a>(&self, scalar: Scalar<'a>) -> Result<Option<&'a str>, Reason> {
        match scalar {
            Scalar::Missing | Scalar::Null => Ok(None),
            Scalar::Str(text) => Ok(Some(text)),
            Scalar::Bool(true) => Ok(Some("true")),
            Scalar::Bool(false) => Ok(Some("false")),
            Scalar::Int(_) | Scalar::Float(_) | Scalar::Owned(_) | Scalar::Other => Err(self.bad()),
        }
    }

    fn bool(&self, scalar: Scalar<'_>) -> Result<Option<bool>, Reason> {
        match scalar {
            Scalar::Missing | Scalar::Null => Ok(None),
            Scalar::Bool(value) => Ok(Some(value)),
            Scalar::Int(0) => Ok(Some(false)),
            Scalar::Int(1) => Ok(Some(true)),
            Scalar::Str(text) if text.eq_ignore_ascii_case("true") || text == "1" => Ok(Some(true)),
            Scalar::Str(text) if text.eq_ignore_ascii_case("false") || text == "0" => {
                Ok(Some(false))
            }
            _ => Err(self.bad()),
        }
    }

    fn custom<'a>(&self, scalar: Scalar<'a>) -> Result<Value<'a>, Reason> {
        Ok(match self.ty {
            FieldType::Int => self.int(scalar)?.map_or(Value::Null, Value::Int),
            FieldType::Double => self.double(scalar)?.map_or(Value::Null, Value::Double),
            FieldType::String => self.text(scalar)?.map_or(Value::Null, Value::Str),
            FieldType::Bool => self.bool(scalar)?.map_or(Value::Null, Value::Bool),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nines_core::source::MappedField;

    fn mapping(unit: TimestampUnit) -> Mapping {
        let mapped = |name: &str, ty, unit| MappedField {
            name: name.into(),
            path: name.into(),
            ty,
            unit,
        };
        Mapping::new(&RecordMapping {
            timestamp: "ts".into(),
            timestamp_unit: unit,
            fields: vec![
                mapped("status", FieldType::Int, LatencyUnit::Seconds),
                mapped("latency", FieldType::Double, LatencyUnit::Millis),
                mapped("tier", FieldType::String, LatencyUnit::Seconds),
                mapped("retries", FieldType::Int, LatencyUnit::Seconds),
                mapped("cached", FieldType::Bool, LatencyUnit::Seconds),
            ],
            sample_rate: Some("rate".into()),
        })
    }

    fn build<'a>(
        mapping: &Mapping,
        slots: &[Scalar<'a>],
        custom: &mut Vec<Value<'a>>,
    ) -> Result<Event<'a>, Reason> {
        mapping.build(slots, &[], custom)
    }

    #[test]
    fn fields_take_their_types_and_units() {
        let mapping = mapping(TimestampUnit::Auto);
        let slots = [
            Scalar::Str("2015-05-17T10:05:03Z"),
            Scalar::Str("0.25"),
            Scalar::Str("503"),
            Scalar::Int(1500),
            Scalar::Str("gold"),
            Scalar::Float(2.0),
            Scalar::Str("TRUE"),
        ];
        let mut custom = Vec::new();
        let event = build(&mapping, &slots, &mut custom).unwrap();
        assert_eq!(event.timestamp_ms, 1_431_857_103_000);
        // A rate of 0.25 means each sampled event stands for 4.
        assert_eq!(event.weight, 4.0);
        assert_eq!(event.status, Some(503));
        // 1500 ms is 1.5 s.
        assert_eq!(event.latency, Some(1.5));
        assert_eq!(
            custom,
            [Value::Str("gold"), Value::Int(2), Value::Bool(true)]
        );
    }

    #[test]
    fn sample_rates_lie_between_one_in_a_billion_and_one() {
        assert_eq!(weight(Scalar::Float(1.0)), Ok(1.0));
        assert!(weight(Scalar::Float(1e-9)).is_ok_and(|w| (w - 1e9).abs() < 1e-3));
        for rate in [0.0, -0.5, 1.5, 1e-10, 1e-300] {
            assert!(weight(Scalar::Float(rate)).is_err(), "{rate}");
        }
    }

    #[test]
    fn absent_values_are_absent_not_errors() {
        let mapping = mapping(TimestampUnit::Millis);
        let mut slots = [Scalar::Missing; 7];
        slots[TIMESTAMP_SLOT] = Scalar::Int(1_431_857_103_000);
        slots[3] = Scalar::Null;
        let mut custom = Vec::new();
        let event = build(&mapping, &slots, &mut custom).unwrap();
        assert_eq!(event.weight, 1.0);
        assert_eq!(event.status, None);
        assert_eq!(custom, [Value::Null; 3]);
    }

    #[test]
    fn bad_values_name_their_field() {
        let mapping = mapping(TimestampUnit::Auto);
        let base = [
            Scalar::Int(1_431_857_103),
            Scalar::Missing,
            Scalar::Int(200),
            Scalar::Missing,
            Scalar::Missing,
            Scalar::Missing,
            Scalar::Missing,
        ];
        let cases = [
            (
                TIMESTAMP_SLOT,
                Scalar::Missing,
                Reason::missing("timestamp"),
            ),
            (
                TIMESTAMP_SLOT,
                Scalar::Str("soon"),
                Reason::bad("timestamp"),
            ),
            (
                SAMPLE_RATE_SLOT,
                Scalar::Float(0.0),
                Reason::bad("sample rate"),
            ),
            (SAMPLE_RATE_SLOT, Scalar::Int(2), Reason::bad("sample rate")),
            (
                SAMPLE_RATE_SLOT,
                Scalar::Str("often"),
                Reason::bad("sample rate"),
            ),
            (2, Scalar::Float(200.5), Reason::bad("status")),
            (2, Scalar::Other, Reason::bad("status")),
            (5, Scalar::Str("two"), Reason::Bad("retries".into())),
            (6, Scalar::Str("maybe"), Reason::Bad("cached".into())),
        ];
        for (slot, scalar, reason) in cases {
            let mut slots = base;
            slots[slot] = scalar;
            let mut custom = Vec::new();
            assert_eq!(
                build(&mapping, &slots, &mut custom).unwrap_err(),
                reason,
                "{scalar:?}"
            );
        }
    }

    #[test]
    fn explicit_units_read_numeric_text() {
        let seconds = mapping(TimestampUnit::Seconds);
        let mut slots = [Scalar::Missing; 7];
        slots[TIMESTAMP_SLOT] = Scalar::Str("1431857103.5");
        let mut custom = Vec::new();
        assert_eq!(
            build(&seconds, &slots, &mut custom).unwrap().timestamp_ms,
            1_431_857_103_500
        );
        let rfc = mapping(TimestampUnit::Rfc3339);
        assert_eq!(
            build(&rfc, &slots, &mut custom).unwrap_err(),
            Reason::bad("timestamp")
        );
    }

    #[test]
    fn recycled_vectors_keep_their_allocation() {
        let text = String::from("x");
        let mut slots = Vec::with_capacity(64);
        slots.push(Scalar::Str(&text));
        let address = slots.as_ptr() as usize;
        let recycled: Vec<Scalar<'static>> = recycle_scalars(slots);
        assert_eq!(recycled.as_ptr() as usize, address);
        assert_eq!(recycled.capacity(), 64);
    }
}
