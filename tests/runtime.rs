//! The local runtime through the real binary: real files, real processes, bounded in time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{Rng, temp_dir};

#[path = "support/archive.rs"]
mod archive;
mod common;

#[path = "support/mbox.rs"]
mod mbox;

const BIN: &str = env!("CARGO_BIN_EXE_pipec");
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/transactions.yaml");

/// Seed-shaped events made here, independently of the engine's generator.
fn events(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    let banks = ["CHASUS33XXX", "DEUTDEFFXXX", "HSBCGB2LXXX", "BNPAFRPPXXX", "UBSWCHZHXXX"];
    (0..n)
        .map(|i| {
            let t = 1000 + rng.next() % 9001;
            format!(
                r#"{{"transactionId":"{:08x}-{:04x}-4abc-9def-{:012x}","name":"Jane Doe","age":{},"address":"{} Oak Street, Springfield, IL 62704","city":"Springfield","state":"Illinois","transaction":{t},"bankId":"{}","createdAt":"2026-11-03T12:{:02}:{:02}.{:03}Z"}}"#,
                rng.next() & 0xffff_ffff,
                i % 65536,
                i,
                18 + rng.next() % 70,
                rng.next() % 9999,
                rng.pick(&banks),
                (i / 60_000) % 60,
                (i / 1000) % 60,
                i % 1000
            )
        })
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn run(args: &[&str]) -> Output {
    let out = Command::new(BIN).args(args).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "pipec {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// `pipec run --local SPEC --input INPUT --data-dir DATA --quiet`.
fn local_args<'a>(spec: &'a Path, input: &'a Path, data: &'a Path) -> [&'a str; 8] {
    let path = |p: &'a Path| p.to_str().expect("test paths are UTF-8");
    ["run", "--local", path(spec), "--input", path(input), "--data-dir", path(data), "--quiet"]
}

fn counts(lines: &[String]) -> BTreeMap<&str, usize> {
    let mut map = BTreeMap::new();
    for l in lines {
        *map.entry(l.as_str()).or_insert(0) += 1;
    }
    map
}

fn flagged_keys(dir: &Path) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(dir.join("store.sqlite")).unwrap();
    let mut stmt = db.prepare(r#"SELECT "transactionId", "createdAt", _item FROM "transactions-flagged""#).unwrap();
    stmt.query_map([], |r| {
        let item: String = r.get(2)?;
        let item: Value = serde_json::from_str(&item).unwrap();
        assert_eq!(item["customEnrichment"], item["transaction"].as_i64().unwrap() + 500);
        assert!(item["inspectedAt"].as_str().unwrap().ends_with('Z'));
        Ok((r.get(0)?, r.get(1)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The rule `transaction > 9000`, decided here with serde_json alone.
fn expected_keys(lines: &[String]) -> BTreeSet<(String, String)> {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["transaction"].as_i64().is_some_and(|t| t > 9000))
        .map(|v| (v["transactionId"].as_str().unwrap().to_owned(), v["createdAt"].as_str().unwrap().to_owned()))
        .collect()
}

/// A copy of the reference spec with a small archive buffer (many objects) and extra topics.
fn spec_with(dir: &Path, buffer: &str, webhook: Option<&str>) -> PathBuf {
    let mut text = std::fs::read_to_string(SPEC).unwrap().replace("size: 64MiB", &format!("size: {buffer}"));
    if let Some(url) = webhook {
        text.push_str(&format!("    webhook: [\"{url}\"]\n"));
    }
    let path = dir.join("spec.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn file_of_100k_events_exact_store_and_archive() {
    let scratch = temp_dir("exact");
    let dir = scratch.path();
    let mut lines = events(100_000, 7);
    // The rule's edge, and the same key twice (stored once).
    lines[10] = lines[10].replace(r#""transaction":"#, r#""transaction":9000,"x":"#);
    lines[11] = lines[11].replace(r#""transaction":"#, r#""transaction":9001,"x":"#);
    lines.push(lines[11].clone());
    let input = dir.join("in.ndjson");
    write_lines(&input, &lines);
    let data = dir.join("data");
    let out = run(&local_args(Path::new(SPEC), &input, &data));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("100,001 events in"), "{stderr}");

    let got = flagged_keys(&data);
    let expected = expected_keys(&lines);
    assert_eq!(got.len(), expected.len(), "no duplicate rows");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
    assert!(expected.len() > 9000 && expected.len() < 13_000);
    assert_eq!(counts(&archive::lines(&data)), counts(&lines), "every line archived exactly once");
    // One e-mail per alert, as SNS sends them: one per stored row (the topic's one rule).
    let mails = mbox::read(&data, "high-transactions");
    assert_eq!(mails.len(), expected.len());
    let mailed: BTreeSet<(String, String)> = mails
        .iter()
        .map(|m| {
            let record = &m.body["record"];
            (record["transactionId"].as_str().unwrap().to_owned(), record["createdAt"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(mailed, expected, "one e-mail per stored row");
}

#[test]
fn kill_9_then_restart_loses_and_duplicates_nothing() {
    let scratch = temp_dir("kill");
    let dir = scratch.path();
    let lines = events(200_000, 11);
    let input = dir.join("in.ndjson");
    write_lines(&input, &lines);
    let spec = spec_with(dir, "1MiB", None);
    let data = dir.join("data");
    let args = local_args(&spec, &input, &data);
    let mut child = Command::new(BIN).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // Kill once some objects are archived and rows stored, well before the end.
    let started = Instant::now();
    let cold = data.join("checkpoints/cold.json");
    while !cold.exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(150));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was killed before it finished");
    let partial = archive::lines(&data).len();
    assert!(partial > 0 && partial < lines.len(), "killed mid-run ({partial} archived)");

    run(&args);
    assert_eq!(counts(&archive::lines(&data)), counts(&lines), "every line archived exactly once");
    let got = flagged_keys(&data);
    let expected = expected_keys(&lines);
    assert_eq!(got.len(), expected.len(), "no duplicate rows");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[test]
fn webhook_down_retries_then_dead_letters_and_the_run_completes() {
    let scratch = temp_dir("webhook");
    let dir = scratch.path();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let spec = spec_with(dir, "1MiB", Some(&format!("http://127.0.0.1:{port}/hook")));
    let mut lines = events(200, 3);
    lines[0] = lines[0].replace(r#""transaction":"#, r#""transaction":9999,"x":"#);
    let input = dir.join("in.ndjson");
    write_lines(&input, &lines);
    let data = dir.join("data");
    let started = Instant::now();
    run(&local_args(&spec, &input, &data));
    assert!(started.elapsed() < Duration::from_secs(20));
    let dead = std::fs::read_to_string(data.join("dead-letter/webhooks.ndjson")).unwrap();
    let first: Value = serde_json::from_str(dead.lines().next().unwrap()).unwrap();
    assert_eq!(first["attempts"], 4);
    assert_eq!(first["url"], format!("http://127.0.0.1:{port}/hook"));
    // One message per alert, the same JSON body SNS carries on AWS.
    assert_eq!(first["body"]["rule"], "high-transaction");
    assert_eq!(first["body"]["pipeline"], "transactions");
    assert!(first["body"]["record"].is_object());
    assert_eq!(flagged_keys(&data).len(), expected_keys(&lines).len());
}

#[test]
fn bad_events_go_to_the_dead_letter_file_with_reasons() {
    let scratch = temp_dir("bad");
    let dir = scratch.path();
    let mut lines = events(50, 5);
    let good = lines.len();
    lines.push("not json".into());
    lines.push("[1, 2]".into());
    lines.push(lines[0].replace(r#""transaction":"#, r#""transaction":"9999","x":"#));
    lines.push(r#"{"name":"no id"}"#.into());
    lines.push(format!(r#"{{"pad":"{}"}}"#, "x".repeat(1 << 20)));
    let input = dir.join("in.ndjson");
    write_lines(&input, &lines);
    std::fs::write(&input, std::fs::read_to_string(&input).unwrap() + "\n  \n").unwrap();
    let data = dir.join("data");
    run(&local_args(Path::new(SPEC), &input, &data));
    let dead: Vec<Value> = std::fs::read_to_string(data.join("dead-letter/events.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reasons: Vec<&str> = dead.iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("record is 1048") && r.contains("over the limit")));
    assert!(reasons.iter().any(|r| r.starts_with("not JSON")));
    assert!(reasons.contains(&"not a JSON object"));
    assert!(reasons.contains(&"transaction: expected int"));
    assert!(reasons.contains(&"transactionId: required"));
    // Everything under the size limit is archived raw, as Firehose would.
    assert_eq!(archive::lines(&data).len(), good + 4);
}

#[test]
fn max_events_and_duration_bound_generated_runs() {
    let scratch = temp_dir("bounds");
    let dir = scratch.path();
    let data = dir.join("a");
    let out = run(&[
        "run",
        "--local",
        SPEC,
        "--generate",
        "--max-events",
        "5000",
        "--seed",
        "9",
        "--data-dir",
        data.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("5,000 events in"));
    let lines = archive::lines(&data);
    assert_eq!(lines.len(), 5000);
    assert_eq!(counts(&lines).len(), 5000, "generated records are distinct");
    assert_eq!(flagged_keys(&data).len(), expected_keys(&lines).len());

    let data = dir.join("b");
    let started = Instant::now();
    run(&[
        "run",
        "--local",
        SPEC,
        "--generate",
        "2000",
        "--duration",
        "1500ms",
        "--data-dir",
        data.to_str().unwrap(),
        "--quiet",
    ]);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1400) && elapsed < Duration::from_secs(10), "{elapsed:?}");
    let n = archive::lines(&data).len();
    assert!((1500..=4000).contains(&n), "{n} events in 1.5 s at 2000/s");
}

#[test]
fn build_local_writes_the_run_configuration() {
    let scratch = temp_dir("build");
    let dir = scratch.path();
    run(&["build", SPEC, "--target", "local", "-o", dir.to_str().unwrap()]);
    let plan: Value = serde_json::from_slice(&std::fs::read(dir.join("local.json")).unwrap()).unwrap();
    assert_eq!(plan["pipeline"], "transactions");
    assert_eq!(plan["rules"][0]["when"], "transaction > 9000");
    assert_eq!(plan["store"]["table"], "transactions-flagged");
    assert_eq!(plan["archive"]["prefix"], "raw/");
    assert_eq!(plan["runtime"]["fsync"], serde_json::json!({"interval_ms": 200}));
}

#[test]
fn a_consumed_input_says_so_and_a_spec_without_a_store_claims_no_rows() {
    let scratch = temp_dir("say");
    let dir = scratch.path();
    let lines = events(300, 13);
    let input = dir.join("in.ndjson");
    write_lines(&input, &lines);
    let data = dir.join("data");
    let args = local_args(Path::new(SPEC), &input, &data);
    let first = String::from_utf8_lossy(&run(&args).stderr).into_owned();
    assert!(first.contains("300 events in") && !first.contains("already consumed"), "{first}");
    let again = String::from_utf8_lossy(&run(&args).stderr).into_owned();
    assert!(again.contains("0 events in"), "{again}");
    assert!(again.contains("was already consumed by an earlier run") && again.contains("--data-dir"), "{again}");
    // Grown since: the rest is taken, and the run says where it resumed.
    write_lines(&input, &[lines.clone(), events(10, 14)].concat());
    let grown = String::from_utf8_lossy(&run(&args).stderr).into_owned();
    assert!(grown.contains("10 events in") && grown.contains("pipec: resuming"), "{grown}");
    assert_eq!(archive::lines(&data).len(), 310);

    // The same pipeline without `hot.store`: alerts only, no rows claimed.
    let spec_text = std::fs::read_to_string(SPEC).unwrap();
    let start = spec_text.find("  store:").unwrap();
    let end = spec_text.find("\ncold:").unwrap();
    let spec = dir.join("no-store.yaml");
    std::fs::write(&spec, format!("{}{}", &spec_text[..start], &spec_text[end..])).unwrap();
    let data = dir.join("no-store");
    let out = run(&local_args(&spec, &input, &data));
    let text = String::from_utf8_lossy(&out.stderr);
    let flagged = expected_keys(&[lines, events(10, 14)].concat()).len();
    assert!(text.contains(&format!("flagged       {flagged} (notified only: the spec has no store)")), "{text}");
    assert!(!text.contains("new rows") && !text.contains("row stored"), "{text}");
}

/// The shard Kinesis puts a partition key on, for `shards` shards of equal hash ranges: the
/// key's MD5 as a 128-bit number, scaled (computed by coreutils' `md5sum`).
fn kinesis_shard(key: &str, shards: u128) -> usize {
    use std::io::Write;
    let mut child =
        Command::new("md5sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("md5sum (coreutils)");
    child.stdin.take().unwrap().write_all(key.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let hash = u128::from_str_radix(&String::from_utf8(out.stdout).unwrap()[..32], 16).unwrap();
    usize::try_from(hash / (u128::MAX / shards + 1)).unwrap()
}

fn window_alerts(data: &Path) -> Vec<Value> {
    let db = rusqlite::Connection::open(data.join("store.sqlite")).unwrap();
    let mut stmt = db.prepare("SELECT alert FROM _pipec_window_alerts ORDER BY window_start").unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(|a| serde_json::from_str(&a.unwrap()).unwrap()).collect()
}

/// What the README's "Flink engine" section shows: the card-velocity example flags card
/// c-7731 (6 payments in 12:00–12:10) in event time over the whole stream and dead-letters the
/// late payment; the same rule on the lambda engine, run per shard as Lambda runs it (payments
/// partitioned by `paymentId` over the example's 4 shards), never reaches 5.
#[test]
fn card_velocity_example_counts_the_whole_stream_where_lambda_shards_do_not() {
    let scratch = temp_dir("card-velocity");
    let dir = scratch.path();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = root.join("examples/card-velocity.yaml");
    let input = root.join("examples/data/card-velocity.ndjson");
    let data = dir.join("flink");
    run(&local_args(&spec, &input, &data));
    let alerts = window_alerts(&data);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["group"], serde_json::json!({ "cardId": "c-7731" }));
    assert_eq!(
        alerts[0]["window"],
        serde_json::json!({ "start": "2026-11-26T12:00:00.000Z", "end": "2026-11-26T12:10:00.000Z" })
    );
    assert_eq!(alerts[0]["aggregates"][0]["value"], 6);
    let dead: Vec<Value> = std::fs::read_to_string(data.join("dead-letter/events.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert!(dead[0]["record"].as_str().unwrap().contains("pay-1011"));
    assert_eq!(
        dead[0]["reason"],
        "late for rule `card-velocity`: window ending 2026-11-26T12:10:00.000Z already closed \
         (watermark 2026-11-26T12:10:45.000Z)"
    );

    // The lambda engine: the same spec without the flink keys, one run per shard.
    let text = std::fs::read_to_string(&spec).unwrap();
    let lambda = text.replace("  engine: flink\n  event_time: paidAt\n  allowed_lateness: 30s\n", "");
    assert_ne!(lambda, text);
    let lambda_spec = dir.join("lambda.yaml");
    std::fs::write(&lambda_spec, lambda).unwrap();
    // On one shard the lambda engine does count them together (all arrive in one window).
    let one = dir.join("lambda-one-shard");
    run(&local_args(&lambda_spec, &input, &one));
    let alerts = window_alerts(&one);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["group"], serde_json::json!({ "cardId": "c-7731" }));
    let lines: Vec<String> = std::fs::read_to_string(&input).unwrap().lines().map(str::to_owned).collect();
    let mut shards = vec![Vec::new(); 4];
    for line in lines {
        let record: Value = serde_json::from_str(&line).unwrap();
        shards[kinesis_shard(record["paymentId"].as_str().unwrap(), 4)].push(line);
    }
    let card = |lines: &[String]| lines.iter().filter(|l| l.contains(r#""cardId":"c-7731""#)).count();
    assert_eq!(shards.iter().map(|s| card(s)).collect::<Vec<_>>(), [1, 1, 3, 1], "c-7731's payments per shard");
    for (i, lines) in shards.iter().enumerate() {
        let (input, data) = (dir.join(format!("shard-{i}.ndjson")), dir.join(format!("lambda-{i}")));
        write_lines(&input, lines);
        run(&local_args(&lambda_spec, &input, &data));
        assert_eq!(window_alerts(&data), Vec::<Value>::new(), "shard {i} alone never reaches 5");
    }
}

const FLINK_SPEC: &str = "version: 1
name: kill-flink
stream:
  shards: 2
  record:
    id: string
    card: string
    amount: int
    at: timestamp
hot:
  engine: flink
  event_time: at
  allowed_lateness: 5s
  rules:
    - name: busy
      window: { tumbling: 1m }
      group_by: card
      when: count(*) >= 34
    - name: spend
      window: { sliding: 5m, slide: 1m }
      group_by: [card]
      when: sum(amount) > 850000
    - name: big
      when: amount > 9990
  store:
    key: { partition: id }
";

/// Payments of 200 cards, event time rising ~10 ms a record, 10% out of order by up to 4 s,
/// 1% late by 30–90 s.
fn flink_events(n: usize) -> Vec<String> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut next = move |m: u64| rng.next() % m;
    let mut t = 1_780_000_000_000_i64;
    (0..n)
        .map(|i| {
            t += i64::try_from(next(21)).unwrap();
            let at = match next(100) {
                0 => t - 30_000 - i64::try_from(next(60_000)).unwrap(),
                1..=10 => t - i64::try_from(next(4000)).unwrap(),
                _ => t,
            };
            let at = pipec::expr::value::format_timestamp_millis(at);
            format!(r#"{{"id":"p{i}","card":"c{}","amount":{},"at":"{at}"}}"#, next(200), next(10_000))
        })
        .collect()
}

/// Window alerts (rule, start, group, alert), stored rows' ids, and the dead-lettered
/// sequence numbers with their reasons (dead letters are at least once: a set).
type FlinkOutcome = (BTreeSet<(String, i64, String, String)>, BTreeSet<String>, BTreeSet<(u64, String)>);

fn flink_outcome(data: &Path) -> FlinkOutcome {
    let db = rusqlite::Connection::open(data.join("store.sqlite")).unwrap();
    let mut stmt = db.prepare("SELECT rule, window_start, group_key, alert FROM _pipec_window_alerts").unwrap();
    let windows =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect();
    let mut stmt = db.prepare(r#"SELECT id FROM "kill-flink-flagged""#).unwrap();
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let count = rows.len();
    let rows: BTreeSet<String> = rows.into_iter().collect();
    assert_eq!(rows.len(), count);
    let dead = std::fs::read_to_string(data.join("dead-letter/events.ndjson")).unwrap_or_default();
    let dead = dead
        .lines()
        .map(|l| {
            let d: Value = serde_json::from_str(l).unwrap();
            (d["seq"].as_u64().unwrap(), d["reason"].as_str().unwrap().to_owned())
        })
        .collect();
    (windows, rows, dead)
}

/// The flink engine's event-time windows survive kill -9: the restart decides exactly what an
/// uninterrupted run decides (each window alert once, no row twice, every late record).
#[test]
fn flink_kill_9_then_restart_decides_what_an_uninterrupted_run_does() {
    let scratch = temp_dir("kill-flink");
    let dir = scratch.path();
    let spec = dir.join("spec.yaml");
    std::fs::write(&spec, FLINK_SPEC).unwrap();
    let input = dir.join("in.ndjson");
    write_lines(&input, &flink_events(100_000));
    let args = |data: &Path| {
        [
            "run",
            "--local",
            spec.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--quiet",
        ]
        .map(str::to_owned)
    };
    let whole = dir.join("whole");
    run(&args(&whole).iter().map(String::as_str).collect::<Vec<_>>());
    let expected = flink_outcome(&whole);
    assert!(
        expected.0.len() > 50 && expected.1.len() > 50 && expected.2.len() > 50,
        "{:?}",
        (expected.0.len(), expected.1.len(), expected.2.len())
    );

    let data = dir.join("killed");
    let mut child = Command::new(BIN).args(args(&data)).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // Kill once some windows are decided, well before the end.
    let started = Instant::now();
    let decided = || {
        rusqlite::Connection::open_with_flags(data.join("store.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|db| db.query_row("SELECT count(*) FROM _pipec_window_alerts", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0)
    };
    while decided() < 5 && started.elapsed() < Duration::from_mins(1) {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    assert!(!child.wait().unwrap().success(), "the run was killed before it finished");
    let partial = flink_outcome(&data).0.len();
    assert!(partial > 0 && partial < expected.0.len(), "killed mid-run ({partial} window alerts)");
    run(&args(&data).iter().map(String::as_str).collect::<Vec<_>>());
    let got = flink_outcome(&data);
    assert_eq!(got.0, expected.0, "window alerts");
    assert_eq!(got.1, expected.1, "stored rows");
    assert_eq!(got.2, expected.2, "dead letters");
}
