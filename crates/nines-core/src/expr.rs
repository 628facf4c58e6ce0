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
        match self {
            CmpOp::Eq => ordering == Some(Ordering::Equal),
            CmpOp::Ne => ordering != Some(Ordering::Equal),
            CmpOp::Lt => ordering == Some(Ordering::Less),
            CmpOp::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
            CmpOp::Gt => ordering == Some(Ordering::Greater),
            CmpOp::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
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
        self.root.eval(event) == Some(true)
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
    /// A field against constants: the shape most criteria have.
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

/// One field tested against constants; `negate` absorbs a `!` around it, which is exact in
/// three-valued logic because an absent answer stays absent either way.
#[derive(Debug, Clone)]
struct FieldTest {
    field: Field,
    test: Test,
    negate: bool,
}

#[derive(Debug, Clone)]
enum Test {
    Int(CmpOp, i64),
    Double(CmpOp, f64),
    Str(CmpOp, Box<str>),
    StrOp(StrOp, Box<str>),
    InInt(IntSet),
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

    /// Byte-wise equality of `self` at `at` with all of `other`.
    fn eq_at(self, at: usize, other: View<'_>) -> bool {
        let Some(part) = self.text.as_bytes().get(at..at + other.text.len()) else {
            return false;
        };
        part.iter().zip(other.text.as_bytes()).all(|(&a, &b)| {
            let a = if self.lower {
                a.to_ascii_lowercase()
            } else {
                a
            };
            let b = if other.lower {
                b.to_ascii_lowercase()
            } else {
                b
            };
            a == b
        })
    }

    fn cmp(self, other: View<'_>) -> Ordering {
        if !self.lower && !other.lower {
            return self.text.cmp(other.text);
        }
        self.bytes().cmp(other.bytes())
    }

    fn test(self, op: StrOp, other: View<'_>) -> bool {
        if !self.lower && !other.lower {
            return str_op(op, self.text, other.text);
        }
        let (len, other_len) = (self.text.len(), other.text.len());
        match op {
            StrOp::StartsWith => self.eq_at(0, other),
            StrOp::EndsWith => len >= other_len && self.eq_at(len - other_len, other),
            StrOp::Contains => (0..=len.saturating_sub(other_len)).any(|at| self.eq_at(at, other)),
        }
    }

    fn is_in(self, list: &[Box<str>]) -> bool {
        list.iter()
            .any(|item| self.cmp(View::raw(item)) == Ordering::Equal)
    }

    fn matches(self, regex: &Regex) -> bool {
        if self.lower {
            // Regexes want contiguous text: this rare shape pays for one allocation.
            return regex.is_match(&self.text.to_ascii_lowercase());
        }
        regex.is_match(self.text)
    }
}

#[inline]
fn str_op(op: StrOp, text: &str, other: &str) -> bool {
    match op {
        StrOp::StartsWith => text.starts_with(other),
        StrOp::EndsWith => text.ends_with(other),
        StrOp::Contains => text.contains(other),
    }
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
    #[inline]
    fn eval(&self, event: &Event<'_>) -> Option<bool> {
        match self {
            Pred::Const(value) => *value,
            Pred::Field(field) => match event.get(*field) {
                Value::Bool(b) => Some(b),
                _ => None,
            },
            Pred::Has(field) => Some(event.get(*field) != Value::Null),
            Pred::Test(test) => test.eval(event),
            Pred::Not(inner) => not(inner.eval(event)),
            Pred::And(terms) => and(terms, event),
            Pred::Or(terms) => or(terms, event),
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
        match term.eval(event) {
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
        match term.eval(event) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => result = None,
        }
    }
    result
}

impl FieldTest {
    #[inline]
    fn eval(&self, event: &Event<'_>) -> Option<bool> {
        let value = event.get(self.field);
        let result = match (&self.test, value) {
            (Test::Int(op, k), Value::Int(v)) => op.holds(Some(v.cmp(k))),
            (Test::Double(op, k), Value::Double(v)) => op.holds(v.partial_cmp(k)),
            (Test::Double(op, k), Value::Int(v)) => op.holds((v as f64).partial_cmp(k)),
            (Test::Str(op, k), Value::Str(v)) => op.holds(Some(v.cmp(k))),
            (Test::StrOp(op, k), Value::Str(v)) => str_op(*op, v, k),
            (Test::InInt(set), Value::Int(v)) => set.contains(v),
            (Test::InStr(list), Value::Str(v)) => list.iter().any(|item| **item == *v),
            (Test::Matches(regex), Value::Str(v)) => regex.is_match(v),
            _ => return None,
        };
        Some(result != self.negate)
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
        (Int::Field(field), Int::Const(Some(k))) => field_test(field, Test::Int(op, k)),
        (Int::Const(Some(k)), Int::Field(field)) => field_test(field, Test::Int(op.swapped(), k)),
        (a, b) => Pred::CompareInt(op, Box::new((a, b))),
    }
}

fn lower_compare_double(op: CmpOp, a: Double, b: Double) -> Pred {
    match (a.as_field(), b.as_field(), &a, &b) {
        (Some(field), None, _, Double::Const(Some(k))) => field_test(field, Test::Double(op, *k)),
        (None, Some(field), Double::Const(Some(k)), _) => {
            field_test(field, Test::Double(op.swapped(), *k))
        }
        _ => Pred::CompareDouble(op, Box::new((a, b))),
    }
}

fn lower_compare_str(op: CmpOp, a: Text, b: Text) -> Pred {
    match (a, b) {
        (Text::Field(field), Text::Const(Some(k))) => field_test(field, Test::Str(op, k)),
        (Text::Const(Some(k)), Text::Field(field)) => field_test(field, Test::Str(op.swapped(), k)),
        (a, b) => Pred::CompareStr(op, Box::new((a, b))),
    }
}

fn lower_in_int(value: Int, list: &[i64]) -> Pred {
    match value {
        Int::Field(field) => field_test(field, Test::InInt(IntSet::new(list))),
        value => Pred::InInt(Box::new(value), IntSet::new(list)),
    }
}

fn lower_in_str(value: Text, list: &[String]) -> Pred {
    let list: Box<[Box<str>]> = list.iter().map(|item| box_str(item)).collect();
    match value {
        Text::Field(field) => field_test(field, Test::InStr(list)),
        value => Pred::InStr(Box::new(value), list),
    }
}

fn lower_str(op: StrOp, a: Text, b: Text) -> Pred {
    match (a, b) {
        (Text::Field(field), Text::Const(Some(k))) => field_test(field, Test::StrOp(op, k)),
        (a, b) => Pred::Str(op, Box::new((a, b))),
    }
}

fn lower_matches(value: Text, regex: &Regex) -> Pred {
    match value {
        Text::Field(field) => field_test(field, Test::Matches(regex.clone())),
        value => Pred::Matches(Box::new(value), regex.clone()),
    }
}

fn field_test(field: Field, test: Test) -> Pred {
    Pred::Test(FieldTest {
        field,
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
