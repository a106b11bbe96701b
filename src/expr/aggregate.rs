//! Accumulators for windowed rules: one per aggregate call, fed the valid records of one window
//! and group, then finished to a value.
//!
//! * `count(*)` counts records; `count(x)` counts records where `x` is not NULL.
//! * `sum(x)`: exact over the non-NULL values; for an int field the result is an int, NULL when
//!   it does not fit i64; for a float field the doubles are added in arrival order (NULL when
//!   the result is not finite). NULL when no value was seen.
//! * `avg(x)`: the exact sum converted to the nearest double, divided by the count (a double);
//!   NULL when no value was seen or the result is not finite.
//! * `min(x)` / `max(x)`: the first of the least / greatest values in arrival order (value
//!   order as in comparisons: timestamps by instant); NULL when no value was seen.

use std::cmp::Ordering;

use serde_json::{Map, Value as Json};

use super::ast::AggregateKind;
use super::field::read_field;
use super::timestamp::instant_key;
use super::types::ValueType;
use super::value::{Value, compare, finite};

/// One aggregate call of a windowed rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateSpec {
    pub kind: AggregateKind,
    /// The field aggregated; `None` for `count(*)`.
    pub field: Option<(String, ValueType)>,
    /// How zoneless timestamps are read (seconds east of UTC), for `min`/`max` of a timestamp.
    pub timezone: i32,
}

impl AggregateSpec {
    /// How alerts and stored window decisions name the aggregate: `count(*)`, `sum(amount)`.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{}({})", self.kind.name(), self.field.as_ref().map_or("*", |(f, _)| f.as_str()))
    }

    /// Whether `value` replaces `best` as the min (or max): strictly less (greater), so the
    /// first of equal values stays; timestamps by instant.
    fn beats(&self, kind: AggregateKind, value: &Value, best: &Value) -> bool {
        let wanted = if kind == AggregateKind::Min { Ordering::Less } else { Ordering::Greater };
        let order = if self.field.as_ref().is_some_and(|(_, ty)| *ty == ValueType::Timestamp) {
            let key = |v: &Value| match v {
                Value::Str(s) => instant_key(s, self.timezone),
                _ => None,
            };
            key(value).zip(key(best)).map(|(a, b)| a.cmp(&b))
        } else {
            compare(value, best)
        };
        order == Some(wanted)
    }
}

/// The running state of one aggregate over one window and group.
#[derive(Clone, Debug, PartialEq)]
pub struct Accumulator {
    spec: AggregateSpec,
    seen: u64,
    state: State,
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    Empty,
    IntSum(i128),
    FloatSum(f64),
    Extreme(Value<'static>),
}

impl Accumulator {
    #[must_use]
    pub fn new(spec: AggregateSpec) -> Self {
        Self { spec, seen: 0, state: State::Empty }
    }

    /// Adds one (valid) record.
    pub fn feed(&mut self, record: &Map<String, Json>) {
        let Some((name, ty)) = &self.spec.field else {
            self.seen += 1;
            return;
        };
        let value = read_field(record, name, *ty);
        if value == Value::Null {
            return;
        }
        self.seen += 1;
        self.state = match (std::mem::replace(&mut self.state, State::Empty), self.spec.kind, value) {
            (_, AggregateKind::Count, _) => State::Empty,
            (State::IntSum(s), _, Value::Int(i)) => State::IntSum(s + i128::from(i)),
            (State::Empty, AggregateKind::Sum | AggregateKind::Avg, Value::Int(i)) => State::IntSum(i128::from(i)),
            (State::FloatSum(s), _, Value::Float(f)) => State::FloatSum(s + f),
            (State::Empty, AggregateKind::Sum | AggregateKind::Avg, Value::Float(f)) => State::FloatSum(f),
            (State::Extreme(best), kind, value) => {
                if self.spec.beats(kind, &value, &best) {
                    State::Extreme(value.into_owned())
                } else {
                    State::Extreme(best)
                }
            }
            (_, _, value) => State::Extreme(value.into_owned()),
        };
    }

    /// The state of two accumulators of the same aggregate as one, as if `self`'s records came
    /// first (session windows merging).
    #[must_use]
    pub fn merged(self, other: Accumulator) -> Accumulator {
        let state = match (self.state, other.state) {
            (State::Empty, s) | (s, State::Empty) => s,
            (State::IntSum(a), State::IntSum(b)) => State::IntSum(a + b),
            (State::FloatSum(a), State::FloatSum(b)) => State::FloatSum(a + b),
            (State::Extreme(a), State::Extreme(b)) => {
                if self.spec.beats(self.spec.kind, &b, &a) {
                    State::Extreme(b)
                } else {
                    State::Extreme(a)
                }
            }
            (a, _) => a,
        };
        Accumulator { spec: self.spec, seen: self.seen + other.seen, state }
    }

    /// The aggregate's value for the records fed so far.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // documented: exact sum → nearest double
    pub fn finish(&self) -> Value<'static> {
        if self.spec.kind == AggregateKind::Count {
            return Value::Int(i64::try_from(self.seen).unwrap_or(i64::MAX));
        }
        let n = self.seen as f64;
        match (&self.state, self.spec.kind) {
            (State::IntSum(s), AggregateKind::Sum) => i64::try_from(*s).map_or(Value::Null, Value::Int),
            (State::IntSum(s), _) => finite(*s as f64 / n),
            (State::FloatSum(s), AggregateKind::Sum) => finite(*s),
            (State::FloatSum(s), _) => finite(s / n),
            (State::Extreme(v), _) => v.clone(),
            (State::Empty, _) => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(kind: AggregateKind, ty: ValueType, values: &[Json]) -> Value<'static> {
        let mut acc = Accumulator::new(AggregateSpec { kind, field: Some(("x".into(), ty)), timezone: 0 });
        for v in values {
            acc.feed(json!({ "x": v }).as_object().unwrap());
        }
        acc.finish()
    }

    #[test]
    fn aggregates() {
        use AggregateKind::{Avg, Count, Max, Min, Sum};
        let ints = [json!(1), json!(null), json!(4)];
        assert_eq!(run(Count, ValueType::Int, &ints), Value::Int(2));
        assert_eq!(run(Sum, ValueType::Int, &ints), Value::Int(5));
        assert_eq!(run(Avg, ValueType::Int, &ints), Value::Float(2.5));
        assert_eq!(run(Min, ValueType::Int, &ints), Value::Int(1));
        assert_eq!(run(Max, ValueType::Int, &ints), Value::Int(4));
        assert_eq!(run(Sum, ValueType::Int, &[json!(i64::MAX), json!(1), json!(-2)]), Value::Int(i64::MAX - 1));
        assert_eq!(run(Sum, ValueType::Int, &[json!(i64::MAX), json!(1)]), Value::Null);
        assert_eq!(run(Sum, ValueType::Float, &[json!(1), json!(0.5)]), Value::Float(1.5));
        assert_eq!(run(Max, ValueType::String, &[json!("a"), json!("é")]), Value::Str("é".into()));
        assert_eq!(run(Sum, ValueType::Int, &[json!(null)]), Value::Null);
        let times = [json!("2024-05-01T12:00:00+02:00"), json!("2024-05-01 10:30:00"), json!("2024-05-01T09:00:00Z")];
        assert_eq!(run(Max, ValueType::Timestamp, &times), Value::Str("2024-05-01 10:30:00".into()));
        assert_eq!(run(Min, ValueType::Timestamp, &times), Value::Str("2024-05-01T09:00:00Z".into()));
        let mut star = Accumulator::new(AggregateSpec { kind: Count, field: None, timezone: 0 });
        star.feed(&Map::new());
        assert_eq!(star.finish(), Value::Int(1));
    }
}
