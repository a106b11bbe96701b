//! `pipec schema`: the JSON Schema of the spec language, generated from the spec model, with
//! each key's default and range from [`spec::keys`].

use serde_json::{Value, json};

use crate::spec::keys::{self, Key, Unit};

/// The schema as pretty JSON (the committed copy is `specs/pipec.schema.json`).
#[must_use]
pub fn json() -> String {
    let schema = schemars::schema_for!(crate::spec::Spec);
    let mut value = schema.to_value();
    drop_null(&mut value);
    for key in keys::ALL {
        if let Some(pointer) = pointer(&value, key)
            && let Some(Value::Object(property)) = value.pointer_mut(&pointer)
        {
            describe(property, key);
        }
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// The JSON pointer of `key`'s property schema, following `$ref`s into `$defs`, `[]` into
/// `items`, `<name>` into `additionalProperties`, and `anyOf` into its object branch.
fn pointer(root: &Value, key: &Key) -> Option<String> {
    let mut at = String::new();
    for segment in key.parent.split('.').filter(|s| !s.is_empty()).chain([key.name]) {
        let (name, items) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        at = object(root, at)?;
        at = if name.starts_with('<') {
            format!("{at}/additionalProperties")
        } else {
            format!("{at}/properties/{name}")
        };
        if items {
            at = format!("{}/items", object(root, at)?);
        }
    }
    Some(at)
}

/// `at`, or where its `$ref` or object-typed `anyOf` branch leads.
fn object(root: &Value, at: String) -> Option<String> {
    let node = root.pointer(&at)?;
    if let Some(Value::String(reference)) = node.get("$ref") {
        return object(root, reference.strip_prefix('#')?.to_string());
    }
    if let Some(Value::Array(options)) = node.get("anyOf") {
        let index = options.iter().position(|o| o.get("properties").is_some())?;
        return Some(format!("{at}/anyOf/{index}"));
    }
    Some(at)
}

/// Adds the key's default and range to its property schema.
fn describe(property: &mut serde_json::Map<String, Value>, key: &Key) {
    let mut notes = Vec::new();
    match key.default {
        keys::Default::Required | keys::Default::Absent => {}
        keys::Default::Value(value) => {
            let default = match value {
                keys::Value::Bool(b) => json!(b),
                keys::Value::Amount(a) if a.unit == Unit::Count => json!(a.number),
                other => json!(other.to_string()),
            };
            property.insert("default".into(), default);
            notes.push(format!("Default: `{value}`."));
        }
        keys::Default::Derived(text) => notes.push(format!("Default: {text}.")),
    }
    if let Some(range) = key.range {
        if range.step == Unit::Count {
            property.insert("minimum".into(), json!(range.min.number));
            property.insert("maximum".into(), json!(range.max.number));
        }
        notes.push(format!("Allowed: {range}."));
    }
    if notes.is_empty() {
        return;
    }
    let description = match property.get("description").and_then(Value::as_str) {
        Some(text) => format!("{text} {}", notes.join(" ")),
        None => notes.join(" "),
    };
    property.insert("description".into(), Value::String(description));
}

/// schemars allows `null` for every `Option`; a spec never needs to write `null` (leave the key
/// out), and pipec refuses it, so the schema says the same.
fn drop_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(options)) = map.get_mut("anyOf") {
                options.retain(|o| o.get("type").is_none_or(|t| t != "null"));
                if options.len() == 1 {
                    let only = options.remove(0);
                    map.remove("anyOf");
                    if let Value::Object(inner) = only {
                        map.extend(inner);
                    }
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}
