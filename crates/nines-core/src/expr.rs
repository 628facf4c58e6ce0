//! Classification expressions: the typed tree that criteria compile to, and [`Predicate`], the
//! compiled form the classifier evaluates for every event.
//!
//! `nines-spec` checks CEL text and builds a [`BoolExpr`]; [`Predicate::new`] folds constants
//! and turns the common shapes (a field against a constant, a field in a constant list, a prefix
//! test on a field) into flat tests, so that [`Predicate::matches`] neither allocates nor hashes.
//!
//! Absent fields follow three-valued logic: any comparison or operation on an absent value is
//! absent, `!absent` is absent, `absent && false` is false, `absent || true` is true, and a
//! predicate whose result is absent does not match.

use std::cmp::Ordering;
use std::fmt;

use regex::Regex;

use crate::event::{Event, Field, Value};

/// A comparison between two values of the same type (ints and doubles compare as numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written in an expression.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator that gives the same answer with its operands swapped (`a < b` is `b > a`).
    pub fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Eq | CmpOp::Ne => self,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
        }
    }

    /// Whether the operator holds for two values that compare as `ordering`; `None` is the
    /// answer for NaN, which is unequal to everything.
    #[inline]
    fn holds(self, ordering: Option<Ordering>) -> bool {
        Accept::of(self).partial(ordering)
    }
}

/// The orderings for which a comparison holds, as bits (less, equal, greater, unordered), so
/// that testing one is a shift rather than a branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Accept(u8);

impl Accept {
    const UNORDERED: u8 = 0b1000;

    #[inline]
    fn of(op: CmpOp) -> Accept {
        Accept(match op {
            CmpOp::Eq => 0b0010,
            CmpOp::Ne => 0b1101,
            CmpOp::Lt => 0b0001,
            CmpOp::Le => 0b0011,
            CmpOp::Gt => 0b0100,
            CmpOp::Ge => 0b0110,
        })
    }

    #[inline]
    fn ordered(self, ordering: Ordering) -> bool {
        (self.0 >> (ordering as i8 + 1)) & 1 == 1
    }

    #[inline]
    fn partial(self, ordering: Option<Ordering>) -> bool {
        match ordering {
            Some(ordering) => self.ordered(ordering),
            None => self.0 & Accept::UNORDERED != 0,
        }
    }
}

/// An arithmetic operator on numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`: division by zero is absent.
    Div,
    /// `%`: a zero divisor is absent.
    Rem,
}

impl ArithOp {
    /// The operator as written in an expression.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }

    /// Integer arithmetic; overflow and a zero divisor give absent rather than wrap or panic.
    #[inline]
    fn int(self, a: i64, b: i64) -> Option<i64> {
        match self {
            ArithOp::Add => a.checked_add(b),
            ArithOp::Sub => a.checked_sub(b),
            ArithOp::Mul => a.checked_mul(b),
            ArithOp::Div => a.checked_div(b),
            ArithOp::Rem => a.checked_rem(b),
        }
    }

    /// Float arithmetic; a zero divisor gives absent, like the integer case, not infinity.
    #[inline]
    fn double(self, a: f64, b: f64) -> Option<f64> {
        match self {
            ArithOp::Add => Some(a + b),
            ArithOp::Sub => Some(a - b),
            ArithOp::Mul => Some(a * b),
            ArithOp::Div | ArithOp::Rem if b == 0.0 => None,
            ArithOp::Div => Some(a / b),
            ArithOp::Rem => Some(a % b),
        }
    }
}

/// A test of one string against another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrOp {
    /// `s.startsWith(t)`
    StartsWith,
    /// `s.endsWith(t)`
    EndsWith,
    /// `s.contains(t)`
    Contains,
}

impl StrOp {
    /// The method name in an expression.
    pub fn name(self) -> &'static str {
        match self {
            StrOp::StartsWith => "startsWith",
            StrOp::EndsWith => "endsWith",
            StrOp::Contains => "contains",
        }
    }
}

/// A regular expression for `matches`, compiled once. It matches anywhere in the string unless
/// anchored, as in CEL.
#[derive(Debug, Clone)]
pub struct Pattern(Regex);

/// A regular expression that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression: {message}")]
pub struct PatternError {
    /// What the regex compiler said.
    pub message: String,
}

impl Pattern {
    /// Compiles `pattern` (Rust `regex` syntax, close to RE2 which CEL uses).
    ///
    /// # Errors
    ///
    /// [`PatternError`] when the pattern does not parse or is too large.
    pub fn new(pattern: &str) -> Result<Pattern, PatternError> {
        Regex::new(pattern)
            .map(Pattern)
            .map_err(|error| PatternError {
                message: error.to_string(),
            })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.as_str() == other.as_str()
    }
}

/// A boolean expression: what a criterion compiles to.
#[derive(Debug, Clone, PartialEq)]
pub enum BoolExpr {
    /// `true` or `false`.
    Const(bool),
    /// A boolean field.
    Field(Field),
    /// `has(field)`: whether the event carries the field.
    Has(Field),
    /// `!a`
    Not(Box<BoolExpr>),
    /// `a && b && ...`
    And(Vec<BoolExpr>),
    /// `a || b || ...`
    Or(Vec<BoolExpr>),
    /// `c ? a : b`
    Cond(Box<BoolExpr>, Box<BoolExpr>, Box<BoolExpr>),
    /// A comparison of booleans (`false < true`).
    CompareBool(CmpOp, Box<BoolExpr>, Box<BoolExpr>),
    /// A comparison of ints.
    CompareInt(CmpOp, Box<IntExpr>, Box<IntExpr>),
    /// A comparison of doubles (ints converted).
    CompareDouble(CmpOp, Box<DoubleExpr>, Box<DoubleExpr>),
    /// A comparison of strings, byte-wise.
    CompareStr(CmpOp, Box<StrExpr>, Box<StrExpr>),
    /// `i in [1, 2, 3]`
    InInt(Box<IntExpr>, Vec<i64>),
    /// `d in [0.5, 1.0]`
    InDouble(Box<DoubleExpr>, Vec<f64>),
    /// `s in ["GET", "POST"]`
    InStr(Box<StrExpr>, Vec<String>),
    /// `s.startsWith(t)`, `s.endsWith(t)`, `s.contains(t)`
    Str(StrOp, Box<StrExpr>, Box<StrExpr>),
    /// `s.matches(pattern)`
    Matches(Box<StrExpr>, Pattern),
}

/// An integer expression.
#[derive(Debug, Clone, PartialEq)]
pub enum IntExpr {
    /// A literal.
    Const(i64),
    /// An int field.
    Field(Field),
    /// `-a`
    Neg(Box<IntExpr>),
    /// `a + b` and the other operators.
    Arith(ArithOp, Box<IntExpr>, Box<IntExpr>),
    /// `size(s)`: the number of Unicode code points.
    Size(Box<StrExpr>),
    /// `c ? a : b`
    Cond(Box<BoolExpr>, Box<IntExpr>, Box<IntExpr>),
}

/// A floating-point expression.
#[derive(Debug, Clone, PartialEq)]
pub enum DoubleExpr {
    /// A literal.
    Const(f64),
    /// A double field.
    Field(Field),
    /// An int expression used where a double is expected (`latency < 1`).
    FromInt(Box<IntExpr>),
    /// `-a`
    Neg(Box<DoubleExpr>),
    /// `a * b` and the other operators.
    Arith(ArithOp, Box<DoubleExpr>, Box<DoubleExpr>),
    /// `c ? a : b`
    Cond(Box<BoolExpr>, Box<DoubleExpr>, Box<DoubleExpr>),
}

/// A string expression.
#[derive(Debug, Clone, PartialEq)]
pub enum StrExpr {
    /// A literal.
    Const(String),
    /// A string field.
    Field(Field),
    /// `s.lowerAscii()`
    LowerAscii(Box<StrExpr>),
    /// `c ? a : b`
    Cond(Box<BoolExpr>, Box<StrExpr>, Box<StrExpr>),
}

/// A compiled boolean predicate over events, with the text it was compiled from.
#[derive(Clone)]
pub struct Predicate {
    root: Pred,
    fields: Vec<Field>,
    source: String,
}

impl Predicate {
    /// Compiles `expr`, written as `source`, into its evaluated form: constants folded, common
    /// shapes flattened.
    pub fn new(expr: &BoolExpr, source: impl Into<String>) -> Predicate {
        let root = Pred::lower(expr);
        let mut fields = Vec::new();
        root.collect_fields(&mut fields);
        Predicate {
            root,
            fields,
            source: source.into(),
        }
    }

    /// The predicate that every event matches.
    pub fn always() -> Predicate {
        Predicate::new(&BoolExpr::Const(true), "true")
    }

    /// Whether `event` matches; an absent result does not.
    #[inline]
    pub fn matches(&self, event: &Event<'_>) -> bool {
        self.root.eval_leaf(event) == Some(true)
    }

    /// Whether every event matches, so that a caller may skip evaluating it.
    pub fn is_always(&self) -> bool {
        matches!(self.root, Pred::Const(Some(true)))
    }

    /// The fields the predicate reads, each once, so that readers may skip parsing the others.
    pub fn fields(&self) -> Vec<Field> {
        self.fields.clone()
    }

    /// The text the predicate was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl fmt::Debug for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Predicate").field(&self.source).finish()
    }
}

/// The evaluated form of a [`BoolExpr`]. `None` is absent throughout.
#[derive(Debug, Clone)]
enum Pred {
    Const(Option<bool>),
    Field(Field),
    Has(Field),
    /// An int field against constants (`status >= 500`, `status in [502, 503]`): the
    /// commonest shape, kept apart so that its evaluation is a few instructions.
    IntTest(IntTest),
    /// A string or double field against constants.
    Test(FieldTest),
    Not(Box<Pred>),
    And(Box<[Pred]>),
    Or(Box<[Pred]>),
    Cond(Box<(Pred, Pred, Pred)>),
    CompareBool(CmpOp, Box<(Pred, Pred)>),
    CompareInt(CmpOp, Box<(Int, Int)>),
    CompareDouble(CmpOp, Box<(Double, Double)>),
    CompareStr(CmpOp, Box<(Text, Text)>),
    InInt(Box<Int>, IntSet),
    InDouble(Box<Double>, Box<[f64]>),
    InStr(Box<Text>, Box<[Box<str>]>),
    Str(StrOp, Box<(Text, Text)>),
    Matches(Box<Text>, Regex),
}

/// An int field tested against constants. `negate` absorbs a `!` around the test, which is
/// exact in three-valued logic because an absent answer stays absent either way.
#[derive(Debug, Clone)]
struct IntTest {
    field: Field,
    check: IntCheck,
    negate: bool,
}

#[derive(Debug, Clone)]
enum IntCheck {
    Compare(Accept, i64),
    In(IntSet),
}

/// A string or double field tested against constants; `lower` reads a string field as
/// `field.lowerAscii()`, and `negate` is as in [`IntTest`].
#[derive(Debug, Clone)]
struct FieldTest {
    field: Field,
    lower: bool,
    test: Test,
    negate: bool,
}

#[derive(Debug, Clone)]
enum Test {
    Double(Accept, f64),
    StrEq(Box<str>),
    StrOrder(Accept, Box<str>),
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    Contains(Box<str>),
    InStr(Box<[Box<str>]>),
    Matches(Regex),
}

#[derive(Debug, Clone)]
enum Int {
    Const(Option<i64>),
    Field(Field),
    Neg(Box<Int>),
    Arith(ArithOp, Box<(Int, Int)>),
    Size(Box<Text>),
    Cond(Box<(Pred, Int, Int)>),
}

#[derive(Debug, Clone)]
enum Double {
    Const(Option<f64>),
    Field(Field),
    FromInt(Box<Int>),
    Neg(Box<Double>),
    Arith(ArithOp, Box<(Double, Double)>),
    Cond(Box<(Pred, Double, Double)>),
}

#[derive(Debug, Clone)]
enum Text {
    Const(Option<Box<str>>),
    Field(Field),
    LowerAscii(Box<Text>),
    Cond(Box<(Pred, Text, Text)>),
}

/// A constant set of ints: a bitmap when the values are small and non-negative (status codes),
/// a sorted list otherwise.
#[derive(Debug, Clone)]
enum IntSet {
    Bits(Box<[u64]>),
    Sorted(Box<[i64]>),
}

/// Values up to this bound go in a bitmap: 128 bytes covers every HTTP status.
const BITMAP_BOUND: i64 = 1024;

impl IntSet {
    fn new(values: &[i64]) -> IntSet {
        if values.iter().all(|v| (0..BITMAP_BOUND).contains(v)) {
            let top = values.iter().copied().max().unwrap_or(0);
            let mut bits = vec![0u64; usize::try_from(top / 64 + 1).unwrap_or(1)];
            for &v in values {
                bits[(v / 64) as usize] |= 1 << (v % 64);
            }
            IntSet::Bits(bits.into())
        } else {
            let mut sorted = values.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            IntSet::Sorted(sorted.into())
        }
    }

    #[inline]
    fn contains(&self, value: i64) -> bool {
        match self {
            IntSet::Bits(bits) => usize::try_from(value).is_ok_and(|v| {
                bits.get(v / 64)
                    .is_some_and(|word| word >> (v % 64) & 1 == 1)
            }),
            IntSet::Sorted(sorted) => sorted.binary_search(&value).is_ok(),
        }
    }
}

/// A string as an expression sees it: borrowed, and lowered (ASCII) lazily, byte by byte, so
/// that `lowerAscii()` costs no allocation.
#[derive(Debug, Clone, Copy)]
struct View<'a> {
    text: &'a str,
    lower: bool,
}

impl<'a> View<'a> {
    fn raw(text: &'a str) -> View<'a> {
        View { text, lower: false }
    }

    fn bytes(self) -> impl Iterator<Item = u8> + 'a {
        let lower = self.lower;
        self.text
            .bytes()
            .map(move |b| if lower { b.to_ascii_lowercase() } else { b })
    }

    /// Equality with a constant, which is never lowered (constants are folded).
    #[inline]
    fn eq(self, other: &str) -> bool {
        if self.lower {
            return self.text.len() == other.len() && self.eq_at(0, View::raw(other));
        }
        bytes_eq(self.text.as_bytes(), other.as_bytes())
    }

    /// Byte-wise equality of `self` at `at` with all of `other`.
    #[inline(always)]
    fn eq_at(self, at: usize, other: View<'_>) -> bool {
        let Some(part) = self.text.as_bytes().get(at..at + other.text.len()) else {
            return false;
        };
        if !self.lower && !other.lower {
            return bytes_eq(part, other.text.as_bytes());
        }
        folded_eq(part, self.lower, other.text.as_bytes(), other.lower)
    }

    fn cmp(self, other: View<'_>) -> Ordering {
        if !self.lower && !other.lower {
            return self.text.cmp(other.text);
        }
        self.bytes().cmp(other.bytes())
    }

    #[inline]
    fn test(self, op: StrOp, other: View<'_>) -> bool {
        let (len, other_len) = (self.text.len(), other.text.len());
        match op {
            StrOp::StartsWith => self.eq_at(0, other),
            StrOp::EndsWith => len >= other_len && self.eq_at(len - other_len, other),
            StrOp::Contains => self.contains(other),
        }
    }

    #[inline(never)]
    fn contains(self, other: View<'_>) -> bool {
        if !self.lower && !other.lower {
            return self.text.contains(other.text);
        }
        let last = self.text.len().saturating_sub(other.text.len());
        (0..=last).any(|at| self.eq_at(at, other))
    }

    #[inline]
    fn is_in(self, list: &[Box<str>]) -> bool {
        list.iter().any(|item| self.eq(item))
    }

    #[inline(never)]
    fn matches(self, regex: &Regex) -> bool {
        if self.lower {
            // Regexes want contiguous text: this rare shape pays for one allocation.
            return regex.is_match(&self.text.to_ascii_lowercase());
        }
        regex.is_match(self.text)
    }
}

/// Equality of byte strings of one length, each lowered (ASCII) if asked.
#[inline(never)]
fn folded_eq(a: &[u8], lower_a: bool, b: &[u8], lower_b: bool) -> bool {
    let fold = |b: u8, lower: bool| if lower { b.to_ascii_lowercase() } else { b };
    (a.iter().zip(b)).all(|(&a, &b)| fold(a, lower_a) == fold(b, lower_b))
}

/// Equality of short byte strings in a few word compares rather than a call to `memcmp`:
/// criteria compare with constants like `GET` and `/health`.
#[inline(always)]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Two loads that overlap in the middle cover every length between one word and two.
    match n {
        0 => true,
        1 => a[0] == b[0],
        2..4 => word::<2>(a, 0) == word::<2>(b, 0) && word::<2>(a, n - 2) == word::<2>(b, n - 2),
        4..8 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        8..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        _ => a == b,
    }
}

/// The `N` bytes of `bytes` at `at`; callers keep `at + N` within bounds.
#[inline(always)]
fn word<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut word = [0; N];
    word.copy_from_slice(&bytes[at..at + N]);
    word
}

fn box_str(text: &str) -> Box<str> {
    text.into()
}

/// `not` in three-valued logic.
#[inline]
fn not(value: Option<bool>) -> Option<bool> {
    value.map(|b| !b)
}

// Evaluation: one method per node type, each a single match. `None` means absent.

impl Pred {
    /// A field test in line, without a call; anything else through [`Pred::eval`]. Used where
    /// a predicate starts and for the terms of `&&` and `||`, where field tests are most.
    #[inline(always)]
    fn eval_leaf(&self, event: &Event<'_>) -> Option<bool> {
        match self {
            Pred::IntTest(test) => test.eval(event),
            Pred::Test(test) => test.eval(event),
            other => other.eval(event),
        }
    }

    /// The shapes most criteria are made of; the rest are evaluated out of line, which keeps
    /// this function's stack frame, paid for on every call, small.
    #[inline]
    fn eval(&self, event: &Event<'_>) -> Option<bool> {
        match self {
            Pred::IntTest(test) => test.eval(event),
            Pred::Test(test) => test.eval(event),
            Pred::Not(inner) => not(inner.eval(event)),
            Pred::And(terms) => and(terms, event),
            Pred::Or(terms) => or(terms, event),
            Pred::Const(value) => *value,
            other => other.eval_general(event),
        }
    }

    #[inline(never)]
    fn eval_general(&self, event: &Event<'_>) -> Option<bool> {
        match self {
            Pred::Const(value) => *value,
            Pred::IntTest(test) => test.eval(event),
            Pred::Test(test) => test.eval(event),
            Pred::Not(inner) => not(inner.eval(event)),
            Pred::And(terms) => and(terms, event),
            Pred::Or(terms) => or(terms, event),
            Pred::Field(field) => match event.get(*field) {
                Value::Bool(b) => Some(b),
                _ => None,
            },
            Pred::Has(field) => Some(event.get(*field) != Value::Null),
            Pred::Cond(parts) => match parts.0.eval(event)? {
                true => parts.1.eval(event),
                false => parts.2.eval(event),
            },
            Pred::CompareBool(op, pair) => compare(*op, pair.0.eval(event)?, pair.1.eval(event)?),
            Pred::CompareInt(op, pair) => compare(*op, pair.0.eval(event)?, pair.1.eval(event)?),
            Pred::CompareDouble(op, pair) => {
                let (a, b) = (pair.0.eval(event)?, pair.1.eval(event)?);
                Some(op.holds(a.partial_cmp(&b)))
            }
            Pred::CompareStr(op, pair) => {
                let (a, b) = (pair.0.eval(event)?, pair.1.eval(event)?);
                Some(op.holds(Some(a.cmp(b))))
            }
            Pred::InInt(value, set) => Some(set.contains(value.eval(event)?)),
            Pred::InDouble(value, list) => {
                let value = value.eval(event)?;
                Some(list.contains(&value))
            }
            Pred::InStr(value, list) => Some(value.eval(event)?.is_in(list)),
            Pred::Str(op, pair) => Some(pair.0.eval(event)?.test(*op, pair.1.eval(event)?)),
            Pred::Matches(value, regex) => Some(value.eval(event)?.matches(regex)),
        }
    }
}

#[inline]
fn compare<T: Ord>(op: CmpOp, a: T, b: T) -> Option<bool> {
    Some(op.holds(Some(a.cmp(&b))))
}

/// `&&` over terms: false wins over absent, absent over true.
#[inline]
fn and(terms: &[Pred], event: &Event<'_>) -> Option<bool> {
    let mut result = Some(true);
    for term in terms {
        match term.eval_leaf(event) {
            Some(true) => {}
            Some(false) => return Some(false),
            None => result = None,
        }
    }
    result
}

/// `||` over terms: true wins over absent, absent over false.
#[inline]
fn or(terms: &[Pred], event: &Event<'_>) -> Option<bool> {
    let mut result = Some(false);
    for term in terms {
        match term.eval_leaf(event) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => result = None,
        }
    }
    result
}

impl IntTest {
    #[inline]
    fn eval(&self, event: &Event<'_>) -> Option<bool> {
        let Value::Int(value) = event.get(self.field) else {
            return None;
        };
        let result = match &self.check {
            IntCheck::Compare(accept, k) => accept.ordered(value.cmp(k)),
            IntCheck::In(set) => set.contains(value),
        };
        Some(result != self.negate)
    }
}

impl FieldTest {
    /// One dispatch on the test, then one on the field: each test reads its field itself.
    #[inline]
    fn eval(&self, event: &Event<'_>) -> Option<bool> {
        let result = match &self.test {
            Test::Double(accept, k) => match event.get(self.field) {
                Value::Double(v) => accept.partial(v.partial_cmp(k)),
                Value::Int(v) => accept.partial((v as f64).partial_cmp(k)),
                _ => return None,
            },
            Test::StrEq(k) => self.text(event)?.eq(k),
            Test::StrOrder(accept, k) => accept.ordered(self.text(event)?.cmp(View::raw(k))),
            Test::StartsWith(k) => self.text(event)?.eq_at(0, View::raw(k)),
            Test::EndsWith(k) => self.text(event)?.test(StrOp::EndsWith, View::raw(k)),
            Test::Contains(k) => self.text(event)?.contains(View::raw(k)),
            Test::InStr(list) => self.text(event)?.is_in(list),
            Test::Matches(regex) => self.text(event)?.matches(regex),
        };
        Some(result != self.negate)
    }

    #[inline(always)]
    fn text<'a>(&self, event: &Event<'a>) -> Option<View<'a>> {
        match event.get(self.field) {
            Value::Str(text) => Some(View {
                text,
                lower: self.lower,
            }),
            _ => None,
        }
    }
}

impl Int {
    #[inline]
    fn eval(&self, event: &Event<'_>) -> Option<i64> {
        match self {
            Int::Const(value) => *value,
            Int::Field(field) => match event.get(*field) {
                Value::Int(v) => Some(v),
                _ => None,
            },
            Int::Neg(inner) => inner.eval(event)?.checked_neg(),
            Int::Arith(op, pair) => op.int(pair.0.eval(event)?, pair.1.eval(event)?),
            Int::Size(text) => i64::try_from(text.eval(event)?.text.chars().count()).ok(),
            Int::Cond(parts) => match parts.0.eval(event)? {
                true => parts.1.eval(event),
                false => parts.2.eval(event),
            },
        }
    }
}

impl Double {
    #[inline]
    fn eval(&self, event: &Event<'_>) -> Option<f64> {
        match self {
            Double::Const(value) => *value,
            Double::Field(field) => match event.get(*field) {
                Value::Double(v) => Some(v),
                Value::Int(v) => Some(v as f64),
                _ => None,
            },
            Double::FromInt(inner) => inner.eval(event).map(|v| v as f64),
            Double::Neg(inner) => inner.eval(event).map(|v| -v),
            Double::Arith(op, pair) => op.double(pair.0.eval(event)?, pair.1.eval(event)?),
            Double::Cond(parts) => match parts.0.eval(event)? {
                true => parts.1.eval(event),
                false => parts.2.eval(event),
            },
        }
    }
}

impl Text {
    #[inline]
    fn eval<'a>(&'a self, event: &Event<'a>) -> Option<View<'a>> {
        match self {
            Text::Const(value) => value.as_deref().map(View::raw),
            Text::Field(field) => match event.get(*field) {
                Value::Str(v) => Some(View::raw(v)),
                _ => None,
            },
            Text::LowerAscii(inner) => inner.eval(event).map(|view| View {
                lower: true,
                ..view
            }),
            Text::Cond(parts) => match parts.0.eval(event)? {
                true => parts.1.eval(event),
                false => parts.2.eval(event),
            },
        }
    }
}

// Lowering: the public tree into the evaluated form. Every node whose operands are all
// constants is evaluated once, here, against an event without fields; strict nodes with an
// absent constant operand are absent.

/// An event without fields, to evaluate constant nodes, which read none.
fn no_event() -> Event<'static> {
    Event::at(0)
}

impl Pred {
    fn lower(expr: &BoolExpr) -> Pred {
        let pred = match expr {
            BoolExpr::Const(value) => Pred::Const(Some(*value)),
            BoolExpr::Field(field) => Pred::Field(*field),
            BoolExpr::Has(field) => Pred::Has(*field),
            BoolExpr::Not(inner) => return lower_not(Pred::lower(inner)),
            BoolExpr::And(terms) => return lower_and(terms),
            BoolExpr::Or(terms) => return lower_or(terms),
            BoolExpr::Cond(c, a, b) => return lower_cond(c, a, b),
            BoolExpr::CompareBool(op, a, b) => {
                Pred::CompareBool(*op, Box::new((Pred::lower(a), Pred::lower(b))))
            }
            BoolExpr::CompareInt(op, a, b) => lower_compare_int(*op, Int::lower(a), Int::lower(b)),
            BoolExpr::CompareDouble(op, a, b) => {
                lower_compare_double(*op, Double::lower(a), Double::lower(b))
            }
            BoolExpr::CompareStr(op, a, b) => {
                lower_compare_str(*op, Text::lower(a), Text::lower(b))
            }
            BoolExpr::InInt(value, list) => lower_in_int(Int::lower(value), list),
            BoolExpr::InDouble(value, list) => {
                Pred::InDouble(Box::new(Double::lower(value)), list.as_slice().into())
            }
            BoolExpr::InStr(value, list) => lower_in_str(Text::lower(value), list),
            BoolExpr::Str(op, a, b) => lower_str(*op, Text::lower(a), Text::lower(b)),
            BoolExpr::Matches(value, pattern) => lower_matches(Text::lower(value), &pattern.0),
        };
        pred.fold()
    }

    /// The node itself when it reads the event; its value when it does not.
    fn fold(self) -> Pred {
        match self.operands() {
            Operands::Fields => self,
            Operands::Absent => Pred::Const(None),
            Operands::Constants => Pred::Const(self.eval(&no_event())),
        }
    }

    /// What the operands of a strict node are; non-strict nodes fold themselves.
    fn operands(&self) -> Operands {
        match self {
            Pred::CompareBool(_, pair) => Operands::of_preds(&[&pair.0, &pair.1]),
            Pred::CompareInt(_, pair) => Operands::of_ints(&[&pair.0, &pair.1]),
            Pred::CompareDouble(_, pair) => Operands::of_doubles(&[&pair.0, &pair.1]),
            Pred::CompareStr(_, pair) | Pred::Str(_, pair) => {
                Operands::of_texts(&[&pair.0, &pair.1])
            }
            Pred::InInt(value, _) => Operands::of_ints(&[value]),
            Pred::InDouble(value, _) => Operands::of_doubles(&[value]),
            Pred::InStr(value, _) | Pred::Matches(value, _) => Operands::of_texts(&[value]),
            _ => Operands::Fields,
        }
    }

    fn collect_fields(&self, fields: &mut Vec<Field>) {
        match self {
            Pred::Const(_) => {}
            Pred::Field(field) | Pred::Has(field) => add_field(fields, *field),
            Pred::IntTest(test) => add_field(fields, test.field),
            Pred::Test(test) => add_field(fields, test.field),
            Pred::Not(inner) => inner.collect_fields(fields),
            Pred::And(terms) | Pred::Or(terms) => {
                terms.iter().for_each(|term| term.collect_fields(fields));
            }
            Pred::Cond(parts) => {
                parts.0.collect_fields(fields);
                parts.1.collect_fields(fields);
                parts.2.collect_fields(fields);
            }
            Pred::CompareBool(_, pair) => {
                pair.0.collect_fields(fields);
                pair.1.collect_fields(fields);
            }
            Pred::CompareInt(_, pair) => {
                pair.0.collect_fields(fields);
                pair.1.collect_fields(fields);
            }
            Pred::CompareDouble(_, pair) => {
                pair.0.collect_fields(fields);
                pair.1.collect_fields(fields);
            }
            Pred::CompareStr(_, pair) | Pred::Str(_, pair) => {
                pair.0.collect_fields(fields);
                pair.1.collect_fields(fields);
            }
            Pred::InInt(value, _) => value.collect_fields(fields),
            Pred::InDouble(value, _) => value.collect_fields(fields),
            Pred::InStr(value, _) | Pred::Matches(value, _) => value.collect_fields(fields),
        }
    }
}

fn add_field(fields: &mut Vec<Field>, field: Field) {
    if !fields.contains(&field) {
        fields.push(field);
    }
}

/// What a node's operands are, for folding.
enum Operands {
    /// At least one reads the event.
    Fields,
    /// All are constants.
    Constants,
    /// One is the absent constant, so a strict node is absent.
    Absent,
}

impl Operands {
    fn from_consts(consts: impl IntoIterator<Item = Option<bool>>) -> Operands {
        let mut result = Operands::Constants;
        for present in consts {
            match present {
                Some(false) => return Operands::Absent,
                None => result = Operands::Fields,
                Some(true) => {}
            }
        }
        result
    }

    // Each helper maps an operand to: not constant (None), absent constant (Some(false)),
    // present constant (Some(true)).

    fn of_preds(operands: &[&Pred]) -> Operands {
        Operands::from_consts(operands.iter().map(|p| match p {
            Pred::Const(value) => Some(value.is_some()),
            _ => None,
        }))
    }

    fn of_ints(operands: &[&Int]) -> Operands {
        Operands::from_consts(operands.iter().map(|p| match p {
            Int::Const(value) => Some(value.is_some()),
            _ => None,
        }))
    }

    fn of_doubles(operands: &[&Double]) -> Operands {
        Operands::from_consts(operands.iter().map(|p| match p {
            Double::Const(value) => Some(value.is_some()),
            _ => None,
        }))
    }

    fn of_texts(operands: &[&Text]) -> Operands {
        Operands::from_consts(operands.iter().map(|p| match p {
            Text::Const(value) => Some(value.is_some()),
            _ => None,
        }))
    }
}

fn lower_not(inner: Pred) -> Pred {
    match inner {
        Pred::Const(value) => Pred::Const(not(value)),
        Pred::Not(inner) => *inner,
        Pred::IntTest(test) => Pred::IntTest(IntTest {
            negate: !test.negate,
            ..test
        }),
        Pred::Test(test) => Pred::Test(FieldTest {
            negate: !test.negate,
            ..test
        }),
        inner => Pred::Not(Box::new(inner)),
    }
}

fn lower_and(terms: &[BoolExpr]) -> Pred {
    let mut kept = Vec::with_capacity(terms.len());
    for term in terms.iter().map(Pred::lower) {
        match term {
            Pred::Const(Some(true)) => {}
            Pred::Const(Some(false)) => return Pred::Const(Some(false)),
            Pred::And(inner) => kept.extend(inner),
            term => kept.push(term),
        }
    }
    junction(kept, Pred::And, true)
}

fn lower_or(terms: &[BoolExpr]) -> Pred {
    let mut kept = Vec::with_capacity(terms.len());
    for term in terms.iter().map(Pred::lower) {
        match term {
            Pred::Const(Some(false)) => {}
            Pred::Const(Some(true)) => return Pred::Const(Some(true)),
            Pred::Or(inner) => kept.extend(inner),
            term => kept.push(term),
        }
    }
    junction(kept, Pred::Or, false)
}

/// The `&&` or `||` of the terms left after folding; `empty` is its value with none left.
fn junction(mut kept: Vec<Pred>, make: fn(Box<[Pred]>) -> Pred, empty: bool) -> Pred {
    // Absent constants matter only once; several are no different from one.
    let mut seen_absent = false;
    kept.retain(|term| {
        !matches!(term, Pred::Const(None)) || !std::mem::replace(&mut seen_absent, true)
    });
    match kept.len() {
        0 => Pred::Const(Some(empty)),
        1 => kept.pop().unwrap_or(Pred::Const(Some(empty))),
        _ => make(kept.into()),
    }
}

fn lower_cond(c: &BoolExpr, a: &BoolExpr, b: &BoolExpr) -> Pred {
    match Pred::lower(c) {
        Pred::Const(Some(true)) => Pred::lower(a),
        Pred::Const(Some(false)) => Pred::lower(b),
        Pred::Const(None) => Pred::Const(None),
        c => Pred::Cond(Box::new((c, Pred::lower(a), Pred::lower(b)))),
    }
}

fn lower_compare_int(op: CmpOp, a: Int, b: Int) -> Pred {
    match (a, b) {
        (Int::Field(field), Int::Const(Some(k))) => {
            int_test(field, IntCheck::Compare(Accept::of(op), k))
        }
        (Int::Const(Some(k)), Int::Field(field)) => {
            int_test(field, IntCheck::Compare(Accept::of(op.swapped()), k))
        }
        (a, b) => Pred::CompareInt(op, Box::new((a, b))),
    }
}

fn lower_compare_double(op: CmpOp, a: Double, b: Double) -> Pred {
    match (a.as_field(), b.as_field(), &a, &b) {
        (Some(field), None, _, Double::Const(Some(k))) => {
            field_test(field, false, Test::Double(Accept::of(op), *k))
        }
        (None, Some(field), Double::Const(Some(k)), _) => {
            field_test(field, false, Test::Double(Accept::of(op.swapped()), *k))
        }
        _ => Pred::CompareDouble(op, Box::new((a, b))),
    }
}

fn lower_compare_str(op: CmpOp, a: Text, b: Text) -> Pred {
    let (op, (field, lower), k) = match (a.as_field(), b.as_field(), a, b) {
        (Some(field), None, _, Text::Const(Some(k))) => (op, field, k),
        (None, Some(field), Text::Const(Some(k)), _) => (op.swapped(), field, k),
        (_, _, a, b) => return Pred::CompareStr(op, Box::new((a, b))),
    };
    match op {
        CmpOp::Eq => field_test(field, lower, Test::StrEq(k)),
        CmpOp::Ne => lower_not(field_test(field, lower, Test::StrEq(k))),
        _ => field_test(field, lower, Test::StrOrder(Accept::of(op), k)),
    }
}

fn lower_in_int(value: Int, list: &[i64]) -> Pred {
    match value {
        Int::Field(field) => int_test(field, IntCheck::In(IntSet::new(list))),
        value => Pred::InInt(Box::new(value), IntSet::new(list)),
    }
}

fn lower_in_str(value: Text, list: &[String]) -> Pred {
    let list: Box<[Box<str>]> = list.iter().map(|item| box_str(item)).collect();
    match value.as_field() {
        Some((field, lower)) => field_test(field, lower, Test::InStr(list)),
        None => Pred::InStr(Box::new(value), list),
    }
}

fn lower_str(op: StrOp, a: Text, b: Text) -> Pred {
    match (a.as_field(), b) {
        (Some((field, lower)), Text::Const(Some(k))) => {
            let test = match op {
                StrOp::StartsWith => Test::StartsWith(k),
                StrOp::EndsWith => Test::EndsWith(k),
                StrOp::Contains => Test::Contains(k),
            };
            field_test(field, lower, test)
        }
        (_, b) => Pred::Str(op, Box::new((a, b))),
    }
}

fn lower_matches(value: Text, regex: &Regex) -> Pred {
    match value.as_field() {
        Some((field, lower)) => field_test(field, lower, Test::Matches(regex.clone())),
        None => Pred::Matches(Box::new(value), regex.clone()),
    }
}

fn int_test(field: Field, check: IntCheck) -> Pred {
    Pred::IntTest(IntTest {
        field,
        check,
        negate: false,
    })
}

fn field_test(field: Field, lower: bool, test: Test) -> Pred {
    Pred::Test(FieldTest {
        field,
        lower,
        test,
        negate: false,
    })
}

impl Int {
    fn lower(expr: &IntExpr) -> Int {
        let int = match expr {
            IntExpr::Const(value) => return Int::Const(Some(*value)),
            IntExpr::Field(field) => return Int::Field(*field),
            IntExpr::Neg(inner) => Int::Neg(Box::new(Int::lower(inner))),
            IntExpr::Arith(op, a, b) => Int::Arith(*op, Box::new((Int::lower(a), Int::lower(b)))),
            IntExpr::Size(text) => Int::Size(Box::new(Text::lower(text))),
            IntExpr::Cond(c, a, b) => match Pred::lower(c) {
                Pred::Const(Some(true)) => return Int::lower(a),
                Pred::Const(Some(false)) => return Int::lower(b),
                Pred::Const(None) => return Int::Const(None),
                c => return Int::Cond(Box::new((c, Int::lower(a), Int::lower(b)))),
            },
        };
        let operands = match &int {
            Int::Neg(inner) => Operands::of_ints(&[inner]),
            Int::Arith(_, pair) => Operands::of_ints(&[&pair.0, &pair.1]),
            Int::Size(text) => Operands::of_texts(&[text]),
            _ => Operands::Fields,
        };
        match operands {
            Operands::Fields => int,
            Operands::Absent => Int::Const(None),
            Operands::Constants => Int::Const(int.eval(&no_event())),
        }
    }

    fn collect_fields(&self, fields: &mut Vec<Field>) {
        match self {
            Int::Const(_) => {}
            Int::Field(field) => add_field(fields, *field),
            Int::Neg(inner) => inner.collect_fields(fields),
            Int::Arith(_, pair) => {
                pair.0.collect_fields(fields);
                pair.1.collect_fields(fields);
            }
            Int::Size(text) => text.collect_fields(fields),
            Int::Cond(parts) => {
                parts.0.collect_fields(fields);
                parts.1.collect_fields(fields);
                parts.2.collect_fields(fields);
            }
        }
    }
}

impl Double {
    fn lower(expr: &DoubleExpr) -> Double {
        let double = match expr {
            DoubleExpr::Const(value) => return Double::Const(Some(*value)),
            DoubleExpr::Field(field) => return Double::Field(*field),
            DoubleExpr::FromInt(inner) => match Int::lower(inner) {
                Int::Const(value) => return Double::Const(value.map(|v| v as f64)),
                inner => return Double::FromInt(Box::new(inner)),
            },
            DoubleExpr::Neg(inner) => Double::Neg(Box::new(Double::lower(inner))),
            DoubleExpr::Arith(op, a, b) => {
                Double::Arith(*op, Box::new((Double::lower(a), Double::lower(b))))
            }
            DoubleExpr::Cond(c, a, b) => match Pred::lower(c) {
                Pred::Const(Some(true)) => return Double::lower(a),
                Pred::Const(Some(false)) => return Double::lower(b),
                Pred::Const(None) => return Double::Const(None),
                c => return Double::Cond(Box::new((c, Double::lower(a), Double::lower(b)))),
            },
        };
        let operands = match &double {
            Double::Neg(inner) => Operands::of_doubles(&[inner]),
            Double::Arith(_, pair) => Operands::of_doubles(&[&pair.0, &pair.1]),
            _ => Operands::Fields,
        };
        match operands {
            Operands::Fields => double,
            Operands::Absent => Double::Const(None),
            Operands::Constants => Double::Const(double.eval(&no_event())),
        }
    }

    /// The field this reads directly, an int field converted included.
    fn as_field(&self) -> Option<Field> {
        match self {
            Double::Field(field) => Some(*field),
            Double::FromInt(inner) => match **inner {
                Int::Field(field) => Some(field),
                _ => None,
            },
            _ => None,
        }
    }

    fn collect_fields(&self, fields: &mut Vec<Field>) {
        match self {
            Double::Const(_) => {}
            Double::Field(field) => add_field(fields, *field),
            Double::FromInt(inner) => inner.collect_fields(fields),
            Double::Neg(inner) => inner.collect_fields(fields),
            Double::Arith(_, pair) => {
                pair.0.collect_fields(fields);
                pair.1.collect_fields(fields);
            }
            Double::Cond(parts) => {
                parts.0.collect_fields(fields);
                parts.1.collect_fields(fields);
                parts.2.collect_fields(fields);
            }
        }
    }
}

impl Text {
    fn lower(expr: &StrExpr) -> Text {
        match expr {
            StrExpr::Const(value) => Text::Const(Some(box_str(value))),
            StrExpr::Field(field) => Text::Field(*field),
            StrExpr::LowerAscii(inner) => match Text::lower(inner) {
                Text::Const(value) => Text::Const(value.map(|v| box_str(&v.to_ascii_lowercase()))),
                lowered @ Text::LowerAscii(_) => lowered,
                inner => Text::LowerAscii(Box::new(inner)),
            },
            StrExpr::Cond(c, a, b) => match Pred::lower(c) {
                Pred::Const(Some(true)) => Text::lower(a),
                Pred::Const(Some(false)) => Text::lower(b),
                Pred::Const(None) => Text::Const(None),
                c => Text::Cond(Box::new((c, Text::lower(a), Text::lower(b)))),
            },
        }
    }

    /// The field this reads directly, and whether it lowers it.
    fn as_field(&self) -> Option<(Field, bool)> {
        match self {
            Text::Field(field) => Some((*field, false)),
            Text::LowerAscii(inner) => match **inner {
                Text::Field(field) => Some((field, true)),
                _ => None,
            },
            _ => None,
        }
    }

    fn collect_fields(&self, fields: &mut Vec<Field>) {
        match self {
            Text::Const(_) => {}
            Text::Field(field) => add_field(fields, *field),
            Text::LowerAscii(inner) => inner.collect_fields(fields),
            Text::Cond(parts) => {
                parts.0.collect_fields(fields);
                parts.1.collect_fields(fields);
                parts.2.collect_fields(fields);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(field: Field) -> Box<IntExpr> {
        Box::new(IntExpr::Field(field))
    }

    fn k(value: i64) -> Box<IntExpr> {
        Box::new(IntExpr::Const(value))
    }

    fn text(field: Field) -> Box<StrExpr> {
        Box::new(StrExpr::Field(field))
    }

    fn s(value: &str) -> Box<StrExpr> {
        Box::new(StrExpr::Const(value.to_owned()))
    }

    fn status(op: CmpOp, value: i64) -> BoolExpr {
        BoolExpr::CompareInt(op, int(Field::Status), k(value))
    }

    fn not(expr: BoolExpr) -> BoolExpr {
        BoolExpr::Not(Box::new(expr))
    }

    /// The three-valued result for `event`: `None` is absent.
    fn eval(expr: &BoolExpr, event: &Event<'_>) -> Option<bool> {
        Predicate::new(expr, "test").root.eval(event)
    }

    fn with_status(status: i64) -> Event<'static> {
        Event {
            status: Some(status),
            ..Event::at(0)
        }
    }

    fn request(method: &'static str, path: &'static str) -> Event<'static> {
        Event {
            method: Some(method),
            path: Some(path),
            ..Event::at(0)
        }
    }

    #[test]
    fn int_comparisons_hold_as_written_and_swapped() {
        use CmpOp::*;
        let event = with_status(500);
        let cases = [
            (Eq, true),
            (Ne, false),
            (Lt, false),
            (Le, true),
            (Gt, false),
            (Ge, true),
        ];
        for (op, expected) in cases {
            assert_eq!(
                eval(&status(op, 500), &event),
                Some(expected),
                "status {op:?} 500"
            );
            // 500 op status is status op.swapped() 500.
            let swapped = BoolExpr::CompareInt(op.swapped(), k(500), int(Field::Status));
            assert_eq!(eval(&swapped, &event), Some(expected), "500 {op:?}' status");
        }
        assert_eq!(eval(&status(Gt, 499), &event), Some(true));
        assert_eq!(eval(&status(Lt, 499), &event), Some(false));
    }

    #[test]
    fn ints_and_doubles_compare_as_numbers() {
        let latency = Box::new(DoubleExpr::Field(Field::Latency));
        let one = Box::new(DoubleExpr::FromInt(k(1)));
        let fast = BoolExpr::CompareDouble(CmpOp::Lt, latency, one);
        let event = |latency| Event {
            latency: Some(latency),
            ..Event::at(0)
        };
        assert_eq!(eval(&fast, &event(0.25)), Some(true));
        assert_eq!(eval(&fast, &event(1.0)), Some(false));
        let status = Box::new(DoubleExpr::FromInt(int(Field::Status)));
        let half = Box::new(DoubleExpr::Const(499.5));
        let above = BoolExpr::CompareDouble(CmpOp::Gt, status, half);
        assert_eq!(eval(&above, &with_status(500)), Some(true));
        assert_eq!(eval(&above, &with_status(499)), Some(false));
    }

    #[test]
    fn nan_is_unequal_to_everything() {
        let nan = Box::new(DoubleExpr::Field(Field::Latency));
        let event = Event {
            latency: Some(f64::NAN),
            ..Event::at(0)
        };
        let zero = || Box::new(DoubleExpr::Const(0.0));
        let eq = BoolExpr::CompareDouble(CmpOp::Eq, nan.clone(), zero());
        let ne = BoolExpr::CompareDouble(CmpOp::Ne, nan.clone(), zero());
        let ge = BoolExpr::CompareDouble(CmpOp::Ge, nan, zero());
        assert_eq!(eval(&eq, &event), Some(false));
        assert_eq!(eval(&ne, &event), Some(true));
        assert_eq!(eval(&ge, &event), Some(false));
        assert_eq!(eval(&not(ge), &event), Some(true));
    }

    #[test]
    fn strings_compare_byte_wise_and_test_parts() {
        let event = request("GET", "/api/users");
        let path = || text(Field::Path);
        let cases = [
            (
                BoolExpr::CompareStr(CmpOp::Eq, path(), s("/api/users")),
                true,
            ),
            (BoolExpr::CompareStr(CmpOp::Lt, path(), s("/b")), true),
            (BoolExpr::CompareStr(CmpOp::Gt, s("/b"), path()), true),
            (BoolExpr::Str(StrOp::StartsWith, path(), s("/api")), true),
            (
                BoolExpr::Str(StrOp::StartsWith, path(), s("/health")),
                false,
            ),
            (BoolExpr::Str(StrOp::EndsWith, path(), s("users")), true),
            (BoolExpr::Str(StrOp::Contains, path(), s("i/u")), true),
            (BoolExpr::Str(StrOp::Contains, path(), s("x")), false),
            (
                BoolExpr::Str(StrOp::Contains, s("/api/users/7"), path()),
                true,
            ),
        ];
        for (expr, expected) in cases {
            assert_eq!(eval(&expr, &event), Some(expected), "{expr:?}");
        }
    }

    #[test]
    fn matches_finds_the_pattern_anywhere_unless_anchored() {
        let event = request("GET", "/api/users/42");
        let matches = |pattern| {
            let pattern = Pattern::new(pattern).expect("valid pattern");
            eval(&BoolExpr::Matches(text(Field::Path), pattern), &event)
        };
        assert_eq!(matches(r"/\d+$"), Some(true));
        assert_eq!(matches(r"^/users"), Some(false));
        assert!(Pattern::new("(").is_err());
    }

    #[test]
    fn in_tests_membership_of_constant_lists() {
        let codes = |list: Vec<i64>| BoolExpr::InInt(int(Field::Status), list);
        assert_eq!(
            eval(&codes(vec![502, 503, 504]), &with_status(503)),
            Some(true)
        );
        assert_eq!(
            eval(&codes(vec![502, 503, 504]), &with_status(500)),
            Some(false)
        );
        assert_eq!(
            eval(&codes(vec![502, 503, 504]), &with_status(-1)),
            Some(false)
        );
        assert_eq!(
            eval(&codes(vec![502, 503, 504]), &with_status(99_999)),
            Some(false)
        );
        // A negative or large member needs the sorted list rather than the bitmap.
        assert_eq!(
            eval(&codes(vec![-1, 70_000]), &with_status(70_000)),
            Some(true)
        );
        assert_eq!(eval(&codes(vec![-1, 70_000]), &with_status(-1)), Some(true));
        assert_eq!(eval(&codes(vec![-1, 70_000]), &with_status(0)), Some(false));
        assert_eq!(eval(&codes(vec![]), &with_status(200)), Some(false));

        let methods = BoolExpr::InStr(text(Field::Method), vec!["GET".into(), "POST".into()]);
        assert_eq!(eval(&methods, &request("POST", "/")), Some(true));
        assert_eq!(eval(&methods, &request("PUT", "/")), Some(false));

        let latency = Box::new(DoubleExpr::Field(Field::Latency));
        let slow = BoolExpr::InDouble(latency, vec![0.5, 1.0]);
        let event = Event {
            latency: Some(1.0),
            ..Event::at(0)
        };
        assert_eq!(eval(&slow, &event), Some(true));
    }

    #[test]
    fn has_tells_whether_the_event_carries_a_field() {
        let has = BoolExpr::Has(Field::User);
        let with_user = Event {
            user: Some("ann"),
            ..Event::at(0)
        };
        assert_eq!(eval(&has, &with_user), Some(true));
        assert_eq!(eval(&has, &Event::at(0)), Some(false));
        assert_eq!(eval(&not(has), &Event::at(0)), Some(true));
    }

    #[test]
    fn operations_on_absent_values_are_absent_and_do_not_match() {
        let absent = Event::at(0);
        let exprs = [
            status(CmpOp::Ge, 500),
            not(status(CmpOp::Ge, 500)),
            BoolExpr::InInt(int(Field::Status), vec![500]),
            BoolExpr::Str(StrOp::StartsWith, text(Field::Path), s("/")),
            not(BoolExpr::Str(StrOp::StartsWith, text(Field::Path), s("/"))),
            BoolExpr::CompareStr(CmpOp::Ne, text(Field::Path), s("/")),
            BoolExpr::Field(Field::Custom(0)),
            BoolExpr::CompareInt(CmpOp::Eq, Box::new(IntExpr::Size(text(Field::Path))), k(0)),
        ];
        for expr in exprs {
            assert_eq!(eval(&expr, &absent), None, "{expr:?}");
            assert!(!Predicate::new(&expr, "test").matches(&absent), "{expr:?}");
        }
    }

    #[test]
    fn and_or_follow_three_valued_logic() {
        let absent = || status(CmpOp::Eq, 500);
        let event = Event::at(0);
        let and = |b| BoolExpr::And(vec![absent(), BoolExpr::Const(b)]);
        let or = |b| BoolExpr::Or(vec![absent(), BoolExpr::Const(b)]);
        assert_eq!(eval(&and(false), &event), Some(false));
        assert_eq!(eval(&and(true), &event), None);
        assert_eq!(eval(&or(true), &event), Some(true));
        assert_eq!(eval(&or(false), &event), None);
        assert_eq!(eval(&not(and(true)), &event), None);

        // The same with the known side read from the event rather than folded.
        let method_is_get = || BoolExpr::InStr(text(Field::Method), vec!["GET".into()]);
        let get = request("GET", "/");
        let put = request("PUT", "/");
        let both = BoolExpr::And(vec![absent(), method_is_get()]);
        let either = BoolExpr::Or(vec![absent(), method_is_get()]);
        assert_eq!(eval(&both, &put), Some(false));
        assert_eq!(eval(&both, &get), None);
        assert_eq!(eval(&either, &get), Some(true));
        assert_eq!(eval(&either, &put), None);
    }

    #[test]
    fn a_conditional_with_an_absent_condition_is_absent() {
        let cond = BoolExpr::Cond(
            Box::new(status(CmpOp::Ge, 500)),
            Box::new(BoolExpr::Const(true)),
            Box::new(BoolExpr::Const(false)),
        );
        assert_eq!(eval(&cond, &with_status(503)), Some(true));
        assert_eq!(eval(&cond, &with_status(200)), Some(false));
        assert_eq!(eval(&cond, &Event::at(0)), None);
        let pick = IntExpr::Cond(Box::new(BoolExpr::Has(Field::Size)), int(Field::Size), k(0));
        let small = BoolExpr::CompareInt(CmpOp::Lt, Box::new(pick), k(10));
        assert_eq!(eval(&small, &Event::at(0)), Some(true));
    }

    #[test]
    fn division_by_zero_and_overflow_are_absent() {
        let arith = |op, a, b| Box::new(IntExpr::Arith(op, a, b));
        let cases = [
            arith(ArithOp::Div, int(Field::Status), k(0)),
            arith(ArithOp::Rem, int(Field::Status), k(0)),
            arith(ArithOp::Add, int(Field::Status), k(i64::MAX)),
            arith(ArithOp::Mul, int(Field::Status), k(i64::MAX)),
            arith(ArithOp::Sub, k(i64::MIN), int(Field::Status)),
            Box::new(IntExpr::Neg(arith(ArithOp::Sub, k(i64::MIN), k(0)))),
        ];
        for value in cases {
            let expr = BoolExpr::CompareInt(CmpOp::Ne, value, k(0));
            assert_eq!(eval(&expr, &with_status(2)), None, "{expr:?}");
            assert_eq!(eval(&not(expr), &with_status(2)), None);
        }
        let seconds = Box::new(DoubleExpr::Field(Field::Latency));
        let zero = Box::new(DoubleExpr::Const(0.0));
        let ratio = Box::new(DoubleExpr::Arith(ArithOp::Div, seconds, zero));
        let expr = BoolExpr::CompareDouble(CmpOp::Gt, ratio, Box::new(DoubleExpr::Const(1.0)));
        let event = Event {
            latency: Some(2.0),
            ..Event::at(0)
        };
        assert_eq!(eval(&expr, &event), None);
    }

    #[test]
    fn arithmetic_computes() {
        // 503 % 100 == 3, 503 / 100 == 5, -(503 - 3) * 2 == -1000
        let arith = |op, a, b| Box::new(IntExpr::Arith(op, a, b));
        let event = with_status(503);
        let rem = BoolExpr::CompareInt(
            CmpOp::Eq,
            arith(ArithOp::Rem, int(Field::Status), k(100)),
            k(3),
        );
        let div = BoolExpr::CompareInt(
            CmpOp::Eq,
            arith(ArithOp::Div, int(Field::Status), k(100)),
            k(5),
        );
        let neg = Box::new(IntExpr::Neg(arith(ArithOp::Sub, int(Field::Status), k(3))));
        let mul = BoolExpr::CompareInt(CmpOp::Eq, arith(ArithOp::Mul, neg, k(2)), k(-1000));
        for expr in [rem, div, mul] {
            assert_eq!(eval(&expr, &event), Some(true), "{expr:?}");
        }
        // latency * 1000 > 250 with latency 0.3 s: 300 > 250.
        let millis = DoubleExpr::Arith(
            ArithOp::Mul,
            Box::new(DoubleExpr::Field(Field::Latency)),
            Box::new(DoubleExpr::FromInt(k(1000))),
        );
        let slow = BoolExpr::CompareDouble(
            CmpOp::Gt,
            Box::new(millis),
            Box::new(DoubleExpr::Const(250.0)),
        );
        let event = Event {
            latency: Some(0.3),
            ..Event::at(0)
        };
        assert_eq!(eval(&slow, &event), Some(true));
    }

    #[test]
    fn lower_ascii_compares_without_allocating_a_copy() {
        let lower = || Box::new(StrExpr::LowerAscii(text(Field::Method)));
        let event = request("GeT", "/");
        let cases = [
            (BoolExpr::CompareStr(CmpOp::Eq, lower(), s("get")), true),
            (BoolExpr::CompareStr(CmpOp::Eq, lower(), s("GET")), false),
            (BoolExpr::CompareStr(CmpOp::Lt, lower(), s("gez")), true),
            (BoolExpr::Str(StrOp::StartsWith, lower(), s("ge")), true),
            (BoolExpr::Str(StrOp::EndsWith, lower(), s("et")), true),
            (BoolExpr::Str(StrOp::Contains, lower(), s("et")), true),
            (BoolExpr::Str(StrOp::Contains, lower(), s("eT")), false),
            (BoolExpr::Str(StrOp::Contains, lower(), s("gets")), false),
            (
                BoolExpr::InStr(lower(), vec!["post".into(), "get".into()]),
                true,
            ),
            (
                BoolExpr::Matches(lower(), Pattern::new("^get$").expect("valid")),
                true,
            ),
            (
                BoolExpr::CompareStr(CmpOp::Eq, lower(), Box::new(StrExpr::LowerAscii(s("GET")))),
                true,
            ),
        ];
        for (expr, expected) in cases {
            assert_eq!(eval(&expr, &event), Some(expected), "{expr:?}");
        }
    }

    #[test]
    fn size_counts_code_points() {
        let size = |of| Box::new(IntExpr::Size(of));
        let event = request("GET", "/é");
        let expr = BoolExpr::CompareInt(CmpOp::Eq, size(text(Field::Path)), k(2));
        assert_eq!(eval(&expr, &event), Some(true));
    }

    #[test]
    fn bool_fields_and_comparisons() {
        let values = [Value::Bool(true), Value::Int(3)];
        let event = Event {
            custom: &values,
            ..Event::at(0)
        };
        let flag = || Box::new(BoolExpr::Field(Field::Custom(0)));
        assert_eq!(eval(&flag(), &event), Some(true));
        let eq = BoolExpr::CompareBool(CmpOp::Eq, flag(), Box::new(BoolExpr::Const(false)));
        assert_eq!(eval(&eq, &event), Some(false));
        // A custom field holding another type than declared reads as absent.
        assert_eq!(eval(&BoolExpr::Field(Field::Custom(1)), &event), None);
        assert_eq!(eval(&BoolExpr::Has(Field::Custom(1)), &event), Some(true));
    }

    #[test]
    fn constants_fold_and_common_shapes_flatten() {
        let folded = |expr: &BoolExpr| Predicate::new(expr, "test").root;
        let three = BoolExpr::CompareInt(
            CmpOp::Eq,
            Box::new(IntExpr::Arith(ArithOp::Add, k(1), k(2))),
            k(3),
        );
        assert!(Predicate::new(&three, "1 + 2 == 3").is_always());
        let never = BoolExpr::And(vec![status(CmpOp::Ge, 500), BoolExpr::Const(false)]);
        assert!(matches!(folded(&never), Pred::Const(Some(false))));
        assert!(Predicate::new(&never, "test").fields().is_empty());
        let absent = BoolExpr::CompareInt(
            CmpOp::Eq,
            int(Field::Status),
            Box::new(IntExpr::Arith(ArithOp::Div, k(1), k(0))),
        );
        assert!(matches!(folded(&absent), Pred::Const(None)));
        let negated = not(BoolExpr::Str(
            StrOp::StartsWith,
            text(Field::Path),
            s("/health"),
        ));
        assert!(matches!(
            folded(&negated),
            Pred::Test(FieldTest { negate: true, .. })
        ));
        assert!(matches!(
            folded(&not(not(status(CmpOp::Eq, 1)))),
            Pred::IntTest(_)
        ));
        let negated = folded(&not(status(CmpOp::Lt, 500)));
        assert!(matches!(
            negated,
            Pred::IntTest(IntTest { negate: true, .. })
        ));
        let lowered = BoolExpr::CompareStr(
            CmpOp::Ne,
            Box::new(StrExpr::LowerAscii(Box::new(StrExpr::LowerAscii(text(
                Field::Method,
            ))))),
            s("get"),
        );
        let expected = FieldTest {
            field: Field::Method,
            lower: true,
            test: Test::StrEq(box_str("get")),
            negate: true,
        };
        let lowered = folded(&lowered);
        assert!(
            matches!(&lowered, Pred::Test(test) if format!("{test:?}") == format!("{expected:?}")),
            "{lowered:?}"
        );
        let nested = BoolExpr::And(vec![
            BoolExpr::And(vec![status(CmpOp::Ge, 1), BoolExpr::Has(Field::Path)]),
            BoolExpr::Const(true),
            BoolExpr::Has(Field::User),
        ]);
        assert!(matches!(folded(&nested), Pred::And(terms) if terms.len() == 3));
    }

    #[test]
    fn fields_lists_each_field_read_once() {
        let expr = BoolExpr::Or(vec![
            status(CmpOp::Ge, 500),
            BoolExpr::Has(Field::Custom(2)),
            BoolExpr::InInt(int(Field::Status), vec![429]),
            BoolExpr::Str(StrOp::Contains, text(Field::Path), text(Field::Host)),
        ]);
        let fields = Predicate::new(&expr, "test").fields();
        assert_eq!(
            fields,
            [Field::Status, Field::Custom(2), Field::Path, Field::Host]
        );
    }

    #[test]
    fn predicates_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<Predicate>();
    }

    #[test]
    fn always_matches_and_shows_its_source() {
        let always = Predicate::always();
        assert!(always.matches(&Event::at(0)));
        assert!(always.is_always());
        assert_eq!(always.to_string(), "true");
        let predicate = Predicate::new(&status(CmpOp::Ge, 500), "status >= 500");
        assert_eq!(predicate.to_string(), "status >= 500");
        assert_eq!(format!("{predicate:?}"), r#"Predicate("status >= 500")"#);
        assert!(predicate.matches(&with_status(503)));
        assert!(!predicate.matches(&with_status(200)));
    }

    /// Run with `cargo test -p nines-core --release --lib expr::tests::throughput --
    /// --ignored --nocapture`: prints nanoseconds per event for typical criteria, the best of
    /// several rounds, since other processes share the machine.
    #[test]
    #[ignore = "a measurement, meaningful only in release mode"]
    fn throughput() {
        let paths = [
            "/api/users/42",
            "/health",
            "/api/orders",
            "/healthz",
            "/static/app.js",
        ];
        let methods = ["GET", "POST", "PUT", "DELETE", "HEAD"];
        let events: Vec<Event<'static>> = (0..1024)
            .map(|i: usize| Event {
                status: Some([200, 201, 404, 500, 503][i % 5]),
                latency: Some((i % 100) as f64 / 100.0),
                method: Some(methods[i % 5]),
                path: Some(paths[(i / 5) % 5]),
                ..Event::at(0)
            })
            .collect();
        let by_hand = |event: &Event<'_>| event.status.is_some_and(|s| s >= 500);
        let (nanos, matched) = best_of(&events, by_hand);
        eprintln!("{nanos:6.2} ns/event {matched:>8} matched  status >= 500, written in Rust");
        let by_hand = |event: &Event<'_>| {
            let health = event.path.map(|path| path.starts_with("/health"));
            let read_write = event.method.map(|method| matches!(method, "GET" | "POST"));
            health == Some(false) && read_write == Some(true)
        };
        let (nanos, matched) = best_of(&events, by_hand);
        eprintln!("{nanos:6.2} ns/event {matched:>8} matched  path and method, written in Rust");
        for (source, expr) in throughput_cases() {
            let predicate = Predicate::new(&expr, source);
            let (nanos, matched) = best_of(&events, |event| predicate.matches(event));
            eprintln!("{nanos:6.2} ns/event {matched:>8} matched  {source}");
        }
    }

    /// The best time per event of several rounds of 10 million events each, and how many
    /// matched in a round.
    fn best_of(events: &[Event<'_>], mut matches: impl FnMut(&Event<'_>) -> bool) -> (f64, usize) {
        const RUNS: usize = 10_000_000;
        let mut best = (f64::INFINITY, 0);
        for _ in 0..5 {
            let start = std::time::Instant::now();
            let mut matched = 0usize;
            for event in events.iter().cycle().take(RUNS) {
                matched += usize::from(matches(std::hint::black_box(event)));
            }
            let nanos = start.elapsed().as_nanos() as f64 / RUNS as f64;
            if nanos < best.0 {
                best = (nanos, matched);
            }
        }
        best
    }

    fn throughput_cases() -> Vec<(&'static str, BoolExpr)> {
        let health = BoolExpr::Str(StrOp::StartsWith, text(Field::Path), s("/health"));
        let read_write = BoolExpr::InStr(text(Field::Method), vec!["GET".into(), "POST".into()]);
        let millis = DoubleExpr::Arith(
            ArithOp::Mul,
            Box::new(DoubleExpr::Field(Field::Latency)),
            Box::new(DoubleExpr::FromInt(k(1000))),
        );
        let lower = Box::new(StrExpr::LowerAscii(text(Field::Method)));
        vec![
            ("status >= 500", status(CmpOp::Ge, 500)),
            (
                "!(path.startsWith(\"/health\")) && method in [\"GET\",\"POST\"]",
                BoolExpr::And(vec![not(health), read_write]),
            ),
            (
                "path.startsWith(\"/health\")",
                BoolExpr::Str(StrOp::StartsWith, text(Field::Path), s("/health")),
            ),
            (
                "method in [\"GET\",\"POST\"]",
                BoolExpr::InStr(text(Field::Method), vec!["GET".into(), "POST".into()]),
            ),
            (
                "status in [500, 502, 503, 504]",
                BoolExpr::InInt(int(Field::Status), vec![500, 502, 503, 504]),
            ),
            (
                "latency * 1000 > 250",
                BoolExpr::CompareDouble(
                    CmpOp::Gt,
                    Box::new(millis),
                    Box::new(DoubleExpr::Const(250.0)),
                ),
            ),
            (
                "method.lowerAscii() == \"get\"",
                BoolExpr::CompareStr(CmpOp::Eq, lower, s("get")),
            ),
        ]
    }
}
