//! Lowering to Python for the generated Lambda handlers. The code calls the functions of
//! `targets/lambda/pipec_runtime.py` ([`RUNTIME`], imported as `rt`), which implement exactly
//! the semantics of [`super::eval`] (None is NULL; ints are range-checked to i64; `/` divides
//! floats; `%` keeps the dividend's sign; int/float compare exactly, which Python does
//! natively). The result is a [`Py`] tree, laid out as `ruff format` writes it by
//! [`super::pyfmt`].
//!
//! * Stateless rules and enrichments: [`lower`] gives an expression over the record dict `r`.
//!   A handler runs `rt.validate(r, SCHEMA) is None` ([`schema_literal`]) first, and flags only
//!   when the rule's value `is True`.
//! * Windowed rules: [`lower_window`] gives the aggregate tuple `AGGREGATES` and a condition
//!   over the finished aggregates `a` and the group's values `g`. Per window and group the
//!   handler keeps `state = rt.new_state(AGGREGATES)` (JSON-serialisable, fit for the
//!   tumbling-window state), calls `rt.feed(AGGREGATES, state, r, TIMEZONE)` per valid record
//!   and decides with `a = rt.results(AGGREGATES, state)`.
//! * Comparisons with a timestamp compare `rt.instant(...)` of every operand, as [`super::eval`]
//!   does; the stream's time zone is passed when it is not UTC.

use super::ast::{AggregateKind, Args, BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use super::pyfmt::{Py, string};
use super::timestamp::{is_instant, literal};
use super::types::{RecordSchema, ValueType};

/// The Python runtime module the lowered code calls, shipped as `pipec_runtime.py`.
pub const RUNTIME: &str = include_str!("../../targets/lambda/pipec_runtime.py");

/// A windowed rule lowered to Python.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyWindow {
    /// A tuple of `(kind, field or None, field type or None)`, one per aggregate.
    pub aggregates: Py,
    /// The decision, over `a` (finished aggregates) and `g` (group values).
    pub condition: Py,
}

/// A checked stateless expression as Python over the record dict `r`.
#[must_use]
pub fn lower(expr: &Expr, schema: &RecordSchema) -> Py {
    Lowering { schema, record: "r", aggregates: None }.expr(expr)
}

/// A checked windowed rule as Python.
#[must_use]
pub fn lower_window(expr: &Expr, schema: &RecordSchema) -> PyWindow {
    let mut aggs = Vec::new();
    let condition = Lowering { schema, record: "g", aggregates: Some(&mut aggs) }.expr(expr);
    PyWindow { aggregates: Py::tuple(aggs), condition }
}

/// The schema as the tuple `rt.validate` takes: `((name, type, required, max_length), ...)`,
/// one field per line.
#[must_use]
pub fn schema_literal(schema: &RecordSchema) -> Py {
    Py::expanded(
        schema
            .fields
            .iter()
            .map(|f| {
                Py::tuple(vec![
                    Py::atom(string(&f.name)),
                    Py::atom(string(&f.ty.to_string())),
                    Py::atom(if f.required { "True" } else { "False" }),
                    Py::atom(f.max_length.map_or_else(|| "None".to_owned(), |m| m.to_string())),
                ])
            })
            .collect(),
    )
}

fn rt(name: &str, args: Vec<Py>) -> Py {
    Py::call(format!("rt.{name}"), args)
}

struct Lowering<'a> {
    schema: &'a RecordSchema,
    record: &'static str,
    aggregates: Option<&'a mut Vec<Py>>,
}

impl Lowering<'_> {
    fn call(&mut self, name: &str, args: &[&Expr]) -> Py {
        let args = args.iter().map(|a| self.expr(a)).collect();
        rt(name, args)
    }

    /// An operand of a comparison over instants.
    fn instant(&mut self, e: &Expr) -> Py {
        let value = match &e.kind {
            ExprKind::Literal(Literal::String(s)) => match literal(s) {
                Some(text) => Py::atom(string(&text)),
                None => return Py::atom("None"),
            },
            ExprKind::Literal(_) => return Py::atom("None"),
            _ => self.expr(e),
        };
        let mut args = vec![value];
        if self.schema.timezone != 0 {
            args.push(Py::atom(self.schema.timezone.to_string()));
        }
        rt("instant", args)
    }

    /// A comparison with a timestamp operand, over instants; `None` for anything else.
    fn instants(&mut self, e: &Expr) -> Option<Py> {
        let schema = self.schema;
        Some(match &e.kind {
            ExprKind::Binary { op, lhs, rhs }
                if op.is_comparison() && (is_instant(lhs, schema) || is_instant(rhs, schema)) =>
            {
                let args = vec![self.instant(lhs), self.instant(rhs)];
                rt(operator_name(*op), args)
            }
            ExprKind::In { expr, list, negated }
                if is_instant(expr, schema) || list.iter().any(|item| is_instant(item, schema)) =>
            {
                let args = std::iter::once(&**expr).chain(list).map(|item| self.instant(item)).collect();
                negate(rt("in_", args), *negated)
            }
            ExprKind::Between { expr, low, high, negated }
                if [expr, low, high].iter().any(|e| is_instant(e, schema)) =>
            {
                let args = vec![self.instant(expr), self.instant(low), self.instant(high)];
                negate(rt("between", args), *negated)
            }
            _ => return None,
        })
    }

    fn expr(&mut self, e: &Expr) -> Py {
        if let Some(py) = self.instants(e) {
            return py;
        }
        match &e.kind {
            ExprKind::Literal(lit) => Py::atom(match lit {
                Literal::Null => "None".to_owned(),
                Literal::Bool(b) => (if *b { "True" } else { "False" }).to_owned(),
                Literal::Int(i) => i.to_string(),
                // Debug is the shortest round-trip form and always has a `.` or `e`: valid Python.
                Literal::Float(f) => format!("{f:?}"),
                Literal::String(s) => string(s),
            }),
            ExprKind::Field(name) => {
                let get = Py::call(format!("{}.get", self.record), vec![Py::atom(string(name))]);
                match self.schema.get(name).map(|f| f.ty) {
                    Some(ValueType::Float) => rt("to_float", vec![get]),
                    Some(_) => get,
                    None => Py::atom("None"),
                }
            }
            ExprKind::Unary { op, expr } => self.call(if *op == UnaryOp::Neg { "neg" } else { "not_" }, &[expr]),
            ExprKind::Binary { op, lhs, rhs } => self.call(operator_name(*op), &[lhs, rhs]),
            ExprKind::In { expr, list, negated } => {
                let mut args = vec![&**expr];
                args.extend(list);
                negate(self.call("in_", &args), *negated)
            }
            ExprKind::Between { expr, low, high, negated } => {
                negate(self.call("between", &[expr, low, high]), *negated)
            }
            ExprKind::Like { expr, pattern, negated, .. } => {
                let value = self.expr(expr);
                negate(rt("like", vec![value, Py::atom(string(pattern))]), *negated)
            }
            ExprKind::IsNull { expr, negated } => self.call(if *negated { "is_not_null" } else { "is_null" }, &[expr]),
            ExprKind::Call { name, args, .. } => self.function(name, args),
        }
    }

    fn function(&mut self, name: &str, args: &Args) -> Py {
        if name == "now" {
            return rt("now", vec![]);
        }
        let (Some(kind), Some(specs)) = (AggregateKind::from_name(name), self.aggregates.as_deref_mut()) else {
            return Py::atom("None");
        };
        let field = match args {
            Args::List(list) => match list.as_slice() {
                [Expr { kind: ExprKind::Field(f), .. }] => self.schema.get(f),
                _ => None,
            },
            Args::Star => None,
        };
        let spec = match field {
            Some(f) => Py::tuple(vec![
                Py::atom(string(kind.name())),
                Py::atom(string(&f.name)),
                Py::atom(string(&f.ty.to_string())),
            ]),
            None if matches!(args, Args::Star) => {
                Py::tuple(vec![Py::atom(string(kind.name())), Py::atom("None"), Py::atom("None")])
            }
            None => return Py::atom("None"),
        };
        let index = specs.len();
        specs.push(spec);
        Py::atom(format!("a[{index}]"))
    }
}

/// The runtime function of a binary operator.
fn operator_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::Div => "div",
        BinaryOp::Mod => "mod",
        BinaryOp::Eq => "eq",
        BinaryOp::Ne => "ne",
        BinaryOp::Lt => "lt",
        BinaryOp::Le => "le",
        BinaryOp::Gt => "gt",
        BinaryOp::Ge => "ge",
        BinaryOp::And => "and_",
        BinaryOp::Or => "or_",
    }
}

fn negate(py: Py, negated: bool) -> Py {
    if negated { rt("not_", vec![py]) } else { py }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{FieldSchema, parse};

    fn schema() -> RecordSchema {
        RecordSchema::new(vec![
            FieldSchema::new("transaction", ValueType::Int).required(),
            FieldSchema::new("amount", ValueType::Float),
            FieldSchema::new("bankId", ValueType::String).max_length(8),
        ])
    }

    #[test]
    fn lowers_rules_and_enrichments() {
        let s = schema();
        let text = |e: &str| lower(&parse(e).unwrap(), &s).flat();
        assert_eq!(text("transaction > 9000"), r#"rt.gt(r.get("transaction"), 9000)"#);
        assert_eq!(text("amount + 0.5"), r#"rt.add(rt.to_float(r.get("amount")), 0.5)"#);
        assert_eq!(
            text("bankId NOT IN ('a') OR bankId LIKE 'x%' AND bankId IS NULL"),
            r#"rt.or_(rt.not_(rt.in_(r.get("bankId"), "a")), rt.and_(rt.like(r.get("bankId"), "x%"), rt.is_null(r.get("bankId"))))"#
        );
        assert_eq!(text("now()"), "rt.now()");
        let at = RecordSchema::new(vec![FieldSchema::new("at", ValueType::Timestamp)]).with_timezone(3600);
        assert_eq!(
            lower(&parse("at > '2024-05-01' AND at NOT IN ('2024-05-01 12:00:00Z')").unwrap(), &at).flat(),
            r#"rt.and_(rt.gt(rt.instant(r.get("at"), 3600), rt.instant("2024-05-01T00:00:00", 3600)), rt.not_(rt.in_(rt.instant(r.get("at"), 3600), rt.instant("2024-05-01 12:00:00Z", 3600))))"#
        );
        assert_eq!(
            crate::expr::pyfmt::statement(0, "SCHEMA = ", &schema_literal(&s)),
            "SCHEMA = (\n    (\"transaction\", \"int\", True, None),\n    (\"amount\", \"float\", False, None),\n    (\"bankId\", \"string\", False, 8),\n)\n"
        );
    }

    #[test]
    fn lowers_windows() {
        let w = lower_window(&parse("count(*) > 100 AND bankId = 'b' AND avg(amount) > 1").unwrap(), &schema());
        assert_eq!(w.aggregates.flat(), r#"(("count", None, None), ("avg", "amount", "float"))"#);
        assert_eq!(
            w.condition.flat(),
            r#"rt.and_(rt.and_(rt.gt(a[0], 100), rt.eq(g.get("bankId"), "b")), rt.gt(a[1], 1))"#
        );
    }
}
