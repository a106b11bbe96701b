//! One behaviour on every target: every example and every feature spec gets [`EVENTS`] generated
//! edge-case events (invalid ones, NULLs, extremes, bounded strings at and over their length,
//! every [`LIMIT_EVERY`]th record at or over DynamoDB's item and key limits or SNS's message
//! limit, each limit reached at least once: [`limits_to_reach`]), run through the real `pipec run
//! --local` binary and
//! through every generated Lambda function under moto's in-process `mock_aws`
//! (`tests/python/run_aws.py`: one Python process per spec, every batch delivered twice, every
//! window terminated early once and then retried). Both must give the same stored rows, the same
//! window decisions, the same dead letters with the same reasons and the same notifications,
//! message by message (subject and body); the viewer function must list every row newest-first
//! by the spec's sort, page by page. The filter patterns must let every flagged record through.

mod common;
#[path = "support/event_ruler.rs"]
mod event_ruler;
#[path = "support/mbox.rs"]
mod mbox;
#[path = "support/tools.rs"]
mod tools;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use pipec::expr::{FieldSchema, Program, RecordSchema, ValueType, validate};
use pipec::ir::{Pipeline, RuleKind};
use serde_json::{Map, Value, json};

use common::{Rng, base64, pipeline, same_json, specs_in};

/// Generated events per spec: the floor (`PIPEC_DIFFERENTIAL_EVENTS` overrides it, e.g.
/// 2,000 for a quick look). 94 % of the CPU is moto answering the generated functions' AWS calls,
/// about 2.5 ms each (profile in `tests/python/run_aws.py`, figures in the README).
const EVENTS: usize = 20_000;

fn events() -> usize {
    std::env::var("PIPEC_DIFFERENTIAL_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(EVENTS)
}
/// A refused loopback port: the local run's webhook deliveries fail at once and land, message by
/// message, in `dead-letter/webhooks.ndjson`, where the test reads them.
const REFUSED: &str = "http://127.0.0.1:9/";

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

/// Number texts AWS's matcher cannot compare as numbers (not a double's shortest printout),
/// and numbers at DynamoDB's limits.
const INT_TEXTS: &[&str] = &["9007199254740993", "-9007199254740993", "9223372036854775807", "-9223372036854775808"];
const FLOAT_TEXTS: &[&str] = &[
    "9000.250000000001",
    "9007199254740993",
    "0.1000000000000000055511151231257827",
    "123456789012345678901234567890123456789012",
    "1E+3",
    "100.0",
    "1e-130",
    "9.9999999999999999999999999999999999999E+125",
    "-0",
    "-0.0",
];

/// A value for a field: mostly valid, sometimes an edge case; `i` makes key values unique.
fn value(rng: &mut Rng, field: &FieldSchema, i: usize, key: bool) -> Value {
    let (name, ty) = (field.name.as_str(), field.ty);
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
            0 => json!(*rng.pick(&[100.0, 99.99, 5000.0, 4999.999, 100_000.0, 0.1, 1e300])),
            1 => json!(i64::try_from(rng.below(200)).unwrap()),
            #[allow(clippy::cast_precision_loss)]
            _ => json!(rng.below(20_000_000) as f64 / 100.0),
        },
        ValueType::Bool => json!(rng.below(2) == 0),
        // A bounded string mostly fits (so most records are valid), sometimes exactly, sometimes
        // by one character too long.
        ValueType::String => match (field.max_length.map(|m| m as usize), rng.below(20)) {
            (Some(max), 0) => json!("é".repeat(max)),
            (Some(max), 1) => json!("é".repeat(max + 1)),
            (Some(_), 2) | (None, _) => json!(*rng.pick(TEXTS)),
            (Some(max), _) => json!(rng.pick(TEXTS).chars().take(max).collect::<String>()),
        },
    }
}

/// Every this many events one is at or over one of AWS's limits, the cases taken in turn.
const LIMIT_EVERY: usize = 97;

/// A record at or over one of AWS's limits (`case` picks which; the spec's `string(N)` bounds
/// may refuse it first, which both targets must then agree on too).
fn oversized(rng: &mut Rng, case: usize, record: &mut Map<String, Value>, schema: &RecordSchema, keys: &[&str]) {
    let strings: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| f.ty == ValueType::String && !keys.contains(&f.name.as_str()))
        .map(|f| f.name.as_str())
        .collect();
    let key = keys.first().and_then(|k| schema.fields.iter().find(|f| f.name == *k));
    let sort = keys.get(1).and_then(|k| schema.fields.iter().find(|f| f.name == *k));
    // Each case's sizes are taken in turn (not drawn), so that every size is in the corpus.
    let turn = case / 5;
    match case % 5 {
        // Over the 400 KB item limit, just under it, and alerts over SNS's 256 KB. "Just under"
        // stays below 405,000 bytes: moto refuses items over that (its own estimate of the
        // limit, `moto/dynamodb/models/dynamo_type.py`) where DynamoDB documents 409,600; the
        // exact boundary is tested in `src/limits.rs`.
        n @ (0 | 1) if !strings.is_empty() => {
            let size = [450_000, 404_000, 300_000, 262_000][(turn * 2 + n) % 4];
            record.insert((*rng.pick(&strings)).to_string(), json!("é".repeat(size / 2)));
        }
        // A partition key over 2,048 bytes, and at it.
        2 if key.is_some_and(|k| k.ty == ValueType::String) => {
            let n = [2048, 2049, 3000][turn % 3];
            record
                .insert(key.unwrap().name.clone(), json!(format!("{:06}{}", rng.below(1_000_000), "k".repeat(n - 6))));
        }
        // A timestamp sort key over 1,024 bytes, and one a few bytes under.
        3 if sort.is_some_and(|k| k.ty == ValueType::Timestamp) => {
            let fraction = "1".repeat([1000, 1010, 1100][turn % 3]);
            let at = format!("2026-11-26T12:{:02}:{:02}.{fraction}Z", rng.below(60), rng.below(60));
            record.insert(sort.unwrap().name.clone(), json!(at));
        }
        _ => {}
    }
}

/// The limits the corpus must reach, at and over each, as far as the spec's schema allows (a
/// spec without a string field cannot hold a 400 KB record).
fn limits_to_reach(schema: &RecordSchema, keys: &[&str]) -> Vec<&'static str> {
    let field = |name: Option<&&str>| name.and_then(|n| schema.fields.iter().find(|f| f.name == *n));
    let strings = schema.fields.iter().any(|f| f.ty == ValueType::String && !keys.contains(&f.name.as_str()));
    let mut limits = Vec::new();
    if strings {
        limits.extend(["an item over 400 KB", "an item just under 400 KB", "a record over SNS's 256 KB"]);
    }
    if field(keys.first()).is_some_and(|k| k.ty == ValueType::String) {
        limits.extend(["a partition key of 2,048 bytes", "a partition key over 2,048 bytes"]);
    }
    if field(keys.get(1)).is_some_and(|k| k.ty == ValueType::Timestamp) {
        limits.extend(["a sort key under 1,024 bytes by a few", "a sort key over 1,024 bytes"]);
    }
    if schema.fields.iter().any(|f| f.ty == ValueType::Float) {
        limits.extend(["a number of 38 digits at DynamoDB's largest", "a number of 42 digits"]);
    }
    limits
}

/// The limits one raw event line reaches (see [`limits_to_reach`]).
fn limits_reached(line: &str, keys: &[&str]) -> Vec<&'static str> {
    let mut reached = Vec::new();
    if line.contains("9.9999999999999999999999999999999999999E+125") {
        reached.push("a number of 38 digits at DynamoDB's largest");
    }
    if line.contains("123456789012345678901234567890123456789012") {
        reached.push("a number of 42 digits");
    }
    let Ok(Value::Object(record)) = serde_json::from_str::<Value>(line) else { return reached };
    let text = |name: Option<&&str>| name.and_then(|n| record.get(*n)?.as_str()).map_or(0, str::len);
    for (name, value) in &record {
        let Some(len) = value.as_str().map(str::len) else { continue };
        match len {
            _ if keys.contains(&name.as_str()) => {}
            409_601.. => reached.push("an item over 400 KB"),
            400_000..=409_600 => reached.push("an item just under 400 KB"),
            262_000..400_000 => reached.push("a record over SNS's 256 KB"),
            _ => {}
        }
    }
    match text(keys.first()) {
        2048 => reached.push("a partition key of 2,048 bytes"),
        2049.. => reached.push("a partition key over 2,048 bytes"),
        _ => {}
    }
    match text(keys.get(1)) {
        1000..=1024 => reached.push("a sort key under 1,024 bytes by a few"),
        1025.. => reached.push("a sort key over 1,024 bytes"),
        _ => {}
    }
    reached
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
        record.insert(f.name.clone(), value(rng, f, i, key));
    }
    record.insert("extra".into(), json!({ "nested": [1, 2.5, "x"] }));
    let field = rng.pick(&schema.fields).name.clone();
    if i % LIMIT_EVERY == LIMIT_EVERY / 2 {
        oversized(rng, i / LIMIT_EVERY, &mut record, schema, keys);
    }
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
        // A number whose text is not the shortest printout of its double (AWS's filter matcher
        // cannot compare it), or is exactly at DynamoDB's limits.
        7 | 8 => {
            let numeric: Vec<&FieldSchema> = schema.fields.iter().filter(|f| f.ty.is_numeric()).collect();
            if numeric.is_empty() {
                return Value::Object(record).to_string();
            }
            let field = *rng.pick(&numeric);
            let raw = if field.ty == ValueType::Int { rng.pick(INT_TEXTS) } else { rng.pick(FLOAT_TEXTS) };
            record.insert(field.name.clone(), json!("@raw@"));
            Value::Object(record).to_string().replacen("\"@raw@\"", raw, 1)
        }
        _ => Value::Object(record).to_string(),
    }
}

/// Canonical text of a value for sorting and comparing lists (numbers as doubles).
fn canonical(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("{:e}", n.as_f64().unwrap()),
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        Value::Object(map) => {
            let mut entries: Vec<String> = map.iter().map(|(k, v)| format!("{k:?}:{}", canonical(v))).collect();
            entries.sort();
            format!("{{{}}}", entries.join(","))
        }
        other => other.to_string(),
    }
}

/// What both targets did, in comparable form.
#[derive(Debug, Default)]
struct Outcome {
    /// key → (rules, stored record without volatile enrichments)
    rows: BTreeMap<String, (Value, Value)>,
    /// canonical (rule, group, aggregates), sorted
    windows: Vec<String>,
    /// event index → (reason, record text)
    dead: BTreeMap<u64, (String, String)>,
    /// (topic, channel) → canonical (subject, message), sorted
    messages: BTreeMap<(String, &'static str), Vec<String>>,
}

/// The enrichments computed from the clock, blanked before comparing.
fn volatile(p: &Pipeline) -> Vec<String> {
    p.store.iter().flat_map(|s| &s.enrich).filter(|e| e.source.contains("now()")).map(|e| e.name.clone()).collect()
}

fn key_of(p: &Pipeline, item: &Map<String, Value>) -> String {
    let store = p.store.as_ref().unwrap();
    // A raw event may lack a key field (it is then invalid and never stored): Null stands in.
    let field = |name: &str| item.get(name).cloned().unwrap_or(Value::Null);
    let sort = store.sort.as_ref().map_or(Value::Null, |k| field(&k.name));
    format!("{}|{sort}", field(&store.partition.name))
}

fn blank(p: &Pipeline, record: &mut Value) {
    if let Some(map) = record.as_object_mut() {
        for name in volatile(p) {
            if map.contains_key(&name) {
                map.insert(name, json!("<now>"));
            }
        }
    }
}

/// The message as compared: the record's clock enrichments blanked, the window's times left
/// out (the local run's windows follow arrival time, the harness's are fixed).
fn message_text(p: &Pipeline, subject: &str, mut message: Value) -> String {
    blank(p, &mut message["record"]);
    if let Some(map) = message.as_object_mut() {
        map.remove("window");
    }
    canonical(&json!([subject, message]))
}

/// `not JSON: <the parser's own words>` differs by parser; the rest is the same text.
fn reason(text: &str) -> String {
    if text.starts_with("not JSON") { "not JSON".into() } else { text.to_string() }
}

fn window_text(rule: &Value, group: &Value, aggregates: &Value) -> String {
    canonical(&json!([rule, group, aggregates]))
}

/// Runs `pipec run --local` on the events; `None` when the run crossed a window boundary
/// (arrival-time windows would then split what the harness delivers as one window).
fn run_local(p: &Pipeline, spec: &Path, events: &Path, dir: &Path) -> Option<Outcome> {
    let data = dir.join("local");
    let _ = std::fs::remove_dir_all(&data);
    let text = std::fs::read_to_string(spec).unwrap().replace("https://", REFUSED);
    let local_spec = dir.join("local.yaml");
    std::fs::write(&local_spec, text).unwrap();
    let now = || i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap();
    let started = now();
    let out = Command::new(env!("CARGO_BIN_EXE_pipec"))
        .args(["run", "--local"])
        .arg(&local_spec)
        .arg("--input")
        .arg(events)
        .arg("--data-dir")
        .arg(&data)
        .arg("--quiet")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "pipec run --local: {}", String::from_utf8_lossy(&out.stderr));
    let ended = now();
    for rule in p.window_rules() {
        let RuleKind::Windowed { seconds, .. } = rule.kind else { unreachable!() };
        let length = i64::from(seconds) * 1000;
        if started.div_euclid(length) != ended.div_euclid(length) {
            return None;
        }
    }
    let mut outcome = Outcome::default();
    let reader = pipec::runtime::StoreReader::open(&data.join("store.sqlite"), p.store.as_ref()).unwrap();
    for row in reader.flagged(usize::MAX, 0).unwrap() {
        let mut item = row.item;
        let key = key_of(p, item.as_object().unwrap());
        blank(p, &mut item);
        assert!(outcome.rows.insert(key, (json!(row.rules), item)).is_none(), "one local row per key");
    }
    for alert in reader.window_alerts(usize::MAX).unwrap() {
        outcome.windows.push(window_text(&alert["rule"], &alert["group"], &alert["aggregates"]));
    }
    outcome.windows.sort();
    if let Ok(text) = std::fs::read_to_string(data.join("dead-letter/events.ndjson")) {
        for line in text.lines() {
            let d: Value = serde_json::from_str(line).unwrap();
            let entry = (reason(d["reason"].as_str().unwrap()), d["record"].as_str().unwrap().to_string());
            outcome.dead.insert(d["seq"].as_u64().unwrap(), entry);
        }
    }
    for topic in &p.topics {
        let name = pipec::target::aws::names::topic(p, &topic.name);
        if !topic.emails.is_empty() {
            let list = outcome.messages.entry((name.clone(), "email")).or_default();
            for mail in mbox::read(&data, &topic.name) {
                list.push(message_text(p, &mail.subject, mail.body));
            }
            list.sort();
        }
        if !topic.webhooks.is_empty() {
            outcome.messages.insert((name, "webhook"), Vec::new());
        }
    }
    if let Ok(text) = std::fs::read_to_string(data.join("dead-letter/webhooks.ndjson")) {
        for line in text.lines() {
            let d: Value = serde_json::from_str(line).unwrap();
            let name = pipec::target::aws::names::topic(p, d["topic"].as_str().unwrap());
            let body = d["body"].clone();
            let subject =
                pipec::alert::subject(&p.name, body["severity"].as_str().unwrap(), body["rule"].as_str().unwrap());
            outcome.messages.entry((name, "webhook")).or_default().push(message_text(p, &subject, body));
        }
    }
    for list in outcome.messages.values_mut() {
        list.sort();
    }
    Some(outcome)
}

/// The same from the harness's JSON.
fn aws_outcome(p: &Pipeline, result: &Value) -> Outcome {
    let mut outcome = Outcome::default();
    for item in result["items"].as_array().unwrap() {
        let mut item = item.as_object().unwrap().clone();
        assert_eq!(item["_pipec_notified"], json!(true), "every stored row was notified");
        let rules = item["_pipec_rules"].clone();
        item.retain(|k, _| !k.starts_with("_pipec_"));
        let key = key_of(p, &item);
        let mut item = Value::Object(item);
        blank(p, &mut item);
        outcome.rows.insert(key, (rules, item));
    }
    for w in result["windows"].as_array().unwrap() {
        assert_eq!(w["_pipec_notified"], json!(true), "every window decision was notified");
        outcome.windows.push(window_text(&w["rule"], &w["group"], &w["aggregates"]));
    }
    outcome.windows.sort();
    for d in result["dead_letters"].as_array().unwrap() {
        let seq: u64 = d["seq"].as_str().unwrap().parse().unwrap();
        let entry = (reason(d["reason"].as_str().unwrap()), d["record"].as_str().unwrap().to_string());
        // At least once: a redelivered batch dead-letters its records again, identically.
        if let Some(previous) = outcome.dead.insert(seq, entry.clone()) {
            assert_eq!(previous, entry, "event {seq} dead-lettered twice with different reasons");
        }
    }
    for topic in &p.topics {
        let name = pipec::target::aws::names::topic(p, &topic.name);
        let mut list: Vec<String> = result["messages"][&name]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| message_text(p, m["subject"].as_str().unwrap(), m["message"].clone()))
            .collect();
        list.sort();
        for (channel, has) in [("email", !topic.emails.is_empty()), ("webhook", !topic.webhooks.is_empty())] {
            if has {
                outcome.messages.insert((name.clone(), channel), list.clone());
            }
        }
    }
    outcome
}

fn differential(spec: &str, seed: u64) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join(spec);
    let p = pipeline(&path);
    let keys = p.store_key_names();
    let mut rng = Rng(seed);
    let count = events();
    let lines: Vec<String> = (0..count).map(|i| event(&mut rng, &p.stream.schema, &keys, i)).collect();
    let reached: std::collections::BTreeSet<&str> = lines.iter().flat_map(|l| limits_reached(l, &keys)).collect();
    let missing: Vec<&str> =
        limits_to_reach(&p.stream.schema, &keys).into_iter().filter(|l| !reached.contains(l)).collect();
    assert!(missing.is_empty(), "{spec}: {count} events reach no record with {missing:?}: generate more");
    // `PIPEC_DIFFERENTIAL_KEEP=1` keeps the corpus, both runs' outputs and the template (to
    // rerun or profile `tests/python/run_aws.py` by hand).
    let keep = std::env::var_os("PIPEC_DIFFERENTIAL_KEEP").is_some();
    let dir = tempfile::Builder::new().disable_cleanup(keep).tempdir().unwrap();
    if keep {
        eprintln!("{spec}: kept in {}", dir.path().display());
    }
    let events = dir.path().join("events.ndjson");
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();
    let mut tsv = String::new();
    for (i, line) in lines.iter().enumerate() {
        let _ = writeln!(tsv, "{i}\t{}", base64(line.as_bytes()));
    }
    let tsv_file = dir.path().join("events.tsv");
    std::fs::write(&tsv_file, tsv).unwrap();

    let started = Instant::now();
    let mut local =
        (0..3).find_map(|_| run_local(&p, &path, &events, dir.path())).expect("three runs crossed a window");
    let local_seconds = started.elapsed().as_secs_f64();
    let out = cfn_build(&p, dir.path());
    let result = harness("run_aws.py", &out, &tsv_file);
    // Where the time goes (shown with `--nocapture`; the README's figures come from it).
    eprintln!(
        "{spec}: {count} events: local run {local_seconds:.1} s, moto harness {:.1} s {}",
        started.elapsed().as_secs_f64() - local_seconds,
        result["seconds"]
    );
    assert_eq!(result["failures"], 0, "{spec}: no batch item may fail: nothing may block its batch");
    let aws = aws_outcome(&p, &result);
    if p.rules.is_empty() {
        // No Lambda function reads the stream on AWS, so nothing is dead-lettered there (the
        // raw archive keeps every event); the local hot path still reports invalid events.
        assert!(aws.dead.is_empty() && aws.rows.is_empty() && aws.windows.is_empty());
        return;
    }
    let mut aws = aws;
    if p.store.is_none() {
        // Without a table nothing remembers what was notified: on AWS a redelivered batch
        // notifies again (at least once), so the messages are compared as sets.
        for list in local.messages.values_mut().chain(aws.messages.values_mut()) {
            list.dedup();
        }
    }
    let messages: usize = local.messages.values().map(Vec::len).sum();
    // Per-record rules flag in proportion to the events; window decisions follow the clock
    // (one per window and group), so a spec with windowed rules only needs some.
    if p.record_rules().next().is_some() {
        assert!(
            local.rows.len() + messages > count / 100,
            "{spec}: the corpus must flag a fair share ({} rows, {messages} messages)",
            local.rows.len()
        );
    } else {
        assert!(!local.windows.is_empty(), "{spec}: the corpus must close a flagging window");
    }
    assert!(!local.dead.is_empty(), "{spec}: the corpus has invalid events");
    compare(spec, &local, &aws);
    if let Some(viewer) = result.get("viewer") {
        check_viewer(&p, spec, viewer, &aws);
        check_viewer_pages(spec, viewer);
    }
    check_filters(&p, &out, &lines);
}

/// `pipec build --target cfn` of the pipeline into `dir/cfn`.
fn cfn_build(p: &Pipeline, dir: &Path) -> PathBuf {
    let out = dir.join("cfn");
    let artifacts = pipec::target::emit(pipec::target::Target::Cfn, p, pipec::target::Options::default()).unwrap();
    pipec::target::write(&out, &artifacts).unwrap();
    out
}

/// Runs `tests/python/SCRIPT BUILD INPUT OUT_FILE` and returns what it wrote to OUT_FILE.
fn harness(script: &str, build: &Path, input: &Path) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let result_file = build.with_file_name(format!("{script}.result.json"));
    let run = Command::new(tools::python())
        .arg(root.join("tests/python").join(script))
        .args([build, input, &result_file])
        .output()
        .unwrap();
    assert!(run.status.success(), "{script} failed: {}", tools::describe(&run));
    serde_json::from_str(&std::fs::read_to_string(&result_file).unwrap()).unwrap()
}

fn compare(spec: &str, local: &Outcome, aws: &Outcome) {
    assert_eq!(local.rows.len(), aws.rows.len(), "{spec}: stored rows");
    for (key, (rules, item)) in &local.rows {
        let (aws_rules, aws_item) = aws.rows.get(key).unwrap_or_else(|| panic!("{spec}: {key} stored only locally"));
        assert_eq!(rules, aws_rules, "{spec}: rules of {key}");
        assert!(same_json(item, aws_item), "{spec}: row {key}:\nlocal {item}\naws   {aws_item}");
    }
    assert_eq!(local.windows, aws.windows, "{spec}: window decisions");
    let mismatched: Vec<_> = local
        .dead
        .iter()
        .filter(|(seq, entry)| aws.dead.get(seq) != Some(entry))
        .map(|(seq, entry)| (seq, entry.0.clone(), aws.dead.get(seq).map(|e| e.0.clone())))
        .take(5)
        .collect();
    assert!(mismatched.is_empty(), "{spec}: dead letters (seq, local, aws): {mismatched:?}");
    assert_eq!(local.dead.len(), aws.dead.len(), "{spec}: dead letters");
    assert_eq!(
        local.messages.keys().collect::<Vec<_>>(),
        aws.messages.keys().collect::<Vec<_>>(),
        "{spec}: notified topics"
    );
    for (topic, list) in &local.messages {
        let other = &aws.messages[topic];
        let first = list.iter().zip(other).find(|(a, b)| a != b);
        assert!(
            list.len() == other.len() && first.is_none(),
            "{spec}: {topic:?}: {} local vs {} aws messages; first difference: {first:?}",
            list.len(),
            other.len()
        );
    }
}

/// The viewer lists every row: those with the sort field first, in the spec's order, then those
/// without it (as the local viewer lists them), in several pages when there are more rows than
/// a page holds.
fn check_viewer(p: &Pipeline, spec: &str, viewer: &Value, aws: &Outcome) {
    let rows = viewer["rows"].as_array().unwrap();
    assert_eq!(rows.len(), aws.rows.len(), "{spec}: the viewer lists every row");
    let Some((field, descending)) = p.store.as_ref().and_then(|s| s.viewer.as_ref()?.sort.clone()) else { return };
    let with_field = aws.rows.values().filter(|(_, item)| !item[&field].is_null()).count();
    let (sorted, rest) = rows.split_at(with_field);
    assert!(sorted.iter().all(|r| !r[&field].is_null()), "{spec}: the rows with `{field}` come first");
    assert!(rest.iter().all(|r| r[&field].is_null()), "{spec}: the rows without `{field}` come last");
    let values: Vec<&Value> = sorted.iter().map(|r| &r[&field]).collect();
    let ordered = values.windows(2).all(|w| {
        let order = match (w[0], w[1]) {
            (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()).unwrap(),
            (a, b) => a.as_str().cmp(&b.as_str()),
        };
        if descending { order.is_ge() } else { order.is_le() }
    });
    assert!(ordered, "{spec}: viewer rows sorted by {field}");
}

/// Pages as the viewer function serves them: 100 rows unless `?limit=` (read at 1,000 after
/// the first), fewer only where one more row would take the page's rows over `PAGE_BYTES` as
/// sent (so no response exceeds Lambda's 6 MB payload limit), and a bad `limit` or `after`
/// refused with 400 and the reason.
fn check_viewer_pages(spec: &str, viewer: &Value) -> usize {
    const PAGE_BYTES: u64 = 3_000_000;
    let largest = viewer["largest"].as_u64().unwrap();
    assert!(largest <= 6 * 1024 * 1024, "{spec}: a viewer response of {largest} bytes is over Lambda's 6 MB");
    let pages: Vec<[u64; 3]> = serde_json::from_value(viewer["pages"].clone()).unwrap();
    let mut cut = 0;
    for (i, &[rows, bytes, _]) in pages.iter().enumerate() {
        assert!(bytes <= PAGE_BYTES || rows == 1, "{spec}: page {i} holds {rows} rows of {bytes} bytes");
        let asked = if i == 0 { 100 } else { 1000 };
        if let Some(next) = pages.get(i + 1) {
            assert!(
                rows == asked || (rows < asked && bytes + next[2] > PAGE_BYTES),
                "{spec}: page {i} ends after {rows} of {asked} rows ({bytes} bytes; the next row {})",
                next[2]
            );
            cut += usize::from(rows < asked);
        } else {
            assert!(rows <= asked, "{spec}: the last page holds {rows} rows");
        }
    }
    eprintln!("{spec}: viewer: {} pages, {cut} ended by PAGE_BYTES, largest response {largest} bytes", pages.len());
    let refused = viewer["refused"].as_array().unwrap();
    for (bad, expected) in refused.iter().zip(["`limit` must be", "`limit` must be", "`after` is not a page token"]) {
        assert_eq!(bad[0], 400, "{spec}: {bad}");
        assert!(bad[1]["error"].as_str().unwrap().starts_with(expected), "{spec}: {bad}");
    }
    cut
}

/// Rows near DynamoDB's 400 KB item limit (quotes, which JSON escapes twice in Lambda's
/// response, and HTML as `&quot;`) among small ones: the viewer function's pages end before
/// Lambda's 6 MB response limit, in JSON and HTML, and still list every row in order.
#[test]
fn viewer_pages_stay_under_lambdas_response_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = pipeline(&root.join("examples/clickstream.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let out = cfn_build(&p, dir.path());
    let big = format!("curl/{}", "\"".repeat(380_000));
    let items: Vec<Value> = (0..1500)
        .map(|i| {
            json!({
                "sessionId": format!("s-{i}"),
                "occurredAt": format!("2026-11-26T{:02}:{:02}:{:02}Z", i / 3600, i / 60 % 60, i % 60),
                "userAgent": if i % 50 == 7 { big.as_str() } else { "curl/8.1" },
                "_pipec_rules": ["bot-like"],
                "_pipec_notified": true,
                "_pipec_view": pipec::limits::VIEW,
            })
        })
        .collect();
    let items_file = dir.path().join("items.json");
    std::fs::write(&items_file, serde_json::to_vec(&items).unwrap()).unwrap();
    let result = harness("run_viewer.py", &out, &items_file);
    let viewer = &result["json"];
    let times: Vec<&str> =
        viewer["rows"].as_array().unwrap().iter().map(|r| r["occurredAt"].as_str().unwrap()).collect();
    assert_eq!(times.len(), items.len(), "every row listed once");
    assert!(times.windows(2).all(|w| w[0] > w[1]), "newest first");
    let cut = check_viewer_pages("clickstream", viewer);
    assert!(cut > 0, "some pages end by their bytes: {}", viewer["pages"]);
    let html = &result["html"];
    assert!(html["largest"].as_u64().unwrap() <= 6 * 1024 * 1024, "an HTML page over 6 MB: {html}");
    assert!(html["pages"].as_u64().unwrap() > 2, "the HTML pages end by their bytes too: {html}");
}

/// Every valid record that a per-record rule flags (the Rust evaluator decides, as the local run
/// does) passes one of the mapping's filter patterns as AWS's matcher reads the record (see
/// `support/event_ruler.rs`): a filter may only over-approximate.
fn check_filters(p: &Pipeline, out: &Path, lines: &[String]) {
    let template: Value = serde_json::from_slice(&std::fs::read(out.join("template.json")).unwrap()).unwrap();
    let Some(filters) =
        template["Resources"]["HotFunctionMapping"]["Properties"]["FilterCriteria"]["Filters"].as_array()
    else {
        return;
    };
    let patterns: Vec<Value> =
        filters.iter().map(|f| serde_json::from_str(f["Pattern"].as_str().unwrap()).unwrap()).collect();
    let rules: Vec<Program> = p.record_rules().map(|r| Program::compile(&r.when, &p.stream.schema)).collect();
    let mut checked = 0;
    for line in lines {
        let Ok(Value::Object(record)) = serde_json::from_str::<Value>(line) else { continue };
        if validate(&record, &p.stream.schema).is_err() || !rules.iter().any(|r| r.flags(&record)) {
            continue;
        }
        // As AWS's matcher reads it: numbers it cannot compare match no numeric condition.
        let data = event_ruler::as_event_ruler_sees(line).unwrap();
        assert!(
            patterns.iter().any(|pat| pipec::expr::filter::matches(pat, &data)),
            "filtered out a flagged record: {line}"
        );
        checked += 1;
    }
    assert!(checked > 0, "no generated record is flagged by a per-record rule");
}

fn specs() -> Vec<PathBuf> {
    specs_in(&["examples", "specs/features"]).into_iter().filter(|p| !common::is_flink(p)).collect()
}

macro_rules! differential {
    ($($name:ident: $spec:literal, $seed:literal;)*) => {
        $(
            #[test]
            fn $name() {
                differential($spec, 0x5EED_0000 + $seed);
            }
        )*

        /// Every example and feature spec has its test above.
        #[test]
        fn every_spec_is_tested() {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let tested: Vec<PathBuf> = [$($spec),*].iter().map(|s| root.join(s)).collect();
            for spec in specs() {
                assert!(tested.contains(&spec), "{} has no differential test", spec.display());
            }
        }
    };
}

differential! {
    transactions: "examples/transactions.yaml", 1;
    bank_bursts: "examples/bank-bursts.yaml", 2;
    clickstream: "examples/clickstream.yaml", 3;
    capacity: "specs/features/capacity.yaml", 4;
    cold_archive: "specs/features/cold-archive.yaml", 5;
    environments: "specs/features/environments.yaml", 6;
    notifications: "specs/features/notifications.yaml", 7;
    record_types: "specs/features/record-types.yaml", 8;
    rules: "specs/features/rules.yaml", 9;
    store_and_viewer: "specs/features/store-and-viewer.yaml", 10;
    windows: "specs/features/windows.yaml", 11;
    alarms: "specs/features/alarms.yaml", 12;
}

/// The fanout function POSTs each SNS message as it is (plain JSON, the local runtime's webhook
/// body) to every webhook of the topic, and dead-letters what fails every try with the same
/// line the local runtime writes to `dead-letter/webhooks.ndjson`.
#[test]
fn fanout_posts_plain_json_and_dead_letters_failures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = pipeline(&root.join("examples/clickstream.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let out = cfn_build(&p, dir.path());
    let rule = p.rules.iter().find(|r| r.notify.iter().any(|t| !p.topics[t.0].webhooks.is_empty())).unwrap();
    let record = json!({ "sessionId": "s-1", "note": "Zoë \"quoted\" 😀" });
    let message = pipec::alert::record_message(&p.name, rule, record.as_object().unwrap(), &["sessionId"]);
    let message_file = dir.path().join("message.json");
    std::fs::write(&message_file, &message).unwrap();
    let result = harness("run_fanout.py", &out, &message_file);
    let received = result["received"].as_array().unwrap();
    assert_eq!(received.len(), 1, "one POST to the working webhook: {result}");
    assert_eq!(received[0]["body"], json!(message), "the body is the message, byte for byte");
    assert_eq!(received[0]["content_type"], "application/json");
    let dead = result["dead_letters"].as_array().unwrap();
    assert_eq!(dead.len(), 1, "the refused webhook is dead-lettered once: {result}");
    assert_eq!(dead[0]["attempts"], 4);
    assert_eq!(dead[0]["body"], serde_json::from_str::<Value>(&message).unwrap());
    assert!(dead[0]["url"].as_str().unwrap().ends_with("/down"));
    assert_eq!(result["result"], json!({ "delivered": 1, "failed": 1 }));
}
