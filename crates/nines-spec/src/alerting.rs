//! Burn-rate alert presets and the checks every alert rule must pass.
//!
//! A rule that should fire after spending a share `s` of the budget within a long lookback `L`,
//! in a window of length `P`, uses the factor `s × P / L`. The standard set (2 %, 5 %, 10 %,
//! 10 % of the budget over 1h, 6h, 1d, 3d) gives 14.4, 6, 3 and 1 for 30 days. Other windows
//! either keep those lookbacks and rescale the factors, or keep the factors and scale the
//! lookbacks, which keeps the same shares either way.

use nines_core::decimal::{Decimal, Objective};
use nines_core::duration::Duration;
use nines_core::slo::AlertRule;
use nines_core::window::Window;

use crate::decode::Context;
use crate::node::Position;

/// A named set of alert rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The standard set, with factors for a 30-day window.
    Google30d,
    /// The standard set, with factors for a 28-day window.
    Google28d,
}

/// How a preset adapts to a window other than its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rescale {
    /// Keep the factors; scale the lookbacks with the window (rounded to whole minutes).
    #[default]
    Lookbacks,
    /// Keep the lookbacks; scale the factors with the window.
    Factors,
}

/// One rule of the standard set: severity, long and short lookback in minutes, budget share in
/// percent.
const STANDARD: [(&str, i64, i64, u64); 4] = [
    ("page", 60, 5, 2),
    ("page", 360, 30, 5),
    ("ticket", 1_440, 120, 10),
    ("ticket", 4_320, 360, 10),
];

impl Preset {
    /// The names specs use.
    pub const NAMES: [&'static str; 2] = ["google-30d", "google-28d"];

    /// The preset's name in specs.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Google30d => "google-30d",
            Preset::Google28d => "google-28d",
        }
    }

    /// Looks a preset up by name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "google-30d" => Some(Preset::Google30d),
            "google-28d" => Some(Preset::Google28d),
            _ => None,
        }
    }

    fn window(self) -> Duration {
        match self {
            Preset::Google30d => Duration::from_seconds(30 * 86_400),
            Preset::Google28d => Duration::from_seconds(28 * 86_400),
        }
    }
}

/// The rules of `preset` for `window`.
pub fn preset_rules(
    preset: Preset,
    window: &Window,
    rescale: Rescale,
    min_events: f64,
) -> Vec<AlertRule> {
    let own = preset.window();
    let target = window.nominal_length();
    STANDARD
        .iter()
        .map(|&(severity, long, short, share)| {
            let share = Decimal::from_parts(share, 0);
            let (long, short) = (Duration::from_minutes(long), Duration::from_minutes(short));
            let (long, short, factor) = if own == target || rescale == Rescale::Factors {
                (long, short, factor(share, target, long))
            } else {
                (
                    scale(long, target, own),
                    scale(short, target, own),
                    factor(share, own, long),
                )
            };
            AlertRule {
                severity: severity.to_owned(),
                long,
                short,
                factor,
                budget_share: Some(share),
                min_events,
            }
        })
        .collect()
}

/// The preset and rescaling that give exactly `rules` for `window`, if any, preferring the
/// preset made for the window's length: writers name the preset rather than list its rules.
pub(crate) fn detect_preset(rules: &[AlertRule], window: &Window) -> Option<(Preset, Rescale)> {
    let min_events = rules.first()?.min_events;
    let mut presets = [Preset::Google30d, Preset::Google28d];
    presets.sort_by_key(|preset| preset.window() != window.nominal_length());
    presets
        .into_iter()
        .flat_map(|preset| [(preset, Rescale::Lookbacks), (preset, Rescale::Factors)])
        .find(|&(preset, rescale)| preset_rules(preset, window, rescale, min_events) == rules)
}

/// The factor that spends `share` percent of the budget of `window` within `long`.
pub fn factor_for_share(share: Decimal, window: &Window, long: Duration) -> f64 {
    factor(share, window.nominal_length(), long)
}

/// `share / 100 × window / long`, as one division of exact integers.
fn factor(share: Decimal, window: Duration, long: Duration) -> f64 {
    let numerator = share.digits() as f64 * window.seconds() as f64;
    let denominator = share.unit() as f64 * 100.0 * long.seconds() as f64;
    numerator / denominator
}

/// `lookback × target / own`, rounded to whole minutes, at least one.
fn scale(lookback: Duration, target: Duration, own: Duration) -> Duration {
    let minutes = lookback.minutes() as f64 * target.seconds() as f64 / own.seconds() as f64;
    Duration::from_minutes((minutes.round() as i64).max(1))
}

/// Checks `rule` against the window and objective: short shorter than long, lookbacks within
/// the window and in whole minutes, and a factor that can be reached at all.
pub(crate) fn check_rule(
    cx: &mut Context<'_>,
    rule: &AlertRule,
    window: &Window,
    objective: Objective,
    at: Position,
) {
    let budget = objective.error_budget();
    {
        let name = format!(
            "the {} alert ({} & {})",
            rule.severity, rule.long, rule.short
        );
        if rule.short >= rule.long {
            cx.error(
                at,
                format!("{name}: the short lookback must be shorter than the long one"),
            );
        }
        if rule.long > window.nominal_length() {
            cx.error_hint(
                at,
                format!("{name}: the long lookback is longer than the {window} window"),
                "use a lookback within the window",
            );
        }
        if !rule.long.is_whole_minutes() || !rule.short.is_whole_minutes() {
            cx.error(at, format!("{name}: lookbacks must be whole minutes"));
        }
        if !(rule.factor > 0.0 && rule.factor.is_finite()) {
            cx.error_hint(
                at,
                format!(
                    "{name}: the factor must be a burn rate above 0, not {}",
                    rule.factor
                ),
                "a factor of 14.4 fires when the budget burns 14.4 times as fast as the window \
                 allows",
            );
        } else if rule.factor * budget > 1.0 {
            cx.warning(
                at,
                format!(
                    "{name} can never fire: a burn rate of {} needs an error ratio of {}, \
                     more than 100 %",
                    trim(rule.factor),
                    trim(rule.factor * budget)
                ),
                Some("lower the factor, or raise the objective".to_owned()),
            );
        }
    }
}

fn trim(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rolling(text: &str) -> Window {
        Window::Rolling(text.parse().unwrap())
    }

    fn summary(rules: &[AlertRule]) -> Vec<(String, String, f64)> {
        rules
            .iter()
            .map(|r| (r.long.to_string(), r.short.to_string(), r.factor))
            .collect()
    }

    #[test]
    fn thirty_days_gives_the_standard_factors() {
        // 2 % × 720h / 1h = 14.4; 5 % × 720h / 6h = 6; 10 % × 720h / 24h = 3; 10 % × 720 / 72 = 1
        let rules = preset_rules(Preset::Google30d, &rolling("30d"), Rescale::Lookbacks, 0.0);
        let factors: Vec<f64> = rules.iter().map(|r| r.factor).collect();
        assert_eq!(factors, vec![14.4, 6.0, 3.0, 1.0]);
    }

    #[test]
    fn twenty_eight_days_rescales_the_factors() {
        // 2 % × 672h / 1h = 13.44; 5 % × 672 / 6 = 5.6; 10 % × 672 / 24 = 2.8; 10 % × 672 / 72
        let rules = preset_rules(Preset::Google30d, &rolling("28d"), Rescale::Factors, 0.0);
        let factors: Vec<f64> = rules.iter().map(|r| r.factor).collect();
        assert_eq!(factors, vec![13.44, 5.6, 2.8, 67.2 / 72.0]);
        let own = preset_rules(Preset::Google28d, &rolling("28d"), Rescale::Lookbacks, 0.0);
        assert_eq!(summary(&own), summary(&rules));
    }

    #[test]
    fn twenty_eight_days_scales_the_lookbacks_by_default() {
        // 1h × 28/30 = 56m; 5m × 28/30 ≈ 4.67m → 5m; 6h → 336m; 30m → 28m; 1d → 1344m;
        // 2h → 112m; 3d → 4032m; 6h → 336m. The factors stay 14.4, 6, 3 and 1.
        let rules = preset_rules(Preset::Google30d, &rolling("28d"), Rescale::default(), 0.0);
        let got: Vec<(i64, i64, f64)> = rules
            .iter()
            .map(|r| (r.long.minutes(), r.short.minutes(), r.factor))
            .collect();
        assert_eq!(
            got,
            vec![
                (56, 5, 14.4),
                (336, 28, 6.0),
                (1_344, 112, 3.0),
                (4_032, 336, 1.0)
            ]
        );
        assert_eq!(rules[1].long.to_string(), "5h36m");
    }

    #[test]
    fn seven_days_keeps_the_factors_and_scales_the_lookbacks() {
        // 1h × 7/30 = 14m; 5m × 7/30 ≈ 1.17m → 1m; 6h → 84m; 30m → 7m; 1d → 336m; 2h → 28m;
        // 3d → 1008m; 6h → 84m.
        let rules = preset_rules(Preset::Google30d, &rolling("7d"), Rescale::Lookbacks, 0.0);
        let got: Vec<(i64, i64, f64)> = rules
            .iter()
            .map(|r| (r.long.minutes(), r.short.minutes(), r.factor))
            .collect();
        assert_eq!(
            got,
            vec![
                (14, 1, 14.4),
                (84, 7, 6.0),
                (336, 28, 3.0),
                (1_008, 84, 1.0)
            ]
        );
    }
}
