//! Semantics of rule expressions across targets: random expressions and records (seeded, so
//! failures reproduce) prove that parsing never panics, that filter patterns never drop a
//! flagged record (as AWS's matcher reads its numbers), and that the Python lowering computes
//! exactly what the Rust evaluator does.

#[path = "support/event_ruler.rs"]
mod event_ruler;

mod common;

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::Command;

use pipec::expr::{
    Context, FieldSchema, Program, RecordSchema, Value, ValueType, check, filter, lower_python, lower_python_window,
    parse, python, validate,
};
use serde_json::{Map, Value as Json, json};

use common::{Rng, base64, temp_dir};

fn schema() -> RecordSchema {
    RecordSchema::new(vec![
        FieldSchema::new("id", ValueType::String).required().max_length(6),
        FieldSchema::new("t", ValueType::Int),
        FieldSchema::new("a", ValueType::Float),
        FieldSchema::new("s", ValueType::String),
        FieldSchema::new("b", ValueType::Bool),
        FieldSchema::new("ts", ValueType::Timestamp),
    ])
    // Zoneless timestamps are read at +01:30, so the time zone takes part in every comparison.
    .with_timezone(5400)
}

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "3",
    "-7",
    "9000",
    "9001",
    "8999",
    "9223372036854775807",
    "-9223372036854775808",
    "9007199254740993",
    "4611686018427387904",
];
const FLOATS: &[&str] = &["0.5", "-2.5", "9000.5", "9000.0", "1e308", "1.5e-7", "9007199254740992.0", "0.1"];
const STRS: &[&str] = &[
    "'abc'",
    "'é'",
    "''",
    "'a''b'",
    "'ab'",
    "\"Zoë\"",
    "'2024-01-01T00:00:00Z'",
    "'2024-01-01 12:00:00+02:00'",
    "'2024-01-01'",
    "'2024-01-01T01:30:00'",
    "'2023-12-31 22:00:00.5-0200'",
];
const PATTERNS: &[&str] = &["'a%'", "'%b%'", "'_'", "'é%'", "'abc'", "'%'", "'a_c'", "'20%'"];

fn num(rng: &mut Rng, depth: u32) -> String {
    match if depth == 0 { rng.below(4) } else { rng.below(8) } {
        0 => (*rng.pick(INTS)).to_owned(),
        1 => (*rng.pick(FLOATS)).to_owned(),
        2 => "t".to_owned(),
        3 => "a".to_owned(),
        4 | 5 => format!("({} {} {})", num(rng, depth - 1), rng.pick(&["+", "-", "*", "/", "%"]), num(rng, depth - 1)),
        6 => format!("-{}", num(rng, depth - 1)),
        _ => format!("({})", num(rng, depth - 1)),
    }
}

fn text(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => "s".to_owned(),
        1 => "ts".to_owned(),
        2 => "id".to_owned(),
        _ => (*rng.pick(STRS)).to_owned(),
    }
}

fn cond(rng: &mut Rng, depth: u32) -> String {
    let cmp = ["=", "!=", "<", "<=", ">", ">=", "<>", "=="];
    match if depth == 0 { rng.below(7) } else { rng.below(12) } {
        0 | 1 => format!("{} {} {}", num(rng, depth.min(2)), rng.pick(&cmp), num(rng, depth.min(1))),
        2 => format!("{} {} {}", text(rng), rng.pick(&cmp), text(rng)),
        3 => format!("b {} {}", rng.pick(&["=", "!="]), rng.pick(&["true", "false"])),
        4 => format!("{} {}LIKE {}", text(rng), rng.pick(&["", "NOT "]), rng.pick(PATTERNS)),
        5 => format!("{} IS {}NULL", rng.pick(&["t", "a", "s", "b", "ts"]), rng.pick(&["", "NOT "])),
        6 => "b".to_owned(),
        7 => {
            let items: Vec<String> =
                (0..=rng.below(3)).map(|_| (*rng.pick(&["1", "9001", "2.5", "null", "-1"])).to_owned()).collect();
            format!("{} {}IN ({})", rng.pick(&["t", "a"]), rng.pick(&["", "NOT "]), items.join(", "))
        }
        8 => {
            format!("{} {}BETWEEN {} AND {}", rng.pick(&["t", "a"]), rng.pick(&["", "NOT "]), num(rng, 0), num(rng, 0))
        }
        9 => format!("NOT ({})", cond(rng, depth - 1)),
        _ => format!(
            "({} {} {})",
            cond(rng, depth - 1),
            rng.pick(&["AND", "OR", "and", "||", "&&"]),
            cond(rng, depth - 1)
        ),
    }
}

#[allow(clippy::many_single_char_names)]
fn record(rng: &mut Rng) -> Json {
    let mut r = Map::new();
    let mut put = |rng: &mut Rng, name: &str, good: Json, bad: Json| match rng.below(10) {
        0 => {}
        1 => {
            r.insert(name.into(), Json::Null);
        }
        2 => {
            r.insert(name.into(), bad);
        }
        _ => {
            r.insert(name.into(), good);
        }
    };
    let id = (*rng.pick(&["x1", "abcdef", "abcdefg", "é"])).to_owned();
    put(rng, "id", json!(id), json!(7));
    let t = match rng.below(6) {
        0 => json!(i64::MAX - i64::try_from(rng.below(3)).unwrap()),
        1 => json!(i64::MIN + i64::try_from(rng.below(3)).unwrap()),
        2 => json!(9_007_199_254_740_993_i64),
        _ => json!(8998 + i64::try_from(rng.below(5)).unwrap()),
    };
    let bad_t = rng.pick(&[json!(9001.5), json!("9001"), json!(true), json!(9_223_372_036_854_775_808_u64)]).clone();
    put(rng, "t", t, bad_t);
    let a = rng
        .pick(&[
            json!(9000.5),
            json!(9001),
            json!(-0.0),
            json!(1e308),
            json!(0.1),
            json!(9_007_199_254_740_993_i64),
            json!(2.5),
        ])
        .clone();
    put(rng, "a", a, json!("1.5"));
    let s = *rng.pick(&["abc", "é", "", "a'b", "ab", "Zoë", "aXc", "20", "b"]);
    put(rng, "s", json!(s), json!(1));
    let b = rng.below(2) == 0;
    put(rng, "b", json!(b), json!(1));
    let ts = *rng.pick(&[
        "2024-01-01T00:00:00Z",
        "2024-01-01 12:00:00+02:00",
        "2023-12-31T23:59:59.999Z",
        "2024-01-01",
        "2026-11-26 12:00:00.014593",
        "2024-01-01T01:30:00",
        "2024-01-01T02:00:00+0200",
        "2024-01-01T00:00:00.000000001-00:00",
        "2024-02-30T00:00:00Z",
        "2024-01-01T00:00:00.1234567891Z",
        "2024-01-01T00:00:00+24:00",
    ]);
    put(rng, "ts", json!(ts), json!(20_240_101));
    if rng.below(5) == 0 {
        r.insert("extra".into(), json!([1, {"x": null}]));
    }
    Json::Object(r)
}

fn valid(r: &Json) -> bool {
    validate(r.as_object().unwrap(), &schema()).is_ok()
}

#[test]
fn parse_never_panics_on_random_or_mutated_text() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let pieces = [
        "(", ")", "'", "\"", "`", "-", "+", "*", "/", "%", "=", "<", ">", "!", "NOT", "AND", "IN", "BETWEEN", "LIKE",
        "IS", "NULL", "t", "a", "9000", "1.5", "1e", ",", " ", "é", "count(", "now()", "&&", "|",
    ];
    let schema = schema();
    let record = json!({"id": "x", "t": 1, "a": 0.5, "s": "abc"});
    let mut parsed = 0;
    for i in 0..20_000 {
        let text = if i % 2 == 0 {
            (0..rng.below(20)).map(|_| *rng.pick(&pieces)).collect::<String>()
        } else {
            let mut chars: Vec<char> = cond(&mut rng, 3).chars().collect();
            for _ in 0..=rng.below(3) {
                let at = rng.below(chars.len() + 1);
                match rng.below(3) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => chars.insert(at, *rng.pick(&['(', ')', '\'', 'é', ' ', '-', 'x', '%', '`'])),
                }
            }
            chars.into_iter().collect()
        };
        if let Ok(expr) = parse(&text) {
            parsed += 1;
            let (_, diagnostics) = check(&expr, &schema, Context::Rule);
            if diagnostics.is_empty() {
                let program = Program::compile(&expr, &schema);
                let _ = program.eval(record.as_object().unwrap(), 0);
                let _ = lower_python(&expr, &schema);
                let _ = filter::filter_patterns(&expr, &schema);
            }
        } else if let Err(d) = parse(&text) {
            assert!(d.span().end <= text.len() && text.is_char_boundary(d.span().start), "{text:?}: {d:?}");
        }
    }
    assert!(parsed > 1_000, "only {parsed} inputs parsed");
}

fn rules(rng: &mut Rng, count: usize) -> Vec<(String, pipec::expr::Expr)> {
    let schema = schema();
    let mut out = Vec::new();
    while out.len() < count {
        let text = cond(rng, 3);
        let expr = parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        if check(&expr, &schema, Context::Rule).1.is_empty() {
            out.push((text, expr));
        }
    }
    out
}

#[test]
fn filter_patterns_never_drop_a_flagged_record() {
    let mut rng = Rng(0xf11_7e55);
    let schema = schema();
    let records: Vec<Json> = std::iter::repeat_with(|| record(&mut rng)).filter(valid).take(2_000).collect();
    // As AWS's matcher reads each record (numbers it cannot compare match no numeric pattern).
    let seen: Vec<Json> = records.iter().map(|r| event_ruler::as_event_ruler_sees(&r.to_string()).unwrap()).collect();
    let (mut with_filter, mut flagged_checked) = (0, 0);
    for (text, expr) in rules(&mut rng, 600) {
        let Some(patterns) = filter::filter_patterns(&expr, &schema) else { continue };
        with_filter += 1;
        let program = Program::compile(&expr, &schema);
        for (r, seen) in records.iter().zip(&seen) {
            if program.flags(r.as_object().unwrap()) {
                flagged_checked += 1;
                assert!(patterns.iter().any(|p| filter::matches(p, seen)), "{text}\n{patterns:?}\n{r}");
            }
        }
    }
    assert!(with_filter > 100, "only {with_filter} rules had filters");
    assert!(flagged_checked > 10_000, "only {flagged_checked} flagged pairs");
}

/// A value as the Python side prints it: type-tagged, floats as their bits.
fn tag(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(["b", b]),
        Value::Int(i) => json!(["i", i.to_string()]),
        Value::Float(f) => json!(["f", f.to_bits().cast_signed()]),
        Value::Str(s) => json!(["s", s]),
    }
}

const HARNESS: &str = r#"
import json, struct, sys
sys.path.insert(0, sys.argv[1])
import pipec_runtime as rt
rt.now = lambda: "2024-05-01T12:00:00.123Z"
scope = {"rt": rt}
def tag(v):
    if v is None: return None
    if type(v) is bool: return ["b", v]
    if type(v) is int: return ["i", str(v)]
    if type(v) is float: return ["f", struct.unpack("<q", struct.pack("<d", v))[0]]
    if type(v) is str: return ["s", v]
    return ["?", repr(v)]
job = json.load(open(sys.argv[2], encoding="utf-8"))
schema = eval(job["schema"], scope)
fns = [eval("lambda r: " + e, scope) for e in job["exprs"]]
for r in job["records"]:
    ok = rt.validate(r, schema) is None
    print(json.dumps({"valid": ok, "results": [tag(f(r)) for f in fns] if ok else []}))
for w in job["windows"]:
    aggs = eval(w["aggs"], scope)
    cond = eval("lambda a, g: " + w["cond"], scope)
    groups = {}
    for r in job["records"]:
        if rt.validate(r, schema) is None:
            st = groups.setdefault(json.dumps(r.get("s"), ensure_ascii=False), rt.new_state(aggs))
            rt.feed(aggs, st, r, job["timezone"])
    print(json.dumps({"window": {k: tag(cond(rt.results(aggs, json.loads(json.dumps(st))), {"s": json.loads(k)})) for k, st in sorted(groups.items())}}))
"#;

fn window_rules(rng: &mut Rng, count: usize) -> Vec<(String, pipec::expr::Expr)> {
    let schema = schema();
    let group = ["s".to_owned()];
    let mut out = Vec::new();
    while out.len() < count {
        let agg =
            format!("{}({})", rng.pick(&["count", "sum", "avg", "min", "max"]), rng.pick(&["t", "a", "*", "s", "ts"]));
        let text = match rng.below(3) {
            0 => format!("{agg} > {}", rng.pick(INTS)),
            1 => format!("{agg} <= {} AND s {} 'abc'", rng.pick(FLOATS), rng.pick(&["=", "!="])),
            _ => format!("({agg} IS NULL OR {agg} >= {}) AND count(*) > 1", rng.pick(STRS)),
        };
        let Ok(expr) = parse(&text) else { continue };
        if check(&expr, &schema, Context::WindowRule { group_by: &group }).1.is_empty() {
            out.push((text, expr));
        }
    }
    out
}

#[test]
fn python_lowering_agrees_with_rust() {
    let mut rng = Rng(0xd1ff_0042);
    let schema = schema();
    let mut exprs = rules(&mut rng, 180);
    while exprs.len() < 220 {
        let text = num(&mut rng, 3);
        let expr = parse(&text).unwrap();
        if check(&expr, &schema, Context::Enrichment).1.is_empty() {
            exprs.push((text, expr));
        }
    }
    exprs.push(("now()".into(), parse("now()").unwrap()));
    let records: Vec<Json> = (0..360).map(|_| record(&mut rng)).collect();
    let windows = window_rules(&mut rng, 40);
    let job = json!({
        "schema": python::schema_literal(&schema).flat(),
        "timezone": schema.timezone,
        "exprs": exprs.iter().map(|(_, e)| lower_python(e, &schema).flat()).collect::<Vec<_>>(),
        "records": records,
        "windows": windows.iter().map(|(_, e)| {
            let w = lower_python_window(e, &schema);
            json!({"aggs": w.aggregates.flat(), "cond": w.condition.flat()})
        }).collect::<Vec<_>>(),
    });
    let scratch = temp_dir("expr");
    let dir = scratch.path();
    std::fs::write(dir.join("job.json"), job.to_string()).unwrap();
    std::fs::File::create(dir.join("harness.py")).unwrap().write_all(HARNESS.as_bytes()).unwrap();
    let runtime_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/targets/lambda");
    let output = Command::new("python3")
        .arg(dir.join("harness.py"))
        .arg(runtime_dir)
        .arg(dir.join("job.json"))
        .output()
        .expect("python3 must be installed to check the Python lowering (it is not on PATH)");
    assert!(output.status.success(), "python3 failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut lines = stdout.lines().map(|l| serde_json::from_str::<Json>(l).unwrap());
    let programs: Vec<Program> = exprs.iter().map(|(_, e)| Program::compile(e, &schema)).collect();
    let (mut pairs, mut mismatches) = (0, String::new());
    let mut valid_records = Vec::new();
    for r in &records {
        let line = lines.next().expect("one line per record");
        let ok = valid(r);
        assert_eq!(line["valid"], json!(ok), "validate disagrees on {r}");
        if !ok {
            continue;
        }
        valid_records.push(r);
        for ((text, _), (program, py)) in exprs.iter().zip(programs.iter().zip(line["results"].as_array().unwrap())) {
            pairs += 1;
            let rust = tag(&program.eval(r.as_object().unwrap(), 1_714_564_800_123));
            if rust != *py && mismatches.len() < 4000 {
                writeln!(mismatches, "{text}\n  record {r}\n  rust {rust} python {py}").unwrap();
            }
        }
    }
    for (text, expr) in &windows {
        let program = Program::compile(expr, &schema);
        let mut groups: std::collections::BTreeMap<String, Vec<pipec::expr::Accumulator>> =
            std::collections::BTreeMap::default();
        for r in &valid_records {
            let key = r.get("s").cloned().unwrap_or(Json::Null).to_string();
            Program::feed(groups.entry(key).or_insert_with(|| program.accumulators()), r.as_object().unwrap());
        }
        let rust: Map<String, Json> = groups
            .iter()
            .map(|(k, accs)| {
                let group = json!({"s": serde_json::from_str::<Json>(k).unwrap()});
                (k.clone(), tag(&program.eval_window(group.as_object().unwrap(), accs)))
            })
            .collect();
        let py = lines.next().expect("one line per window");
        pairs += rust.len();
        if py["window"] != Json::Object(rust.clone()) {
            writeln!(mismatches, "window {text}\n  rust {}\n  python {}", Json::Object(rust), py["window"]).unwrap();
        }
    }
    assert!(mismatches.is_empty(), "Rust and Python disagree:\n{mismatches}");
    assert!(pairs >= 10_000, "only {pairs} pairs compared");
}

const DECODE_HARNESS: &str = r#"
import base64, json, sys
sys.path.insert(0, sys.argv[1])
import pipec_runtime as rt
job = json.load(open(sys.argv[2]))
schema = eval(job["schema"], {})
for case in job["cases"]:
    record, reason = rt.decode(base64.b64decode(case), schema)
    print(json.dumps({"valid": record is not None, "reason": reason}))
"#;

/// What `pipec run --local` decides for a record's bytes (`runtime::hot`'s parse, then
/// [`validate`]): `Ok` or the reason, with "not JSON" details cut (they name the parser).
fn rust_decode(bytes: &[u8]) -> Result<(), String> {
    let map = serde_json::from_slice::<Map<String, Json>>(bytes).map_err(|_| {
        if serde_json::from_slice::<Json>(bytes).is_ok() { "not a JSON object" } else { "not JSON" }.to_owned()
    })?;
    validate(&map, &schema())
}

/// One JSON decoding contract: the generated handler (`rt.decode`) accepts and refuses
/// exactly the bytes the local runtime does, for the same reason — UTF-8 only, no BOM, no
/// lone surrogate (escaped or raw), `-0` not an int, non-finite numbers refused.
#[test]
fn decoding_agrees_with_the_local_runtime() {
    let utf16: Vec<u8> = "{\"id\": \"x1\"}".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut cases: Vec<Vec<u8>> = vec![
        b"\xef\xbb\xbf{\"id\": \"x1\"}".to_vec(),
        [&[0xff, 0xfe][..], &utf16].concat(),
        utf16.clone(),
        b"{\"id\": \"\xed\xa0\x80\"}".to_vec(),
        br#"{"id": "\ud800"}"#.to_vec(),
        br#"{"id": "\udc00x"}"#.to_vec(),
        br#"{"id": "\ud83d\ude00"}"#.to_vec(),
        b"{\"id\": \"\xc3\"}".to_vec(),
        b"{\"id\": \"x1\", \"t\": -0}".to_vec(),
        b"{\"id\": \"x1\", \"a\": -0}".to_vec(),
        b"{\"id\": \"x1\", \"a\": -0.0}".to_vec(),
        b"{\"id\": \"x1\", \"t\": 0}".to_vec(),
        b"{\"id\": \"x1\", \"t\": -0e0}".to_vec(),
        b"{\"id\": \"x1\", \"a\": 1e+100}".to_vec(),
        b"{\"id\": \"x1\", \"a\": 1E+100}".to_vec(),
        b"{\"id\": \"x1\", \"x\": 1e400}".to_vec(),
        b"{\"id\": \"x1\", \"x\": -1e400}".to_vec(),
        b"{\"id\": \"x1\", \"x\": NaN}".to_vec(),
        b"{\"id\": \"x1\", \"x\": Infinity}".to_vec(),
        b"{\"id\": \"x1\", \"a\": 123456789012345678901234567890123456789012}".to_vec(),
        b"{\"id\": \"x1\", \"t\": 9223372036854775808}".to_vec(),
        b"{\"id\": \"x1\", \"id\": 7}".to_vec(),
        b"{\"id\": \"x1\\u0000\"}".to_vec(),
        b"{\"id\": \"x\x01\"}".to_vec(),
        b" \n{\"id\": \"x1\"}\r\n ".to_vec(),
        b"{\"id\": \"x1\"} {}".to_vec(),
        b"[{\"id\": \"x1\"}]".to_vec(),
        b"\"x1\"".to_vec(),
        b"".to_vec(),
        b"{\"id\": \"x1\", \"ts\": \"2026-11-26 12:00:00.014593\"}".to_vec(),
        b"{\"id\": \"x1\", \"ts\": \"2026-11-26T12:00:00.0145930001Z\"}".to_vec(),
    ];
    let mut rng = Rng(0xdec0_de00);
    cases.extend((0..300).map(|_| serde_json::to_vec(&record(&mut rng)).unwrap()));
    let job = json!({
        "schema": python::schema_literal(&schema()).flat(),
        "cases": cases.iter().map(|c| base64(c)).collect::<Vec<_>>(),
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.json"), job.to_string()).unwrap();
    std::fs::write(dir.path().join("harness.py"), DECODE_HARNESS).unwrap();
    let output = Command::new("python3")
        .arg(dir.path().join("harness.py"))
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/targets/lambda"))
        .arg(dir.path().join("job.json"))
        .output()
        .expect("python3 must be installed to check the Python runtime (it is not on PATH)");
    assert!(output.status.success(), "python3 failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut mismatches = String::new();
    let mut refused = 0;
    for (case, line) in cases.iter().zip(stdout.lines()) {
        let py: Json = serde_json::from_str(line).unwrap();
        let rust = rust_decode(case);
        let py_reason = py["reason"].as_str().map(|r| if r.starts_with("not JSON") { "not JSON" } else { r });
        if rust.as_ref().err().map(String::as_str) != py_reason {
            writeln!(mismatches, "{}\n  rust {rust:?} python {}", String::from_utf8_lossy(case), py["reason"]).unwrap();
        }
        refused += usize::from(rust.is_err());
    }
    assert_eq!(stdout.lines().count(), cases.len());
    assert!(mismatches.is_empty(), "Rust and Python decode differently:\n{mismatches}");
    assert!(refused >= 25, "only {refused} refused cases");
}
