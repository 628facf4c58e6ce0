//! Putting the SLO's lookback into PromQL queries written for other tools, and checking what
//! of a spec ends up in Prometheus: the queries' syntax, and the labels of the rules.
//!
//! nines evaluates a Prometheus SLI over many lookbacks, so every range in its queries is the
//! placeholder `{{.window}}`, as Sloth writes them (`{{ .window }}` is the same Go template
//! and reads alike). OpenSLO queries come with a fixed range (`rate(x[5m])`) or with none at
//! all (the tool sums instant samples over time). A fixed range is replaced by the
//! placeholder; a missing one is inserted only where the query is a single selector, summed or
//! not, because only there the place of the range is beyond doubt.

use std::borrow::Cow;

use nines_core::conventions::prometheus_rules as names;
use nines_core::slo::PromSli;

use crate::decode::Context;
use crate::import::shape;
use crate::node::{Node, NodeKind};

/// What stands in for the placeholder when a query's syntax is checked.
const CHECKED_RANGE: &str = "5m";

/// Checks the syntax of the PromQL `query`; an error at `node` with the parser's message
/// otherwise. The message names no key: an imported query stood under another one.
pub(crate) fn check_syntax(cx: &mut Context<'_>, node: &Node, query: &str) -> Option<()> {
    let Some(message) = syntax_error(query) else {
        return Some(());
    };
    cx.error_hint(
        node.position,
        format!("this query is not valid PromQL: {message}"),
        format!(
            "nines reads it with {} set to {CHECKED_RANGE}; check the brackets, braces and \
             quotes",
            PromSli::WINDOW
        ),
    );
    None
}

/// Checks that `query` measures one amount over the lookback: no selector read at one instant
/// beside others read over a range, and, when `counts_events`, no per-second rate beside a
/// count over the range. Each problem is an error at `node`.
pub(crate) fn check_shape(
    cx: &mut Context<'_>,
    node: &Node,
    query: &str,
    counts_events: bool,
) -> Option<()> {
    let mut ok = true;
    if let Some(selector) = shape::instant_beside_range(query) {
        report_instant_beside_range(cx, node, &selector, shape::reads_counters(query));
        ok = false;
    }
    if counts_events && let Some((per_second, counting)) = shape::mixed_units(query) {
        cx.error_hint(
            node.position,
            format!(
                "this query mixes {per_second}(), which counts events per second, with \
                 {counting}(), which counts them over the whole range, so its count has no \
                 single unit"
            ),
            "write the query with rate() only, or with increase() only",
        );
        ok = false;
    }
    ok.then_some(())
}

/// Reports at `node` a query that reads `selector` at one instant beside others over a range,
/// as in `sum(rate(a[5m])) + sum(b)`: the instant value (a cumulative counter, when
/// `counter`) would be added to an amount per lookback, whatever the lookback.
pub(crate) fn report_instant_beside_range(
    cx: &mut Context<'_>,
    node: &Node,
    selector: &str,
    counter: bool,
) {
    let (read, to, function) = if counter {
        ("the counter's running total", "a rate", "rate")
    } else {
        ("a single sample", "a sum", "sum_over_time")
    };
    cx.error_hint(
        node.position,
        format!(
            "nines cannot measure this query over its lookbacks: it reads `{selector}` at one \
             instant beside selectors read over a range, so {read} would be added to {to} over \
             the lookback"
        ),
        format!(
            "read it over the range too, such as {function}({selector}[{}])",
            PromSli::WINDOW
        ),
    );
}

/// Checks that a histogram SLI's bucket series and selector read as a PromQL selector; an
/// error at `node` otherwise.
pub(crate) fn check_histogram(cx: &mut Context<'_>, node: &Node, sli: &PromSli) -> Option<()> {
    let PromSli::Latency {
        metric, selector, ..
    } = sli
    else {
        return Some(());
    };
    let buckets = format!("{}_bucket{{{}}}", metric.trim(), selector.trim());
    let Some(message) = syntax_error(&buckets) else {
        return Some(());
    };
    cx.error_hint(
        node.position,
        format!("`{buckets}` is not a valid PromQL selector: {message}"),
        "`histogram` is a metric name without `_bucket`, `selector` label matchers such as \
         job=\"api\"",
    );
    None
}

/// Checks that the labels under `node`, those of an SLO measured by Prometheus or of its
/// service (`of`), can label the generated rules: Prometheus label names, and none of those
/// the rules set themselves. Every offending label is an error at its key.
pub(crate) fn check_rule_labels(cx: &mut Context<'_>, node: Option<&Node>, of: &str) {
    let Some(NodeKind::Mapping(entries)) = node.map(|node| &node.kind) else {
        return;
    };
    for (key, _) in entries {
        let name = key.name.as_str();
        if !names::is_label_name(name) {
            cx.error_hint(
                key.position,
                format!(
                    "the {of} label `{name}` is not a Prometheus label name, and the rules of \
                     `nines generate prometheus` carry it"
                ),
                format!(
                    "label names are letters, digits and underscores, not starting with a \
                     digit or `__`, such as `{}`",
                    label_name_like(name)
                ),
            );
        } else if names::is_reserved_label(name) {
            cx.error_hint(
                key.position,
                format!("the {of} label `{name}` is set by the generated rules themselves"),
                format!(
                    "rename it; `sloth_*`, {} are taken",
                    names::RESERVED_LABELS
                        .map(|label| format!("`{label}`"))
                        .join(", ")
                ),
            );
        }
    }
}

/// A label name close to `name`: other characters as `_`, no leading `_`, and `label_` before
/// a leading digit.
fn label_name_like(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    out = out.trim_start_matches('_').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "label_");
    }
    out
}

/// Notes at `node`, for `nines validate`, that an error-ratio SLI gives no event counts, so
/// only the generated rules measure it.
pub(crate) fn note_rules_only(cx: &mut Context<'_>, node: &Node) {
    cx.note(
        node.position,
        "an error-ratio SLI is measured only by the rules of `nines generate prometheus`; \
         `nines report --prometheus` needs event counts and reports it as no data",
        "to measure it with `nines report` too, write it as `errors` (or `good`) and `total` \
         queries"
            .to_owned(),
    );
}

/// The query with every spelling of the placeholder that Go templates read alike
/// (`{{ .window }}`, `{{.window  }}`) written as [`PromSli::WINDOW`].
pub(crate) fn normalise_window(query: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut rest = query;
    let mut changed = false;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        let placeholder = inner
            .trim_start()
            .strip_prefix(".window")
            .map(str::trim_start)
            .and_then(|after| after.strip_prefix("}}"));
        match placeholder {
            Some(after) => {
                out.push_str(&rest[..open]);
                out.push_str(PromSli::WINDOW);
                changed |= rest.len() - after.len() - open != PromSli::WINDOW.len();
                rest = after;
            }
            None => {
                out.push_str(&rest[..open + 2]);
                rest = inner;
            }
        }
    }
    if !changed {
        return Cow::Borrowed(query);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The PromQL parser's complaint about `query`, with the placeholder set to a range; none
/// when it parses.
pub(crate) fn syntax_error(query: &str) -> Option<String> {
    let text = query.replace(PromSli::WINDOW, CHECKED_RANGE);
    promql_parser::parser::parse(&text).err()
}

/// A query with the placeholder in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Windowed {
    /// The query had the placeholder already.
    AsWritten(String),
    /// Every fixed range, all of them `range`, became the placeholder.
    Replaced {
        /// The query with the placeholder.
        query: String,
        /// The range that was replaced, such as `5m`.
        range: String,
    },
    /// The query had no range; one was inserted around its selector.
    Inserted(String),
}

impl Windowed {
    /// The query with the placeholder.
    pub(crate) fn query(&self) -> &str {
        match self {
            Windowed::AsWritten(query) | Windowed::Inserted(query) => query,
            Windowed::Replaced { query, .. } => query,
        }
    }
}

/// Why the placeholder cannot be put into a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WindowError {
    /// A subquery (`[1h:1m]`) has its own resolution, which a lookback cannot replace.
    Subquery,
    /// Ranges of different lengths: which of them is the SLI's lookback is not clear.
    MixedRanges(Vec<String>),
    /// No range, and the query is more than a selector.
    NoPlace,
}

impl std::fmt::Display for WindowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WindowError::Subquery => f.write_str("it has a subquery"),
            WindowError::MixedRanges(ranges) => {
                write!(
                    f,
                    "it has ranges of different lengths ({})",
                    ranges.join(", ")
                )
            }
            WindowError::NoPlace => f.write_str(
                "it has no range, and is more than a selector that nines could wrap in rate()",
            ),
        }
    }
}

/// Puts [`PromSli::WINDOW`] where `query`'s range goes. `counter` tells whether the series
/// are counters (wrapped in `rate`) or gauges of per-interval counts (`sum_over_time`).
pub(crate) fn with_window(query: &str, counter: bool) -> Result<Windowed, WindowError> {
    let query = normalise_window(query.trim());
    let query = query.as_ref();
    if query.contains(PromSli::WINDOW) {
        return Ok(Windowed::AsWritten(query.to_owned()));
    }
    let brackets = brackets(query);
    if brackets.is_empty() {
        return insert(query, counter)
            .map(Windowed::Inserted)
            .ok_or(WindowError::NoPlace);
    }
    let mut ranges: Vec<String> = Vec::new();
    for &(open, close) in &brackets {
        let inner = query[open + 1..close].trim();
        if inner.contains(':') {
            return Err(WindowError::Subquery);
        }
        if !ranges.iter().any(|r| r == inner) {
            ranges.push(inner.to_owned());
        }
    }
    if ranges.len() > 1 {
        return Err(WindowError::MixedRanges(ranges));
    }
    let mut replaced = String::with_capacity(query.len());
    let mut from = 0;
    for (open, close) in brackets {
        replaced.push_str(&query[from..=open]);
        replaced.push_str(PromSli::WINDOW);
        from = close;
    }
    replaced.push_str(&query[from..]);
    Ok(Windowed::Replaced {
        query: replaced,
        range: ranges.remove(0),
    })
}

/// Like [`with_window`], for a query that gives a ratio: one without a range is averaged over
/// the lookback by a subquery, since a ratio cannot be summed.
pub(crate) fn ratio_with_window(query: &str) -> Result<Windowed, WindowError> {
    let query = normalise_window(query.trim());
    let query = query.as_ref();
    if !query.contains(PromSli::WINDOW) && brackets(query).is_empty() {
        let averaged = format!("avg_over_time(({query})[{}:])", PromSli::WINDOW);
        return Ok(Windowed::Inserted(averaged));
    }
    with_window(query, false)
}

/// The byte offsets of every `[` and its `]` outside string literals.
fn brackets(query: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut open = None;
    let mut at = 0;
    let bytes = query.as_bytes();
    while at < bytes.len() {
        match bytes[at] {
            b'"' | b'\'' | b'`' => at = string_end(bytes, at),
            b'[' => open = Some(at),
            b']' => {
                if let Some(start) = open.take() {
                    found.push((start, at));
                }
            }
            _ => {}
        }
        at += 1;
    }
    found
}

/// The offset of the quote that closes the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut at = start + 1;
    while at < bytes.len() && bytes[at] != quote {
        if bytes[at] == b'\\' && quote != b'`' {
            at += 1;
        }
        at += 1;
    }
    at.min(bytes.len())
}

/// `sel`, `sum(sel)`, `sum by (l) (sel)` or `sum(sel) by (l)` with the selector wrapped in
/// `rate(sel[{{.window}}])` (or `sum_over_time` for gauges).
fn insert(query: &str, counter: bool) -> Option<String> {
    let (start, end) = selector_span(query)?;
    let function = if counter { "rate" } else { "sum_over_time" };
    Some(format!(
        "{}{function}({}[{}]){}",
        &query[..start],
        &query[start..end],
        PromSli::WINDOW,
        &query[end..]
    ))
}

fn selector_span(query: &str) -> Option<(usize, usize)> {
    if is_selector(query) {
        return Some((0, query.len()));
    }
    let mut at = "sum".len();
    if !query.starts_with("sum") {
        return None;
    }
    at = skip_space(query, at);
    at = skip_grouping(query, at)?;
    if !query[at..].starts_with('(') {
        return None;
    }
    let close = closing(query, at, b'(', b')')?;
    let tail = query[close + 1..].trim();
    if !tail.is_empty() && skip_grouping(tail, 0)? != tail.len() {
        return None;
    }
    let inner = &query[at + 1..close];
    let start = at + 1 + (inner.len() - inner.trim_start().len());
    let end = close - (inner.len() - inner.trim_end().len());
    is_selector(&query[start..end]).then_some((start, end))
}

/// Past a `by (...)` or `without (...)` clause at `at`, if there is one, and the space after.
fn skip_grouping(query: &str, at: usize) -> Option<usize> {
    let rest = &query[at..];
    let Some(word) = ["by", "without"].iter().find(|w| rest.starts_with(**w)) else {
        return Some(at);
    };
    let open = skip_space(query, at + word.len());
    if !query[open..].starts_with('(') {
        return None;
    }
    let close = closing(query, open, b'(', b')')?;
    Some(skip_space(query, close + 1))
}

fn skip_space(query: &str, at: usize) -> usize {
    at + query[at..].len() - query[at..].trim_start().len()
}

/// A metric name, label matchers in braces, or both, and nothing else.
fn is_selector(text: &str) -> bool {
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b':')
        .count();
    if text.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return false;
    }
    let rest = text[name_len..].trim_start();
    if rest.is_empty() {
        return name_len > 0;
    }
    rest.starts_with('{') && closing(rest, 0, b'{', b'}') == Some(rest.len() - 1)
}

/// The offset of the bracket that closes the one at `open`, skipping string literals.
fn closing(text: &str, open: usize, opening: u8, closer: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0;
    let mut at = open;
    while at < bytes.len() {
        match bytes[at] {
            b'"' | b'\'' | b'`' => at = string_end(bytes, at),
            b if b == opening => depth += 1,
            b if b == closer => {
                depth -= 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windowed(query: &str) -> String {
        with_window(query, true).unwrap().query().to_owned()
    }

    #[test]
    fn spaced_placeholders_are_read_alike() {
        assert_eq!(
            normalise_window("rate(x[{{ .window }}]) / rate(y[{{.window  }}])"),
            "rate(x[{{.window}}]) / rate(y[{{.window}}])"
        );
        assert!(matches!(
            normalise_window("rate(x[{{.window}}])"),
            Cow::Borrowed(_)
        ));
        // Other templates, and text that only looks like one, are left as they are.
        assert_eq!(
            normalise_window(r#"x{a="{{ .other }}"}[{{ .windows }}]"#),
            r#"x{a="{{ .other }}"}[{{ .windows }}]"#
        );
        assert_eq!(
            with_window("sum(rate(x[{{ .window }}]))", true),
            Ok(Windowed::AsWritten("sum(rate(x[{{.window}}]))".into()))
        );
    }

    #[test]
    fn syntax_is_checked_with_the_placeholder_set() {
        assert_eq!(syntax_error("sum(rate(e[{{.window}}]))"), None);
        assert_eq!(
            syntax_error("sum(rate(e[{{.window}}])) or on() vector(0)"),
            None
        );
        assert_eq!(
            syntax_error("avg_over_time((sum(x) / sum(y))[{{.window}}:])"),
            None
        );
        assert!(syntax_error("sum(rate(e[{{.window}}])").is_some());
        assert!(syntax_error("sum(rate(e{code=~\"5..\"[{{.window}}]))").is_some());
    }

    #[test]
    fn sloth_queries_are_checked_where_they_are_written() {
        let loaded = crate::load_str(
            "sloth.yaml",
            "version: prometheus/v1\nservice: api\nslos:\n  - name: ok\n    objective: 99.9\n    \
             sli:\n      events:\n        error_query: sum(rate(e[{{.window}}])\n        \
             total_query: sum(rate(t[{{ .window }}]))\n",
        );
        let problems: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "error: sloth.yaml:8:22: this query is not valid PromQL: unclosed left parenthesis\n  \
              hint: nines reads it with {{.window}} set to 5m; check the brackets, braces and \
              quotes"
            ]
        );
        let fixed = crate::load_str(
            "sloth.yaml",
            "version: prometheus/v1\nservice: api\nslos:\n  - name: ok\n    objective: 99.9\n    \
             sli:\n      events:\n        error_query: sum(rate(e[{{.window}}]))\n        \
             total_query: sum(rate(t[{{ .window }}]))\n",
        );
        assert!(fixed.diagnostics.is_empty(), "{:?}", fixed.diagnostics);
        let slo = &fixed.catalog.services[0].slos[0];
        let nines_core::slo::Sli::Prometheus(PromSli::ErrorsTotal { total, .. }) = &slo.sli else {
            panic!("{:?}", slo.sli);
        };
        assert_eq!(total, "sum(rate(t[{{.window}}]))");
    }

    #[test]
    fn the_placeholder_is_kept() {
        let query = "sum(rate(x[{{.window}}]))";
        assert_eq!(
            with_window(query, true),
            Ok(Windowed::AsWritten(query.into()))
        );
    }

    #[test]
    fn fixed_ranges_are_replaced() {
        assert_eq!(
            with_window(r#"sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m]))"#, true),
            Ok(Windowed::Replaced {
                query: r#"sum(rate(x{code=~"5.."}[{{.window}}])) / sum(rate(x[{{.window}}]))"#
                    .into(),
                range: "5m".into()
            })
        );
        // A bracket inside a label value is text, not a range.
        assert_eq!(
            windowed(r#"sum(rate(x{path="/a[1]"}[1m]))"#),
            r#"sum(rate(x{path="/a[1]"}[{{.window}}]))"#
        );
    }

    #[test]
    fn ranges_are_inserted_around_a_lone_selector() {
        assert_eq!(windowed("up"), "rate(up[{{.window}}])");
        assert_eq!(
            windowed(r#"sum(http_requests{code=~"2xx|4xx"})"#),
            r#"sum(rate(http_requests{code=~"2xx|4xx"}[{{.window}}]))"#
        );
        assert_eq!(
            windowed("sum by (route) ( x{a=\"}\"} )"),
            "sum by (route) ( rate(x{a=\"}\"}[{{.window}}]) )"
        );
        assert_eq!(
            windowed("sum(x) by (route)"),
            "sum(rate(x[{{.window}}])) by (route)"
        );
        assert_eq!(
            with_window("sum(x)", false).unwrap().query(),
            "sum(sum_over_time(x[{{.window}}]))"
        );
    }

    #[test]
    fn unsafe_queries_are_refused() {
        assert_eq!(
            with_window("sum(x) / sum(y)", true),
            Err(WindowError::NoPlace)
        );
        assert_eq!(with_window("avg(x)", true), Err(WindowError::NoPlace));
        assert_eq!(
            with_window("max_over_time(x[1h:1m])", true),
            Err(WindowError::Subquery)
        );
        assert_eq!(
            with_window("rate(x[5m]) / rate(y[1h])", true),
            Err(WindowError::MixedRanges(vec!["5m".into(), "1h".into()]))
        );
    }
}
