//! Parsers: [`LineParser`] turns one line of a line-oriented format into an event; the crate's
//! `BlockParser` adds CSV and reads whole blocks, one per call from a pipeline worker. Tests,
//! benches and callers that already hold lines can use [`LineParser`] directly.

use std::borrow::Cow;

use memchr::memchr_iter;
use nines_core::event::{Event, Value};
use nines_core::source::{AccessLogLayout, SourceFormat};

use crate::EventSink;
use crate::access::{AccessParser, Tail};
use crate::csv::{Columns, CsvParser, for_each_record};
use crate::error::{IngestError, Reason};
use crate::json::JsonParser;
use crate::nginx::NginxParser;
use crate::record::{Mapping, Scalar, Strings, recycle_scalars, recycle_values};
use crate::stats::{Sample, Tally};

/// Buffers a parser reuses from line to line, so that reading a line allocates nothing.
///
/// Keep one per thread and pass it to every [`LineParser::parse_line`] call.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) custom: Vec<Value<'static>>,
    pub(crate) slots: Vec<Scalar<'static>>,
    /// CSV cells, before they are picked into slots.
    pub(crate) cells: Vec<Scalar<'static>>,
    pub(crate) strings: Strings,
}

/// A compiled line-oriented format: access logs (fixed or nginx layouts) and JSON lines.
#[derive(Debug)]
pub struct LineParser {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Access(AccessParser),
    Nginx(NginxParser),
    Json(JsonParser),
}

/// Reads one line of text (no line break, not blank) and hands its event to a sink.
pub(crate) trait ParseText: Sync {
    fn parse_text<S: EventSink + ?Sized>(
        &self,
        line: &str,
        scratch: &mut Scratch,
        sink: &mut S,
    ) -> Result<(), Reason>;
}

impl ParseText for AccessParser {
    #[inline]
    fn parse_text<S: EventSink + ?Sized>(
        &self,
        line: &str,
        _scratch: &mut Scratch,
        sink: &mut S,
    ) -> Result<(), Reason> {
        sink.accept(&self.parse(line)?);
        Ok(())
    }
}

impl ParseText for NginxParser {
    fn parse_text<S: EventSink + ?Sized>(
        &self,
        line: &str,
        scratch: &mut Scratch,
        sink: &mut S,
    ) -> Result<(), Reason> {
        let mut custom = recycle_values(std::mem::take(&mut scratch.custom));
        let mut event = Event::at(0);
        let result = self.parse(line, &mut event, &mut custom);
        if result.is_ok() {
            sink.accept(&Event {
                custom: &custom,
                ..event
            });
        }
        scratch.custom = recycle_values(custom);
        result
    }
}

impl ParseText for JsonParser {
    fn parse_text<S: EventSink + ?Sized>(
        &self,
        line: &str,
        scratch: &mut Scratch,
        sink: &mut S,
    ) -> Result<(), Reason> {
        let mut slots = recycle_scalars(std::mem::take(&mut scratch.slots));
        let mut custom = recycle_values(std::mem::take(&mut scratch.custom));
        slots.resize(self.mapping.slot_count(), Scalar::Missing);
        scratch.strings.reset();
        let result = self
            .find(line, &mut slots, &mut scratch.strings)
            .and_then(|()| {
                let event = self
                    .mapping
                    .build(&slots, scratch.strings.as_slice(), &mut custom)?;
                sink.accept(&Event {
                    custom: &custom,
                    ..event
                });
                Ok(())
            });
        scratch.slots = recycle_scalars(slots);
        scratch.custom = recycle_values(custom);
        result
    }
}

impl LineParser {
    /// Compiles a format for reading line by line.
    ///
    /// # Errors
    ///
    /// [`IngestError::NotLineOriented`] for CSV, whose quoted fields may span lines.
    pub fn new(format: &SourceFormat) -> Result<LineParser, IngestError> {
        let kind = match format {
            SourceFormat::AccessLog(AccessLogLayout::Nginx(layout)) => {
                Kind::Nginx(NginxParser::new(layout))
            }
            SourceFormat::AccessLog(layout) => Kind::Access(AccessParser {
                tail: Tail::of(layout).expect("every layout but nginx has a fixed tail"),
            }),
            SourceFormat::JsonLines(mapping) => Kind::Json(JsonParser::new(Mapping::new(mapping))),
            SourceFormat::Csv(_) => return Err(IngestError::NotLineOriented { format: "CSV" }),
            SourceFormat::Otlp(_) => return Err(IngestError::NotLineOriented { format: "OTLP" }),
            SourceFormat::Zipkin(_) => {
                return Err(IngestError::NotLineOriented { format: "Zipkin" });
            }
            SourceFormat::Counters(_) | SourceFormat::PrometheusText(_) => {
                return Err(IngestError::NotLineOriented { format: "counter" });
            }
        };
        Ok(LineParser { kind })
    }

    /// Reads one line (a trailing `\r` or `\n` is ignored) and hands its event to `sink`.
    ///
    /// Returns `Ok(false)` for a blank line, which is no event and not malformed. Bytes that
    /// are not UTF-8 are replaced (U+FFFD) rather than failing the line.
    ///
    /// # Errors
    ///
    /// The [`Reason`] the line is malformed; the sink has not been called.
    pub fn parse_line<S: EventSink + ?Sized>(
        &self,
        line: &[u8],
        scratch: &mut Scratch,
        sink: &mut S,
    ) -> Result<bool, Reason> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let text = String::from_utf8_lossy(line);
        let text = trim_line(&text);
        if is_blank(text) {
            return Ok(false);
        }
        match &self.kind {
            Kind::Access(parser) => parser.parse_text(text, scratch, sink),
            Kind::Nginx(parser) => parser.parse_text(text, scratch, sink),
            Kind::Json(parser) => parser.parse_text(text, scratch, sink),
        }
        .map(|()| true)
    }
}

/// What the pipeline parses blocks with: lines, or CSV records against each input's header.
#[derive(Debug)]
pub(crate) enum BlockParser {
    /// A line-oriented format.
    Lines(LineParser),
    /// CSV.
    Csv(CsvParser),
}

impl BlockParser {
    pub(crate) fn new(format: &SourceFormat) -> BlockParser {
        match format {
            SourceFormat::Csv(mapping) => BlockParser::Csv(CsvParser {
                mapping: Mapping::new(mapping),
            }),
            _ => BlockParser::Lines(LineParser::new(format).expect("not CSV, so line-oriented")),
        }
    }

    /// Reads every line (or record) of `block`, counting events and malformed lines in
    /// `tally`. In strict mode it stops at the first malformed line and returns it.
    pub(crate) fn read_block<S: EventSink + ?Sized>(
        &self,
        block: &LineBlock<'_>,
        scratch: &mut Scratch,
        sink: &mut S,
        tally: &mut Tally,
    ) -> Option<Sample> {
        let kind = match self {
            BlockParser::Lines(parser) => &parser.kind,
            BlockParser::Csv(parser) => return read_records(parser, block, scratch, sink, tally),
        };
        match kind {
            Kind::Access(parser) => read_lines(parser, block, scratch, sink, tally),
            Kind::Nginx(parser) => read_lines(parser, block, scratch, sink, tally),
            Kind::Json(parser) => read_lines(parser, block, scratch, sink, tally),
        }
    }
}

/// Whole lines of text and where they sit in their input.
#[derive(Debug)]
pub(crate) struct LineBlock<'d> {
    /// Complete lines; the last may lack its `\n` at the end of an input.
    pub(crate) data: &'d [u8],
    /// The 1-based number of the first line.
    pub(crate) first_line: u64,
    /// Whether to stop at the first malformed line.
    pub(crate) strict: bool,
    /// For CSV: the columns of the input's header.
    pub(crate) columns: Option<&'d Columns>,
}

/// Drops the `\r` of a CRLF line ending.
#[inline]
fn trim_line(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// A line with nothing but white space, which readers skip.
#[inline]
fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b.is_ascii_whitespace())
}

/// Reads the text at `start..end` of a block as one line or record, counting the outcome; false
/// when a strict run must stop (the failure is then in `failed`).
struct LineReader<'d, 't> {
    data: &'d [u8],
    /// The whole block, when it is valid UTF-8.
    text: Option<&'d str>,
    strict: bool,
    tally: &'t mut Tally,
    failed: Option<Sample>,
}

impl<'d> LineReader<'d, '_> {
    #[inline]
    fn read(
        &mut self,
        (start, end, number): (usize, usize, u64),
        parse: impl FnOnce(&str) -> Result<(), Reason>,
    ) -> bool {
        let line = match self.text {
            Some(text) => Cow::Borrowed(&text[start..end]),
            None => String::from_utf8_lossy(&self.data[start..end]),
        };
        let line = trim_line(&line);
        if is_blank(line) {
            return true;
        }
        match parse(line) {
            Ok(()) => self.tally.events += 1,
            Err(reason) if self.strict => {
                self.failed = Some(Sample::new(number, reason, line));
                return false;
            }
            Err(reason) => self.tally.record(number, reason, line),
        }
        true
    }
}

fn line_reader<'d, 't>(block: &LineBlock<'d>, tally: &'t mut Tally) -> LineReader<'d, 't> {
    LineReader {
        data: block.data,
        // Checking the block once is much cheaper than checking each line.
        text: std::str::from_utf8(block.data).ok(),
        strict: block.strict,
        tally,
        failed: None,
    }
}

fn read_lines<P: ParseText, S: EventSink + ?Sized>(
    parser: &P,
    block: &LineBlock<'_>,
    scratch: &mut Scratch,
    sink: &mut S,
    tally: &mut Tally,
) -> Option<Sample> {
    let data = block.data;
    let mut reader = line_reader(block, tally);
    let mut start = 0;
    let mut number = block.first_line;
    let mut ends = memchr_iter(b'\n', data);
    loop {
        let end = match ends.next() {
            Some(end) => end,
            None if start < data.len() => data.len(),
            None => return None,
        };
        let going = reader.read((start, end, number), |line| {
            parser.parse_text(line, scratch, sink)
        });
        if !going {
            return reader.failed;
        }
        start = end + 1;
        number += 1;
    }
}

fn read_records<S: EventSink + ?Sized>(
    parser: &CsvParser,
    block: &LineBlock<'_>,
    scratch: &mut Scratch,
    sink: &mut S,
    tally: &mut Tally,
) -> Option<Sample> {
    let columns = block
        .columns
        .expect("CSV blocks come with their header's columns");
    let mut reader = line_reader(block, tally);
    for_each_record(block.data, block.first_line, |start, end, number| {
        reader.read((start, end, number), |record| {
            parser.parse_record(record, columns, scratch, sink)
        })
    });
    reader.failed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn combined() -> LineParser {
        LineParser::new(&SourceFormat::AccessLog(AccessLogLayout::Combined)).unwrap()
    }

    #[test]
    fn blocks_number_lines_and_skip_blank_ones() {
        let line = r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 5 "-" "x""#;
        let data = format!("{line}\r\n\n  \r\nbroken\n{line}\nbroken again");
        let block = LineBlock {
            data: data.as_bytes(),
            first_line: 41,
            strict: false,
            columns: None,
        };
        let mut statuses = Vec::new();
        let mut sink = |event: &Event<'_>| statuses.push(event.status);
        let mut tally = Tally::default();
        let parser = BlockParser::Lines(combined());
        let stopped = parser.read_block(&block, &mut Scratch::default(), &mut sink, &mut tally);
        assert!(stopped.is_none());
        assert_eq!(statuses, [Some(200), Some(200)]);
        assert_eq!(tally.events, 2);
        let lines: Vec<u64> = tally.samples.iter().map(|s| s.line).collect();
        assert_eq!(lines, [44, 46]);
    }

    #[test]
    fn strict_blocks_stop_at_the_first_malformed_line() {
        let block = LineBlock {
            data: b"\nnope\nnever read\n",
            first_line: 1,
            strict: true,
            columns: None,
        };
        let mut sink = |_: &Event<'_>| panic!("no event expected");
        let mut tally = Tally::default();
        let parser = BlockParser::Lines(combined());
        let sample = parser.read_block(&block, &mut Scratch::default(), &mut sink, &mut tally);
        assert_eq!(sample.map(|s| s.line), Some(2));
    }

    #[test]
    fn lines_that_are_not_utf8_are_repaired() {
        let line =
            b"1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET /\xff HTTP/1.1\" 200 5 \"-\" \"x\"";
        let mut paths = Vec::new();
        let mut sink = |event: &Event<'_>| paths.push(event.path.map(str::to_owned));
        let parsed = combined().parse_line(line, &mut Scratch::default(), &mut sink);
        assert_eq!(parsed, Ok(true));
        let blank = combined().parse_line(b" \r\n", &mut Scratch::default(), &mut sink);
        assert_eq!(blank, Ok(false));
        assert_eq!(paths, [Some("/\u{fffd}".to_owned())]);
        let csv = SourceFormat::Csv(nines_core::source::RecordMapping {
            timestamp: "time".into(),
            timestamp_unit: Default::default(),
            fields: Vec::new(),
            sample_rate: None,
        });
        assert!(LineParser::new(&csv).is_err());
    }
}
