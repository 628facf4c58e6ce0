//! OpenSLO alert policies as nines burn-rate rules.
//!
//! An OpenSLO burn-rate condition has one lookback and a duration the burn must last
//! (`alertAfter`); a nines rule has a long and a short lookback and fires at once. A condition
//! becomes a rule with the condition's lookback as the long one and a twelfth of it as the
//! short one (1h and 5m, as in the standard set), unless nines' own annotation says otherwise.
//! Two conditions joined by `and` with one threshold are exactly a nines rule.

use std::path::PathBuf;

use nines_core::decimal::Decimal;
use nines_core::duration::Duration;
use nines_core::slo::AlertRule;

use crate::decode::{Context, Map, boolean, choice, mapping, parsed, sequence, text};
use crate::import::{self, Alert};
use crate::node::{Node, NodeKind, Position};

use super::annotation;
use super::objects::{self, Index, Kind, Object};

/// The rules of every alert policy of an SLO.
pub(super) fn translate<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    slo: &Object<'a>,
    node: &'a Node,
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for item in sequence(cx, node, "`alertPolicies`") {
        let Some(policy) = policy(cx, index, slo, item) else {
            continue;
        };
        let mut cx = Context {
            file: policy.file,
            diagnostics: &mut *cx.diagnostics,
        };
        alerts.extend(policy_rules(&mut cx, index, &policy));
    }
    alerts
}

/// A policy by name (a string, or `alertPolicyRef`) or written inline.
fn policy<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    slo: &Object<'a>,
    item: &'a Node,
) -> Option<Object<'a>> {
    let reference = match &item.kind {
        NodeKind::Scalar { .. } => Some(item),
        NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(key, _)| key.name == "alertPolicyRef")
            .map(|(_, value)| value),
        NodeKind::Sequence(_) => None,
    };
    match reference {
        Some(name) => index.resolve(cx, Kind::AlertPolicy, name).cloned(),
        None => objects::inline(cx, slo.file, item, Kind::AlertPolicy, slo.version),
    }
}

const POLICY_KEYS: [&str; 6] = [
    "description",
    "alertWhenNoData",
    "alertWhenResolved",
    "alertWhenBreaching",
    "conditions",
    "notificationTargets",
];

fn policy_rules<'a>(cx: &mut Context<'_>, index: &'a Index<'a>, policy: &Object<'a>) -> Vec<Alert> {
    // The display name is reported with the policy's other settings, in one warning.
    let mut rest = policy.clone();
    rest.metadata.display_name = None;
    super::notes(cx, &rest, &policy.name, &[]);
    let Some(spec) = mapping(cx, policy.spec, "the AlertPolicy spec", &POLICY_KEYS) else {
        return Vec::new();
    };
    policy_notes(cx, index, policy, &spec);
    let Some(conditions) = spec.require(cx, "conditions", "an AlertPolicy") else {
        return Vec::new();
    };
    let mut alerts = Vec::new();
    for item in sequence(cx, conditions, "`conditions`") {
        alerts.extend(condition_rules(cx, index, policy, item));
    }
    alerts
}

/// What a policy holds besides its conditions, which nines does not keep: its name and
/// display name, how it notifies, and its description; one warning lists them all. The
/// policies `nines export openslo` writes hold nothing nines would lose.
fn policy_notes(cx: &mut Context<'_>, index: &Index<'_>, policy: &Object<'_>, spec: &Map<'_>) {
    let mut dropped: Vec<(String, Position, &str)> = Vec::new();
    let targets = spec.get("notificationTargets");
    let exported = targets.is_some_and(|node| sequence_of(node).iter().any(routed_by_nines));
    let no_names = "nines alert rules have no names";
    if let (Some(name), false) = (policy.metadata.name, exported) {
        dropped.push(("metadata.name".to_owned(), name.position, no_names));
    }
    if let Some(display) = super::display_name(policy, &policy.name) {
        dropped.push((
            "metadata.displayName".to_owned(),
            display.position,
            no_names,
        ));
    }
    let flags = [
        (
            "alertWhenNoData",
            None,
            "nines never fires a burn-rate alert without data",
        ),
        (
            "alertWhenResolved",
            None,
            "nines does not send notifications yet",
        ),
        (
            "alertWhenBreaching",
            Some(true),
            "nines alerts fire on burn rates",
        ),
    ];
    for (key, kept, why) in flags {
        let Some(node) = spec.get(key) else {
            continue;
        };
        let Some(value) = boolean(cx, node, &format!("`{key}`")) else {
            continue;
        };
        if kept != Some(value) {
            dropped.push((format!("{key}: {value}"), node.position, why));
        }
    }
    if let Some(node) = spec.get("description") {
        let why = "nines alerts have no description";
        dropped.push(("description".to_owned(), node.position, why));
    }
    if let Some(node) = targets {
        if notification_targets(cx, index, node) {
            let why = "nines does not send notifications yet";
            dropped.push(("notificationTargets".to_owned(), node.position, why));
        }
    }
    report_dropped(cx, &policy.name, dropped);
}

/// One warning for everything a policy loses, at the first of it.
fn report_dropped(cx: &mut Context<'_>, name: &str, mut dropped: Vec<(String, Position, &str)>) {
    dropped.sort_by_key(|(_, at, _)| (at.line, at.column));
    let Some((_, at, _)) = dropped.first() else {
        return;
    };
    let at = *at;
    let fields: Vec<String> = dropped
        .iter()
        .map(|(field, ..)| format!("`{field}`"))
        .collect();
    let mut reasons: Vec<&str> = Vec::new();
    for (_, _, why) in &dropped {
        if !reasons.contains(why) {
            reasons.push(why);
        }
    }
    let policy = match name {
        "" => "the alert policy".to_owned(),
        name => format!("alert policy `{name}`"),
    };
    let verb = if fields.len() == 1 { "is" } else { "are" };
    cx.warning(
        at,
        format!(
            "{} of {policy} {verb} not kept: {}",
            fields.join(", "),
            reasons.join("; ")
        ),
        None,
    );
}

fn sequence_of(node: &Node) -> &[Node] {
    match &node.kind {
        NodeKind::Sequence(items) => items,
        _ => &[],
    }
}

/// Targets referred to by name must exist; they are reported as not kept where they are
/// defined, once however many policies use them. True when there are inline targets other
/// than the one `nines export openslo` writes, for the policy to report.
fn notification_targets(cx: &mut Context<'_>, index: &Index<'_>, node: &Node) -> bool {
    let mut inline = false;
    for item in sequence(cx, node, "`notificationTargets`") {
        match child(item, "targetRef") {
            Some(name) => {
                index.resolve(cx, Kind::AlertNotificationTarget, name);
            }
            None => inline |= !routed_by_nines(item),
        }
    }
    inline
}

/// True for the inline target that `nines export openslo` writes.
fn routed_by_nines(item: &Node) -> bool {
    let target = child(item, "spec").and_then(|spec| child(spec, "target"));
    target.and_then(Node::scalar) == Some(super::NOTIFICATION_TARGET)
}

fn child<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.kind {
        NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, value)| value),
        _ => None,
    }
}

/// The rules of one entry of `conditions`: a condition, or an `and` or `or` of conditions.
fn condition_rules<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    policy: &Object<'a>,
    item: &'a Node,
) -> Vec<Alert> {
    let group = |name: &str| match &item.kind {
        NodeKind::Mapping(entries) if entries.len() == 1 && entries[0].0.name == name => {
            Some(&entries[0].1)
        }
        _ => None,
    };
    if let Some(any) = group("or") {
        return sequence(cx, any, "`or`")
            .iter()
            .flat_map(|item| condition_rules(cx, index, policy, item))
            .collect();
    }
    if let Some(all) = group("and") {
        let burns: Vec<Burn> = sequence(cx, all, "`and`")
            .iter()
            .filter_map(|item| burn(cx, index, policy, item))
            .collect();
        return both(cx, all.position, burns).into_iter().collect();
    }
    burn(cx, index, policy, item)
        .and_then(|burn| single(cx, burn))
        .into_iter()
        .collect()
}

/// One burn-rate condition, as written.
struct Burn {
    file: PathBuf,
    position: Position,
    severity: Option<String>,
    long: Duration,
    factor: f64,
    alert_after: Option<(Duration, Position)>,
    short: Option<Duration>,
    min_events: f64,
    budget_share: Option<Decimal>,
}

/// A condition by `conditionRef` or inline.
fn burn<'a>(
    cx: &mut Context<'_>,
    index: &'a Index<'a>,
    policy: &Object<'a>,
    item: &'a Node,
) -> Option<Burn> {
    let reference = match &item.kind {
        NodeKind::Mapping(entries) => entries
            .iter()
            .find(|(key, _)| key.name == "conditionRef")
            .map(|(_, value)| value),
        _ => None,
    };
    let condition = match reference {
        Some(name) => index.resolve(cx, Kind::AlertCondition, name)?.clone(),
        None => objects::inline(cx, policy.file, item, Kind::AlertCondition, policy.version)?,
    };
    let mut cx = Context {
        file: condition.file,
        diagnostics: &mut *cx.diagnostics,
    };
    read_burn(&mut cx, &condition)
}

const CONSUMED: [&str; 3] = [
    annotation::SHORT_LOOKBACK,
    annotation::MIN_EVENTS,
    annotation::BUDGET_SHARE,
];

fn read_burn(cx: &mut Context<'_>, condition: &Object<'_>) -> Option<Burn> {
    super::notes(cx, condition, &condition.name, &CONSUMED);
    let keys = ["description", "severity", "condition"];
    let spec = mapping(cx, condition.spec, "the AlertCondition spec", &keys)?;
    if let Some(description) = spec.get("description") {
        let why = "nines alerts have no description";
        import::not_kept(cx, description.position, "description", why);
    }
    let severity = spec
        .get("severity")
        .and_then(|n| text(cx, n, "the severity"))
        .map(str::to_owned);
    let node = spec.require(cx, "condition", "an AlertCondition")?;
    let keys = ["kind", "op", "threshold", "lookbackWindow", "alertAfter"];
    let map = mapping(cx, node, "the condition", &keys)?;
    let kind = map.require(cx, "kind", "a condition")?;
    choice(cx, kind, "the condition kind", &["burnrate"])?;
    if let Some(op) = map.get("op") {
        let written = choice(cx, op, "`op`", &["gt", "gte", "lt", "lte"])?;
        if matches!(written, "lt" | "lte") {
            // Valid OpenSLO, but an alert on a burn rate below a threshold fires while the
            // budget is safe: nines has no such rule, and keeps the policy's other conditions.
            cx.warning(
                op.position,
                format!(
                    "this condition is not kept: nines alerts fire when the burn rate is above \
                     the threshold, not with `op: {written}`"
                ),
                Some("use `op: gte` for a burn-rate alert".to_owned()),
            );
            return None;
        }
    }
    let factor = map.require(cx, "threshold", "a condition").and_then(|n| {
        let factor: f64 = parsed(cx, n, "the threshold", "a burn rate such as 14.4")?;
        (factor > 0.0 && factor.is_finite())
            .then_some(factor)
            .or_else(|| {
                cx.error(n.position, "the threshold must be a positive burn rate");
                None
            })
    });
    let long = map
        .require(cx, "lookbackWindow", "a condition")
        .and_then(|n| lookback(cx, n, "`lookbackWindow`"));
    let alert_after = map
        .get("alertAfter")
        .and_then(|n| Some((lookback(cx, n, "`alertAfter`")?, n.position)));
    let annotations = &condition.metadata;
    let short = annotations
        .annotation(annotation::SHORT_LOOKBACK)
        .and_then(|n| lookback(cx, n, "the short lookback"));
    let min_events = match annotations.annotation(annotation::MIN_EVENTS) {
        Some(n) => parsed::<u64>(cx, n, "the minimum of events", "a whole number")? as f64,
        None => 0.0,
    };
    let budget_share = annotations
        .annotation(annotation::BUDGET_SHARE)
        .and_then(|n| parsed::<Decimal>(cx, n, "the budget share", "a percentage such as 2"));
    Some(Burn {
        file: cx.file.to_owned(),
        position: condition.position,
        severity,
        long: long?,
        factor: factor?,
        alert_after,
        short,
        min_events,
        budget_share,
    })
}

/// A lookback such as `1h`; OpenSLO examples also write it as `-1h`.
fn lookback(cx: &mut Context<'_>, node: &Node, what: &str) -> Option<Duration> {
    let value = text(cx, node, what)?;
    match value.trim().trim_start_matches('-').parse::<Duration>() {
        Ok(duration) => Some(duration),
        Err(error) => {
            cx.error_hint(
                node.position,
                format!("{what}: {error}"),
                "write a lookback such as 1h or 5m",
            );
            None
        }
    }
}

/// A single condition as a rule: the short lookback is nines' annotation, or a twelfth of the
/// long one.
fn single(cx: &mut Context<'_>, burn: Burn) -> Option<Alert> {
    let short = burn
        .short
        .unwrap_or_else(|| Duration::from_minutes((burn.long.minutes() / 12).max(1)));
    if let Some((after, at)) = burn.alert_after {
        // Earlier nines exports also gave the short lookback as `alertAfter`; read beside the
        // annotation, it says nothing more.
        if burn.short != Some(after) {
            cx.warning(
                at,
                format!(
                    "`alertAfter: {after}` is not kept: nines fires as soon as the {} and \
                     the {short} lookbacks both burn faster than {}",
                    burn.long, burn.factor
                ),
                None,
            );
        }
    }
    rule(cx, burn.long, short, burn)
}

/// Two conditions joined by `and`: a long and a short lookback with one threshold.
fn both(cx: &mut Context<'_>, at: Position, mut burns: Vec<Burn>) -> Option<Alert> {
    if burns.len() != 2 || burns[0].factor != burns[1].factor {
        cx.error_hint(
            at,
            "nines reads `and` only as two burn-rate conditions with one threshold",
            "join a long and a short lookback, such as 1h and 5m, both at 14.4",
        );
        return None;
    }
    burns.sort_by_key(|burn| std::cmp::Reverse(burn.long));
    let short = burns.pop()?;
    let mut long = burns.pop()?;
    long.severity = long.severity.or(short.severity);
    rule(cx, long.long, short.long, long)
}

fn rule(cx: &mut Context<'_>, long: Duration, short: Duration, burn: Burn) -> Option<Alert> {
    let Some(severity) = burn.severity else {
        cx.error_hint(
            burn.position,
            "the alert condition has no `severity`",
            "add `severity: page` or `severity: ticket`",
        );
        return None;
    };
    Some(Alert {
        file: burn.file,
        position: burn.position,
        rule: AlertRule {
            severity,
            long,
            short,
            factor: burn.factor,
            budget_share: burn.budget_share,
            min_events: burn.min_events,
        },
    })
}
