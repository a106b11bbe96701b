//! The CloudFormation target: snapshots of every template and handler, determinism through
//! the real binary, cfn-lint (info rules included) and checkov clean, least privilege, and the
//! faults cfn-lint does not catch.

#[path = "support/specs.rs"]
mod specs;
#[path = "support/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec::target::{self, Artifact, Target};
use serde_json::Value;

mod common;
use common::{pipeline, specs_in};

/// Every spec that must build: the examples and the valid fixtures (the flink engine's too).
fn specs() -> Vec<PathBuf> {
    specs_in(&["examples", "tests/fixtures/valid", "tests/fixtures/flink"])
}

/// Also the reference specs of the language documentation.
fn all_specs() -> Vec<PathBuf> {
    specs_in(&["examples", "tests/fixtures/valid", "tests/fixtures/flink", "specs/features"])
}

/// The fixtures' fixed environment (as in tests/diagnostics.rs).
fn build(path: &Path) -> Vec<Artifact> {
    target::emit(Target::Cfn, &pipeline(path), target::Options::default()).unwrap()
}

fn template(artifacts: &[Artifact]) -> Value {
    serde_json::from_slice(&artifacts.iter().find(|a| a.path == "template.json").unwrap().bytes).unwrap()
}

fn resources(t: &Value) -> impl Iterator<Item = (&String, &Value)> {
    t["Resources"].as_object().unwrap().iter()
}

/// The handler sources, unzipped from assets or read from ZipFile.
fn handler_sources(t: &Value, artifacts: &[Artifact]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (id, r) in resources(t).filter(|(_, r)| r["Type"] == "AWS::Lambda::Function") {
        let code = &r["Properties"]["Code"];
        let source = if let Some(inline) = code["ZipFile"].as_str() {
            inline.to_string()
        } else {
            let file = code["S3Key"].as_str().unwrap().rsplit('/').next().unwrap();
            let asset = artifacts.iter().find(|a| a.path == format!("assets/{file}")).expect("asset written");
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&asset.bytes)).unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut zip.by_name("index.py").unwrap(), &mut text).unwrap();
            text
        };
        out.push((id.clone(), source));
    }
    out
}

#[test]
fn snapshots_of_every_template_and_handler() {
    // One snapshot of the template and one per handler, named after the spec they come from.
    insta::glob!("../examples", "*.yaml", snapshot_template_and_handlers);
    insta::glob!("fixtures/valid", "*.yaml", snapshot_template_and_handlers);
    insta::glob!("fixtures/flink", "*.yaml", snapshot_template_and_handlers);
}

fn snapshot_template_and_handlers(path: &Path) {
    specs::named_by_repo_path(path, || {
        let artifacts = build(path);
        let t = template(&artifacts);
        let mut settings = insta::Settings::clone_current();
        settings.set_description(std::fs::read_to_string(path).unwrap());
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_json_snapshot!("cfn", t);
            for (id, source) in handler_sources(&t, &artifacts) {
                insta::assert_snapshot!(format!("cfn_{id}"), source);
            }
        });
    });
}

#[test]
fn build_is_deterministic_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    for path in specs() {
        let mut outputs = Vec::new();
        for round in 0..2 {
            let out = dir.path().join(format!("{}-{round}", path.file_stem().unwrap().to_string_lossy()));
            let status = Command::new(env!("CARGO_BIN_EXE_pipec"))
                .env("PRESENT", "value")
                .args(["build", "--target", "cfn", "-o"])
                .arg(&out)
                .arg(&path)
                .output()
                .unwrap();
            assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
            let mut files: Vec<(String, Vec<u8>)> = walk(&out)
                .into_iter()
                .map(|p| (p.strip_prefix(&out).unwrap().display().to_string(), std::fs::read(&p).unwrap()))
                .collect();
            files.sort();
            outputs.push(files);
        }
        assert_eq!(outputs[0], outputs[1], "{} builds to different bytes", path.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[test]
fn cfn_lint_and_checkov_are_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut templates = Vec::new();
    for path in all_specs() {
        let out = dir.path().join(path.file_stem().unwrap());
        target::write(&out, &build(&path)).unwrap();
        templates.push(out.join("template.json"));
    }
    tools::assert_cfn_lint_clean(&templates);
    tools::assert_checkov_cfn_clean(&templates);
}

/// Every checkov skip carries a reason, and only the documented ones are used.
#[test]
fn checkov_skips_are_documented() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap_or_default();
    for path in specs() {
        let t = template(&build(&path));
        for (id, r) in resources(&t) {
            for skip in r["Metadata"]["checkov"]["skip"].as_array().into_iter().flatten() {
                let check = skip["id"].as_str().unwrap();
                assert!(skip["comment"].as_str().is_some_and(|c| c.len() > 20), "{id}: skip {check} needs a reason");
                assert!(readme.contains(check), "{check} (skipped on {id}) must be listed in the README");
            }
        }
    }
}

fn statements(t: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (id, r) in resources(t).filter(|(_, r)| r["Type"] == "AWS::IAM::Role") {
        for policy in r["Properties"]["Policies"].as_array().unwrap() {
            for s in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
                out.push((id.clone(), s.clone()));
            }
        }
    }
    out
}

#[test]
fn iam_is_least_privilege() {
    for path in all_specs() {
        let t = template(&build(&path));
        let all = statements(&t);
        assert!(!all.is_empty());
        for (role, s) in all {
            assert_eq!(s["Effect"], "Allow", "{role}: only Allow statements");
            let actions: Vec<&str> = match &s["Action"] {
                Value::String(a) => vec![a.as_str()],
                Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
                other => panic!("{role}: odd Action {other}"),
            };
            for action in &actions {
                assert!(!action.contains('*'), "{role}: wildcard action {action} in {}", path.display());
                assert!(action.contains(':'), "{role}: {action} names no service");
            }
            let wildcard_resource =
                s["Resource"].as_array().is_some_and(|r| r.iter().any(|x| x == "*")) || s["Resource"] == "*";
            if wildcard_resource {
                assert!(
                    actions.iter().all(|a| a.starts_with("xray:")),
                    "{role}: `*` resource only for X-Ray (no resource-level permissions): {s}"
                );
            }
        }
    }
}

#[test]
fn reference_template_has_the_pipeline() {
    let artifacts = build(Path::new("examples/transactions.yaml"));
    let t = template(&artifacts);
    let types: Vec<&str> = resources(&t).map(|(_, r)| r["Type"].as_str().unwrap()).collect();
    for needed in [
        "AWS::Kinesis::Stream",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Url",
        "AWS::SQS::Queue",
    ] {
        assert!(types.contains(&needed), "missing {needed}");
    }
    assert!(types.iter().all(|t| !t.contains("KinesisAnalytics")), "never Kinesis Data Analytics");
    let text = serde_json::to_string(&t).unwrap();
    let sources: String = handler_sources(&t, &artifacts).into_iter().map(|(_, s)| s).collect();
    for needed in ["9000", "raw/", "GZIP", "transactionId", "createdAt"] {
        assert!(text.contains(needed) || sources.contains(needed), "template or handler must carry {needed}");
    }
    let firehose = &t["Resources"]["ArchiveDeliveryStream"]["Properties"]["ExtendedS3DestinationConfiguration"];
    assert_eq!(firehose["BufferingHints"]["SizeInMBs"], 64);
    assert_eq!(firehose["BufferingHints"]["IntervalInSeconds"], 60);
    assert_eq!(firehose["Prefix"], "raw/");
    let table = &t["Resources"]["FlaggedTable"]["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"], "transactionId");
    assert_eq!(table["KeySchema"][1]["AttributeName"], "createdAt");
    let patterns = &t["Resources"]["HotFunctionMapping"]["Properties"]["FilterCriteria"]["Filters"];
    // `transaction > 9000` on an int: AWS's matcher cannot compare ints beyond ±2^53, which the
    // rule flags, so the filter keeps every record with the field (see `expr::filter`).
    assert_eq!(patterns[0]["Pattern"], r#"{"data":{"transaction":[{"exists":true}]}}"#);
}

/// Faults cfn-lint does not report (shards with on-demand, filter and inline-code limits,
/// window lengths, …) are held here, on every template.
#[test]
fn faults_cfn_lint_misses_are_absent() {
    for path in all_specs() {
        let artifacts = build(&path);
        let t = template(&artifacts);
        for (id, r) in resources(&t) {
            let p = &r["Properties"];
            match r["Type"].as_str().unwrap() {
                "AWS::Kinesis::Stream" => {
                    if p["StreamModeDetails"]["StreamMode"] == "ON_DEMAND" {
                        assert!(p.get("ShardCount").is_none(), "{id}: ShardCount with ON_DEMAND");
                    } else {
                        assert!(p["ShardCount"].as_u64().is_some_and(|n| n >= 1), "{id}: provisioned needs shards");
                    }
                }
                "AWS::Lambda::EventSourceMapping" => {
                    assert_eq!(p["StartingPosition"], "TRIM_HORIZON", "{id}: StartingPosition");
                    let filters = p["FilterCriteria"]["Filters"].as_array().map(Vec::as_slice).unwrap_or_default();
                    assert!(filters.len() <= 5, "{id}: at most 5 filters");
                    for f in filters {
                        let pattern = f["Pattern"].as_str().unwrap();
                        assert!(pattern.chars().count() <= 4096, "{id}: pattern too long");
                        let parsed: Value =
                            serde_json::from_str(pattern).unwrap_or_else(|e| panic!("{id}: pattern is not JSON: {e}"));
                        assert!(parsed.get("data").is_some(), "{id}: Kinesis patterns match on data");
                    }
                    if let Some(window) = p.get("TumblingWindowInSeconds") {
                        assert!(window.as_u64().is_some_and(|s| (1..=900).contains(&s)));
                    }
                }
                "AWS::Lambda::Function" => {
                    if let Some(code) = p["Code"]["ZipFile"].as_str() {
                        assert!(code.chars().count() <= 4096, "{id}: ZipFile over 4,096 characters");
                    }
                    let runtime = p["Runtime"].as_str().unwrap();
                    let minor: u32 = runtime.strip_prefix("python3.").unwrap().parse().unwrap();
                    assert!(minor >= 12, "{id}: current Python runtime");
                }
                "AWS::KinesisFirehose::DeliveryStream" => {
                    assert!(
                        p.get("DeliveryStreamEncryptionConfigurationInput").is_none(),
                        "{id}: no SSE with a Kinesis source"
                    );
                    assert!(p.get("S3DestinationConfiguration").is_none(), "{id}: deprecated destination");
                    let hints = &p["ExtendedS3DestinationConfiguration"]["BufferingHints"];
                    assert!(hints["SizeInMBs"].as_u64().is_some_and(|s| (1..=128).contains(&s)));
                    assert!(hints["IntervalInSeconds"].as_u64().is_some_and(|s| s <= 900));
                }
                "AWS::SNS::Subscription" => {
                    // Webhooks are served by the fanout function (plain JSON, as locally), not SNS https.
                    assert!(["email", "lambda"].contains(&p["Protocol"].as_str().unwrap()), "{id}: SNS protocol");
                }
                _ => {}
            }
        }
        let size = artifacts.iter().find(|a| a.path == "template.json").unwrap().bytes.len();
        let manifest =
            String::from_utf8(artifacts.iter().find(|a| a.path == "MANIFEST.txt").unwrap().bytes.clone()).unwrap();
        assert_eq!(
            size > 51_200,
            manifest.contains("TemplateBody limit"),
            "the manifest tells about oversize templates"
        );
    }
}

#[test]
fn yaml_format_says_the_same() {
    let p = pipeline(Path::new("examples/transactions.yaml"));
    let json = template(&target::emit(Target::Cfn, &p, target::Options::default()).unwrap());
    let yaml = target::emit(Target::Cfn, &p, target::Options { yaml: true, ..Default::default() }).unwrap();
    let text = String::from_utf8(yaml.iter().find(|a| a.path == "template.yaml").unwrap().bytes.clone()).unwrap();
    let tree = pipec::yaml::parse(&text).expect("valid YAML");
    assert_eq!(to_json(&tree), json, "YAML and JSON templates must hold the same values");
}

/// YAML tree → JSON, typing plain scalars the way CloudFormation does.
fn to_json(node: &pipec::yaml::Node) -> Value {
    use pipec::yaml::{NodeKind, ScalarStyle};
    match &node.kind {
        NodeKind::Map(entries) => Value::Object(entries.iter().map(|e| (e.key.clone(), to_json(&e.value))).collect()),
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Scalar { value, style: ScalarStyle::Plain, .. } => {
            serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.clone()))
        }
        NodeKind::Scalar { value, .. } => Value::String(value.clone()),
    }
}
