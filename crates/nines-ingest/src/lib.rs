//! Readers of nines: access logs, JSON lines, CSV, traces (OTLP, Zipkin) and cumulative
//! counters (JSON snapshots, Prometheus text) turned into [`Event`]s for a sink.
//!
//! [`read_inputs`] is the entry point. It opens each input (a file, gzip or not, or standard
//! input), reads it in blocks of whole lines (whole records for CSV) and parses the blocks on
//! worker threads, each feeding its own [`EventSink`]; the caller merges the sinks. Events
//! borrow from the block being read, so a sink must copy what it keeps. Malformed lines are
//! counted by reason per input, with the first few kept as samples ([`InputStats`]); in strict
//! mode the first one is an error instead. [`LineParser`] reads single lines for callers that
//! already hold them.
//!
//! Traces and counters are read differently: a span's trace and a sample's predecessor may be
//! anywhere before it, so those inputs are read in order on the calling thread, with bounded
//! state, and spans or samples that cannot become events (no duration, no root span, out of
//! order) are counted by reason like malformed lines.
//!
//! The formats are described by [`nines_core::source::SourceFormat`]; which fields each one
//! gives is decided there, and this crate fills exactly those.

mod access;
pub mod classify;
mod csv;
mod error;
mod input;
mod json;
mod nginx;
mod parser;
mod pipeline;
mod record;
mod stats;
mod telemetry;
mod text;
mod time;

use std::fmt;
use std::sync::Arc;

use nines_core::event::Event;
use nines_core::source::SourceFormat;

pub use crate::error::{IngestError, Reason};
pub use crate::input::InputPath;
use crate::parser::BlockParser;
pub use crate::parser::{LineParser, Scratch};
pub use crate::stats::{InputStats, Malformed, SAMPLE_COUNT};

/// Receives the events of one worker.
///
/// An event borrows from the reader's buffer and lives only for the call. Any `FnMut(&Event)`
/// closure that is `Send` is a sink.
pub trait EventSink: Send {
    /// Takes one event.
    fn accept(&mut self, event: &Event<'_>);
}

impl<F: FnMut(&Event<'_>) + Send> EventSink for F {
    #[inline]
    fn accept(&mut self, event: &Event<'_>) {
        self(event);
    }
}

/// Called with the number of bytes read so far from all inputs (compressed bytes for gzip,
/// so that it can be compared with file sizes).
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// How to read.
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// Stop at the first malformed line with [`IngestError::Malformed`].
    pub strict: bool,
    /// Worker threads; 0 uses every core, 1 parses on the calling thread.
    pub threads: usize,
    /// Told about progress after each block (every few megabytes).
    pub progress: Option<Progress>,
}

impl ReadOptions {
    /// The number of workers these options ask for.
    pub fn worker_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            threads => threads,
        }
    }
}

impl fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOptions")
            .field("strict", &self.strict)
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What a read produced.
#[derive(Debug)]
pub struct ReadOutcome<S> {
    /// One sink per worker, in no particular order; the caller merges them.
    pub sinks: Vec<S>,
    /// What was found in each input, in the order the inputs were given.
    pub inputs: Vec<InputStats>,
}

/// Reads every input in `format`, handing each event to a sink made by `make_sink`.
///
/// The calling thread reads; [`ReadOptions::worker_count`] workers parse, each into its own
/// sink (with one worker, the calling thread parses too). Blank lines are skipped. Memory does
/// not grow with the input: a fixed number of blocks of a few megabytes are in flight. Formats
/// whose records depend on one another ([`SourceFormat::is_stateful`]) are read on the calling
/// thread into a single sink.
///
/// # Errors
///
/// [`IngestError::Open`] or [`IngestError::Read`] when an input cannot be opened or read
/// (every file is opened once before reading starts), [`IngestError::MissingColumn`] when a
/// CSV header lacks a mapped column, and in strict mode [`IngestError::Malformed`] for the
/// first malformed line.
pub fn read_inputs<S, F>(
    inputs: &[InputPath],
    format: &SourceFormat,
    options: &ReadOptions,
    make_sink: F,
) -> Result<ReadOutcome<S>, IngestError>
where
    S: EventSink,
    F: Fn() -> S + Sync,
{
    if format.is_stateful() {
        return telemetry::read(inputs, format, options, make_sink);
    }
    pipeline::read(inputs, &BlockParser::new(format), options, make_sink)
}
