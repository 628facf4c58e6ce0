//! What the shape of an imported PromQL query means for the one SLI nines measures: whether
//! its result is split into groups, and whether it reads some series over a range and others
//! at one instant. Queries that do not parse have no shape here; their syntax is reported
//! where it is checked.

use nines_core::slo::PromSli;
use promql_parser::parser::{self, Expr, LabelModifier};

/// The grouping clause of the aggregation that gives `query` its result, such as
/// `by (namespace)` or `without (pod)`; none when the result is one series (or does not
/// parse).
pub(crate) fn grouping(query: &str) -> Option<String> {
    grouping_of(&parse(query)?)
}

fn grouping_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Aggregate(aggregate) => match &aggregate.modifier {
            Some(LabelModifier::Include(labels)) if !labels.is_empty() => {
                Some(format!("by ({})", labels.labels.join(", ")))
            }
            Some(LabelModifier::Exclude(labels)) => {
                Some(format!("without ({})", labels.labels.join(", ")))
            }
            // The other aggregations without grouping give one series.
            _ => None,
        },
        Expr::Binary(binary) => grouping_of(&binary.lhs).or_else(|| grouping_of(&binary.rhs)),
        Expr::Paren(paren) => grouping_of(&paren.expr),
        Expr::Unary(unary) => grouping_of(&unary.expr),
        Expr::Subquery(subquery) => grouping_of(&subquery.expr),
        Expr::Call(call) if call.func.name == "histogram_quantile" => {
            call.args.args.iter().find_map(|arg| quantile_grouping(arg))
        }
        Expr::Call(call) => call.args.args.iter().find_map(|arg| grouping_of(arg)),
        _ => None,
    }
}

/// The grouping left after `histogram_quantile`, which reads the buckets' `le` itself.
fn quantile_grouping(expr: &Expr) -> Option<String> {
    let clause = grouping_of(expr)?;
    let Some(labels) = clause.strip_prefix("by (") else {
        return Some(clause);
    };
    let kept: Vec<&str> = labels
        .trim_end_matches(')')
        .split(", ")
        .filter(|label| *label != "le")
        .collect();
    (!kept.is_empty()).then(|| format!("by ({})", kept.join(", ")))
}

/// The first selector read at one instant, when `query` also reads selectors over a range:
/// `sum(rate(a[5m])) + sum(b)` gives `b`. Such a query adds a cumulative value (or a sample)
/// to an amount over the range, whatever the range is.
pub(crate) fn instant_beside_range(query: &str) -> Option<String> {
    let expr = parse(query)?;
    let mut found = Selectors::default();
    found.visit(&expr);
    found.range.then_some(found.instant?)
}

/// A function giving a rate per second and one giving a count over the range, when `query`
/// calls both (`rate` and `increase`): the events it counts then have no single unit.
pub(crate) fn mixed_units(query: &str) -> Option<(String, String)> {
    let called = called_functions(&parse(query)?);
    let find = |names: &[&str]| {
        called
            .iter()
            .find(|name| names.contains(&name.as_str()))
            .cloned()
    };
    Some((
        find(&PromSli::PER_SECOND_FUNCTIONS)?,
        find(&PromSli::COUNTING_FUNCTIONS)?,
    ))
}

/// True when `query` reads counters (through `rate()`, `increase()` or no function at all)
/// rather than gauges of counts summed over time (`sum_over_time()`, `count_over_time()`).
pub(crate) fn reads_counters(query: &str) -> bool {
    parse(query).is_none_or(|expr| {
        !called_functions(&expr)
            .iter()
            .any(|name| name.ends_with("_over_time"))
    })
}

/// The names of the functions `expr` calls, outermost first.
fn called_functions(expr: &Expr) -> Vec<String> {
    let mut names = Vec::new();
    let mut pending = vec![expr];
    while let Some(expr) = pending.pop() {
        match expr {
            Expr::Call(call) => {
                names.push(call.func.name.to_owned());
                pending.extend(call.args.args.iter().map(|arg| &**arg));
            }
            Expr::Aggregate(aggregate) => {
                pending.push(&aggregate.expr);
                pending.extend(aggregate.param.as_deref());
            }
            Expr::Binary(binary) => pending.extend([&*binary.lhs, &*binary.rhs]),
            Expr::Paren(paren) => pending.push(&paren.expr),
            Expr::Unary(unary) => pending.push(&unary.expr),
            Expr::Subquery(subquery) => pending.push(&subquery.expr),
            _ => {}
        }
    }
    names
}

#[derive(Default)]
struct Selectors {
    range: bool,
    instant: Option<String>,
}

impl Selectors {
    fn visit(&mut self, expr: &Expr) {
        match expr {
            Expr::VectorSelector(selector) => {
                self.instant.get_or_insert_with(|| selector.to_string());
            }
            Expr::MatrixSelector(_) | Expr::Subquery(_) => self.range = true,
            Expr::Aggregate(aggregate) => {
                self.visit(&aggregate.expr);
                if let Some(param) = &aggregate.param {
                    self.visit(param);
                }
            }
            Expr::Binary(binary) => {
                self.visit(&binary.lhs);
                self.visit(&binary.rhs);
            }
            Expr::Paren(paren) => self.visit(&paren.expr),
            Expr::Unary(unary) => self.visit(&unary.expr),
            Expr::Call(call) => call.args.args.iter().for_each(|arg| self.visit(arg)),
            _ => {}
        }
    }
}

/// The query parsed with the placeholder (however spaced) set to a range.
fn parse(query: &str) -> Option<Expr> {
    let query = crate::promql::normalise_window(query);
    parser::parse(&query.replace(PromSli::WINDOW, "5m")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groupings_are_found_where_they_shape_the_result() {
        let by = r#"sum(rate(e_total{code=~"5.."}[{{.window}}])) by (namespace)"#;
        assert_eq!(grouping(by).as_deref(), Some("by (namespace)"));
        let route = "sum by (route) (rate(e_total[5m])) / sum by (route) (rate(t_total[5m]))";
        assert_eq!(grouping(route).as_deref(), Some("by (route)"));
        let without = "sum without (pod) (rate(e_total[5m]))";
        assert_eq!(grouping(without).as_deref(), Some("without (pod)"));
        let spaced = "sum by (job) (rate(x[{{ .window }}]))";
        assert_eq!(grouping(spaced).as_deref(), Some("by (job)"));
        let nested = "avg_over_time((sum by (job) (up))[{{.window}}:])";
        assert_eq!(grouping(nested).as_deref(), Some("by (job)"));
        // The quantile of a histogram reads the buckets' `le`: only other labels group.
        let quantile = "histogram_quantile(0.99, sum(rate(x_bucket[5m])) by (le))";
        assert_eq!(grouping(quantile), None);
        let quantile = "histogram_quantile(0.99, sum by (le, job) (rate(x_bucket[5m])))";
        assert_eq!(grouping(quantile).as_deref(), Some("by (job)"));
        // A grouping inside an aggregation without one is summed by the query itself.
        assert_eq!(grouping("sum(max by (pod) (x))"), None);
        assert_eq!(grouping("sum by () (rate(x[5m]))"), None);
        assert_eq!(grouping("sum(rate(x[{{.window}}]))"), None);
        assert_eq!(grouping("sum(rate(x[5m])"), None);
    }

    #[test]
    fn rates_beside_counts_are_found() {
        let mixed = "sum(rate(a[{{.window}}])) + sum(increase(b[{{ .window }}]))";
        assert_eq!(
            mixed_units(mixed),
            Some(("rate".to_owned(), "increase".to_owned()))
        );
        let over_time = "sum(irate(a[5m])) / sum(sum_over_time(b[5m]))";
        assert_eq!(
            mixed_units(over_time),
            Some(("irate".to_owned(), "sum_over_time".to_owned()))
        );
        assert_eq!(mixed_units("sum(rate(a[5m])) + sum(rate(b[5m]))"), None);
        assert_eq!(mixed_units("sum(increase(a[5m]))"), None);
        // A function name inside a label value is text.
        assert_eq!(mixed_units(r#"sum(rate(a{path="increase(x)"}[5m]))"#), None);
    }

    #[test]
    fn counters_are_told_from_gauges() {
        assert!(reads_counters("sum(rate(a[5m])) + sum(b)"));
        assert!(reads_counters("sum(increase(a[5m]))"));
        assert!(!reads_counters("sum(count_over_time(a[5m])) + sum(b)"));
    }

    #[test]
    fn instant_selectors_beside_ranges_are_found() {
        assert_eq!(
            instant_beside_range("sum(rate(ok_total[5m])) + sum(ok2_total)").as_deref(),
            Some("ok2_total")
        );
        assert_eq!(
            instant_beside_range(r#"rate(a[5m]) * on() group_left b{job="x"}"#).as_deref(),
            Some(r#"b{job="x"}"#)
        );
        assert_eq!(
            instant_beside_range("sum(rate(a[5m])) + sum(rate(b[5m]))"),
            None
        );
        assert_eq!(instant_beside_range("sum(a) + sum(b)"), None);
        assert_eq!(
            instant_beside_range("sum(rate(a[5m])) or on() vector(0)"),
            None
        );
    }
}
