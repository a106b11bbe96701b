//! Lowering to Python 3.12 for the generated Lambda handlers. The code calls the helpers of
//! `targets/lambda/expr_runtime.py` ([`RUNTIME`]), which implement exactly the semantics of
//! [`super::eval`] (None is NULL; ints are range-checked to i64; `/` divides floats; `%` keeps
//! the dividend's sign; int/float compare exactly, which Python does natively).
//!
//! * Stateless rules and enrichments: [`lower`] gives an expression over the record dict `r`.
//!   A handler runs `validate(r, SCHEMA) is None` ([`schema_literal`]) first, and flags only
//!   when the rule's value `is True`.
//! * Windowed rules: [`lower_window`] gives the aggregate list `AGGS` and a condition over the
//!   finished aggregates `a` and the group's values `g`. Per window and group the handler keeps
//!   `st = _acc_new(AGGS)` (JSON-serialisable, fit for the tumbling-window state), calls
//!   `_acc_feed(AGGS, st, r)` per valid record and decides with `a = _acc_end(AGGS, st)`.

use std::fmt::Write as _;

use super::ast::{AggregateKind, Args, BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use super::types::{RecordSchema, ValueType};

/// The Python runtime the lowered code calls (to inline or import).
pub const RUNTIME: &str = include_str!("../../targets/lambda/expr_runtime.py");

/// A windowed rule lowered to Python.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyWindow {
    /// A tuple literal of `(kind, field or None, is_float)`, one per aggregate.
    pub aggregates: String,
    /// The decision, over `a` (finished aggregates) and `g` (group values).
    pub condition: String,
}

/// A checked stateless expression as Python over the record dict `r`.
#[must_use]
pub fn lower(expr: &Expr, schema: &RecordSchema) -> String {
    let mut out = String::new();
    Lowering { schema, record: "r", aggregates: None }.expr(expr, &mut out);
    out
}

/// A checked windowed rule as Python.
#[must_use]
pub fn lower_window(expr: &Expr, schema: &RecordSchema) -> PyWindow {
    let mut aggs = Vec::new();
    let mut condition = String::new();
    Lowering { schema, record: "g", aggregates: Some(&mut aggs) }.expr(expr, &mut condition);
    PyWindow { aggregates: format!("({}{})", aggs.join(","), if aggs.len() == 1 { "," } else { "" }), condition }
}

/// The schema as the tuple literal `validate` takes: `((name, type, required, max_length), ...)`.
#[must_use]
pub fn schema_literal(schema: &RecordSchema) -> String {
    let fields: Vec<String> = schema
        .fields
        .iter()
        .map(|f| {
            let max = f.max_length.map_or_else(|| "None".to_owned(), |m| m.to_string());
            format!("({},'{}',{},{max})", string(&f.name), f.ty, if f.required { "True" } else { "False" })
        })
        .collect();
    format!("({}{})", fields.join(","), if fields.len() == 1 { "," } else { "" })
}

/// A Python string literal (JSON string syntax is valid Python).
fn string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

struct Lowering<'a> {
    schema: &'a RecordSchema,
    record: &'static str,
    aggregates: Option<&'a mut Vec<String>>,
}

impl Lowering<'_> {
    fn call(&mut self, name: &str, args: &[&Expr], out: &mut String) {
        out.push_str(name);
        out.push('(');
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.expr(arg, out);
        }
        out.push(')');
    }

    fn expr(&mut self, e: &Expr, out: &mut String) {
        match &e.kind {
            ExprKind::Literal(lit) => match lit {
                Literal::Null => out.push_str("None"),
                Literal::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
                Literal::Int(i) => _ = write!(out, "{i}"),
                // Debug is the shortest round-trip form and always has a `.` or `e`: valid Python.
                Literal::Float(f) => _ = write!(out, "{f:?}"),
                Literal::String(s) => out.push_str(&string(s)),
            },
            ExprKind::Field(name) => match self.schema.get(name).map(|f| f.ty) {
                Some(ValueType::Float) => _ = write!(out, "_f({}.get({}))", self.record, string(name)),
                Some(_) => _ = write!(out, "{}.get({})", self.record, string(name)),
                None => out.push_str("None"),
            },
            ExprKind::Unary { op, expr } => {
                self.call(if *op == UnaryOp::Neg { "_neg" } else { "_not" }, &[expr], out);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let name = match op {
                    BinaryOp::Add => "_add",
                    BinaryOp::Sub => "_sub",
                    BinaryOp::Mul => "_mul",
                    BinaryOp::Div => "_div",
                    BinaryOp::Mod => "_mod",
                    BinaryOp::Eq => "_eq",
                    BinaryOp::Ne => "_ne",
                    BinaryOp::Lt => "_lt",
                    BinaryOp::Le => "_le",
                    BinaryOp::Gt => "_gt",
                    BinaryOp::Ge => "_ge",
                    BinaryOp::And => "_and",
                    BinaryOp::Or => "_or",
                };
                self.call(name, &[lhs, rhs], out);
            }
            ExprKind::In { expr, list, negated } => {
                out.push_str(if *negated { "_not(_in(" } else { "_in(" });
                self.expr(expr, out);
                out.push_str(",(");
                for item in list {
                    self.expr(item, out);
                    out.push(',');
                }
                out.push_str(if *negated { ")))" } else { "))" });
            }
            ExprKind::Between { expr, low, high, negated } => {
                out.push_str(if *negated { "_not(" } else { "(" });
                self.call("_btw", &[expr, low, high], out);
                out.push(')');
            }
            ExprKind::Like { expr, pattern, negated, .. } => {
                out.push_str(if *negated { "_not(_like(" } else { "(_like(" });
                self.expr(expr, out);
                _ = write!(out, ",{}))", string(pattern));
            }
            ExprKind::IsNull { expr, negated } => {
                out.push('(');
                self.expr(expr, out);
                out.push_str(if *negated { " is not None)" } else { " is None)" });
            }
            ExprKind::Call { name, args, .. } => self.function(name, args, out),
        }
    }

    fn function(&mut self, name: &str, args: &Args, out: &mut String) {
        if name == "now" {
            out.push_str("_now()");
            return;
        }
        let (Some(kind), Some(specs)) = (AggregateKind::from_name(name), self.aggregates.as_deref_mut()) else {
            out.push_str("None");
            return;
        };
        let field = match args {
            Args::List(list) => match list.as_slice() {
                [Expr { kind: ExprKind::Field(f), .. }] => self.schema.get(f),
                _ => None,
            },
            Args::Star => None,
        };
        let spec = match field {
            Some(f) => format!(
                "('{}',{},{})",
                kind.name(),
                string(&f.name),
                if f.ty == ValueType::Float { "True" } else { "False" }
            ),
            None if matches!(args, Args::Star) => format!("('{}',None,False)", kind.name()),
            None => {
                out.push_str("None");
                return;
            }
        };
        _ = write!(out, "a[{}]", specs.len());
        specs.push(spec);
    }
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
        assert_eq!(lower(&parse("transaction > 9000").unwrap(), &s), r#"_gt(r.get("transaction"),9000)"#);
        assert_eq!(lower(&parse("amount + 0.5").unwrap(), &s), r#"_add(_f(r.get("amount")),0.5)"#);
        assert_eq!(
            lower(&parse("bankId NOT IN ('a') OR bankId LIKE 'x%' AND bankId IS NULL").unwrap(), &s),
            r#"_or(_not(_in(r.get("bankId"),("a",))),_and((_like(r.get("bankId"),"x%")),(r.get("bankId") is None)))"#
        );
        assert_eq!(lower(&parse("now()").unwrap(), &s), "_now()");
        assert_eq!(
            schema_literal(&s),
            r#"(("transaction",'int',True,None),("amount",'float',False,None),("bankId",'string',False,8))"#
        );
    }

    #[test]
    fn lowers_windows() {
        let w = lower_window(&parse("count(*) > 100 AND bankId = 'b' AND avg(amount) > 1").unwrap(), &schema());
        assert_eq!(w.aggregates, r#"(('count',None,False),('avg',"amount",True))"#);
        assert_eq!(w.condition, r#"_and(_and(_gt(a[0],100),_eq(g.get("bankId"),"b")),_gt(a[1],1))"#);
        assert!(RUNTIME.len() < 3000);
    }
}
