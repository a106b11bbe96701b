//! Reading a record's field as a [`Value`] of its declared type: the one place the evaluator
//! and the window accumulators turn JSON into values.

use std::borrow::Cow;

use serde_json::{Map, Value as Json};

use super::types::ValueType;
use super::value::Value;

/// Reads field `name` of declared type `ty` from a record: NULL when missing, null or (in an
/// invalid record) of another type.
#[must_use]
pub fn read_field<'a>(record: &'a Map<String, Json>, name: &str, ty: ValueType) -> Value<'a> {
    let Some(value) = record.get(name) else { return Value::Null };
    let read = match ty {
        ValueType::Int => value.as_i64().map(Value::Int),
        ValueType::Float => value.as_f64().map(Value::Float),
        ValueType::Bool => value.as_bool().map(Value::Bool),
        ValueType::String | ValueType::Timestamp => value.as_str().map(|s| Value::Str(Cow::Borrowed(s))),
    };
    read.unwrap_or(Value::Null)
}
