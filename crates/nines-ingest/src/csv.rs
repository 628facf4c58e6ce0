//! CSV with a header line (RFC 4180: `,` between cells, `"` around cells that hold `,`, `"` or
//! a line break, `""` for a quote inside quotes), columns mapped to fields by name.
//!
//! Records are found by a scan that tracks quotes, so that a quoted line break stays inside
//! its record and every record knows the line it starts on. That same scan lets the pipeline
//! cut CSV into blocks at record ends and parse it in parallel like any other format. An empty
//! cell is an absent value.

use memchr::{memchr, memchr_iter, memchr2_iter};
use nines_core::event::Event;

use crate::EventSink;
use crate::error::{IngestError, Reason};
use crate::parser::Scratch;
use crate::record::{Mapping, Scalar, Strings, recycle_scalars, recycle_values};

/// The column of each slot of a mapping, for one input's header.
#[derive(Debug)]
pub(crate) struct Columns {
    /// The header's number of cells, which every record must have.
    width: usize,
    /// The column of each slot; `None` for an unused slot.
    slots: Vec<Option<usize>>,
}

/// A reader of CSV records against a mapping.
#[derive(Debug)]
pub(crate) struct CsvParser {
    pub(crate) mapping: Mapping,
}

/// The end of the last record in `data`: its last line break outside quotes.
pub(crate) fn last_record_end(data: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut last = None;
    for at in memchr2_iter(b'"', b'\n', data) {
        if data[at] == b'"' {
            quoted = !quoted;
        } else if !quoted {
            last = Some(at);
        }
    }
    last
}

/// Calls `each` with every record of `data` and the line it starts on (a record ends at a line
/// break outside quotes; the last may lack one). Stops early when `each` returns false.
pub(crate) fn for_each_record(
    data: &[u8],
    first_line: u64,
    mut each: impl FnMut(usize, usize, u64) -> bool,
) {
    let (mut start, mut line, mut quoted, mut inner_breaks) = (0, first_line, false, 0);
    for at in memchr2_iter(b'"', b'\n', data) {
        if data[at] == b'"' {
            quoted = !quoted;
        } else if quoted {
            inner_breaks += 1;
        } else {
            if !each(start, at, line) {
                return;
            }
            (start, line, inner_breaks) = (at + 1, line + 1 + inner_breaks, 0);
        }
    }
    if start < data.len() {
        each(start, data.len(), line);
    }
}

/// Splits a record into cells, borrowing unless a cell holds `""`.
fn split_cells<'a>(
    record: &'a str,
    cells: &mut Vec<Scalar<'a>>,
    strings: &mut Strings,
) -> Result<(), Reason> {
    let bytes = record.as_bytes();
    let mut at = 0;
    loop {
        let end = if bytes.get(at) == Some(&b'"') {
            let (cell, end) = quoted_cell(record, at, strings)?;
            cells.push(cell);
            end
        } else {
            let end = memchr(b',', &bytes[at..]).map_or(bytes.len(), |i| at + i);
            let text = &record[at..end];
            cells.push(if text.is_empty() {
                Scalar::Missing
            } else {
                Scalar::Str(text)
            });
            end
        };
        match bytes.get(end) {
            None => return Ok(()),
            Some(b',') => at = end + 1,
            Some(_) => return Err(Reason::bad("quoting")),
        }
    }
}

/// The quoted cell opening at `open`, and the byte after its closing quote.
fn quoted_cell<'a>(
    record: &'a str,
    open: usize,
    strings: &mut Strings,
) -> Result<(Scalar<'a>, usize), Reason> {
    let bytes = record.as_bytes();
    let start = open + 1;
    let mut at = start;
    let mut escaped = false;
    loop {
        let quote = memchr(b'"', &bytes[at..]).ok_or(Reason::UnterminatedQuote)? + at;
        if bytes.get(quote + 1) == Some(&b'"') {
            escaped = true;
            at = quote + 2;
            continue;
        }
        let text = &record[start..quote];
        let cell = match (escaped, text.is_empty()) {
            (_, true) => Scalar::Missing,
            (false, false) => Scalar::Str(text),
            (true, false) => Scalar::Owned(strings.push(&text.replace("\"\"", "\""))),
        };
        return Ok((cell, quote + 1));
    }
}

impl CsvParser {
    /// Reads the header at the start of an input's first block and removes it from the block.
    /// Returns the columns of the mapping (`None` when the block holds only blank lines) and
    /// the number of the first line after the header.
    ///
    /// # Errors
    ///
    /// [`IngestError::MissingColumn`] when the header lacks a mapped column.
    pub(crate) fn take_header(
        &self,
        label: &str,
        block: &mut Vec<u8>,
        first_line: u64,
    ) -> Result<(Option<Columns>, u64), IngestError> {
        let mut header = None;
        for_each_record(block, first_line, |start, end, _| {
            let blank = block[start..end].iter().all(u8::is_ascii_whitespace);
            if !blank {
                header = Some((start, end));
            }
            blank
        });
        let taken = header.map_or(block.len(), |(_, end)| (end + 1).min(block.len()));
        let next_line = first_line + memchr_iter(b'\n', &block[..taken]).count() as u64;
        let columns = match header {
            Some((start, end)) => {
                let text = String::from_utf8_lossy(&block[start..end]);
                Some(self.columns(label, text.trim_end_matches('\r'))?)
            }
            None => None,
        };
        block.drain(..taken);
        Ok((columns, next_line))
    }

    fn columns(&self, label: &str, header: &str) -> Result<Columns, IngestError> {
        let mut cells = Vec::new();
        let mut strings = Strings::default();
        // A header with broken quoting still names columns; take what splitting found.
        let _ = split_cells(header, &mut cells, &mut strings);
        let names: Vec<&str> = cells
            .iter()
            .map(|cell| match *cell {
                Scalar::Str(text) => text.trim(),
                Scalar::Owned(index) => strings.as_slice()[index].trim(),
                _ => "",
            })
            .collect();
        let find = |column: &String| {
            let position = names.iter().position(|name| name == column);
            position.ok_or_else(|| IngestError::MissingColumn {
                label: label.to_owned(),
                column: column.clone(),
                header: names.join(","),
            })
        };
        let slots = self.mapping.paths.iter();
        let slots = slots.map(|path| path.as_ref().map(find).transpose());
        Ok(Columns {
            width: names.len(),
            slots: slots.collect::<Result<_, _>>()?,
        })
    }

    /// Reads one record (without its line break) and hands its event to `sink`.
    pub(crate) fn parse_record<S: EventSink + ?Sized>(
        &self,
        record: &str,
        columns: &Columns,
        scratch: &mut Scratch,
        sink: &mut S,
    ) -> Result<(), Reason> {
        let strings = &mut scratch.strings;
        strings.reset();
        let mut found = recycle_scalars(std::mem::take(&mut scratch.cells));
        let mut values = recycle_scalars(std::mem::take(&mut scratch.slots));
        let mut custom_values = recycle_values(std::mem::take(&mut scratch.custom));
        let result = split_cells(record, &mut found, strings).and_then(|()| {
            if found.len() != columns.width {
                return Err(Reason::FieldCount);
            }
            values.extend(
                columns
                    .slots
                    .iter()
                    .map(|c| c.map_or(Scalar::Missing, |c| found[c])),
            );
            let event = self
                .mapping
                .build(&values, strings.as_slice(), &mut custom_values)?;
            sink.accept(&Event {
                custom: &custom_values,
                ..event
            });
            Ok(())
        });
        scratch.cells = recycle_scalars(found);
        scratch.slots = recycle_scalars(values);
        scratch.custom = recycle_values(custom_values);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(record: &str) -> Result<Vec<String>, Reason> {
        let mut cells = Vec::new();
        let mut strings = Strings::default();
        split_cells(record, &mut cells, &mut strings)?;
        Ok(cells
            .into_iter()
            .map(|cell| match cell {
                Scalar::Str(text) => text.to_owned(),
                Scalar::Owned(index) => strings.as_slice()[index].clone(),
                Scalar::Missing => "<missing>".to_owned(),
                other => format!("{other:?}"),
            })
            .collect())
    }

    #[test]
    fn cells_follow_rfc_4180() {
        assert_eq!(
            cells("a,,\"b,c\",\"say \"\"hi\"\"\",\"\"").unwrap(),
            ["a", "<missing>", "b,c", "say \"hi\"", "<missing>"]
        );
        assert_eq!(cells("").unwrap(), ["<missing>"]);
        assert_eq!(cells("a,").unwrap(), ["a", "<missing>"]);
        assert_eq!(cells("\"a\"b").unwrap_err(), Reason::bad("quoting"));
        assert_eq!(cells("\"a").unwrap_err(), Reason::UnterminatedQuote);
    }

    #[test]
    fn records_keep_quoted_line_breaks_and_their_line_numbers() {
        let data = b"a,\"x\ny\"\nb\n\nc,\"\"\"\n\"\nd";
        let mut records = Vec::new();
        for_each_record(data, 10, |start, end, line| {
            records.push((
                String::from_utf8_lossy(&data[start..end]).into_owned(),
                line,
            ));
            true
        });
        let expected = [
            ("a,\"x\ny\"", 10),
            ("b", 12),
            ("", 13),
            ("c,\"\"\"\n\"", 14),
            ("d", 16),
        ];
        let expected: Vec<(String, u64)> =
            expected.iter().map(|(t, l)| (t.to_string(), *l)).collect();
        assert_eq!(records, expected);
        assert_eq!(last_record_end(b"a\n\"b\nc\""), Some(1));
        assert_eq!(last_record_end(b"\"a\nb"), None);
    }
}
