//! Readers of telemetry whose records depend on one another: spans that make up traces (OTLP,
//! Zipkin) and cumulative counters whose increases are the events (JSON snapshots, Prometheus
//! text exposition).
//!
//! They read on the calling thread, input after input in the order given, into one sink,
//! because a span's trace or a sample's predecessor may sit anywhere before it. State is
//! bounded: open traces are capped, counter samples are buffered up to a limit. What cannot be
//! turned into events (a span without a duration, a trace without its root) is counted in the
//! input stats by reason, like a malformed line.

mod counters;
mod exposition;
mod increase;
mod lines;
mod otlp;
mod spans;
mod traces;
mod zipkin;

use std::cell::Cell;
use std::io;
use std::rc::Rc;

use nines_core::event::{Event, Field, Value};
use nines_core::source::{Constant, FieldDef, SourceFormat};

use crate::error::IngestError;
use crate::input::{self, InputPath};
use crate::stats::{Sample, Tallies};
use crate::{EventSink, Progress, ReadOptions, ReadOutcome};

pub(crate) use lines::LineSource;
use lines::{Documents, Item};

/// A reader of one stateful format.
trait Telemetry {
    /// Reads one input to its end (or until a strict run fails).
    fn read_input(
        &mut self,
        input: usize,
        lines: &mut LineSource,
        out: &mut Out<'_>,
    ) -> io::Result<()>;

    /// Hands over what was held back for later input: open traces, buffered samples.
    fn finish(&mut self, out: &mut Out<'_>);
}

fn reader_for(format: &SourceFormat) -> Box<dyn Telemetry + '_> {
    match format {
        SourceFormat::Otlp(traces) => Box::new(otlp::OtlpReader::new(traces)),
        SourceFormat::Zipkin(traces) => Box::new(zipkin::ZipkinReader::new(traces)),
        SourceFormat::Counters(counters) => Box::new(counters::CounterReader::new(counters)),
        SourceFormat::PrometheusText(exposition) => {
            Box::new(exposition::ExpositionReader::new(exposition))
        }
        SourceFormat::AccessLog(_) | SourceFormat::JsonLines(_) | SourceFormat::Csv(_) => {
            unreachable!("line formats are read by the pipeline")
        }
    }
}

/// Hands each JSON document of one input to `each`, with the place it starts, and counts text
/// that cannot be a document as malformed, until the input ends or a strict run stops.
fn read_documents(
    input: usize,
    lines: &mut LineSource,
    out: &mut Out<'_>,
    mut each: impl FnMut(Place, &str, &mut Out<'_>),
) -> io::Result<()> {
    let mut documents = Documents::new(lines);
    while let Some(item) = documents.next_document()? {
        match item {
            Item::Document(line, text) => each(Place { input, line }, text, out),
            Item::Malformed(sample) => out.malformed(input, sample),
        }
        out.tick();
        if out.stopped() {
            break;
        }
    }
    Ok(())
}

/// Reads every input of a stateful format into one sink.
pub(crate) fn read<S, F>(
    inputs: &[InputPath],
    format: &SourceFormat,
    options: &ReadOptions,
    make_sink: F,
) -> Result<ReadOutcome<S>, IngestError>
where
    S: EventSink,
    F: Fn() -> S + Sync,
{
    input::check_all(inputs)?;
    let mut sink = make_sink();
    let mut reader = reader_for(format);
    let raw_bytes = Rc::new(Cell::new(0));
    let mut out = Out::new(&mut sink, options, Rc::clone(&raw_bytes));
    let mut read = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let mut lines = LineSource::new(input::open(input, &raw_bytes)?);
        let result = reader.read_input(index, &mut lines, &mut out);
        result.map_err(|source| IngestError::Read {
            label: input.label(),
            source,
        })?;
        read.push((input.label(), lines.bytes, lines.number));
        if out.stopped() {
            break;
        }
    }
    if !out.stopped() {
        reader.finish(&mut out);
    }
    let (mut tallies, failed) = (out.tallies, out.failed);
    if let Some((index, sample)) = failed {
        let label = inputs[index].label();
        return Err(IngestError::Malformed(Box::new(
            sample.into_malformed(&label),
        )));
    }
    let stats = read
        .into_iter()
        .enumerate()
        .map(|(index, (label, bytes, lines))| {
            std::mem::take(tallies.get(index)).into_stats(label, bytes, lines)
        })
        .collect();
    Ok(ReadOutcome {
        sinks: vec![sink],
        inputs: stats,
    })
}

/// Where a record was found: the input's index and the line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Place {
    pub(crate) input: usize,
    pub(crate) line: u64,
}

/// How often progress is told, in bytes read.
const PROGRESS_STEP: u64 = 4 << 20;

/// Where readers put events and problems: the sink, and counts per input.
pub(crate) struct Out<'s> {
    sink: &'s mut dyn EventSink,
    tallies: Tallies,
    strict: bool,
    /// In strict mode, the first problem: it stops the run.
    failed: Option<(usize, Sample)>,
    progress: Option<Progress>,
    raw_bytes: Rc<Cell<u64>>,
    told: u64,
}

impl<'s> Out<'s> {
    fn new(sink: &'s mut dyn EventSink, options: &ReadOptions, raw_bytes: Rc<Cell<u64>>) -> Self {
        Out {
            sink,
            tallies: Tallies::default(),
            strict: options.strict,
            failed: None,
            progress: options.progress.clone(),
            raw_bytes,
            told: 0,
        }
    }

    /// Hands an event found in `input` to the sink.
    pub(crate) fn event(&mut self, input: usize, event: &Event<'_>) {
        self.sink.accept(event);
        self.tallies.get(input).events += 1;
    }

    /// Counts a record that gave no event; in strict mode, the first one stops the run.
    pub(crate) fn malformed(&mut self, input: usize, sample: Sample) {
        if self.strict {
            self.failed.get_or_insert((input, sample));
        } else {
            self.tallies.get(input).record_sample(sample);
        }
    }

    /// Whether a strict run has failed, so that readers stop.
    pub(crate) fn stopped(&self) -> bool {
        self.failed.is_some()
    }

    /// Tells the progress callback, every few megabytes.
    pub(crate) fn tick(&mut self) {
        let Some(progress) = &self.progress else {
            return;
        };
        let bytes = self.raw_bytes.get();
        if bytes >= self.told + PROGRESS_STEP {
            self.told = bytes;
            progress(bytes);
        }
    }
}

/// Field values fixed per series (counters, Prometheus series), ready to be put into events.
#[derive(Debug, Clone, Default)]
pub(crate) struct Constants {
    values: Vec<(Field, Constant)>,
    custom_count: usize,
}

impl Constants {
    /// The values of `defs`, one per definition (`Null` where not set).
    pub(crate) fn new(defs: &[FieldDef], values: impl IntoIterator<Item = Constant>) -> Self {
        let custom_count = defs
            .iter()
            .filter(|def| matches!(def.field, Field::Custom(_)))
            .count();
        let values = defs
            .iter()
            .zip(values)
            .filter(|(_, value)| *value != Constant::Null)
            .map(|(def, value)| (def.field, value))
            .collect();
        Constants {
            values,
            custom_count,
        }
    }

    /// Hands `out` an event at `at` with these values, weighted by `weight`.
    pub(crate) fn emit(&self, out: &mut Out<'_>, input: usize, at: i64, weight: f64) {
        self.emit_with_latency(out, input, at, weight, None);
    }

    /// Like [`Constants::emit`], with a latency (a histogram bucket's bound).
    pub(crate) fn emit_with_latency(
        &self,
        out: &mut Out<'_>,
        input: usize,
        at: i64,
        weight: f64,
        latency: Option<f64>,
    ) {
        let mut custom = vec![Value::Null; self.custom_count];
        let mut event = Event {
            weight,
            latency,
            ..Event::at(at)
        };
        for (field, value) in &self.values {
            set_field(&mut event, &mut custom, *field, value.as_value());
        }
        event.custom = &custom;
        out.event(input, &event);
    }
}

/// Puts `value` into `field`; a value whose type is not the field's is left out (validation
/// has ruled that out).
fn set_field<'a>(event: &mut Event<'a>, custom: &mut [Value<'a>], field: Field, value: Value<'a>) {
    let text = match value {
        Value::Str(text) => Some(text),
        _ => None,
    };
    match (field, value) {
        (Field::Status, Value::Int(status)) => event.status = Some(status),
        (Field::Size, Value::Int(size)) => event.size = Some(size),
        (Field::Latency, Value::Double(latency)) => event.latency = Some(latency),
        (Field::Latency, Value::Int(latency)) => event.latency = Some(latency as f64),
        (Field::Method, _) => event.method = text,
        (Field::Path, _) => event.path = text,
        (Field::Protocol, _) => event.protocol = text,
        (Field::Host, _) => event.host = text,
        (Field::Client, _) => event.client = text,
        (Field::User, _) => event.user = text,
        (Field::Referer, _) => event.referer = text,
        (Field::UserAgent, _) => event.user_agent = text,
        (Field::Region, _) => event.region = text,
        (Field::Custom(index), _) => {
            if let Some(slot) = custom.get_mut(usize::from(index)) {
                *slot = value;
            }
        }
        _ => {}
    }
}
