//! Lowering to Flink SQL (the `flink` engine). The result means exactly what [`super::eval`]
//! and [`super::aggregate`] mean; where Flink's own operator would differ, another spelling is
//! used (each one is listed in `specs/flink.md`):
//!
//! * int `+ - *` and unary `-` are computed in `DECIMAL` and become NULL outside i64 (Flink's
//!   BIGINT wraps around); `/` divides doubles and is NULL for a zero divisor (Flink's `/` of
//!   two BIGINTs is integer division); `%` is `MOD` with a NULL for a zero divisor; a float
//!   result that is not finite is NULL.
//! * An int compared with a float literal compares exactly: the literal becomes the int bound
//!   that means the same (`n > 2.5` is `n > 2`); other int/float comparisons are refused
//!   (Flink would round the int to a double).
//! * `IN` is the `OR` of `=` comparisons and `BETWEEN` the `AND` of two (the same
//!   three-valued results, and no implicit casts between the list's types).
//! * `LIKE` without `_` is Flink's `LIKE` (no escape character, `%` matches line breaks); with
//!   `_` it is `REGEXP` with DOTALL, because Flink's `_` does not match a line break.
//! * `sum` of an int and `avg` of an int add in `DECIMAL(38, 0)` (exact; Flink's `SUM` of
//!   BIGINT wraps and its `AVG` divides integers).
//!
//! Refused ([`Refusal`], reported as `pipec::not_in_flink_sql`): comparisons that read a
//! timestamp as an instant (and `min`/`max` of a timestamp), an int compared with a float that
//! is not a literal, `%` of floats, and a `null` literal outside `AND`/`OR`/`NOT`.

use super::aggregate::AggregateSpec;
use super::ast::{AggregateKind, Args, BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use super::timestamp::is_instant;
use super::types::{RecordSchema, ValueType};
use crate::diagnostic::Span;

/// Why a part of an expression has no Flink SQL spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The part refused (relative to the expression text).
    pub span: Span,
    pub reason: String,
}

type Lowered = Result<String, Refusal>;

/// A checked expression (a stateless rule, or a windowed rule's condition over its `group_by`
/// columns and aggregates) as a Flink SQL boolean or value expression.
///
/// # Errors
/// The first part that has no exact Flink SQL spelling.
pub fn lower(expr: &Expr, schema: &RecordSchema) -> Lowered {
    Lowering { schema }.expr(expr)
}

/// A column name as a Flink SQL identifier.
#[must_use]
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A string literal.
#[must_use]
pub fn string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The Flink SQL type of a field's column (timestamps keep their text; the event-time column is
/// computed from it).
#[must_use]
pub fn column_type(ty: ValueType) -> &'static str {
    match ty {
        ValueType::String | ValueType::Timestamp => "STRING",
        ValueType::Int => "BIGINT",
        ValueType::Float => "DOUBLE",
        ValueType::Bool => "BOOLEAN",
    }
}

const I64_MIN: &str = "-9223372036854775808";
const I64_MAX: &str = "9223372036854775807";

/// An exact DECIMAL value back to BIGINT, NULL outside i64.
fn to_int(decimal: &str) -> String {
    format!("CASE WHEN {decimal} BETWEEN {I64_MIN} AND {I64_MAX} THEN CAST({decimal} AS BIGINT) END")
}

/// A DOUBLE, NULL when not finite.
fn finite(double: &str) -> String {
    format!("CASE WHEN ABS({double}) <= 1.7976931348623157E308 THEN {double} END")
}

fn float_literal(f: f64) -> String {
    let text = format!("{f:E}");
    if f.is_sign_negative() { format!("({text})") } else { text }
}

struct Lowering<'a> {
    schema: &'a RecordSchema,
}

fn refuse(e: &Expr, reason: impl Into<String>) -> Refusal {
    Refusal { span: e.span, reason: reason.into() }
}

impl Lowering<'_> {
    /// The static type (`None` for the `null` literal) of a checked expression.
    fn ty(&self, e: &Expr) -> Option<ValueType> {
        match &e.kind {
            ExprKind::Literal(Literal::Null) => None,
            ExprKind::Literal(Literal::Int(_)) => Some(ValueType::Int),
            ExprKind::Literal(Literal::Float(_)) | ExprKind::Binary { op: BinaryOp::Div, .. } => Some(ValueType::Float),
            ExprKind::Literal(Literal::String(_)) => Some(ValueType::String),
            ExprKind::Field(name) => self.schema.get(name).map(|f| f.ty),
            ExprKind::Unary { op: UnaryOp::Neg, expr } => self.ty(expr),
            ExprKind::Binary { op, lhs, rhs } if op.is_arithmetic() => match (self.ty(lhs), self.ty(rhs)) {
                (Some(ValueType::Int), Some(ValueType::Int)) => Some(ValueType::Int),
                (None, other) | (other, None) => other,
                _ => Some(ValueType::Float),
            },
            ExprKind::Call { name, args, .. } => match (AggregateKind::from_name(name), args) {
                (Some(AggregateKind::Count), _) => Some(ValueType::Int),
                (Some(AggregateKind::Avg), _) => Some(ValueType::Float),
                (Some(_), Args::List(list)) => list.first().and_then(|a| self.ty(a)),
                _ => None,
            },
            // Bool literals, comparisons, logic, IN, BETWEEN, LIKE, IS NULL.
            _ => Some(ValueType::Bool),
        }
    }

    fn expr(&self, e: &Expr) -> Lowered {
        Ok(match &e.kind {
            ExprKind::Literal(lit) => match lit {
                Literal::Null => return Err(refuse(e, "a `null` literal here has no type in Flink SQL")),
                Literal::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
                Literal::Int(i) => i.to_string(),
                Literal::Float(f) => float_literal(*f),
                Literal::String(s) => string(s),
            },
            ExprKind::Field(name) => ident(name),
            ExprKind::Unary { op: UnaryOp::Not, expr } => format!("NOT {}", self.logic(expr)?),
            ExprKind::Unary { op: UnaryOp::Neg, expr } => {
                let x = self.expr(expr)?;
                if self.ty(expr) == Some(ValueType::Int) {
                    format!("({})", to_int(&format!("-CAST({x} AS DECIMAL(19, 0))")))
                } else {
                    format!("(-{x})")
                }
            }
            ExprKind::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), lhs, rhs } => {
                format!("({} {} {})", self.logic(lhs)?, op.symbol(), self.logic(rhs)?)
            }
            ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => self.compare(e, *op, lhs, rhs)?,
            ExprKind::Binary { op, lhs, rhs } => self.arithmetic(e, *op, lhs, rhs)?,
            ExprKind::In { expr, list, negated } => {
                let items =
                    list.iter().map(|item| self.compare(e, BinaryOp::Eq, expr, item)).collect::<Result<Vec<_>, _>>()?;
                let any = format!("({})", items.join(" OR "));
                if *negated { format!("NOT {any}") } else { any }
            }
            ExprKind::Between { expr, low, high, negated } => {
                let both = format!(
                    "({} AND {})",
                    self.compare(e, BinaryOp::Ge, expr, low)?,
                    self.compare(e, BinaryOp::Le, expr, high)?
                );
                if *negated { format!("NOT {both}") } else { both }
            }
            ExprKind::Like { expr, pattern, negated, .. } => {
                let x = self.expr(expr)?;
                let test = if pattern.contains('_') {
                    format!("REGEXP({x}, {})", string(&like_regex(pattern)))
                } else {
                    format!("{x} LIKE {}", string(pattern))
                };
                if *negated { format!("NOT ({test})") } else { format!("({test})") }
            }
            ExprKind::IsNull { expr, negated } => {
                format!("({} IS {}NULL)", self.expr(expr)?, if *negated { "NOT " } else { "" })
            }
            ExprKind::Call { name, args, .. } => self.aggregate(e, name, args)?,
        })
    }

    /// An operand of `AND` / `OR` / `NOT`, where `null` is the unknown truth value.
    fn logic(&self, e: &Expr) -> Lowered {
        match e.kind {
            ExprKind::Literal(Literal::Null) => Ok("CAST(NULL AS BOOLEAN)".to_owned()),
            _ => self.expr(e),
        }
    }

    fn compare(&self, whole: &Expr, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Lowered {
        if is_instant(lhs, self.schema) || is_instant(rhs, self.schema) {
            return Err(refuse(
                whole,
                "comparing timestamps as instants is not lowered to Flink SQL yet; compare another field",
            ));
        }
        let sql_op = if op == BinaryOp::Ne { "<>" } else { op.symbol() };
        match (self.ty(lhs), self.ty(rhs), &lhs.kind, &rhs.kind) {
            (Some(ValueType::Int), Some(ValueType::Float), _, ExprKind::Literal(Literal::Float(f))) => {
                Ok(int_vs_float(&self.expr(lhs)?, op, *f))
            }
            (Some(ValueType::Float), Some(ValueType::Int), ExprKind::Literal(Literal::Float(f)), _) => {
                Ok(int_vs_float(&self.expr(rhs)?, op.flipped(), *f))
            }
            (Some(ValueType::Float), Some(ValueType::Int), _, ExprKind::Literal(Literal::Int(i)))
                if exact_double(*i) =>
            {
                Ok(format!("({} {sql_op} CAST({i} AS DOUBLE))", self.expr(lhs)?))
            }
            (Some(ValueType::Int), Some(ValueType::Float), ExprKind::Literal(Literal::Int(i)), _)
                if exact_double(*i) =>
            {
                Ok(format!("(CAST({i} AS DOUBLE) {sql_op} {})", self.expr(rhs)?))
            }
            (Some(ValueType::Int), Some(ValueType::Float), ..) | (Some(ValueType::Float), Some(ValueType::Int), ..) => {
                Err(refuse(
                    whole,
                    "an int compared with a float expression: Flink would round the int to a double; compare with a literal",
                ))
            }
            _ => Ok(format!("({} {sql_op} {})", self.expr(lhs)?, self.expr(rhs)?)),
        }
    }

    fn arithmetic(&self, whole: &Expr, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Lowered {
        let (lt, rt) = (self.ty(lhs), self.ty(rhs));
        let (l, r) = (self.expr(lhs)?, self.expr(rhs)?);
        let both_int = lt == Some(ValueType::Int) && rt == Some(ValueType::Int);
        let double =
            |x: &str, ty| if ty == Some(ValueType::Int) { format!("CAST({x} AS DOUBLE)") } else { x.to_owned() };
        Ok(match op {
            BinaryOp::Div => {
                format!("({})", finite(&format!("{} / NULLIF({}, 0E0)", double(&l, lt), double(&r, rt))))
            }
            BinaryOp::Mod if both_int => format!("MOD({l}, NULLIF({r}, 0))"),
            BinaryOp::Mod => return Err(refuse(whole, "`%` of floats is not lowered to Flink SQL yet")),
            _ if both_int => {
                let decimal = |x: &str| format!("CAST({x} AS DECIMAL(19, 0))");
                format!("({})", to_int(&format!("{} {} {}", decimal(&l), op.symbol(), decimal(&r))))
            }
            _ => format!("({})", finite(&format!("{} {} {}", double(&l, lt), op.symbol(), double(&r, rt)))),
        })
    }

    fn aggregate(&self, e: &Expr, name: &str, args: &Args) -> Lowered {
        let Some(kind) = AggregateKind::from_name(name) else {
            return Err(refuse(e, format!("`{name}()` has no Flink SQL spelling")));
        };
        let field = match args {
            Args::Star => None,
            Args::List(list) => match list.as_slice() {
                [arg @ Expr { kind: ExprKind::Field(f), .. }] => Some((f.as_str(), self.ty(arg))),
                _ => return Err(refuse(e, "an aggregate takes one field")),
            },
        };
        aggregate_call(kind, field).map_err(|reason| refuse(e, reason))
    }
}

/// The value of one of a windowed rule's aggregates ([`super::eval::Program::aggregates`]), as
/// the rule's condition spells it: what a window's alert reports beside its name.
///
/// # Errors
/// Why the aggregate has no exact Flink SQL spelling.
pub fn aggregate_value(spec: &AggregateSpec) -> Result<String, String> {
    aggregate_call(spec.kind, spec.field.as_ref().map(|(name, ty)| (name.as_str(), Some(*ty))))
}

/// An aggregate over a field (`None`: `count(*)`) of the given type.
fn aggregate_call(kind: AggregateKind, field: Option<(&str, Option<ValueType>)>) -> Result<String, String> {
    let Some((name, ty)) = field else { return Ok("COUNT(*)".to_owned()) };
    let field = ident(name);
    let exact_sum = format!("SUM(CAST({field} AS DECIMAL(38, 0)))");
    Ok(match (kind, ty) {
        (AggregateKind::Count, _) => format!("COUNT({field})"),
        (AggregateKind::Sum, Some(ValueType::Int)) => format!("({})", to_int(&exact_sum)),
        (AggregateKind::Sum, _) => format!("({})", finite(&format!("SUM({field})"))),
        (AggregateKind::Avg, Some(ValueType::Int)) => {
            format!("({})", finite(&format!("CAST({exact_sum} AS DOUBLE) / COUNT({field})")))
        }
        (AggregateKind::Avg, _) => format!("({})", finite(&format!("SUM({field}) / COUNT({field})"))),
        (AggregateKind::Min | AggregateKind::Max, Some(ValueType::Timestamp)) => {
            return Err("`min`/`max` of a timestamp (by instant) is not lowered to Flink SQL yet".to_owned());
        }
        (AggregateKind::Min, _) => format!("MIN({field})"),
        (AggregateKind::Max, _) => format!("MAX({field})"),
    })
}

/// Whether an int converts to a double without rounding.
fn exact_double(i: i64) -> bool {
    i.unsigned_abs() <= 1 << 53
}

/// `x op f` for an int expression `x` and a float literal `f`, exactly: the literal becomes the
/// int bound with the same meaning, or the comparison is constant for a non-NULL `x`.
fn int_vs_float(x: &str, op: BinaryOp, f: f64) -> String {
    // 2^63 as a double: ints are in [-2^63, 2^63).
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let constant =
        |value: bool| format!("(CASE WHEN {x} IS NOT NULL THEN {} END)", if value { "TRUE" } else { "FALSE" });
    let bound = |b: f64| {
        if b >= TWO_63 {
            Err(true)
        } else if b < -TWO_63 {
            Err(false)
        } else {
            #[allow(clippy::cast_possible_truncation)] // integral and within i64
            Ok(b as i64)
        }
    };
    let integral = f.fract() == 0.0;
    match op {
        BinaryOp::Eq | BinaryOp::Ne => match bound(f) {
            Ok(n) if integral => format!("({x} {} {n})", if op == BinaryOp::Eq { "=" } else { "<>" }),
            _ => constant(op == BinaryOp::Ne),
        },
        // x < f  ⇔  x < ceil(f);  x >= f  ⇔  x >= ceil(f)
        BinaryOp::Lt | BinaryOp::Ge => match bound(f.ceil()) {
            Ok(n) => format!("({x} {} {n})", op.symbol()),
            // the bound is above every int: `<` always, `>=` never
            Err(above) => constant(above == (op == BinaryOp::Lt)),
        },
        // x <= f  ⇔  x <= floor(f);  x > f  ⇔  x > floor(f)
        _ => match bound(f.floor()) {
            Ok(n) => format!("({x} {} {n})", op.symbol()),
            Err(above) => constant(above == (op == BinaryOp::Le)),
        },
    }
}

/// A LIKE pattern as a Java regular expression matching the whole text, any character
/// (line breaks too) for `_`.
fn like_regex(pattern: &str) -> String {
    let mut out = String::from("(?s)^");
    let mut literal = String::new();
    let flush = |literal: &mut String, out: &mut String| {
        if !literal.is_empty() {
            // \Q...\E quotes everything but `\E`, which is split.
            out.push_str(&format!("\\Q{}\\E", literal.replace("\\E", "\\E\\\\E\\Q")));
            literal.clear();
        }
    };
    for c in pattern.chars() {
        match c {
            '%' => {
                flush(&mut literal, &mut out);
                out.push_str(".*");
            }
            '_' => {
                flush(&mut literal, &mut out);
                out.push('.');
            }
            c => literal.push(c),
        }
    }
    flush(&mut literal, &mut out);
    out.push_str("\\z");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{FieldSchema, parse};

    fn schema() -> RecordSchema {
        RecordSchema::new(vec![
            FieldSchema::new("n", ValueType::Int),
            FieldSchema::new("f", ValueType::Float),
            FieldSchema::new("s", ValueType::String),
            FieldSchema::new("at", ValueType::Timestamp),
        ])
    }

    fn sql(text: &str) -> String {
        lower(&parse(text).unwrap(), &schema()).unwrap()
    }

    #[test]
    fn spellings() {
        assert_eq!(sql("n > 2.5"), "(`n` > 2)");
        assert_eq!(sql("n >= 2.5"), "(`n` >= 3)");
        assert_eq!(sql("n = 2.5"), "(CASE WHEN `n` IS NOT NULL THEN FALSE END)");
        assert_eq!(sql("n < 1e300"), "(CASE WHEN `n` IS NOT NULL THEN TRUE END)");
        assert_eq!(sql("2.0 <= n"), "(`n` >= 2)");
        assert_eq!(sql("f > 5"), "(`f` > CAST(5 AS DOUBLE))");
        assert_eq!(sql("s != 'it''s'"), "(`s` <> 'it''s')");
        assert_eq!(sql("n IN (1, 2)"), "((`n` = 1) OR (`n` = 2))");
        assert_eq!(sql("s LIKE 'a%'"), "(`s` LIKE 'a%')");
        assert_eq!(sql("s NOT LIKE 'a_.'"), r"NOT (REGEXP(`s`, '(?s)^\Qa\E.\Q.\E\z'))");
        assert_eq!(
            sql("n + 1 > 2"),
            "((CASE WHEN CAST(`n` AS DECIMAL(19, 0)) + CAST(1 AS DECIMAL(19, 0)) BETWEEN -9223372036854775808 AND 9223372036854775807 THEN CAST(CAST(`n` AS DECIMAL(19, 0)) + CAST(1 AS DECIMAL(19, 0)) AS BIGINT) END) > 2)"
        );
        assert_eq!(sql("n % 3 = 1"), "(MOD(`n`, NULLIF(3, 0)) = 1)");
    }

    #[test]
    fn refusals() {
        let refused = |text: &str| lower(&parse(text).unwrap(), &schema()).unwrap_err();
        assert!(refused("at > '2024-01-01T00:00:00Z'").reason.contains("instants"));
        assert!(refused("n > f").reason.contains("rounds") || refused("n > f").reason.contains("round"));
        assert!(refused("f % 2 > 0").reason.contains('%'));
    }

    #[test]
    fn like_regex_quotes_text() {
        assert_eq!(like_regex("a_b%"), r"(?s)^\Qa\E.\Qb\E.*\z");
        assert_eq!(like_regex(r"x\Ey_"), r"(?s)^\Qx\E\\E\Qy\E.\z");
    }
}
