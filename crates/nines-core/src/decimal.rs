//! Exact decimal percentages: objectives, slice targets and budget shares.
//!
//! `99.9` is kept as the digits `999` and one decimal place, so that its error budget is exactly
//! 1/1000 and it prints back as the user wrote it. Floats only appear when a ratio is finally
//! computed, from integers, in one correctly rounded division.

use std::fmt;
use std::str::FromStr;

/// The most decimal places a percentage may have.
const MAX_SCALE: u32 = 12;

/// A non-negative decimal number such as `99.95`, kept exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    digits: u64,
    scale: u32,
}

/// Why a decimal could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not a plain decimal number.
    #[error("`{0}` is not a decimal number such as 99.9")]
    Syntax(String),
    /// Too many decimal places to be kept exactly.
    #[error("`{0}` has more than {MAX_SCALE} decimal places")]
    TooPrecise(String),
}

impl Decimal {
    /// The decimal `digits / 10^scale`.
    pub const fn from_parts(digits: u64, scale: u32) -> Self {
        Decimal { digits, scale }
    }

    /// The digits without the decimal point (`999` for `99.9`).
    pub fn digits(self) -> u64 {
        self.digits
    }

    /// How many digits stand after the decimal point (`1` for `99.9`).
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// `10^scale`: the value is `digits / unit`.
    pub fn unit(self) -> u64 {
        10u64.pow(self.scale)
    }

    /// The nearest float.
    pub fn to_f64(self) -> f64 {
        self.digits as f64 / self.unit() as f64
    }

    /// True when the value is zero.
    pub fn is_zero(self) -> bool {
        self.digits == 0
    }

    /// The same value without trailing zeros after the point: `0.10` → `0.1`.
    pub fn normalized(self) -> Self {
        let (mut digits, mut scale) = (self.digits, self.scale);
        while scale > 0 && digits % 10 == 0 {
            digits /= 10;
            scale -= 1;
        }
        Decimal { digits, scale }
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || DecimalError::Syntax(text.to_owned());
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(syntax());
        }
        if text.ends_with('.') {
            return Err(syntax());
        }
        // Trailing zeros carry no value: `99.90` is `99.9`.
        let fraction = fraction.trim_end_matches('0');
        let scale = u32::try_from(fraction.len()).map_err(|_| syntax())?;
        if scale > MAX_SCALE {
            return Err(DecimalError::TooPrecise(text.to_owned()));
        }
        let digits = format!("{whole}{fraction}")
            .parse::<u64>()
            .map_err(|_| syntax())?;
        Ok(Decimal { digits, scale })
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.unit();
        let (whole, fraction) = (self.digits / unit, self.digits % unit);
        if self.scale == 0 {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{fraction:0width$}", width = self.scale as usize)
        }
    }
}

/// An SLO objective in percent, strictly between 0 and 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Objective(Decimal);

/// Why an objective is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectiveError {
    /// Not a decimal.
    #[error(transparent)]
    Decimal(#[from] DecimalError),
    /// 100 % leaves nothing to spend.
    #[error("an objective of 100 % leaves no error budget")]
    Hundred,
    /// Outside (0, 100).
    #[error("an objective must lie strictly between 0 and 100, not {0}")]
    OutOfRange(String),
}

impl ObjectiveError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ObjectiveError::Decimal(_) => "write the objective in percent, such as 99.9",
            ObjectiveError::Hundred => "use 99.99 or similar",
            ObjectiveError::OutOfRange(_) => "write the objective in percent, such as 99.9",
        }
    }
}

impl FromStr for Objective {
    type Err = ObjectiveError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = text.trim().trim_end_matches('%').trim_end();
        // A negative number is a number, only out of range.
        if number
            .strip_prefix('-')
            .is_some_and(|n| n.parse::<Decimal>().is_ok())
        {
            return Err(ObjectiveError::OutOfRange(text.to_owned()));
        }
        let value: Decimal = number.parse()?;
        let hundred = 100 * value.unit();
        if value.digits == hundred {
            return Err(ObjectiveError::Hundred);
        }
        if value.is_zero() || value.digits > hundred {
            return Err(ObjectiveError::OutOfRange(text.to_owned()));
        }
        Ok(Objective(value))
    }
}

impl Objective {
    /// The percentage as written.
    pub fn percent(self) -> Decimal {
        self.0
    }

    /// The objective as a ratio in (0, 1): `99.9` → `0.999`.
    pub fn ratio(self) -> f64 {
        self.0.digits as f64 / self.denominator() as f64
    }

    /// The error budget as a ratio: `99.9` → exactly `1/1000`, as the nearest float.
    pub fn error_budget(self) -> f64 {
        self.budget_numerator() as f64 / self.denominator() as f64
    }

    /// How many bad events the objective allows among `valid`: `(1 - objective) × valid`,
    /// multiplied before dividing so that round figures stay exact.
    pub fn allowed_bad(self, valid: f64) -> f64 {
        valid * self.budget_numerator() as f64 / self.denominator() as f64
    }

    /// The burn rate of `bad` among `valid`: error ratio / error budget; `None` when
    /// `valid` is zero (no data is not a burn rate of zero).
    pub fn burn_rate(self, bad: f64, valid: f64) -> Option<f64> {
        if valid > 0.0 {
            Some(bad * self.denominator() as f64 / (valid * self.budget_numerator() as f64))
        } else {
            None
        }
    }

    /// The objective as an exact decimal ratio, for text that others parse: `99.9` → `0.999`.
    pub fn ratio_decimal(self) -> Decimal {
        Decimal::from_parts(self.0.digits, self.0.scale + 2).normalized()
    }

    /// The error budget as an exact decimal ratio: `99.9` → `0.001`, never the float
    /// `1 - 0.999`.
    pub fn error_budget_decimal(self) -> Decimal {
        Decimal::from_parts(self.budget_numerator(), self.0.scale + 2).normalized()
    }

    /// The numerator of the budget ratio over [`Objective::denominator`].
    fn budget_numerator(self) -> u64 {
        self.denominator() - self.0.digits
    }

    /// `100 × 10^scale`: the ratio is `digits / denominator`.
    fn denominator(self) -> u64 {
        100 * self.0.unit()
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The share of good events a slice needs to count as good, in percent, in (0, 100].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SliceTarget(Decimal);

impl FromStr for SliceTarget {
    type Err = ObjectiveError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let value: Decimal = text.trim().trim_end_matches('%').trim_end().parse()?;
        if value.is_zero() || value.digits > 100 * value.unit() {
            return Err(ObjectiveError::OutOfRange(text.to_owned()));
        }
        Ok(SliceTarget(value))
    }
}

impl SliceTarget {
    /// The target as written.
    pub fn percent(self) -> Decimal {
        self.0
    }

    /// True when `good` out of `valid` meets the target, compared without rounding:
    /// `good / valid ≥ digits / (100 × 10^scale)`.
    pub fn is_met(self, good: f64, valid: f64) -> bool {
        good * (100 * self.0.unit()) as f64 >= valid * self.0.digits as f64
    }
}

impl fmt::Display for SliceTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective(text: &str) -> Objective {
        text.parse().unwrap()
    }

    #[test]
    fn objectives_print_back_as_written() {
        for text in ["99.9", "99.99", "99.999", "95", "99.95", "0.5"] {
            assert_eq!(objective(text).to_string(), text);
        }
        assert_eq!(objective("99.90").to_string(), "99.9");
    }

    #[test]
    fn objectives_are_exact() {
        // 99.9 → 999/1000, budget 1/1000; the floats are the nearest to those fractions.
        assert_eq!(objective("99.9").ratio(), 0.999);
        assert_eq!(objective("99.9").error_budget(), 0.001);
        assert_eq!(objective("99.99").ratio(), 0.9999);
        assert_eq!(objective("99.99").error_budget(), 0.0001);
        assert_eq!(objective("99.999").ratio(), 0.99999);
        assert_eq!(objective("99.999").error_budget(), 0.00001);
        // The naive float subtraction is not exact; ours must be.
        assert_ne!(1.0 - 0.999, 0.001);
    }

    #[test]
    fn ratios_print_exactly() {
        let ratios = |text: &str| {
            let objective = objective(text);
            (
                objective.ratio_decimal().to_string(),
                objective.error_budget_decimal().to_string(),
            )
        };
        assert_eq!(ratios("99.9"), ("0.999".into(), "0.001".into()));
        assert_eq!(ratios("95"), ("0.95".into(), "0.05".into()));
        assert_eq!(ratios("90"), ("0.9".into(), "0.1".into()));
        assert_eq!(ratios("99.95"), ("0.9995".into(), "0.0005".into()));
        assert_eq!(ratios("99.999"), ("0.99999".into(), "0.00001".into()));
        assert_eq!(ratios("50"), ("0.5".into(), "0.5".into()));
    }

    #[test]
    fn allowed_bad_is_exact_for_round_figures() {
        // (1 − 0.999) × 1,000,000 = 1,000 exactly.
        assert_eq!(objective("99.9").allowed_bad(1_000_000.0), 1_000.0);
        // 10 % of 100,000 = 10,000.
        assert_eq!(objective("90").allowed_bad(100_000.0), 10_000.0);
    }

    #[test]
    fn burn_rate_is_error_ratio_over_budget() {
        // (500 / 1,000,000) / 0.001 = 0.5
        assert_eq!(objective("99.9").burn_rate(500.0, 1_000_000.0), Some(0.5));
        // (180 / 12,000) / 0.001 = 15
        assert_eq!(objective("99.9").burn_rate(180.0, 12_000.0), Some(15.0));
        assert_eq!(objective("99.9").burn_rate(0.0, 0.0), None);
    }

    #[test]
    fn hundred_and_out_of_range_are_rejected() {
        assert_eq!("100".parse::<Objective>(), Err(ObjectiveError::Hundred));
        assert_eq!("100.0".parse::<Objective>(), Err(ObjectiveError::Hundred));
        assert!(matches!(
            "0".parse::<Objective>(),
            Err(ObjectiveError::OutOfRange(_))
        ));
        assert!(matches!(
            "101".parse::<Objective>(),
            Err(ObjectiveError::OutOfRange(_))
        ));
        assert_eq!(
            "-5".parse::<Objective>().unwrap_err().to_string(),
            "an objective must lie strictly between 0 and 100, not -5"
        );
        assert!(matches!(
            "1e2".parse::<Objective>(),
            Err(ObjectiveError::Decimal(_))
        ));
        assert!(matches!(
            "99.".parse::<Objective>(),
            Err(ObjectiveError::Decimal(_))
        ));
        assert_eq!(ObjectiveError::Hundred.hint(), "use 99.99 or similar");
    }

    #[test]
    fn slice_targets_allow_hundred_and_compare_exactly() {
        let target: SliceTarget = "99.9".parse().unwrap();
        assert!(target.is_met(999.0, 1000.0));
        assert!(!target.is_met(998.0, 1000.0));
        let all: SliceTarget = "100".parse().unwrap();
        assert!(all.is_met(5.0, 5.0));
        assert!(!all.is_met(4.0, 5.0));
    }
}
