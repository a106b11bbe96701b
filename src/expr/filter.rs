//! Lowering of stateless rules to Lambda event-source-mapping filter patterns for Kinesis
//! (patterns match `data`, the decoded JSON record), and, for the tests (feature `testing`), a
//! model of how patterns match.
//!
//! A pattern list is an optimisation only: the handler re-checks every record. The lowering is
//! a sound over-approximation: every valid record on which the rule is TRUE matches at least
//! one pattern. A condition that cannot be expressed exactly is widened to `exists` on a field
//! it needs (a comparison, IN, BETWEEN or LIKE is NULL when its operand is), or dropped inside
//! AND; when a rule's patterns exceed Lambda's limits, one `exists` on a field every way of
//! satisfying the rule needs is used; only when no such field exists is the result `None` (no
//! filter), which `pipec check` reports by rule. Conservative choices, because the service
//! matches numbers with limited precision (documented for EventBridge-style matching as up to
//! ±5e9 with six decimals):
//! * numeric bounds are integers within ±5e9 (else `exists`); int fields get exact integer
//!   bounds (`transaction > 9000.5` becomes `>= 9001`);
//! * AWS's matcher (event-ruler) compares a number only when its JSON text is exactly the
//!   shortest printout of a double (see `Lower::comparable`); any other text never matches a
//!   `numeric` pattern, though the handler reads it. So only an int field bounded on both sides
//!   (`BETWEEN`, `> a AND < b`) or compared for equality (`=`, `IN`) keeps `numeric` patterns;
//!   every other numeric condition — any on a float field, a one-sided int range, `!=` /
//!   `NOT IN` on numbers — is widened to `exists` on its field;
//! * IS NOT NULL becomes `exists: true` (sound whether or not the service counts a JSON null as
//!   existing: a NULL never makes the condition TRUE);
//! * timestamps compare as instants, so `=` / `IN` on one become `exists: true` (another text
//!   may name the same instant); `!=` / `NOT IN` keep `anything-but` on the literal texts (a
//!   record holding exactly that text is that instant);
//! * at most [`MAX_PATTERNS`] patterns of at most [`MAX_PATTERN_CHARS`] characters each.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use super::types::{RecordSchema, ValueType};

pub const MAX_PATTERNS: usize = 5;
pub const MAX_PATTERN_CHARS: usize = 4096;
/// The largest numeric bound emitted.
const MAX_BOUND: f64 = 5e9;

#[derive(Clone, Debug, PartialEq)]
enum Cond {
    Exact(Json),
    /// Lower and upper bounds: (operator, integral value).
    Range(Option<(&'static str, i64)>, Option<(&'static str, i64)>),
    Prefix(String),
    Exists,
    AnythingBut(Vec<Json>),
}

/// Field → conditions (any may hold); all fields must match.
type Pattern = BTreeMap<String, Vec<Cond>>;

/// The filter patterns (any may match) of a checked stateless rule, or `None` when there should be no
/// filter. Each value is one pattern like `{"data": {"transaction": [{"numeric": [">", 9000]}]}}`.
#[must_use]
pub fn filter_patterns(expr: &Expr, schema: &RecordSchema) -> Option<Vec<Json>> {
    let lower = Lower { schema };
    let fits = |json: &[Json]| {
        !json.is_empty()
            && json.len() <= MAX_PATTERNS
            && json.iter().all(|p| {
                p.to_string().len() <= MAX_PATTERN_CHARS && p["data"].as_object().is_some_and(|o| !o.is_empty())
            })
    };
    if let Some(patterns) = lower.lower(expr, false) {
        let json: Vec<Json> = patterns.into_iter().map(|p| to_json(&lower.comparable(p))).collect();
        if fits(&json) {
            return Some(json);
        }
    }
    // Too many or too long patterns, or none: the widest sound filter left is a field that
    // must be present for the rule to be TRUE.
    let field = lower.required(expr, false)?;
    Some(vec![to_json(&BTreeMap::from([(field.to_owned(), vec![Cond::Exists])]))])
}

fn to_json(pattern: &Pattern) -> Json {
    let data: serde_json::Map<String, Json> = pattern
        .iter()
        .map(|(field, conds)| {
            let conds = conds
                .iter()
                .map(|c| match c {
                    Cond::Exact(v) => v.clone(),
                    Cond::Range(lo, hi) => {
                        let mut ops = Vec::new();
                        for (op, v) in lo.iter().chain(hi) {
                            ops.push(json!(op));
                            ops.push(json!(v));
                        }
                        json!({ "numeric": ops })
                    }
                    Cond::Prefix(p) => json!({ "prefix": p }),
                    Cond::Exists => json!({ "exists": true }),
                    Cond::AnythingBut(values) => json!({ "anything-but": values }),
                })
                .collect();
            (field.clone(), Json::Array(conds))
        })
        .collect();
    json!({ "data": data })
}

struct Lower<'a> {
    schema: &'a RecordSchema,
}

#[allow(clippy::unnecessary_wraps)] // reads best at the call sites, which return it
fn single(field: &str, cond: Cond) -> Option<Vec<Pattern>> {
    Some(vec![BTreeMap::from([(field.to_owned(), vec![cond])])])
}

/// `a AND b` where either side may be inexpressible (dropping a conjunct only widens).
fn and(a: Option<Vec<Pattern>>, b: Option<Vec<Pattern>>) -> Option<Vec<Pattern>> {
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        (a, b) => return a.or(b),
    };
    if a.len() * b.len() > MAX_PATTERNS {
        return Some(if a.len() <= b.len() { a } else { b });
    }
    let mut out = Vec::new();
    for p in &a {
        for q in &b {
            let mut merged = p.clone();
            for (field, conds) in q {
                match merged.get_mut(field) {
                    None => {
                        merged.insert(field.clone(), conds.clone());
                    }
                    Some(mine) => {
                        if let ([Cond::Range(l1, h1)], [Cond::Range(l2, h2)]) = (mine.as_slice(), conds.as_slice()) {
                            let lo = tighter(*l1, *l2, true);
                            let hi = tighter(*h1, *h2, false);
                            *mine = vec![Cond::Range(lo, hi)];
                        }
                    }
                }
            }
            out.push(merged);
        }
    }
    Some(out)
}

fn tighter(a: Option<(&'static str, i64)>, b: Option<(&'static str, i64)>, lower: bool) -> Option<(&'static str, i64)> {
    match (a, b) {
        (Some(x), Some(y)) => {
            let pick_x = if x.1 == y.1 { x.0.len() == 1 } else { (x.1 > y.1) == lower };
            Some(if pick_x { x } else { y })
        }
        (x, y) => x.or(y),
    }
}

/// `a OR b`: both sides must be expressible; single-field patterns on the same field merge.
fn or(a: Option<Vec<Pattern>>, b: Option<Vec<Pattern>>) -> Option<Vec<Pattern>> {
    let mut out = a?;
    for q in b? {
        let same = out.iter_mut().find(|p| p.len() == 1 && q.len() == 1 && p.keys().eq(q.keys()));
        match same {
            Some(p) => p.values_mut().for_each(|conds| conds.extend(q.values().flatten().cloned())),
            None => out.push(q),
        }
    }
    (out.len() <= MAX_PATTERNS).then_some(out)
}

/// A numeric literal's value.
#[allow(clippy::cast_precision_loss)] // bounds are range-checked to ±5e9 below
fn number(e: &Expr) -> Option<f64> {
    match e.kind {
        ExprKind::Literal(Literal::Int(i)) => Some(i as f64),
        ExprKind::Literal(Literal::Float(f)) => Some(f),
        _ => None,
    }
}

#[allow(clippy::cast_possible_truncation)] // integral and within ±5e9
fn bound(v: f64) -> Option<i64> {
    (v.abs() <= MAX_BOUND && v.fract() == 0.0).then_some(v as i64)
}

/// The condition on a numeric field of type `ty` that holds whenever `field op value` is TRUE.
fn numeric(op: BinaryOp, value: f64, ty: ValueType) -> Option<Cond> {
    let int = ty == ValueType::Int;
    let exact = value.fract() == 0.0;
    let range = |lo: Option<(&'static str, f64)>, hi: Option<(&'static str, f64)>| {
        let lo = match lo {
            Some((op, v)) => Some((op, bound(v)?)),
            None => None,
        };
        let hi = match hi {
            Some((op, v)) => Some((op, bound(v)?)),
            None => None,
        };
        Some(Cond::Range(lo, hi))
    };
    match op {
        BinaryOp::Eq if int && exact => range(Some(("=", value)), None),
        BinaryOp::Eq if int => None,
        BinaryOp::Eq => range(Some((">=", value.floor())), Some(("<=", value.ceil()))),
        BinaryOp::Ne if int && exact => Some(Cond::AnythingBut(vec![json!(bound(value)?)])),
        BinaryOp::Gt if int && exact => range(Some((">", value)), None),
        BinaryOp::Gt | BinaryOp::Ge if int => range(Some((">=", value.ceil())), None),
        BinaryOp::Gt | BinaryOp::Ge => range(Some((">=", value.floor())), None),
        BinaryOp::Lt if int && exact => range(None, Some(("<", value))),
        BinaryOp::Lt | BinaryOp::Le if int => range(None, Some(("<=", value.floor()))),
        BinaryOp::Lt | BinaryOp::Le => range(None, Some(("<=", value.ceil()))),
        _ => None,
    }
}

impl Lower<'_> {
    /// The pattern with every numeric condition that AWS's matcher could fail on a flagged
    /// record widened to `exists`. event-ruler (`ComparableNumber.generate`) compares a number
    /// only when the exact decimal value of its JSON text equals the value of the shortest
    /// printout of its nearest double; any other number text (`9007199254740993`,
    /// `9000.250000000001`, `0.1000000000000000055511151231257827`) is matched as a string,
    /// so no `numeric` or numeric exact pattern matches it, while the handler decides on the
    /// double. A float field may hold such a text at any value; an int field only beyond
    /// ±2^53, which a range bounded on both sides (within ±5e9) or an equality excludes.
    fn comparable(&self, pattern: Pattern) -> Pattern {
        pattern
            .into_iter()
            .map(|(field, conds)| {
                let ty = self.schema.get(&field).map(|f| f.ty);
                let unsound = |c: &Cond| match c {
                    Cond::Range(Some(("=", _)), None) | Cond::Range(Some(_), Some(_)) => ty == Some(ValueType::Float),
                    Cond::Range(..) => ty.is_some_and(ValueType::is_numeric),
                    Cond::AnythingBut(values) => values.iter().any(Json::is_number),
                    Cond::Exact(v) => v.is_number(),
                    Cond::Prefix(_) | Cond::Exists => false,
                };
                let conds = if conds.iter().any(unsound) { vec![Cond::Exists] } else { conds };
                (field, conds)
            })
            .collect()
    }

    fn field<'e>(&self, e: &'e Expr) -> Option<(&'e str, ValueType)> {
        match &e.kind {
            ExprKind::Field(name) => self.schema.get(name).map(|f| (name.as_str(), f.ty)),
            _ => None,
        }
    }

    /// The first field whose value is needed to compute `e` (arithmetic, negation and field
    /// reads are NULL when a field they read is NULL).
    fn strict_field<'e>(&self, e: &'e Expr) -> Option<&'e str> {
        match &e.kind {
            ExprKind::Field(_) => self.field(e).map(|(name, _)| name),
            ExprKind::Unary { op: UnaryOp::Neg, expr } => self.strict_field(expr),
            ExprKind::Binary { op, lhs, rhs } if !op.is_comparison() && !matches!(op, BinaryOp::And | BinaryOp::Or) => {
                self.strict_field(lhs).or_else(|| self.strict_field(rhs))
            }
            _ => None,
        }
    }

    /// A field that is present and not null whenever the leaf condition `e` is TRUE (with
    /// `negated`, whenever it is FALSE): a comparison, IN, BETWEEN and LIKE are NULL when
    /// their operand is.
    fn leaf_field<'e>(&self, e: &'e Expr, negated: bool) -> Option<&'e str> {
        match &e.kind {
            ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => {
                self.strict_field(lhs).or_else(|| self.strict_field(rhs))
            }
            ExprKind::In { expr, .. } | ExprKind::Between { expr, .. } | ExprKind::Like { expr, .. } => {
                self.strict_field(expr)
            }
            ExprKind::IsNull { expr, negated: not } if *not != negated => self.field(expr).map(|(name, _)| name),
            ExprKind::Field(_) => self.field(e).map(|(name, _)| name),
            _ => None,
        }
    }

    /// A field that must be present for `e` to be TRUE (FALSE when `negated`), if there is one.
    fn required<'e>(&self, e: &'e Expr, negated: bool) -> Option<&'e str> {
        match &e.kind {
            ExprKind::Unary { op: UnaryOp::Not, expr } => self.required(expr, !negated),
            ExprKind::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), lhs, rhs } => {
                let (a, b) = (self.required(lhs, negated), self.required(rhs, negated));
                if (*op == BinaryOp::And) == negated { a.filter(|a| b == Some(*a)) } else { a.or(b) }
            }
            _ => self.leaf_field(e, negated),
        }
    }

    /// Patterns that hold whenever `e` is TRUE (FALSE when `negated`): exact where the
    /// condition can be expressed, else `exists` on a field the condition needs.
    fn lower(&self, e: &Expr, negated: bool) -> Option<Vec<Pattern>> {
        let exact = self.exact(e, negated);
        let connective = matches!(
            e.kind,
            ExprKind::Unary { op: UnaryOp::Not, .. } | ExprKind::Binary { op: BinaryOp::And | BinaryOp::Or, .. }
        );
        if exact.is_some() || connective {
            return exact;
        }
        single(self.leaf_field(e, negated)?, Cond::Exists)
    }

    fn exact(&self, e: &Expr, negated: bool) -> Option<Vec<Pattern>> {
        match &e.kind {
            ExprKind::Unary { op: UnaryOp::Not, expr } => self.lower(expr, !negated),
            ExprKind::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), lhs, rhs } => {
                let (a, b) = (self.lower(lhs, negated), self.lower(rhs, negated));
                if (*op == BinaryOp::And) == negated { or(a, b) } else { and(a, b) }
            }
            ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => {
                let op = if negated { op.negated()? } else { *op };
                match (self.field(lhs), self.field(rhs)) {
                    (Some(f), None) => Self::compare(f, op, rhs),
                    (None, Some(f)) => Self::compare(f, op.flipped(), lhs),
                    _ => None,
                }
            }
            ExprKind::Field(_) => match self.field(e)? {
                (name, ValueType::Bool) => single(name, Cond::Exact(json!(!negated))),
                _ => None,
            },
            ExprKind::IsNull { expr, negated: not } if *not != negated => single(self.field(expr)?.0, Cond::Exists),
            ExprKind::In { expr, list, negated: not } => Self::in_list(self.field(expr)?, list, *not != negated),
            ExprKind::Between { expr, low, high, negated: not } => {
                let (name, ty) = self.field(expr)?;
                let (lo, hi) = (number(low)?, number(high)?);
                if !ty.is_numeric() {
                    return None;
                }
                if *not == negated {
                    let a = numeric(BinaryOp::Ge, lo, ty)?;
                    let b = numeric(BinaryOp::Le, hi, ty)?;
                    and(single(name, a), single(name, b))
                } else {
                    or(single(name, numeric(BinaryOp::Lt, lo, ty)?), single(name, numeric(BinaryOp::Gt, hi, ty)?))
                }
            }
            ExprKind::Like { expr, pattern, negated: not, .. } if *not == negated => {
                let (name, _) = self.field(expr)?;
                let prefix = pattern.trim_end_matches('%');
                if prefix.contains(['%', '_']) {
                    return None;
                }
                let cond = match (prefix.len() == pattern.len(), prefix.is_empty()) {
                    (true, _) => Cond::Exact(json!(pattern)),
                    (false, true) => Cond::Exists,
                    (false, false) => Cond::Prefix(prefix.to_owned()),
                };
                single(name, cond)
            }
            _ => None,
        }
    }

    fn compare((name, ty): (&str, ValueType), op: BinaryOp, value: &Expr) -> Option<Vec<Pattern>> {
        let ExprKind::Literal(lit) = &value.kind else { return None };
        let cond = match (lit, ty, op) {
            (Literal::Int(_) | Literal::Float(_), ValueType::Int | ValueType::Float, _) => {
                numeric(op, number(value)?, ty)?
            }
            // Timestamps compare as instants: another text may name the same instant.
            (Literal::String(_), ValueType::Timestamp, BinaryOp::Eq) => Cond::Exists,
            (Literal::String(s), ValueType::String, BinaryOp::Eq) => Cond::Exact(json!(s)),
            (Literal::String(s), ValueType::String | ValueType::Timestamp, BinaryOp::Ne) => {
                Cond::AnythingBut(vec![json!(s)])
            }
            (Literal::Bool(b), ValueType::Bool, BinaryOp::Eq) => Cond::Exact(json!(b)),
            (Literal::Bool(b), ValueType::Bool, BinaryOp::Ne) => Cond::Exact(json!(!b)),
            _ => return None,
        };
        single(name, cond)
    }

    fn in_list((name, ty): (&str, ValueType), list: &[Expr], negated: bool) -> Option<Vec<Pattern>> {
        let mut values = Vec::new();
        for item in list {
            let ExprKind::Literal(literal) = &item.kind else { return None };
            match (literal, ty) {
                (Literal::Null, _) => {}
                (Literal::String(s), ValueType::String | ValueType::Timestamp) => values.push(json!(s)),
                (Literal::Bool(b), ValueType::Bool) => values.push(json!(b)),
                (Literal::Int(_) | Literal::Float(_), ValueType::Int) => {
                    let v = number(item)?;
                    if v.fract() == 0.0 {
                        values.push(json!(bound(v)?));
                    }
                }
                _ => return None,
            }
        }
        if negated {
            return (!values.is_empty()).then(|| single(name, Cond::AnythingBut(values)))?;
        }
        if ty == ValueType::Timestamp {
            // Instants: the listed texts are not the only spellings of those instants.
            return (!values.is_empty()).then(|| single(name, Cond::Exists))?;
        }
        let conds: Vec<Cond> = values
            .into_iter()
            .map(|v| {
                if v.is_number() {
                    Cond::Range(Some(("=", v.as_i64().unwrap_or_default())), None)
                } else {
                    Cond::Exact(v)
                }
            })
            .collect();
        (!conds.is_empty()).then(|| vec![BTreeMap::from([(name.to_owned(), conds)])])
    }
}

/// Whether `record` (the decoded JSON record) matches one `pattern` (`{"data": {...}}`), by the
/// documented rules, read conservatively: every key of the pattern must match (AND); a key's
/// array matches when one element does (OR); an exact value matches an equal JSON value
/// (numbers numerically); `numeric` needs a number meeting every bound; `prefix` a string
/// starting with it; `exists: true` a present, non-null value (`false`: an absent key);
/// `anything-but` a present, non-null value of the same kind equal to none of the listed.
///
/// Test-only (feature `testing`): the suite checks the lowering against it; pipec itself never
/// matches patterns (Lambda does).
#[cfg(any(test, feature = "testing"))]
#[must_use]
pub fn matches(pattern: &Json, record: &Json) -> bool {
    match pattern.get("data") {
        Some(data) => object_matches(data, record),
        None => false,
    }
}

#[cfg(any(test, feature = "testing"))]
fn object_matches(pattern: &Json, value: &Json) -> bool {
    let Some(pattern) = pattern.as_object() else { return false };
    pattern.iter().all(|(key, p)| {
        let v = value.get(key);
        match p {
            Json::Object(_) => v.is_some_and(|v| object_matches(p, v)),
            Json::Array(conds) => conds.iter().any(|c| cond_matches(c, v)),
            _ => false,
        }
    })
}

#[cfg(any(test, feature = "testing"))]
fn same_value(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(any(test, feature = "testing"))]
fn cond_matches(cond: &Json, value: Option<&Json>) -> bool {
    let present = value.filter(|v| !v.is_null());
    let Json::Object(op) = cond else { return value.is_some_and(|v| same_value(cond, v)) };
    if let Some(Json::Array(bounds)) = op.get("numeric") {
        let Some(x) = present.and_then(Json::as_f64) else { return false };
        return bounds.chunks(2).all(|pair| match (pair[0].as_str(), pair.get(1).and_then(Json::as_f64)) {
            (Some("="), Some(b)) => x.total_cmp(&b).is_eq(),
            (Some(">"), Some(b)) => x > b,
            (Some(">="), Some(b)) => x >= b,
            (Some("<"), Some(b)) => x < b,
            (Some("<="), Some(b)) => x <= b,
            _ => false,
        });
    }
    if let Some(Json::String(prefix)) = op.get("prefix") {
        return present.and_then(Json::as_str).is_some_and(|s| s.starts_with(prefix.as_str()));
    }
    if let Some(Json::Bool(exists)) = op.get("exists") {
        return if *exists { present.is_some() } else { value.is_none() };
    }
    if let Some(Json::Array(excluded)) = op.get("anything-but") {
        let kind = |v: &Json| std::mem::discriminant(v);
        return present.is_some_and(|v| excluded.iter().all(|e| kind(e) == kind(v) && !same_value(e, v)));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{FieldSchema, parse};

    fn schema() -> RecordSchema {
        RecordSchema::new(vec![
            FieldSchema::new("transaction", ValueType::Int),
            FieldSchema::new("amount", ValueType::Float),
            FieldSchema::new("name", ValueType::String),
            FieldSchema::new("vip", ValueType::Bool),
        ])
    }

    fn lower(text: &str) -> Option<Json> {
        filter_patterns(&parse(text).unwrap(), &schema()).map(Json::Array)
    }

    #[test]
    fn lowerings() {
        // One-sided int ranges and every float condition: event-ruler cannot compare every text.
        assert_eq!(lower("transaction > 9000"), Some(json!([{"data": {"transaction": [{"exists": true}]}}])));
        assert_eq!(lower("amount > 9000.5"), Some(json!([{"data": {"amount": [{"exists": true}]}}])));
        assert_eq!(lower("amount BETWEEN 1 AND 5"), Some(json!([{"data": {"amount": [{"exists": true}]}}])));
        assert_eq!(lower("transaction != 7"), Some(json!([{"data": {"transaction": [{"exists": true}]}}])));
        assert_eq!(
            lower("transaction IN (1, 2)"),
            Some(json!([{"data": {"transaction": [{"numeric": ["=", 1]}, {"numeric": ["=", 2]}]}}]))
        );
        assert_eq!(
            lower("transaction BETWEEN 1 AND 5"),
            Some(json!([{"data": {"transaction": [{"numeric": [">=", 1, "<=", 5]}]}}]))
        );
        assert_eq!(
            lower("transaction > 1 AND transaction < 5"),
            Some(json!([{"data": {"transaction": [{"numeric": [">", 1, "<", 5]}]}}]))
        );
        assert_eq!(
            lower("name LIKE 'ab%' AND vip AND name IS NOT NULL"),
            Some(json!([{"data": {"name": [{"prefix": "ab"}], "vip": [true]}}]))
        );
        assert_eq!(lower("name = 'a' OR name IN ('b', 'c')"), Some(json!([{"data": {"name": ["a", "b", "c"]}}])));
        assert_eq!(lower("NOT (name = 'a')"), Some(json!([{"data": {"name": [{"anything-but": ["a"]}]}}])));
        assert_eq!(
            lower("transaction BETWEEN 9000 AND 10000 OR vip"),
            Some(
                json!([{"data": {"transaction": [{"numeric": [">=", 9000, "<=", 10000]}]}}, {"data": {"vip": [true]}}])
            )
        );
        assert_eq!(
            lower("transaction = 9000 AND name LIKE '%x'"),
            Some(json!([{"data": {"name": [{"exists": true}], "transaction": [{"numeric": ["=", 9000]}]}}]))
        );
        assert_eq!(
            lower("transaction = 9000 OR name LIKE '%x'"),
            Some(
                json!([{"data": {"transaction": [{"numeric": ["=", 9000]}]}}, {"data": {"name": [{"exists": true}]}}])
            )
        );
        assert_eq!(lower("transaction > 9000000000"), Some(json!([{"data": {"transaction": [{"exists": true}]}}])));
        assert_eq!(lower("amount != 1"), Some(json!([{"data": {"amount": [{"exists": true}]}}])));
        assert_eq!(lower("amount + transaction > 1"), Some(json!([{"data": {"amount": [{"exists": true}]}}])));
        assert_eq!(lower("name IS NULL"), None);
        assert_eq!(lower("name IS NULL OR vip"), None);
        assert_eq!(
            lower(
                "transaction = 1 OR vip OR name = 'a' OR amount > 1 OR (transaction = 2 AND vip) OR (name = 'b' AND vip)"
            ),
            None
        );
        // Over the pattern limit, but every branch needs `amount`: one `exists` pattern.
        let six: Vec<String> = (1..=6).map(|i| format!("(amount > {i} AND transaction = {i})")).collect();
        assert_eq!(lower(&six.join(" OR ")), Some(json!([{"data": {"amount": [{"exists": true}]}}])));
    }

    #[test]
    fn matching_model() {
        let p = json!({"data": {"a": [{"numeric": [">", 1, "<=", 5]}], "b": ["x", {"prefix": "y"}]}});
        assert!(matches(&p, &json!({"a": 5, "b": "yz"})));
        assert!(!matches(&p, &json!({"a": 5.5, "b": "x"})));
        assert!(!matches(&p, &json!({"a": "3", "b": "x"})));
        assert!(!matches(&p, &json!({"b": "x"})));
        let p = json!({"data": {"a": [{"exists": true}], "b": [{"anything-but": ["x"]}]}});
        assert!(matches(&p, &json!({"a": 0, "b": "y"})));
        assert!(!matches(&p, &json!({"a": null, "b": "y"})));
        assert!(!matches(&p, &json!({"a": 1, "b": "x"})));
        assert!(!matches(&p, &json!({"a": 1})));
    }
}
