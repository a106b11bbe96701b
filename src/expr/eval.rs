//! Evaluation. A checked [`Expr`] is compiled once into a [`Program`] (fields resolved to their
//! declared types, aggregates numbered, literals prepared) and then evaluated per record
//! without allocating for numbers, bools or strings read from the record.
//!
//! Semantics (the contract every target follows; operations are in [`super::value`]):
//! * Evaluation is defined on valid records only (see [`super::validate`]). A missing or null
//!   field is NULL. Float fields are always read as doubles (a JSON `5` in a float field is
//!   `5.0`); int fields as i64.
//! * AND / OR / NOT use SQL three-valued (Kleene) logic; a rule flags only when it is TRUE.
//! * `x IN (a, b)` is TRUE if `x` equals an element, else NULL if `x` or any element is NULL,
//!   else FALSE. `x BETWEEN a AND b` is `x >= a AND x <= b`. `NOT IN` / `NOT BETWEEN` /
//!   `NOT LIKE` negate (NULL stays NULL). `IS [NOT] NULL` is never NULL.
//! * `now()` is the caller's clock, formatted as RFC 3339 UTC with milliseconds.
//! * A comparison (`=`, `<`, `IN`, `BETWEEN`, ...) with a timestamp operand compares instants:
//!   every operand becomes its [`instant_key`] (zoneless text read in the schema's time zone),
//!   and an operand that is not a timestamp (a string field holding other text) is NULL.
//! * In a windowed rule, field references (all in `group_by`) read the group's values and each
//!   aggregate reads its finished [`Accumulator`].

use std::borrow::Cow;

use serde_json::{Map, Value as Json};

use super::aggregate::{Accumulator, AggregateSpec};
use super::ast::{AggregateKind, Args, BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use super::field::read_field;
use super::timestamp::{instant_key, is_instant, literal};
use super::types::{RecordSchema, ValueType};
use super::value::{Value, arithmetic, compare, comparison, format_timestamp_millis, like, negate};

/// A compiled expression.
#[derive(Clone, Debug)]
pub struct Program {
    root: Node,
    aggregates: Vec<AggregateSpec>,
}

#[derive(Clone, Debug)]
enum Node {
    Const(Value<'static>),
    Str(Box<str>),
    Field(Box<str>, ValueType),
    Aggregate(usize),
    Now,
    Neg(Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Arith(BinaryOp, Box<Node>, Box<Node>),
    Compare(BinaryOp, Box<Node>, Box<Node>),
    In(Box<Node>, Vec<Node>, bool),
    Between(Box<Node>, Box<Node>, Box<Node>, bool),
    Like(Box<Node>, Box<str>, bool),
    IsNull(Box<Node>, bool),
    /// The instant key of a timestamp's text (NULL for other values), zoneless text read at
    /// the offset.
    Instant(Box<Node>, i32),
}

impl Program {
    /// Compiles a checked expression. (Unchecked input never panics: unknown fields and
    /// functions evaluate to NULL.)
    #[must_use]
    pub fn compile(expr: &Expr, schema: &RecordSchema) -> Self {
        let mut aggregates = Vec::new();
        let root = compile(expr, schema, &mut aggregates);
        Self { root, aggregates }
    }

    /// The aggregate calls, in source order (empty for stateless expressions).
    #[must_use]
    pub fn aggregates(&self) -> &[AggregateSpec] {
        &self.aggregates
    }

    /// Evaluates over one valid record; `now_ms` (Unix milliseconds) is the value of `now()`.
    #[must_use]
    pub fn eval<'a>(&'a self, record: &'a Map<String, Json>, now_ms: i64) -> Value<'a> {
        eval(&self.root, &Env { record, aggregates: &[], now_ms })
    }

    /// Whether a stateless rule flags `record` (its value is TRUE).
    #[must_use]
    pub fn flags(&self, record: &Map<String, Json>) -> bool {
        self.eval(record, 0).is_true()
    }

    /// Fresh accumulators for one window and group.
    #[must_use]
    pub fn accumulators(&self) -> Vec<Accumulator> {
        self.aggregates.iter().cloned().map(Accumulator::new).collect()
    }

    /// Feeds one valid record to the accumulators of its window and group.
    pub fn feed(accumulators: &mut [Accumulator], record: &Map<String, Json>) {
        for acc in accumulators {
            acc.feed(record);
        }
    }

    /// Decides a windowed rule for one window and group: `group` holds the `group_by` values.
    #[must_use]
    pub fn eval_window<'a>(&'a self, group: &'a Map<String, Json>, accumulators: &[Accumulator]) -> Value<'a> {
        let finished: Vec<Value<'static>> = accumulators.iter().map(Accumulator::finish).collect();
        eval(&self.root, &Env { record: group, aggregates: &finished, now_ms: 0 }).into_owned()
    }
}

/// An operand of a comparison that compares instants.
fn instant(e: &Expr, schema: &RecordSchema, aggs: &mut Vec<AggregateSpec>) -> Node {
    match &e.kind {
        ExprKind::Literal(Literal::String(s)) => literal(s)
            .and_then(|text| instant_key(&text, schema.timezone))
            .map_or(Node::Const(Value::Null), |key| Node::Str(key.into())),
        ExprKind::Literal(_) => Node::Const(Value::Null),
        _ => Node::Instant(Box::new(compile(e, schema, aggs)), schema.timezone),
    }
}

fn compile(e: &Expr, schema: &RecordSchema, aggs: &mut Vec<AggregateSpec>) -> Node {
    if let Some(node) = compile_instants(e, schema, aggs) {
        return node;
    }
    let mut sub = |e: &Expr| Box::new(compile(e, schema, aggs));
    match &e.kind {
        ExprKind::Literal(Literal::String(s)) => Node::Str(s.as_str().into()),
        ExprKind::Literal(lit) => Node::Const(match lit {
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Float(f) => Value::Float(*f),
            Literal::Null | Literal::String(_) => Value::Null,
        }),
        ExprKind::Field(name) => match schema.get(name) {
            Some(field) => Node::Field(name.as_str().into(), field.ty),
            None => Node::Const(Value::Null),
        },
        ExprKind::Unary { op: UnaryOp::Neg, expr } => Node::Neg(sub(expr)),
        ExprKind::Unary { op: UnaryOp::Not, expr } => Node::Not(sub(expr)),
        ExprKind::Binary { op, lhs, rhs } => {
            let (l, r) = (sub(lhs), sub(rhs));
            match op {
                BinaryOp::And => Node::And(l, r),
                BinaryOp::Or => Node::Or(l, r),
                op if op.is_comparison() => Node::Compare(*op, l, r),
                op => Node::Arith(*op, l, r),
            }
        }
        ExprKind::In { expr, list, negated } => {
            let x = sub(expr);
            Node::In(x, list.iter().map(|item| compile(item, schema, aggs)).collect(), *negated)
        }
        ExprKind::Between { expr, low, high, negated } => Node::Between(sub(expr), sub(low), sub(high), *negated),
        ExprKind::Like { expr, pattern, negated, .. } => Node::Like(sub(expr), pattern.as_str().into(), *negated),
        ExprKind::IsNull { expr, negated } => Node::IsNull(sub(expr), *negated),
        ExprKind::Call { name, args, .. } if name == "now" && matches!(args, Args::List(a) if a.is_empty()) => {
            Node::Now
        }
        ExprKind::Call { name, args, .. } => {
            let Some(kind) = AggregateKind::from_name(name) else { return Node::Const(Value::Null) };
            let field = match args {
                Args::Star => None,
                Args::List(list) => match list.as_slice() {
                    [Expr { kind: ExprKind::Field(f), .. }] => match schema.get(f) {
                        Some(field) => Some((f.clone(), field.ty)),
                        None => return Node::Const(Value::Null),
                    },
                    _ => return Node::Const(Value::Null),
                },
            };
            aggs.push(AggregateSpec { kind, field, timezone: schema.timezone });
            Node::Aggregate(aggs.len() - 1)
        }
    }
}

/// A comparison with a timestamp operand, compiled over instants; `None` for anything else.
fn compile_instants(e: &Expr, schema: &RecordSchema, aggs: &mut Vec<AggregateSpec>) -> Option<Node> {
    let mut sub = |e: &Expr| Box::new(instant(e, schema, aggs));
    Some(match &e.kind {
        ExprKind::Binary { op, lhs, rhs }
            if op.is_comparison() && (is_instant(lhs, schema) || is_instant(rhs, schema)) =>
        {
            let (l, r) = (sub(lhs), sub(rhs));
            Node::Compare(*op, l, r)
        }
        ExprKind::In { expr, list, negated }
            if is_instant(expr, schema) || list.iter().any(|item| is_instant(item, schema)) =>
        {
            let x = sub(expr);
            Node::In(x, list.iter().map(|item| instant(item, schema, aggs)).collect(), *negated)
        }
        ExprKind::Between { expr, low, high, negated } if [expr, low, high].iter().any(|e| is_instant(e, schema)) => {
            Node::Between(sub(expr), sub(low), sub(high), *negated)
        }
        _ => return None,
    })
}

struct Env<'a> {
    record: &'a Map<String, Json>,
    aggregates: &'a [Value<'static>],
    now_ms: i64,
}

fn not(v: &Value) -> Value<'static> {
    v.truth().map_or(Value::Null, |b| Value::Bool(!b))
}

fn eval<'a>(node: &'a Node, env: &Env<'a>) -> Value<'a> {
    match node {
        Node::Const(v) => v.clone(),
        Node::Str(s) => Value::Str(Cow::Borrowed(s)),
        Node::Field(name, ty) => read_field(env.record, name, *ty),
        Node::Aggregate(i) => env.aggregates.get(*i).cloned().unwrap_or(Value::Null),
        Node::Now => Value::Str(Cow::Owned(format_timestamp_millis(env.now_ms))),
        Node::Neg(x) => negate(&eval(x, env)),
        Node::Not(x) => not(&eval(x, env)),
        Node::And(l, r) => match eval(l, env).truth() {
            Some(false) => Value::Bool(false),
            left => match (left, eval(r, env).truth()) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            },
        },
        Node::Or(l, r) => match eval(l, env).truth() {
            Some(true) => Value::Bool(true),
            left => match (left, eval(r, env).truth()) {
                (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            },
        },
        Node::Arith(op, l, r) => arithmetic(*op, &eval(l, env), &eval(r, env)),
        Node::Compare(op, l, r) => comparison(*op, &eval(l, env), &eval(r, env)),
        Node::In(x, list, negated) => {
            let x = eval(x, env);
            let mut result = if x == Value::Null { Value::Null } else { Value::Bool(false) };
            if result != Value::Null {
                for item in list {
                    let v = eval(item, env);
                    if v == Value::Null {
                        result = Value::Null;
                    } else if compare(&x, &v) == Some(std::cmp::Ordering::Equal) {
                        result = Value::Bool(true);
                        break;
                    }
                }
            }
            if *negated { not(&result) } else { result }
        }
        Node::Between(x, lo, hi, negated) => {
            let x = eval(x, env);
            let ge = comparison(BinaryOp::Ge, &x, &eval(lo, env)).truth();
            let le = comparison(BinaryOp::Le, &x, &eval(hi, env)).truth();
            let result = match (ge, le) {
                (Some(false), _) | (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            };
            if *negated { not(&result) } else { result }
        }
        Node::Like(x, pattern, negated) => match eval(x, env) {
            Value::Str(s) => Value::Bool(like(&s, pattern) != *negated),
            _ => Value::Null,
        },
        Node::IsNull(x, negated) => Value::Bool((eval(x, env) == Value::Null) != *negated),
        Node::Instant(x, offset) => match eval(x, env) {
            Value::Str(s) => instant_key(&s, *offset).map_or(Value::Null, |key| Value::Str(Cow::Owned(key))),
            _ => Value::Null,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{FieldSchema, parse};
    use serde_json::json;

    fn schema() -> RecordSchema {
        RecordSchema::new(vec![
            FieldSchema::new("transaction", ValueType::Int),
            FieldSchema::new("amount", ValueType::Float),
            FieldSchema::new("name", ValueType::String),
            FieldSchema::new("bankId", ValueType::String),
            FieldSchema::new("vip", ValueType::Bool),
        ])
    }

    fn eval_json(text: &str, record: &Json) -> Json {
        let program = Program::compile(&parse(text).unwrap(), &schema());
        program.eval(record.as_object().unwrap(), 1_714_564_800_123).to_json()
    }

    #[test]
    fn three_valued_logic() {
        let r = json!({"transaction": 9001, "name": null});
        assert_eq!(eval_json("transaction > 9000", &r), json!(true));
        assert_eq!(eval_json("name = 'a'", &r), json!(null));
        assert_eq!(eval_json("name = 'a' AND transaction < 0", &r), json!(false));
        assert_eq!(eval_json("name = 'a' OR transaction > 0", &r), json!(true));
        assert_eq!(eval_json("NOT (name = 'a')", &r), json!(null));
        assert_eq!(eval_json("amount IS NULL", &r), json!(true));
        assert_eq!(eval_json("transaction IN (1, null)", &r), json!(null));
        assert_eq!(eval_json("transaction IN (1, null, 9001)", &r), json!(true));
        assert_eq!(eval_json("transaction NOT IN (1, 2)", &r), json!(true));
        assert_eq!(eval_json("transaction BETWEEN 9000 AND 9001", &r), json!(true));
        assert_eq!(eval_json("transaction NOT BETWEEN 1 AND name", &r), json!(null));
        assert_eq!(eval_json("name LIKE '%'", &r), json!(null));
    }

    #[test]
    fn values_and_enrichments() {
        let r = json!({"transaction": 9001, "amount": 5, "name": "Zoë"});
        assert_eq!(eval_json("transaction + 500", &r), json!(9501));
        assert_eq!(eval_json("amount", &r), json!(5.0));
        assert_eq!(eval_json("transaction / 2", &r), json!(4500.5));
        assert_eq!(eval_json("now()", &r), json!("2024-05-01T12:00:00.123Z"));
        assert_eq!(eval_json("name LIKE 'Zo_'", &r), json!(true));
        let program = Program::compile(&parse("transaction > 9000").unwrap(), &schema());
        assert!(program.flags(r.as_object().unwrap()));
    }

    #[test]
    fn timestamps_compare_as_instants() {
        let schema = RecordSchema::new(vec![
            FieldSchema::new("at", ValueType::Timestamp),
            FieldSchema::new("name", ValueType::String),
        ]);
        let eval = |text: &str, record: &Json| {
            Program::compile(&parse(text).unwrap(), &schema).eval(record.as_object().unwrap(), 0).to_json()
        };
        let r = json!({"at": "2024-05-01T12:00:00+02:00", "name": "2024-05-01 10:00:00"});
        assert_eq!(eval("at = '2024-05-01T10:00:00Z'", &r), json!(true));
        assert_eq!(eval("at = name", &r), json!(true));
        assert_eq!(eval("at > '2024-05-01 09:59:59.999999999'", &r), json!(true));
        assert_eq!(eval("at IN ('2024-05-01T10:00:00.000Z')", &r), json!(true));
        assert_eq!(eval("at > '2024-05-01'", &r), json!(true));
        assert_eq!(eval("at BETWEEN '2024-05-01T11:00:00+01:00' AND '2024-05-01T10:00:00Z'", &r), json!(true));
        assert_eq!(eval("at LIKE '%+02:00'", &r), json!(true));
        assert_eq!(eval("at < name", &json!({"at": "2024-05-01T10:00:00Z", "name": "not a time"})), json!(null));
        let eastern = schema.clone().with_timezone(-5 * 3600);
        let program = Program::compile(&parse("at = '2024-05-01T15:00:00Z'").unwrap(), &eastern);
        assert!(program.flags(json!({"at": "2024-05-01 10:00:00"}).as_object().unwrap()));
    }

    #[test]
    fn windows() {
        let program =
            Program::compile(&parse("count(*) > 1 AND bankId = 'b1' AND sum(transaction) >= 3").unwrap(), &schema());
        assert_eq!(program.aggregates().len(), 2);
        let mut accs = program.accumulators();
        for t in [1, 2] {
            Program::feed(&mut accs, json!({"transaction": t, "bankId": "b1"}).as_object().unwrap());
        }
        let group = json!({"bankId": "b1"});
        assert_eq!(program.eval_window(group.as_object().unwrap(), &accs), Value::Bool(true));
    }
}
