//! Writing JSON values as YAML that the test-file reader reads back to the same values: one
//! line of flow text (`{transactionId: t1, transaction: 9500}`) for values, block mappings and
//! lists for structure. Text that could read as something else (a number, `true`, `null`, text
//! with punctuation) is double-quoted with JSON escapes, which YAML reads the same way.

use serde_json::Value as Json;

/// Whether `text` reads back as itself when written plain.
fn plain_ok(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "y" | "n" | "yes" | "no" | "on" | "off"
        )
}

/// A string as a YAML scalar.
#[must_use]
pub fn text(value: &str) -> String {
    if plain_ok(value) { value.to_owned() } else { serde_json::to_string(value).unwrap_or_default() }
}

/// A value on one line, in YAML flow style.
#[must_use]
pub fn flow(value: &Json) -> String {
    match value {
        Json::String(s) => text(s),
        Json::Array(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Json::Object(map) if map.is_empty() => "{}".to_owned(),
        Json::Object(map) => {
            let entries: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", text(k), flow(v))).collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_text_reads_back_to_the_same_value() {
        let value = serde_json::json!({
            "id": "t-1", "n": 9500, "f": 1.5, "b": true, "z": null, "num": "9500", "yes": "yes",
            "at": "2026-11-26T12:00:00Z", "q": "a'b\"c: d, [e]", "count(*)": 3, "list": [1, "x"], "e": {},
            "empty": "", "uni": "Zoë 北京"
        });
        let text = format!("v: {}", flow(&value));
        let node = crate::yaml::parse(&text).unwrap();
        assert_eq!(super::super::value::to_json(&node.get("v").unwrap().value).unwrap(), value);
    }
}
