//! AWS's limits are the spec's limits in `pipec run --local` too (the Lambda side is
//! `tests/handler.rs`): through the real binary, a flagged record whose DynamoDB item would be
//! over 400 KB is dead-lettered with the reason (as is an invalid timestamp sort key) and
//! the rest of the input is stored; a record under the item limit but over SNS's message limit
//! is stored and alerted with only its key (`"truncated": true`); every alert is one e-mail with
//! the subject SNS would carry. `pipec check` warns when declared bounds allow such records.

mod common;
#[path = "support/mbox.rs"]
mod mbox;
#[path = "support/tools.rs"]
mod tools;

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use common::temp_dir;

const BIN: &str = env!("CARGO_BIN_EXE_pipec");
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/transactions.yaml");

fn record(id: &str, transaction: i64, address: &str, created: &str) -> String {
    json!({
        "transactionId": id, "name": "Jane Doe", "age": 40, "address": address, "city": "Springfield",
        "state": "Illinois", "transaction": transaction, "bankId": "CHASUS33XXX", "createdAt": created
    })
    .to_string()
}

#[test]
fn records_over_aws_limits_are_dead_lettered_or_truncated_the_documented_way() {
    let scratch = temp_dir("run");
    let dir = scratch.path();
    let created = "2026-11-03T12:00:00.000Z";
    let long_created = format!("2026-11-03T12:00:00.{}Z", "1".repeat(1100));
    let lines = [
        record("small", 9500, "1 Oak Street", created),
        // 450 KB: over DynamoDB's item limit.
        record("huge", 9500, &"x".repeat(450_000), created),
        // An item of 409,601 bytes: one byte over the limit (the other attributes take 245).
        record("edge", 9500, &"é".repeat(204_678), created),
        // An item of exactly 409,600 bytes: stored (and its alert truncated).
        record("atlimit", 9500, &"é".repeat(204_676), created),
        // 300 KB: storable, but over SNS's message limit.
        record("big", 9500, &"y".repeat(300_000), created),
        // A timestamp sort key of 1,100 fraction digits: refused as a timestamp (at most 9
        // fraction digits) before the table's 1,024-byte sort-key limit could apply, so a
        // `timestamp` sort key always fits (the key limit itself: `src/limits.rs` unit tests).
        record("longkey", 9500, "2 Oak Street", &long_created),
        // Not flagged: never checked against the table's limits.
        record("quiet", 10, &"z".repeat(450_000), created),
        record("after", 9600, "3 Oak Street", created),
    ];
    let input = dir.join("in.ndjson");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let data = dir.join("data");
    let out = Command::new(BIN)
        .args(["run", "--local", SPEC, "--input"])
        .arg(&input)
        .arg("--data-dir")
        .arg(&data)
        .arg("--quiet")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let dead = std::fs::read_to_string(data.join("dead-letter/events.ndjson")).unwrap();
    let dead: Vec<Value> = dead.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let reasons: Vec<(&str, &str)> = dead
        .iter()
        .map(|d| {
            let record = d["record"].as_str().unwrap();
            let id = ["huge", "edge", "longkey"].into_iter().find(|id| record.contains(&format!("\"{id}\""))).unwrap();
            (id, d["reason"].as_str().unwrap())
        })
        .collect();
    assert_eq!(limits_item_size(&lines[2]), 409_601);
    assert_eq!(limits_item_size(&lines[3]), 409_600);
    assert_eq!(
        reasons,
        [
            (
                "huge",
                format!(
                    "item is {} bytes, over DynamoDB's 400 KB item limit (409600 bytes)",
                    limits_item_size(&lines[1])
                )
                .as_str()
            ),
            ("edge", "item is 409601 bytes, over DynamoDB's 400 KB item limit (409600 bytes)"),
            ("longkey", "createdAt: expected timestamp"),
        ]
    );
    assert!(dead.iter().all(|d| d["bytes"].as_u64().unwrap() > 0));

    // Stored: the others, in one table, and each alerted by one e-mail with SNS's subject.
    let mut mails: Vec<(String, Value)> =
        mbox::read(&data, "high-transactions").into_iter().map(|m| (m.subject, m.body)).collect();
    mails.sort_by_key(|(_, m)| m["record"]["transactionId"].as_str().unwrap().to_string());
    let ids: Vec<&str> = mails.iter().map(|(_, m)| m["record"]["transactionId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["after", "atlimit", "big", "small"]);
    for (subject, message) in &mails {
        assert_eq!(subject, "[high] transactions: high-transaction");
        assert_eq!(message["pipeline"], "transactions");
        assert_eq!(message["rule"], "high-transaction");
        assert_eq!(message["severity"], "high");
        assert_eq!(message["condition"], "transaction > 9000");
    }
    for (_, truncated) in &mails[1..3] {
        assert_eq!(truncated["truncated"], true);
        assert_eq!(
            truncated["record"],
            json!({ "transactionId": truncated["record"]["transactionId"], "createdAt": created })
        );
    }
    assert!(mails[0].1.get("truncated").is_none());
    assert_eq!(mails[3].1["record"]["customEnrichment"], 10_000);
}

/// DynamoDB's size of the item the example stores for `line`, computed here by hand: names
/// plus values (strings in UTF-8 bytes, numbers 1 byte plus 1 per two significant digits),
/// the enrichments `customEnrichment` (a number) and `inspectedAt` (a 24-byte timestamp), and
/// pipec's `_pipec_rules` list, `_pipec_notified` boolean and `_pipec_view` string "1".
fn limits_item_size(line: &str) -> usize {
    let record: Value = serde_json::from_str(line).unwrap();
    let number = |n: i64| 1 + n.to_string().trim_start_matches('-').trim_end_matches('0').len().div_ceil(2);
    let mut size = 0;
    for (name, value) in record.as_object().unwrap() {
        size += name.len()
            + match value {
                Value::String(s) => s.len(),
                Value::Number(n) => number(n.as_i64().unwrap()),
                _ => unreachable!(),
            };
    }
    let enrichment = record["transaction"].as_i64().unwrap() + 500;
    size += "customEnrichment".len() + number(enrichment) + "inspectedAt".len() + 24;
    size + "_pipec_rules".len()
        + 3
        + 1
        + "high-transaction".len()
        + "_pipec_notified".len()
        + 1
        + "_pipec_view".len()
        + 1
}

#[test]
fn check_warns_when_declared_strings_can_exceed_the_limits() {
    let scratch = temp_dir("check");
    let dir = scratch.path();
    let spec = std::fs::read_to_string(SPEC)
        .unwrap()
        .replace("transactionId: string(64)", "transactionId: string(600)")
        .replace("    name: string\n", "    name: string(70000)\n")
        .replace("    address: string\n", "    address: string(40000)\n");
    let path = dir.join("spec.yaml");
    std::fs::write(&path, spec).unwrap();
    let out = Command::new(BIN).args(["check", "--format", "json"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "warnings only: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let messages: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "pipec::store_limit")
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        messages,
        [
            "`transactionId` can be 2400 bytes, over DynamoDB's 2048-byte partition key limit",
            "a record can hold 442424 bytes of strings, over DynamoDB's 400 KB item limit",
        ]
    );
}

/// `src/limits.rs` and `src/alert.rs` against their Python mirror, `targets/lambda/pipec_limits.py`
/// (what the Lambda handlers import): a float field's stored number, a computed number outside
/// DynamoDB's range, a window alert over SNS's limit and why DynamoDB would refuse an item
/// (table keys, the viewer index's key, the item's size) come out byte for byte the same.
#[test]
fn numbers_and_window_alerts_match_the_python_mirror() {
    let floats = [
        "100",
        "100.0",
        "-0",
        "1E+3",
        "9000.250000000001",
        "9007199254740993",
        "9223372036854775807",
        "18446744073709551615",
        "123456789012345678901234567890123456789012",
        "0.1000000000000000055511151231257827",
        "1e-130",
    ];
    let computed = [1.5e200, -5e-131, 1e126, 9.99e125, 1e-130, 0.25];
    let rule = pipec::ir::Rule {
        name: "burst".into(),
        description: None,
        severity: pipec::ir::Severity::High,
        when: pipec::expr::parse("1 = 1").unwrap(),
        source: "count(*) > 1".into(),
        kind: pipec::ir::RuleKind::PerRecord,
        notify: Vec::new(),
    };
    let groups = [
        json!({ "user": "ü".repeat(140_000), "n": 5 }),
        json!({ "user": "small", "n": 1.5 }),
        Value::Object((0..300).map(|i| (format!("g{i}"), json!("é".repeat(1000)))).collect()),
    ];
    let aggregates = vec![json!({ "aggregate": "count(*)", "value": 2 })];
    let long = "é".repeat(600);
    let problems = [
        (json!({ "id": "a", "score": 2.5 }), json!(["score", "N"])),
        (json!({ "id": "a", "score": "1.5e+200" }), json!(["score", "N"])),
        (json!({ "id": "a", "name": long }), json!(["name", "S"])),
        (json!({ "id": "a", "name": "short" }), json!(["name", "S"])),
        (json!({ "id": "k".repeat(2049), "name": long }), json!(["name", "S"])),
        (json!({ "id": "a", "big": "x".repeat(409_600) }), json!(null)),
    ];
    let rust = json!({
        "problems": problems.iter().map(|(item, view)| {
            let view = view.as_array().map(|v| (v[0].as_str().unwrap(), v[1].as_str().unwrap()));
            pipec::limits::item_problem(item.as_object().unwrap(), &["r"], ("id", None), view)
        }).collect::<Vec<_>>(),
        "floats": floats.iter().map(|t| pipec::limits::float_value(&serde_json::from_str(t).unwrap()).to_string()).collect::<Vec<_>>(),
        "computed": computed.iter().map(|x| pipec::limits::storable(json!(x)).to_string()).collect::<Vec<_>>(),
        "windows": groups.iter().map(|g| pipec::alert::window_message("p", &rule, ("a", "b"), g.as_object().unwrap(), &aggregates)).collect::<Vec<_>>(),
    });
    let lambda = concat!(env!("CARGO_MANIFEST_DIR"), "/targets/lambda");
    let script = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import pipec_limits as limits, pipec_runtime as rt
case = json.load(sys.stdin)
floats = []
for text in case["floats"]:
    record, reason = rt.decode(('{"x": %s}' % text).encode(), [("x", "float", True, None)])
    floats.append(limits.compact(limits.float_value(record["x"])))
computed = [limits.compact(limits.storable(x)) for x in case["computed"]]
windows = [
    limits.window_message("p", "burst", "high", "count(*) > 1", ("a", "b"), g, case["aggregates"])
    for g in case["groups"]
]
problems = [limits.item_problem(item, ["r"], ("id", None), view) for item, view in case["problems"]]
print(json.dumps({"floats": floats, "computed": computed, "windows": windows, "problems": problems}))
"#;
    let input = json!({ "floats": floats, "computed": computed, "groups": groups, "aggregates": aggregates, "problems": problems });
    let mut child = Command::new(tools::python())
        .args(["-c", script, lambda])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", tools::describe(&out));
    let python: Value = serde_json::from_slice(&out.stdout).unwrap();
    for part in ["floats", "computed", "windows", "problems"] {
        let (r, p) = (rust[part].as_array().unwrap(), python[part].as_array().unwrap());
        assert_eq!(r.len(), p.len());
        for (i, (r, p)) in r.iter().zip(p).enumerate() {
            assert!(r == p, "{part}[{i}]: Rust and Python differ:\n{:.300}\n{:.300}", r.to_string(), p.to_string());
        }
    }
    let cut: Value = serde_json::from_str(rust["windows"][0].as_str().unwrap()).unwrap();
    assert_eq!((cut["group"]["user"].as_str().unwrap().chars().count(), &cut["truncated"]), (1024, &json!(true)));
    assert_eq!(rust["floats"][8], "1.2345678901234568e+41");
    assert_eq!(rust["computed"][0], "\"1.5e+200\"");
    let refused: Vec<bool> = rust["problems"].as_array().unwrap().iter().map(|p| !p.is_null()).collect();
    assert_eq!(refused, [false, true, true, false, true, true]);
}
