//! Record validation: the gate before evaluation. Invalid records are never evaluated; callers
//! dead-letter them with the returned reason.
//!
//! * Every `required` field is present and not `null`; optional fields may be missing or null.
//! * int: a JSON integer (no fraction, no exponent: `5.0` is not an int) within i64.
//! * float: a JSON number whose nearest double is 0 or has a magnitude in [1e-130, 1e126):
//!   DynamoDB's number range, so that every valid record can be stored on every target.
//! * bool: `true` / `false` only. string: a JSON string; `max_length` counts Unicode characters.
//! * timestamp: a string `YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z|±HH:MM|±HHMM]` holding a real
//!   calendar value, the fraction at most 9 digits (see [`super::timestamp`]).
//! * Fields not in the schema are allowed and ignored.

use serde_json::{Map, Value as Json};

use super::types::{RecordSchema, ValueType};

/// Checks `record` against `schema`.
///
/// # Errors
/// The first problem, as `field: reason`.
pub fn validate(record: &Map<String, Json>, schema: &RecordSchema) -> Result<(), String> {
    // The usual record has exactly the schema's fields in its order: pair them up without
    // hashing each name (the result is the same as looking every field up).
    let in_order = record.len() == schema.fields.len() && record.keys().zip(&schema.fields).all(|(k, f)| *k == f.name);
    if in_order {
        return record.values().zip(&schema.fields).try_for_each(|(value, field)| check(field, Some(value)));
    }
    schema.fields.iter().try_for_each(|field| check(field, record.get(&field.name)))
}

/// One field's value (`None`: absent).
fn check(field: &super::types::FieldSchema, value: Option<&Json>) -> Result<(), String> {
    let value = match value {
        None | Some(Json::Null) if field.required => return Err(format!("{}: required", field.name)),
        None | Some(Json::Null) => return Ok(()),
        Some(value) => value,
    };
    let ok = match field.ty {
        ValueType::Int => value.as_i64().is_some(),
        ValueType::Float => value.as_f64().is_some_and(in_number_range),
        ValueType::Bool => value.is_boolean(),
        ValueType::String => {
            value.as_str().is_some_and(|s| field.max_length.is_none_or(|max| s.chars().count() <= max as usize))
        }
        ValueType::Timestamp => value.as_str().is_some_and(is_timestamp),
    };
    if !ok {
        let limit = field.max_length.filter(|_| field.ty == ValueType::String);
        let what = limit.map_or_else(|| field.ty.to_string(), |max| format!("string of at most {max} characters"));
        return Err(format!("{}: expected {what}", field.name));
    }
    Ok(())
}

/// DynamoDB's number range (also what the Python runtime checks).
pub use crate::limits::in_number_range;

pub use super::timestamp::is_timestamp;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::types::FieldSchema;
    use serde_json::json;

    fn schema() -> RecordSchema {
        RecordSchema::new(vec![
            FieldSchema::new("id", ValueType::String).required().max_length(3),
            FieldSchema::new("n", ValueType::Int),
            FieldSchema::new("f", ValueType::Float),
            FieldSchema::new("b", ValueType::Bool),
            FieldSchema::new("t", ValueType::Timestamp),
        ])
    }

    fn check(v: &serde_json::Value) -> Result<(), String> {
        validate(v.as_object().unwrap(), &schema())
    }

    #[test]
    fn accepts_and_rejects() {
        assert_eq!(
            check(&json!({"id": "héé", "n": -5, "f": 1, "b": true, "t": "2024-01-01T00:00:00Z", "x": [1]})),
            Ok(())
        );
        assert_eq!(check(&json!({"id": "a", "n": null, "t": "2024-01-01 00:00:00.5+02:00"})), Ok(()));
        assert_eq!(check(&json!({"n": 1})), Err("id: required".into()));
        assert_eq!(check(&json!({"id": null})), Err("id: required".into()));
        assert_eq!(check(&json!({"id": "abcd"})), Err("id: expected string of at most 3 characters".into()));
        assert_eq!(check(&json!({"id": "a", "n": 5.0})), Err("n: expected int".into()));
        assert_eq!(check(&json!({"id": "a", "n": 9_223_372_036_854_775_808_u64})), Err("n: expected int".into()));
        assert_eq!(check(&json!({"id": "a", "b": 1})), Err("b: expected bool".into()));
        assert_eq!(check(&json!({"id": "a", "f": "1"})), Err("f: expected float".into()));
        assert_eq!(check(&json!({"id": "a", "t": "2024-01-01"})), Err("t: expected timestamp".into()));
    }

    #[test]
    fn timestamp_shapes() {
        assert!(is_timestamp("2024-01-01T00:00:00.123456Z"));
        assert!(is_timestamp("2024-01-01T00:00:00-05:30"));
        assert!(is_timestamp("2026-11-26 12:00:00.014593"));
        assert!(!is_timestamp("2024-01-01T00:00:00.Z"));
        assert!(!is_timestamp("2024-13-45T25:61:61Z"));
        assert!(!is_timestamp("2024-01-01t00:00:00Z"));
        assert!(!is_timestamp("2024-01-01T00:00:00Z\n"));
        assert!(!is_timestamp("２024-01-01T00:00:00Z"));
    }
}
