//! Lines and JSON documents of one input, for the readers that keep state across records.
//!
//! [`LineSource`] hands out lines with their numbers, never holding more than one line.
//! [`Documents`] groups lines into JSON documents: one per line for JSON lines, or one spanning
//! many lines for a pretty-printed file (the OTLP example, a Zipkin API dump), found by
//! following brackets outside strings rather than by trying to parse every prefix.

use std::io::{self, BufRead, BufReader, Read};

use crate::error::Reason;
use crate::stats::Sample;

/// The longest line or JSON document read; anything longer is skipped and counted, so that a
/// file without line breaks cannot take all memory.
pub(crate) const MAX_DOCUMENT: usize = 256 << 20;

/// One line of an input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'l> {
    /// Its text, without the line break (`\n` or `\r\n`).
    Text(&'l str),
    /// A line longer than the limit: its start; the rest was skipped.
    TooLong(&'l str),
}

/// Reads an input line by line, counting lines and bytes.
pub(crate) struct LineSource {
    reader: BufReader<Box<dyn Read>>,
    /// The current line as text.
    text: String,
    too_long: bool,
    /// Hand out the current line again on the next call.
    again: bool,
    limit: usize,
    /// The number of the current line (1-based).
    pub(crate) number: u64,
    /// Bytes read.
    pub(crate) bytes: u64,
}

impl LineSource {
    pub(crate) fn new(source: Box<dyn Read>) -> LineSource {
        LineSource::with_limit(source, MAX_DOCUMENT)
    }

    pub(crate) fn with_limit(source: Box<dyn Read>, limit: usize) -> LineSource {
        LineSource {
            reader: BufReader::with_capacity(1 << 16, source),
            text: String::new(),
            too_long: false,
            again: false,
            limit,
            number: 0,
            bytes: 0,
        }
    }

    /// The next line and its number, or `None` at the end of the input. Bytes that are not
    /// UTF-8 are replaced.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        if !std::mem::take(&mut self.again) && !self.read_line()? {
            return Ok(None);
        }
        let text = self.text.as_str();
        let line = if self.too_long {
            Line::TooLong(&text[..floor_boundary(text, 512)])
        } else {
            Line::Text(text)
        };
        Ok(Some((self.number, line)))
    }

    /// Makes the next call return the current line again.
    pub(crate) fn unread(&mut self) {
        self.again = true;
    }

    fn read_line(&mut self) -> io::Result<bool> {
        let mut raw = std::mem::take(&mut self.text).into_bytes();
        raw.clear();
        let limit = self.limit as u64 + 1;
        let read = (&mut self.reader).take(limit).read_until(b'\n', &mut raw)?;
        if read == 0 {
            self.text = String::from_utf8(raw).unwrap_or_default();
            return Ok(false);
        }
        self.bytes += read as u64;
        self.number += 1;
        self.too_long = raw.len() > self.limit && !raw.ends_with(b"\n");
        if self.too_long {
            self.skip_rest()?;
            raw.truncate(1024);
        }
        trim_line_end(&mut raw);
        self.text = String::from_utf8(raw)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
        Ok(true)
    }

    fn skip_rest(&mut self) -> io::Result<()> {
        loop {
            let buffer = self.reader.fill_buf()?;
            if buffer.is_empty() {
                return Ok(());
            }
            let (used, done) = match memchr::memchr(b'\n', buffer) {
                Some(end) => (end + 1, true),
                None => (buffer.len(), false),
            };
            self.reader.consume(used);
            self.bytes += used as u64;
            if done {
                return Ok(());
            }
        }
    }
}

fn trim_line_end(raw: &mut Vec<u8>) {
    if raw.ends_with(b"\n") {
        raw.pop();
    }
    if raw.ends_with(b"\r") {
        raw.pop();
    }
}

/// What [`Documents::next_document`] found.
#[derive(Debug)]
pub(crate) enum Item<'d> {
    /// A JSON document (or a line that does not start one, for the parser to reject), with
    /// the number of its first line.
    Document(u64, &'d str),
    /// Text that cannot be a document: cut short or too long.
    Malformed(Sample),
}

/// Brackets seen so far in an open document, outside strings.
#[derive(Debug, Default)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The document's outermost bracket is `[`.
    array: bool,
}

impl Scan {
    /// Follows `text`; true when the document's outermost bracket has closed.
    fn follow(&mut self, text: &str) -> bool {
        for byte in text.bytes() {
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    if self.depth == 0 {
                        self.array = byte == b'[';
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// Whether a line that starts at its first column with a bracket begins a new document.
    ///
    /// Pretty printers indent everything inside the outermost bracket, so such a line means
    /// the open document was cut short, unless it is an element of a top-level array.
    fn starts_new(&self, line: &str) -> bool {
        let opens = line.starts_with('{') || line.starts_with('[');
        opens && !(self.array && self.depth == 1)
    }
}

/// The JSON documents of an input.
pub(crate) struct Documents<'s> {
    lines: &'s mut LineSource,
    open: Open,
}

/// A document that spans lines, while it is being read.
#[derive(Default)]
struct Open {
    text: String,
    first_line: u64,
    scan: Scan,
    too_long: bool,
}

impl Open {
    fn is_open(&self) -> bool {
        self.scan.depth > 0
    }

    /// Starts a document at line `number`; false when the line holds all of it (or does not
    /// start one), so that it is a document by itself.
    fn start(&mut self, number: u64, line: &str) -> bool {
        self.scan = Scan::default();
        let trimmed = line.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) || self.scan.follow(line) {
            self.scan = Scan::default();
            return false;
        }
        self.first_line = number;
        self.text.clear();
        self.too_long = false;
        self.push(line);
        true
    }

    /// Adds a line; the document when it is complete.
    fn extend(&mut self, line: &str) -> Option<Found> {
        let closed = self.scan.follow(line);
        self.push(line);
        if !closed {
            return None;
        }
        self.scan = Scan::default();
        Some(if self.too_long {
            let sample = Sample::new(self.first_line, Reason::TooLong, first_line(&self.text));
            Found::Malformed(sample)
        } else {
            Found::Document
        })
    }

    fn push(&mut self, line: &str) {
        if self.text.len() + line.len() >= MAX_DOCUMENT {
            self.too_long = true;
            let keep = first_line(&self.text).len();
            self.text.truncate(keep);
        }
        if !self.too_long {
            self.text.push_str(line);
            self.text.push('\n');
        }
    }

    fn cut_short(&mut self) -> Found {
        self.scan = Scan::default();
        let reason = Reason::incomplete("JSON document");
        Found::Malformed(Sample::new(self.first_line, reason, first_line(&self.text)))
    }
}

/// Where the next document is.
enum Found {
    /// The current line, alone.
    Line(u64),
    /// In [`Open::text`].
    Document,
    Malformed(Sample),
}

impl<'s> Documents<'s> {
    pub(crate) fn new(lines: &'s mut LineSource) -> Documents<'s> {
        Documents {
            lines,
            open: Open::default(),
        }
    }

    /// The next document, or `None` at the end of the input.
    pub(crate) fn next_document(&mut self) -> io::Result<Option<Item<'_>>> {
        let Some(found) = self.find()? else {
            return Ok(None);
        };
        Ok(Some(match found {
            Found::Line(number) => match self.lines.next_line()? {
                Some((_, Line::Text(text))) => Item::Document(number, text),
                _ => unreachable!("the line was read before being handed out again"),
            },
            Found::Document => Item::Document(self.open.first_line, &self.open.text),
            Found::Malformed(sample) => Item::Malformed(sample),
        }))
    }

    fn find(&mut self) -> io::Result<Option<Found>> {
        loop {
            let open = self.open.is_open();
            let Some((number, line)) = self.lines.next_line()? else {
                return Ok(open.then(|| self.open.cut_short()));
            };
            let text = match line {
                Line::Text(text) => text,
                Line::TooLong(start) => {
                    let sample = Sample::new(number, Reason::TooLong, start);
                    self.open.scan = Scan::default();
                    return Ok(Some(Found::Malformed(sample)));
                }
            };
            if open && self.open.scan.starts_new(text) {
                self.lines.unread();
                return Ok(Some(self.open.cut_short()));
            }
            if open {
                match self.open.extend(text) {
                    Some(found) => return Ok(Some(found)),
                    None => continue,
                }
            }
            if text.trim().is_empty() || self.open.start(number, text) {
                continue;
            }
            self.lines.unread();
            return Ok(Some(Found::Line(number)));
        }
    }
}

fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or_default();
    &line[..floor_boundary(line, 512)]
}

/// The largest char boundary of `text` at or before `at`.
pub(crate) fn floor_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> LineSource {
        LineSource::new(Box::new(io::Cursor::new(text.as_bytes().to_vec())))
    }

    /// Every item of `text`: documents as (line, text), malformed ones as (line, reason).
    fn items(text: &str) -> Vec<(u64, String)> {
        let mut lines = source(text);
        let mut documents = Documents::new(&mut lines);
        let mut out = Vec::new();
        while let Some(item) = documents.next_document().unwrap() {
            out.push(match item {
                Item::Document(line, text) => (line, text.trim_end().to_owned()),
                Item::Malformed(sample) => (sample.line, sample.reason.to_string()),
            });
        }
        out
    }

    #[test]
    fn lines_drop_their_breaks_and_count_bytes() {
        let mut lines = source("a\r\nb\n\nc");
        let mut seen = Vec::new();
        while let Some((_, Line::Text(text))) = lines.next_line().unwrap() {
            seen.push(text.to_owned());
        }
        assert_eq!(seen, ["a", "b", "", "c"]);
        assert_eq!((lines.number, lines.bytes), (4, 7));
    }

    #[test]
    fn overlong_lines_are_cut_and_skipped() {
        let text = format!("{}\nnext\n", "x".repeat(100));
        let mut lines = LineSource::with_limit(Box::new(io::Cursor::new(text.into_bytes())), 10);
        assert!(matches!(
            lines.next_line().unwrap(),
            Some((1, Line::TooLong(_)))
        ));
        assert_eq!(lines.next_line().unwrap(), Some((2, Line::Text("next"))));
        assert_eq!(lines.bytes, 106);
    }

    #[test]
    fn json_lines_are_one_document_each() {
        let text = "{\"a\":\"}\"}\n\n[1,{\"b\":[2]}]\r\n{\"c\":1}";
        assert_eq!(
            items(text),
            [
                (1, "{\"a\":\"}\"}".to_owned()),
                (3, "[1,{\"b\":[2]}]".to_owned()),
                (4, "{\"c\":1}".to_owned()),
            ]
        );
    }

    #[test]
    fn pretty_documents_span_lines() {
        let text = "{\n  \"a\": [\n    1\n  ]\n}\n[\n{\"x\": \"]\"},\n{}\n]\n";
        let found = items(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0], (1, "{\n  \"a\": [\n    1\n  ]\n}".to_owned()));
        assert_eq!(found[1].0, 6);
    }

    #[test]
    fn documents_cut_short_are_reported_and_reading_goes_on() {
        let text = "{\"a\": [1,\n{\"b\": 2}\nnot json\n{\"c\":\n";
        assert_eq!(
            items(text),
            [
                (1, "incomplete JSON document".to_owned()),
                (2, "{\"b\": 2}".to_owned()),
                (3, "not json".to_owned()),
                (4, "incomplete JSON document".to_owned()),
            ]
        );
    }
}
