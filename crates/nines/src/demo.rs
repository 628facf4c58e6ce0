//! `nines demo`: writes a synthetic access log for trying nines out and for the benchmark in
//! `bench/`.
//!
//! The log is in combined format followed by the request time in seconds (nginx
//! `$request_time`), the `combined-seconds` source format that `examples/demo/slos.yaml` reads.
//! It spans whole days with a daily traffic cycle, a baseline of server errors and a few
//! incidents during which errors and latency rise. The summary on stderr lists what was written,
//! incidents included, so that a report can be checked against it. Everything follows from the
//! options: the same options give the same bytes (on one platform: the traffic curve and the
//! latency table use the platform's `sin`, `ln` and `exp`).
//!
//! Speed matters on the hot path, because a 2 GB log is the benchmark input: lines are built in
//! one reusable buffer with hand-written integer formatting and a small PRNG, and nothing is
//! allocated per line.

use std::f64::consts::TAU;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::{SignedDuration, Timestamp, tz::TimeZone};

/// Options of `nines demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Days the log spans, starting at --start.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=3660))]
    days: u32,

    /// Lines to write [default: 1000000, or what --size asks for].
    #[arg(long, conflicts_with = "size", value_parser = clap::value_parser!(u64).range(1..))]
    lines: Option<u64>,

    /// Write about this many bytes: a number with an optional suffix, K, M, G, T in powers of
    /// 1024 (also KiB, ...) or KB, MB, GB, TB in powers of 1000 (e.g. 500M, 2G).
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    size: Option<u64>,

    /// Time of the first second of the log (RFC 3339).
    #[arg(long, value_name = "RFC3339", default_value = "2026-11-01T00:00:00Z")]
    start: Timestamp,

    /// Seed of the random choices: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Incidents: intervals of 10 to 60 minutes with 5-30 % server errors and slow responses.
    #[arg(long, default_value_t = 2)]
    incidents: u32,

    /// File to write [default: stdout].
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

/// Writes a synthetic access log.
///
/// # Errors
///
/// When the options do not make a plan (a time range beyond year 9999, more incidents than
/// hours) or the output cannot be written. A closed pipe (`nines demo | head`) is not an error.
pub(crate) fn run(args: &DemoArgs) -> anyhow::Result<()> {
    // Plan the log: time range, line count and incidents.
    let plan = Plan::new(args)?;
    let progress = progress_bar(plan.lines);
    let began = Instant::now();

    // Write it.
    let mut report = |lines| progress.set_position(lines);
    let written = match &args.output {
        Some(path) => {
            let mut file = File::create(path)
                .with_context(|| format!("cannot create `{}`", path.display()))?;
            write_log(&plan, &mut file, &mut report)
                .with_context(|| format!("cannot write `{}`", path.display()))?
        }
        None => match write_log(&plan, &mut io::stdout().lock(), &mut report) {
            Ok(totals) => totals,
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            Err(error) => return Err(error).context("cannot write to stdout"),
        },
    };
    progress.finish_and_clear();

    // Tell the reader what to expect from a report.
    let summary = summary(&plan, &written, began.elapsed().as_secs_f64());
    io::stderr().lock().write_all(summary.as_bytes())?;
    Ok(())
}

/// A progress bar on stderr in lines, hidden when stderr is not a terminal.
fn progress_bar(lines: u64) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{wide_bar} {percent:>3}% {human_pos} lines, {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(lines).with_style(style)
}

/// Parses a byte count such as `2G` (2 × 1024³), `500MB` (500 × 1000²) or `4096`.
fn parse_size(text: &str) -> Result<u64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a byte count; write e.g. 4096, 500M or 2G"))?;
    let unit: u64 = match suffix.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KIB" => 1 << 10,
        "M" | "MIB" => 1 << 20,
        "G" | "GIB" => 1 << 30,
        "T" | "TIB" => 1 << 40,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "unknown unit `{suffix}`; use K, M, G, T (or KB, MB, GB, TB)"
            ));
        }
    };
    match number.checked_mul(unit) {
        Some(0) => Err("the size must be more than 0 bytes".to_owned()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("`{text}` is too large")),
    }
}

// ---------------------------------------------------------------------------------------------
// The plan: what to write, decided before the first line.

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Lines written when neither `--lines` nor `--size` is given.
const DEFAULT_LINES: u64 = 1_000_000;
/// Lines generated to measure the average line length for `--size`.
const SAMPLE_LINES: u64 = 50_000;
/// The busiest second of the day (15:00 UTC); the quietest is twelve hours away.
const PEAK_SECOND: i64 = 15 * 3600;
/// Traffic at the night trough as a share of the daytime peak.
const TROUGH_SHARE: f64 = 0.2;

/// What to write, decided before the first line.
#[derive(Debug, Clone)]
struct Plan {
    /// Unix second of the first second of the log.
    start: i64,
    /// Length of the log in seconds.
    span: i64,
    /// Lines to write.
    lines: u64,
    /// Seed of the line generator.
    seed: u64,
    /// Incidents, in time order, not overlapping.
    incidents: Vec<Incident>,
}

/// An interval with many server errors and slow responses.
#[derive(Debug, Clone, PartialEq)]
struct Incident {
    /// Unix second the incident starts at.
    start: i64,
    /// Unix second it ends at (excluded).
    end: i64,
    /// Share of the requests (health probes aside) answered with 5xx.
    server_error_rate: f64,
    /// How much slower responses are.
    latency_factor: f64,
}

impl Plan {
    /// Turns the options into a plan.
    fn new(args: &DemoArgs) -> anyhow::Result<Plan> {
        let span = i64::from(args.days) * DAY;
        check(args, span)?;
        let mut plan = Plan {
            start: args.start.as_second(),
            span,
            lines: args.lines.unwrap_or(DEFAULT_LINES),
            seed: args.seed,
            incidents: incidents(args.start.as_second(), span, args.incidents, args.seed),
        };
        if let Some(size) = args.size {
            plan.lines = plan.lines_for(size)?;
        }
        Ok(plan)
    }

    /// How many lines make about `size` bytes, from the average length of a sample.
    fn lines_for(&self, size: u64) -> io::Result<u64> {
        let sample = Plan {
            lines: SAMPLE_LINES,
            incidents: Vec::new(),
            ..self.clone()
        };
        let totals = write_log(&sample, &mut io::sink(), &mut |_| {})?;
        let average = totals.bytes as f64 / totals.lines as f64;
        Ok(((size as f64 / average).round() as u64).max(1))
    }

    /// Lines due by `offset` seconds after the start, following the daily traffic cycle.
    ///
    /// The rate at unix second u is `a + b cos(ω (u - peak))` with `(a - b) / (a + b)` the
    /// trough share; its integral from the start, scaled so that the whole span gives
    /// `self.lines`, is the count due.
    fn lines_due(&self, offset: i64) -> u64 {
        if offset >= self.span {
            return self.lines;
        }
        let due = self.lines as f64 * self.traffic(offset) / self.traffic(self.span);
        (due as u64).min(self.lines)
    }

    /// The integral of the traffic rate over the first `offset` seconds.
    fn traffic(&self, offset: i64) -> f64 {
        let (a, b) = ((1.0 + TROUGH_SHARE) / 2.0, (1.0 - TROUGH_SHARE) / 2.0);
        let omega = TAU / DAY as f64;
        let phase = (self.start - PEAK_SECOND).rem_euclid(DAY) as f64;
        let t = offset as f64;
        a * t + b / omega * ((omega * (phase + t)).sin() - (omega * phase).sin())
    }
}

/// Checks what clap cannot: the time range and the room for incidents in `span` seconds.
fn check(args: &DemoArgs, span: i64) -> anyhow::Result<()> {
    if args.start < Timestamp::UNIX_EPOCH {
        bail!(
            "the demo log must start in 1970 or later, not at {}",
            args.start
        );
    }
    if args
        .start
        .checked_add(SignedDuration::from_secs(span))
        .is_err()
    {
        bail!(
            "{} days from {} go beyond the year 9999",
            args.days,
            args.start
        );
    }
    if i64::from(args.incidents) > span / 3600 {
        bail!(
            "at most one incident an hour: {} days allow {}",
            args.days,
            span / 3600
        );
    }
    Ok(())
}

/// Places `count` incidents, one in each of `count` equal parts of the span, at whole minutes
/// from the start, 10 to 60 minutes long, with 5 to 30 % server errors and responses 4 to 10
/// times slower.
fn incidents(start: i64, span: i64, count: u32, seed: u64) -> Vec<Incident> {
    let mut rng = Rng::new(seed ^ 0x1C1D_E475);
    let part = span / 60 / i64::from(count.max(1));
    (0..i64::from(count))
        .map(|index| {
            let minutes = (rng.between(10, 60) as i64).min(part);
            let offset = rng.below((part - minutes + 1) as u64) as i64;
            let begin = start + (index * part + offset) * 60;
            Incident {
                start: begin,
                end: begin + minutes * 60,
                server_error_rate: rng.between(5, 30) as f64 / 100.0,
                latency_factor: rng.between(8, 20) as f64 / 2.0,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Writing: seconds in order, the lines due in each second.

/// Bytes collected before they are handed to the writer. The chunk is the output buffer (a
/// `BufWriter` on top would copy every byte once more), and it ends on a line boundary, so
/// that a line-buffered stdout passes it through in one write.
const CHUNK: usize = 1 << 20;

/// What was written.
#[derive(Debug, Clone, Default)]
struct Totals {
    /// Lines.
    lines: u64,
    /// Bytes.
    bytes: u64,
    /// Health probe lines.
    probes: u64,
    /// Lines with a 5xx status, health probes aside.
    server_errors: u64,
    /// Unix second of the last line.
    last: Option<i64>,
    /// Lines and server errors within each incident, in plan order.
    incidents: Vec<Counts>,
}

/// Lines and server errors over some interval.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    /// Lines, health probes aside.
    lines: u64,
    /// Of which with a 5xx status.
    server_errors: u64,
}

/// Writes the planned log to `out`, reporting the lines written after every chunk.
fn write_log(
    plan: &Plan,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Totals> {
    let mut generator = Generator::new(plan.seed);
    let mut stamp = Stamp::default();
    let mut line = LineBuf::new();
    let mut chunk = Vec::with_capacity(CHUNK + LINE_CAPACITY);
    let mut totals = Totals {
        incidents: vec![Counts::default(); plan.incidents.len()],
        ..Totals::default()
    };
    let mut next_incident = 0;
    for offset in 0..plan.span {
        let (from, to) = (plan.lines_due(offset), plan.lines_due(offset + 1));
        if from == to {
            continue;
        }
        let second = plan.start + offset;
        stamp.set(second);
        let incident = incident_at(&plan.incidents, &mut next_incident, second);
        for _ in from..to {
            let status = generator.make_line(&mut line, &stamp.text, incident);
            chunk.extend_from_slice(line.as_bytes());
            totals.count(status, incident.map(|_| next_incident));
            if chunk.len() >= CHUNK {
                flush(out, &mut chunk, &mut totals)?;
                progress(totals.lines);
            }
        }
        totals.last = Some(second);
    }
    flush(out, &mut chunk, &mut totals)?;
    out.flush()?;
    Ok(totals)
}

/// The incident under way at `second`, moving `next` past those that have ended; the seconds
/// asked about must not go back in time.
fn incident_at<'p>(
    incidents: &'p [Incident],
    next: &mut usize,
    second: i64,
) -> Option<&'p Incident> {
    while incidents.get(*next).is_some_and(|i| i.end <= second) {
        *next += 1;
    }
    incidents.get(*next).filter(|i| i.start <= second)
}

/// Hands the chunk to the writer and empties it.
fn flush(out: &mut dyn Write, chunk: &mut Vec<u8>, totals: &mut Totals) -> io::Result<()> {
    out.write_all(chunk)?;
    totals.bytes += chunk.len() as u64;
    chunk.clear();
    Ok(())
}

impl Totals {
    /// Counts one line, written during the incident of that index if any.
    fn count(&mut self, status: Status, incident: Option<usize>) {
        self.lines += 1;
        let Status::Answered(status) = status else {
            self.probes += 1;
            return;
        };
        let server_error = u64::from(status >= 500);
        self.server_errors += server_error;
        if let Some(counts) = incident.and_then(|index| self.incidents.get_mut(index)) {
            counts.lines += 1;
            counts.server_errors += server_error;
        }
    }
}

/// The `[dd/Mon/yyyy:HH:MM:SS +0000]` field, rewritten in place as time advances.
#[derive(Debug)]
struct Stamp {
    /// The field, brackets included.
    text: [u8; 28],
    /// The day (since 1970) the date part is for.
    day: i64,
}

impl Default for Stamp {
    fn default() -> Self {
        Stamp {
            text: *b"[01/Jan/1970:00:00:00 +0000]",
            day: 0,
        }
    }
}

/// Month abbreviations of the log time format.
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

impl Stamp {
    /// Sets the field to unix second `second` (1970 or later).
    fn set(&mut self, second: i64) {
        let day = second / DAY;
        if day != self.day {
            self.set_date(day);
        }
        let time = second % DAY;
        put_digits(&mut self.text[13..15], time / 3600);
        put_digits(&mut self.text[16..18], time / 60 % 60);
        put_digits(&mut self.text[19..21], time % 60);
    }

    /// Sets the date part to `day` days after 1970-01-01, once a day.
    fn set_date(&mut self, day: i64) {
        let midnight = Timestamp::from_second(day * DAY)
            .expect("the plan keeps the log between 1970 and 9999");
        let date = TimeZone::UTC.to_datetime(midnight).date();
        put_digits(&mut self.text[1..3], i64::from(date.day()));
        self.text[4..7].copy_from_slice(MONTHS[date.month() as usize - 1]);
        put_digits(&mut self.text[8..12], i64::from(date.year()));
        self.day = day;
    }
}

/// Writes `value` as decimal digits filling `out`, with leading zeros.
fn put_digits(out: &mut [u8], mut value: i64) {
    for byte in out.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

// ---------------------------------------------------------------------------------------------
// One line: who asks for what, and how the server answers.

/// What kind of request an endpoint serves; it decides statuses, latency and the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An HTML page.
    Page,
    /// A read from the JSON API.
    Read,
    /// A write to the JSON API.
    Write,
    /// The checkout call, which waits for the payment provider.
    Checkout,
    /// A static asset, often answered 304 from the browser's cache.
    Asset,
    /// A Kubernetes health probe.
    Probe,
    /// A vulnerability scanner asking for files that do not exist.
    Scanner,
}

impl Kind {
    /// Every kind, in the order of their discriminants.
    const ALL: [Kind; 7] = [
        Kind::Page,
        Kind::Read,
        Kind::Write,
        Kind::Checkout,
        Kind::Asset,
        Kind::Probe,
        Kind::Scanner,
    ];

    /// Median response time in milliseconds, outside incidents.
    fn median_ms(self) -> f64 {
        match self {
            Kind::Page => 55.0,
            Kind::Read => 45.0,
            Kind::Write => 80.0,
            Kind::Checkout => 220.0,
            Kind::Asset => 12.0,
            Kind::Probe => 1.0,
            Kind::Scanner => 3.0,
        }
    }
}

/// What follows an endpoint's path.
#[derive(Debug, Clone, Copy)]
enum Tail {
    /// Nothing.
    Fixed,
    /// A number from 1 to the given maximum.
    Id(u32),
    /// A number from 1 to the given maximum, then a suffix.
    File(u32, &'static str),
    /// One of some words.
    Word(&'static [&'static str]),
}

/// A request the shop serves, with its share of the traffic.
#[derive(Debug)]
struct Endpoint {
    /// Share of the traffic, in parts of the table's total.
    weight: u32,
    /// What kind of request it is.
    kind: Kind,
    /// The HTTP method.
    method: &'static str,
    /// The path, up to the tail.
    path: &'static str,
    /// What follows the path.
    tail: Tail,
    /// The status of a successful answer.
    success: u16,
    /// Smallest and largest size of a successful answer's body; 0 means none (`-`).
    size: (u32, u32),
}

/// Words searched for.
const SEARCHES: &[&str] = &[
    "shoes", "jacket", "socks", "backpack", "lamp", "mug", "gloves",
];

/// A GET request's row of the table, answered 200.
const fn get(
    weight: u32,
    kind: Kind,
    path: &'static str,
    tail: Tail,
    size: (u32, u32),
) -> Endpoint {
    let method = "GET";
    let success = 200;
    Endpoint {
        weight,
        kind,
        method,
        path,
        tail,
        success,
        size,
    }
}

/// A write's row of the table.
const fn send(
    weight: u32,
    kind: Kind,
    method: &'static str,
    path: &'static str,
    tail: Tail,
    success: u16,
    size: (u32, u32),
) -> Endpoint {
    Endpoint {
        weight,
        kind,
        method,
        path,
        tail,
        success,
        size,
    }
}

/// The shop's requests, with weights. Most traffic is the mobile app's API calls; a CDN
/// serves most static assets, so few reach this log.
#[rustfmt::skip]
const ENDPOINTS: [Endpoint; 27] = [
    get(40, Kind::Page, "/", Tail::Fixed, (18_000, 26_000)),
    get(25, Kind::Page, "/products?page=", Tail::Id(40), (20_000, 40_000)),
    get(50, Kind::Page, "/products/", Tail::Id(5_000), (15_000, 30_000)),
    get(20, Kind::Page, "/search?q=", Tail::Word(SEARCHES), (10_000, 35_000)),
    get(15, Kind::Page, "/cart", Tail::Fixed, (8_000, 12_000)),
    get(8, Kind::Page, "/checkout", Tail::Fixed, (9_000, 11_000)),
    get(170, Kind::Read, "/api/v1/products/", Tail::Id(5_000), (800, 2_500)),
    get(55, Kind::Read, "/api/v1/orders", Tail::Fixed, (1_500, 12_000)),
    get(30, Kind::Read, "/api/v1/orders/", Tail::Id(900_000), (600, 2_000)),
    get(50, Kind::Read, "/api/v1/users/", Tail::Id(250_000), (300, 700)),
    get(75, Kind::Read, "/api/v1/cart", Tail::Fixed, (200, 3_000)),
    get(55, Kind::Read, "/api/v1/recommendations?product=", Tail::Id(5_000), (1_000, 4_000)),
    get(10, Kind::Read, "/api/v1/checkout/shipping-options", Tail::Fixed, (300, 600)),
    send(45, Kind::Write, "POST", "/api/v1/cart/items", Tail::Fixed, 201, (150, 400)),
    send(12, Kind::Write, "DELETE", "/api/v1/cart/items/", Tail::Id(5_000), 204, (0, 0)),
    send(8, Kind::Write, "PUT", "/api/v1/users/", Tail::Id(250_000), 200, (300, 700)),
    send(14, Kind::Write, "POST", "/api/v1/orders", Tail::Fixed, 201, (400, 900)),
    send(20, Kind::Write, "POST", "/api/v1/sessions", Tail::Fixed, 201, (200, 300)),
    send(12, Kind::Checkout, "POST", "/api/v1/checkout", Tail::Fixed, 201, (500, 1_200)),
    get(25, Kind::Asset, "/static/app.js", Tail::Fixed, (245_112, 245_112)),
    get(20, Kind::Asset, "/static/app.css", Tail::Fixed, (38_410, 38_410)),
    get(15, Kind::Asset, "/static/img/logo.svg", Tail::Fixed, (4_311, 4_311)),
    get(45, Kind::Asset, "/static/img/products/", Tail::File(5_000, ".jpg"), (20_000, 120_000)),
    get(5, Kind::Asset, "/favicon.ico", Tail::Fixed, (5_430, 5_430)),
    get(30, Kind::Probe, "/healthz", Tail::Fixed, (2, 2)),
    get(20, Kind::Probe, "/readyz", Tail::Fixed, (2, 2)),
    get(2, Kind::Scanner, "/", Tail::Word(&["wp-login.php", ".env", ".git/config"]), (153, 153)),
];

/// Browsers and crawlers, with weights.
#[rustfmt::skip]
const BROWSERS: [(u32, &str); 7] = [
    (30, concat!(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ",
        "Chrome/131.0.0.0 Safari/537.36",
    )),
    (15, concat!(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 ",
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    )),
    (15, concat!(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) ",
        "Chrome/131.0.0.0 Mobile Safari/537.36",
    )),
    (12, concat!(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 ",
        "(KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    )),
    (15, "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"),
    (8, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    (5, "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
];

/// The shop's apps and API clients, with weights.
const APPS: [(u32, &str); 6] = [
    (40, "ShopApp/5.12.0 (iPhone; iOS 18.1; Scale/3.00)"),
    (30, "ShopApp/5.12.0 (Android 14; Pixel 8)"),
    (10, "okhttp/4.12.0"),
    (10, "Go-http-client/2.0"),
    (6, "python-requests/2.32.3"),
    (4, "curl/8.5.0"),
];

/// Scanners, with weights.
const SCANNERS: [(u32, &str); 2] = [
    (1, "Mozilla/5.0 zgrab/0.x"),
    (1, "Mozilla/5.0 (compatible; Nmap Scripting Engine)"),
];

/// Where visitors of a page come from, with weights.
const ENTRY_REFERERS: [(u32, &str); 4] = [
    (45, "-"),
    (25, "https://www.google.com/"),
    (20, "https://shop.example.com/"),
    (10, "https://shop.example.com/products?page=1"),
];

/// Pages that load assets and call the API, with weights.
const SHOP_REFERERS: [(u32, &str); 4] = [
    (50, "https://shop.example.com/"),
    (20, "https://shop.example.com/products/1234"),
    (20, "https://shop.example.com/cart"),
    (10, "https://shop.example.com/checkout"),
];

/// The user agent of Kubernetes health probes.
const PROBE_AGENT: &str = "kube-probe/1.29";
/// Share of server errors outside incidents.
const BASELINE_SERVER_ERROR_RATE: f64 = 0.001;
/// Spread of the log-normal latency: within one kind of request p99 = median × e^(2.326 σ)
/// ≈ 14.5 × median; over the mix of kinds, the log's median is near 40 ms and its p99 near
/// 800 ms.
const LATENCY_SIGMA: f64 = 1.15;
/// Response time of a gateway timeout (504), in milliseconds.
const GATEWAY_TIMEOUT_MS: f64 = 30_000.0;

/// Share of API calls, in percent, that the mobile apps and API clients make; browsers make
/// the rest.
const APP_SHARE: u64 = 80;

/// Choices with weights, picked in proportion to them.
#[derive(Debug)]
struct Weighted<T> {
    /// Sum of the weights up to and including each choice.
    ends: Vec<u64>,
    /// The choices.
    items: Vec<T>,
}

impl<T> Weighted<T> {
    /// A table from `(weight, choice)` pairs, at least one.
    fn new(pairs: impl IntoIterator<Item = (u64, T)>) -> Self {
        let (mut ends, mut items, mut sum) = (Vec::new(), Vec::new(), 0);
        for (weight, item) in pairs {
            sum += weight;
            ends.push(sum);
            items.push(item);
        }
        assert!(sum > 0, "a weighted table needs a choice with a weight");
        Weighted { ends, items }
    }

    /// A choice, in proportion to the weights.
    fn pick(&self, rng: &mut Rng) -> &T {
        let roll = rng.below(self.ends[self.ends.len() - 1]);
        &self.items[self.ends.partition_point(|&end| end <= roll)]
    }
}

/// An endpoint with the start of its request field rendered once: ` "GET /api/v1/users/`.
#[derive(Debug)]
struct Route {
    /// The endpoint.
    endpoint: &'static Endpoint,
    /// The rendered start of the request field.
    request: Vec<u8>,
}

/// What a line tells the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// A health probe (always answered 200).
    Probe,
    /// Any other request, with the status of its answer.
    Answered(u16),
}

/// The longest line the tables can make, with room to spare.
const LINE_CAPACITY: usize = 1024;

/// One line being built, in a fixed array: short pieces of known length become plain stores,
/// and the line reaches the chunk in one copy.
#[derive(Debug)]
struct LineBuf {
    /// The bytes; those from `len` on are left over from earlier lines.
    bytes: [u8; LINE_CAPACITY],
    /// Bytes of the current line.
    len: usize,
}

impl LineBuf {
    /// An empty line.
    fn new() -> Self {
        LineBuf {
            bytes: [0; LINE_CAPACITY],
            len: 0,
        }
    }

    /// The line so far.
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Appends `piece`.
    fn push(&mut self, piece: &[u8]) {
        self.bytes[self.len..self.len + piece.len()].copy_from_slice(piece);
        self.len += piece.len();
    }

    /// Appends `value` in decimal, without a detour through `format!` and a second copy.
    fn push_number(&mut self, mut value: u64) {
        let digits = value.checked_ilog10().map_or(1, |log| log as usize + 1);
        let end = self.len + digits;
        for byte in self.bytes[self.len..end].iter_mut().rev() {
            *byte = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len = end;
    }
}

/// Makes lines; the tables are built once, the PRNG advances with every line.
#[derive(Debug)]
struct Generator {
    /// The random source of every choice.
    rng: Rng,
    /// Endpoints by traffic share.
    routes: Weighted<Route>,
    /// For each kind of request (by `Kind as usize`), its rendered ` "referer" "user agent" `
    /// fields by share.
    audiences: Vec<Weighted<Vec<u8>>>,
    /// Response time spreads.
    latency: LatencyTable,
}

impl Generator {
    /// A generator seeded with `seed`.
    fn new(seed: u64) -> Self {
        let routes = ENDPOINTS.iter().map(|endpoint| {
            let request = format!(" \"{} {}", endpoint.method, endpoint.path).into_bytes();
            (u64::from(endpoint.weight), Route { endpoint, request })
        });
        Generator {
            rng: Rng::new(seed),
            routes: Weighted::new(routes),
            audiences: Kind::ALL.iter().map(|&kind| audience(kind)).collect(),
            latency: LatencyTable::new(LATENCY_SIGMA),
        }
    }

    /// Makes one line at `stamp` in `line`.
    fn make_line(
        &mut self,
        line: &mut LineBuf,
        stamp: &[u8; 28],
        incident: Option<&Incident>,
    ) -> Status {
        let Generator {
            rng,
            routes,
            audiences,
            latency,
        } = self;
        let route = routes.pick(rng);
        let kind = route.endpoint.kind;
        let status = status(rng, route.endpoint, incident);
        line.len = 0;
        push_client(line, rng, kind);
        line.push(b" - - ");
        line.push(stamp);
        push_request(line, rng, route);
        push_answer(line, rng, route.endpoint, status);
        line.push(audiences[kind as usize].pick(rng));
        let millis = latency.draw(rng) * median_ms(kind, status, incident);
        push_latency(line, rng, status, millis);
        if kind == Kind::Probe {
            Status::Probe
        } else {
            Status::Answered(status)
        }
    }
}

/// ` "referer" "user agent" ` of the clients that send `kind` requests, by share.
fn audience(kind: Kind) -> Weighted<Vec<u8>> {
    let nobody = [(1, "-")];
    let pairs = match kind {
        Kind::Page => pairs(&ENTRY_REFERERS, &BROWSERS, 1),
        Kind::Asset => pairs(&SHOP_REFERERS, &BROWSERS, 1),
        Kind::Probe => pairs(&nobody, &[(1, PROBE_AGENT)], 1),
        Kind::Scanner => pairs(&nobody, &SCANNERS, 1),
        Kind::Read | Kind::Write | Kind::Checkout => {
            // Scale both groups to the same total before giving them their shares.
            let browsers = total(&SHOP_REFERERS) * total(&BROWSERS);
            let mut apps = pairs(&nobody, &APPS, APP_SHARE * browsers);
            apps.extend(pairs(
                &SHOP_REFERERS,
                &BROWSERS,
                (100 - APP_SHARE) * total(&APPS),
            ));
            apps
        }
    };
    Weighted::new(pairs)
}

/// Every referer with every user agent, rendered, with the product of their weights × `scale`.
fn pairs(referers: &[(u32, &str)], agents: &[(u32, &str)], scale: u64) -> Vec<(u64, Vec<u8>)> {
    let mut pairs = Vec::new();
    for &(referer_weight, referer) in referers {
        for &(agent_weight, agent) in agents {
            let weight = u64::from(referer_weight) * u64::from(agent_weight) * scale;
            pairs.push((weight, format!(" \"{referer}\" \"{agent}\" ").into_bytes()));
        }
    }
    pairs
}

/// The sum of the weights.
fn total(weights: &[(u32, &str)]) -> u64 {
    weights.iter().map(|&(weight, _)| u64::from(weight)).sum()
}

/// The status of an answer to `endpoint`.
fn status(rng: &mut Rng, endpoint: &Endpoint, incident: Option<&Incident>) -> u16 {
    match endpoint.kind {
        Kind::Probe => return 200,
        Kind::Scanner => return 404,
        _ => {}
    }
    let server_error_rate = incident.map_or(BASELINE_SERVER_ERROR_RATE, |i| i.server_error_rate);
    if rng.unit() < server_error_rate {
        return [500, 500, 500, 500, 500, 502, 502, 503, 503, 504][rng.below(10) as usize];
    }
    // Cache hits and client errors, per mille of the rest.
    match (endpoint.kind, rng.below(1000)) {
        (Kind::Asset, 0..400) => 304,
        (Kind::Asset, 400..403) => 404,
        (Kind::Page, 0..50) => 304,
        (Kind::Page, 50..65) => 404,
        (Kind::Read, 0..15) => 404,
        (Kind::Read, 15..20) => 401,
        (Kind::Write, 0..12) => 400,
        (Kind::Write, 12..18) => 409,
        (Kind::Write, 18..22) => 422,
        (Kind::Checkout, 0..10) => 402,
        (Kind::Checkout, 10..15) => 409,
        _ => endpoint.success,
    }
}

/// `10.x.y.z`: clients behind the load balancer; probes come from the nodes.
fn push_client(line: &mut LineBuf, rng: &mut Rng, kind: Kind) {
    let bits = rng.next();
    line.push(b"10.");
    if kind == Kind::Probe {
        line.push(b"244.");
        line.push_number(bits % 4);
        line.push(b".1");
        return;
    }
    line.push_number(bits & 63);
    line.push(b".");
    line.push_number((bits >> 8) & 255);
    line.push(b".");
    line.push_number(1 + (bits >> 16) % 254);
}

/// ` "GET /path HTTP/1.1" `.
fn push_request(line: &mut LineBuf, rng: &mut Rng, route: &Route) {
    line.push(&route.request);
    match route.endpoint.tail {
        Tail::Fixed => {}
        Tail::Id(max) => line.push_number(1 + rng.below(u64::from(max))),
        Tail::File(max, suffix) => {
            line.push_number(1 + rng.below(u64::from(max)));
            line.push(suffix.as_bytes());
        }
        Tail::Word(words) => line.push(words[rng.below(words.len() as u64) as usize].as_bytes()),
    }
    let http2 = route.endpoint.kind != Kind::Probe && rng.below(100) < 45;
    line.push(if http2 {
        b" HTTP/2.0\" "
    } else {
        b" HTTP/1.1\" "
    });
}

/// `200 1234`, or `-` as the size of an answer without a body.
fn push_answer(line: &mut LineBuf, rng: &mut Rng, endpoint: &Endpoint, status: u16) {
    let digit = |place: u16| b'0' + (status / place % 10) as u8;
    line.push(&[digit(100), digit(10), digit(1), b' ']);
    let (low, high) = match status {
        200 | 201 => endpoint.size,
        204 | 304 => (0, 0),
        404 if endpoint.kind == Kind::Scanner => endpoint.size,
        400..500 => (40, 400),
        _ => (150, 600),
    };
    if high == 0 {
        line.push(b"-");
    } else {
        line.push_number(u64::from(low) + rng.below(u64::from(high - low) + 1));
    }
}

/// The median response time in milliseconds of `kind` answered with `status`.
fn median_ms(kind: Kind, status: u16, incident: Option<&Incident>) -> f64 {
    let slower = match (incident, kind) {
        (Some(incident), Kind::Page | Kind::Read | Kind::Write | Kind::Checkout) => {
            incident.latency_factor
        }
        _ => 1.0,
    };
    match status {
        502 | 503 => 2.0,
        304 => kind.median_ms() / 3.0,
        _ => kind.median_ms() * slower,
    }
}

/// `0.042` and the end of the line; a gateway timeout takes 30 to 40 seconds whatever `millis`.
fn push_latency(line: &mut LineBuf, rng: &mut Rng, status: u16, millis: f64) {
    let millis = match status {
        504 => GATEWAY_TIMEOUT_MS + 10_000.0 * rng.unit(),
        _ => millis.min(GATEWAY_TIMEOUT_MS),
    };
    let millis = (millis + 0.5) as u64;
    line.push_number(millis / 1000);
    let fraction = millis % 1000;
    let digit = |place: u64| b'0' + (fraction / place % 10) as u8;
    line.push(&[b'.', digit(100), digit(10), digit(1), b'\n']);
}

/// Quantiles drawn from to make a latency.
const LATENCY_STEPS: usize = 4096;
/// The lowest quantile drawn (the highest is 1 minus it): 4.3 σ from the median.
const LATENCY_TAIL: f64 = 1e-5;

/// Log-normal multipliers of the median at evenly spaced quantiles: a draw is a lookup and
/// a linear interpolation instead of a logarithm, a cosine and an exponential.
#[derive(Debug)]
struct LatencyTable {
    /// `e^(σ z)` at `LATENCY_STEPS + 1` quantiles from `LATENCY_TAIL` to `1 - LATENCY_TAIL`.
    multipliers: Vec<f64>,
}

impl LatencyTable {
    /// The table for spread `sigma`.
    fn new(sigma: f64) -> Self {
        let step = (1.0 - 2.0 * LATENCY_TAIL) / LATENCY_STEPS as f64;
        let multipliers = (0..=LATENCY_STEPS)
            .map(|index| (sigma * inverse_normal(LATENCY_TAIL + step * index as f64)).exp())
            .collect();
        LatencyTable { multipliers }
    }

    /// A multiplier of the median.
    fn draw(&self, rng: &mut Rng) -> f64 {
        let at = rng.unit() * LATENCY_STEPS as f64;
        let index = at as usize;
        let (low, high) = (self.multipliers[index], self.multipliers[index + 1]);
        low + (high - low) * (at - index as f64)
    }
}

/// The standard normal quantile of `p` in (0, 1), after Peter Acklam's rational approximation
/// (relative error below 1.2 × 10⁻⁹).
fn inverse_normal(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.38357751867269e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    const LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): fast, small, and good enough for synthetic data.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    /// A generator whose sequence follows from `seed`.
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (Lemire's multiply-shift, without the rejection step: the bias
    /// is below bound / 2⁶⁴).
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as u64
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---------------------------------------------------------------------------------------------
// The summary on stderr.

/// What was written, for a reader to check a report against.
fn summary(plan: &Plan, totals: &Totals, seconds: f64) -> String {
    let mut text = String::new();
    let megabytes = totals.bytes as f64 / 1e6;
    let others = totals.lines - totals.probes;
    text += &format!(
        "nines demo: wrote {} lines, {} bytes ({:.1} MB) in {:.1} s ({:.0} MB/s)\n",
        totals.lines,
        totals.bytes,
        megabytes,
        seconds,
        megabytes / seconds.max(1e-9),
    );
    text += &format!(
        "  time range:    {} to {} ({} days, last line at {})\n",
        rfc3339(plan.start),
        rfc3339(plan.start + plan.span),
        plan.span / DAY,
        totals.last.map_or_else(|| "none".to_owned(), rfc3339),
    );
    text += &format!(
        "  health probes: {} lines (/healthz and /readyz, user agent {PROBE_AGENT})\n",
        totals.probes,
    );
    text += &format!(
        "  server errors: {} of the other {} lines ({}) have a 5xx status\n",
        totals.server_errors,
        others,
        percent(totals.server_errors, others),
    );
    for (index, (incident, counts)) in plan.incidents.iter().zip(&totals.incidents).enumerate() {
        text += &format!(
            "  incident {}:    {} to {} ({} min): {} of {} lines ({}) 5xx, latency x{}\n",
            index + 1,
            rfc3339(incident.start),
            rfc3339(incident.end),
            (incident.end - incident.start) / 60,
            counts.server_errors,
            counts.lines,
            percent(counts.server_errors, counts.lines),
            incident.latency_factor,
        );
    }
    text
}

/// A unix second in RFC 3339.
fn rfc3339(second: i64) -> String {
    Timestamp::from_second(second).map_or_else(|_| second.to_string(), |t| t.to_string())
}

/// `part / whole` as a percentage with three decimals.
fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "n/a".to_owned();
    }
    format!("{:.3} %", part as f64 * 100.0 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::Parser;

    /// The command line of `nines demo`, for parsing options in tests.
    #[derive(Debug, clap::Parser)]
    struct Command {
        /// The options.
        #[command(flatten)]
        args: DemoArgs,
    }

    /// The plan for `nines demo` with `options`.
    fn plan(options: &[&str]) -> Plan {
        let args = Command::parse_from(std::iter::once("demo").chain(options.iter().copied())).args;
        Plan::new(&args).expect("the options make a plan")
    }

    /// The log and totals for `nines demo` with `options`.
    fn generate(options: &[&str]) -> (String, Totals) {
        let mut out = Vec::new();
        let totals = write_log(&plan(options), &mut out, &mut |_| {}).expect("writing to memory");
        (String::from_utf8(out).expect("the log is UTF-8"), totals)
    }

    /// The fields of a combined-seconds line, or why it is not one.
    fn parse(line: &str) -> Result<(Timestamp, u16, f64, &str), String> {
        let (client, rest) = line.split_once(" - - [").ok_or("no ` - - [`")?;
        let octets: Vec<u8> = client.split('.').filter_map(|o| o.parse().ok()).collect();
        if octets.len() != 4 || octets[0] != 10 {
            return Err(format!("bad client `{client}`"));
        }
        let (time, rest) = rest.split_once("] \"").ok_or("no `] \"`")?;
        let time = Timestamp::strptime("%d/%b/%Y:%H:%M:%S %z", time).map_err(|e| e.to_string())?;
        let (request, rest) = rest.split_once("\" ").ok_or("no end of request")?;
        let [method, path, protocol] = request.split(' ').collect::<Vec<_>>()[..] else {
            return Err(format!("bad request `{request}`"));
        };
        if !["GET", "POST", "PUT", "DELETE"].contains(&method)
            || !path.starts_with('/')
            || !protocol.starts_with("HTTP/")
        {
            return Err(format!("bad request `{request}`"));
        }
        let (status, rest) = rest.split_once(' ').ok_or("no status")?;
        let status: u16 = status.parse().map_err(|_| "bad status")?;
        let (size, rest) = rest.split_once(" \"").ok_or("no size")?;
        if size != "-" && size.parse::<u64>().is_err() {
            return Err(format!("bad size `{size}`"));
        }
        let (_referer, rest) = rest.split_once("\" \"").ok_or("no referer")?;
        let (agent, latency) = rest.split_once("\" ").ok_or("no user agent")?;
        let decimals = latency.split_once('.').map(|(_, d)| d.len());
        let latency: f64 = latency
            .parse()
            .map_err(|_| format!("bad latency `{latency}`"))?;
        if decimals != Some(3) {
            return Err("the latency needs 3 decimals".to_owned());
        }
        Ok((time, status, latency, agent))
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let (first, _) = generate(&["--lines", "20000", "--seed", "7"]);
        let (second, _) = generate(&["--lines", "20000", "--seed", "7"]);
        let (other, _) = generate(&["--lines", "20000", "--seed", "8"]);
        assert_eq!(first, second);
        assert_ne!(first, other);
    }

    #[test]
    fn every_line_is_combined_with_a_request_time_in_order() {
        let (log, totals) = generate(&["--lines", "50000", "--days", "2"]);
        let mut previous = Timestamp::MIN;
        let start: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        for line in log.lines() {
            let (time, status, latency, _) = parse(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(time >= previous && time >= start, "out of order: {line}");
            assert!((100..600).contains(&status) && latency >= 0.0, "{line}");
            previous = time;
        }
        assert_eq!(log.lines().count(), 50_000);
        assert_eq!(totals.bytes, log.len() as u64);
        // The last line falls on the second day: 2026-11-02.
        assert_eq!(
            TimeZone::UTC.to_datetime(previous).date(),
            jiff::civil::date(2026, 11, 2)
        );
    }

    #[test]
    fn lines_are_about_170_bytes_with_realistic_latency() {
        let (log, totals) = generate(&["--lines", "100000", "--incidents", "0"]);
        let average = totals.bytes as f64 / totals.lines as f64;
        assert!((150.0..190.0).contains(&average), "{average} bytes a line");
        let mut latencies: Vec<f64> = log.lines().map(|l| parse(l).unwrap().2).collect();
        latencies.sort_by(f64::total_cmp);
        let median = latencies[latencies.len() / 2];
        let p99 = latencies[latencies.len() * 99 / 100];
        assert!((0.025..=0.060).contains(&median), "median {median}");
        assert!((0.5..=1.2).contains(&p99), "p99 {p99}");
        // 0.1 % of 100000 lines, probes aside, is about 96 server errors.
        assert!(
            (50..150).contains(&totals.server_errors),
            "{}",
            totals.server_errors
        );
    }

    #[test]
    fn traffic_follows_a_daily_cycle() {
        let plan = plan(&["--lines", "1000000", "--days", "1", "--incidents", "0"]);
        let hour = |h: i64| plan.lines_due((h + 1) * 3600) - plan.lines_due(h * 3600);
        // The rate is 0.6 + 0.4 cos(...): 1.0 at 15:00, 0.2 at 03:00, so hour 14-15 has about
        // five times the lines of hour 2-3 (integrals over the hours).
        let ratio = hour(14) as f64 / hour(2) as f64;
        assert!((4.5..5.5).contains(&ratio), "ratio {ratio}");
        assert_eq!(plan.lines_due(plan.span), 1_000_000);
    }

    #[test]
    fn incidents_have_elevated_server_errors() {
        // Two incidents, the default.
        let options = ["--lines", "200000", "--days", "1", "--seed", "3"];
        let plan = plan(&options);
        let (log, totals) = generate(&options);
        let (mut inside, mut inside_errors, mut outside, mut outside_errors) = (0, 0, 0, 0);
        for line in log.lines() {
            let (time, status, _, agent) = parse(line).unwrap();
            if agent == PROBE_AGENT {
                continue;
            }
            let second = time.as_second();
            let during = plan
                .incidents
                .iter()
                .any(|i| i.start <= second && second < i.end);
            let (lines, errors) = if during {
                (&mut inside, &mut inside_errors)
            } else {
                (&mut outside, &mut outside_errors)
            };
            *lines += 1;
            *errors += u64::from(status >= 500);
        }
        assert_eq!(plan.incidents.len(), 2);
        for incident in &plan.incidents {
            let minutes = (incident.end - incident.start) / 60;
            assert!((10..=60).contains(&minutes), "{incident:?}");
        }
        assert!(
            inside_errors as f64 / inside as f64 >= 0.04,
            "{inside_errors} of {inside}"
        );
        assert!(
            (outside_errors as f64 / outside as f64) < 0.002,
            "{outside_errors} of {outside}"
        );
        assert_eq!(
            totals.incidents.iter().map(|c| c.lines).sum::<u64>(),
            inside
        );
    }

    #[test]
    fn a_size_gives_about_that_many_bytes() {
        let (log, _) = generate(&["--size", "2M", "--days", "1"]);
        let ratio = log.len() as f64 / f64::from(2 << 20);
        assert!((0.98..1.02).contains(&ratio), "{} bytes", log.len());
    }

    #[test]
    fn latency_quantiles_match_the_normal_distribution() {
        // Φ⁻¹(0.5) = 0, Φ⁻¹(0.975) = 1.959964, Φ⁻¹(0.01) = -2.326348 (printed tables).
        assert!(inverse_normal(0.5).abs() < 1e-9);
        assert!((inverse_normal(0.975) - 1.959_964).abs() < 1e-6);
        assert!((inverse_normal(0.01) + 2.326_348).abs() < 1e-6);
        assert!((inverse_normal(0.99) - 2.326_348).abs() < 1e-6);
        for kind in Kind::ALL {
            assert_eq!(Kind::ALL[kind as usize], kind);
        }
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("1kib"), Ok(1024));
        assert!(parse_size("2X").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn the_example_spec_loads() {
        let text = include_str!("../../../examples/demo/slos.yaml");
        let loaded = nines_spec::load_str("examples/demo/slos.yaml", text);
        let problems: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(loaded.catalog.slos().count(), 10);
    }
}
