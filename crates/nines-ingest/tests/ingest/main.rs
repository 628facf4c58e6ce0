//! Reading real and generated inputs end to end through `read_inputs`, one module per theme.

use std::io::Write;
use std::path::{Path, PathBuf};

use nines_core::event::{Event, FieldType, Value};
use nines_core::source::{
    AccessLogLayout, LatencyUnit, MappedField, NginxLayout, RecordMapping, SourceFormat,
    TimestampUnit,
};
use nines_ingest::{InputPath, InputStats, ReadOptions, ReadOutcome, read_inputs};

mod telemetry;

/// An event with its text copied out, so that tests can keep and compare it.
#[derive(Debug, Clone, PartialEq)]
struct Owned {
    timestamp_ms: i64,
    weight: f64,
    status: Option<i64>,
    size: Option<i64>,
    latency: Option<f64>,
    method: Option<String>,
    path: Option<String>,
    protocol: Option<String>,
    host: Option<String>,
    client: Option<String>,
    user: Option<String>,
    referer: Option<String>,
    user_agent: Option<String>,
    custom: Vec<String>,
}

impl Owned {
    fn of(event: &Event<'_>) -> Owned {
        let text = |value: Option<&str>| value.map(str::to_owned);
        Owned {
            timestamp_ms: event.timestamp_ms,
            weight: event.weight,
            status: event.status,
            size: event.size,
            latency: event.latency,
            method: text(event.method),
            path: text(event.path),
            protocol: text(event.protocol),
            host: text(event.host),
            client: text(event.client),
            user: text(event.user),
            referer: text(event.referer),
            user_agent: text(event.user_agent),
            custom: event
                .custom
                .iter()
                .map(|value| format!("{value:?}"))
                .collect(),
        }
    }
}

type Collected = Vec<Owned>;

fn collector() -> Collected {
    Vec::new()
}

/// Reads `inputs` and returns every event (in a canonical order) and the stats.
fn read_all(
    inputs: &[InputPath],
    format: &SourceFormat,
    threads: usize,
) -> (Vec<Owned>, Vec<InputStats>) {
    let options = ReadOptions {
        threads,
        ..ReadOptions::default()
    };
    let outcome: ReadOutcome<Collector> =
        read_inputs(inputs, format, &options, || Collector(collector())).unwrap();
    let mut events: Vec<Owned> = outcome.sinks.into_iter().flat_map(|sink| sink.0).collect();
    sort(&mut events);
    (events, outcome.inputs)
}

fn sort(events: &mut [Owned]) {
    events.sort_by_cached_key(|event| format!("{event:?}"));
}

struct Collector(Collected);

impl nines_ingest::EventSink for Collector {
    fn accept(&mut self, event: &Event<'_>) {
        self.0.push(Owned::of(event));
    }
}

fn file(path: &Path) -> InputPath {
    InputPath::File(path.to_path_buf())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn combined() -> SourceFormat {
    SourceFormat::AccessLog(AccessLogLayout::Combined)
}

mod real_log {
    use super::*;

    pub(super) fn path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/apache_combined_2015.log")
    }

    pub(super) fn text() -> Vec<u8> {
        std::fs::read(path()).unwrap()
    }

    #[test]
    fn every_line_is_accounted_for() {
        for threads in [1, 2] {
            let (events, stats) = read_all(&[file(&path())], &combined(), threads);
            assert_eq!(stats.len(), 1);
            let stats = &stats[0];
            assert_eq!(stats.lines, 10_000);
            assert_eq!(stats.events, 9_999);
            assert_eq!(events.len(), 9_999);
            assert_eq!(stats.bytes, 2_334_331);
            assert_eq!(stats.malformed_total(), 1);
            assert_eq!(stats.malformed["unterminated quoted field"], 1);
            let sample = &stats.samples[0];
            assert_eq!(
                (sample.file.as_str(), sample.line),
                (stats.label.as_str(), 8_899)
            );
            assert!(
                sample
                    .excerpt
                    .starts_with("10.0.4.44 - - [20/May/2015:12:05:17 +0000]")
            );
            assert_eq!(events.iter().filter(|e| e.size.is_none()).count(), 669);
            assert_eq!(events.iter().filter(|e| e.status == Some(500)).count(), 3);
        }
    }

    #[test]
    fn first_line_reads_as_written() {
        let (events, _) = read_all(&[file(&path())], &combined(), 1);
        let first = events
            .iter()
            .find(|e| {
                e.path.as_deref()
                    == Some("/presentations/logstash-monitorama-2013/images/kibana-search.png")
            })
            .unwrap();
        // 2015-05-17T10:05:03Z = 1,431,857,103 s after the epoch.
        assert_eq!(first.timestamp_ms, 1_431_857_103_000);
        assert_eq!(first.size, Some(203_023));
        assert_eq!(first.client.as_deref(), Some("10.0.0.1"));
        assert_eq!(first.latency, None);
    }

    #[test]
    fn gzip_reads_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&text()).unwrap();
        // The name does not say gzip: the reader goes by the magic bytes.
        let gz = write(dir.path(), "access.log", &encoder.finish().unwrap());
        let (plain, plain_stats) = read_all(&[file(&path())], &combined(), 2);
        let (unzipped, gz_stats) = read_all(&[file(&gz)], &combined(), 2);
        assert_eq!(plain, unzipped);
        assert_eq!(gz_stats[0].lines, plain_stats[0].lines);
        assert_eq!(gz_stats[0].bytes, plain_stats[0].bytes);
        assert_eq!(gz_stats[0].samples[0].line, 8_899);
    }

    #[test]
    fn split_files_give_the_same_totals() {
        let text = text();
        let cut = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(4_999)
            .unwrap()
            .0
            + 1;
        let dir = tempfile::tempdir().unwrap();
        let first = write(dir.path(), "first.log", &text[..cut]);
        let second = write(dir.path(), "second.log", &text[cut..]);
        let (whole, _) = read_all(&[file(&path())], &combined(), 2);
        let (parts, stats) = read_all(&[file(&first), file(&second)], &combined(), 2);
        assert_eq!(whole, parts);
        assert_eq!(stats.len(), 2);
        assert_eq!((stats[0].lines, stats[1].lines), (5_000, 5_000));
        assert_eq!(stats[0].events + stats[1].events, 9_999);
        assert_eq!(stats[0].malformed_total(), 0);
        // Line 8,899 of the whole log is line 3,899 of the second half.
        assert_eq!(stats[1].samples[0].line, 3_899);
        assert_eq!(stats[1].samples[0].file, second.display().to_string());
    }

    #[test]
    fn shuffled_lines_give_the_same_events() {
        let text = text();
        let mut lines: Vec<&[u8]> = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        // A fixed xorshift, so that a failure can be reproduced.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for i in (1..lines.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lines.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let dir = tempfile::tempdir().unwrap();
        let shuffled = write(dir.path(), "shuffled.log", &lines.join(&b'\n'));
        let (original, _) = read_all(&[file(&path())], &combined(), 2);
        let (reordered, stats) = read_all(&[file(&shuffled)], &combined(), 2);
        assert_eq!(original, reordered);
        assert_eq!(stats[0].malformed_total(), 1);
    }

    #[test]
    fn progress_reaches_the_file_size() {
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let options = ReadOptions {
            progress: Some({
                let seen = seen.clone();
                std::sync::Arc::new(move |bytes| {
                    seen.fetch_max(bytes, std::sync::atomic::Ordering::Relaxed);
                })
            }),
            ..ReadOptions::default()
        };
        read_inputs(&[file(&path())], &combined(), &options, || {
            |_: &Event<'_>| {}
        })
        .unwrap();
        assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 2_334_331);
    }
}

mod blocks {
    use super::*;

    const LINE: &str = concat!(
        r#"10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 512 "-" "#,
        r#""agent/1.0" 0.042"#
    );

    /// A log of `count` lines in which every line numbered in `broken` is cut short.
    pub(super) fn generated(count: u64, broken: &[u64]) -> Vec<u8> {
        let mut text = Vec::new();
        for number in 1..=count {
            // Cut inside the user agent, like line 8,899 of the real log.
            let line = if broken.contains(&number) {
                &LINE[..LINE.len() - 12]
            } else {
                LINE
            };
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
        }
        text
    }

    #[test]
    fn line_numbers_survive_parallel_blocks() {
        // About 10 MB: several blocks per worker.
        let broken = [3, 70_001, 70_002, 99_999, 100_000, 100_001];
        let text = generated(110_000, &broken);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "big.log", &text);
        let format = SourceFormat::AccessLog(AccessLogLayout::CombinedSeconds);
        for threads in [1, 2, 3] {
            let (events, stats) = read_all(&[file(&path)], &format, threads);
            assert_eq!(events.len(), 110_000 - 6);
            assert_eq!(stats[0].lines, 110_000);
            assert_eq!(stats[0].malformed["unterminated quoted field"], 6);
            let lines: Vec<u64> = stats[0].samples.iter().map(|s| s.line).collect();
            assert_eq!(lines, broken[..5]);
            assert!(events.iter().all(|e| e.latency == Some(0.042)));
        }
    }

    #[test]
    fn crlf_byte_order_mark_blank_lines_and_no_final_newline() {
        let text = format!("\u{feff}{LINE}\r\n\r\n   \n{LINE}\r\n{LINE}");
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "windows.log", text.as_bytes());
        let format = SourceFormat::AccessLog(AccessLogLayout::CombinedSeconds);
        let (events, stats) = read_all(&[file(&path)], &format, 2);
        assert_eq!(events.len(), 3);
        assert_eq!(stats[0].lines, 5);
        assert_eq!(stats[0].malformed_total(), 0);
        assert_eq!(events[0].client.as_deref(), Some("10.0.0.1"));
        assert_eq!(events[0].latency, Some(0.042));
    }

    #[test]
    fn empty_inputs_have_no_lines() {
        let dir = tempfile::tempdir().unwrap();
        let empty = write(dir.path(), "empty.log", b"");
        let (events, stats) = read_all(&[file(&empty)], &combined(), 2);
        assert!(events.is_empty());
        assert_eq!((stats[0].lines, stats[0].bytes), (0, 0));
    }

    #[test]
    fn an_over_long_line_is_skipped_not_buffered() {
        let mut text = generated(2, &[]);
        text.extend(std::iter::repeat_n(b'x', 17 << 20));
        text.push(b'\n');
        text.extend(generated(2, &[]));
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "long.log", &text);
        let format = SourceFormat::AccessLog(AccessLogLayout::CombinedSeconds);
        let (events, stats) = read_all(&[file(&path)], &format, 2);
        assert_eq!(events.len(), 4);
        assert_eq!(stats[0].lines, 5);
        assert_eq!(stats[0].malformed["line too long"], 1);
        assert_eq!(stats[0].samples[0].line, 3);
    }
}

mod errors {
    use super::*;
    use nines_ingest::IngestError;

    /// The error a read ends with; no event may reach the sink.
    pub(super) fn read_error(
        inputs: &[InputPath],
        format: &SourceFormat,
        options: &ReadOptions,
    ) -> IngestError {
        let result = read_inputs(inputs, format, options, || |_: &Event<'_>| {});
        result.err().expect("the read should fail")
    }

    #[test]
    fn strict_mode_names_the_first_malformed_line() {
        let options = ReadOptions {
            strict: true,
            threads: 2,
            ..ReadOptions::default()
        };
        let inputs = [file(&real_log::path())];
        let error = read_error(&inputs, &combined(), &options);
        let IngestError::Malformed(malformed) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(malformed.line, 8_899);
        assert_eq!(malformed.reason, "unterminated quoted field");
        let message = error.to_string();
        assert!(message.contains("apache_combined_2015.log:8899: unterminated quoted field"));
    }

    #[test]
    fn strict_mode_reports_the_earliest_line_whatever_the_worker() {
        let text = super::blocks::generated(100_000, &[77_777, 12_345, 99_000]);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "strict.log", &text);
        for threads in [1, 2, 3] {
            let options = ReadOptions {
                strict: true,
                threads,
                ..ReadOptions::default()
            };
            let format = SourceFormat::AccessLog(AccessLogLayout::CombinedSeconds);
            let error = read_error(&[file(&path)], &format, &options);
            let IngestError::Malformed(malformed) = error else {
                panic!("{error:?}");
            };
            assert_eq!(malformed.line, 12_345);
        }
    }

    #[test]
    fn a_missing_file_is_named_before_anything_is_read() {
        let inputs = [
            file(&real_log::path()),
            InputPath::from("/no/such/file.log"),
        ];
        let error = read_error(&inputs, &combined(), &ReadOptions::default());
        assert!(matches!(error, IngestError::Open { .. }));
        assert_eq!(error.to_string(), "cannot open /no/such/file.log");
    }

    #[test]
    fn corrupt_gzip_is_a_read_error() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&real_log::text()).unwrap();
        let mut bytes = encoder.finish().unwrap();
        bytes.truncate(bytes.len() / 2);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "cut.log.gz", &bytes);
        let error = read_error(&[file(&path)], &combined(), &ReadOptions::default());
        assert!(matches!(error, IngestError::Read { .. }), "{error:?}");
    }
}

mod formats {
    use super::*;

    fn mapped(name: &str, path: &str, ty: FieldType, unit: LatencyUnit) -> MappedField {
        MappedField {
            name: name.into(),
            path: path.into(),
            ty,
            unit,
        }
    }

    #[test]
    fn json_lines_with_nested_paths() {
        let text = concat!(
            r#"{"ts":"2015-05-17T10:05:03Z","http":{"status":503,"ms":"250"},"#,
            r#""tier":"gold","rate":0.1}"#,
            "\n",
            r#"{"ts":1431857104,"http":{"status":"200","ms":5},"tier":null}"#,
            "\n\n",
            "{\"ts\":1431857105,\"http\":{\"status\":200}\n",
            r#"{"ts":1431857106,"rate":0}"#,
            "\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "events.jsonl", text.as_bytes());
        let format = SourceFormat::JsonLines(RecordMapping {
            timestamp: "ts".into(),
            timestamp_unit: TimestampUnit::Auto,
            fields: vec![
                mapped(
                    "status",
                    "http.status",
                    FieldType::Int,
                    LatencyUnit::Seconds,
                ),
                mapped("latency", "http.ms", FieldType::Double, LatencyUnit::Millis),
                mapped("tier", "tier", FieldType::String, LatencyUnit::Seconds),
            ],
            sample_rate: Some("rate".into()),
        });
        let (events, stats) = read_all(&[file(&path)], &format, 2);
        assert_eq!(events.len(), 2);
        assert_eq!(stats[0].lines, 5);
        assert_eq!(stats[0].malformed["invalid JSON"], 1);
        assert_eq!(stats[0].malformed["bad sample rate"], 1);
        let gold = &events[0];
        assert_eq!(gold.status, Some(503));
        // 250 ms; a 10 % sample stands for 10 requests (1 / 0.1 rounds to exactly 10 in f64).
        assert_eq!(gold.latency, Some(0.25));
        assert_eq!(gold.weight, 10.0);
        assert_eq!(gold.custom, [format!("{:?}", Value::Str("gold"))]);
        assert_eq!(events[1].custom, [format!("{:?}", Value::Null)]);
        let lines: Vec<u64> = stats[0].samples.iter().map(|s| s.line).collect();
        assert_eq!(lines, [4, 5]);
    }

    #[test]
    fn csv_with_header_quotes_and_empty_cells() {
        let text = "\u{feff}time,status,duration_us,region,note\r\n\
            2015-05-17T10:05:03Z,200,1500,eu,\"two\nlines\"\r\n\
            1431857104000,,,us,\r\n\
            \r\n\
            later,200,1,eu,x\r\n\
            1431857105000,200\r\n\
            1431857106000,500,10,eu,\"a, b\"";
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "events.csv", text.as_bytes());
        let format = SourceFormat::Csv(RecordMapping {
            timestamp: "time".into(),
            timestamp_unit: TimestampUnit::Auto,
            fields: vec![
                mapped("status", "status", FieldType::Int, LatencyUnit::Seconds),
                mapped(
                    "latency",
                    "duration_us",
                    FieldType::Double,
                    LatencyUnit::Micros,
                ),
                mapped("region", "region", FieldType::String, LatencyUnit::Seconds),
                mapped("note", "note", FieldType::String, LatencyUnit::Seconds),
            ],
            sample_rate: None,
        });
        let (events, stats) = read_all(&[file(&path)], &format, 2);
        assert_eq!(events.len(), 3);
        let stats = &stats[0];
        assert_eq!(stats.events, 3);
        assert_eq!(stats.malformed["bad timestamp"], 1);
        assert_eq!(stats.malformed["wrong number of fields"], 1);
        let lines: Vec<u64> = stats.samples.iter().map(|s| s.line).collect();
        // The quoted line break makes the second record span lines 2 and 3.
        assert_eq!(lines, [6, 7]);
        assert_eq!(stats.lines, 8);
        let first = events
            .iter()
            .find(|e| e.timestamp_ms == 1_431_857_103_000)
            .unwrap();
        assert_eq!(first.latency, Some(0.0015));
        assert_eq!(first.custom, [format!("{:?}", Value::Str("two\nlines"))]);
        let second = events
            .iter()
            .find(|e| e.timestamp_ms == 1_431_857_104_000)
            .unwrap();
        assert_eq!((second.status, second.latency), (None, None));
    }

    #[test]
    fn csv_without_a_mapped_column_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "events.csv", b"when,status\n1,200\n");
        let format = SourceFormat::Csv(RecordMapping {
            timestamp: "time".into(),
            timestamp_unit: TimestampUnit::Auto,
            fields: Vec::new(),
            sample_rate: None,
        });
        let error = errors::read_error(&[file(&path)], &format, &ReadOptions::default());
        assert!(
            error
                .to_string()
                .ends_with("has no column `time` (its header has: when,status)")
        );
    }

    fn csv_mapping() -> SourceFormat {
        SourceFormat::Csv(RecordMapping {
            timestamp: "time".into(),
            timestamp_unit: TimestampUnit::Millis,
            fields: vec![
                mapped("status", "status", FieldType::Int, LatencyUnit::Seconds),
                mapped("note", "note", FieldType::String, LatencyUnit::Seconds),
            ],
            sample_rate: None,
        })
    }

    #[test]
    fn big_csv_is_cut_at_record_ends_and_keeps_line_numbers() {
        // Every record spans two lines (a quoted line break); every 1,000th has a bad status.
        let mut text = String::from("time,status,note\n");
        for record in 0..60_000u64 {
            let status = if record % 1_000 == 999 { "oops" } else { "200" };
            text.push_str(&format!(
                "{record},{status},\"padding padding padding\nmore\"\n"
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "big.csv", text.as_bytes());
        for threads in [1, 2] {
            let (events, stats) = read_all(&[file(&path)], &csv_mapping(), threads);
            assert_eq!(events.len(), 60_000 - 60);
            assert_eq!(stats[0].lines, 1 + 2 * 60_000);
            assert_eq!(stats[0].malformed["bad status"], 60);
            // Record r starts on line 2 + 2r; the first bad one is r = 999, on line 2,000.
            let lines: Vec<u64> = stats[0].samples.iter().map(|s| s.line).collect();
            assert_eq!(lines, [2_000, 4_000, 6_000, 8_000, 10_000]);
            assert!(
                events
                    .iter()
                    .all(|e| e.custom[0].contains("padding\\nmore"))
            );
        }
    }

    #[test]
    fn each_csv_file_has_its_own_header() {
        let dir = tempfile::tempdir().unwrap();
        let first = write(dir.path(), "a.csv", b"time,status,note\n1000,200,x\n");
        let second = write(
            dir.path(),
            "b.csv",
            b"note,status,time,extra\ny,503,2000,\n",
        );
        let header_only = write(dir.path(), "c.csv", b"time,status,note\n");
        let inputs = [file(&first), file(&second), file(&header_only)];
        let (events, stats) = read_all(&inputs, &csv_mapping(), 2);
        let summary: Vec<_> = events.iter().map(|e| (e.timestamp_ms, e.status)).collect();
        assert_eq!(summary, [(1_000, Some(200)), (2_000, Some(503))]);
        let lines: Vec<_> = stats.iter().map(|s| (s.lines, s.events)).collect();
        assert_eq!(lines, [(2, 1), (2, 1), (1, 0)]);
    }

    #[test]
    fn nginx_layout_reads_the_real_log_like_combined() {
        let layout = NginxLayout::parse(concat!(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "#,
            r#""$http_referer" "$http_user_agent""#
        ))
        .unwrap();
        let nginx = SourceFormat::AccessLog(AccessLogLayout::Nginx(layout));
        let (by_layout, stats) = read_all(&[file(&real_log::path())], &nginx, 2);
        let (by_combined, _) = read_all(&[file(&real_log::path())], &combined(), 2);
        assert_eq!(by_layout, by_combined);
        assert_eq!(stats[0].samples[0].line, 8_899);
        assert_eq!(stats[0].samples[0].reason, "unterminated quoted field");
    }
}

mod robustness {
    use super::*;
    use nines_ingest::{LineParser, Scratch};
    use proptest::prelude::*;

    fn formats() -> Vec<SourceFormat> {
        let layout =
            NginxLayout::parse(r#"$remote_addr [$time_local] "$request" $status $x $request_time"#);
        vec![
            SourceFormat::AccessLog(AccessLogLayout::Common),
            SourceFormat::AccessLog(AccessLogLayout::CombinedMicros),
            SourceFormat::AccessLog(AccessLogLayout::CombinedSeconds),
            SourceFormat::AccessLog(AccessLogLayout::Nginx(layout.unwrap())),
            SourceFormat::JsonLines(RecordMapping {
                timestamp: "a.b".into(),
                timestamp_unit: TimestampUnit::Auto,
                fields: vec![MappedField {
                    name: "x".into(),
                    path: "a.x".into(),
                    ty: FieldType::Bool,
                    unit: LatencyUnit::Seconds,
                }],
                sample_rate: Some("r".into()),
            }),
        ]
    }

    /// A real line with bytes replaced, inserted or cut, which reaches deeper than noise.
    fn mangled_line() -> impl Strategy<Value = Vec<u8>> {
        let line =
            br#"1.2.3.4 - u [17/May/2015:10:05:03 +0200] "GET /a\"b HTTP/1.1" 200 5 "-" "x" 12"#;
        (
            0..line.len(),
            proptest::collection::vec((0..line.len(), any::<u8>()), 0..4),
        )
            .prop_map(move |(cut, edits)| {
                let mut bytes = line[..cut.max(1)].to_vec();
                for (at, byte) in edits {
                    let at = at % bytes.len();
                    bytes[at] = byte;
                }
                bytes
            })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), mangled_line()]
        ) {
            for format in formats() {
                let parser = LineParser::new(&format).unwrap();
                let mut sink = |event: &Event<'_>| {
                    assert!(event.weight >= 1.0);
                };
                let _ = parser.parse_line(&bytes, &mut Scratch::default(), &mut sink);
            }
        }

        #[test]
        fn arbitrary_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), "noise", &bytes);
            let outcome = read_inputs(
                &[file(&path)],
                &combined(),
                &ReadOptions { threads: 2, ..ReadOptions::default() },
                || |_: &Event<'_>| {},
            )
            .unwrap();
            let stats = &outcome.inputs[0];
            prop_assert!(stats.events + stats.malformed_total() <= stats.lines);
        }
    }
}
