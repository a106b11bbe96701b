//! The generated hot Lambda handler, run under moto's in-process `mock_aws`, must flag, enrich,
//! store and publish exactly what the Rust evaluator decides — on a generated corpus full of
//! edge cases — and redelivering every batch must not duplicate a row or an alert. The same
//! corpus proves the mapping's filter patterns a sound over-approximation.

#[path = "support/tools.rs"]
mod tools;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use pipec::expr::{Program, RecordSchema, ValueType, validate};
use pipec::frontend::check_source;
use pipec::ir::Pipeline;
use pipec::source::Source;
use serde_json::{Map, Value, json};

fn pipeline(path: &str) -> Pipeline {
    let text = std::fs::read_to_string(path).unwrap();
    let checked = check_source(Source::new(path, text), None, &|_| None);
    assert!(!checked.has_errors(), "{path} must check clean");
    pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap()
}

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}

const TEXTS: &[&str] = &[
    "web",
    "app",
    "branch",
    "curl/8.1",
    "python-requests/2.31",
    "Zoë Ångström",
    "北京",
    "😀 emoji",
    "",
    "a'b\"c",
    "x%y_z",
];

/// A value for a field: mostly valid, sometimes an edge case.
fn value(rng: &mut Rng, name: &str, ty: ValueType, i: usize, key: bool) -> Value {
    match ty {
        _ if key && ty == ValueType::String => json!(format!("{name}-{i}-ü")),
        ValueType::Timestamp if key => json!(format!(
            "2026-11-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + i / 86_400 % 28,
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            i % 1000
        )),
        ValueType::Timestamp => {
            json!(*rng.pick(&["2026-11-26T12:00:00Z", "2026-11-26 12:00:00.5+01:00", "2026-11-26T23:59:59.999999"]))
        }
        ValueType::Int => match rng.below(10) {
            0 => json!(*rng.pick(&[9000, 9001, 8999, 0, -1, 50, 51, 100, 101, i64::MAX, i64::MIN])),
            _ => json!(i64::try_from(rng.below(12_000)).unwrap() - 500),
        },
        ValueType::Float => match rng.below(8) {
            0 => json!(*rng.pick(&[100.0, 99.99, 5000.0, 4999.999, 100_000.0, 0.1, -0.0, 1e300])),
            1 => json!(i64::try_from(rng.below(200)).unwrap()),
            #[allow(clippy::cast_precision_loss)]
            _ => json!(rng.below(20_000_000) as f64 / 100.0),
        },
        ValueType::Bool => json!(rng.below(2) == 0),
        ValueType::String => json!(*rng.pick(TEXTS)),
    }
}

/// One raw event line: a valid record, an invalid one, or not JSON at all.
fn event(rng: &mut Rng, schema: &RecordSchema, keys: &[&str], i: usize) -> String {
    let mut record = Map::new();
    for f in &schema.fields {
        let key = keys.contains(&f.name.as_str());
        if !f.required && rng.below(4) == 0 {
            if rng.below(2) == 0 {
                record.insert(f.name.clone(), Value::Null);
            }
            continue;
        }
        record.insert(f.name.clone(), value(rng, &f.name, f.ty, i, key));
    }
    record.insert("extra".into(), json!({ "nested": [1, 2.5, "x"] }));
    let field = schema.fields[usize::try_from(rng.below(schema.fields.len() as u64)).unwrap()].name.clone();
    match rng.below(40) {
        0 => "not json at all".into(),
        1 => "[1, 2, 3]".into(),
        2 => {
            record.remove(&field);
            Value::Object(record).to_string()
        }
        3 => {
            record.insert(field, Value::Null);
            Value::Object(record).to_string()
        }
        4 => {
            record.insert(field, json!("9500"));
            Value::Object(record).to_string()
        }
        5 => {
            record.insert(field, json!(9500.5));
            Value::Object(record).to_string()
        }
        6 => {
            let text = Value::Object(record).to_string();
            text.replacen("\"extra\"", "\"big\": 9223372036854775808, \"extra\"", 1)
        }
        _ => Value::Object(record).to_string(),
    }
}

struct Expected {
    /// key → (rule names, record)
    flagged: BTreeMap<String, (Vec<String>, Map<String, Value>)>,
    messages: BTreeMap<String, usize>,
    valid: Vec<Map<String, Value>>,
}

fn key_of(p: &Pipeline, item: &Map<String, Value>) -> String {
    let store = p.store.as_ref().unwrap();
    let sort = store.sort.as_ref().map_or(Value::Null, |k| item[&k.name].clone());
    format!("{}|{}", item[&store.partition.name], sort)
}

fn expected(p: &Pipeline, lines: &[String]) -> Expected {
    let rules: Vec<(String, Program, Vec<String>)> = p
        .record_rules()
        .map(|r| {
            (
                r.name.clone(),
                Program::compile(&r.when, &p.stream.schema),
                r.notify.iter().map(|t| p.topics[t.0].name.clone()).collect(),
            )
        })
        .collect();
    let mut out = Expected { flagged: BTreeMap::new(), messages: BTreeMap::new(), valid: Vec::new() };
    for line in lines {
        let Ok(Value::Object(record)) = serde_json::from_str::<Value>(line) else { continue };
        if validate(&record, &p.stream.schema).is_err() {
            continue;
        }
        out.valid.push(record.clone());
        let hits: Vec<&(String, Program, Vec<String>)> =
            rules.iter().filter(|(_, program, _)| program.flags(&record)).collect();
        if hits.is_empty() {
            continue;
        }
        for (_, _, topics) in &hits {
            for topic in topics {
                *out.messages.entry(topic.clone()).or_default() += 1;
            }
        }
        out.flagged.insert(key_of(p, &record), (hits.iter().map(|h| h.0.clone()).collect(), record));
    }
    out
}

fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn run(example: &str, seed: u64, count: usize) {
    let p = pipeline(example);
    let store = p.store.as_ref().unwrap();
    let keys: Vec<&str> =
        std::iter::once(store.partition.name.as_str()).chain(store.sort.as_ref().map(|k| k.name.as_str())).collect();
    let mut rng = Rng(seed);
    let lines: Vec<String> = (0..count).map(|i| event(&mut rng, &p.stream.schema, &keys, i)).collect();
    let want = expected(&p, &lines);
    assert!(want.flagged.len() > count / 50, "the corpus must flag a fair share ({} of {count})", want.flagged.len());

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cfn");
    let artifacts = pipec::target::emit(pipec::target::Target::Cfn, &p, pipec::target::Options::default()).unwrap();
    pipec::target::write(&out, &artifacts).unwrap();
    let mut events = String::new();
    for (i, line) in lines.iter().enumerate() {
        let _ = writeln!(events, "{i:020}\t{}", base64(line.as_bytes()));
    }
    let events_file = dir.path().join("events.tsv");
    std::fs::write(&events_file, events).unwrap();
    let result_file = dir.path().join("result.json");
    let harness = std::process::Command::new(tools::python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/run_handler.py"))
        .args([&out, &events_file, &result_file])
        .arg("--redeliver")
        .output()
        .unwrap();
    // The handler's log is captured and shown only when the harness fails.
    assert!(harness.status.success(), "the handler harness failed:\n{}", tools::describe(&harness));
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&result_file).unwrap()).unwrap();
    assert_eq!(result["failures"], 0, "no batch item may fail");

    let items = result["items"].as_array().unwrap();
    assert_eq!(items.len(), want.flagged.len(), "one row per flagged record, also after redelivery");
    let enrich: Vec<(&str, Option<Program>)> = store
        .enrich
        .iter()
        .map(|e| (e.name.as_str(), (!e.source.contains("now()")).then(|| Program::compile(&e.expr, &p.stream.schema))))
        .collect();
    for stored in items {
        let item = stored.as_object().unwrap();
        let key = key_of(&p, item);
        let (rules, record) = want.flagged.get(&key).unwrap_or_else(|| panic!("stored but not flagged by Rust: {key}"));
        assert_eq!(item["_pipec_rules"], json!(rules), "rules for {item:?}");
        assert_eq!(item["_pipec_notified"], json!(true));
        for field in &p.stream.schema.fields {
            match record.get(&field.name).filter(|v| !v.is_null()) {
                Some(value) => assert!(
                    same_json(&item[&field.name], value),
                    "field {}: stored {} want {value}",
                    field.name,
                    item[&field.name]
                ),
                None => assert!(!item.contains_key(&field.name), "missing field {} must stay missing", field.name),
            }
        }
        assert!(!item.contains_key("extra"), "undeclared fields are archived, not stored");
        for (name, program) in &enrich {
            match program {
                Some(program) => {
                    let want = program.eval(record, 0).to_json();
                    assert!(
                        same_json(item.get(*name).unwrap_or(&Value::Null), &want),
                        "{name}: stored {:?} want {want}",
                        item.get(*name)
                    );
                }
                None => assert!(item[*name].as_str().is_some_and(|s| s.ends_with('Z')), "{name} is a timestamp"),
            }
        }
    }
    let messages: BTreeMap<String, usize> = result["messages"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_array().unwrap().len()))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(messages, want.messages, "one alert per (record, rule, topic), none duplicated by redelivery");

    // The filter patterns let through every record the rules flag.
    let template: Value = serde_json::from_slice(&std::fs::read(out.join("template.json")).unwrap()).unwrap();
    if let Some(filters) =
        template["Resources"]["HotFunctionMapping"]["Properties"]["FilterCriteria"]["Filters"].as_array()
    {
        let patterns: Vec<Value> =
            filters.iter().map(|f| serde_json::from_str(f["Pattern"].as_str().unwrap()).unwrap()).collect();
        let mut checked = 0;
        for record in &want.valid {
            if want.flagged.get(&key_of(&p, record)).is_some_and(|(_, r)| r == record) {
                let data = Value::Object(record.clone());
                assert!(
                    patterns.iter().any(|pat| pipec::expr::filter::matches(pat, &data)),
                    "filtered out a flagged record: {data}"
                );
                checked += 1;
            }
        }
        assert!(checked > 0);
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].iter().enumerate() {
            out.push(if i <= chunk.len() { ALPHABET[(n >> shift) as usize & 63] as char } else { '=' });
        }
    }
    out
}

/// Every windowed rule's handler, fed one window in batches with the state carried between
/// invocations, alerts exactly the groups for which the Rust evaluator decides TRUE.
fn run_windows(example: &str, seed: u64, count: usize) {
    let p = pipeline(example);
    let mut rng = Rng(seed);
    let lines: Vec<String> = (0..count).map(|i| event(&mut rng, &p.stream.schema, &[], i)).collect();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cfn");
    pipec::target::write(
        &out,
        &pipec::target::emit(pipec::target::Target::Cfn, &p, pipec::target::Options::default()).unwrap(),
    )
    .unwrap();
    let events_file = dir.path().join("events.tsv");
    let mut events = String::new();
    for (i, line) in lines.iter().enumerate() {
        let _ = writeln!(events, "{i:020}\t{}", base64(line.as_bytes()));
    }
    std::fs::write(&events_file, events).unwrap();
    let (mut decided, mut alerted) = (0, 0);
    for (index, rule) in p.window_rules().enumerate() {
        let pipec::ir::RuleKind::Windowed { group_by, .. } = &rule.kind else { unreachable!() };
        let program = Program::compile(&rule.when, &p.stream.schema);
        let mut groups: BTreeMap<String, (Map<String, Value>, Vec<pipec::expr::Accumulator>)> = BTreeMap::new();
        for line in &lines {
            let Ok(Value::Object(record)) = serde_json::from_str::<Value>(line) else { continue };
            if validate(&record, &p.stream.schema).is_err() {
                continue;
            }
            let group: Map<String, Value> =
                group_by.iter().map(|g| (g.clone(), record.get(g).cloned().unwrap_or(Value::Null))).collect();
            let key = Value::Object(group.clone()).to_string();
            let entry = groups.entry(key).or_insert_with(|| (group, program.accumulators()));
            Program::feed(&mut entry.1, &record);
        }
        let mut want: Vec<Value> = groups
            .values()
            .filter(|(group, accs)| program.eval_window(group, accs).is_true())
            .map(|(group, _)| Value::Object(group.clone()))
            .collect();
        want.sort_by_key(Value::to_string);
        let result_file = dir.path().join(format!("window-{index}.json"));
        let harness = std::process::Command::new(tools::python())
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/run_window.py"))
            .arg(&out)
            .arg(format!("Window{}Function", index + 1))
            .args([&events_file, &result_file])
            .output()
            .unwrap();
        assert!(harness.status.success(), "the window harness failed:\n{}", tools::describe(&harness));
        let result: Value = serde_json::from_str(&std::fs::read_to_string(&result_file).unwrap()).unwrap();
        assert_eq!(result["final_state"], json!({}), "the state is reset after the final invocation");
        let mut got: Vec<Value> = result["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert_eq!(a["rule"], json!(rule.name));
                a["group"].clone()
            })
            .collect();
        got.sort_by_key(Value::to_string);
        assert_eq!(got, want, "rule {}: alerted groups", rule.name);
        decided += groups.len();
        alerted += want.len();
    }
    assert!(
        decided > alerted && alerted > 0,
        "the corpus must make some groups fire and others not ({alerted} of {decided})"
    );
}

#[test]
fn window_handlers_match_rust_evaluator() {
    run_windows("examples/bank-bursts.yaml", 0x5EED_0003, 3_000);
    run_windows("specs/features/windows.yaml", 0x5EED_0004, 3_000);
}

#[test]
fn transactions_handler_matches_rust_evaluator() {
    run("examples/transactions.yaml", 0x5EED_0001, 10_000);
}

#[test]
fn clickstream_handler_matches_rust_evaluator() {
    run("examples/clickstream.yaml", 0x5EED_0002, 10_000);
}
