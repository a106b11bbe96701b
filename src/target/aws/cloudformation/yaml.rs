//! A small YAML emitter for JSON values (CloudFormation `--format yaml`). Strings are
//! double-quoted with JSON escapes (always valid YAML) unless they are multi-line code, which
//! becomes a literal block; intrinsic functions keep their long form (`Fn::GetAtt:`).

use serde_json::Value;

#[must_use]
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    node(value, 0, &mut out);
    out.trim_end().to_string()
}

fn plain_key(key: &str) -> bool {
    !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || "_:.-".contains(c))
        && key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !key.ends_with(':')
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        )
}

fn key(key: &str) -> String {
    if plain_key(key) { key.to_string() } else { serde_json::to_string(key).unwrap_or_default() }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// A multi-line string that reads back identically as a literal block.
fn block(s: &str) -> bool {
    s.contains('\n')
        && s.ends_with('\n')
        && !s.contains('\t')
        && !s.contains('\r')
        && !s.starts_with([' ', '\n'])
        && s.lines().all(|l| l == l.trim_end())
}

fn node(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                out.push_str(&format!("{pad}{}:", key(k)));
                inline_or_nested(v, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for v in items {
                out.push_str(&format!("{pad}-"));
                match v {
                    Value::Object(map) if !map.is_empty() => {
                        let mut inner = String::new();
                        node(v, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(inner.trim_start());
                    }
                    _ => inline_or_nested(v, indent, out),
                }
            }
        }
        Value::Object(_) => out.push_str(&format!("{pad}{{}}\n")),
        Value::Array(_) => out.push_str(&format!("{pad}[]\n")),
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn inline_or_nested(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            node(v, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            node(v, indent + 2, out);
        }
        Value::Object(_) => out.push_str(" {}\n"),
        Value::Array(_) => out.push_str(" []\n"),
        Value::String(s) if block(s) => {
            out.push_str(" |\n");
            for line in s.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    out.push_str(&format!("{}{line}\n", " ".repeat(indent + 2)));
                }
            }
        }
        other => out.push_str(&format!(" {}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emits_nested_values() {
        let v = json!({ "A": { "B": [1, "x: y", { "C": true, "D": [] }] }, "on": "a\nb\n" });
        assert_eq!(to_string(&v), "A:\n  B:\n    - 1\n    - \"x: y\"\n    - C: true\n      D: []\n\"on\": |\n  a\n  b");
    }
}
