//! Spans grouped into traces, one event per trace: the root span's duration is the request's
//! end-to-end latency, and the trace is an error when any span is (or only the root, as the
//! source asks).
//!
//! Spans of a trace may arrive in any order and across inputs, so traces stay open until the
//! end of the last input. At most `max_open_traces` are open: beyond that the least recently
//! active trace is closed early, which is what finishes traces in a long input, since a trace
//! whose spans stopped arriving long ago is complete. A trace closed without its root span is
//! reported as incomplete, as is a span that arrives after its trace was closed.

use std::collections::{HashMap, VecDeque};

use nines_core::source::{SpanKind, TraceError};

use crate::error::Reason;
use crate::stats::Sample;
use crate::telemetry::spans::{
    Gap, RecentIds, Span, SpanFields, Timing, describe, emit, key_of, trace_hex,
};
use crate::telemetry::{Out, Place};

/// How many closed traces are remembered, to recognise their late spans.
const REMEMBERED_TRACES: usize = 1 << 16;

/// The traces waiting for more spans.
pub(crate) struct Traces {
    open: HashMap<u128, OpenTrace>,
    /// Trace ids by last activity, oldest first; an entry whose stamp is no longer the
    /// trace's own is stale and skipped.
    order: VecDeque<(u128, u64)>,
    stamp: u64,
    closed: RecentIds,
    limit: usize,
    error_rule: TraceError,
}

struct OpenTrace {
    /// The last activity.
    stamp: u64,
    /// Where its first span was found.
    first: Place,
    spans: u32,
    /// Some span has error status.
    error: bool,
    root: Option<Root>,
}

/// The root span, copied out of its document.
struct Root {
    place: Place,
    span_id: Option<u64>,
    kind: SpanKind,
    shared: bool,
    error: bool,
    timing: Result<Timing, Gap>,
    fields: OwnedFields,
}

#[derive(Default)]
struct OwnedFields {
    status: Option<i64>,
    texts: [Option<Box<str>>; 6],
}

impl OwnedFields {
    fn of(fields: &SpanFields<'_>) -> Self {
        let own = |text: Option<&str>| text.map(Box::from);
        OwnedFields {
            status: fields.status,
            texts: [
                own(fields.method),
                own(fields.path),
                own(fields.host),
                own(fields.service),
                own(fields.route),
                own(fields.name),
            ],
        }
    }

    fn view(&self) -> SpanFields<'_> {
        let [method, path, host, service, route, name] =
            self.texts.each_ref().map(Option::as_deref);
        SpanFields {
            status: self.status,
            method,
            path,
            host,
            service,
            route,
            name,
        }
    }
}

impl Traces {
    pub(crate) fn new(limit: usize, error_rule: TraceError) -> Self {
        Traces {
            open: HashMap::new(),
            order: VecDeque::new(),
            stamp: 0,
            closed: RecentIds::new(REMEMBERED_TRACES),
            limit: limit.max(1),
            error_rule,
        }
    }

    /// Adds a span to its trace.
    pub(crate) fn take(&mut self, span: &Span<'_>, place: Place, out: &mut Out<'_>) {
        let Some(trace_id) = span.trace_id else {
            let sample = Sample::new(place.line, Reason::missing("trace id"), &describe(span));
            return out.malformed(place.input, sample);
        };
        if self.closed.contains(key_of(&trace_id)) {
            let reason = Reason::incomplete("trace (span arrived after the trace was closed)");
            return out.malformed(
                place.input,
                Sample::new(place.line, reason, &describe(span)),
            );
        }
        self.stamp += 1;
        let stamp = self.stamp;
        let trace = self.open.entry(trace_id).or_insert_with(|| OpenTrace {
            stamp,
            first: place,
            spans: 0,
            error: false,
            root: None,
        });
        trace.stamp = stamp;
        trace.spans += 1;
        trace.error |= span.error;
        if !span.has_parent && !offer_root(trace, span, place) {
            let sample = Sample::new(place.line, Reason::duplicate("span"), &describe(span));
            out.malformed(place.input, sample);
        }
        self.order.push_back((trace_id, stamp));
        if self.open.len() > self.limit {
            self.close_oldest(out);
        }
        self.compact();
    }

    /// Closes every open trace, oldest activity first.
    pub(crate) fn finish(&mut self, out: &mut Out<'_>) {
        while !self.open.is_empty() {
            self.close_oldest(out);
        }
        self.order.clear();
    }

    fn close_oldest(&mut self, out: &mut Out<'_>) {
        while let Some((id, stamp)) = self.order.pop_front() {
            if self.open.get(&id).is_some_and(|trace| trace.stamp == stamp) {
                if let Some(trace) = self.open.remove(&id) {
                    self.close(id, trace, out);
                }
                return;
            }
        }
    }

    fn close(&mut self, id: u128, trace: OpenTrace, out: &mut Out<'_>) {
        self.closed.insert(key_of(&id));
        let Some(root) = trace.root else {
            let excerpt = trace_excerpt(id, trace.spans);
            let reason = Reason::incomplete("trace (no root span)");
            return out.malformed(
                trace.first.input,
                Sample::new(trace.first.line, reason, &excerpt),
            );
        };
        match root.timing {
            Ok(timing) => {
                let error = match self.error_rule {
                    TraceError::AnySpan => trace.error,
                    TraceError::Root => root.error,
                };
                let fields = root.fields.view();
                emit(out, root.place.input, &fields, root.kind, timing, error);
            }
            Err(gap) => {
                let excerpt = trace_excerpt(id, trace.spans);
                let sample = Sample::new(root.place.line, gap.root_reason(), &excerpt);
                out.malformed(root.place.input, sample);
            }
        }
    }

    /// Drops stale entries once they outnumber the open traces.
    fn compact(&mut self) {
        if self.order.len() <= 2 * self.open.len() + 1024 {
            return;
        }
        let open = &self.open;
        self.order
            .retain(|(id, stamp)| open.get(id).is_some_and(|trace| trace.stamp == *stamp));
    }
}

/// How a trace is shown in samples of problems.
fn trace_excerpt(id: u128, spans: u32) -> String {
    let plural = if spans == 1 { "" } else { "s" };
    format!("trace {} ({spans} span{plural} seen)", trace_hex(id))
}

/// Offers a span without a parent as the trace's root; false when it is the root already seen
/// (the same span reported twice).
///
/// Zipkin's client and server sides of a root span share its id and both lack a parent; the
/// side that is not `shared` (the client, where the request began) measures the whole request.
fn offer_root(trace: &mut OpenTrace, span: &Span<'_>, place: Place) -> bool {
    if let Some(root) = &trace.root {
        if root.span_id == span.span_id && root.kind == span.kind {
            return false;
        }
        // Keep the root held, unless it is the server side and this is the client side.
        if !root.shared || span.shared {
            return true;
        }
    }
    trace.root = Some(Root {
        place,
        span_id: span.span_id,
        kind: span.kind,
        shared: span.shared,
        error: span.error,
        timing: span.timing,
        fields: OwnedFields::of(&span.fields),
    });
    true
}
