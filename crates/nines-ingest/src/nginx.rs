//! Access logs in a custom nginx `log_format`: the layout is compiled once into steps, each a
//! variable and the literal text that ends it.
//!
//! A variable's value runs up to the next occurrence of the literal after it, which is how
//! nginx's own escaping (`"` written as `\x22`) keeps quoted values unambiguous. Text after the
//! last step is ignored, as for the fixed layouts.

use memchr::memmem::Finder;
use nines_core::event::{Event, Field, Value};
use nines_core::source::{NginxLayout, NginxPart, NginxVariable};

use crate::access::{size, split_request};
use crate::error::Reason;
use crate::text::{dash_none, parse_decimal, parse_status};
use crate::time::{parse_clf, parse_epoch_seconds, parse_rfc3339};

/// One variable of the layout and where its value ends.
#[derive(Debug)]
struct Step {
    variable: NginxVariable,
    /// The variable's name without `$`, for reasons (`missing status`).
    name: String,
    /// The literal after the variable; `None` when the variable ends the layout.
    until: Option<Finder<'static>>,
    /// Whether the value sits between quotes, so that a missing end means a cut-off line.
    quoted: bool,
}

/// A compiled nginx layout.
#[derive(Debug)]
pub(crate) struct NginxParser {
    prefix: String,
    steps: Vec<Step>,
    custom_count: usize,
}

impl NginxParser {
    pub(crate) fn new(layout: &NginxLayout) -> NginxParser {
        let parts = &layout.parts;
        let literal = |index: Option<usize>| match index.and_then(|i| parts.get(i)) {
            Some(NginxPart::Literal(text)) => Some(text.as_str()),
            _ => None,
        };
        let prefix = literal(Some(0)).unwrap_or_default().to_owned();
        let positions = (0..parts.len()).filter(|&i| matches!(parts[i], NginxPart::Variable(_)));
        let steps: Vec<Step> = positions
            .zip(layout.variables())
            .map(|(index, (name, variable))| {
                let before = literal(index.checked_sub(1)).unwrap_or_default();
                let after = literal(Some(index + 1));
                Step {
                    variable,
                    name: name.to_owned(),
                    until: after.map(|text| Finder::new(text.as_bytes()).into_owned()),
                    quoted: before.ends_with('"') && after.is_some_and(|t| t.starts_with('"')),
                }
            })
            .collect();
        let custom_count = steps
            .iter()
            .filter_map(|step| match step.variable {
                NginxVariable::Custom(index) => Some(usize::from(index) + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        NginxParser {
            prefix,
            steps,
            custom_count,
        }
    }

    /// Reads one line into `event`, and custom variables into `custom` (one slot each).
    pub(crate) fn parse<'a>(
        &self,
        line: &'a str,
        event: &mut Event<'a>,
        custom: &mut Vec<Value<'a>>,
    ) -> Result<(), Reason> {
        custom.clear();
        custom.resize(self.custom_count, Value::Null);
        let mut at = self.prefix.len();
        if !line.starts_with(&self.prefix) {
            return Err(Reason::Mismatch);
        }
        let mut timed = false;
        for step in &self.steps {
            let rest = &line[at..];
            let (value, next) = match &step.until {
                None => (rest, line.len()),
                Some(finder) => match finder.find(rest.as_bytes()) {
                    Some(end) => (&rest[..end], at + end + finder.needle().len()),
                    None if step.quoted => return Err(Reason::UnterminatedQuote),
                    None if rest.is_empty() => {
                        return Err(Reason::Missing(step.name.clone().into()));
                    }
                    None => return Err(Reason::Mismatch),
                },
            };
            timed |= assign(step.variable, value, event, custom)?;
            at = next;
        }
        if timed {
            Ok(())
        } else {
            Err(Reason::missing("timestamp"))
        }
    }
}

/// Puts one variable's value where it belongs; true when it set the timestamp.
#[inline]
fn assign<'a>(
    variable: NginxVariable,
    value: &'a str,
    event: &mut Event<'a>,
    custom: &mut [Value<'a>],
) -> Result<bool, Reason> {
    let timestamp = match variable {
        NginxVariable::TimeLocal => parse_clf(value.as_bytes()),
        NginxVariable::TimeIso8601 => parse_rfc3339(value),
        NginxVariable::Msec => parse_epoch_seconds(value),
        NginxVariable::Request => {
            (event.method, event.path, event.protocol) = split_request(value);
            return Ok(false);
        }
        NginxVariable::Field(field) => return assign_field(field, value, event).map(|()| false),
        NginxVariable::Custom(index) => {
            custom[usize::from(index)] = dash_none(value).map_or(Value::Null, Value::Str);
            return Ok(false);
        }
    };
    event.timestamp_ms = timestamp.ok_or(Reason::bad("timestamp"))?;
    Ok(true)
}

fn assign_field<'a>(field: Field, value: &'a str, event: &mut Event<'a>) -> Result<(), Reason> {
    let text = dash_none(value);
    match field {
        Field::Status => {
            event.status = Some(parse_status(value).ok_or(Reason::bad("status"))?);
        }
        Field::Size => event.size = size(value)?,
        Field::Latency => {
            event.latency = match text {
                None => None,
                Some(text) => Some(parse_decimal(text).ok_or(Reason::bad("latency"))?),
            };
        }
        Field::Method => event.method = text,
        Field::Path => event.path = text,
        Field::Protocol => event.protocol = text,
        Field::Host => event.host = text,
        Field::Client => event.client = text,
        Field::User => event.user = text,
        Field::Referer => event.referer = text,
        Field::UserAgent => event.user_agent = text,
        Field::Region => event.region = text,
        // The layout gives custom variables their own meaning, never a field.
        Field::Custom(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = concat!(
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "#,
        r#""$http_referer" "$http_user_agent" rt=$request_time ua="$upstream_addr" ${host}"#
    );
    const LINE: &str = concat!(
        r#"10.1.2.3 - - [17/May/2015:10:05:03 +0000] "GET /a?b=1 HTTP/2.0" 502 157 "#,
        r#""-" "curl/8.0" rt=0.250 ua="10.9.9.9:80" api.example.com"#
    );

    fn read<'a>(layout: &str, line: &'a str) -> Result<(Event<'a>, Vec<Value<'a>>), Reason> {
        let parser = NginxParser::new(&NginxLayout::parse(layout).unwrap());
        let mut event = Event::at(0);
        let mut custom = Vec::new();
        parser.parse(line, &mut event, &mut custom)?;
        Ok((event, custom))
    }

    #[test]
    fn known_variables_fill_built_in_fields() {
        let (event, custom) = read(MAIN, LINE).unwrap();
        assert_eq!(event.client, Some("10.1.2.3"));
        assert_eq!(event.user, None);
        assert_eq!(event.method, Some("GET"));
        assert_eq!(event.path, Some("/a?b=1"));
        assert_eq!(event.status, Some(502));
        assert_eq!(event.size, Some(157));
        assert_eq!(event.referer, None);
        assert_eq!(event.user_agent, Some("curl/8.0"));
        assert_eq!(event.latency, Some(0.25));
        assert_eq!(event.host, Some("api.example.com"));
        assert_eq!(custom, [Value::Str("10.9.9.9:80")]);
        assert_eq!(event.timestamp_ms, 1_431_857_103_000);
    }

    #[test]
    fn iso_and_msec_times() {
        let (event, _) = read("$time_iso8601 $status", "2015-05-17T12:05:03+02:00 200").unwrap();
        assert_eq!(event.timestamp_ms, 1_431_857_103_000);
        let (event, custom) = read("$msec|$upstream|$status", "1431857103.5|-|404").unwrap();
        assert_eq!(event.timestamp_ms, 1_431_857_103_500);
        assert_eq!(custom, [Value::Null]);
        assert_eq!(event.status, Some(404));
    }

    #[test]
    fn malformed_lines_say_why() {
        let cut = &LINE[..LINE.find("curl").unwrap() + 2];
        assert_eq!(read(MAIN, cut).unwrap_err(), Reason::UnterminatedQuote);
        assert_eq!(
            read(MAIN, &LINE.replace(" 502 ", " five ")).unwrap_err(),
            Reason::bad("status")
        );
        assert_eq!(
            read(MAIN, &LINE.replace("rt=0.250", "rt=fast")).unwrap_err(),
            Reason::bad("latency")
        );
        assert_eq!(
            read("[$time_local]", "17/May/2015]").unwrap_err(),
            Reason::Mismatch
        );
        assert_eq!(
            read("$msec $status", "1431857103").unwrap_err(),
            Reason::Mismatch
        );
        assert_eq!(
            read("$msec $status", "").unwrap_err(),
            Reason::missing("msec")
        );
        assert_eq!(
            read("$msec $status", "x 200").unwrap_err(),
            Reason::bad("timestamp")
        );
    }
}
