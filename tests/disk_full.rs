//! Disk full without loss, through the real binary on a real small filesystem: the data dir is
//! on an 8 MiB tmpfs this test mounts (it needs root, as `mount` does), filled up while records
//! arrive over HTTP. Every record acknowledged with 200 must be archived exactly once and
//! stored when flagged; every refused one (503) must be nowhere; the run must say it is paused
//! on `/healthz` and `/metrics`, resume by itself once space is freed, and stop cleanly on
//! SIGTERM. Bounded: at most 1,500 batches before and 600 after the space returns.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::temp_dir;

#[path = "support/archive.rs"]
mod archive;
mod common;
#[path = "support/mbox.rs"]
mod mbox;

const BIN: &str = env!("CARGO_BIN_EXE_pipec");
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/transactions.yaml");

/// The tmpfs and the run on it: killed and unmounted on every path out of the test.
struct Mounted {
    mnt: PathBuf,
    child: Option<Child>,
}

impl Mounted {
    fn new(mnt: PathBuf) -> Self {
        std::fs::create_dir_all(&mnt).unwrap();
        let out = Command::new("mount").args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"]).arg(&mnt).output();
        match out {
            Ok(o) if o.status.success() => Self { mnt, child: None },
            Ok(o) => panic!(
                "cannot mount a tmpfs for the disk-full test (it needs root: run the tests as root or in a \
                 container with CAP_SYS_ADMIN): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!("cannot run `mount` for the disk-full test (install util-linux's mount): {e}"),
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
    }
}

fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let (status, _, body) = request(addr, method, path, "", body);
    (status, body)
}

/// One request with extra header lines (`"Name: value\r\n"` each): status, head, body.
fn request(addr: &str, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_owned(), body.to_owned())
}

/// Sends `lines` as one Kinesis `PutRecords` call: `true` when acknowledged; a refusal must be
/// `InternalFailure` (HTTP 500, which the SDKs retry) with `Retry-After`.
fn put_records(addr: &str, lines: &[String]) -> bool {
    use base64::Engine as _;
    let records: Vec<Value> = lines
        .iter()
        .map(
            |l| serde_json::json!({ "Data": base64::engine::general_purpose::STANDARD.encode(l), "PartitionKey": "k" }),
        )
        .collect();
    let body = serde_json::json!({ "StreamName": "transactions", "Records": records }).to_string();
    let headers = "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\n\
                   X-Amz-Date: 20261202T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 \
                   Credential=k/20261202/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0\r\n";
    let (status, head, body) = request(addr, "POST", "/", headers, body.as_bytes());
    match status {
        200 => {
            let reply: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(reply["FailedRecordCount"], 0, "{body}");
            true
        }
        500 => {
            assert!(body.contains("InternalFailure"), "{body}");
            assert!(
                head.to_ascii_lowercase().contains("\r\nretry-after: 1"),
                "a paused run says when to retry: {head}"
            );
            false
        }
        other => panic!("PutRecords answered {other}: {head}\n{body}"),
    }
}

/// `n` distinct events starting at `from`; about every tenth is over 9000.
fn batch(from: usize, n: usize) -> Vec<String> {
    (from..from + n)
        .map(|i| {
            let amount = if i % 10 == 3 { 9500 + i % 400 } else { 1000 + i % 7000 };
            format!(
                r#"{{"transactionId":"disk-{i:08}","name":"Jane Doe","age":42,"address":"{i} Oak Street, Springfield, IL 62704","city":"Springfield","state":"Illinois","transaction":{amount},"bankId":"DEUTDEFFXXX","createdAt":"2026-11-03T12:00:{:02}.{:03}Z"}}"#,
                i / 1000 % 60,
                i % 1000
            )
        })
        .collect()
}

/// Posts one batch: `true` when acknowledged (200, every record accepted), `false` when refused
/// with 503; anything else fails the test.
fn post(addr: &str, lines: &[String]) -> bool {
    let (status, body) = http(addr, "POST", "/records", lines.join("\n").as_bytes());
    match status {
        200 => {
            let reply: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(reply["accepted"], lines.len(), "{body}");
            true
        }
        503 => false,
        other => panic!("POST /records answered {other}: {body}"),
    }
}

fn stored_ids(data: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(data.join("store.sqlite")).unwrap();
    let mut stmt = db.prepare(r#"SELECT "transactionId" FROM "transactions-flagged""#).unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_full_disk_refuses_records_pauses_and_resumes_without_losing_an_acknowledged_one() {
    // Dropped after `fs` (declared before it): unmounted first, then removed.
    let scratch = temp_dir("diskfull");
    let root = scratch.path();
    let mut fs = Mounted::new(root.join("mnt"));
    let (mnt, data) = (fs.mnt.clone(), fs.mnt.join("data"));
    // A small archive buffer, so objects are cut (and written) while the disk fills.
    let spec = root.join("spec.yaml");
    std::fs::write(&spec, std::fs::read_to_string(SPEC).unwrap().replace("size: 64MiB", "size: 1MiB")).unwrap();
    let filler = mnt.join("filler");
    std::fs::write(&filler, vec![7u8; 5 << 20]).unwrap();

    let mut child = Command::new(BIN)
        .args(["run", "--local"])
        .arg(&spec)
        .arg("--data-dir")
        .arg(&data)
        .args(["--listen", "127.0.0.1:0", "--http-only", "--quiet", "--fsync", "50ms"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, stderr) = mpsc::channel();
    let pipe = child.stderr.take().unwrap();
    fs.child = Some(child);
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        let line = stderr.recv_timeout(Duration::from_secs(30)).expect("the run prints its URL");
        log.push(line.clone());
        if let Some(url) = line.trim().strip_prefix("viewer").map(str::trim) {
            let url = url.split_whitespace().next().unwrap();
            break url.trim_start_matches("http://").trim_end_matches('/').to_owned();
        }
    };

    // Fill the disk: post until several batches in a row are refused.
    let (mut acked, mut refused) = (Vec::new(), Vec::new());
    let mut next = 0;
    let mut refused_in_a_row = 0;
    for _ in 0..1500 {
        let lines = batch(next, 40);
        next += 40;
        if post(&addr, &lines) {
            acked.extend(lines);
            refused_in_a_row = 0;
        } else {
            refused.extend(lines);
            refused_in_a_row += 1;
            if refused_in_a_row == 5 {
                break;
            }
        }
    }
    assert_eq!(refused_in_a_row, 5, "the 8 MiB disk never filled ({} records acknowledged)", acked.len());
    let (status, health) = http(&addr, "GET", "/healthz", b"");
    assert_eq!(status, 503, "{health}");
    assert!(health.contains("cannot write") && health.contains("retrying"), "{health}");
    let (_, metrics) = http(&addr, "GET", "/metrics", b"");
    let paused = metrics.lines().find_map(|l| l.strip_prefix("pipec_paused_parts ")).unwrap_or("0");
    assert!(paused.parse::<u64>().unwrap() >= 1, "{metrics}");
    // The Kinesis endpoint refuses too, and says when to retry.
    let mut kinesis_refused = false;
    for _ in 0..5 {
        let lines = batch(next, 40);
        next += 40;
        if put_records(&addr, &lines) {
            acked.extend(lines);
        } else {
            refused.extend(lines);
            kinesis_refused = true;
            break;
        }
    }
    assert!(kinesis_refused, "PutRecords was acknowledged five times while /healthz said paused");

    // Space returns: the run resumes by itself and takes records again.
    std::fs::remove_file(&filler).unwrap();
    let mut acked_after = 0;
    for _ in 0..600 {
        let lines = batch(next, 40);
        next += 40;
        if post(&addr, &lines) {
            acked.extend(lines);
            acked_after += 1;
            if acked_after == 20 {
                break;
            }
        } else {
            refused.extend(lines);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert_eq!(acked_after, 20, "no resume after the space returned");
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(&addr, "GET", "/healthz", b"").0 != 200 {
        assert!(Instant::now() < deadline, "/healthz still not 200 30 s after the space returned");
        std::thread::sleep(Duration::from_millis(100));
    }

    let child = fs.child.as_mut().unwrap();
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_mins(1);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "pipec did not stop within 60 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(100));
    log.extend(stderr.try_iter());
    let log = log.join("\n");
    assert!(status.success(), "{log}");
    assert!(log.contains("pipec: paused") && log.contains("pipec: resumed"), "the console says it: {log}");

    // Every acknowledged record exactly once; no refused one anywhere.
    let got = archive::lines(&data);
    let got_set: BTreeSet<&String> = got.iter().collect();
    assert_eq!(got.len(), got_set.len(), "a record archived twice");
    let acked_set: BTreeSet<&String> = acked.iter().collect();
    let lost: Vec<_> = acked_set.difference(&got_set).take(3).collect();
    assert!(lost.is_empty(), "{} acknowledged records lost, e.g. {lost:?}", acked_set.len() - got_set.len());
    assert_eq!(got_set, acked_set, "refused records must not be in the archive");
    let stored: BTreeSet<String> = stored_ids(&data).into_iter().collect();
    let expected: BTreeSet<String> = acked
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["transaction"].as_i64().unwrap() > 9000)
        .map(|v| v["transactionId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stored, expected);
    // The outbox filled up too: every message in it is whole (a torn write was cut back before
    // the retry), and every stored row was notified.
    let mailed: BTreeSet<String> = mbox::read(&data, "high-transactions")
        .into_iter()
        .map(|m| m.body["record"]["transactionId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(mailed, stored, "every stored row is in the outbox, once the space returned");
    assert!(refused.len() >= 200 && acked.len() > 2000, "{} acknowledged, {} refused", acked.len(), refused.len());
}
