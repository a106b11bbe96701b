//! `pipec replay` through the real binary, on real files: an archive written by a real
//! `pipec run --local --input` (the replay reports exactly the flagged set the run stored),
//! `--against` on specs whose differences the test computes itself, Firehose-shaped objects
//! (concatenated gzip members, records without newlines), bad objects, `--from/--to`, and an
//! S3 archive on a moto server (feature `aws`).

mod common;
#[cfg(feature = "aws")]
#[path = "support/tools.rs"]
mod tools;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Rng, Test};
use serde_json::{Value as Json, json};

/// A copy of the reference spec with its rules replaced by `rules` (YAML under `rules:`).
fn spec(dir: &Path, name: &str, rules: &str) -> PathBuf {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/transactions.yaml")).unwrap();
    let start = text.find("  rules:\n").expect("rules in the reference spec");
    let end = text.find("  store:\n").expect("store in the reference spec");
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("{}  rules:\n{rules}{}", &text[..start], &text[end..])).unwrap();
    path
}

const HIGH_9000: &str =
    "    - name: high-transaction\n      when: transaction > 9000\n      notify: [high-transactions]\n";

/// `n` transaction records (ages 18..99, amounts 0..9999), some sharing a key.
fn records(n: usize, seed: u64) -> Vec<Json> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            // Every 50th record repeats an earlier key: the store keeps the first one only.
            let id = if i % 50 == 49 { i - 7 } else { i };
            json!({
                "transactionId": format!("t-{id}"),
                "name": "Ann Example",
                "age": 18 + rng.below(82),
                "address": "1 Main St",
                "city": "Springfield",
                "state": "Oregon",
                "transaction": rng.below(10_000),
                "bankId": "B1",
                "createdAt": format!("2026-12-01T10:{:02}:{:02}Z", (id / 60) % 60, id % 60),
            })
        })
        .collect()
}

fn ndjson(records: &[Json]) -> Vec<u8> {
    records.iter().flat_map(|r| format!("{r}\n").into_bytes()).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn replay_json(args: &[&str]) -> Json {
    let out = Test::new()
        .args(["replay"])
        .args(args)
        .args(["--format", "json"])
        .timeout(Duration::from_mins(2))
        .status(0)
        .run();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("report is not JSON ({e}): {}", out.stdout))
}

fn rule<'a>(report: &'a Json, name: &str) -> &'a Json {
    report["rules"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no rule {name}"))
}

fn lines(path: &Path) -> Vec<Json> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The row without `inspectedAt` (`now()`: the run's time, not the replay's).
fn without_now(mut item: Json) -> Json {
    item.as_object_mut().unwrap().remove("inspectedAt");
    item
}

#[test]
fn replay_reports_exactly_the_flagged_set_the_run_stored() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "spec", HIGH_9000);
    let records = records(3000, 7);
    let mut input = ndjson(&records);
    input.extend(b"not json at all\n{\"transactionId\":\"t-x\"}\n");
    write(&dir.path().join("in.ndjson"), &input);
    let data = dir.path().join("data");
    Test::new()
        .args(["run", "--local"])
        .arg_path(&spec)
        .args(["--input"])
        .arg_path(&dir.path().join("in.ndjson"))
        .args(["--data-dir"])
        .arg_path(&data)
        .args(["--quiet"])
        .timeout(Duration::from_mins(2))
        .status(0)
        .run();

    let out = dir.path().join("out");
    let report =
        replay_json(&[spec.to_str().unwrap(), "--archive", data.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    // Counted independently: valid records over 9000.
    let over = records.iter().filter(|r| r["transaction"].as_u64().unwrap() > 9000).count() as u64;
    assert_eq!(report["records"], 3002);
    assert_eq!(report["decided"], 3000);
    assert_eq!(report["flagged"], over);
    assert_eq!(rule(&report, "high-transaction")["flagged"], over);
    assert_eq!(report["dead_letters"]["count"], 2);

    // The store: one row per key, the first flagged record's.
    let store = rusqlite::Connection::open(data.join("store.sqlite")).unwrap();
    let table: String = store
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_pipec%' ESCAPE '\\'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut stmt = store.prepare(&format!("SELECT _item, _rules FROM \"{table}\"")).unwrap();
    let stored: BTreeSet<String> = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|row| {
            let (item, rules) = row.unwrap();
            let item = without_now(serde_json::from_str(&item).unwrap());
            json!({ "item": item, "rules": serde_json::from_str::<Json>(&rules).unwrap() }).to_string()
        })
        .collect();
    let mut first: BTreeMap<(String, String), String> = BTreeMap::new();
    for line in lines(&out.join("flagged.ndjson")) {
        let item = without_now(line["item"].clone());
        let key = (item["transactionId"].to_string(), item["createdAt"].to_string());
        first.entry(key).or_insert_with(|| json!({ "item": item, "rules": line["rules"] }).to_string());
    }
    let replayed: BTreeSet<String> = first.into_values().collect();
    assert!(!stored.is_empty());
    assert_eq!(replayed, stored, "replay's flagged set (first per key) against the run's store");

    // Dead letters: the same records with the same reasons as the run's file.
    let reasons = |lines: Vec<Json>| lines.iter().map(|l| l["reason"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(
        reasons(lines(&out.join("dead-letter.ndjson"))),
        reasons(lines(&data.join("dead-letter/events.ndjson")))
    );
}

#[test]
fn against_reports_the_differences_of_two_specs_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let old = spec(
        dir.path(),
        "old",
        &format!("{HIGH_9000}    - name: elderly\n      when: age > 90\n      notify: [high-transactions]\n"),
    );
    let new = spec(
        dir.path(),
        "new",
        "    - name: high-transaction\n      when: transaction > 8000 and age >= 30\n      notify: [high-transactions]\n    \
         - name: young\n      when: age < 25\n      notify: [high-transactions]\n",
    );
    let records = records(2000, 11);
    let archive = dir.path().join("archive");
    write(
        &archive.join("raw/2026/12/01/10/events-000000000000-2026-12-01-10-00-00.gz"),
        &gzip(&ndjson(&records[..1200])),
    );
    write(
        &archive.join("raw/2026/12/01/11/events-000000001200-2026-12-01-11-00-00.gz"),
        &gzip(&ndjson(&records[1200..])),
    );

    let report = replay_json(&[
        new.to_str().unwrap(),
        "--archive",
        archive.to_str().unwrap(),
        "--against",
        old.to_str().unwrap(),
        "--examples",
        "2",
    ]);
    let count = |f: &dyn Fn(u64, u64) -> bool| {
        records.iter().filter(|r| f(r["transaction"].as_u64().unwrap(), r["age"].as_u64().unwrap())).count() as u64
    };
    let diff = |name: &str| report["against"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap().clone();
    let high = diff("high-transaction");
    assert_eq!(high["status"], "both");
    assert_eq!(high["newly_flagged"], count(&|t, a| t > 8000 && a >= 30 && t <= 9000));
    assert_eq!(high["no_longer_flagged"], count(&|t, a| t > 9000 && a < 30));
    assert_eq!(high["newly_examples"].as_array().unwrap().len(), 2);
    for example in high["newly_examples"].as_array().unwrap() {
        let t = example["transaction"].as_u64().unwrap();
        assert!(t > 8000 && t <= 9000 && example["age"].as_u64().unwrap() >= 30, "{example}");
    }
    let young = diff("young");
    assert_eq!((young["status"].as_str(), young["newly_flagged"].as_u64()), (Some("new"), Some(count(&|_, a| a < 25))));
    assert_eq!(young["no_longer_flagged"], 0);
    let elderly = diff("elderly");
    assert_eq!(
        (elderly["status"].as_str(), elderly["no_longer_flagged"].as_u64()),
        (Some("old"), Some(count(&|_, a| a > 90)))
    );
    assert_eq!(elderly["newly_flagged"], 0);
    assert_eq!(rule(&report, "young")["flagged"], count(&|_, a| a < 25));
}

#[test]
fn firehose_objects_concatenated_members_and_records_without_newlines() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "spec", HIGH_9000);
    let records = records(300, 5);
    // Firehose: the records as put, no separator, in two gzip members (two deliveries joined).
    let joined = |rs: &[Json]| rs.iter().map(Json::to_string).collect::<String>().into_bytes();
    let mut object = gzip(&joined(&records[..100]));
    object.extend(gzip(&ndjson(&records[100..200])));
    let archive = dir.path().join("bucket");
    write(&archive.join("raw/2026/12/01/10/fh-1-2026-12-01-10-05-00-0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff.gz"), &object);
    // An object that is not compressed, an hour later.
    write(
        &archive.join("raw/2026/12/01/11/fh-1-2026-12-01-11-00-00-1b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff"),
        &joined(&records[200..]),
    );

    let over = |rs: &[Json]| rs.iter().filter(|r| r["transaction"].as_u64().unwrap() > 9000).count() as u64;
    let report = replay_json(&[spec.to_str().unwrap(), "--archive", archive.to_str().unwrap()]);
    assert_eq!((report["objects"].as_u64(), report["records"].as_u64()), (Some(2), Some(300)));
    assert_eq!(report["decided"], 300);
    assert_eq!(report["flagged"], over(&records));
    assert_eq!(report["dead_letters"]["count"], 0);

    // --from/--to select objects by the time in their name.
    let late = replay_json(&[
        spec.to_str().unwrap(),
        "--archive",
        archive.to_str().unwrap(),
        "--from",
        "2026-12-01T10:30:00Z",
    ]);
    assert_eq!((late["objects"].as_u64(), late["objects_skipped"].as_u64()), (Some(1), Some(1)));
    assert_eq!(late["flagged"], over(&records[200..]));
    let early =
        replay_json(&[spec.to_str().unwrap(), "--archive", archive.to_str().unwrap(), "--to", "2026-12-01T11:00:00"]);
    assert_eq!(early["flagged"], over(&records[..200]));
}

#[test]
fn bad_objects_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "spec", HIGH_9000);
    let records = records(40, 3);
    let archive = dir.path().join("archive");
    // A non-JSON line and a record of the wrong shape among good ones: dead letters.
    let mut text = ndjson(&records[..20]);
    text.extend(b"this is not json\n[1,2]\n");
    text.extend(ndjson(&records[20..]));
    write(&archive.join("raw/2026/12/01/10/events-000000000000-2026-12-01-10-00-00.gz"), &gzip(&text));
    let report = replay_json(&[spec.to_str().unwrap(), "--archive", archive.to_str().unwrap()]);
    assert_eq!((report["decided"].as_u64(), report["dead_letters"]["count"].as_u64()), (Some(40), Some(2)));
    let reasons: Vec<&str> =
        report["dead_letters"]["examples"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].starts_with("not JSON"), "{reasons:?}");
    assert_eq!(reasons[1], "not a JSON object");

    // A corrupt gzip object: the replay goes on with the next object, reports it, exits 2.
    let mut corrupt = gzip(&ndjson(&records));
    let middle = corrupt.len() / 2;
    corrupt[middle..].iter_mut().for_each(|b| *b = !*b);
    write(&archive.join("raw/2026/12/01/11/events-000000000040-2026-12-01-11-00-00.gz"), &corrupt);
    let out = Test::new()
        .args(["replay"])
        .arg_path(&spec)
        .args(["--archive"])
        .arg_path(&archive)
        .status(2)
        .stderr_has("1 object(s) could not be read to the end")
        .stdout_has("unreadable object raw/2026/12/01/11/events-000000000040-2026-12-01-11-00-00.gz")
        .run();
    assert!(out.stdout.contains("high-transaction"), "{}", out.stdout);

    // A missing archive: a clear error, exit 2.
    Test::new()
        .args(["replay"])
        .arg_path(&spec)
        .args(["--archive"])
        .arg_path(&dir.path().join("nowhere"))
        .status(2)
        .stderr_has("cannot list the archive")
        .run();
}

#[cfg(feature = "aws")]
#[test]
fn s3_archive_on_moto_gives_the_same_report_as_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "spec", HIGH_9000);
    let records = records(500, 9);
    let archive = dir.path().join("archive");
    let keys = [
        "raw/2026/12/01/10/events-000000000000-2026-12-01-10-00-00.gz",
        "raw/2026/12/01/10/events-000000000250-2026-12-01-10-01-00.gz",
    ];
    write(&archive.join(keys[0]), &gzip(&ndjson(&records[..250])));
    let mut second = gzip(&ndjson(&records[250..400]));
    second.extend(gzip(&ndjson(&records[400..])));
    write(&archive.join(keys[1]), &second);

    let moto = tools::MotoServer::start();
    let script = format!(
        "import boto3\ns3 = boto3.client('s3', endpoint_url={:?}, region_name='us-east-1', aws_access_key_id='testing', \
         aws_secret_access_key='testing')\ns3.create_bucket(Bucket='archive')\nfor k in {keys:?}:\n    \
         s3.upload_file({:?} + '/' + k, 'archive', k)\n",
        moto.endpoint(),
        archive.to_str().unwrap()
    );
    let out = std::process::Command::new(tools::python()).arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "{}", tools::describe(&out));

    let local = replay_json(&[spec.to_str().unwrap(), "--archive", archive.to_str().unwrap()]);
    let s3 = Test::new()
        .args(["replay"])
        .arg_path(&spec)
        .args(["--archive", "s3://archive/raw/", "--format", "json", "--endpoint-url", &moto.endpoint()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/pipec-test/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pipec-test/credentials")
        .timeout(Duration::from_mins(2))
        .status(0)
        .run();
    let s3: Json = serde_json::from_str(&s3.stdout).unwrap();
    assert_eq!(s3["archive"], "s3://archive/raw/");
    for field in ["objects", "records", "decided", "flagged", "bytes"] {
        assert_eq!(s3[field], local[field], "{field}");
    }
    assert_eq!(s3["records"], 500);
    let examples =
        |r: &Json| r["rules"][0]["examples"].as_array().unwrap().iter().cloned().map(without_now).collect::<Vec<_>>();
    assert_eq!(examples(&s3), examples(&local));
}

/// A flink spec is replayed in event time, as `pipec run --local` decides it: the archived
/// card-velocity payments flag card c-7731's window, and the late payment is a dead letter.
#[test]
fn a_flink_spec_is_replayed_in_event_time() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let payments = std::fs::read(root.join("examples/data/card-velocity.ndjson")).unwrap();
    let archive = dir.path().join("bucket");
    write(
        &archive.join("raw/2026/11/26/12/fh-1-2026-11-26-12-15-00-0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff.gz"),
        &gzip(&payments),
    );
    let spec = root.join("examples/card-velocity.yaml");
    let report = replay_json(&[spec.to_str().unwrap(), "--archive", archive.to_str().unwrap()]);
    assert_eq!(report["decided"], 11);
    let velocity = rule(&report, "card-velocity");
    assert_eq!(velocity["flagged"], 1, "{velocity}");
    assert_eq!(velocity["examples"][0]["group"], json!({ "cardId": "c-7731" }), "{velocity}");
    assert_eq!(rule(&report, "large-payment")["flagged"], 1);
    assert_eq!(report["dead_letters"]["count"], 1, "{report}");
    let reason = report["dead_letters"]["examples"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("late for rule `card-velocity`: window ending 2026-11-26T12:10:00.000Z"), "{reason}");
}
