//! Prometheus text exposition: one or more scrapes of a counter or a histogram, turned into
//! events like counter snapshots are.
//!
//! A sample's time is its own timestamp (milliseconds, as Prometheus writes them; seconds
//! with a fraction, as OpenMetrics does, are recognised by magnitude), or else the time of the
//! scrape it belongs to, given by a comment line `# SCRAPE <RFC 3339 or epoch>` that starts
//! each scrape. Prometheus parsers ignore such comments, so a file stays valid exposition:
//!
//! ```sh
//! while sleep 15; do echo "# SCRAPE $(date -u +%FT%TZ)"; curl -s api:9090/metrics; done
//! ```
//!
//! A counter's series are its label sets. A histogram's buckets are series of their own
//! (resets are found per bucket), grouped by their other labels; at each scrape, a bucket's
//! increase less the next lower bucket's gives events whose latency is the bucket's upper
//! bound, so that `latency <= 0.25` counts exactly the `le="0.25"` bucket and all events
//! together are the `+Inf` bucket. Bounds are numbers: `le="1"` and `le="1.0"` are one bucket.
//! Increases are shared out over the minutes since the scrape before, as for counter
//! snapshots.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io;

use nines_core::event::FieldType;
use nines_core::source::{Constant, ExpositionMetric, ExpositionSource, FieldDef, TimestampUnit};

use crate::error::Reason;
use crate::record::timestamp_text;
use crate::stats::Sample;
use crate::telemetry::increase::{Change, Increases, Point, spread};
use crate::telemetry::lines::{Line, LineSource};
use crate::telemetry::{Constants, Out, Place, Telemetry};
use crate::time::{EpochNumber, epoch_to_millis};

/// Reads Prometheus text exposition.
pub(crate) struct ExpositionReader<'f> {
    source: &'f ExpositionSource,
    /// The fields of the mapped labels, in the source's order.
    label_fields: Vec<FieldDef>,
    /// Groups of series by name and labels (without `le`).
    groups: HashMap<String, usize>,
    group_constants: Vec<Result<Constants, Reason>>,
    /// Series by group and bucket bound (bits of the bound; 0 for a counter).
    series: HashMap<(usize, u64), usize>,
    /// What each series is: its group and, for a bucket, its bound.
    kinds: Vec<SeriesKind>,
    increases: Increases,
    /// The type the exposition declares for the metric read.
    declared_type: Option<String>,
    scrape_time: Option<i64>,
    /// The buffers are full: flush at the next change of time.
    full: bool,
    last_at: Option<i64>,
    key: String,
}

#[derive(Debug, Clone, Copy)]
enum SeriesKind {
    Counter {
        group: usize,
    },
    Bucket {
        group: usize,
        bound: f64,
    },
    /// A bucket whose bound the spec does not declare: its samples are left out, so that
    /// its events fall into the next declared bucket.
    Undeclared,
}

impl<'f> ExpositionReader<'f> {
    pub(crate) fn new(source: &'f ExpositionSource) -> Self {
        let mut label_fields = source.fields();
        label_fields.truncate(source.labels.len());
        ExpositionReader {
            source,
            label_fields,
            groups: HashMap::new(),
            group_constants: Vec::new(),
            series: HashMap::new(),
            kinds: Vec::new(),
            increases: Increases::default(),
            declared_type: None,
            scrape_time: None,
            full: false,
            last_at: None,
            key: String::new(),
        }
    }

    fn line(&mut self, place: Place, text: &str, out: &mut Out<'_>) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let result = match text.strip_prefix('#') {
            Some(comment) => self.comment(comment.trim_start()),
            None => self.sample(place, text, out),
        };
        if let Err(reason) = result {
            out.malformed(place.input, Sample::new(place.line, reason, text));
        }
    }

    /// `# TYPE` for the metric read, and `# SCRAPE`; other comments (`# HELP`) are skipped.
    fn comment(&mut self, comment: &str) -> Result<(), Reason> {
        let mut words = comment.split_whitespace();
        match words.next() {
            Some("TYPE") => {
                let (Some(name), Some(kind)) = (words.next(), words.next()) else {
                    return Ok(());
                };
                if self.is_family(name) {
                    self.declared_type = Some(kind.to_owned());
                }
            }
            Some("SCRAPE") => {
                let time = words.next().unwrap_or_default();
                let at = timestamp_text(time, TimestampUnit::Auto);
                self.scrape_time = Some(at.ok_or(Reason::bad("scrape time"))?);
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether `name` (from a `# TYPE` line) is the family of the metric read.
    fn is_family(&self, name: &str) -> bool {
        match &self.source.metric {
            ExpositionMetric::Counter(metric) => {
                name == metric || metric.strip_suffix("_total") == Some(name)
            }
            ExpositionMetric::Histogram(metric) => name == metric,
        }
    }

    /// Whether a sample called `name` is read: a counter's own name (with or without
    /// `_total`), or a histogram's `_bucket`.
    fn is_read(&self, name: &str) -> bool {
        match &self.source.metric {
            ExpositionMetric::Counter(metric) => {
                name == metric || name.strip_suffix("_total") == Some(metric)
            }
            ExpositionMetric::Histogram(metric) => name.strip_suffix("_bucket") == Some(metric),
        }
    }

    /// A declared type that does not fit how the metric is read.
    fn check_type(&self) -> Result<(), Reason> {
        let Some(declared) = self.declared_type.as_deref() else {
            return Ok(());
        };
        let wanted = match self.source.metric {
            ExpositionMetric::Counter(_) => "counter",
            ExpositionMetric::Histogram(_) => "histogram",
        };
        match declared {
            "untyped" | "unknown" => Ok(()),
            _ if declared == wanted => Ok(()),
            _ => Err(Reason::WrongType(Cow::Owned(declared.to_owned()), wanted)),
        }
    }

    fn sample(&mut self, place: Place, text: &str, out: &mut Out<'_>) -> Result<(), Reason> {
        if !self.is_read(metric_name(text)) {
            return Ok(());
        }
        self.check_type()?;
        let parsed = parse_sample(text)?;
        let at = match parsed.timestamp {
            Some(at) => at,
            None => self.scrape_time.ok_or(Reason::missing("timestamp"))?,
        };
        // NaN is how Prometheus marks a series gone stale: no sample, not zero.
        if parsed.value.is_nan() {
            return Ok(());
        }
        if !(parsed.value.is_finite() && parsed.value >= 0.0) {
            return Err(Reason::bad("value"));
        }
        let Some(series) = self.series_of(&parsed, place, out)? else {
            return Ok(());
        };
        if self.full && self.last_at != Some(at) {
            self.flush(out);
        }
        self.last_at = Some(at);
        let point = Point {
            at,
            value: parsed.value,
            place,
        };
        self.full |= self.increases.push(series, point);
        Ok(())
    }

    /// The series of a sample, created on first sight; `None` for a bucket left out.
    fn series_of(
        &mut self,
        sample: &ParsedSample<'_>,
        place: Place,
        out: &mut Out<'_>,
    ) -> Result<Option<usize>, Reason> {
        let bound = match self.source.metric {
            ExpositionMetric::Counter(_) => None,
            ExpositionMetric::Histogram(_) => Some(bucket_bound(sample)?),
        };
        let group = self.group_of(sample);
        if let Err(reason) = &self.group_constants[group] {
            return Err(reason.clone());
        }
        let bits = bound.map_or(0, |bound| (bound + 0.0).to_bits());
        if let Some(&series) = self.series.get(&(group, bits)) {
            return Ok(match self.kinds[series] {
                SeriesKind::Undeclared => None,
                _ => Some(series),
            });
        }
        let kind = match bound {
            None => SeriesKind::Counter { group },
            Some(bound) if self.is_declared(bound) => SeriesKind::Bucket { group, bound },
            Some(_) => {
                let sample = Sample::new(place.line, Reason::UndeclaredBucket, &self.key);
                out.malformed(place.input, sample);
                SeriesKind::Undeclared
            }
        };
        let series = self.increases.add_series();
        self.kinds.push(kind);
        self.series.insert((group, bits), series);
        Ok((!matches!(kind, SeriesKind::Undeclared)).then_some(series))
    }

    fn is_declared(&self, bound: f64) -> bool {
        let buckets = &self.source.buckets;
        bound.is_infinite() || buckets.is_empty() || buckets.contains(&bound)
    }

    /// The group of a sample's name and labels other than `le`, created on first sight.
    fn group_of(&mut self, sample: &ParsedSample<'_>) -> usize {
        series_key(sample, &mut self.key);
        if let Some(&group) = self.groups.get(&self.key) {
            return group;
        }
        let constants = self.constants(sample);
        self.group_constants.push(constants);
        let group = self.group_constants.len() - 1;
        self.groups.insert(self.key.clone(), group);
        group
    }

    /// The fields a group's labels give.
    fn constants(&self, sample: &ParsedSample<'_>) -> Result<Constants, Reason> {
        let mut values = Vec::with_capacity(self.label_fields.len());
        for ((label, _), def) in self.source.labels.iter().zip(&self.label_fields) {
            let text = sample
                .labels
                .iter()
                .find(|(name, _)| name == label)
                .map(|(_, value)| value.as_ref());
            let value = match text {
                None => Constant::Null,
                Some(text) => constant(text, def.ty)
                    .ok_or_else(|| Reason::Bad(Cow::Owned(def.name.clone())))?,
            };
            values.push(value);
        }
        Ok(Constants::new(&self.label_fields, values))
    }

    /// Turns the buffered samples into events.
    fn flush(&mut self, out: &mut Out<'_>) {
        let mut scrapes: BTreeMap<(usize, i64), Vec<BucketIncrease>> = BTreeMap::new();
        let metric = match &self.source.metric {
            ExpositionMetric::Counter(name) | ExpositionMetric::Histogram(name) => name.as_str(),
        };
        let ExpositionReader {
            increases,
            kinds,
            group_constants,
            ..
        } = self;
        increases.flush(|change| match change {
            Change::Increase {
                series,
                from,
                at,
                increase,
                place,
            } => match kinds[series] {
                SeriesKind::Counter { group } => {
                    if let Ok(constants) = &group_constants[group] {
                        spread(from, at, increase, |minute, share| {
                            constants.emit(out, place.input, minute, share);
                        });
                    }
                }
                SeriesKind::Bucket { group, bound } => {
                    let buckets = scrapes.entry((group, at)).or_default();
                    buckets.push(BucketIncrease {
                        bound,
                        from,
                        increase,
                        place,
                    });
                }
                SeriesKind::Undeclared => {}
            },
            Change::Rejected { point, reason, .. } => {
                out.malformed(point.place.input, point.rejected(metric, reason));
            }
        });
        for ((group, at), buckets) in scrapes {
            if let Ok(constants) = &self.group_constants[group] {
                emit_buckets(constants, at, buckets, out);
            }
        }
        self.full = false;
    }
}

/// One bucket's increase since the scrape before.
#[derive(Debug, Clone, Copy)]
struct BucketIncrease {
    /// The upper bound.
    bound: f64,
    /// The time of the bucket's previous sample.
    from: i64,
    increase: f64,
    /// Where the sample was read.
    place: Place,
}

/// The events of one histogram's buckets at one scrape: each bucket's share of the increase,
/// at its upper bound, spread over the minutes since the scrape before like a counter's.
fn emit_buckets(
    constants: &Constants,
    at: i64,
    mut buckets: Vec<BucketIncrease>,
    out: &mut Out<'_>,
) {
    buckets.sort_by(|a, b| a.bound.total_cmp(&b.bound));
    let Some(&BucketIncrease {
        bound: last,
        from,
        place,
        ..
    }) = buckets.last()
    else {
        return;
    };
    let mut below = 0.0;
    let mut consistent = true;
    for bucket in &buckets {
        let share = bucket.increase - below;
        let input = bucket.place.input;
        spread(from, at, share, |minute, part| {
            constants.emit_with_latency(out, input, minute, part, Some(bucket.bound));
        });
        consistent &= share >= 0.0;
        below = f64::max(below, bucket.increase);
    }
    let problem = if last != f64::INFINITY {
        Some(Reason::missing("+Inf bucket"))
    } else if !consistent {
        Some(Reason::bad(
            "histogram buckets (a bucket grew less than a lower one)",
        ))
    } else {
        None
    };
    if let Some(reason) = problem {
        let excerpt = format!("histogram at {at} ms");
        out.malformed(place.input, Sample::new(place.line, reason, &excerpt));
    }
}

impl Telemetry for ExpositionReader<'_> {
    fn read_input(
        &mut self,
        input: usize,
        lines: &mut LineSource,
        out: &mut Out<'_>,
    ) -> io::Result<()> {
        // A scrape time does not carry over from one file to the next.
        self.scrape_time = None;
        while let Some((number, line)) = lines.next_line()? {
            let place = Place {
                input,
                line: number,
            };
            match line {
                Line::Text(text) => self.line(place, text, out),
                Line::TooLong(start) => {
                    out.malformed(input, Sample::new(place.line, Reason::TooLong, start));
                }
            }
            out.tick();
            if out.stopped() {
                break;
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Out<'_>) {
        self.flush(out);
    }
}

/// A constant of type `ty` from a label value.
fn constant(text: &str, ty: FieldType) -> Option<Constant> {
    Some(match ty {
        FieldType::String => Constant::Str(text.to_owned()),
        FieldType::Int => Constant::Int(text.trim().parse().ok()?),
        FieldType::Double => Constant::Double(text.trim().parse().ok()?),
        FieldType::Bool => Constant::Bool(text.trim().parse().ok()?),
    })
}

/// A bucket's `le` bound as a number.
fn bucket_bound(sample: &ParsedSample<'_>) -> Result<f64, Reason> {
    let (_, text) = sample
        .labels
        .iter()
        .find(|(name, _)| *name == "le")
        .ok_or(Reason::missing("le"))?;
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|bound| !bound.is_nan())
        .ok_or(Reason::bad("le"))
}

/// The name and the labels other than `le`, sorted, as one key.
fn series_key(sample: &ParsedSample<'_>, key: &mut String) {
    let mut labels: Vec<&(&str, Cow<'_, str>)> = sample
        .labels
        .iter()
        .filter(|(name, _)| *name != "le")
        .collect();
    labels.sort_by(|a, b| a.0.cmp(b.0));
    key.clear();
    key.push_str(sample.name);
    key.push('{');
    for (name, value) in labels {
        let _ = write!(key, "{name}={value:?},");
    }
    key.push('}');
}

/// One sample line.
#[derive(Debug, PartialEq)]
struct ParsedSample<'l> {
    name: &'l str,
    labels: Vec<(&'l str, Cow<'l, str>)>,
    value: f64,
    /// Unix milliseconds.
    timestamp: Option<i64>,
}

fn is_name_byte(byte: u8, first: bool) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte == b':' || (!first && byte.is_ascii_digit())
}

/// The metric name a sample line starts with (empty when it starts with something else).
fn metric_name(text: &str) -> &str {
    let len = text
        .bytes()
        .enumerate()
        .take_while(|&(at, byte)| is_name_byte(byte, at == 0))
        .count();
    &text[..len]
}

/// Parses `name{label="value",...} value [timestamp]`.
fn parse_sample(text: &str) -> Result<ParsedSample<'_>, Reason> {
    let name = metric_name(text);
    if name.is_empty() {
        return Err(Reason::Mismatch);
    }
    let mut rest = &text[name.len()..];
    let mut labels = Vec::new();
    if let Some(inside) = rest.strip_prefix('{') {
        rest = parse_labels(inside, &mut labels)?;
    }
    if !rest.starts_with([' ', '\t']) {
        return Err(Reason::Mismatch);
    }
    let mut tokens = rest.split_whitespace();
    let value = tokens
        .next()
        .and_then(|token| token.parse::<f64>().ok())
        .ok_or(Reason::bad("value"))?;
    let timestamp = match tokens.next() {
        Some(token) => Some(sample_timestamp(token).ok_or(Reason::bad("timestamp"))?),
        None => None,
    };
    if tokens.next().is_some() {
        return Err(Reason::Mismatch);
    }
    Ok(ParsedSample {
        name,
        labels,
        value,
        timestamp,
    })
}

/// Milliseconds from a sample's timestamp: Prometheus writes milliseconds, OpenMetrics seconds
/// (with a fraction); the magnitude tells them apart.
fn sample_timestamp(token: &str) -> Option<i64> {
    let number = match token.parse::<i64>() {
        Ok(value) => EpochNumber::Int(value),
        Err(_) => EpochNumber::Float(token.parse::<f64>().ok()?),
    };
    epoch_to_millis(number, TimestampUnit::Auto)
}

/// Parses labels after `{` up to and including `}`; returns what follows.
fn parse_labels<'l>(
    mut text: &'l str,
    labels: &mut Vec<(&'l str, Cow<'l, str>)>,
) -> Result<&'l str, Reason> {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix('}') {
            return Ok(rest);
        }
        let name = metric_name(text);
        if name.is_empty() || name.contains(':') {
            return Err(Reason::bad("label"));
        }
        text = text[name.len()..].trim_start();
        text = text
            .strip_prefix('=')
            .ok_or(Reason::bad("label"))?
            .trim_start();
        text = text.strip_prefix('"').ok_or(Reason::bad("label"))?;
        let (value, rest) = label_value(text)?;
        labels.push((name, value));
        text = rest.trim_start();
        if let Some(rest) = text.strip_prefix(',') {
            text = rest;
        } else if !text.starts_with('}') {
            return Err(Reason::bad("label"));
        }
    }
}

/// A label value after its opening quote, with `\\`, `\"` and `\n` unescaped; and what follows
/// the closing quote.
fn label_value(text: &str) -> Result<(Cow<'_, str>, &str), Reason> {
    let bytes = text.as_bytes();
    let mut owned: Option<String> = None;
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                let value = match owned {
                    Some(mut value) => {
                        value.push_str(&text[start..at]);
                        Cow::Owned(value)
                    }
                    None => Cow::Borrowed(&text[..at]),
                };
                return Ok((value, &text[at + 1..]));
            }
            b'\\' => {
                let value = owned.get_or_insert_with(String::new);
                value.push_str(&text[start..at]);
                match bytes.get(at + 1) {
                    Some(b'n') => value.push('\n'),
                    Some(b'\\') => value.push('\\'),
                    Some(b'"') => value.push('"'),
                    _ => return Err(Reason::bad("label")),
                }
                at += 2;
                start = at;
            }
            _ => at += 1,
        }
    }
    Err(Reason::UnterminatedQuote)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_with_labels_values_and_timestamps() {
        let sample =
            parse_sample(r#"http_requests_total{method="post",code="200",} 1027 1395066363000"#)
                .unwrap();
        assert_eq!(sample.name, "http_requests_total");
        assert_eq!(
            sample.labels,
            [("method", "post".into()), ("code", "200".into())]
        );
        assert_eq!(sample.value, 1027.0);
        assert_eq!(sample.timestamp, Some(1_395_066_363_000));
        let bare = parse_sample("metric_without_labels 12.47").unwrap();
        assert_eq!((bare.value, bare.timestamp), (12.47, None));
    }

    #[test]
    fn special_values_and_escapes() {
        let nan = parse_sample(
            r#"x{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} NaN"#,
        )
        .unwrap();
        assert!(nan.value.is_nan());
        assert_eq!(nan.labels[0].1, r"C:\DIR\FILE.TXT");
        assert_eq!(nan.labels[1].1, "Cannot find file:\n\"FILE.TXT\"");
        assert_eq!(parse_sample("x +Inf").unwrap().value, f64::INFINITY);
        assert_eq!(parse_sample("x -Inf").unwrap().value, f64::NEG_INFINITY);
        assert_eq!(
            parse_sample("x 1.458255915e9").unwrap().value,
            1_458_255_915.0
        );
        // OpenMetrics writes seconds with a fraction.
        assert_eq!(
            parse_sample("x 1 1520879607.789").unwrap().timestamp,
            Some(1_520_879_607_789)
        );
    }

    #[test]
    fn broken_samples_say_why() {
        let cases = [
            ("{a=\"b\"} 1", Reason::Mismatch),
            ("x{a=\"b} 1", Reason::UnterminatedQuote),
            ("x{a=b} 1", Reason::bad("label")),
            ("x 1 2 3", Reason::Mismatch),
            ("x abc", Reason::bad("value")),
            ("x 1 later", Reason::bad("timestamp")),
            ("x{a=\"b\"}1", Reason::Mismatch),
        ];
        for (line, reason) in cases {
            assert_eq!(parse_sample(line).unwrap_err(), reason, "{line}");
        }
    }

    #[test]
    fn bucket_bounds_are_numbers() {
        let one = parse_sample(r#"h_bucket{le="1"} 3"#).unwrap();
        let one_point_zero = parse_sample(r#"h_bucket{le="1.0"} 3"#).unwrap();
        assert_eq!(bucket_bound(&one), bucket_bound(&one_point_zero));
        let odd = parse_sample(r#"h_bucket{le="8.999999999999998"} 3"#).unwrap();
        assert_eq!(bucket_bound(&odd), Ok(8.999_999_999_999_998));
        let inf = parse_sample(r#"h_bucket{le="+Inf"} 3"#).unwrap();
        assert_eq!(bucket_bound(&inf), Ok(f64::INFINITY));
    }

    #[test]
    fn keys_ignore_label_order_and_le() {
        let mut a = String::new();
        let mut b = String::new();
        series_key(&parse_sample(r#"h{x="1",le="2",a="3"} 1"#).unwrap(), &mut a);
        series_key(&parse_sample(r#"h{a="3",x="1"} 1"#).unwrap(), &mut b);
        assert_eq!(a, b);
    }
}
