//! Kinesis clients nobody on this project wrote, each against `pipec run --local` (real
//! process, free port): boto3 (producer and an unmodified GetShardIterator/GetRecords
//! consumer loop), the AWS CLI (`create-stream`, `wait stream-exists`, `put-record`,
//! `put-records`, `get-shard-iterator`, `get-records`), the Node AWS SDK's default client
//! (HTTP/2), and CBOR requests built with Python's cbor2 (the Java SDK's wire format).
//!
//! Needs the pinned Python tools (`scripts/tools.sh`: boto3, awscli, cbor2) and node with
//! `tests/kinesis/node_modules` (`scripts/node-tools.sh`); `make tools` installs both.

mod common;
#[path = "support/server.rs"]
mod server;
#[path = "support/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use serde_json::{Value, json};

use common::temp_dir;
use server::{Run, SPEC, eventually, get, kinesis_dir};

fn run_script(script: &str, run: &Run, dir: &Path) -> Value {
    let out_file = dir.join("out.json");
    let out =
        Command::new(tools::python()).arg(kinesis_dir().join(script)).arg(run.url()).arg(&out_file).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("ModuleNotFoundError"),
        "{script}: a pinned Python package is missing: run scripts/tools.sh (it installs boto3, awscli, cbor2)"
    );
    assert!(out.status.success(), "{script} failed:\n{}", tools::describe(&out));
    serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap()
}

#[test]
fn boto3_producer_and_consumer_loop_read_the_local_stream() {
    let scratch = temp_dir("kinesis-boto3");
    let dir = scratch.path();
    let run = Run::start(Path::new(SPEC), &dir.join("data"));
    let result = run_script("boto3_client.py", &run, dir);
    let sent = result["sent"].as_array().unwrap();
    assert_eq!(sent.len(), 250);
    assert_eq!(result["got"], result["sent"], "the consumer loop reads every record, in order");
    assert_eq!(result["got_seqs"], result["seqs"], "with the sequence numbers the producer was given");
    let seqs: Vec<&str> = result["seqs"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(seqs.iter().all(|s| s.len() == 56 && s.starts_with("49")), "Kinesis-shaped: {}", seqs[0]);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(result["from_latest"], result["sent"], "LATEST taken before the puts sees all of them");
    assert_eq!(result["from_time"], json!([sent[0]]), "AT_TIMESTAMP");
    assert_eq!(result["after_tenth"], json!([sent[10]]), "AFTER_SEQUENCE_NUMBER");
    assert_eq!(result["create_again"], "ResourceInUseException");
    assert_eq!(result["tags"], json!([{ "Key": "team", "Value": "ops" }]));
    assert_eq!(result["encryption"], "KMS", "examples/transactions.yaml says encryption: kms");
    // The record over 9000 ends as a flagged row, alongside the consumer.
    eventually(15, "the flagged record is stored", || get(&run.addr, "/api/flagged").json()["total"] == 1);
    let rows = get(&run.addr, "/api/flagged").json();
    assert_eq!(rows["rows"][0]["item"]["transactionId"], "boto3-0007");
    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr}");
}

fn aws(run: &Run, args: &[&str]) -> Output {
    let bin: PathBuf = tools::python().with_file_name("aws");
    assert!(bin.is_file(), "{} is missing: run scripts/tools.sh (it pins awscli)", bin.display());
    Command::new(bin)
        .args(["--endpoint-url", &run.url(), "--region", "us-east-1", "--output", "json", "kinesis"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap()
}

fn aws_json(run: &Run, args: &[&str]) -> Value {
    let out = aws(run, args);
    assert!(out.status.success(), "aws kinesis {}:\n{}", args.join(" "), tools::describe(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_aws_cli_creates_waits_puts_and_gets() {
    let scratch = temp_dir("kinesis-cli");
    let dir = scratch.path();
    let run = Run::start(Path::new(SPEC), &dir.join("data"));
    let created = aws(&run, &["create-stream", "--stream-name", "transactions", "--shard-count", "1"]);
    assert!(!created.status.success());
    assert!(
        String::from_utf8_lossy(&created.stderr).contains("ResourceInUseException"),
        "{}",
        tools::describe(&created)
    );
    let waited = aws(&run, &["wait", "stream-exists", "--stream-name", "transactions"]);
    assert!(waited.status.success(), "{}", tools::describe(&waited));
    let put = aws_json(
        &run,
        &["put-record", "--stream-name", "transactions", "--partition-key", "k", "--data", "{\"cli\":1}"],
    );
    let seq = put["SequenceNumber"].as_str().unwrap().to_owned();
    let records = r#"[{"Data": "{\"cli\":2}", "PartitionKey": "k"}, {"Data": "{\"cli\":3}", "PartitionKey": "k"}]"#;
    let batch = aws_json(&run, &["put-records", "--stream-name", "transactions", "--records", records]);
    assert_eq!(batch["FailedRecordCount"], 0);
    let iterator = aws_json(
        &run,
        &[
            "get-shard-iterator",
            "--stream-name",
            "transactions",
            "--shard-id",
            "shardId-000000000000",
            "--shard-iterator-type",
            "AT_SEQUENCE_NUMBER",
            "--starting-sequence-number",
            &seq,
        ],
    );
    let records = aws_json(&run, &["get-records", "--shard-iterator", iterator["ShardIterator"].as_str().unwrap()]);
    let read: Vec<String> = records["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let bytes = base64::engine::general_purpose::STANDARD.decode(r["Data"].as_str().unwrap()).unwrap();
            String::from_utf8(bytes).unwrap()
        })
        .collect();
    assert_eq!(read, ["{\"cli\":1}", "{\"cli\":2}", "{\"cli\":3}"]);
    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr}");
}

#[test]
fn the_node_sdk_default_client_speaks_http2() {
    server::require_node_tools();
    let scratch = temp_dir("kinesis-node");
    let dir = scratch.path();
    let run = Run::start(Path::new(SPEC), &dir.join("data"));
    let out = Command::new("node").arg(kinesis_dir().join("node_client.mjs")).arg(run.url()).output().unwrap();
    assert!(out.status.success(), "the Node client failed:\n{}", tools::describe(&out));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result,
        json!({
            "status": "ACTIVE",
            "encryption": "KMS",
            "failed": 0,
            "read": ["{\"node\":0}", "{\"node\":1}", "{\"node\":2}"],
            "foreign": 403,
        })
    );
    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr}");
}

#[test]
fn cbor_requests_as_the_java_sdk_sends_them() {
    let scratch = temp_dir("kinesis-cbor");
    let dir = scratch.path();
    let run = Run::start(Path::new(SPEC), &dir.join("data"));
    let result = run_script("cbor_client.py", &run, dir);
    assert_eq!(
        result,
        json!({
            "read": ["{\"cbor\": 0}", "{\"cbor\": 1}", "{\"cbor\": 2}"],
            "data_is_bytes": true,
            "arrival_is_datetime": true,
            "created_is_datetime": true,
            "bad": [400, "SerializationException"],
        })
    );
    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr}");
}
