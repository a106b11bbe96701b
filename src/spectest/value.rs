//! Values in a test file: YAML scalars read as JSON (YAML 1.2's core schema: `true`, `null`,
//! numbers; anything else, or anything quoted, is text), and the partial match of an expected
//! value against what a target produced.
//!
//! Matching: a mapping matches when each key it lists matches (keys it leaves out are not
//! checked; a key expected `null` must be absent or null); a list matches when it has the same
//! length and each item matches; numbers match by value (`100` matches `100.0`); other
//! scalars must be equal.

use serde_json::{Map, Number, Value as Json};

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::yaml::{Node, NodeKind, ScalarStyle};

/// The JSON value of a YAML node.
///
/// # Errors
/// A diagnostic for a number JSON cannot hold (`.inf`, `.nan`).
pub fn to_json(node: &Node) -> Result<Json, Diagnostic> {
    Ok(match &node.kind {
        NodeKind::Scalar { value, style: ScalarStyle::Plain, .. } => plain(value, node.span)?,
        NodeKind::Scalar { value, .. } => Json::String(value.clone()),
        NodeKind::Seq(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        NodeKind::Map(entries) => {
            let mut map = Map::new();
            for entry in entries {
                map.insert(entry.key.clone(), to_json(&entry.value)?);
            }
            Json::Object(map)
        }
    })
}

fn plain(text: &str, span: Span) -> Result<Json, Diagnostic> {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Json::Null);
    }
    match text {
        "true" | "True" | "TRUE" => return Ok(Json::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Json::Bool(false)),
        _ => {}
    }
    let lower = text.to_ascii_lowercase();
    if matches!(lower.trim_start_matches(['+', '-']), ".inf" | ".nan") {
        return Err(Diagnostic::error(Code::InvalidValue, span, format!("`{text}` is not a JSON number"))
            .with_label("JSON has no infinity or NaN")
            .with_help("quote it to send it as text, or use `raw:` to send any bytes"));
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Json::Number(i.into()));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Ok(Json::Number(u.into()));
    }
    let numeric = text.bytes().next().is_some_and(|b| b.is_ascii_digit() || b"+-.".contains(&b))
        && text.bytes().any(|b| b.is_ascii_digit())
        && text.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    if numeric && let Ok(f) = text.parse::<f64>() {
        return Ok(Number::from_f64(f).map_or(Json::Null, Json::Number));
    }
    Ok(Json::String(text.to_owned()))
}

/// One place where an expected value differs from what happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// The expected node that did not match.
    pub span: Span,
    /// Where in the value: `record.transaction`, `aggregates[0]` (empty for the whole value).
    pub path: String,
    pub expected: Json,
    /// `None` when the value is absent.
    pub got: Option<Json>,
}

/// Every mismatch between the expected node and `got` (empty: it matches).
#[must_use]
pub fn mismatches(expected: &Node, got: Option<&Json>) -> Vec<Mismatch> {
    let mut out = Vec::new();
    walk(expected, got, String::new(), &mut out);
    out
}

fn walk(expected: &Node, got: Option<&Json>, path: String, out: &mut Vec<Mismatch>) {
    let whole = |out: &mut Vec<Mismatch>, path: String| {
        out.push(Mismatch {
            span: expected.span,
            path,
            expected: to_json(expected).unwrap_or(Json::Null),
            got: got.cloned(),
        });
    };
    match (&expected.kind, got) {
        (NodeKind::Map(entries), Some(Json::Object(map))) => {
            for entry in entries {
                let at = if path.is_empty() { entry.key.clone() } else { format!("{path}.{}", entry.key) };
                walk(&entry.value, map.get(&entry.key), at, out);
            }
        }
        (NodeKind::Seq(items), Some(Json::Array(values))) if items.len() == values.len() => {
            for (i, (item, value)) in items.iter().zip(values).enumerate() {
                walk(item, Some(value), format!("{path}[{i}]"), out);
            }
        }
        (NodeKind::Scalar { .. }, got) => {
            let want = to_json(expected).unwrap_or(Json::Null);
            let same = match (&want, got) {
                (Json::Null, None | Some(Json::Null)) => true,
                (_, None) => false,
                (want, Some(got)) => same(want, got),
            };
            if !same {
                whole(out, path);
            }
        }
        _ => whole(out, path),
    }
}

/// Equality with numbers compared by value.
#[must_use]
pub fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// A value as one line of YAML flow text (how expected and got values are shown).
#[must_use]
pub fn show(value: Option<&Json>) -> String {
    value.map_or_else(|| "(absent)".to_owned(), super::yaml_out::flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> Node {
        crate::yaml::parse(text).unwrap()
    }

    #[test]
    fn scalars_read_as_yaml_1_2() {
        let n = node("{a: 1, b: 1.5, c: true, d: null, e: '1', f: yes, g: 2026-01-01T00:00:00Z, h: 1e3, i: -7}");
        assert_eq!(
            to_json(&n).unwrap(),
            serde_json::json!({"a": 1, "b": 1.5, "c": true, "d": null, "e": "1", "f": "yes",
                               "g": "2026-01-01T00:00:00Z", "h": 1000.0, "i": -7})
        );
        assert_eq!(to_json(&node("x: .inf")).unwrap_err().code, Code::InvalidValue);
    }

    #[test]
    fn partial_mappings_match_and_mismatches_name_their_path() {
        let got = serde_json::json!({"a": 1.0, "b": {"c": "x", "d": 2}, "e": [1, 2]});
        assert!(mismatches(&node("{a: 1, b: {c: x}, z: null}"), Some(&got)).is_empty());
        let found = mismatches(&node("{a: 2, b: {c: y}, e: [1], f: 3}"), Some(&got));
        let paths: Vec<&str> = found.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["a", "b.c", "e", "f"]);
        assert_eq!(found[3].got, None);
    }
}
