//! OpenSLO time windows as nines windows: rolling durations, and calendar periods aligned to
//! their start in a time zone.

use jiff::civil::DateTime;

use crate::decode::{Context, Map, boolean, mapping, sequence, text};
use crate::import;
use crate::node::Node;

use super::objects::Version;

/// A length in OpenSLO's shorthand: a count and one of `m h d w M Q Y` (and `s`, which nines
/// writes for lengths of whole seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shorthand {
    pub(super) count: u64,
    pub(super) unit: char,
}

impl Shorthand {
    /// Reads `5m`, `28d`, `1M`; `None` for anything else.
    pub(super) fn parse(text: &str) -> Option<Shorthand> {
        let text = text.trim();
        let unit = text.chars().last()?;
        let count: u64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
        ("smhdwMQY".contains(unit) && count > 0).then_some(Shorthand { count, unit })
    }

    /// The nines duration text, for units a duration has (`s m h d w`).
    pub(super) fn duration(self) -> Option<String> {
        "smhdw"
            .contains(self.unit)
            .then(|| format!("{}{}", self.count, self.unit))
    }
}

/// The SLO's window as a nines `window` node.
pub(super) fn translate(cx: &mut Context<'_>, version: Version, spec: &Map<'_>) -> Option<Node> {
    let key = match version {
        Version::V1Alpha => "timeWindows",
        _ => "timeWindow",
    };
    let node = spec.require(cx, key, "an SLO")?;
    let items = sequence(cx, node, &format!("`{key}`"));
    let Some(first) = items.first() else {
        cx.error(node.position, format!("`{key}` needs one window"));
        return None;
    };
    for extra in &items[1..] {
        let why = "an SLO has one window in nines; the first is used";
        import::not_kept(cx, extra.position, &format!("{key}[1..]"), why);
    }
    let (length, map) = match version {
        Version::V1Alpha => alpha_length(cx, first)?,
        _ => {
            let keys = ["duration", "isRolling", "calendar"];
            let map = mapping(cx, first, "a time window", &keys)?;
            let node = map.require(cx, "duration", "a time window")?;
            (shorthand(cx, node)?, map)
        }
    };
    let rolling = match map.get("isRolling") {
        Some(node) => boolean(cx, node, "`isRolling`")?,
        None => !map.has("calendar"),
    };
    match (rolling, map.get("calendar")) {
        (true, None) => rolling_window(cx, length, first),
        (false, Some(calendar)) => calendar_window(cx, length, calendar),
        (true, Some(calendar)) => {
            cx.error(
                calendar.position,
                "a rolling window has no `calendar`; remove it or set `isRolling: false`",
            );
            None
        }
        (false, None) => {
            cx.error_hint(
                first.position,
                "a window that is not rolling needs a `calendar`",
                "add `calendar: {startTime: 2024-01-01 00:00:00, timeZone: UTC}`, or set \
                 `isRolling: true`",
            );
            None
        }
    }
}

/// v1alpha writes `count` and `unit` (`Day`, `Month`, ...).
fn alpha_length<'n>(cx: &mut Context<'_>, node: &'n Node) -> Option<(Shorthand, Map<'n>)> {
    let keys = ["count", "unit", "isRolling", "calendar"];
    let map = mapping(cx, node, "a time window", &keys)?;
    let count = map.require(cx, "count", "a time window");
    let count = count.and_then(|n| crate::decode::parsed::<u64>(cx, n, "`count`", "a number"));
    let unit_node = map.require(cx, "unit", "a time window")?;
    let units = ["Minute", "Hour", "Day", "Week", "Month", "Quarter", "Year"];
    let unit = crate::decode::choice(cx, unit_node, "the unit", &units)?;
    let unit = "mhdwMQY"
        .chars()
        .nth(units.iter().position(|u| *u == unit)?)?;
    Some((
        Shorthand {
            count: count?.max(1),
            unit,
        },
        map,
    ))
}

fn shorthand(cx: &mut Context<'_>, node: &Node) -> Option<Shorthand> {
    let value = text(cx, node, "the duration")?;
    let parsed = Shorthand::parse(value);
    if parsed.is_none() {
        cx.error_hint(
            node.position,
            format!("`{value}` is not an OpenSLO duration"),
            "write a count and a unit: m, h, d, w, M, Q or Y, such as 28d or 1M",
        );
    }
    parsed
}

fn rolling_window(cx: &mut Context<'_>, length: Shorthand, at: &Node) -> Option<Node> {
    if let Some(duration) = length.duration() {
        return Some(import::scalar(duration, at.position));
    }
    // Months, quarters and years have no fixed length; nines counts them as 30, 90 and 365
    // days, as it does when it rescales alerts to calendar windows.
    let days = length.count
        * match length.unit {
            'M' => 30,
            'Q' => 90,
            _ => 365,
        };
    cx.warning(
        at.position,
        format!(
            "a rolling window of {}{} is measured as {days}d: nines' rolling windows have a \
             fixed length",
            length.count, length.unit
        ),
        Some("use a calendar window to follow the months themselves".to_owned()),
    );
    Some(import::scalar(format!("{days}d"), at.position))
}

fn calendar_window(cx: &mut Context<'_>, length: Shorthand, node: &Node) -> Option<Node> {
    let map = mapping(cx, node, "`calendar`", &["startTime", "timeZone"])?;
    let unit = match (length.count, length.unit) {
        (1, 'd') => "day",
        (1, 'w') => "week",
        (1, 'M') => "month",
        (1, 'Q') => "quarter",
        (1, 'Y') => "year",
        _ => {
            cx.error_hint(
                node.position,
                format!(
                    "a calendar window of {}{} is not supported",
                    length.count, length.unit
                ),
                "nines follows one day, week, month, quarter or year: 1d, 1w, 1M, 1Q or 1Y",
            );
            return None;
        }
    };
    let mut entries = vec![("calendar", import::scalar(unit, node.position))];
    if let Some(zone) = map.get("timeZone") {
        entries.push(("time_zone", zone.clone()));
    }
    if let Some(start) = map.get("startTime") {
        let start_time = start_time(cx, start)?;
        if unit == "week" {
            let day = crate::write::weekday_name(start_time.date().weekday());
            entries.push(("week_start", import::scalar(day, start.position)));
        }
        if !is_period_start(start_time, unit) {
            cx.warning(
                start.position,
                format!(
                    "`startTime` {start_time} is not kept: nines starts every {unit} at \
                     midnight on its first day, in the window's time zone"
                ),
                None,
            );
        }
    }
    Some(import::mapping(node.position, entries))
}

fn start_time(cx: &mut Context<'_>, node: &Node) -> Option<DateTime> {
    let value = text(cx, node, "`startTime`")?;
    match value.trim().replacen(' ', "T", 1).parse::<DateTime>() {
        Ok(time) => Some(time),
        Err(_) => {
            cx.error_hint(
                node.position,
                format!("`{value}` is not a date and time"),
                "write it as 2024-01-01 00:00:00, without a time zone",
            );
            None
        }
    }
}

/// True when `time` is midnight on the first day of a `unit` (any day starts a week: its
/// weekday becomes the week's first day).
fn is_period_start(time: DateTime, unit: &str) -> bool {
    let date = time.date();
    let midnight = time.time() == jiff::civil::Time::midnight();
    midnight
        && match unit {
            "month" => date.day() == 1,
            "quarter" => date.day() == 1 && (date.month() - 1) % 3 == 0,
            "year" => date.day() == 1 && date.month() == 1,
            _ => true,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthands() {
        assert_eq!(
            Shorthand::parse("28d"),
            Some(Shorthand {
                count: 28,
                unit: 'd'
            })
        );
        assert_eq!(Shorthand::parse("1M").map(|s| s.unit), Some('M'));
        for bad in ["", "d", "0d", "5x", "-1h", "1.5h"] {
            assert_eq!(Shorthand::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn period_starts() {
        let at = |text: &str| text.parse::<DateTime>().unwrap();
        assert!(is_period_start(at("2024-01-01T00:00:00"), "year"));
        assert!(!is_period_start(at("2024-02-01T00:00:00"), "quarter"));
        assert!(is_period_start(at("2024-04-01T00:00:00"), "quarter"));
        assert!(!is_period_start(at("2024-04-01T12:00:00"), "month"));
        assert!(is_period_start(at("2024-04-03T00:00:00"), "week"));
    }
}
