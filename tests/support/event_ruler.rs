//! A model of how AWS's matcher (aws/event-ruler, which Lambda's event filtering uses) sees the
//! numbers of a record, for the filter soundness test: `ComparableNumber.generate` parses a
//! number's text as a `BigDecimal`, takes its nearest double and refuses the number (the value
//! is then matched as a string, so no `numeric` or numeric exact pattern matches it) unless
//! `BigDecimal.valueOf(double)` — the shortest printout of that double (JDK 19+) — has exactly
//! the text's value, and the double is finite. `-0` is `0`; exponents and trailing zeros do
//! not matter (`1E+3`, `1000.0`); `9007199254740993` and `9000.250000000001` are refused.
//!
//! [`as_event_ruler_sees`] turns a record line into the value pipec's own pattern matcher
//! (`pipec::expr::filter::matches`) then reads as event-ruler would: every top-level number
//! that event-ruler refuses becomes an opaque string, which no numeric condition matches.

use serde_json::{Map, Value};

/// The exact decimal value of a JSON number's text: (negative, digits without leading or
/// trailing zeros, exponent of the last digit); zero is `(false, "", 0)` whatever its sign.
fn decimal(text: &str) -> (bool, String, i64) {
    let (negative, text) = text.strip_prefix('-').map_or((false, text), |t| (true, t));
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let mut exponent: i64 = exponent.trim_start_matches('+').parse().unwrap_or(0);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    exponent -= i64::try_from(fraction.len()).unwrap();
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    let kept = digits.trim_end_matches('0');
    if kept.is_empty() {
        return (false, String::new(), 0);
    }
    exponent += i64::try_from(digits.len() - kept.len()).unwrap();
    (negative, kept.to_string(), exponent)
}

/// Whether event-ruler compares the JSON number `text` as a number.
pub fn comparable(text: &str) -> bool {
    let Ok(double) = text.parse::<f64>() else { return false };
    // Rust's `{:e}` prints the shortest digits that read back as the same double, as Java's
    // `Double.toString` does since JDK 19.
    double.is_finite() && decimal(text) == decimal(&format!("{double:e}"))
}

/// The top-level members of a JSON object's text, each with its value's raw text, in order;
/// `None` when the text is not an object.
fn raw_members(text: &str) -> Option<Vec<(String, &str)>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    // The end of the value starting at `i` (strings honour escapes, brackets nest).
    let value_end = |mut i: usize| -> usize {
        let mut depth = 0usize;
        let mut in_string = false;
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                match b {
                    b'\\' => i += 1,
                    b'"' => in_string = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' | b',' if depth == 0 => return i,
                    b'}' | b']' => depth -= 1,
                    _ => {}
                }
            }
            i += 1;
            if depth == 0 && !in_string && matches!(bytes[i - 1], b'"' | b'}' | b']') {
                return i;
            }
        }
        i
    };
    skip_ws(&mut i);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut members = Vec::new();
    loop {
        skip_ws(&mut i);
        match bytes.get(i) {
            Some(b'}') => return Some(members),
            Some(b',') => i += 1,
            Some(b'"') => {
                let end = value_end(i);
                let key: String = serde_json::from_str(&text[i..end]).ok()?;
                i = end;
                skip_ws(&mut i);
                if bytes.get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
                skip_ws(&mut i);
                let end = value_end(i);
                members.push((key, text[i..end].trim_end()));
                i = end;
            }
            _ => return None,
        }
    }
}

/// The record in `line` as event-ruler compares it: refused numbers as opaque strings.
pub fn as_event_ruler_sees(line: &str) -> Option<Value> {
    let mut record: Map<String, Value> = match serde_json::from_str(line).ok()? {
        Value::Object(map) => map,
        _ => return None,
    };
    for (key, raw) in raw_members(line)? {
        let number = raw.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
        if number && !comparable(raw) {
            record.insert(key, Value::String(format!("<a number event-ruler cannot compare: {raw}>")));
        }
    }
    Some(Value::Object(record))
}

#[test]
fn event_ruler_compares_only_shortest_doubles() {
    for text in
        ["0", "-0", "-0.0", "1000", "1000.0", "1E+3", "1e3", "0.1", "9000.25", "-5", "1e300", "9007199254740992"]
    {
        assert!(comparable(text), "{text}");
    }
    for text in ["9007199254740993", "9000.250000000001", "0.1000000000000000055511151231257827", "1e400"] {
        assert!(!comparable(text), "{text}");
    }
    assert!(!comparable("9223372036854775807"), "i64::MAX is not a double's shortest text");
    let seen = as_event_ruler_sees(r#"{"a": 9007199254740993, "b": "x,}", "c": {"d": [1, 2]}, "e": 1.5}"#).unwrap();
    assert!(seen["a"].is_string());
    assert_eq!(seen["b"], "x,}");
    assert_eq!(seen["e"], 1.5);
}
