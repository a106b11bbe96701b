//! `pipec deploy / diff / destroy / status` through the real binary against a moto server on
//! 127.0.0.1 (started per test, stopped by PID on drop). Every child process runs under a time
//! limit. moto skips Firehose, SNS subscriptions, bucket policies, log streams and function
//! URLs, and reports no stack Outputs after a change set (its output map is built when the stack
//! is created, empty, and not refreshed); those are gaps of moto, so no test asserts them.
#![cfg(feature = "aws")]

#[path = "support/tools.rs"]
mod tools;

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tools::{MotoServer, describe};

const BUCKET: &str = "pipec-artifacts";
/// Each pipec run; moto answers in milliseconds, so this only stops a hang.
const LIMIT: Duration = Duration::from_secs(90);

fn reference() -> PathBuf {
    tools::repo_root().join("examples/transactions.yaml")
}

/// `pipec ARGS` with test credentials, region and `endpoint`; no stdin (so no terminal), no
/// AWS config files, no instance metadata. Killed (by PID) and failed after `limit`.
fn pipec(args: &[&str], endpoint: &str, limit: Duration) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pipec"));
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/pipec-test/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pipec-test/credentials")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_SESSION_TOKEN");
    run(&mut cmd, limit)
}

fn run(cmd: &mut Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    if let Ok(out) = rx.recv_timeout(limit) {
        return out.expect("wait for pipec");
    }
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    panic!("{what} did not finish within {limit:?} (killed)");
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", describe(out));
    assert!(!text(out).1.contains("panicked"), "{}", describe(out));
}

/// Runs boto3 (from the pinned tools venv) against the moto server.
fn boto3(moto: &MotoServer, script: &str) {
    let prelude = format!(
        "import boto3, json\nkw = dict(endpoint_url={:?}, region_name='us-east-1', aws_access_key_id='testing', \
         aws_secret_access_key='testing')\n",
        moto.endpoint()
    );
    let out = run(Command::new(tools::python()).arg("-c").arg(prelude + script), LIMIT);
    assert!(out.status.success(), "boto3 script failed:\n{}", describe(&out));
}

fn create_bucket(moto: &MotoServer) {
    boto3(moto, &format!("boto3.client('s3', **kw).create_bucket(Bucket={BUCKET:?})"));
}

/// A copy of the reference spec with one text replaced (to change the stack).
fn variant(dir: &Path, from: &str, to: &str) -> PathBuf {
    let spec = std::fs::read_to_string(reference()).expect("read reference spec");
    assert!(spec.contains(from), "the reference spec no longer contains {from:?}");
    let path = dir.join("changed.yaml");
    std::fs::write(&path, spec.replace(from, to)).expect("write spec");
    path
}

fn closed_port_endpoint() -> String {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn deploy_update_diff_and_destroy_the_reference_stack() {
    let moto = MotoServer::start();
    let url = moto.endpoint();
    create_bucket(&moto);
    let spec = reference();
    let spec = spec.to_str().unwrap();
    let deploy = ["deploy", spec, "--stack", "tx", "--artifact-bucket", BUCKET, "--timeout", "60s"];

    let out = pipec(&[&deploy[..], &["--yes"]].concat(), &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("stack tx (new stack, change set pipec-"), "{stdout}");
    assert!(stdout.contains("+ Stream ") && stdout.contains("AWS::Kinesis::Stream"), "{stdout}");
    assert!(stdout.contains("19 to add, 0 to modify, 0 to remove"), "{stdout}");
    assert!(stdout.contains("stack tx: CREATE_COMPLETE") && stdout.contains("outputs:"), "{stdout}");
    assert!(stderr.contains("uploaded s3://pipec-artifacts/pipec/transactions/hot-"), "{stderr}");
    assert!(stderr.contains("waiting for stack tx to finish its creation (timeout 1m)"), "{stderr}");

    let out = pipec(&["status", "--stack", "tx"], &url, LIMIT);
    assert_exit(&out, 0);
    assert!(text(&out).0.starts_with("stack tx: CREATE_COMPLETE\n"), "{}", describe(&out));

    let out = pipec(&["diff", spec, "--stack", "tx", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 0);
    assert_eq!(text(&out).0, "stack tx: no changes\n", "{}", describe(&out));

    let dir = std::env::temp_dir().join(format!("pipec-deploy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let changed = variant(&dir, "retention: 24h", "retention: 48h");
    let changed = changed.to_str().unwrap();
    let out = pipec(&["diff", changed, "--stack", "tx", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("~ Stream ") && stdout.contains("modify"), "{stdout}");
    assert!(stderr.contains("deleted: nothing was changed"), "{stderr}");

    let mut redeploy = deploy.to_vec();
    redeploy[1] = changed;
    redeploy.push("--yes");
    let out = pipec(&redeploy, &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("stack tx (update, change set"), "{stdout}");
    assert!(stdout.contains("~ Stream ") && stdout.contains("to modify"), "{stdout}");
    assert!(stdout.contains("stack tx: UPDATE_COMPLETE"), "{stdout}");

    let out = pipec(&["diff", changed, "--stack", "tx", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("no changes"), "{}", describe(&out));
    let _ = std::fs::remove_dir_all(&dir);

    let out = pipec(&["destroy", "--stack", "tx", "--yes", "--timeout", "60s"], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("stack tx deleted"), "{stdout}");
    let kept = stdout.split("kept by their Retain policy").nth(1).unwrap_or_default();
    for id in
        ["Stream (AWS::Kinesis::Stream)", "FlaggedTable (AWS::DynamoDB::Table)", "ArchiveBucket (AWS::S3::Bucket)"]
    {
        assert!(kept.contains(id), "{id} not reported as kept:\n{stdout}");
    }

    let out = pipec(&["status", "--stack", "tx"], &url, LIMIT);
    assert_exit(&out, 1);
    assert!(text(&out).1.contains("stack tx does not exist in us-east-1"), "{}", describe(&out));
    let out = pipec(&["destroy", "--stack", "tx", "--yes"], &url, LIMIT);
    assert_exit(&out, 1);
}

#[test]
fn without_a_terminal_and_without_yes_nothing_is_deployed_or_destroyed() {
    let moto = MotoServer::start();
    let url = moto.endpoint();
    create_bucket(&moto);
    let spec = reference();
    let out = pipec(&["deploy", spec.to_str().unwrap(), "--stack", "tx", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 1);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("19 to add"), "the diff comes before the question:\n{stdout}");
    assert!(stderr.contains("stack tx was not changed") && stderr.contains("stdin is not a terminal"), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    let out = pipec(&["status", "--stack", "tx"], &url, LIMIT);
    assert_exit(&out, 1);
    assert!(text(&out).1.contains("does not exist"), "a stack was left behind:\n{}", describe(&out));

    // A stack made without pipec: destroy asks too, and status shows its outputs.
    boto3(
        &moto,
        "t = {'Resources': {'Q': {'Type': 'AWS::SQS::Queue', 'Properties': {'QueueName': 'q1'}}},\n\
         'Outputs': {'QueueName': {'Value': {'Fn::GetAtt': ['Q', 'QueueName']}}}}\n\
         boto3.client('cloudformation', **kw).create_stack(StackName='plain', TemplateBody=json.dumps(t))",
    );
    let out = pipec(&["destroy", "--stack", "plain"], &url, LIMIT);
    assert_exit(&out, 1);
    assert!(text(&out).1.contains("stack plain was not deleted"), "{}", describe(&out));
    let out = pipec(&["status", "--stack", "plain"], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(stdout.starts_with("stack plain: CREATE_COMPLETE\n"), "{stdout}");
    assert!(stdout.contains("outputs:\n  QueueName  q1\n"), "{stdout}");
}

#[test]
fn a_template_over_51200_bytes_goes_through_the_artifact_bucket() {
    let moto = MotoServer::start();
    let url = moto.endpoint();
    create_bucket(&moto);
    // Each windowed rule adds a function, its role, log group and mapping: twelve make the
    // template larger than CloudFormation's inline limit.
    let mut rules = String::new();
    for i in 0..12 {
        let _ = write!(rules, "    - name: burst-{i}\n      window: {{ tumbling: 1m }}\n      group_by: [bankId]\n");
        let _ = write!(rules, "      when: count(*) > {}\n      notify: [high-transactions]\n", 100 + i);
    }
    let dir = std::env::temp_dir().join(format!("pipec-deploy-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = variant(&dir, "  store:\n", &format!("{rules}  store:\n"));
    let spec = spec.to_str().unwrap();

    let out = pipec(&["deploy", spec, "--stack", "big", "--yes"], &url, LIMIT);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("--artifact-bucket BUCKET"), "{}", describe(&out));

    let out = pipec(&["deploy", spec, "--stack", "big", "--yes", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stderr.contains("uploaded s3://pipec-artifacts/pipec/transactions/templates/"), "{stderr}");
    assert!(stdout.contains("stack big: CREATE_COMPLETE"), "{stdout}");
    let out = pipec(&["diff", spec, "--stack", "big", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 0);
    assert_eq!(text(&out).0, "stack big: no changes\n", "{}", describe(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreachable_endpoint_fails_fast_and_clearly() {
    let url = closed_port_endpoint();
    let spec = reference();
    let started = Instant::now();
    let out = pipec(
        &["deploy", spec.to_str().unwrap(), "--stack", "tx", "--artifact-bucket", BUCKET, "--yes"],
        &url,
        Duration::from_secs(30),
    );
    let took = started.elapsed();
    assert_exit(&out, 1);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let (_, stderr) = text(&out);
    assert!(stderr.contains(&format!("error: cannot reach {url} to describe stack tx")), "{stderr}");
    assert!(stderr.contains("Connection refused") && stderr.contains("--endpoint-url"), "{stderr}");
}

#[test]
fn configuration_errors_exit_2_before_any_call() {
    let url = closed_port_endpoint();
    let spec = reference();
    let spec = spec.to_str().unwrap();

    let out = pipec(&["deploy", spec, "--stack", "tx", "--yes"], &url, LIMIT);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("pass --artifact-bucket BUCKET"), "{}", describe(&out));

    let out = pipec(
        &["diff", spec, "--stack", "tx", "--artifact-bucket", BUCKET, "--param", "HighTransactionsEmail=x"],
        &url,
        LIMIT,
    );
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("did you mean `HighTransactionsEmail1`?"), "{}", describe(&out));

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pipec"));
    cmd.args(["status", "--stack", "tx"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", &url)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/pipec-test/config")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE");
    let out = run(&mut cmd, LIMIT);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("no AWS region is set"), "{}", describe(&out));

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pipec"));
    cmd.args(["status", "--stack", "tx", "--region", "us-east-1"])
        .env("AWS_ENDPOINT_URL", &url)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/pipec-test/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pipec-test/credentials")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let out = run(&mut cmd, LIMIT);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("no usable AWS credentials"), "{}", describe(&out));

    let out = pipec(&["status", "--stack", "tx", "--timeout", "soon"], &url, LIMIT);
    assert_exit(&out, 2);
}
