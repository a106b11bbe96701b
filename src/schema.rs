//! `pipec schema`: the JSON Schema of the spec language, generated from the spec model.

use serde_json::Value;

/// The schema as pretty JSON (the committed copy is `specs/pipec.schema.json`).
#[must_use]
pub fn json() -> String {
    let schema = schemars::schema_for!(crate::spec::Spec);
    let mut value = schema.to_value();
    drop_null(&mut value);
    serde_json::to_string_pretty(&value).unwrap_or_default()
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
