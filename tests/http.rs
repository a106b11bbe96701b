//! The HTTP server of `pipec run --local` through the real binary on 127.0.0.1: the NDJSON
//! and Kinesis ingest APIs (boto3 as the client), the viewer's JSON, `/metrics`, `/healthz`,
//! and the live page in Debian's headless Chromium. Each run is stopped by its PID.

mod common;
#[path = "support/server.rs"]
mod server;
#[path = "support/tools.rs"]
mod tools;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::temp_dir;
use server::{BIN, Reply, Run, SIGNED, SPEC, eventually, get, http};

#[path = "support/archive.rs"]
mod archive;

const TABLE: &str = "transactions-flagged";

fn post_records(addr: &str, body: &str) -> Reply {
    http(addr, "POST", "/records", &[("Content-Type", "application/x-ndjson")], body.as_bytes())
}

fn kinesis(addr: &str, target: &str, body: &str) -> Reply {
    http(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-1.1"), SIGNED[0], SIGNED[1]],
        body.as_bytes(),
    )
}

fn transaction(id: &str, amount: i64, created: &str) -> String {
    json!({
        "transactionId": id, "name": "Jane Doe", "age": 42, "address": "1 Oak Street",
        "city": "Springfield", "state": "Illinois", "transaction": amount,
        "bankId": "DEUTDEFFXXX", "createdAt": created,
    })
    .to_string()
}

/// Keys of the stored rows.
fn stored_ids(data: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(data.join("store.sqlite")).unwrap();
    let mut stmt = db.prepare(&format!(r#"SELECT "transactionId" FROM "{TABLE}" ORDER BY 1"#)).unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

const PRODUCER: &str = r#"
import json, random, sys, uuid, datetime
import boto3
from botocore.exceptions import ClientError

endpoint, out = sys.argv[1], sys.argv[2]
kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="eu-west-1",
                       aws_access_key_id="dummy", aws_secret_access_key="dummy")
random.seed(7)
banks = ["CHASUS33XXX", "DEUTDEFFXXX", "HSBCGB2LXXX", "BNPAFRPPXXX", "UBSWCHZHXXX",
         "CITIUS33XXX", "BARCGB22XXX", "SOGEFRPPXXX", "INGBNL2AXXX", "COBADEFFXXX"]
base = datetime.datetime(2026, 11, 3, 12, 0, tzinfo=datetime.timezone.utc)
def record(i):
    return {"transactionId": str(uuid.UUID(int=random.getrandbits(128), version=4)),
            "name": random.choice(["Jane Doe", "John Roe", "Ana Lima"]), "age": random.randint(18, 90),
            "address": "%d Oak Street" % random.randint(1, 999), "city": "Springfield", "state": "Illinois",
            "transaction": random.randint(1000, 10000), "bankId": random.choice(banks),
            "createdAt": (base + datetime.timedelta(milliseconds=i)).isoformat(timespec="milliseconds").replace("+00:00", "Z")}

summary = kinesis.describe_stream_summary(StreamName="transactions")["StreamDescriptionSummary"]
assert summary["StreamStatus"] == "ACTIVE", summary
arn = summary["StreamARN"]
assert arn == "arn:aws:kinesis:eu-west-1:000000000000:stream/transactions", arn
assert kinesis.list_streams()["StreamNames"] == ["transactions"]
assert [s["ShardId"] for s in kinesis.list_shards(StreamName="transactions")["Shards"]] == ["shardId-000000000000"]
assert kinesis.describe_stream(StreamName="transactions")["StreamDescription"]["HasMoreShards"] is False

sent, seqs = [], []
for i in range(40):
    data = json.dumps(record(i))
    r = kinesis.put_record(StreamName="transactions", Data=data, PartitionKey=str(i % 7))
    assert r["ShardId"] == "shardId-000000000000", r
    seqs.append(r["SequenceNumber"]); sent.append(data)
data = json.dumps(record(40))
r = kinesis.put_record(StreamARN=arn, Data=data, PartitionKey="arn")
seqs.append(r["SequenceNumber"]); sent.append(data)
i = 41
for batch in range(3):
    records = [record(i + k) for k in range(100 if batch < 2 else 160)]
    i += len(records)
    r = kinesis.put_records(StreamName="transactions",
                            Records=[{"Data": json.dumps(x), "PartitionKey": x["bankId"]} for x in records])
    assert r["FailedRecordCount"] == 0, r
    assert len(r["Records"]) == len(records)
    seqs.extend(x["SequenceNumber"] for x in r["Records"])
    sent.extend(json.dumps(x) for x in records)

try:
    kinesis.put_record(StreamName="not-the-stream", Data=b"{}", PartitionKey="k")
    wrong = "no error"
except ClientError as e:
    wrong = e.response["Error"]["Code"]
try:
    kinesis.put_records(StreamName="not-the-stream", Records=[{"Data": b"{}", "PartitionKey": "k"}])
    wrong_batch = "no error"
except ClientError as e:
    wrong_batch = e.response["Error"]["Code"]
json.dump({"sent": sent, "seqs": seqs, "wrong": wrong, "wrong_batch": wrong_batch}, open(out, "w"))
"#;

#[test]
fn boto3_producer_then_sigterm_archives_every_record() {
    let scratch = temp_dir("boto3");
    let dir = scratch.path();
    let run = Run::start(Path::new(SPEC), &dir.join("data"));
    let script = dir.join("producer.py");
    std::fs::write(&script, PRODUCER).unwrap();
    let out_file = dir.join("sent.json");
    let out = Command::new(tools::python()).arg(&script).arg(run.url()).arg(&out_file).output().unwrap();
    assert!(out.status.success(), "the boto3 producer failed:\n{}", tools::describe(&out));
    let result: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(result["wrong"], "ResourceNotFoundException");
    assert_eq!(result["wrong_batch"], "ResourceNotFoundException");
    let seqs: Vec<&str> = result["seqs"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(seqs.len(), 401);
    assert!(seqs.iter().all(|s| s.len() == 56 && s.starts_with("49")), "Kinesis-shaped sequence numbers: {seqs:?}");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "sequence numbers increase");
    let sent: Vec<&str> = result["sent"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(sent.len(), 401);

    let (status, stderr) = run.terminate();
    assert!(status.success(), "pipec did not stop cleanly on SIGTERM ({status}):\n{stderr}");
    let data = dir.join("data");
    let archive = archive::lines(&data);
    assert_eq!(archive.len(), 401, "the archive holds every record put, exactly once:\n{stderr}");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for line in &archive {
        *counts.entry(line.as_str()).or_default() += 1;
    }
    for line in &sent {
        assert_eq!(counts.get(line), Some(&1), "archived exactly once: {line}");
    }
    let mut expected: Vec<String> = archive
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["transaction"].as_i64().unwrap() > 9000)
        .map(|v| v["transactionId"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(stored_ids(&data), expected, "the store holds exactly the flagged records");
}

/// Parses Prometheus text: every sample's family has `# HELP` and `# TYPE` first; returns
/// `name{labels}` → value (as written, checked to be a number).
fn prometheus(text: &str) -> BTreeMap<String, String> {
    let (mut helped, mut typed) = (Vec::new(), Vec::new());
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.push(rest.split(' ').next().unwrap().to_owned());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge"].contains(&kind), "type of {name}: {kind}");
            assert!(kind != "counter" || name.ends_with("_total"), "counter {name} ends in _total");
            typed.push(name.to_owned());
        } else {
            assert!(!line.starts_with('#') && !line.is_empty(), "unexpected line {line:?}");
            let (series, value) = line.rsplit_once(' ').unwrap();
            let name = series.split('{').next().unwrap();
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "metric name {name}");
            assert!(helped.iter().any(|h| h == name) && typed.iter().any(|t| t == name), "{name} lacks HELP/TYPE");
            if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
                assert!(labels.starts_with('{') && labels.ends_with('}') && labels.contains("=\""), "labels {labels}");
            }
            assert!(value.parse::<f64>().is_ok(), "value of {series}: {value}");
            samples.insert(series.to_owned(), value.to_owned());
        }
    }
    samples
}

#[test]
fn records_api_metrics_healthz_and_flagged_sorted_as_the_viewer_says() {
    let scratch = temp_dir("api");
    let dir = scratch.path();
    let spec = dir.join("spec.yaml");
    let text = std::fs::read_to_string(SPEC).unwrap();
    std::fs::write(&spec, text.replace("title: Real Time High Transaction Table", r#"title: "<b>Tx</b> & 'co'""#))
        .unwrap();
    let run = Run::start(&spec, &dir.join("data"));
    let addr = run.addr.clone();

    let health = get(&addr, "/healthz");
    assert_eq!((health.status, health.text().trim()), (200, "ok"));

    // 12 records (6 flagged, createdAt out of order) and a blank line; first with a line
    // over 1 MiB and one that is not JSON: refused whole, by line number, nothing stored.
    let mut body = String::new();
    for i in 0..12 {
        let created = format!("2026-11-03T12:00:{:02}.000Z", (i * 7) % 12);
        body.push_str(&transaction(&format!("tx-{i}"), if i % 2 == 0 { 9500 + i } else { 100 }, &created));
        body.push('\n');
    }
    body.push('\n');
    let bad = format!("{body}{{\"big\":\"{}\"}}\nnot json\n", "x".repeat((1 << 20) + 10));
    let reply = post_records(&addr, &bad);
    assert_eq!(reply.status, 400, "{}", reply.text());
    let reply = reply.json();
    assert_eq!(reply["accepted"], 0);
    let lines: Vec<&Value> = reply["invalid"].as_array().unwrap().iter().map(|l| &l["line"]).collect();
    assert_eq!(lines, [&json!(14), &json!(15)], "{reply}");
    let reply = post_records(&addr, &body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!({ "accepted": 12 }));

    eventually(15, "6 flagged rows", || get(&addr, "/api/flagged").json()["total"] == 6);
    let page = get(&addr, "/api/flagged?limit=4&offset=1").json();
    assert_eq!(page["sort"], json!({ "field": "createdAt", "descending": true }));
    let all = get(&addr, "/api/flagged").json();
    let created: Vec<&str> =
        all["rows"].as_array().unwrap().iter().map(|r| r["item"]["createdAt"].as_str().unwrap()).collect();
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted, "sorted by -createdAt");
    let paged: Vec<&Value> = page["rows"].as_array().unwrap().iter().collect();
    assert_eq!(paged.len(), 4);
    assert_eq!(paged[0], &all["rows"][1]);
    assert_eq!(
        all["rows"][0]["item"]["customEnrichment"],
        all["rows"][0]["item"]["transaction"].as_i64().unwrap() + 500
    );
    assert_eq!(get(&addr, "/api/flagged?limit=5000").status, 400);
    assert_eq!(get(&addr, "/api/flagged?offset=-1").status, 400);

    eventually(15, "metrics catch up", || {
        let m = prometheus(&get(&addr, "/metrics").text());
        m["pipec_flagged_total"] == "6" && m["pipec_consumer_lag{consumer=\"hot\"}"] == "0"
    });
    let metrics = get(&addr, "/metrics");
    assert!(metrics.headers["content-type"].starts_with("text/plain; version=0.0.4"));
    let m = prometheus(&metrics.text());
    assert_eq!(m["pipec_events_in_total"], "12");
    assert_eq!(m["pipec_dead_letter_total"], "0", "a refused body is not dead-lettered: the client still has it");
    assert_eq!(m["pipec_rejected_total"], "0");
    for name in ["pipec_archived_bytes_total", "pipec_archived_objects_total", "pipec_consumer_lag{consumer=\"cold\"}"]
    {
        assert!(m.contains_key(name), "{name} in /metrics");
    }

    // The page: escaped title, no external assets, a strict policy.
    let page = get(&addr, "/");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("<title>&lt;b&gt;Tx&lt;/b&gt; &amp; &#39;co&#39;</title>"), "{html}");
    assert!(!html.contains("<b>Tx"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "no external assets");
    assert!(page.headers["content-security-policy"].contains("default-src 'none'"));

    // Kinesis errors over raw HTTP, and the guards against web pages.
    let e = kinesis(&addr, "Kinesis_20131202.PutRecords", r#"{"StreamName":"transactions","Records":[]}"#);
    assert_eq!((e.status, e.json()["__type"].as_str().unwrap()), (400, "ValidationException"));
    let e = kinesis(&addr, "Kinesis_20131202.PutRecord", "{not json");
    assert_eq!((e.status, e.json()["__type"].as_str().unwrap()), (400, "SerializationException"));
    let e = kinesis(&addr, "Kinesis_20131202.MergeShards", "{}");
    assert_eq!(e.json()["__type"], "UnknownOperationException");
    let e =
        kinesis(&addr, "Kinesis_20131202.PutRecord", r#"{"StreamName":"transactions","Data":"!!","PartitionKey":"k"}"#);
    assert_eq!(e.json()["__type"], "SerializationException");
    assert_eq!(e.headers["content-type"], "application/x-amz-json-1.1");
    assert_eq!(e.headers["x-amzn-requestid"].len(), 36);
    let cross = http(&addr, "POST", "/records", &[("Origin", "http://evil.example")], b"{}\n");
    assert_eq!(cross.status, 403);
    let rebound = http(&addr, "GET", "/api/flagged", &[("Host", "evil.example:80")], b"");
    assert_eq!(rebound.status, 403);
    let large = post_records(&addr, &"x".repeat(17 << 20));
    assert_eq!(large.status, 413);

    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr}");
    assert_eq!(archive::lines(&dir.join("data")).len(), 12);
}

#[test]
fn a_non_loopback_listen_address_is_refused() {
    let scratch = temp_dir("remote");
    let dir = scratch.path();
    let out = Command::new(BIN)
        .args(["run", "--local", SPEC, "--listen", "0.0.0.0:0", "--max-events", "1", "--data-dir"])
        .arg(dir.join("data"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", tools::describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"), "{}", tools::describe(&out));
}

#[test]
fn viewer_in_chromium_shows_a_row_put_after_the_page_opened() {
    let script = tools::browser_script("viewer.mjs");
    let scratch = temp_dir("browser");
    let dir = scratch.path();
    let run = Run::start(Path::new(SPEC), &dir.join("data"));
    let addr = run.addr.clone();
    let mut older = String::new();
    for i in 0..3 {
        older.push_str(&transaction(&format!("old-{i}"), 9100 + i, &format!("2026-11-03T11:00:0{i}.000Z")));
        older.push('\n');
    }
    assert_eq!(post_records(&addr, &older).status, 200);
    eventually(15, "3 flagged rows", || get(&addr, "/api/flagged").json()["total"] == 3);

    // Kept under the target dir for a look after the run (1400×900 and the -phone.png at 390×844).
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer.png");
    let id = format!("live-{}", std::process::id());
    let mut node = Command::new("node")
        .arg(&script)
        .arg(format!("{}/", run.url()))
        .arg(&id)
        .arg(&screenshot)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let stdout = node.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_mins(1);
    while !seen.iter().any(|l: &String| l == "READY") {
        if let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            seen.push(line);
        } else {
            let _ = node.kill();
            let _ = node.wait();
            let mut err = String::new();
            let _ = node.stderr.take().unwrap().read_to_string(&mut err);
            panic!("the page never became ready:\n{}\n{err}", seen.join("\n"));
        }
    }
    // Values are user data: markup in them must show as text.
    let name = "<img src=x onerror=alert(1)> Zoë";
    let record = json!({
        "transactionId": id, "name": name, "age": 33, "address": "9 Elm Road", "city": "Springfield",
        "state": "Illinois", "transaction": 9999, "bankId": "HSBCGB2LXXX", "createdAt": "2026-11-03T13:00:00.000Z",
    });
    assert_eq!(post_records(&addr, &format!("{record}\n")).status, 200);

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            panic!("the browser script did not finish within 30 s:\n{}", seen.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(100));
    seen.extend(lines.try_iter());
    let mut err = String::new();
    let _ = node.stderr.take().unwrap().read_to_string(&mut err);
    let report = seen.join("\n");
    assert!(status.success(), "the row did not appear in the page:\n{report}\n{err}");
    let row = seen.iter().find_map(|l| l.strip_prefix("ROW ")).expect("a ROW line");
    assert!(row.starts_with(&format!("{id} | 2026-11-03T13:00:00.000Z")), "key columns first: {row}");
    assert!(row.contains(name), "markup shown as text: {row}");
    assert!(row.contains("10499") && row.contains("high-transaction") && row.contains("high"), "{row}");
    assert!(seen.iter().any(|l| l == "RELOADED no"), "{report}");
    assert!(!seen.iter().any(|l| l.starts_with("CONSOLE") || l.starts_with("OFFSITE")), "{report}");
    assert!(screenshot.is_file() && screenshot.with_file_name("viewer-phone.png").is_file(), "{report}");
    for width in ["1400", "390"] {
        let line = format!("OVERFLOW {width} 0");
        assert!(
            seen.contains(&line),
            "the page scrolls sideways at {width} px (the table must scroll inside itself):\n{report}"
        );
    }
    // The 60 s archive buffer of the reference spec has not flushed yet: the page says so.
    let archive_note = seen.iter().find_map(|l| l.strip_prefix("NOTE ")).expect("a NOTE line");
    assert!(archive_note.contains("next archive object in ≤ 60 s"), "{report}");
    // The new row is the first (sorted by -createdAt).
    let api = get(&addr, "/api/flagged?limit=1").json();
    assert_eq!(api["rows"][0]["item"]["transactionId"], id.as_str());

    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr}");
}
