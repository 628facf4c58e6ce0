//! Parsing speed of the hot path: combined access-log lines followed by the request time in
//! seconds (nginx `$request_time`), about 190 bytes each, the shape `nines report` must read at
//! 2.4 million lines a second on two cores; and JSON lines for comparison.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use divan::Bencher;
use divan::counter::ItemsCount;
use nines_core::event::Event;
use nines_core::event::FieldType;
use nines_core::source::{
    AccessLogLayout, LatencyUnit, MappedField, RecordMapping, SourceFormat, TimestampUnit,
};
use nines_ingest::{InputPath, LineParser, ReadOptions, Scratch, read_inputs};

const LINES: usize = 200_000;

fn main() {
    divan::main();
}

fn format() -> SourceFormat {
    SourceFormat::AccessLog(AccessLogLayout::CombinedSeconds)
}

/// Lines that vary where real ones do: client, time, path, status, size, latency.
fn generated(count: usize) -> Vec<u8> {
    let statuses = [200, 200, 200, 304, 404, 500, 200, 201];
    let mut text = Vec::with_capacity(count * 175);
    for i in 0..count {
        writeln!(
            text,
            "10.{}.{}.{} - - [17/May/2015:{:02}:{:02}:{:02} +0000] \
             \"GET /api/v1/items/{}?page={} HTTP/1.1\" {} {} \"https://example.com/s?q={}\" \
             \"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36\" 0.{:03}",
            i % 7,
            i % 251,
            i % 13,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            i * 7919 % 100_000,
            i % 9,
            statuses[i % statuses.len()],
            i * 31 % 60_000,
            i % 1000,
            i % 997,
        )
        .unwrap();
    }
    text
}

/// One thread, lines already in memory: the parser alone.
#[divan::bench]
fn parse_lines(bencher: Bencher) {
    let text = generated(LINES);
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let parser = LineParser::new(&format()).unwrap();
    bencher.counter(ItemsCount::new(LINES)).bench_local(|| {
        let mut scratch = Scratch::default();
        let mut statuses = 0i64;
        let mut sink = |event: &Event<'_>| statuses += event.status.unwrap_or(0);
        for line in &lines {
            let _ = parser.parse_line(line, &mut scratch, &mut sink);
        }
        statuses
    });
}

/// The whole reader on a file (from the page cache), with 1 and 2 worker threads.
#[divan::bench(args = [1, 2])]
fn read_file(bencher: Bencher, threads: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    std::fs::write(&path, generated(LINES * 5)).unwrap();
    let inputs = [InputPath::File(path)];
    let options = ReadOptions {
        threads,
        ..ReadOptions::default()
    };
    let total = AtomicU64::new(0);
    bencher.counter(ItemsCount::new(LINES * 5)).bench_local(|| {
        let outcome = read_inputs(&inputs, &format(), &options, || {
            |event: &Event<'_>| {
                std::hint::black_box(event);
            }
        })
        .unwrap();
        total.fetch_add(outcome.inputs[0].events, Ordering::Relaxed);
    });
}

/// One thread, JSON lines with a nested path, for comparison with access logs.
#[divan::bench]
fn parse_json_lines(bencher: Bencher) {
    let text: String = (0..LINES)
        .map(|i| {
            format!(
                "{{\"ts\":\"2015-05-17T10:05:{:02}.{:03}Z\",\"http\":{{\"status\":{},\
                 \"path\":\"/api/v1/items/{}\",\"ms\":{}.5}},\"tier\":\"gold\",\
                 \"trace\":{{\"id\":\"{:016x}\",\"tags\":[1,2,3]}}}}\n",
                i % 60,
                i % 1000,
                [200, 503][i % 2],
                i,
                i % 900,
                i * 7919
            )
        })
        .collect();
    let mapped = |name: &str, path: &str, ty| MappedField {
        name: name.into(),
        path: path.into(),
        ty,
        unit: LatencyUnit::Millis,
    };
    let format = SourceFormat::JsonLines(RecordMapping {
        timestamp: "ts".into(),
        timestamp_unit: TimestampUnit::Auto,
        fields: vec![
            mapped("status", "http.status", FieldType::Int),
            mapped("path", "http.path", FieldType::String),
            mapped("latency", "http.ms", FieldType::Double),
            mapped("tier", "tier", FieldType::String),
        ],
        sample_rate: None,
    });
    let parser = LineParser::new(&format).unwrap();
    let lines: Vec<&[u8]> = text.as_bytes().split_inclusive(|&b| b == b'\n').collect();
    bencher.counter(ItemsCount::new(LINES)).bench_local(|| {
        let mut scratch = Scratch::default();
        let mut statuses = 0i64;
        let mut sink = |event: &Event<'_>| statuses += event.status.unwrap_or(0);
        for line in &lines {
            parser.parse_line(line, &mut scratch, &mut sink).unwrap();
        }
        statuses
    });
}
