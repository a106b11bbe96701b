//! `pipec deploy / diff / destroy / status` through the real binary against a moto server on
//! 127.0.0.1 (started per test, stopped by PID on drop). Every child process runs under a time
//! limit. moto skips Firehose, SNS subscriptions, bucket policies, log streams and function
//! URLs, and reports no stack Outputs after a change set (its output map is built when the stack
//! is created, empty, and not refreshed); those are gaps of moto, so no test asserts them.
#![cfg(feature = "aws")]

mod common;
#[path = "support/maven_repository.rs"]
mod maven_repository;
#[path = "support/tools.rs"]
mod tools;

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::temp_dir;
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
    boto3_output(moto, script);
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
    assert!(stdout.contains("33 to add, 0 to modify, 0 to remove"), "{stdout}");
    assert!(stdout.contains("stack tx: CREATE_COMPLETE") && stdout.contains("outputs:"), "{stdout}");
    assert!(stderr.contains("uploaded s3://pipec-artifacts/pipec/transactions/hot-"), "{stderr}");
    assert!(stderr.contains("waiting for stack tx to finish its creation (timeout 1m)"), "{stderr}");

    let out = pipec(&["status", "--stack", "tx"], &url, LIMIT);
    assert_exit(&out, 0);
    assert!(text(&out).0.starts_with("stack tx: CREATE_COMPLETE\n"), "{}", describe(&out));

    let out = pipec(&["diff", spec, "--stack", "tx", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 0);
    assert_eq!(text(&out).0, "stack tx: no changes\n", "{}", describe(&out));

    let scratch = temp_dir("deploy");
    let dir = scratch.path();
    let changed = variant(dir, "retention: 24h", "retention: 48h");
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
    assert!(stdout.contains("33 to add"), "the diff comes before the question:\n{stdout}");
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
    let scratch = temp_dir("deploy-large");
    let dir = scratch.path();
    let spec = variant(dir, "  store:\n", &format!("{rules}  store:\n"));
    let spec = spec.to_str().unwrap();

    let out = pipec(&["deploy", spec, "--stack", "big", "--yes", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stderr.contains("uploaded s3://pipec-artifacts/pipec/transactions/templates/"), "{stderr}");
    assert!(stdout.contains("stack big: CREATE_COMPLETE"), "{stdout}");
    let out = pipec(&["diff", spec, "--stack", "big", "--artifact-bucket", BUCKET], &url, LIMIT);
    assert_exit(&out, 0);
    assert_eq!(text(&out).0, "stack big: no changes\n", "{}", describe(&out));
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

/// Runs boto3 (from the pinned tools venv) against the moto server; `kw` holds the client
/// arguments. Returns what the script prints.
fn boto3_output(moto: &MotoServer, script: &str) -> String {
    let prelude = format!(
        "import boto3, json\nkw = dict(endpoint_url={:?}, region_name='us-east-1', aws_access_key_id='testing', \
         aws_secret_access_key='testing')\n",
        moto.endpoint()
    );
    let out = run(Command::new(tools::python()).arg("-c").arg(prelude + script), LIMIT);
    assert!(out.status.success(), "boto3 script failed:\n{}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn without_a_bucket_flag_deploy_makes_the_assets_stack_and_diff_reuses_it() {
    let moto = MotoServer::start();
    let url = moto.endpoint();
    let spec = reference();
    let spec = spec.to_str().unwrap();

    let out = pipec(&["deploy", spec, "--stack", "tx", "--yes", "--timeout", "60s"], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stderr.contains("creating the pipec assets bucket (stack pipec-assets"), "{stderr}");
    let bucket = stderr
        .split("created the pipec assets bucket ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the new bucket is not named:\n{stderr}"))
        .to_string();
    assert!(stderr.contains(&format!("uploaded s3://{bucket}/pipec/transactions/hot-")), "{stderr}");
    assert!(stdout.contains("stack tx: CREATE_COMPLETE"), "{stdout}");
    // The assets stack came first and holds the code (moto ignores the bucket's settings; the
    // template's unit test, cfn-lint and checkov cover them), and the stack names its bucket.
    let facts = boto3_output(
        &moto,
        &format!(
            "s3 = boto3.client('s3', **kw)\ncfn = boto3.client('cloudformation', **kw)\n\
             p = cfn.describe_stacks(StackName='tx')['Stacks'][0]['Parameters']\n\
             print(json.dumps({{'status': cfn.describe_stacks(StackName='pipec-assets')['Stacks'][0]['StackStatus'],\n\
             'objects': [o['Key'] for o in s3.list_objects_v2(Bucket={bucket:?}).get('Contents', [])],\n\
             'param': [x['ParameterValue'] for x in p if x['ParameterKey'] == 'ArtifactBucket']}}))"
        ),
    );
    let facts: serde_json::Value = serde_json::from_str(&facts).unwrap();
    assert_eq!(facts["status"], "CREATE_COMPLETE", "{facts}");
    let objects = facts["objects"].as_array().unwrap();
    assert!(objects.iter().any(|k| k.as_str().unwrap().starts_with("pipec/transactions/hot-")), "{facts}");
    assert_eq!(facts["param"], serde_json::json!([bucket]), "{facts}");

    // No flags: the stack's own ArtifactBucket is reused, nothing is uploaded, nothing changes.
    let out = pipec(&["diff", spec, "--stack", "tx"], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert_eq!(stdout, "stack tx: no changes\n", "{}", describe(&out));
    assert!(!stderr.contains("uploaded") && !stderr.contains("assets bucket"), "{stderr}");

    // A second pipeline in the same account and region reuses the assets bucket.
    let scratch = temp_dir("deploy-second");
    let dir = scratch.path();
    let second = variant(dir, "name: transactions\n", "name: payments\n");
    let out = pipec(&["deploy", second.to_str().unwrap(), "--stack", "tx2", "--yes", "--timeout", "60s"], &url, LIMIT);
    assert_exit(&out, 0);
    let (_, stderr) = text(&out);
    assert!(stderr.contains(&format!("using the pipec assets bucket {bucket} (stack pipec-assets)")), "{stderr}");
    assert!(!stderr.contains("creating the pipec assets bucket"), "{stderr}");

    let out = pipec(&["destroy", "--stack", "tx", "--yes", "--timeout", "60s"], &url, LIMIT);
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("stack tx deleted"), "{}", describe(&out));
}

#[test]
fn status_shows_the_alarm_states() {
    let moto = MotoServer::start();
    let url = moto.endpoint();
    let spec = reference();
    let out = pipec(&["deploy", spec.to_str().unwrap(), "--stack", "tx", "--yes", "--timeout", "60s"], &url, LIMIT);
    assert_exit(&out, 0);
    // moto's CloudFormation does not provision AWS::CloudWatch::Alarm: make the alarms the
    // template names (all but one), as CloudFormation would, and fire one.
    boto3(
        &moto,
        "cfn = boto3.client('cloudformation', **kw)\ncw = boto3.client('cloudwatch', **kw)\n\
         t = cfn.get_template(StackName='tx')['TemplateBody']\nt = t if isinstance(t, dict) else json.loads(t)\n\
         names = sorted(r['Properties']['AlarmName'] for r in t['Resources'].values() if r['Type'] == 'AWS::CloudWatch::Alarm')\n\
         assert 'transactions-hot-errors' in names, names\n\
         for n in names[1:]:\n    cw.put_metric_alarm(AlarmName=n, Namespace='X', MetricName='Y', Statistic='Sum', Period=60, \
         EvaluationPeriods=1, Threshold=1.0, ComparisonOperator='GreaterThanThreshold')\n\
         cw.set_alarm_state(AlarmName='transactions-hot-errors', StateValue='ALARM', \
         StateReason='Threshold Crossed: 1 datapoint [4.0] was >= 1.0')",
    );
    let out = pipec(&["status", "--stack", "tx"], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("alarms: 1 of "), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\n  ALARM  transactions-hot-errors — Threshold Crossed: 1 datapoint [4.0] was >= 1.0\n"),
        "{stdout}"
    );
    assert!(stdout.contains("transactions-stream-iterator-age"), "{stdout}");
    assert!(stdout.contains("(1 alarm(s) of the stack unknown to CloudWatch)"), "{stdout}");
}

/// The reference spec with `retain_data: false`, built, and the emptier's source from it.
fn throwaway_spec(dir: &Path) -> (PathBuf, String) {
    let spec = variant(dir, "name: transactions\n", "name: transactions\nretain_data: false\n");
    let out_dir = dir.join("cfn");
    let out = run(
        Command::new(env!("CARGO_BIN_EXE_pipec"))
            .args(["build", spec.to_str().unwrap(), "--target", "cfn", "-o"])
            .arg(&out_dir),
        LIMIT,
    );
    assert_exit(&out, 0);
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("template.json")).unwrap()).unwrap();
    let source = template["Resources"]["ArchiveEmptierFunction"]["Properties"]["Code"]["ZipFile"]
        .as_str()
        .expect("retain_data: false adds the bucket emptier")
        .to_string();
    assert_eq!(template["Resources"]["ArchiveBucketEmptier"]["Properties"]["BucketName"]["Ref"], "ArchiveBucket");
    (spec, source)
}

/// Runs the emptier's handler with a CloudFormation event against the moto server; its answer
/// goes to `response_url`, or (when `None`) to a local server whose capture is returned.
fn run_emptier(moto: &MotoServer, source: &str, event: &serde_json::Value, response_url: Option<&str>) -> String {
    let scratch = temp_dir("emptier");
    let dir = scratch.path();
    std::fs::write(dir.join("index.py"), source).unwrap();
    let script = format!(
        "import json, os, sys, threading\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\n\
         sys.path.insert(0, {dir:?})\nevent = json.loads({event:?})\ncaught = []\n\
         class H(BaseHTTPRequestHandler):\n    def do_PUT(self):\n        n = int(self.headers['Content-Length'])\n\
         \x20       caught.append(json.loads(self.rfile.read(n)))\n        self.send_response(200)\n        self.end_headers()\n\
         \x20   def log_message(self, *a):\n        pass\n\
         server = HTTPServer(('127.0.0.1', 0), H)\nthreading.Thread(target=server.serve_forever, daemon=True).start()\n\
         event['ResponseURL'] = {url} or 'http://127.0.0.1:%d/answer' % server.server_address[1]\n\
         import index\nindex.handler(event, None)\nprint(json.dumps(caught[0] if caught else None))\n",
        dir = dir.display().to_string(),
        event = event.to_string(),
        url = response_url.map_or_else(|| "None".to_string(), |u| format!("{u:?}")),
    );
    let out = run(
        Command::new(tools::python())
            .arg("-c")
            .arg(script)
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing"),
        LIMIT,
    );
    assert!(out.status.success(), "the emptier failed:\n{}", describe(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_bucket_emptier_deletes_every_version_and_answers_cloudformation() {
    let moto = MotoServer::start();
    let scratch = temp_dir("emptier");
    let dir = scratch.path();
    let (_, source) = throwaway_spec(dir);
    boto3(
        &moto,
        "s3 = boto3.client('s3', **kw)\ns3.create_bucket(Bucket='archive')\n\
         s3.put_bucket_versioning(Bucket='archive', VersioningConfiguration={'Status': 'Enabled'})\n\
         for i in range(1050):\n    s3.put_object(Bucket='archive', Key='raw/%d' % (i % 1000), Body=b'x')\n\
         s3.delete_object(Bucket='archive', Key='raw/1')",
    );
    let event = |kind: &str, bucket: &str| {
        serde_json::json!({
            "RequestType": kind, "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
            "RequestId": "r1", "LogicalResourceId": "ArchiveBucketEmptier", "ResourceType": "Custom::EmptyBucket",
            "ResourceProperties": { "BucketName": bucket }
        })
    };
    // Create and Update leave the bucket alone.
    let answer: serde_json::Value =
        serde_json::from_str(&run_emptier(&moto, &source, &event("Create", "archive"), None)).unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let count = "s3 = boto3.client('s3', **kw)\nn = 0\n\
                 for page in s3.get_paginator('list_object_versions').paginate(Bucket='archive'):\n\
                 \x20   n += len(page.get('Versions', [])) + len(page.get('DeleteMarkers', []))\nprint(n)";
    assert_eq!(boto3_output(&moto, count), "1051");
    // Delete empties it: 1,050 versions and a delete marker, over two pages.
    let answer: serde_json::Value =
        serde_json::from_str(&run_emptier(&moto, &source, &event("Delete", "archive"), None)).unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Reason"], "deleted 1051 object version(s) from archive", "{answer}");
    assert_eq!(answer["LogicalResourceId"], "ArchiveBucketEmptier");
    assert_eq!(boto3_output(&moto, count), "0");
    // A bucket already gone is not an error (a retried delete).
    let answer: serde_json::Value =
        serde_json::from_str(&run_emptier(&moto, &source, &event("Delete", "no-such-bucket"), None)).unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
}

#[test]
fn destroy_of_a_throwaway_stack_empties_its_archive_bucket() {
    let moto = MotoServer::start();
    let url = moto.endpoint();
    let scratch = temp_dir("throwaway");
    let dir = scratch.path();
    let (spec, _) = throwaway_spec(dir);
    let spec = spec.to_str().unwrap().to_string();
    // moto's change-set execution does not wait for a custom resource (it cannot run its
    // function without Docker): the stack completes; the emptier's code is tested above.
    let out = pipec(&["deploy", &spec, "--stack", "tmp", "--yes", "--timeout", "60s"], &url, LIMIT);
    assert_exit(&out, 0);
    assert!(text(&out).0.contains("stack tmp: CREATE_COMPLETE"), "{}", describe(&out));
    let bucket = boto3_output(
        &moto,
        "r = boto3.client('cloudformation', **kw).list_stack_resources(StackName='tmp')['StackResourceSummaries']\n\
         print(next(x['PhysicalResourceId'] for x in r if x.get('LogicalResourceId') == 'ArchiveBucket'))",
    );
    boto3(
        &moto,
        &format!(
            "s3 = boto3.client('s3', **kw)\n\
             s3.put_bucket_versioning(Bucket={bucket:?}, VersioningConfiguration={{'Status': 'Enabled'}})\nfor i in range(3):\n    s3.put_object(Bucket={bucket:?}, Key='raw/2026/12/02/01/a', Body=b'x')"
        ),
    );
    let out = pipec(&["destroy", "--stack", "tmp", "--yes", "--timeout", "60s"], &url, LIMIT);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(
        stdout.contains(&format!("empty ArchiveBucket (AWS::S3::Bucket) {bucket}: 3 object version(s)")),
        "{stdout}"
    );
    assert!(stderr.contains(&format!("emptied bucket {bucket} (3 object version(s))")), "{stderr}");
    assert!(stdout.contains("stack tmp deleted"), "{stdout}");
    let gone =
        boto3_output(&moto, "print(sorted(b['Name'] for b in boto3.client('s3', **kw).list_buckets()['Buckets']))");
    assert!(!gone.contains(&bucket), "the archive bucket {bucket} is still there: {gone}");
}

/// A child process killed (by PID) when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` and returns it with the first line of its stdout (read within 30 s).
fn start_with_first_line(cmd: &mut Command) -> (Running, String) {
    use std::io::BufRead as _;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(30)).expect("no first line within 30 s");
    (running, line.trim().to_string())
}

/// One HTTP/1.1 request over a fresh connection: (status, headers, body).
fn http(addr: &str, request: &str) -> (u16, String, String) {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request.as_bytes()).expect("send");
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

#[test]
fn view_signs_requests_that_botocore_verifies() {
    const KEY: &str = "AKIDPIPECVIEWTEST";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let verifier_script = tools::repo_root().join("tests/python/sigv4_verifier.py");
    let (_verifier, port) = start_with_first_line(Command::new(tools::python()).arg(&verifier_script).args([
        KEY,
        SECRET,
        "eu-west-1",
        "lambda",
    ]));
    let upstream = format!("127.0.0.1:{port}");
    // The verifier refuses what is not signed, so a pass below means something.
    let (status, _, body) =
        http(&upstream, &format!("GET / HTTP/1.1\r\nHost: {upstream}\r\nConnection: close\r\n\r\n"));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("no SigV4 Authorization header"), "{body}");

    let (_view, link) = start_with_first_line(
        Command::new(env!("CARGO_BIN_EXE_pipec"))
            .args(["view", "--url", &format!("http://{upstream}/"), "--region", "eu-west-1"])
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/pipec-test/config")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pipec-test/credentials")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL"),
    );
    let rest = link.strip_prefix("http://").unwrap_or_else(|| panic!("not a URL: {link}"));
    let (proxy, path) = rest.split_once('/').unwrap();
    assert!(proxy.starts_with("127.0.0.1:"), "{link}");
    let token = path.split("pipec_token=").nth(1).expect("the URL carries a token");
    assert_eq!(token.len(), 32, "{link}");

    // The printed URL trades its token for a cookie and redirects to the page without it.
    let (status, head, _) = http(proxy, &format!("GET /{path} HTTP/1.1\r\nHost: {proxy}\r\nConnection: close\r\n\r\n"));
    assert_eq!(status, 303, "{head}");
    assert!(head.to_lowercase().contains("location: /\r\n"), "{head}");
    assert!(head.contains(&format!("pipec_view={token}; HttpOnly; SameSite=Strict")), "{head}");
    let cookie = format!("Cookie: pipec_view={token}\r\n");

    let (status, _, body) = http(
        proxy,
        &format!(
            "GET /records?format=json&b=2&a=1 HTTP/1.1\r\nHost: {proxy}\r\n{cookie}Accept: text/html\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 200, "{body}");
    let echo: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echo["verified"], true, "{echo}");
    assert_eq!(echo["path"], "/records?format=json&b=2&a=1", "{echo}");

    let payload = r#"{"transactionId":"t-1","transaction":9500}"#;
    let (status, _, body) = http(
        proxy,
        &format!(
            "POST /ingest HTTP/1.1\r\nHost: {proxy}\r\n{cookie}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            payload.len()
        ),
    );
    assert_eq!(status, 200, "{body}");
    let echo: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((echo["verified"].clone(), echo["body"].clone()), (serde_json::json!(true), serde_json::json!(payload)));

    // Without the cookie, or addressed to another host (DNS rebinding), nothing is forwarded.
    let (status, _, body) = http(proxy, &format!("GET / HTTP/1.1\r\nHost: {proxy}\r\nConnection: close\r\n\r\n"));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("open the URL that `pipec view` printed"), "{body}");
    let (status, _, _) =
        http(proxy, &format!("GET / HTTP/1.1\r\nHost: evil.example:80\r\n{cookie}Connection: close\r\n\r\n"));
    assert_eq!(status, 403);
}

#[test]
fn the_assets_template_is_cfn_lint_and_checkov_clean() {
    let scratch = temp_dir("assets-template");
    let dir = scratch.path();
    let path = dir.join("assets.json");
    std::fs::write(&path, serde_json::to_string_pretty(&pipec::deploy::assets_template()).unwrap()).unwrap();
    tools::assert_cfn_lint_clean(&[&path]);
    tools::assert_checkov_cfn_clean(&[&path]);
}

/// `pipec ARGS` as [`pipec`] does, with the Maven repository and jar cache given.
fn pipec_maven(args: &[&str], repository: &str, cache: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pipec"));
    cmd.args(args)
        .env("PIPEC_MAVEN_REPOSITORY", repository)
        .env("PIPEC_MAVEN_CACHE", cache)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", closed_port_endpoint())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/pipec-test/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pipec-test/credentials")
        .env("NO_COLOR", "1");
    run(&mut cmd, LIMIT)
}

#[test]
fn flink_connector_jars_are_pinned_by_pipec_lock_and_checked_by_deploy() {
    use sha2::Digest as _;
    let dir = temp_dir("flink-lock");
    let spec = dir.path().join("card-velocity.yaml");
    std::fs::copy(tools::repo_root().join("examples/card-velocity.yaml"), &spec).unwrap();
    let spec = spec.to_str().unwrap();
    let cache = dir.path().join("maven-cache");
    let lock = dir.path().join("pipec.lock");
    let jar = "flink-sql-connector-aws-kinesis-streams-6.0.0-2.0.jar";
    let hex = |bytes: &[u8]| {
        sha2::Sha512::digest(bytes).iter().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
    };

    // No pin in pipec and no lock: deploy refuses before any call to AWS, naming the command.
    let out = pipec_maven(&["deploy", spec, "--stack", "cv", "--yes"], "http://127.0.0.1:9/unused", &cache);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains(&format!("run `pipec lock {spec}`")), "{}", describe(&out));

    // `pipec lock` checks the jar against the published .sha512 and writes the lock.
    let bytes = b"PK the connector jar as the fake repository serves it".to_vec();
    let files =
        vec![(jar.to_owned(), bytes.clone()), (format!("{jar}.sha512"), format!("{}\n", hex(&bytes)).into_bytes())];
    let (repository, server) = maven_repository::serve(files, 2);
    let out = pipec_maven(&["lock", spec], &repository, &cache);
    server.join().unwrap();
    assert_exit(&out, 0);
    assert!(text(&out).0.contains(&format!("wrote {}", lock.display())), "{}", describe(&out));
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_eq!(written["jars"][0]["sha512"], hex(&bytes));
    assert_eq!(written["jars"][0]["verified_with"], "sha512");

    // Deploy takes the jar (from the cache `pipec lock` filled) and goes on to AWS, where the
    // closed endpoint stops it: the jar was not the problem.
    let out = pipec_maven(&["deploy", spec, "--stack", "cv", "--yes"], "http://127.0.0.1:9/unused", &cache);
    assert_exit(&out, 1);
    let stderr = text(&out).1;
    assert!(stderr.contains("cannot reach") && !stderr.contains("connector jar"), "{stderr}");

    // A tampered jar (in the cache and on the repository) is refused, naming both checksums.
    let cached = std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(cached, 1, "the jar is cached under its group's folder");
    let tampered = b"PK tampered".to_vec();
    let path = cache.join("org/apache/flink/flink-sql-connector-aws-kinesis-streams/6.0.0-2.0").join(jar);
    std::fs::write(&path, &tampered).unwrap();
    let (repository, server) = maven_repository::serve(vec![(jar.to_owned(), tampered.clone())], 1);
    let out = pipec_maven(&["deploy", spec, "--stack", "cv", "--yes"], &repository, &cache);
    server.join().unwrap();
    assert_exit(&out, 1);
    let stderr = text(&out).1;
    assert!(
        stderr.contains(&hex(&tampered)) && stderr.contains(&format!("not the pinned {}", hex(&bytes))),
        "{stderr}"
    );

    // A spec on the lambda engine has nothing to pin.
    let out = pipec_maven(&["lock", reference().to_str().unwrap()], "http://127.0.0.1:9/unused", &cache);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("no connector jars to pin"), "{}", describe(&out));
}
