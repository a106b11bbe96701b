//! Runtime values and the operations on them: the semantics every target must reproduce.
//!
//! * `Null` is SQL NULL: a missing field, a JSON `null`, or the result of an undefined
//!   operation. Comparisons and arithmetic with NULL give NULL.
//! * Int op int (`+ - *`) is checked 64-bit arithmetic; overflow gives NULL. Unary `-` of
//!   `i64::MIN` gives NULL.
//! * Int with float converts the int to the nearest double, then computes in doubles. A double
//!   result that is not finite (overflow to ±inf, NaN) gives NULL, so NaN never appears.
//! * `/` always divides doubles (`7 / 2` is `3.5`); `%` keeps the sign of the dividend (C
//!   `fmod`, Rust `%`); `x / 0` and `x % 0` give NULL. `i64::MIN % -1` is `0`.
//! * Comparisons of int with float are exact (as if on the real numbers, like Python), not
//!   after rounding the int. Strings (and timestamps, which are strings) compare by Unicode
//!   code point. `false < true`.
//! * LIKE matches the whole string; `%` is any run of characters, `_` exactly one character
//!   (a Unicode scalar value); matching is case-sensitive and has no escape character.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::ast::BinaryOp;

/// One runtime value; strings borrow from the record or the expression where they can.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
}

impl Value<'_> {
    /// The truth value of a condition: `Some` for a bool, `None` for NULL.
    #[must_use]
    pub fn truth(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether a rule flags: only TRUE does.
    #[must_use]
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    #[must_use]
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
        }
    }

    /// The value as JSON (an enrichment result).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            Value::Str(s) => s.as_ref().into(),
        }
    }
}

/// A double result, or NULL when it is not finite.
#[must_use]
pub fn finite(f: f64) -> Value<'static> {
    if f.is_finite() { Value::Float(f) } else { Value::Null }
}

#[allow(clippy::cast_precision_loss)] // int → nearest double is the documented semantics
fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// `a op b` for the arithmetic operators.
#[must_use]
pub fn arithmetic(op: BinaryOp, a: &Value, b: &Value) -> Value<'static> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let (x, y) = (*x, *y);
        let result = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Sub => x.checked_sub(y),
            BinaryOp::Mul => x.checked_mul(y),
            BinaryOp::Mod if y == 0 => None,
            BinaryOp::Mod => Some(x.checked_rem(y).unwrap_or(0)),
            _ => return divide(a, b),
        };
        return result.map_or(Value::Null, Value::Int);
    }
    let (Some(x), Some(y)) = (as_f64(a), as_f64(b)) else { return Value::Null };
    match op {
        BinaryOp::Add => finite(x + y),
        BinaryOp::Sub => finite(x - y),
        BinaryOp::Mul => finite(x * y),
        BinaryOp::Mod if y == 0.0 => Value::Null,
        BinaryOp::Mod => finite(x % y),
        _ => divide(a, b),
    }
}

fn divide(a: &Value, b: &Value) -> Value<'static> {
    match (as_f64(a), as_f64(b)) {
        (Some(x), Some(y)) if y != 0.0 => finite(x / y),
        _ => Value::Null,
    }
}

/// Unary minus.
#[must_use]
pub fn negate(v: &Value) -> Value<'static> {
    match v {
        Value::Int(i) => i.checked_neg().map_or(Value::Null, Value::Int),
        Value::Float(f) => Value::Float(-f),
        _ => Value::Null,
    }
}

/// Exact comparison of an int with a finite double.
fn cmp_int_float(i: i64, f: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    let t = f.trunc();
    #[allow(clippy::cast_possible_truncation)] // |t| < 2^63 and integral: exact
    let ti = t as i64;
    i.cmp(&ti).then_with(|| 0.0_f64.partial_cmp(&(f - t)).unwrap_or(Ordering::Equal))
}

/// The order of two values, or `None` when either is NULL (or they are not comparable).
#[must_use]
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Float(y)) => Some(cmp_int_float(*x, *y)),
        (Value::Float(x), Value::Int(y)) => Some(cmp_int_float(*y, *x).reverse()),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `a op b` for the comparison operators: a bool, or NULL.
#[must_use]
pub fn comparison(op: BinaryOp, a: &Value, b: &Value) -> Value<'static> {
    let Some(ord) = compare(a, b) else { return Value::Null };
    Value::Bool(match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::Ne => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::Le => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    })
}

/// SQL LIKE over characters: `%` any run, `_` one character. Linear-time greedy matching with
/// one backtrack point, so no pattern is slow.
#[must_use]
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || (p[pi] != '%' && p[pi] == t[ti])) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '%')
}

/// `ms` milliseconds since the Unix epoch as RFC 3339 UTC with milliseconds:
/// `2024-05-01T12:00:00.000Z` (the result of `now()`).
#[must_use]
pub fn format_timestamp_millis(ms: i64) -> String {
    let (year, month, day, hour, minute, second) = civil(ms);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:03}Z", ms.rem_euclid(1000))
}

/// UTC `(year, month, day, hour, minute, second)` of `ms` since the epoch.
#[must_use]
pub fn civil(ms: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000) / 1000;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_rules() {
        use BinaryOp::{Add, Div, Mod, Mul, Sub};
        assert_eq!(arithmetic(Add, &Value::Int(9000), &Value::Int(500)), Value::Int(9500));
        assert_eq!(arithmetic(Add, &Value::Int(i64::MAX), &Value::Int(1)), Value::Null);
        assert_eq!(arithmetic(Mul, &Value::Int(i64::MIN), &Value::Int(-1)), Value::Null);
        assert_eq!(arithmetic(Sub, &Value::Int(1), &Value::Float(0.5)), Value::Float(0.5));
        assert_eq!(arithmetic(Div, &Value::Int(7), &Value::Int(2)), Value::Float(3.5));
        assert_eq!(arithmetic(Div, &Value::Int(7), &Value::Float(-0.0)), Value::Null);
        assert_eq!(arithmetic(Mod, &Value::Int(-7), &Value::Int(3)), Value::Int(-1));
        assert_eq!(arithmetic(Mod, &Value::Int(i64::MIN), &Value::Int(-1)), Value::Int(0));
        assert_eq!(arithmetic(Mod, &Value::Float(-7.5), &Value::Int(2)), Value::Float(-1.5));
        assert_eq!(arithmetic(Mul, &Value::Float(1e308), &Value::Int(10)), Value::Null);
        assert_eq!(arithmetic(Add, &Value::Null, &Value::Int(1)), Value::Null);
        assert_eq!(negate(&Value::Int(i64::MIN)), Value::Null);
    }

    #[test]
    fn comparisons_are_exact() {
        let big = Value::Int(9_007_199_254_740_993); // 2^53 + 1: not a double
        assert_eq!(compare(&big, &Value::Float(9_007_199_254_740_992.0)), Some(Ordering::Greater));
        assert_eq!(compare(&Value::Int(i64::MAX), &Value::Float(9.223_372_036_854_776e18)), Some(Ordering::Less));
        assert_eq!(compare(&Value::Int(3), &Value::Float(3.5)), Some(Ordering::Less));
        assert_eq!(compare(&Value::Int(-3), &Value::Float(-3.5)), Some(Ordering::Greater));
        assert_eq!(compare(&Value::Int(3), &Value::Float(3.0)), Some(Ordering::Equal));
        assert_eq!(comparison(BinaryOp::Gt, &Value::Null, &Value::Int(1)), Value::Null);
        let (a, b) = (Value::Str("é".into()), Value::Str("z".into()));
        assert_eq!(compare(&a, &b), Some(Ordering::Greater));
    }

    #[test]
    fn like_patterns() {
        assert!(like("abc", "a%"));
        assert!(like("abc", "a_c"));
        assert!(like("ébc", "_bc"));
        assert!(like("", "%"));
        assert!(!like("abc", "A%"));
        assert!(like("aXbXc", "%b%c"));
        assert!(!like("ab", "a_c"));
        assert!(like(&"a".repeat(1000), &"%a".repeat(50)));
    }

    #[test]
    fn timestamps() {
        assert_eq!(format_timestamp_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_timestamp_millis(1_714_564_800_123), "2024-05-01T12:00:00.123Z");
        assert_eq!(format_timestamp_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
