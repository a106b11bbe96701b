//! The seed's own producer against `pipec run --local --http-only` and the unchanged
//! `examples/transactions.yaml`: records shaped exactly as the seed writes them (boto3
//! `put_record`, one JSON record per call, uuid4 ids, `createdAt = str(datetime.now())` —
//! space, microseconds, no zone), and the same records as NDJSON on `POST /records`. Every
//! transaction over 9000 must end as a stored row holding the text it was sent with.

#[path = "support/tools.rs"]
mod tools;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pipec");
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/transactions.yaml");

/// The seed producer's record (faker's fields replaced by fixed lists: only their shape
/// matters), sent with boto3 as the seed sends it, then the same shape as NDJSON.
const PRODUCER: &str = r#"
import datetime, json, random, sys, urllib.request, uuid
import boto3

endpoint, out = sys.argv[1], sys.argv[2]
kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="dummy", aws_secret_access_key="dummy")
rng = random.Random(26)

def record():
    return {
        "transactionId": str(uuid.uuid4()),
        "name": rng.choice(["Jane Doe", "John Roe", "Ana Lima"]),
        "age": rng.randint(18, 90),
        "address": "%d Oak Street" % rng.randint(1, 999),
        "city": rng.choice(["Springfield", "Shelbyville"]),
        "state": rng.choice(["Illinois", "Oregon"]),
        "transaction": rng.randint(0, 10000),
        "bankId": rng.choice(["CHASUS33XXX", "DEUTDEFFXXX"]),
        "createdAt": str(datetime.datetime.now()),
    }

sent = []
for _ in range(300):
    r = record()
    kinesis.put_record(StreamName="transactions", Data=json.dumps(r), PartitionKey="partitionKey")
    sent.append(r)
lines = [record() for _ in range(300)]
body = "".join(json.dumps(r) + "\n" for r in lines).encode()
request = urllib.request.Request(endpoint + "/records", data=body, method="POST",
                                 headers={"Content-Type": "application/x-ndjson"})
with urllib.request.urlopen(request, timeout=30) as response:
    assert response.status == 200, response.status
sent += lines
json.dump(sent, open(out, "w"))
"#;

/// `pipec run --local --http-only` on a free loopback port; stopped by PID.
struct Run {
    child: Child,
    url: String,
    log: mpsc::Receiver<String>,
}

impl Run {
    fn start(data: &Path) -> Run {
        let mut child = Command::new(BIN)
            .args(["run", "--local", SPEC, "--http-only", "--listen", "127.0.0.1:0", "--quiet", "--data-dir"])
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, log) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Owned by `run` from here on, so a failure below still stops the process (Drop).
        let mut run = Run { child, url: String::new(), log };
        let deadline = Instant::now() + Duration::from_secs(30);
        while run.url.is_empty() {
            let line = run
                .log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("pipec printed no viewer URL within 30 s");
            if let Some(url) = line.trim().strip_prefix("viewer") {
                url.split_whitespace().next().unwrap().trim_end_matches('/').clone_into(&mut run.url);
            }
        }
        run
    }

    /// SIGTERM, then a bounded wait; returns stderr.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_mins(1);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "pipec (pid {pid}) did not stop within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(100));
        self.log.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn seed_producer_records_are_flagged_by_the_unchanged_example() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = Run::start(&data);
    let script = dir.path().join("producer.py");
    std::fs::write(&script, PRODUCER).unwrap();
    let sent_file = dir.path().join("sent.json");
    let out = Command::new(tools::python()).arg(&script).arg(&run.url).arg(&sent_file).output().unwrap();
    assert!(out.status.success(), "the seed producer failed:\n{}", tools::describe(&out));
    let sent: Vec<Value> = serde_json::from_slice(&std::fs::read(&sent_file).unwrap()).unwrap();
    assert_eq!(sent.len(), 600);
    let mut expected: Vec<(String, String)> = sent
        .iter()
        .filter(|r| r["transaction"].as_i64().unwrap() > 9000)
        .map(|r| (r["transactionId"].as_str().unwrap().to_owned(), r["createdAt"].as_str().unwrap().to_owned()))
        .collect();
    expected.sort();
    assert!(expected.len() >= 20, "only {} records over 9000 were sent", expected.len());
    assert!(
        expected.iter().all(|(_, at)| at.len() == 26 && at.as_bytes()[10] == b' '),
        "records carry the seed's timestamp shape"
    );

    let db_path = data.join("store.sqlite");
    let stored = || -> Vec<(String, String)> {
        let Ok(db) = rusqlite::Connection::open(&db_path) else { return Vec::new() };
        let Ok(mut stmt) =
            db.prepare(r#"SELECT "transactionId", "createdAt" FROM "transactions-flagged" ORDER BY 1, 2"#)
        else {
            return Vec::new();
        };
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let deadline = Instant::now() + Duration::from_mins(1);
    while stored().len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let stderr = run.stop();
    assert_eq!(stored(), expected, "every seed record over 9000 is stored with its text:\n{stderr}");
}
