//! Type checking of a parsed expression against a record schema, in one of three contexts.
//! Every problem is collected (an operand already reported is not reported again).
//!
//! Decisions: `now()` is allowed only in enrichments, so rules stay deterministic (a record
//! flags the same way on every target and on replay, and filter patterns stay sound).
//! Aggregates take a field name (`count(*)` also), not an arbitrary expression. Comparing with
//! the `null` literal is an error (it is never TRUE): write `IS NULL`. Timestamps compare with
//! other timestamps and with strings, as instants (see [`super::timestamp`]); a string literal
//! compared with a timestamp must be a valid timestamp itself.

use std::fmt;

use super::ast::{AggregateKind, Args, BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use super::types::{RecordSchema, ValueType};
use crate::diagnostic::{self, Code, Diagnostic};

/// Where an expression is used.
#[derive(Clone, Copy, Debug)]
pub enum Context<'a> {
    /// A stateless rule's `when`: a condition over one record.
    Rule,
    /// A windowed rule's `when`: a condition over aggregates and `group_by` fields.
    WindowRule { group_by: &'a [String] },
    /// An enrichment value over one flagged record; `now()` is allowed.
    Enrichment,
}

/// The static type of an expression; `Null` is the type of the `null` literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Null,
    Of(ValueType),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Null => f.write_str("null"),
            Type::Of(ty) => ty.fmt(f),
        }
    }
}

impl Type {
    fn is_numeric(self) -> bool {
        matches!(self, Type::Of(t) if t.is_numeric())
    }

    fn is(self, ty: ValueType) -> bool {
        self == Type::Of(ty)
    }
}

/// Checks `expr`; returns its type (when it has one) and every diagnostic, sorted by position.
#[must_use]
pub fn check(expr: &Expr, schema: &RecordSchema, ctx: Context) -> (Option<Type>, Vec<Diagnostic>) {
    let mut checker = Checker { schema, ctx, diagnostics: Vec::new() };
    let ty = checker.infer(expr, false);
    match ctx {
        Context::Rule | Context::WindowRule { .. } => {
            if let Some(t) = ty.filter(|t| !t.is(ValueType::Bool)) {
                checker.push(
                    Diagnostic::error(Code::NotBoolean, expr.span, "a rule must be a condition")
                        .with_label(format!("this is {}, not true or false", with_article(t)))
                        .with_help("compare it, e.g. `transaction > 9000`"),
                );
            }
            if matches!(ctx, Context::WindowRule { .. }) && !expr.has_aggregate() {
                // Without any aggregate, "not grouped" on each field only repeats the point.
                checker.diagnostics.retain(|d| d.code != Code::UngroupedField);
                checker.push(
                    Diagnostic::error(Code::MissingAggregate, expr.span, "a windowed rule needs an aggregate")
                        .with_label("no aggregate in this condition")
                        .with_help("compare an aggregate per window, e.g. `count(*) > 100`"),
                );
            }
        }
        Context::Enrichment => {}
    }
    let mut diagnostics = checker.diagnostics;
    diagnostic::sort(&mut diagnostics);
    let ok = diagnostics.iter().all(|d| !d.is_error());
    (ty.filter(|_| ok), diagnostics)
}

struct Checker<'a> {
    schema: &'a RecordSchema,
    ctx: Context<'a>,
    diagnostics: Vec<Diagnostic>,
}

fn describe(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Field(name) => format!("`{name}`"),
        _ => "the other side".to_owned(),
    }
}

/// "an int", "a string".
fn with_article(ty: impl fmt::Display) -> String {
    let name = ty.to_string();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {name}")
}

fn is_literal(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Literal(_))
}

impl Checker<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn type_error(&mut self, e: &Expr, message: impl Into<String>, label: String, help: &str) {
        self.push(Diagnostic::error(Code::ExprType, e.span, message).with_label(label).with_help(help.to_owned()));
    }

    /// Checks that `e` is a condition (bool or null).
    fn condition(&mut self, e: &Expr, what: &str, in_agg: bool) -> Option<Type> {
        let ty = self.infer(e, in_agg)?;
        if ty != Type::Null && !ty.is(ValueType::Bool) {
            self.type_error(
                e,
                format!("{what} needs conditions"),
                format!("this is {}, not a condition", with_article(ty)),
                "compare it, e.g. `x > 0`",
            );
            return None;
        }
        Some(ty)
    }

    fn infer(&mut self, e: &Expr, in_agg: bool) -> Option<Type> {
        match &e.kind {
            ExprKind::Literal(lit) => Some(match lit {
                Literal::Null => Type::Null,
                Literal::Bool(_) => Type::Of(ValueType::Bool),
                Literal::Int(_) => Type::Of(ValueType::Int),
                Literal::Float(_) => Type::Of(ValueType::Float),
                Literal::String(_) => Type::Of(ValueType::String),
            }),
            ExprKind::Field(name) => self.field(e, name, in_agg),
            ExprKind::Unary { op: UnaryOp::Not, expr } => {
                self.condition(expr, "NOT", in_agg)?;
                Some(Type::Of(ValueType::Bool))
            }
            ExprKind::Unary { op: UnaryOp::Neg, expr } => {
                let ty = self.infer(expr, in_agg)?;
                if ty != Type::Null && !ty.is_numeric() {
                    self.type_error(
                        expr,
                        "cannot negate a non-number",
                        format!("this is {}", with_article(ty)),
                        "`-` applies to int and float values",
                    );
                    return None;
                }
                Some(ty)
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, in_agg),
            ExprKind::In { expr, list, .. } => {
                let ty = self.infer(expr, in_agg);
                let mut ok = ty.is_some();
                for item in list {
                    let item_ty = self.infer(item, in_agg);
                    if let (Some(a), Some(b)) = (ty, item_ty) {
                        ok &= self.comparable(expr, a, item, b, true);
                    } else {
                        ok = false;
                    }
                }
                ok.then_some(Type::Of(ValueType::Bool))
            }
            ExprKind::Between { expr, low, high, .. } => {
                let ty = self.infer(expr, in_agg);
                let (lo, hi) = (self.infer(low, in_agg), self.infer(high, in_agg));
                let mut ok = true;
                for (bound, bound_ty) in [(low, lo), (high, hi)] {
                    ok &= match (ty, bound_ty) {
                        (Some(a), Some(b)) => self.comparable(expr, a, bound, b, false),
                        _ => false,
                    };
                }
                ok.then_some(Type::Of(ValueType::Bool))
            }
            ExprKind::Like { expr, .. } => {
                let ty = self.infer(expr, in_agg)?;
                if let Type::Of(t) = ty
                    && !t.is_textual()
                {
                    self.type_error(
                        expr,
                        "LIKE needs a string",
                        format!("this is {}", with_article(t)),
                        "LIKE matches string and timestamp fields",
                    );
                    return None;
                }
                Some(Type::Of(ValueType::Bool))
            }
            ExprKind::IsNull { expr, .. } => {
                self.infer(expr, in_agg)?;
                Some(Type::Of(ValueType::Bool))
            }
            ExprKind::Call { name, name_span, args } => self.call(e, name, *name_span, args, in_agg),
        }
    }

    fn field(&mut self, e: &Expr, name: &str, in_agg: bool) -> Option<Type> {
        let Some(field) = self.schema.get(name) else {
            let names = self.schema.fields.iter().map(|f| f.name.as_str());
            let mut d = Diagnostic::error(Code::UnknownRecordField, e.span, format!("unknown field `{name}`"))
                .with_label("not a field of `stream.record`");
            d = match diagnostic::did_you_mean(name, names) {
                Some(close) => d.with_help(format!("did you mean `{close}`?")),
                None => d.with_help("field names are case-sensitive; declare the field under `stream.record`"),
            };
            self.push(d);
            return None;
        };
        if let Context::WindowRule { group_by } = self.ctx
            && !in_agg
            && !group_by.iter().any(|g| g == name)
        {
            self.push(
                Diagnostic::error(Code::UngroupedField, e.span, format!("`{name}` is not grouped"))
                    .with_label("used outside an aggregate but not listed in `group_by`")
                    .with_help(format!("add `{name}` to `group_by`, or aggregate it, e.g. `max({name})`")),
            );
            return None;
        }
        Some(Type::Of(field.ty))
    }
}

impl Checker<'_> {
    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, in_agg: bool) -> Option<Type> {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let a = self.condition(lhs, op.symbol(), in_agg);
            let b = self.condition(rhs, op.symbol(), in_agg);
            return (a.is_some() && b.is_some()).then_some(Type::Of(ValueType::Bool));
        }
        let (a, b) = (self.infer(lhs, in_agg), self.infer(rhs, in_agg));
        let (a, b) = (a?, b?);
        if op.is_comparison() {
            return self.comparable(lhs, a, rhs, b, false).then_some(Type::Of(ValueType::Bool));
        }
        let mut ok = true;
        for (side, ty) in [(lhs, a), (rhs, b)] {
            if ty != Type::Null && !ty.is_numeric() {
                self.type_error(
                    side,
                    format!("`{}` needs numbers", op.symbol()),
                    format!("this is {}", with_article(ty)),
                    "arithmetic applies to int and float values",
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let both_int = a.is(ValueType::Int) && b.is(ValueType::Int);
        Some(match (op, a, b) {
            (BinaryOp::Div, ..) => Type::Of(ValueType::Float),
            (_, Type::Null, other) | (_, other, Type::Null) => other,
            _ if both_int => Type::Of(ValueType::Int),
            _ => Type::Of(ValueType::Float),
        })
    }

    /// Whether values of types `a` (of `lhs`) and `b` (of `rhs`) can be compared; reports why not.
    fn comparable(&mut self, lhs: &Expr, a: Type, rhs: &Expr, b: Type, allow_null: bool) -> bool {
        let (Type::Of(ta), Type::Of(tb)) = (a, b) else {
            if allow_null {
                return true;
            }
            let at = if a == Type::Null { lhs } else { rhs };
            self.push(
                Diagnostic::error(Code::ExprType, at.span, "comparison with null is never true")
                    .with_label("null here")
                    .with_help("test for a missing value with `IS NULL` / `IS NOT NULL`"),
            );
            return false;
        };
        let fits = (ta.is_numeric() && tb.is_numeric()) || (ta.is_textual() && tb.is_textual()) || ta == tb;
        if fits && (ta == ValueType::Timestamp || tb == ValueType::Timestamp) {
            return self.timestamp_literal(lhs) & self.timestamp_literal(rhs);
        }
        if !fits {
            // Point at the literal when there is one: that is usually the typo.
            let (at, at_ty, other, other_ty) =
                if is_literal(lhs) && !is_literal(rhs) { (lhs, ta, rhs, tb) } else { (rhs, tb, lhs, ta) };
            let help = match other_ty {
                ValueType::String | ValueType::Timestamp => "quote text, e.g. 'abc'".to_owned(),
                ValueType::Int | ValueType::Float => "compare with a number, e.g. `9000`".to_owned(),
                ValueType::Bool => "compare with `true` or `false`".to_owned(),
            };
            self.push(
                Diagnostic::error(Code::ExprType, at.span, format!("cannot compare {other_ty} with {at_ty}"))
                    .with_label(format!(
                        "this is {}, {} is {}",
                        with_article(at_ty),
                        describe(other),
                        with_article(other_ty)
                    ))
                    .with_help(help),
            );
        }
        fits
    }

    /// A string literal compared with a timestamp must be one; reports it when it is not.
    fn timestamp_literal(&mut self, e: &Expr) -> bool {
        let ExprKind::Literal(Literal::String(text)) = &e.kind else { return true };
        if super::timestamp::literal(text).is_some() {
            return true;
        }
        self.type_error(
            e,
            format!("'{text}' is not a timestamp"),
            "compared with a timestamp, so it must be one".to_owned(),
            "write a real date and time, e.g. '2024-05-01T12:00:00Z', '2024-05-01 12:00:00+02:00' or '2024-05-01'",
        );
        false
    }

    fn call(
        &mut self,
        e: &Expr,
        name: &str,
        name_span: crate::diagnostic::Span,
        args: &Args,
        in_agg: bool,
    ) -> Option<Type> {
        if name == "now" {
            if !matches!(args, Args::List(a) if a.is_empty()) {
                self.type_error(e, "`now()` takes no arguments", "arguments here".to_owned(), "write `now()`");
                return None;
            }
            if !matches!(self.ctx, Context::Enrichment) {
                self.push(
                    Diagnostic::error(Code::UnknownFunction, name_span, "`now()` is only allowed in enrichments")
                        .with_label("rules must not depend on the clock")
                        .with_help("use `now()` under `store.enrich`; compare a record timestamp field instead"),
                );
                return None;
            }
            return Some(Type::Of(ValueType::Timestamp));
        }
        let Some(kind) = AggregateKind::from_name(name) else {
            let known = ["now", "count", "sum", "avg", "min", "max"];
            let d = Diagnostic::error(Code::UnknownFunction, name_span, format!("unknown function `{name}`"))
                .with_label("not a known function");
            let help = match diagnostic::did_you_mean(name, known) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "known functions: now(), count(*), count(x), sum, avg, min, max".to_owned(),
            };
            self.push(d.with_help(help));
            return None;
        };
        if !matches!(self.ctx, Context::WindowRule { .. }) {
            self.push(
                Diagnostic::error(Code::AggregateOutsideWindow, e.span, format!("`{name}` needs a window"))
                    .with_label("an aggregate outside a windowed rule")
                    .with_help("add `window: { tumbling: 1m }` to the rule, or compare the field itself"),
            );
            return None;
        }
        if in_agg {
            self.type_error(
                e,
                "aggregates cannot be nested",
                "inside another aggregate".to_owned(),
                "aggregate a field directly",
            );
            return None;
        }
        let arg = match args {
            Args::Star if kind == AggregateKind::Count => return Some(Type::Of(ValueType::Int)),
            Args::List(list) if list.len() == 1 => &list[0],
            _ => {
                let usage = if kind == AggregateKind::Count { "`count(*)` or `count(field)`" } else { "one field" };
                self.type_error(
                    e,
                    format!("`{name}` takes {usage}"),
                    "wrong arguments".to_owned(),
                    &format!("write e.g. `{name}(transaction)`"),
                );
                return None;
            }
        };
        if !matches!(arg.kind, ExprKind::Field(_)) {
            self.type_error(
                arg,
                "aggregates take a field name",
                "not a field".to_owned(),
                &format!("write e.g. `{name}(transaction)`"),
            );
            return None;
        }
        let Type::Of(ty) = self.infer(arg, true)? else { return None };
        let fits = match kind {
            AggregateKind::Count => true,
            AggregateKind::Sum | AggregateKind::Avg => ty.is_numeric(),
            AggregateKind::Min | AggregateKind::Max => ty != ValueType::Bool,
        };
        if !fits {
            self.type_error(
                arg,
                format!("cannot take `{name}` of {}", with_article(ty)),
                format!("this is {}", with_article(ty)),
                "sum and avg need numbers; min and max need numbers, strings or timestamps",
            );
            return None;
        }
        Some(Type::Of(match kind {
            AggregateKind::Count => ValueType::Int,
            AggregateKind::Avg => ValueType::Float,
            _ => ty,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;
    use crate::expr::types::FieldSchema;

    fn schema() -> RecordSchema {
        RecordSchema::new(vec![
            FieldSchema::new("transaction", ValueType::Int),
            FieldSchema::new("amount", ValueType::Float),
            FieldSchema::new("name", ValueType::String),
            FieldSchema::new("bankId", ValueType::String),
            FieldSchema::new("vip", ValueType::Bool),
            FieldSchema::new("createdAt", ValueType::Timestamp),
        ])
    }

    fn run(text: &str, ctx: Context) -> (Option<Type>, Vec<Diagnostic>) {
        check(&parse(text).unwrap(), &schema(), ctx)
    }

    fn codes(text: &str, ctx: Context) -> Vec<Code> {
        run(text, ctx).1.into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn good_expressions() {
        for text in [
            "transaction > 9000",
            "transaction > 1.5 AND amount <= 3",
            "name LIKE 'a%' OR vip",
            "createdAt > '2024-01-01'",
            "transaction IN (1, 2, null)",
            "amount BETWEEN 1 AND transaction",
            "name IS NULL",
            "NOT vip",
        ] {
            assert_eq!(run(text, Context::Rule), (Some(Type::Of(ValueType::Bool)), vec![]), "{text}");
        }
        assert_eq!(run("transaction + 500", Context::Enrichment).0, Some(Type::Of(ValueType::Int)));
        assert_eq!(run("transaction / 2", Context::Enrichment).0, Some(Type::Of(ValueType::Float)));
        assert_eq!(run("now()", Context::Enrichment).0, Some(Type::Of(ValueType::Timestamp)));
        let group = ["bankId".to_owned()];
        let ctx = Context::WindowRule { group_by: &group };
        assert_eq!(run("count(*) > 100 AND bankId = 'x' AND avg(amount) > 1", ctx).1, vec![]);
    }

    #[test]
    fn type_mismatch_labels_the_literal() {
        let (ty, d) = run("transaction > 'abc'", Context::Rule);
        assert_eq!(ty, None);
        assert_eq!(d[0].code, Code::ExprType);
        assert_eq!(d[0].span(), crate::diagnostic::Span::new(14, 19));
        assert_eq!(d[0].labels[0].message, "this is a string, `transaction` is an int");
    }

    #[test]
    fn every_problem_is_reported() {
        let d = run("transacton > 1 AND name + 1 > 2 AND foo(1) AND sum(transaction) > 1", Context::Rule).1;
        let codes: Vec<_> = d.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            vec![Code::UnknownRecordField, Code::ExprType, Code::UnknownFunction, Code::AggregateOutsideWindow]
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `transaction`?"));
    }

    #[test]
    fn context_rules() {
        assert_eq!(codes("transaction + 1", Context::Rule), vec![Code::NotBoolean]);
        assert_eq!(codes("now() > '2024'", Context::Rule), vec![Code::UnknownFunction]);
        assert_eq!(codes("vip LIKE 'a'", Context::Rule), vec![Code::ExprType]);
        assert_eq!(codes("transaction = null", Context::Rule), vec![Code::ExprType]);
        assert_eq!(codes("transaction IN (1, 'a')", Context::Rule), vec![Code::ExprType]);
        assert_eq!(codes("createdAt > '2024-13-01'", Context::Rule), vec![Code::ExprType]);
        assert_eq!(codes("createdAt IN ('2024-01-01 00:00:00+02:00', 'soon')", Context::Rule), vec![Code::ExprType]);
        assert_eq!(codes("createdAt = name AND createdAt <= '2024-01-01T00:00:00.5-0130'", Context::Rule), vec![]);
        let group = ["bankId".to_owned()];
        let ctx = Context::WindowRule { group_by: &group };
        assert_eq!(codes("transaction > 1", ctx), vec![Code::MissingAggregate]);
        assert_eq!(codes("sum(name) > 1", ctx), vec![Code::ExprType]);
        assert_eq!(codes("sum(transaction + 1) > 1", ctx), vec![Code::ExprType]);
        assert_eq!(codes("count(*)", ctx), vec![Code::NotBoolean]);
    }
}
