//! CEL classification expressions: text in, [`Predicate`] out, with every problem reported at
//! its byte offset in the text.
//!
//! The spec layer calls [`compile`] for each SLO's `valid`, `good` and `bad` criteria and
//! [`check_syntax`] where a named criterion is defined. Only the `cel` crate's parser is used;
//! type checking and lowering to [`BoolExpr`] happen here, against the fields the telemetry
//! source provides. The supported subset is what one event can answer: literals, fields,
//! logic, comparisons, arithmetic, `in` over a constant list, and a few string functions.

use std::collections::BTreeMap;

use cel::common::ast::{
    CallExpr, EntryExpr, Expr, IdedEntryExpr, IdedExpr, ListExpr, LiteralValue, SelectExpr,
    SourceInfo, operators,
};
use nines_core::event::FieldType;
use nines_core::expr::{
    ArithOp, BoolExpr, CmpOp, DoubleExpr, IntExpr, Pattern, Predicate, StrExpr, StrOp,
};
use nines_core::source::FieldDef;

/// What names an expression may use: the source's fields, then the named criteria.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The fields the telemetry source provides.
    pub fields: &'a [FieldDef],
    /// Named criteria, by name, as CEL text; a criterion may use fields and other criteria.
    pub criteria: &'a BTreeMap<String, String>,
}

impl<'a> Scope<'a> {
    /// A scope with `fields` and `criteria`.
    pub fn new(fields: &'a [FieldDef], criteria: &'a BTreeMap<String, String>) -> Scope<'a> {
        Scope { fields, criteria }
    }
}

/// A problem in an expression, at a byte range of its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub hint: Option<String>,
    /// Where the problem starts, in bytes from the start of the text.
    pub offset: usize,
    /// How many bytes it spans (0 at the end of the text).
    pub len: usize,
    /// True when the problem lies in the text of a named criterion the expression uses (a
    /// syntax error, or a cycle of criteria): the problem is reported where the criterion is
    /// defined, and a caller that checks definitions may leave it out where it is used.
    pub in_criterion_definition: bool,
}

/// Compiles `text`, a boolean CEL expression, against the names in `scope`. Criteria it uses
/// are compiled in the same scope and inlined.
///
/// # Errors
///
/// Every problem found: syntax, unknown names, type mismatches, unsupported CEL features,
/// invalid regular expressions, and criteria that do not compile or form a cycle.
pub fn compile(text: &str, scope: &Scope<'_>) -> Result<Predicate, Vec<ExprError>> {
    let mut criteria = Criteria::default();
    let expr = compile_in(text, scope, &mut criteria).map_err(|errors| {
        errors
            .into_iter()
            .map(|(error, _)| error)
            .collect::<Vec<_>>()
    })?;
    Ok(Predicate::new(&expr, text))
}

/// Checks that `text` parses as CEL, without resolving any name.
///
/// # Errors
///
/// The syntax errors, with their positions.
pub fn check_syntax(text: &str) -> Result<(), Vec<ExprError>> {
    parse(text).map(|_| ())
}

/// The names `text` uses (fields and criteria alike), each once, in order of first use; none
/// when it does not parse.
pub fn references(text: &str) -> Vec<String> {
    fn walk(node: &IdedExpr, names: &mut Vec<String>) {
        match &node.expr {
            Expr::Ident(name) if !names.contains(name) => names.push(name.clone()),
            // `has(x.y)` tests for a field; it does not use a criterion.
            Expr::Select(select) if !select.test => walk(&select.operand, names),
            Expr::Call(call) => {
                call.target.iter().for_each(|target| walk(target, names));
                call.args.iter().for_each(|arg| walk(arg, names));
            }
            Expr::List(list) => list.elements.iter().for_each(|e| walk(e, names)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    if let Ok((ast, _)) = parse(text) {
        walk(&ast, &mut names);
    }
    names
}

fn parse(text: &str) -> Result<(IdedExpr, SourceInfo), Vec<ExprError>> {
    if text.trim().is_empty() {
        return Err(vec![whole_text_error(text, "the expression is empty")]);
    }
    let parser = cel::Env::default().with_optional_support(false).parser();
    parser.parse_with_source_info(text).map_err(|errors| {
        // Past the parser's depth limit the rest of its messages are noise.
        if errors
            .errors
            .iter()
            .any(|e| e.to_string().contains("Recursion limit"))
        {
            return vec![whole_text_error(text, "the expression nests too deeply")];
        }
        (errors.errors.iter())
            .map(|error| syntax_error(text, error.pos, &error.msg))
            .collect()
    })
}

fn whole_text_error(text: &str, message: &str) -> ExprError {
    ExprError {
        message: message.to_owned(),
        hint: None,
        offset: 0,
        len: text.len(),
        in_criterion_definition: false,
    }
}

/// An error from the parser, which gives 1-based line and column (in characters).
fn syntax_error(text: &str, (line, column): (isize, isize), message: &str) -> ExprError {
    let offset = offset_of(text, line, column);
    let rest = &text[offset..];
    let len = match offending_token(message) {
        Some(token) if rest.starts_with(token) => token.len(),
        _ => rest.chars().next().map_or(0, char::len_utf8),
    };
    ExprError {
        message: tidy_syntax_message(message),
        hint: None,
        offset,
        len,
        in_criterion_definition: false,
    }
}

fn offset_of(text: &str, line: isize, column: isize) -> usize {
    let line = usize::try_from(line.max(1) - 1).unwrap_or(0);
    let column = usize::try_from(column.max(1) - 1).unwrap_or(0);
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column)
            .map_or(rest.len(), |(at, _)| at)
}

/// The token a parser message quotes: `mismatched input '&&' expecting ...`.
fn offending_token(message: &str) -> Option<&str> {
    quoted(message, "input ").or_else(|| quoted(message, "error at: "))
}

/// What the parser quotes after `marker`, up to ` expecting` or the end of the message.
fn quoted<'m>(message: &'m str, marker: &str) -> Option<&'m str> {
    let rest = &message[message.find(marker)? + marker.len()..];
    let rest = rest.strip_prefix('\'')?;
    let end =
        (rest.find("' expecting")).or_else(|| rest.ends_with('\'').then(|| rest.len() - 1))?;
    Some(&rest[..end])
}

/// The parser's messages in plain words: "an operand" rather than the list of tokens one may
/// start with, "the end" rather than `<EOF>`.
fn tidy_syntax_message(message: &str) -> String {
    let message = message.strip_prefix("Syntax error: ").unwrap_or(message);
    let expecting = message
        .find(" expecting ")
        .map(|at| &message[at + " expecting ".len()..]);
    let expecting = match expecting {
        Some(set) if set.starts_with("{'[', '{', '('") => Some("an operand".to_owned()),
        Some(set) if set.contains("'=='") => Some("an operator".to_owned()),
        Some(set) if set.matches(',').count() > 3 => None,
        other => other.map(|set| set.replace("<EOF>", "the end")),
    };
    match (offending_token(message), expecting) {
        (Some("<EOF>"), Some(expected)) => format!("the expression ends where {expected} is due"),
        (Some("<EOF>"), None) => "the expression ends too early".to_owned(),
        (Some(token), Some(expected)) => format!("unexpected `{token}`, expecting {expected}"),
        (Some(token), None) => format!("unexpected `{token}`"),
        (None, _) => message.replace("'<EOF>'", "the end"),
    }
}

/// What a criterion that does not compile looks like from where it is used.
#[derive(Debug, Clone)]
enum Failure {
    /// The criteria named form a cycle; the first and last are the same.
    Cycle(Vec<String>),
    /// The first criterion uses the others in turn, and the last has this error, a syntax
    /// error in its own text when `syntax`.
    Invalid {
        path: Vec<String>,
        message: String,
        syntax: bool,
    },
}

/// Criteria compiled so far in one [`compile`] call, and those being compiled.
#[derive(Debug, Default)]
struct Criteria {
    compiling: Vec<String>,
    done: BTreeMap<String, Result<BoolExpr, Failure>>,
}

/// Errors, each with the criterion failure behind it, if any.
type Errors = Vec<(ExprError, Option<Failure>)>;

fn compile_in(text: &str, scope: &Scope<'_>, criteria: &mut Criteria) -> Result<BoolExpr, Errors> {
    let (ast, info) =
        parse(text).map_err(|errors| errors.into_iter().map(|e| (e, None)).collect::<Errors>())?;
    let mut checker = Checker {
        text,
        info,
        scope,
        criteria,
        errors: Vec::new(),
    };
    let expr = checker.root(&ast);
    match expr {
        Some(expr) if checker.errors.is_empty() => Ok(expr),
        None if checker.errors.is_empty() => {
            // A shape the parser accepts but no check covers; say so rather than nothing.
            checker.error(&ast, "this expression is not supported".into(), None);
            Err(checker.errors)
        }
        _ => Err(checker.errors),
    }
}

/// A checked expression with its type.
#[derive(Debug, Clone)]
enum Typed {
    Bool(BoolExpr),
    Int(IntExpr),
    Double(DoubleExpr),
    Str(StrExpr),
}

impl Typed {
    /// The type's name with its article, for messages.
    fn a_type(&self) -> &'static str {
        match self {
            Typed::Bool(_) => "a bool",
            Typed::Int(_) => "an int",
            Typed::Double(_) => "a double",
            Typed::Str(_) => "a string",
        }
    }

    fn into_double(self) -> Option<DoubleExpr> {
        match self {
            Typed::Int(int) => Some(DoubleExpr::FromInt(Box::new(int))),
            Typed::Double(double) => Some(double),
            _ => None,
        }
    }

    fn is_number(&self) -> bool {
        matches!(self, Typed::Int(_) | Typed::Double(_))
    }
}

/// A constant in the list on the right of `in`.
#[derive(Debug, Clone)]
enum Constant {
    Int(i64),
    Double(f64),
    Str(String),
}

/// Checks one parsed text and lowers it; errors pile up in `errors` so that one run reports
/// them all.
struct Checker<'c> {
    text: &'c str,
    info: SourceInfo,
    scope: &'c Scope<'c>,
    criteria: &'c mut Criteria,
    errors: Errors,
}

/// The functions expressions may call, for hints.
const SUPPORTED_FUNCTIONS: &str =
    "has, size, startsWith, endsWith, contains, matches and lowerAscii";

impl Checker<'_> {
    fn root(&mut self, node: &IdedExpr) -> Option<BoolExpr> {
        let typed = self.check(node)?;
        self.condition(node, typed, "the expression")
    }

    fn check(&mut self, node: &IdedExpr) -> Option<Typed> {
        match &node.expr {
            Expr::Literal(literal) => self.literal(node, literal),
            Expr::Ident(name) => self.ident(node, name),
            Expr::Select(select) => self.select(node, select),
            Expr::Call(call) => self.call(node, call),
            Expr::List(_) => self.unsupported(
                node,
                "a list is allowed only on the right of `in`",
                Some("as in `status in [502, 503]`".into()),
            ),
            Expr::Map(_) => self.unsupported(node, "maps are not supported", None),
            Expr::Struct(_) => self.unsupported(node, "message literals are not supported", None),
            Expr::Comprehension(_) => {
                self.unsupported(node, "comprehensions are not supported", None)
            }
            // The parser has already reported what it could not parse.
            Expr::Unspecified => None,
        }
    }

    /// `typed` as a boolean, or an error saying that `what` must be one.
    fn condition(&mut self, node: &IdedExpr, typed: Typed, what: &str) -> Option<BoolExpr> {
        if let Typed::Bool(expr) = typed {
            return Some(expr);
        }
        let snippet = self.snippet(node);
        let example = match typed {
            Typed::Int(_) => format!("`{snippet} >= 500`"),
            Typed::Double(_) => format!("`{snippet} < 0.5`"),
            _ => format!("`{snippet} == \"GET\"`"),
        };
        self.error(
            node,
            format!(
                "{what} must be a condition (bool), but `{snippet}` is {}",
                typed.a_type()
            ),
            Some(format!("compare it with a value, as in {example}")),
        );
        None
    }

    fn literal(&mut self, node: &IdedExpr, literal: &LiteralValue) -> Option<Typed> {
        match literal {
            LiteralValue::Boolean(b) => Some(Typed::Bool(BoolExpr::Const(*b.inner()))),
            LiteralValue::Int(i) => Some(Typed::Int(IntExpr::Const(*i.inner()))),
            LiteralValue::UInt(u) => match i64::try_from(*u.inner()) {
                Ok(i) => Some(Typed::Int(IntExpr::Const(i))),
                Err(_) => self.unsupported(node, "this unsigned integer is too large", None),
            },
            LiteralValue::Double(d) => Some(Typed::Double(DoubleExpr::Const(*d.inner()))),
            LiteralValue::String(s) => Some(Typed::Str(StrExpr::Const(s.inner().to_owned()))),
            LiteralValue::Null => self.unsupported(
                node,
                "`null` is not supported",
                Some("test whether an event carries a field with `has(field)`".into()),
            ),
            LiteralValue::Bytes(_) => self.unsupported(node, "bytes are not supported", None),
        }
    }

    /// A field, else a criterion, else an error that suggests a near name.
    fn ident(&mut self, node: &IdedExpr, name: &str) -> Option<Typed> {
        if let Some(def) = self.field(name) {
            return Some(field_expr(def));
        }
        if let Some(text) = self.scope.criteria.get(name) {
            return self.criterion(node, name, text).map(Typed::Bool);
        }
        self.unknown(node, name);
        None
    }

    fn field(&self, name: &str) -> Option<&FieldDef> {
        self.scope.fields.iter().find(|def| def.name == name)
    }

    /// `a.b` names a field when the source has one by that dotted name.
    fn select(&mut self, node: &IdedExpr, select: &SelectExpr) -> Option<Typed> {
        let Some(name) = dotted_name(node) else {
            return self.unsupported(node, "field selection is not supported", None);
        };
        if let Some(def) = self.field(&name) {
            return Some(field_expr(def));
        }
        let root = name.split('.').next().unwrap_or_default();
        if let Some(def) = self.field(root) {
            let message = format!(
                "`{root}` is {}, which has no member `{}`",
                a_field_type(def.ty),
                select.field
            );
            self.error(node, message, None);
            return None;
        }
        self.unknown(node, &name);
        None
    }

    fn unknown(&mut self, node: &IdedExpr, name: &str) {
        let hint = match self.closest_name(name) {
            Some(near) => format!("did you mean `{near}`?"),
            None => self.names_provided(),
        };
        self.error(node, format!("unknown name `{name}`"), Some(hint));
    }

    /// The field or criterion name nearest to `name`, if one is near enough to be a typo.
    fn closest_name(&self, name: &str) -> Option<&str> {
        let fields = self.scope.fields.iter().map(|def| def.name.as_str());
        let criteria = self.scope.criteria.keys().map(String::as_str);
        fields
            .chain(criteria)
            .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
            .filter(|&(similarity, _)| similarity >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, candidate)| candidate)
    }

    fn names_provided(&self) -> String {
        let fields: Vec<String> = (self.scope.fields.iter())
            .map(|def| format!("{} ({})", def.name, def.ty))
            .collect();
        let mut hint = match fields.is_empty() {
            true => "the source provides no fields".to_owned(),
            false => format!("the source provides {}", fields.join(", ")),
        };
        if !self.scope.criteria.is_empty() {
            let criteria: Vec<&str> = self.scope.criteria.keys().map(String::as_str).collect();
            hint.push_str(&format!("; criteria: {}", criteria.join(", ")));
        }
        hint
    }

    fn call(&mut self, node: &IdedExpr, call: &CallExpr) -> Option<Typed> {
        let name = call.func_name.as_str();
        match name {
            operators::LOGICAL_AND => self.junction(call, "&&", BoolExpr::And),
            operators::LOGICAL_OR => self.junction(call, "||", BoolExpr::Or),
            operators::LOGICAL_NOT => self.not(call),
            operators::CONDITIONAL => self.conditional(node, call),
            operators::NEGATE => self.negate(node, call),
            operators::IN => self.membership(call),
            operators::INDEX | operators::OPT_INDEX | operators::OPT_SELECT => {
                self.unsupported(node, "indexing is not supported", None)
            }
            "has" => self.has(node, call),
            "size" => self.size(node, call),
            "lowerAscii" => self.lower_ascii(node, call),
            "matches" => self.matches(node, call),
            "startsWith" => self.str_op(node, call, StrOp::StartsWith),
            "endsWith" => self.str_op(node, call, StrOp::EndsWith),
            "contains" => self.str_op(node, call, StrOp::Contains),
            "all" | "exists" | "exists_one" | "existsOne" | "map" | "filter" => self.unsupported(
                node,
                &format!("the `{name}` macro is not supported"),
                Some("an event has no lists or maps to iterate over".into()),
            ),
            _ => match (comparison(name), arithmetic(name)) {
                (Some(op), _) => self.compare(node, op, call),
                (_, Some(op)) => self.arith(op, call),
                _ => self.unsupported(
                    node,
                    &format!("the function `{name}` is not supported"),
                    Some(format!("expressions may call {SUPPORTED_FUNCTIONS}")),
                ),
            },
        }
    }

    /// Checks every operand, so that errors in each are reported, then requires all of them.
    fn operands(&mut self, nodes: &[IdedExpr]) -> Option<Vec<Typed>> {
        let checked: Vec<Option<Typed>> = nodes.iter().map(|node| self.check(node)).collect();
        checked.into_iter().collect()
    }

    fn junction(
        &mut self,
        call: &CallExpr,
        symbol: &str,
        make: fn(Vec<BoolExpr>) -> BoolExpr,
    ) -> Option<Typed> {
        let mut terms = Vec::with_capacity(call.args.len());
        let mut ok = true;
        for arg in &call.args {
            let term = self.check(arg);
            match term.and_then(|t| self.condition(arg, t, &format!("each side of `{symbol}`"))) {
                Some(term) => terms.push(term),
                None => ok = false,
            }
        }
        ok.then(|| Typed::Bool(make(terms)))
    }

    fn not(&mut self, call: &CallExpr) -> Option<Typed> {
        let [arg] = call.args.as_slice() else {
            return None;
        };
        let typed = self.check(arg)?;
        let inner = self.condition(arg, typed, "the operand of `!`")?;
        Some(Typed::Bool(BoolExpr::Not(Box::new(inner))))
    }

    fn conditional(&mut self, node: &IdedExpr, call: &CallExpr) -> Option<Typed> {
        let [c, a, b] = call.args.as_slice() else {
            return None;
        };
        let checked = self.operands(&call.args)?;
        let [tc, ta, tb]: [Typed; 3] = checked.try_into().ok()?;
        let c = Box::new(self.condition(c, tc, "the condition of `?:`")?);
        let (a_type, b_type) = (ta.a_type(), tb.a_type());
        let typed = match (ta, tb) {
            (Typed::Bool(x), Typed::Bool(y)) => Typed::Bool(BoolExpr::Cond(c, bx(x), bx(y))),
            (Typed::Int(x), Typed::Int(y)) => Typed::Int(IntExpr::Cond(c, bx(x), bx(y))),
            (Typed::Str(x), Typed::Str(y)) => Typed::Str(StrExpr::Cond(c, bx(x), bx(y))),
            (x, y) if x.is_number() && y.is_number() => {
                let (x, y) = (x.into_double()?, y.into_double()?);
                Typed::Double(DoubleExpr::Cond(c, bx(x), bx(y)))
            }
            _ => {
                let message = format!(
                    "the branches of `?:` must have one type, but `{}` is {a_type} and `{}` \
                     is {b_type}",
                    self.snippet(a),
                    self.snippet(b)
                );
                self.error(node, message, None);
                return None;
            }
        };
        Some(typed)
    }

    fn negate(&mut self, node: &IdedExpr, call: &CallExpr) -> Option<Typed> {
        let [arg] = call.args.as_slice() else {
            return None;
        };
        match self.check(arg)? {
            Typed::Int(x) => Some(Typed::Int(IntExpr::Neg(bx(x)))),
            Typed::Double(x) => Some(Typed::Double(DoubleExpr::Neg(bx(x)))),
            other => {
                let message = format!(
                    "`-` needs a number, but `{}` is {}",
                    self.snippet(arg),
                    other.a_type()
                );
                self.error(node, message, None);
                None
            }
        }
    }

    fn compare(&mut self, node: &IdedExpr, op: CmpOp, call: &CallExpr) -> Option<Typed> {
        let [left, right] = call.args.as_slice() else {
            return None;
        };
        let [a, b]: [Typed; 2] = self.operands(&call.args)?.try_into().ok()?;
        let (a_type, b_type) = (a.a_type(), b.a_type());
        let expr = match (a, b) {
            (Typed::Int(a), Typed::Int(b)) => BoolExpr::CompareInt(op, bx(a), bx(b)),
            (Typed::Str(a), Typed::Str(b)) => BoolExpr::CompareStr(op, bx(a), bx(b)),
            (Typed::Bool(a), Typed::Bool(b)) => BoolExpr::CompareBool(op, bx(a), bx(b)),
            (a, b) if a.is_number() && b.is_number() => {
                BoolExpr::CompareDouble(op, bx(a.into_double()?), bx(b.into_double()?))
            }
            _ => {
                let message = format!("`{}` cannot compare {a_type} with {b_type}", op.symbol());
                let hint = self.mismatch_hint([(left, a_type), (right, b_type)]);
                self.error(node, message, Some(hint));
                return None;
            }
        };
        Some(Typed::Bool(expr))
    }

    /// Says what each operand is, and how to unquote a number written as a string.
    fn mismatch_hint(&self, operands: [(&IdedExpr, &str); 2]) -> String {
        if let Some(hint) = operands
            .iter()
            .find_map(|(node, _)| self.unquote_hint(node))
        {
            return hint;
        }
        let [(a, a_type), (b, b_type)] = operands;
        format!(
            "`{}` is {a_type} and `{}` is {b_type}",
            self.snippet(a),
            self.snippet(b)
        )
    }

    /// For a number written as a string literal (`"500"`), how to write it as a number.
    fn unquote_hint(&self, node: &IdedExpr) -> Option<String> {
        let Expr::Literal(LiteralValue::String(text)) = &node.expr else {
            return None;
        };
        let number = text.inner().trim();
        number.parse::<f64>().ok()?;
        Some(format!(
            "`{}` is a string; write {number} without quotes",
            self.snippet(node)
        ))
    }

    fn arith(&mut self, op: ArithOp, call: &CallExpr) -> Option<Typed> {
        let [left, right] = call.args.as_slice() else {
            return None;
        };
        let [a, b]: [Typed; 2] = self.operands(&call.args)?.try_into().ok()?;
        for (node, typed) in [(left, &a), (right, &b)] {
            if !typed.is_number() {
                let hint = (op == ArithOp::Add && matches!(typed, Typed::Str(_)))
                    .then(|| "strings cannot be concatenated in expressions".to_owned());
                let message = format!(
                    "`{}` needs numbers, but `{}` is {}",
                    op.symbol(),
                    self.snippet(node),
                    typed.a_type()
                );
                self.error(node, message, hint);
            }
        }
        match (a, b) {
            (Typed::Int(a), Typed::Int(b)) => Some(Typed::Int(IntExpr::Arith(op, bx(a), bx(b)))),
            (a, b) => {
                let (a, b) = (a.into_double()?, b.into_double()?);
                Some(Typed::Double(DoubleExpr::Arith(op, bx(a), bx(b))))
            }
        }
    }

    /// `x in [constants]`: the list's elements must have the type of `x` (numbers mix).
    fn membership(&mut self, call: &CallExpr) -> Option<Typed> {
        let [value, list] = call.args.as_slice() else {
            return None;
        };
        let typed = self.check(value);
        let constants = self.constant_list(list);
        let (typed, constants) = (typed?, constants?);
        let a_type = typed.a_type();
        if matches!(typed, Typed::Bool(_)) {
            let message = format!(
                "`in` needs an int, double or string on its left, but `{}` is a bool",
                self.snippet(value)
            );
            self.error(value, message, None);
            return None;
        }
        let wrong = |constant: &Constant| {
            !matches!(
                (&typed, constant),
                (
                    Typed::Int(_) | Typed::Double(_),
                    Constant::Int(_) | Constant::Double(_)
                ) | (Typed::Str(_), Constant::Str(_))
            )
        };
        if let Some(at) = constants.iter().position(wrong) {
            let element = &list_elements(list)[at];
            let message = format!(
                "`{}` is {a_type}, but the list holds `{}`",
                self.snippet(value),
                self.snippet(element)
            );
            let hint = typed
                .is_number()
                .then(|| self.unquote_hint(element))
                .flatten();
            self.error(element, message, hint);
            return None;
        }
        Some(Typed::Bool(membership_expr(typed, &constants)?))
    }

    fn constant_list(&mut self, node: &IdedExpr) -> Option<Vec<Constant>> {
        let Expr::List(ListExpr { elements, .. }) = &node.expr else {
            self.check(node)?;
            return self.unsupported(
                node,
                "the right of `in` must be a list of constants",
                Some("as in `status in [502, 503]`".into()),
            );
        };
        let constants: Vec<Option<Constant>> = elements
            .iter()
            .map(|element| self.constant(element))
            .collect();
        constants.into_iter().collect()
    }

    fn constant(&mut self, node: &IdedExpr) -> Option<Constant> {
        let constant = match &node.expr {
            Expr::Literal(LiteralValue::Int(i)) => Some(Constant::Int(*i.inner())),
            Expr::Literal(LiteralValue::UInt(u)) => {
                i64::try_from(*u.inner()).ok().map(Constant::Int)
            }
            Expr::Literal(LiteralValue::Double(d)) => Some(Constant::Double(*d.inner())),
            Expr::Literal(LiteralValue::String(s)) => Some(Constant::Str(s.inner().to_owned())),
            Expr::Call(call) if call.func_name == operators::NEGATE => match call.args.as_slice() {
                [arg] => match self.constant(arg)? {
                    Constant::Int(i) => i.checked_neg().map(Constant::Int),
                    Constant::Double(d) => Some(Constant::Double(-d)),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        if constant.is_none() {
            self.error(
                node,
                "the list after `in` may hold only constant numbers or strings".into(),
                None,
            );
        }
        constant
    }

    /// `has(field)`: the argument is a field's name, not a value.
    fn has(&mut self, node: &IdedExpr, call: &CallExpr) -> Option<Typed> {
        let ([arg], None) = (call.args.as_slice(), &call.target) else {
            return self.unsupported(node, "`has` takes one field, as in `has(user)`", None);
        };
        let Some(name) = dotted_name(arg) else {
            return self.unsupported(arg, "`has` takes a field name, as in `has(user)`", None);
        };
        if let Some(def) = self.field(&name) {
            return Some(Typed::Bool(BoolExpr::Has(def.field)));
        }
        if self.scope.criteria.contains_key(&name) {
            let message = format!("`has` takes a field, but `{name}` is a criterion");
            self.error(arg, message, None);
            return None;
        }
        self.unknown(arg, &name);
        None
    }

    /// `size(s)` or `s.size()`: the length of a string in code points.
    fn size(&mut self, node: &IdedExpr, call: &CallExpr) -> Option<Typed> {
        let operand = match (&call.target, call.args.as_slice()) {
            (Some(target), []) => target.as_ref(),
            (None, [arg]) => arg,
            _ => return self.unsupported(node, "`size` takes one string", None),
        };
        let text = self.string(operand, "the operand of `size`")?;
        Some(Typed::Int(IntExpr::Size(bx(text))))
    }

    fn lower_ascii(&mut self, node: &IdedExpr, call: &CallExpr) -> Option<Typed> {
        let (Some(target), []) = (&call.target, call.args.as_slice()) else {
            return self.unsupported(node, "`lowerAscii` is a method: `s.lowerAscii()`", None);
        };
        let text = self.string(target, "the target of `lowerAscii`")?;
        Some(Typed::Str(StrExpr::LowerAscii(bx(text))))
    }

    fn str_op(&mut self, node: &IdedExpr, call: &CallExpr, op: StrOp) -> Option<Typed> {
        let name = op.name();
        let (Some(target), [arg]) = (&call.target, call.args.as_slice()) else {
            let message = format!("`{name}` is a method with one argument: `s.{name}(t)`");
            return self.unsupported(node, &message, None);
        };
        let target = self.string(target, &format!("the target of `{name}`"));
        let arg = self.string(arg, &format!("the argument of `{name}`"));
        Some(Typed::Bool(BoolExpr::Str(op, bx(target?), bx(arg?))))
    }

    /// `s.matches(re)` or `matches(s, re)`, with `re` a literal compiled here, once.
    fn matches(&mut self, node: &IdedExpr, call: &CallExpr) -> Option<Typed> {
        let (text, pattern) = match (&call.target, call.args.as_slice()) {
            (Some(target), [pattern]) => (target.as_ref(), pattern),
            (None, [text, pattern]) => (text, pattern),
            _ => {
                return self.unsupported(node, "`matches` takes a pattern: `s.matches(re)`", None);
            }
        };
        let text = self.string(text, "the target of `matches`");
        let pattern = self.pattern(pattern);
        Some(Typed::Bool(BoolExpr::Matches(bx(text?), pattern?)))
    }

    fn pattern(&mut self, node: &IdedExpr) -> Option<Pattern> {
        let Expr::Literal(LiteralValue::String(text)) = &node.expr else {
            self.check(node)?;
            let message = "the pattern of `matches` must be a string literal";
            return self.unsupported(node, message, None);
        };
        match Pattern::new(text.inner()) {
            Ok(pattern) => Some(pattern),
            Err(error) => {
                let reason = regex_reason(&error.message);
                self.error(node, format!("invalid regular expression: {reason}"), None);
                None
            }
        }
    }

    /// `node` checked as a string, or an error saying that `what` must be one.
    fn string(&mut self, node: &IdedExpr, what: &str) -> Option<StrExpr> {
        match self.check(node)? {
            Typed::Str(text) => Some(text),
            other => {
                let snippet = self.snippet(node);
                let message = format!(
                    "{what} must be a string, but `{snippet}` is {}",
                    other.a_type()
                );
                self.error(node, message, None);
                None
            }
        }
    }

    // Criteria: compiled once per `compile` call, inlined where used.

    fn criterion(&mut self, node: &IdedExpr, name: &str, text: &str) -> Option<BoolExpr> {
        let result = match self.criteria.done.get(name) {
            Some(result) => result.clone(),
            None => self.compile_criterion(name, text),
        };
        match result {
            Ok(expr) => Some(expr),
            Err(failure) => {
                let (message, hint) = failure_message(&failure);
                let mut error = self.error_at(node, message, Some(hint));
                error.in_criterion_definition = match &failure {
                    Failure::Cycle(_) => true,
                    Failure::Invalid { syntax, .. } => *syntax,
                };
                self.errors.push((error, Some(failure)));
                None
            }
        }
    }

    fn compile_criterion(&mut self, name: &str, text: &str) -> Result<BoolExpr, Failure> {
        if let Some(at) = self.criteria.compiling.iter().position(|n| n == name) {
            // Not remembered: the same criterion compiles when reached by another path.
            let mut cycle = self.criteria.compiling[at..].to_vec();
            cycle.push(name.to_owned());
            return Err(Failure::Cycle(cycle));
        }
        self.criteria.compiling.push(name.to_owned());
        let result = compile_in(text, self.scope, self.criteria)
            .map_err(|errors| failure_of(name, &errors, check_syntax(text).is_err()));
        self.criteria.compiling.pop();
        self.criteria.done.insert(name.to_owned(), result.clone());
        result
    }

    // Errors and the text they point at.

    fn unsupported<T>(
        &mut self,
        node: &IdedExpr,
        message: &str,
        hint: Option<String>,
    ) -> Option<T> {
        self.error(node, message.to_owned(), hint);
        None
    }

    fn error(&mut self, node: &IdedExpr, message: String, hint: Option<String>) {
        let error = self.error_at(node, message, hint);
        self.errors.push((error, None));
    }

    fn error_at(&self, node: &IdedExpr, message: String, hint: Option<String>) -> ExprError {
        let (offset, end) = self.span(node);
        ExprError {
            message,
            hint,
            offset,
            len: end - offset,
            in_criterion_definition: false,
        }
    }

    fn snippet(&self, node: &IdedExpr) -> &str {
        let (start, end) = self.span(node);
        &self.text[start..end]
    }

    /// The byte range of `node` in the text. The parser places each node at one token (an
    /// operator at its symbol, a call at its parenthesis), so the range spans the tokens of the
    /// whole subtree, a global call's name, and the closing brackets the subtree opened.
    fn span(&self, node: &IdedExpr) -> (usize, usize) {
        let mut range: Option<(usize, usize)> = None;
        self.token_range(node, &mut range);
        let Some((start, end)) = range else {
            return (0, 0);
        };
        (start, close_brackets(self.text, start, end))
    }

    fn token_range(&self, node: &IdedExpr, range: &mut Option<(usize, usize)>) {
        if let Some((start, stop)) = self.info.offset_for(node.id) {
            let (mut start, stop) = (start as usize, stop as usize);
            let mut end = stop + self.text[stop..].chars().next().map_or(0, char::len_utf8);
            // A selection sits at its dot; the field's name comes just after.
            if let Expr::Select(select) = &node.expr {
                let after = &self.text[end..];
                let name = after.trim_start();
                if name.starts_with(select.field.as_str()) {
                    end += after.len() - name.len() + select.field.len();
                }
            }
            // A global call sits at its parenthesis; its name comes just before.
            if let Expr::Call(call) = &node.expr
                && call.target.is_none()
                && call.func_name.starts_with(char::is_alphabetic)
            {
                let before = self.text[..start].trim_end();
                if before.ends_with(call.func_name.as_str()) {
                    start = before.len() - call.func_name.len();
                }
            }
            *range = Some(match *range {
                Some((s, e)) => (s.min(start), e.max(end)),
                None => (start, end),
            });
        }
        for child in children(&node.expr) {
            self.token_range(child, range);
        }
    }
}

fn bx<T>(value: T) -> Box<T> {
    Box::new(value)
}

fn field_expr(def: &FieldDef) -> Typed {
    match def.ty {
        FieldType::Int => Typed::Int(IntExpr::Field(def.field)),
        FieldType::Double => Typed::Double(DoubleExpr::Field(def.field)),
        FieldType::String => Typed::Str(StrExpr::Field(def.field)),
        FieldType::Bool => Typed::Bool(BoolExpr::Field(def.field)),
    }
}

fn a_field_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Int => "an int",
        FieldType::Double => "a double",
        FieldType::String => "a string",
        FieldType::Bool => "a bool",
    }
}

/// `a`, `a.b`, `a.b.c`: the name an identifier or a chain of selections on one spells.
fn dotted_name(node: &IdedExpr) -> Option<String> {
    match &node.expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(select) if !select.test => Some(format!(
            "{}.{}",
            dotted_name(&select.operand)?,
            select.field
        )),
        _ => None,
    }
}

fn children(expr: &Expr) -> Vec<&IdedExpr> {
    match expr {
        Expr::Call(call) => call
            .target
            .as_deref()
            .into_iter()
            .chain(&call.args)
            .collect(),
        Expr::Select(select) => vec![&select.operand],
        Expr::List(list) => list.elements.iter().collect(),
        Expr::Map(map) => entries(&map.entries),
        Expr::Struct(message) => entries(&message.entries),
        _ => Vec::new(),
    }
}

fn entries(entries: &[IdedEntryExpr]) -> Vec<&IdedExpr> {
    let mut nodes = Vec::with_capacity(entries.len() * 2);
    for entry in entries {
        match &entry.expr {
            EntryExpr::MapEntry(entry) => nodes.extend([&entry.key, &entry.value]),
            EntryExpr::StructField(field) => nodes.push(&field.value),
        }
    }
    nodes
}

fn list_elements(node: &IdedExpr) -> &[IdedExpr] {
    match &node.expr {
        Expr::List(list) => &list.elements,
        _ => &[],
    }
}

/// Moves `end` past the closing brackets that `text[start..end]` leaves open, so that a range
/// includes its own parentheses.
fn close_brackets(text: &str, start: usize, mut end: usize) -> usize {
    let mut open = open_brackets(&text[start..end]);
    while open > 0 {
        let rest = &text[end..];
        let trimmed = rest.trim_start();
        if !trimmed.starts_with([')', ']', '}']) {
            break;
        }
        end += rest.len() - trimmed.len() + 1;
        open -= 1;
    }
    end
}

/// How many brackets outside string literals are left unclosed in `span`.
fn open_brackets(span: &str) -> usize {
    let (mut open, mut quote, mut escaped) = (0usize, None, false);
    for c in span.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => open += 1,
                ')' | ']' | '}' => open = open.saturating_sub(1),
                _ => {}
            },
        }
    }
    open
}

fn comparison(name: &str) -> Option<CmpOp> {
    Some(match name {
        operators::EQUALS => CmpOp::Eq,
        operators::NOT_EQUALS => CmpOp::Ne,
        operators::LESS => CmpOp::Lt,
        operators::LESS_EQUALS => CmpOp::Le,
        operators::GREATER => CmpOp::Gt,
        operators::GREATER_EQUALS => CmpOp::Ge,
        _ => return None,
    })
}

fn arithmetic(name: &str) -> Option<ArithOp> {
    Some(match name {
        operators::ADD => ArithOp::Add,
        operators::SUBSTRACT => ArithOp::Sub,
        operators::MULTIPLY => ArithOp::Mul,
        operators::DIVIDE => ArithOp::Div,
        operators::MODULO => ArithOp::Rem,
        _ => return None,
    })
}

/// The `in` test for a value already known to match the list's constants in type.
fn membership_expr(typed: Typed, constants: &[Constant]) -> Option<BoolExpr> {
    let ints: Option<Vec<i64>> = constants
        .iter()
        .map(|c| match c {
            Constant::Int(i) => Some(*i),
            _ => None,
        })
        .collect();
    let doubles = || -> Vec<f64> {
        (constants.iter())
            .filter_map(|c| match c {
                Constant::Int(i) => Some(*i as f64),
                Constant::Double(d) => Some(*d),
                _ => None,
            })
            .collect()
    };
    match (typed, ints) {
        (Typed::Int(value), Some(ints)) => Some(BoolExpr::InInt(bx(value), ints)),
        (Typed::Str(value), _) => {
            let strings = (constants.iter())
                .filter_map(|c| match c {
                    Constant::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            Some(BoolExpr::InStr(bx(value), strings))
        }
        (typed, _) => Some(BoolExpr::InDouble(bx(typed.into_double()?), doubles())),
    }
}

/// The line of a `regex` error that says what is wrong, without its drawing of the pattern.
fn regex_reason(message: &str) -> &str {
    message
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("error: "))
        .unwrap_or(message)
        .trim()
}

/// How the criterion `name` failed, given the errors in its text.
fn failure_of(name: &str, errors: &Errors, syntax: bool) -> Failure {
    if let Some(Failure::Cycle(cycle)) = errors.iter().find_map(|(_, failure)| match failure {
        Some(cycle @ Failure::Cycle(_)) => Some(cycle),
        _ => None,
    }) {
        return Failure::Cycle(cycle.clone());
    }
    match errors.first() {
        Some((
            _,
            Some(Failure::Invalid {
                path,
                message,
                syntax,
            }),
        )) => Failure::Invalid {
            path: std::iter::once(name.to_owned())
                .chain(path.iter().cloned())
                .collect(),
            message: message.clone(),
            syntax: *syntax,
        },
        first => Failure::Invalid {
            path: vec![name.to_owned()],
            message: first.map_or_else(String::new, |(error, _)| error.message.clone()),
            syntax,
        },
    }
}

fn failure_message(failure: &Failure) -> (String, String) {
    match failure {
        Failure::Cycle(cycle) if cycle.len() == 2 => (
            format!("criterion `{}` uses itself", cycle[0]),
            "a criterion cannot be defined in terms of itself".to_owned(),
        ),
        Failure::Cycle(cycle) => (
            format!("criteria form a cycle: {}", cycle.join(" → ")),
            "a criterion cannot use itself, directly or through other criteria".to_owned(),
        ),
        Failure::Invalid {
            path,
            message,
            syntax,
        } => {
            let culprit = path.last().map_or("", String::as_str);
            let through = match path.len() {
                1 => String::new(),
                _ => format!(" (through `{}`)", path[1..].join("` → `")),
            };
            let hint = if *syntax {
                format!("the error is reported where `{culprit}` is defined")
            } else {
                format!(
                    "`{culprit}` is checked against the fields of each source that uses it; \
                     this source cannot answer it"
                )
            };
            (
                format!(
                    "criterion `{}` does not compile{through}: {message}",
                    path[0]
                ),
                hint,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use nines_core::event::{Event, Field, Value};

    use super::*;

    fn fields() -> Vec<FieldDef> {
        let mut fields: Vec<FieldDef> = Field::BUILT_IN
            .iter()
            .map(|&(name, field, ty)| FieldDef {
                name: name.to_owned(),
                field,
                ty,
            })
            .collect();
        fields.push(FieldDef {
            name: "cache_hit".to_owned(),
            field: Field::Custom(0),
            ty: FieldType::Bool,
        });
        fields.push(FieldDef {
            name: "upstream.status".to_owned(),
            field: Field::Custom(1),
            ty: FieldType::Int,
        });
        fields
    }

    fn criteria(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|&(name, text)| (name.to_owned(), text.to_owned()))
            .collect()
    }

    fn compile_with(text: &str, named: &[(&str, &str)]) -> Result<Predicate, Vec<ExprError>> {
        let (fields, criteria) = (fields(), criteria(named));
        compile(text, &Scope::new(&fields, &criteria))
    }

    fn predicate(text: &str) -> Predicate {
        compile_with(text, &[]).unwrap_or_else(|errors| panic!("{text}: {errors:?}"))
    }

    fn errors(text: &str) -> Vec<ExprError> {
        errors_with(text, &[])
    }

    fn errors_with(text: &str, named: &[(&str, &str)]) -> Vec<ExprError> {
        match compile_with(text, named) {
            Ok(predicate) => panic!("{text} compiled to {predicate:?}"),
            Err(errors) => errors,
        }
    }

    /// The one error in `text`, with the text it points at.
    fn only_error(text: &str) -> (ExprError, &str) {
        let errors = errors(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let error = errors.into_iter().next().expect("one error");
        let at = &text[error.offset..error.offset + error.len];
        (error, at)
    }

    fn event() -> Event<'static> {
        static CUSTOM: [Value<'static>; 2] = [Value::Bool(false), Value::Int(502)];
        Event {
            status: Some(503),
            latency: Some(0.25),
            method: Some("GET"),
            path: Some("/api/users/42"),
            custom: &CUSTOM,
            ..Event::at(0)
        }
    }

    #[test]
    fn supported_expressions_compile_and_match() {
        let matching = [
            "status >= 500",
            "!(path.startsWith(\"/health\")) && method in [\"GET\",\"POST\"]",
            "latency < 1",
            "latency * 1000 <= 250",
            "status in [502, 503, 504]",
            "status in [503.0]",
            "latency in [0.25, 1]",
            "!has(user) && has(path)",
            "size(method) == 3 && method.size() == 3",
            "method.lowerAscii() == 'get'",
            "path.matches(r'/\\d+$') && matches(path, '^/api')",
            "path.endsWith('42') && path.contains('users')",
            "(status >= 500 ? latency : 0.0) > 0.1",
            "status / 100 == 5 && status % 100 == 3 && -status < 0",
            "!cache_hit && upstream.status == 502",
            "status == 503u",
            "true",
        ];
        for text in matching {
            assert!(predicate(text).matches(&event()), "{text}");
        }
        let failing = [
            "status < 500",
            "method in ['POST']",
            "has(user)",
            "status / 0 == 0",
        ];
        for text in failing {
            assert!(!predicate(text).matches(&event()), "{text}");
        }
    }

    #[test]
    fn predicates_list_the_fields_they_read() {
        let predicate = predicate("status >= 500 || path.startsWith('/a') && status != 501");
        assert_eq!(predicate.fields(), [Field::Status, Field::Path]);
        assert_eq!(
            predicate.to_string(),
            "status >= 500 || path.startsWith('/a') && status != 501"
        );
    }

    #[test]
    fn criteria_are_inlined_through_other_criteria() {
        let named = [
            ("server_error", "status >= 500"),
            ("slow", "latency > 5.0"),
            ("bad", "server_error || slow"),
        ];
        let predicate = compile_with("bad && method == 'GET'", &named).expect("compiles");
        assert!(predicate.matches(&event()));
        assert_eq!(
            predicate.fields(),
            [Field::Status, Field::Latency, Field::Method]
        );
    }

    #[test]
    fn fields_shadow_criteria_of_the_same_name() {
        let predicate = compile_with("status == 503", &[("status", "false")]).expect("compiles");
        assert!(predicate.matches(&event()));
    }

    #[test]
    fn a_cycle_of_criteria_is_an_error_naming_it() {
        let named = [("a", "b && status > 1"), ("b", "method == 'GET' || a")];
        let errors = errors_with("latency > 1.0 || a", &named);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].message, "criteria form a cycle: a → b → a");
        // `a` is at byte 17 of the text.
        assert_eq!((errors[0].offset, errors[0].len), (17, 1));

        let errors = errors_with("again", &[("again", "again || true")]);
        assert_eq!(errors[0].message, "criterion `again` uses itself");
    }

    #[test]
    fn a_broken_criterion_is_reported_where_it_is_used() {
        let named = [("bad", "server_error"), ("server_error", "stauts >= 500")];
        let errors = errors_with("bad", &named);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].message,
            "criterion `bad` does not compile (through `server_error`): unknown name `stauts`"
        );
        let hint = errors[0].hint.as_deref();
        assert_eq!(
            hint,
            Some(
                "`server_error` is checked against the fields of each source that uses it; \
                 this source cannot answer it"
            )
        );
        assert!(!errors[0].in_criterion_definition);
    }

    #[test]
    fn a_criterion_that_does_not_parse_is_marked_as_reported_where_defined() {
        let named = [("bad", "server_error"), ("server_error", "status >=")];
        let errors = errors_with("bad", &named);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].in_criterion_definition);
        let hint = errors[0].hint.as_deref();
        assert_eq!(
            hint,
            Some("the error is reported where `server_error` is defined")
        );
        let errors = errors_with("a", &[("a", "b"), ("b", "a")]);
        assert!(errors[0].in_criterion_definition);
    }

    #[test]
    fn references_lists_each_name_once() {
        assert_eq!(
            references(
                r#"slow || (retried && method in ["GET"]) || slow || path.startsWith("/a")"#
            ),
            vec!["slow", "retried", "method", "path"]
        );
        assert!(references("status >=").is_empty());
    }

    #[test]
    fn unknown_names_suggest_a_near_one() {
        let (error, at) = only_error("stauts >= 500");
        assert_eq!(error.message, "unknown name `stauts`");
        assert_eq!(error.hint.as_deref(), Some("did you mean `status`?"));
        assert_eq!(at, "stauts");

        let errors = errors_with("server_eror", &[("server_error", "status >= 500")]);
        assert_eq!(
            errors[0].hint.as_deref(),
            Some("did you mean `server_error`?")
        );
    }

    #[test]
    fn unknown_names_with_nothing_near_list_what_the_source_provides() {
        let fields = [FieldDef {
            name: "status".to_owned(),
            field: Field::Status,
            ty: FieldType::Int,
        }];
        let criteria = criteria(&[("server_error", "status >= 500")]);
        let errors = compile("zzz", &Scope::new(&fields, &criteria)).expect_err("unknown");
        let hint = errors[0].hint.as_deref();
        assert_eq!(
            hint,
            Some("the source provides status (int); criteria: server_error")
        );
    }

    #[test]
    fn every_error_is_reported_at_its_byte_offset() {
        let text = "path == 'é' && stauts > 1 || pth == 'x'";
        let errors = errors(text);
        let at: Vec<&str> = errors
            .iter()
            .map(|e| &text[e.offset..e.offset + e.len])
            .collect();
        assert_eq!(at, ["stauts", "pth"]);
    }

    #[test]
    fn comparing_different_types_is_an_error() {
        let (error, at) = only_error("status == \"500\"");
        assert_eq!(error.message, "`==` cannot compare an int with a string");
        assert_eq!(
            error.hint.as_deref(),
            Some("`\"500\"` is a string; write 500 without quotes")
        );
        assert_eq!(at, "status == \"500\"");

        let (error, at) = only_error("path > 3");
        assert_eq!(error.message, "`>` cannot compare a string with an int");
        assert_eq!(
            error.hint.as_deref(),
            Some("`path` is a string and `3` is an int")
        );
        assert_eq!(at, "path > 3");
    }

    #[test]
    fn a_string_method_needs_strings() {
        let (error, at) = only_error("method.startsWith(1)");
        assert_eq!(
            error.message,
            "the argument of `startsWith` must be a string, but `1` is an int"
        );
        assert_eq!(at, "1");

        let (error, at) = only_error("status.endsWith('0')");
        assert_eq!(
            error.message,
            "the target of `endsWith` must be a string, but `status` is an int"
        );
        assert_eq!(at, "status");
    }

    #[test]
    fn the_whole_expression_must_be_a_condition() {
        let (error, at) = only_error("status");
        assert_eq!(
            error.message,
            "the expression must be a condition (bool), but `status` is an int"
        );
        assert_eq!(
            error.hint.as_deref(),
            Some("compare it with a value, as in `status >= 500`")
        );
        assert_eq!(at, "status");

        let (error, _) = only_error("latency * 2");
        assert_eq!(
            error.message,
            "the expression must be a condition (bool), but `latency * 2` is a double"
        );
    }

    #[test]
    fn a_field_used_as_a_condition_is_an_error() {
        let (error, at) = only_error("has(path) && method");
        assert_eq!(
            error.message,
            "each side of `&&` must be a condition (bool), but `method` is a string"
        );
        assert_eq!(at, "method");

        let (error, at) = only_error("!(status)");
        assert_eq!(
            error.message,
            "the operand of `!` must be a condition (bool), but `status` is an int"
        );
        assert_eq!(at, "status");
    }

    #[test]
    fn other_type_errors() {
        let cases = [
            (
                "path + 1 > 2",
                "`+` needs numbers, but `path` is a string",
                "path",
            ),
            (
                "-path == 'x'",
                "`-` needs a number, but `path` is a string",
                "-path",
            ),
            (
                "method in [1, 'GET']",
                "`method` is a string, but the list holds `1`",
                "1",
            ),
            (
                "status in [500, status]",
                "the list after `in` may hold only constant numbers or strings",
                "status",
            ),
            (
                "has(status) in []",
                "`in` needs an int, double or string on its left, but `has(status)` is a bool",
                "has(status)",
            ),
            (
                "(has(path) ? 1 : 'x') == 1",
                "the branches of `?:` must have one type, but `1` is an int and `'x'` is a string",
                "has(path) ? 1 : 'x'",
            ),
            (
                "size(status) > 1",
                "the operand of `size` must be a string, but `status` is an int",
                "status",
            ),
            (
                "status.code == 1",
                "`status` is an int, which has no member `code`",
                "status.code",
            ),
            ("has(1)", "`has` takes a field name, as in `has(user)`", "1"),
        ];
        for (text, message, expected_at) in cases {
            let (error, at) = only_error(text);
            assert_eq!(error.message, message, "{text}");
            assert_eq!(at, expected_at, "{text}");
        }
    }

    #[test]
    fn unsupported_cel_is_named() {
        let cases = [
            (
                "[1, 2].all(x, x > 1)",
                "the `all` macro is not supported",
                "[1, 2].all(x, x > 1)",
            ),
            (
                "path.exists(c, c == 'a')",
                "the `exists` macro is not supported",
                "path.exists(c, c == 'a')",
            ),
            (
                "{'a': 1}['a'] == 1",
                "indexing is not supported",
                "{'a': 1}['a']",
            ),
            (
                "timestamp('2024-01-01T00:00:00Z') > 0",
                "the function `timestamp` is not supported",
                "timestamp('2024-01-01T00:00:00Z')",
            ),
            ("user == null", "`null` is not supported", "null"),
            (
                "status in {500: true}",
                "maps are not supported",
                "{500: true}",
            ),
            (
                "[1] == [1]",
                "a list is allowed only on the right of `in`",
                "[1]",
            ),
            ("b'x' == b'x'", "bytes are not supported", "b'x'"),
            (
                "path.matches(method)",
                "the pattern of `matches` must be a string literal",
                "method",
            ),
        ];
        for (text, message, expected_at) in cases {
            let errors = errors(text);
            assert_eq!(errors[0].message, message, "{text}");
            let at = &text[errors[0].offset..errors[0].offset + errors[0].len];
            assert_eq!(at, expected_at, "{text}");
        }
    }

    #[test]
    fn an_invalid_regex_is_reported_at_its_literal() {
        let (error, at) = only_error("path.matches('(unclosed')");
        assert_eq!(error.message, "invalid regular expression: unclosed group");
        assert_eq!(at, "'(unclosed'");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let errors = check_syntax("status ==").expect_err("incomplete");
        assert_eq!(
            errors[0].message,
            "the expression ends where an operand is due"
        );
        assert_eq!((errors[0].offset, errors[0].len), (9, 0));

        let errors = check_syntax("'é' ==\n  && ) b").expect_err("stray");
        // The parser says line 2, columns 3 and 6: `'é' ==` is 7 bytes and the newline 1, so
        // `&&` is at 8 + 2 and `)` at 8 + 5.
        let at: Vec<(usize, usize)> = errors.iter().map(|e| (e.offset, e.len)).collect();
        assert_eq!(at, [(10, 2), (13, 1)]);

        assert!(check_syntax("a.b && c(1) || d in [1]").is_ok());

        let cases = [
            (
                "status >= 500 &&",
                "the expression ends where an operand is due",
            ),
            ("(status >= 500", "missing ')' at the end"),
            ("status ! 500", "unexpected `!`, expecting an operator"),
            ("path == 'a\\'", "unexpected `'a\\'`"),
            ("status == 1 1", "unexpected `1`, expecting the end"),
            ("status > 99999999999999999999", "invalid int literal"),
            (" ", "the expression is empty"),
        ];
        for (text, message) in cases {
            let errors = check_syntax(text).expect_err(text);
            assert_eq!(errors[0].message, message, "{text}: {errors:?}");
        }
    }

    #[test]
    fn errors_point_inside_the_text_whatever_it_is() {
        let deep = format!("{}status{}", "(".repeat(200), ")".repeat(200));
        let texts = [
            "",
            "   ",
            "é",
            "'é' == é",
            "status >= 500 &&\n\n",
            "((status)",
            "status)",
            "a.b.c.d",
            "f(g(h(1)))",
            "`path` == '/'",
            "path.?x",
            "status[0]",
            "Type{a: 1}",
            "'\\xff' == path",
            "\"\"\"multi\nline\"\"\" == path && stauts",
            deep.as_str(),
        ];
        let errors = compile_with(&deep, &[]).expect_err("too deep");
        assert_eq!(errors[0].message, "the expression nests too deeply");
        for text in texts {
            for error in compile_with(text, &[]).err().unwrap_or_default() {
                let end = error.offset + error.len;
                assert!(end <= text.len(), "{text:?}: {error:?}");
                assert!(text.is_char_boundary(error.offset) && text.is_char_boundary(end));
            }
        }
    }

    /// Errors as a person reads them: the message, the text it points at, the hint.
    fn render(text: &str, named: &[(&str, &str)]) -> String {
        let mut out = format!("{text}\n");
        for error in errors_with(text, named) {
            let pad = text[..error.offset].chars().count();
            let marks = text[error.offset..error.offset + error.len]
                .chars()
                .count()
                .max(1);
            out.push_str(&format!(
                "{}{} {}\n",
                " ".repeat(pad),
                "^".repeat(marks),
                error.message
            ));
            if let Some(hint) = error.hint {
                out.push_str(&format!("{}hint: {hint}\n", " ".repeat(pad)));
            }
        }
        out
    }

    #[test]
    fn errors_read_well() {
        let named = [
            ("server_error", "status >= 500"),
            ("a", "b"),
            ("b", "a && server_error"),
        ];
        let mut all = String::new();
        for text in [
            "stauts >= 500 && method == 'GET'",
            "status == \"500\" || path > 3",
            "method.startsWith(1) && latency",
            "requests.all(r, r.ok) || timestamp(at) > 0",
            "server_eror || a",
            "path.matches('[a-z') && has(usr)",
        ] {
            all.push_str(&render(text, &named));
            all.push('\n');
        }
        insta::assert_snapshot!(all, @r#"
stauts >= 500 && method == 'GET'
^^^^^^ unknown name `stauts`
hint: did you mean `status`?

status == "500" || path > 3
^^^^^^^^^^^^^^^ `==` cannot compare an int with a string
hint: `"500"` is a string; write 500 without quotes
                   ^^^^^^^^ `>` cannot compare a string with an int
                   hint: `path` is a string and `3` is an int

method.startsWith(1) && latency
                  ^ the argument of `startsWith` must be a string, but `1` is an int
                        ^^^^^^^ each side of `&&` must be a condition (bool), but `latency` is a double
                        hint: compare it with a value, as in `latency < 0.5`

requests.all(r, r.ok) || timestamp(at) > 0
^^^^^^^^^^^^^^^^^^^^^ the `all` macro is not supported
hint: an event has no lists or maps to iterate over
                         ^^^^^^^^^^^^^ the function `timestamp` is not supported
                         hint: expressions may call has, size, startsWith, endsWith, contains, matches and lowerAscii

server_eror || a
^^^^^^^^^^^ unknown name `server_eror`
hint: did you mean `server_error`?
               ^ criteria form a cycle: a → b → a
               hint: a criterion cannot use itself, directly or through other criteria

path.matches('[a-z') && has(usr)
             ^^^^^^ invalid regular expression: unclosed character class
                            ^^^ unknown name `usr`
                            hint: did you mean `user`?
"#);
    }
}
