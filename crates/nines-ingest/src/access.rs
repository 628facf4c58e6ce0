//! Apache and nginx access logs in the common and combined formats, optionally followed by the
//! request time: the hot path of `nines report`.
//!
//! A line is cut with `memchr` into fields that borrow from it; nothing is allocated and no
//! regular expression runs. Text after the last field the layout names is ignored, so a log
//! with extra trailing fields still reads.

use memchr::{memchr, memrchr};
use nines_core::event::Event;
use nines_core::source::AccessLogLayout;

use crate::error::Reason;
use crate::text::{dash_none, parse_count, parse_decimal, parse_status};
use crate::time::parse_clf;

/// What follows the size field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tail {
    /// Nothing (common format).
    Nothing,
    /// Referer and user agent (combined format).
    Combined,
    /// Combined, then the request time in seconds.
    Seconds,
    /// Combined, then the request time in microseconds.
    Micros,
}

impl Tail {
    /// The tail of a fixed layout; `None` for an nginx layout.
    pub(crate) fn of(layout: &AccessLogLayout) -> Option<Tail> {
        match layout {
            AccessLogLayout::Common => Some(Tail::Nothing),
            AccessLogLayout::Combined => Some(Tail::Combined),
            AccessLogLayout::CombinedSeconds => Some(Tail::Seconds),
            AccessLogLayout::CombinedMicros => Some(Tail::Micros),
            AccessLogLayout::Nginx(_) => None,
        }
    }
}

/// A reader of the fixed access-log layouts.
#[derive(Debug, Clone)]
pub(crate) struct AccessParser {
    pub(crate) tail: Tail,
}

/// A position in a line, moving left to right.
struct Cursor<'a> {
    line: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.line.as_bytes()
    }

    fn at_end(&self) -> bool {
        self.at >= self.line.len()
    }

    /// Text up to the next space (or the end), stepping over the space.
    #[inline]
    fn word(&mut self) -> &'a str {
        let start = self.at;
        let end = memchr(b' ', &self.bytes()[start..]).map_or(self.line.len(), |i| start + i);
        self.at = end + 1;
        &self.line[start..end]
    }

    /// Steps over a space that must separate two fields; `field` names the one that follows.
    #[inline]
    fn space_before(&mut self, field: &'static str) -> Result<(), Reason> {
        match self.bytes().get(self.at) {
            Some(b' ') => {
                self.at += 1;
                Ok(())
            }
            None => Err(Reason::missing(field)),
            Some(_) => Err(Reason::Mismatch),
        }
    }

    /// A `"`-quoted field starting at the cursor, without its quotes.
    #[inline]
    fn quoted(&mut self, field: &'static str) -> Result<&'a str, Reason> {
        match self.bytes().get(self.at) {
            Some(b'"') => {}
            None => return Err(Reason::missing(field)),
            Some(_) => return Err(Reason::Mismatch),
        }
        let start = self.at + 1;
        let end = closing_quote(self.bytes(), start).ok_or(Reason::UnterminatedQuote)?;
        self.at = end + 1;
        Ok(&self.line[start..end])
    }
}

/// The first `"` at or after `from` that a backslash does not escape (Apache writes `\"`).
#[inline]
fn closing_quote(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let quote = at + memchr(b'"', &bytes[at..])?;
        let escapes = bytes[from..quote]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if escapes % 2 == 0 {
            return Some(quote);
        }
        at = quote + 1;
    }
}

/// Splits `GET /path HTTP/1.1` into method, path and protocol. `-` or a request without a
/// space (a client that sent nothing before a 408, a TLS probe on a plain port) gives an
/// empty method and path: the server still answered, so a filter such as
/// `!path.startsWith("/healthz")` must keep it, which an absent path would not.
#[inline]
pub(crate) fn split_request(request: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let bytes = request.as_bytes();
    let Some(first) = memchr(b' ', bytes) else {
        return (Some(""), Some(""), None);
    };
    let method = Some(&request[..first]);
    match memrchr(b' ', bytes) {
        Some(last) if last > first => (
            method,
            Some(&request[first + 1..last]),
            Some(&request[last + 1..]),
        ),
        // HTTP/0.9: a method and a path, no protocol.
        _ => (method, Some(&request[first + 1..]), None),
    }
}

impl AccessParser {
    /// Reads one line (without its line break) into an event.
    #[inline]
    pub(crate) fn parse<'a>(&self, line: &'a str) -> Result<Event<'a>, Reason> {
        let mut cursor = Cursor { line, at: 0 };
        let mut event = Event::at(0);
        self.head(&mut cursor, &mut event)?;
        if self.tail == Tail::Nothing {
            return Ok(event);
        }
        cursor.space_before("referer")?;
        event.referer = dash_none(cursor.quoted("referer")?);
        cursor.space_before("user agent")?;
        event.user_agent = dash_none(cursor.quoted("user agent")?);
        if matches!(self.tail, Tail::Seconds | Tail::Micros) {
            cursor.space_before("latency")?;
            event.latency = self.latency(cursor.word())?;
        }
        Ok(event)
    }

    /// The fields of the common format: client to size.
    #[inline]
    fn head<'a>(&self, cursor: &mut Cursor<'a>, event: &mut Event<'a>) -> Result<(), Reason> {
        let line = cursor.line;
        let bracket = memchr(b'[', line.as_bytes()).ok_or(Reason::missing("timestamp"))?;
        let (client, identity) = line[..bracket].split_once(' ').ok_or(Reason::Mismatch)?;
        // `ident user ` with the user possibly holding spaces; the ident never does.
        let user = identity.strip_suffix(' ').ok_or(Reason::Mismatch)?;
        let (_ident, user) = user.split_once(' ').ok_or(Reason::Mismatch)?;
        event.client = Some(client);
        event.user = dash_none(user);

        let time_start = bracket + 1;
        let time_end = memchr(b']', &line.as_bytes()[time_start..])
            .map(|i| time_start + i)
            .ok_or(Reason::bad("timestamp"))?;
        let time = &line.as_bytes()[time_start..time_end];
        event.timestamp_ms = parse_clf(time).ok_or(Reason::bad("timestamp"))?;
        cursor.at = time_end + 1;

        cursor.space_before("request")?;
        let (method, path, protocol) = split_request(cursor.quoted("request")?);
        (event.method, event.path, event.protocol) = (method, path, protocol);
        cursor.space_before("status")?;
        event.status = Some(parse_status(cursor.word()).ok_or(Reason::bad("status"))?);
        if cursor.at_end() {
            return Err(Reason::missing("size"));
        }
        event.size = size(cursor.word())?;
        // `word` stepped over the space after the size; step back so the tail checks for it.
        cursor.at -= 1;
        Ok(())
    }

    fn latency(&self, text: &str) -> Result<Option<f64>, Reason> {
        if text == "-" {
            return Ok(None);
        }
        let latency = match self.tail {
            Tail::Micros => parse_count(text).map(|micros| micros as f64 / 1e6),
            _ => parse_decimal(text),
        };
        latency.map(Some).ok_or(Reason::bad("latency"))
    }
}

/// The response size: bytes, or `-` when the server sent no body.
#[inline]
pub(crate) fn size(text: &str) -> Result<Option<i64>, Reason> {
    match dash_none(text) {
        None => Ok(None),
        Some(text) => parse_count(text).map(Some).ok_or(Reason::bad("size")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMBINED: &str = concat!(
        r#"10.0.0.1 - frank [17/May/2015:10:05:03 +0000] "GET /presentations/a.png HTTP/1.1" "#,
        r#"200 203023 "http://semicomplete.com/" "Mozilla/5.0 (Macintosh)""#
    );

    fn parse(tail: Tail, line: &str) -> Result<Event<'_>, Reason> {
        AccessParser { tail }.parse(line)
    }

    /// The latency read from `COMBINED` followed by `suffix`.
    fn latency(tail: Tail, suffix: &str) -> Result<Option<f64>, Reason> {
        let line = format!("{COMBINED}{suffix}");
        parse(tail, &line).map(|event| event.latency)
    }

    #[test]
    fn combined_line_fills_every_field() {
        let event = parse(Tail::Combined, COMBINED).unwrap();
        // 2015-05-17 is day 16,572 since 1970 (jiff agrees in time.rs), plus 10:05:03.
        assert_eq!(
            event.timestamp_ms,
            (16_572 * 86_400 + 10 * 3600 + 5 * 60 + 3) * 1000
        );
        assert_eq!(event.client, Some("10.0.0.1"));
        assert_eq!(event.user, Some("frank"));
        assert_eq!(event.method, Some("GET"));
        assert_eq!(event.path, Some("/presentations/a.png"));
        assert_eq!(event.protocol, Some("HTTP/1.1"));
        assert_eq!(event.status, Some(200));
        assert_eq!(event.size, Some(203_023));
        assert_eq!(event.referer, Some("http://semicomplete.com/"));
        assert_eq!(event.user_agent, Some("Mozilla/5.0 (Macintosh)"));
        assert_eq!(event.latency, None);
        assert_eq!(event.weight, 1.0);
    }

    #[test]
    fn common_line_stops_after_the_size() {
        let line = r#"::1 - - [17/May/2015:10:05:03 -0100] "POST /api HTTP/2.0" 503 -"#;
        let event = parse(Tail::Nothing, line).unwrap();
        assert_eq!(event.client, Some("::1"));
        assert_eq!(event.user, None);
        assert_eq!(event.size, None);
        assert_eq!(event.status, Some(503));
        // -01:00 is an hour behind UTC.
        let utc_line = line.replace("-0100", "+0000");
        let utc = parse(Tail::Nothing, &utc_line).unwrap();
        assert_eq!(event.timestamp_ms - utc.timestamp_ms, 3_600_000);
        // A combined line read as common keeps its common part.
        assert_eq!(parse(Tail::Nothing, COMBINED).unwrap().size, Some(203_023));
    }

    #[test]
    fn request_time_in_seconds_and_microseconds() {
        assert_eq!(latency(Tail::Seconds, " 0.123"), Ok(Some(0.123)));
        // 1500 µs is 1.5 ms.
        assert_eq!(latency(Tail::Micros, " 1500"), Ok(Some(0.0015)));
        assert_eq!(latency(Tail::Seconds, " 2 upstream=1.9"), Ok(Some(2.0)));
        assert_eq!(latency(Tail::Seconds, " -"), Ok(None));
        assert_eq!(latency(Tail::Micros, " 0.5"), Err(Reason::bad("latency")));
        assert_eq!(latency(Tail::Seconds, ""), Err(Reason::missing("latency")));
        assert_eq!(latency(Tail::Combined, " 0.5"), Ok(None));
    }

    #[test]
    fn escaped_quotes_stay_inside_the_field() {
        let line =
            r#"h - - [17/May/2015:10:05:03 +0000] "GET /a\"b\\ HTTP/1.0" 404 0 "-" "say \"hi\"""#;
        let event = parse(Tail::Combined, line).unwrap();
        assert_eq!(event.path, Some(r#"/a\"b\\"#));
        assert_eq!(event.referer, None);
        assert_eq!(event.user_agent, Some(r#"say \"hi\""#));
    }

    #[test]
    fn odd_requests_have_an_empty_method_and_path() {
        assert_eq!(split_request("-"), (Some(""), Some(""), None));
        assert_eq!(split_request("\\x16\\x03\\x01"), (Some(""), Some(""), None));
        assert_eq!(split_request("GET /"), (Some("GET"), Some("/"), None));
        assert_eq!(
            split_request("GET /a b HTTP/1.1"),
            (Some("GET"), Some("/a b"), Some("HTTP/1.1"))
        );
    }

    #[test]
    fn malformed_lines_say_why() {
        let cut = &COMBINED[..COMBINED.len() - 5];
        let cases = [
            (cut.to_owned(), Reason::UnterminatedQuote),
            ("garbage".to_owned(), Reason::missing("timestamp")),
            (
                COMBINED.replace("17/May", "17/Mai"),
                Reason::bad("timestamp"),
            ),
            (COMBINED.replace(" 200 ", " OK "), Reason::bad("status")),
            (COMBINED.replace(" 203023 ", " 12k "), Reason::bad("size")),
            (COMBINED.replace("\" 200", "\"200"), Reason::Mismatch),
            (
                COMBINED[..COMBINED.find(" \"http").unwrap()].to_owned(),
                Reason::missing("referer"),
            ),
            (
                COMBINED[..COMBINED.find(" 203023").unwrap()].to_owned(),
                Reason::missing("size"),
            ),
        ];
        for (line, reason) in cases {
            assert_eq!(parse(Tail::Combined, &line).unwrap_err(), reason, "{line}");
        }
    }
}
