//! AWS's limits are the spec's limits, on every target: a flagged record is stored only if its
//! DynamoDB item fits, and an alert message always fits SNS. The local runtime checks exactly
//! what the generated Lambda handler checks (`targets/lambda/limits.py` mirrors this file), in
//! the same order, with the same reasons, so a record that DynamoDB would refuse is
//! dead-lettered on both targets instead of poisoning a batch on one of them.
//!
//! Item size is computed the way DynamoDB documents it: the UTF-8 length of every attribute
//! name plus its value's size — a string its UTF-8 length, a number 1 byte plus 1 byte per two
//! significant digits (leading and trailing zeros trimmed), a boolean or null 1 byte, a list or
//! map 3 bytes plus 1 byte and the size of each element (and a map key's name). The stored item
//! is the record's declared fields and enrichments plus pipec's own attributes
//! ([`BOOKKEEPING`]), which count too.
//!
//! Numbers: DynamoDB holds at most 38 significant digits with a magnitude of 1E-130 up to
//! 9.9999999999999999999999999999999999999E+125. An `int` is within 64 bits (at most 19
//! digits); a `float` field holds the double its JSON number reads as ([`float_value`], at most
//! 17 digits) and validation keeps it within the range ([`in_number_range`]); so every stored
//! field fits, on every target. A computed number (an enrichment, a window aggregate) outside
//! the range is kept as its text ([`storable`]), the same on every target.

use serde_json::{Map, Value as Json};

/// DynamoDB's item size limit (400 KB).
pub const ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limit on a partition key value.
pub const PARTITION_KEY_BYTES: usize = 2048;
/// DynamoDB's limit on a sort key value.
pub const SORT_KEY_BYTES: usize = 1024;
/// SNS's message limit (256 KB) less 1 KiB kept for the subject and the message attributes,
/// which count towards the same request limit.
pub const MESSAGE_BYTES: usize = 256 * 1024 - 1024;
/// The characters of each string group value a window alert over [`MESSAGE_BYTES`] keeps.
pub const GROUP_VALUE_CHARS: usize = 1024;
/// SNS's subject limit, in characters.
pub const SUBJECT_CHARS: usize = 100;

/// pipec's attributes in every stored item, besides the record's: the rules that flagged it
/// (a list of strings), whether it was notified (a boolean) and the viewer index's constant
/// partition (the string [`VIEW`], see `target::index`).
pub const BOOKKEEPING: [&str; 3] = ["_pipec_rules", "_pipec_notified", "_pipec_view"];
/// The value of `_pipec_view` in every item.
pub const VIEW: &str = "1";
/// Rows per viewer page by default and at most (`?limit=`), on both targets: the local
/// `/api/flagged` and the viewer function.
pub const VIEWER_PAGE: usize = 100;
pub const VIEWER_MAX_PAGE: usize = 1000;

/// DynamoDB's number range: zero, or a magnitude in [1e-130, 1e126) (doubles only reach its
/// largest number, 9.99…9E+125 with 38 nines, as 1e126, which is over it).
#[must_use]
pub fn in_number_range(x: f64) -> bool {
    x == 0.0 || (1e-130..1e126).contains(&x.abs())
}

/// A `float` field's value as stored and sent: the double its JSON number reads as (what the
/// rules compare), so a 42-digit integer is stored as `1.2345678901234568e+41`, never with more
/// digits than DynamoDB takes. An integer text that is exactly its double stays as written
/// (`100` stays `100`).
#[must_use]
pub fn float_value(value: &Json) -> Json {
    let Json::Number(n) = value else { return value.clone() };
    let Some(x) = n.as_f64().filter(|_| !n.is_f64()) else { return value.clone() };
    let integer = n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from));
    #[allow(clippy::cast_possible_truncation)] // an integer's double is integral and within i128
    let exact = integer == Some(x as i128);
    if exact { value.clone() } else { Json::from(x) }
}

/// A computed number as stored and sent: a double outside DynamoDB's range becomes the text of
/// its shortest printout (`"1.5e+200"`); anything else is unchanged.
#[must_use]
pub fn storable(value: Json) -> Json {
    match &value {
        Json::Number(n) if n.as_f64().is_some_and(|x| n.is_f64() && !in_number_range(x)) => Json::String(n.to_string()),
        _ => value,
    }
}

/// The significant digits of a JSON number's text (sign, point and exponent dropped, leading
/// and trailing zeros trimmed); zero has one.
fn significant_digits(text: &str) -> usize {
    let mantissa = text.split(['e', 'E']).next().unwrap_or("");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len().max(1)
}

/// The size DynamoDB gives a value.
#[must_use]
pub fn value_size(value: &Json) -> usize {
    match value {
        Json::Null | Json::Bool(_) => 1,
        Json::Number(n) => 1 + significant_digits(&n.to_string()).div_ceil(2),
        Json::String(s) => s.len(),
        Json::Array(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Json::Object(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
    }
}

/// The size of the item DynamoDB stores for `item` (the record's attributes) flagged by `rules`.
#[must_use]
pub fn item_size(item: &Map<String, Json>, rules: &[&str]) -> usize {
    let attributes: usize = item.iter().map(|(k, v)| k.len() + value_size(v)).sum();
    let rules_size = 3 + rules.iter().map(|r| 1 + r.len()).sum::<usize>();
    attributes + BOOKKEEPING[0].len() + rules_size + BOOKKEEPING[1].len() + 1 + BOOKKEEPING[2].len() + VIEW.len()
}

/// Why DynamoDB would refuse the item, checked in this order: a table key value over its
/// limit, the viewer index's sort key (`view`: field and attribute type, from
/// `ir::viewer_sort`) of the wrong type or over its limit, then the whole item over 400 KB.
/// `keys` are the partition and (optional) sort key names.
#[must_use]
pub fn item_problem(
    item: &Map<String, Json>,
    rules: &[&str],
    keys: (&str, Option<&str>),
    view: Option<(&str, &str)>,
) -> Option<String> {
    let limits =
        std::iter::once((keys.0, "partition", PARTITION_KEY_BYTES)).chain(keys.1.map(|k| (k, "sort", SORT_KEY_BYTES)));
    for (name, role, limit) in limits {
        let size = item.get(name).map_or(0, value_size);
        if size > limit {
            return Some(format!("{name}: {role} key is {size} bytes, over DynamoDB's {limit}-byte limit"));
        }
    }
    if let Some((name, attribute)) = view
        && let Some(value) = item.get(name)
    {
        // Only a computed number outside DynamoDB's range is stored as text ([`storable`]).
        if attribute == "N" && !value.is_number() {
            return Some(format!(
                "{name}: {value} is outside DynamoDB's number range, and the viewer's index sorts {name} as a number"
            ));
        }
        let size = value_size(value);
        if size > SORT_KEY_BYTES {
            return Some(format!(
                "{name}: the viewer index's sort key is {size} bytes, over DynamoDB's {SORT_KEY_BYTES}-byte limit"
            ));
        }
    }
    let size = item_size(item, rules);
    (size > ITEM_BYTES).then(|| format!("item is {size} bytes, over DynamoDB's 400 KB item limit ({ITEM_BYTES} bytes)"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_count_significant_digits() {
        for (text, size) in [
            ("0", 2),
            ("100", 2),
            ("100.0", 2),
            ("-0.00123", 3),
            ("12345", 4),
            ("1e300", 2),
            ("1.5E-7", 2),
            ("9223372036854775807", 11),
        ] {
            let n: Json = serde_json::from_str(text).unwrap();
            assert_eq!(value_size(&n), size, "{text}");
        }
    }

    #[test]
    fn numbers_fit_dynamodb() {
        let read = |text: &str| serde_json::from_str::<Json>(text).unwrap();
        for (text, stored) in [
            ("100", "100"),
            ("100.0", "100.0"),
            ("9007199254740992", "9007199254740992"),
            ("9007199254740993", "9007199254740992.0"),
            ("9223372036854775807", "9.223372036854776e+18"),
            ("18446744073709551615", "1.8446744073709552e+19"),
            ("123456789012345678901234567890123456789012", "1.2345678901234568e+41"),
            ("-0", "-0.0"),
        ] {
            assert_eq!(float_value(&read(text)).to_string(), stored, "{text}");
            assert!(significant_digits(stored) <= 38);
        }
        assert_eq!(storable(json!(1.5e200)), json!("1.5e+200"));
        assert_eq!(storable(json!(-5e-131)), json!("-5e-131"));
        assert_eq!(storable(json!(1e126)), json!("1e+126"));
        assert_eq!(storable(json!(9.999_999_999_999_998e125)), json!(9.999_999_999_999_998e125));
        assert_eq!(storable(json!(1e-130)), json!(1e-130));
        assert_eq!(storable(json!(i64::MAX)), json!(i64::MAX));
        assert_eq!(storable(json!(0.0)), json!(0.0));
    }

    #[test]
    fn items_count_names_values_and_bookkeeping() {
        let item = json!({ "id": "é", "n": 12, "ok": true, "l": [1, "ab"], "m": { "k": null } });
        let item = item.as_object().unwrap();
        // id 2+2, n 1+2, ok 2+1, l 1+(3+1+2+1+2), m 1+(3+1+1+1); bookkeeping 12+(3+1+4)+15+1+11+1.
        assert_eq!(item_size(item, &["high"]), 4 + 3 + 3 + 10 + 7 + 48);
    }

    #[test]
    fn problems_name_the_limit() {
        let key = "k".repeat(PARTITION_KEY_BYTES + 1);
        let item = json!({ "id": key, "at": "t" });
        let reason = item_problem(item.as_object().unwrap(), &[], ("id", Some("at")), None).unwrap();
        assert_eq!(reason, "id: partition key is 2049 bytes, over DynamoDB's 2048-byte limit");
        let item = json!({ "id": "a", "at": "b".repeat(SORT_KEY_BYTES) });
        assert_eq!(item_problem(item.as_object().unwrap(), &[], ("id", Some("at")), None), None);
        let item = json!({ "id": "a", "big": "x".repeat(ITEM_BYTES) });
        let reason = item_problem(item.as_object().unwrap(), &["r"], ("id", None), None).unwrap();
        // id 2+1, big 3+409600, bookkeeping 12+(3+1+1)+15+1+11+1.
        assert_eq!(reason, "item is 409651 bytes, over DynamoDB's 400 KB item limit (409600 bytes)");
    }

    #[test]
    fn the_viewer_index_key_is_checked_after_the_table_keys() {
        let problem = |item: Json, view| item_problem(item.as_object().unwrap(), &[], ("id", None), view);
        let number = Some(("score", "N"));
        assert_eq!(problem(json!({ "id": "a", "score": 1.5e125 }), number), None);
        assert_eq!(problem(json!({ "id": "a" }), number), None, "not in the index");
        assert_eq!(
            problem(json!({ "id": "a", "score": "1.5e+200" }), number).unwrap(),
            "score: \"1.5e+200\" is outside DynamoDB's number range, and the viewer's index sorts score as a number"
        );
        let text = Some(("name", "S"));
        assert_eq!(problem(json!({ "id": "a", "name": "n".repeat(SORT_KEY_BYTES) }), text), None);
        assert_eq!(
            problem(json!({ "id": "a", "name": "n".repeat(SORT_KEY_BYTES + 1) }), text).unwrap(),
            "name: the viewer index's sort key is 1025 bytes, over DynamoDB's 1024-byte limit"
        );
        let key = "k".repeat(PARTITION_KEY_BYTES + 1);
        let both = problem(json!({ "id": key, "name": "n".repeat(SORT_KEY_BYTES + 1) }), text).unwrap();
        assert!(both.starts_with("id: partition key"), "{both}");
    }
}
