//! `pipec schema`: the committed `specs/pipec.schema.json` is current, is a valid JSON Schema
//! (draft 2020-12), accepts every example and valid fixture, and rejects wrong keys and types.

use std::path::Path;

use pipec::yaml::{Node, NodeKind, ScalarStyle};
use serde_json::{Map, Value};

const COMMITTED: &str = "specs/pipec.schema.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    serde_json::from_str(&pipec::schema::json()).expect("pipec schema prints JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema compiles")
}

/// A YAML tree as JSON, typing plain scalars the way YAML 1.2's core schema does (pipec's tree
/// keeps every scalar as text).
fn to_json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Scalar { value, style: ScalarStyle::Plain, .. } => plain(value),
        NodeKind::Scalar { value, .. } => Value::String(value.clone()),
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => {
            Value::Object(entries.iter().map(|e| (e.key.clone(), to_json(&e.value))).collect::<Map<_, _>>())
        }
    }
}

fn plain(value: &str) -> Value {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let numeric = value.trim_start_matches(['-', '+']);
    let looks_numeric = numeric.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && numeric.chars().all(|c| c.is_ascii_digit() || "._eE+-".contains(c));
    if let Ok(int) = value.parse::<i64>() {
        Value::from(int)
    } else if let (true, Ok(float)) = (looks_numeric, value.parse::<f64>()) {
        serde_json::Number::from_f64(float).map_or_else(|| Value::String(value.into()), Value::Number)
    } else {
        Value::String(value.into())
    }
}

/// `${NAME:-default}` → `default` (`${NAME}` → `x`): pipec expands variables before decoding,
/// so the schema describes the expanded document. The expanded text is re-read as YAML so
/// that `shards: ${N:-2}` becomes a number, as it does for pipec.
fn expand_variables(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let escaped = rest[..at].ends_with('$');
        out.push_str(&rest[..at]);
        let Some(close) = rest[at..].find('}') else { break };
        let inner = &rest[at + 2..at + close];
        if escaped {
            out.push_str(&rest[at..=at + close]);
        } else {
            out.push_str(inner.split_once(":-").map_or("x", |(_, default)| default));
        }
        rest = &rest[at + close + 1..];
    }
    out.push_str(rest);
    out
}

fn yaml_file_as_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let tree = pipec::yaml::parse(&expand_variables(&text))
        .unwrap_or_else(|d| panic!("{}: not YAML: {:?}", path.display(), d[0].message));
    to_json(&tree)
}

fn yaml_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension() == Some("yaml".as_ref()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no specs in {dir}");
    files
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn committed_schema_is_current() {
    let committed = std::fs::read_to_string(root().join(COMMITTED)).unwrap_or_default();
    assert!(
        committed.trim_end() == pipec::schema::json().trim_end(),
        "{COMMITTED} is out of date with the spec model; regenerate it with\n\n    \
         cargo run -- schema > {COMMITTED}\n"
    );
}

#[test]
fn schema_is_valid_draft_2020_12() {
    let schema = schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    if let Err(error) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("not a valid draft 2020-12 schema: {error} at {}", error.instance_path());
    }
}

#[test]
fn schema_accepts_examples_and_valid_fixtures() {
    let validator = validator();
    let mut files = yaml_files("examples");
    files.extend(yaml_files("tests/fixtures/valid"));
    for path in files {
        let instance = yaml_file_as_json(&path);
        let errors = errors(&validator, &instance);
        assert!(errors.is_empty(), "{} is rejected by the schema:\n{}", path.display(), errors.join("\n"));
    }
}

/// Each case edits the reference example (a JSON pointer and the value to put there) and must
/// be rejected.
#[test]
fn schema_rejects_unknown_keys_and_wrong_types() {
    let validator = validator();
    let base = yaml_file_as_json(&root().join("examples/transactions.yaml"));
    let cases: &[(&str, &str, Value)] = &[
        ("unknown top-level key", "/enabled", Value::Bool(true)),
        ("unknown stream key", "/stream/retension", "48h".into()),
        ("unknown rule key", "/hot/rules/0/severty", "high".into()),
        ("unknown key in a long-form field", "/stream/record/age", serde_json::json!({"type": "int", "max": 3})),
        ("unknown topic key", "/notifications/high-transactions/emails", serde_json::json!(["a@example.com"])),
        ("word where a number goes", "/stream/shards", "two".into()),
        ("list where a mapping goes", "/stream", serde_json::json!(["shards", 1])),
        ("mapping where text goes", "/name", serde_json::json!({"first": "x"})),
        ("text where a boolean goes", "/retain_data", "yes".into()),
        ("duration without unit", "/stream/retention", Value::from(60)),
        ("unknown field type", "/stream/record/age", "integr".into()),
        ("unknown severity", "/hot/rules/0/severity", "urgent".into()),
    ];
    for (what, pointer, value) in cases {
        let mut instance = base.clone();
        set(&mut instance, pointer, value.clone());
        assert!(!validator.is_valid(&instance), "schema accepts a spec with {what} ({pointer} = {value})");
    }
    let mut missing = base;
    missing.as_object_mut().unwrap().remove("stream");
    assert!(!validator.is_valid(&missing), "schema accepts a spec without `stream`");
}

/// Sets the value at a JSON pointer, creating the last key when absent.
fn set(instance: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = instance.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent} in the example"));
    match parent {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
        other => panic!("cannot set {key} in {other}"),
    }
}

#[test]
fn variables_expand_like_pipec() {
    assert_eq!(expand_variables("a: ${X:-2}\nb: ${Y}\nc: $${Z}\n"), "a: 2\nb: x\nc: $${Z}\n");
}
