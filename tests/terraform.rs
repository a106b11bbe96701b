//! The Terraform target (`pipec build --target terraform`), for every `examples/*.yaml` and
//! `tests/fixtures/valid/*.yaml`: snapshots of the .tf files, deterministic bytes, python-hcl2,
//! checkov (zero failed checks), `terraform fmt -check`, no wildcard IAM actions, resource
//! parity with the `CloudFormation` target, and escaping of user text.
//!
//! Specs are checked with a fixed variable table (only `PRESENT=value`), as in
//! `tests/diagnostics.rs`, so outputs do not depend on the machine. The validators come from
//! `scripts/tools.sh` (`.tools/`) and the Terraform CLI of the machine image.

#[path = "support/tools.rs"]
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pipec::frontend;
use pipec::ir::Pipeline;
use pipec::source::Source;
use pipec::target::aws::names::snake;
use pipec::target::aws::parity::{self, Resource};
use pipec::target::{self, Artifact, Options, Target};
use serde_json::Value;
use tempfile::TempDir;

mod common;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{specs_in, vars};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn lower_text(name: &str, text: &str) -> Pipeline {
    let checked = frontend::check_source(Source::new(name, text), None, &vars);
    assert!(!checked.has_errors(), "{name} has errors: {:?}", checked.diagnostics);
    pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap()
}

fn lower(path: &Path) -> Pipeline {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    lower_text(&relative(path), &text)
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

fn emit(p: &Pipeline) -> Vec<Artifact> {
    target::emit(Target::Terraform, p, Options::default()).unwrap()
}

/// Every spec that must build: examples first, then the valid fixtures (the flink engine's too).
fn specs() -> Vec<PathBuf> {
    specs_in(&["examples", "tests/fixtures/valid", "tests/fixtures/flink"])
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// A fresh scratch directory, removed when dropped.
fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("pipec-terraform-{name}-")).tempdir().unwrap()
}

/// Builds every spec into `<scratch>/<stem>/` (the scratch folder lives as long as the first
/// value).
fn build_all(name: &str) -> (TempDir, Vec<(PathBuf, Pipeline, PathBuf)>) {
    let base = scratch(name);
    let built = specs()
        .into_iter()
        .map(|spec| {
            let p = lower(&spec);
            let dir = base.path().join(stem(&spec));
            target::write(&dir, &emit(&p)).unwrap();
            (spec, p, dir)
        })
        .collect();
    (base, built)
}

fn text(artifacts: &[Artifact], path: &str) -> String {
    let a = artifacts.iter().find(|a| a.path == path).unwrap_or_else(|| panic!("no {path}"));
    String::from_utf8(a.bytes.clone()).unwrap()
}

/// The snapshot of one build: every .tf file in full, the other files by path and size.
fn snapshot_text(artifacts: &[Artifact]) -> String {
    let (tf, other): (Vec<&Artifact>, Vec<&Artifact>) =
        artifacts.iter().partition(|a| Path::new(&a.path).extension().is_some_and(|e| e == "tf"));
    let mut parts: Vec<String> =
        tf.iter().map(|a| format!("# ======== {} ========\n{}\n", a.path, String::from_utf8_lossy(&a.bytes))).collect();
    parts.extend(
        other.iter().map(|a| format!("# ======== {} ({} bytes: {}) ========\n", a.path, a.bytes.len(), a.role)),
    );
    parts.concat()
}

fn snapshot(kind: &str, path: &Path) {
    let artifacts = emit(&lower(path));
    let mut settings = insta::Settings::clone_current();
    settings.set_description(relative(path));
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(kind, snapshot_text(&artifacts)));
}

#[test]
fn example_snapshots() {
    insta::glob!("../examples", "*.yaml", |path| snapshot("example", path));
}

#[test]
fn valid_fixture_snapshots() {
    insta::glob!("fixtures/valid", "*.yaml", |path| snapshot("fixture", path));
}

#[test]
fn flink_fixture_snapshots() {
    insta::glob!("fixtures/flink", "*.yaml", |path| snapshot("flink", path));
}

#[test]
fn writes_the_four_files_and_the_handler_sources() {
    let p = lower(&root().join("examples/transactions.yaml"));
    let paths: Vec<String> = emit(&p).into_iter().map(|a| a.path).collect();
    assert_eq!(
        paths,
        [
            "versions.tf",
            "main.tf",
            "variables.tf",
            "outputs.tf",
            "lambda/transactions-hot/index.py",
            "lambda/transactions-hot/pipec_limits.py",
            "lambda/transactions-hot/pipec_runtime.py",
            "lambda/transactions-viewer/index.py"
        ]
    );
    let artifacts = emit(&p);
    assert_eq!(text(&artifacts, "lambda/transactions-hot/index.py"), target::aws::lambda::hot_source(&p).unwrap());
    assert_eq!(text(&artifacts, "lambda/transactions-hot/pipec_runtime.py"), pipec::expr::python::RUNTIME);
    assert_eq!(
        text(&artifacts, "lambda/transactions-viewer/index.py"),
        target::aws::lambda::viewer_source(&p).unwrap()
    );
    let versions = text(&artifacts, "versions.tf");
    for needle in [r#"required_version = ">= 1.5""#, r#"version = "~> 6.0""#, r#"version = "~> 2.4""#] {
        assert!(versions.contains(needle), "versions.tf lacks {needle}:\n{versions}");
    }
}

/// `pipec build` through the binary, twice per spec: the same bytes each time.
#[test]
fn builds_are_deterministic() {
    let base = scratch("deterministic");
    for spec in specs() {
        let mut outputs = Vec::new();
        for run in ["a", "b"] {
            let dir = base.path().join(format!("{}-{run}", stem(&spec)));
            let out = Command::new(env!("CARGO_BIN_EXE_pipec"))
                .args(["build", "--target", "terraform", "-o"])
                .arg(&dir)
                .arg(&spec)
                .env("PRESENT", "value")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(out.status.success(), "{}: {}", spec.display(), tools::describe(&out));
            outputs.push(read_tree(&dir));
        }
        assert!(!outputs[0].is_empty());
        assert_eq!(outputs[0], outputs[1], "{} builds differently", spec.display());
        assert_eq!(outputs[0].len(), emit(&lower(&spec)).len(), "{}", spec.display());
    }
    let _ = std::fs::remove_dir_all(base);
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn python_hcl2_parses_and_terraform_fmt_accepts_every_file() {
    let (_scratch, built) = build_all("parse");
    for (spec, _, dir) in &built {
        let parsed = tools::hcl2_parse_dir(dir);
        assert_eq!(parsed.len(), 4, "{}", spec.display());
    }
    let base = built[0].2.parent().unwrap();
    let fmt = tools::terraform_fmt_check(base);
    assert!(fmt.status.success(), "terraform fmt -check found differences:\n{}", tools::describe(&fmt));
    let _ = std::fs::remove_dir_all(base);
}

/// One checkov run over all builds (the same counts as one run per build, in a tenth of the
/// time); every resource of every build must have been scanned.
#[test]
fn checkov_passes_every_build() {
    let (_scratch, built) = build_all("checkov");
    let base = built[0].2.parent().unwrap();
    let reports = tools::checkov_tf_json(base);
    let expected: usize = built.iter().map(|(_, p, _)| parity::terraform_types(p).values().sum::<usize>()).sum();
    let scanned: u64 = reports.iter().map(|r| r["summary"]["resource_count"].as_u64().unwrap_or(0)).sum();
    assert_eq!(scanned, expected as u64, "checkov scanned {scanned} resources, the builds hold {expected}");
    tools::assert_checkov_tf_clean(base);
    let _ = std::fs::remove_dir_all(base);
}

/// `"\"text\""` (python-hcl2 keeps the quotes) → `text`.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s)
}

/// `(type, label, body)` of every `resource` (or `data`) block of a parsed file.
fn blocks<'a>(doc: &'a Value, kind: &str) -> Vec<(String, String, &'a Value)> {
    let mut out = Vec::new();
    for item in doc[kind].as_array().into_iter().flatten() {
        for (ty, labels) in item.as_object().unwrap() {
            for (label, body) in labels.as_object().unwrap() {
                out.push((unquote(ty).to_string(), unquote(label).to_string(), body));
            }
        }
    }
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().map(|s| unquote(s.as_str().unwrap()).to_string()).collect()
}

#[test]
fn no_iam_policy_allows_a_wildcard_action() {
    let (_scratch, built) = build_all("iam");
    for (spec, _, dir) in built {
        let main = tools::hcl2_parse(dir.join("main.tf"));
        let mut statements = 0;
        for (ty, label, body) in blocks(&main, "data") {
            if ty != "aws_iam_policy_document" {
                continue;
            }
            for statement in body["statement"].as_array().unwrap() {
                statements += 1;
                let actions = strings(&statement["actions"]);
                assert!(!actions.is_empty(), "{}: {label} has a statement without actions", spec.display());
                if statement.get("effect").map(|e| unquote(e.as_str().unwrap())) == Some("Deny") {
                    continue;
                }
                for action in actions {
                    assert!(!action.contains('*'), "{}: {label} allows {action}", spec.display());
                }
            }
        }
        assert!(statements > 0, "{}", spec.display());
        // Every policy attached anywhere is one of the documents checked above.
        for (ty, label, body) in blocks(&main, "resource") {
            if let Some(policy) = body.get("policy").and_then(Value::as_str) {
                assert!(
                    policy.starts_with("${data.aws_iam_policy_document.") && policy.ends_with(".json}"),
                    "{}: {ty}.{label} has an inline policy {policy}",
                    spec.display()
                );
            }
        }
    }
}

/// The Terraform resource type of a `CloudFormation` type, via the parity table.
fn terraform_of(cfn_type: &str) -> &'static str {
    Resource::ALL
        .iter()
        .map(|r| r.mapping())
        .find(|m| m.cloudformation == cfn_type)
        .unwrap_or_else(|| panic!("{cfn_type} is not in the parity table"))
        .terraform
}

/// Checks `CloudFormation` skips that checkov's Terraform scan does not fail (so Terraform
/// writes no skip): Firehose server-side encryption, invalid with a Kinesis source.
const CFN_ONLY_SKIPS: &[&str] = &["CKV_AWS_240", "CKV_AWS_241"];

/// `#checkov:skip` ids and reasons per `type.label`, read from the comment lines.
fn tf_skips(main: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut skips: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current = None;
    for line in main.lines() {
        if let Some(rest) = line.strip_prefix("resource \"") {
            let parts: Vec<&str> = rest.trim_end_matches(" {").split("\" \"").collect();
            current = Some(format!("{}.{}", parts[0], parts[1].trim_end_matches('"')));
        } else if let Some(skip) = line.trim().strip_prefix("#checkov:skip=") {
            let (id, reason) = skip.split_once(':').unwrap();
            skips.entry(current.clone().unwrap()).or_default().push((id.into(), reason.into()));
        }
    }
    skips
}

#[test]
fn resources_outputs_and_skips_match_cloudformation() {
    let (_scratch, built) = build_all("parity");
    for (spec, p, dir) in built {
        let name = spec.display();
        let main_text = std::fs::read_to_string(dir.join("main.tf")).unwrap();
        let main = tools::hcl2_parse(dir.join("main.tf"));
        let resources = blocks(&main, "resource");
        let mut types: BTreeMap<&str, usize> = BTreeMap::new();
        for (ty, _, _) in &resources {
            *types.entry(ty.as_str()).or_default() += 1;
        }
        assert_eq!(types, parity::terraform_types(&p), "{name}: resource types");

        let (template, _) = target::aws::cloudformation::template(&p).unwrap();
        let skips = tf_skips(&main_text);
        for (id, resource) in template["Resources"].as_object().unwrap() {
            if parity::CLOUDFORMATION_ONLY_IDS.contains(&id.as_str()) {
                continue;
            }
            let tf = format!("{}.{}", terraform_of(resource["Type"].as_str().unwrap()), snake(id));
            assert!(
                resources.iter().any(|(ty, label, _)| format!("{ty}.{label}") == tf),
                "{name}: CloudFormation {id} has no Terraform {tf}"
            );
            for skip in resource["Metadata"]["checkov"]["skip"].as_array().into_iter().flatten() {
                if CFN_ONLY_SKIPS.contains(&skip["id"].as_str().unwrap()) {
                    continue;
                }
                let wanted = (skip["id"].as_str().unwrap().to_string(), skip["comment"].as_str().unwrap().to_string());
                assert!(
                    skips.get(&tf).is_some_and(|s| s.contains(&wanted)),
                    "{name}: {tf} lacks CloudFormation's skip {wanted:?}"
                );
            }
        }

        let outputs = tools::hcl2_parse(dir.join("outputs.tf"));
        let mut tf_outputs: Vec<String> = outputs["output"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| o.as_object().unwrap().keys())
            .map(|k| unquote(k).to_string())
            .collect();
        let mut cfn_outputs: Vec<String> = template["Outputs"].as_object().unwrap().keys().map(|k| snake(k)).collect();
        tf_outputs.sort();
        cfn_outputs.sort();
        assert_eq!(tf_outputs, cfn_outputs, "{name}: outputs");

        let variables = tools::hcl2_parse(dir.join("variables.tf"));
        let mut tf_variables: Vec<String> = variables["variable"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| o.as_object().unwrap().keys())
            .map(|k| unquote(k).to_string())
            // The bucket of the Flink application's zip: CloudFormation's ArtifactBucket, left out below.
            .filter(|k| k != "region" && k != "flink_code_bucket")
            .collect();
        let mut cfn_parameters: Vec<String> = template
            .get("Parameters")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| *k != "ArtifactBucket")
            .map(|k| snake(k))
            .collect();
        tf_variables.sort();
        cfn_parameters.sort();
        assert_eq!(tf_variables, cfn_parameters, "{name}: variables");
    }
}

#[test]
fn the_reference_pipeline_has_every_service() {
    let main = text(&emit(&lower(&root().join("examples/transactions.yaml"))), "main.tf");
    let doc: hcl::Body = hcl::from_str(&main).unwrap();
    let kinds: Vec<String> =
        doc.blocks().filter(|b| b.identifier() == "resource").map(|b| b.labels()[0].as_str().to_string()).collect();
    for kind in [
        "aws_kinesis_stream",
        "aws_kinesis_firehose_delivery_stream",
        "aws_s3_bucket",
        "aws_dynamodb_table",
        "aws_sns_topic",
        "aws_lambda_function",
        "aws_lambda_event_source_mapping",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }
}

#[test]
fn retain_data_decides_prevent_destroy_and_force_destroy() {
    let spec = |retain: bool| {
        format!(
            r"
version: 1
name: keep
retain_data: {retain}
stream:
  shards: 1
  record:
    id: string
hot:
  rules:
    - name: any
      when: id = 'x'
      notify: [ops]
  store:
    key: {{ partition: id }}
cold:
  prefix: raw/
notifications:
  ops:
    email: [ops@example.com]
"
        )
    };
    let kept = text(&emit(&lower_text("keep.yaml", &spec(true))), "main.tf");
    let doc: hcl::Body = hcl::from_str(&kept).unwrap();
    for kind in ["aws_kinesis_stream", "aws_s3_bucket", "aws_dynamodb_table"] {
        let block = doc.blocks().find(|b| b.labels()[0].as_str() == kind).unwrap();
        let lifecycle = block.body().blocks().find(|b| b.identifier() == "lifecycle").expect(kind);
        let attr = lifecycle.body().attributes().find(|a| a.key() == "prevent_destroy").unwrap();
        assert_eq!(attr.expr(), &hcl::Expression::Bool(true), "{kind}");
    }
    assert!(!kept.contains("force_destroy"));
    assert!(kept.contains("CloudFormation's DeletionPolicy Retain differs"));

    let dropped = text(&emit(&lower_text("drop.yaml", &spec(false))), "main.tf");
    assert!(!dropped.contains("prevent_destroy ="));
    let doc: hcl::Body = hcl::from_str(&dropped).unwrap();
    let bucket = doc.blocks().find(|b| b.labels()[0].as_str() == "aws_s3_bucket").unwrap();
    assert!(bucket.body().attributes().any(|a| a.key() == "force_destroy" && a.expr() == &hcl::Expression::Bool(true)));
}

/// Reads an HCL quoted string as python-hcl2 returns it (quotes and escapes kept) back to text.
fn hcl_string(raw: &str) -> String {
    let inner = unquote(raw);
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                }
                Some(other) => out.push(other),
                None => panic!("dangling backslash in {raw}"),
            },
            '$' | '%' if chars.peek() == Some(&c) => {
                chars.next();
                assert_eq!(chars.peek(), Some(&'{'), "{raw}");
                out.push(c);
            }
            '$' | '%' if chars.peek() == Some(&'{') => panic!("{raw} holds a live template sequence"),
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn user_text_round_trips_as_literal_text() {
    let spec = r#"
version: 1
name: escapes
description: "She said \"hi\"\nnext line = 1\n$${HOME} %{x}"
stream:
  shards: 1
  record:
    id: string
hot:
  rules:
    - name: any
      when: id = 'x'
      notify: [ops]
notifications:
  ops:
    email: ["$${HOME}%{x}'o@example.com"]
    webhook: ['https://hooks.example.com/a"b/$${HOME}/%{x}']
"#;
    let mut p = lower_text("escapes.yaml", spec);
    assert_eq!(p.topics[0].emails[0], "${HOME}%{x}'o@example.com");
    assert_eq!(p.topics[0].webhooks[0], "https://hooks.example.com/a\"b/${HOME}/%{x}");
    assert_eq!(p.description.as_deref(), Some("She said \"hi\"\nnext line = 1\n${HOME} %{x}"));
    // Quotes, backslashes and newlines cannot come through the spec checks; the IR can hold them.
    p.topics[0].emails.push("a\"b\\c\nd ${HOME} %{x}@example.com".into());
    let scratch_dir = scratch("escapes");
    let dir = scratch_dir.path();
    target::write(dir, &emit(&p)).unwrap();

    let variables = tools::hcl2_parse(dir.join("variables.tf"));
    let defaults: BTreeMap<String, String> = variables["variable"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v.as_object().unwrap())
        .filter_map(|(k, body)| Some((unquote(k).to_string(), hcl_string(body.get("default")?.as_str()?))))
        .collect();
    assert_eq!(defaults["ops_email1"], p.topics[0].emails[0]);
    assert_eq!(defaults["ops_email2"], p.topics[0].emails[1]);

    let main = tools::hcl2_parse(dir.join("main.tf"));
    // Webhook URLs are in the fanout function's environment, as JSON text.
    let fanout = blocks(&main, "resource").into_iter().find(|(_, label, _)| label == "fanout_function").unwrap().2;
    let webhooks = hcl_string(fanout["environment"][0]["variables"]["\"WEBHOOKS\""].as_str().unwrap());
    let webhooks: serde_json::Value = serde_json::from_str(&webhooks).unwrap();
    assert_eq!(webhooks["escapes-ops"][1][0], p.topics[0].webhooks[0]);
    // The description is a comment, one `#` per line: nothing of it became HCL.
    let main_text = std::fs::read_to_string(dir.join("main.tf")).unwrap();
    assert!(main_text.contains("\n# She said \"hi\"\n# next line = 1\n# ${HOME} %{x}\n"), "{main_text}");
    assert!(main.as_object().unwrap().keys().all(|k| ["resource", "data", "__comments__"].contains(&k.as_str())));
    let comments: Vec<&str> =
        main["__comments__"].as_array().unwrap().iter().map(|c| c["value"].as_str().unwrap()).collect();
    assert_eq!(comments[1..4], ["She said \"hi\"", "next line = 1", "${HOME} %{x}"]);

    // Terraform's own reading of the defaults (variables.tf alone needs no provider).
    let console_dir = scratch("escapes-console");
    let console = console_dir.path();
    std::fs::copy(dir.join("variables.tf"), console.join("variables.tf")).unwrap();
    for (variable, value) in [("ops_email1", &p.topics[0].emails[0]), ("ops_email2", &p.topics[0].emails[1])] {
        let mut child = Command::new("terraform")
            .arg("console")
            .current_dir(console)
            .env("TF_IN_AUTOMATION", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not run `terraform` ({e}): {}", tools::HOW_TO_INSTALL_TERRAFORM));
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), format!("base64encode(var.{variable})\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            printed.trim().lines().last().map(unquote),
            Some(STANDARD.encode(value.as_bytes()).as_str()),
            "{}",
            tools::describe(&out)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(console);
}

#[test]
fn a_public_viewer_and_an_unencrypted_stream_are_skipped_with_reasons() {
    let spec = r"
version: 1
name: open
stream:
  shards: 1
  encryption: none
  record:
    id: string
hot:
  rules:
    - name: any
      when: id = 'x'
      notify: [ops]
  store:
    key: { partition: id }
    viewer:
      title: Open
      public: true
notifications:
  ops:
    webhook: [https://hooks.example.com/x]
";
    let p = lower_text("open.yaml", spec);
    let artifacts = emit(&p);
    let main = text(&artifacts, "main.tf");
    assert!(main.contains("authorization_type = \"NONE\""));
    let scratch_dir = scratch("open");
    let dir = scratch_dir.path();
    target::write(dir, &artifacts).unwrap();
    let types: BTreeMap<&str, usize> = parity::terraform_types(&p);
    // The public viewer's permission and the webhook fanout's (SNS may invoke it).
    assert_eq!(types.get("aws_lambda_permission"), Some(&2));
    tools::assert_checkov_tf_clean(dir);
    let _ = std::fs::remove_dir_all(dir);
}

/// `pipec build --target terraform` of a flink spec reads the `pipec.lock` beside it: the plan
/// then checks the connector jar's SHA-512 (`filesha512`), the HCL still formats and parses;
/// without a lock it checks only that the jar is there and says how to pin it; a lock that is
/// not one is refused (exit 2) and nothing is written.
#[test]
fn a_pipec_lock_beside_the_spec_makes_the_plan_check_the_jars_sha512() {
    let dir = scratch("lock");
    let spec = dir.path().join("card-velocity.yaml");
    std::fs::copy(root().join("examples/card-velocity.yaml"), &spec).unwrap();
    let build = |out: &str| {
        common::Test::new()
            .args(["build", spec.to_str().unwrap(), "--target", "terraform", "-o"])
            .arg_path(&dir.path().join(out))
            .run()
    };
    let main = |out: &str| std::fs::read_to_string(dir.path().join(out).join("main.tf")).unwrap();
    let jars = |out: &str| std::fs::read_to_string(dir.path().join(out).join("flink/lib/JARS.txt")).unwrap();

    build("unpinned");
    assert!(main("unpinned").contains("fileexists(\"${path.module}/flink/lib/flink-sql-connector-aws-kinesis-streams"));
    assert!(jars("unpinned").contains("not pinned: run `pipec lock SPEC`"), "{}", jars("unpinned"));

    let sha512 = "0123456789abcdef".repeat(8);
    let lock = serde_json::json!({
        "version": 1,
        "note": "test",
        "jars": [{
            "coordinates": "org.apache.flink:flink-sql-connector-aws-kinesis-streams:6.0.0-2.0",
            "url": "http://127.0.0.1:9/maven2/x.jar",
            "sha512": sha512,
            "verified_with": "sha512"
        }]
    });
    std::fs::write(dir.path().join("pipec.lock"), lock.to_string()).unwrap();
    build("pinned");
    let hcl = main("pinned");
    assert!(hcl.contains("filesha512(") && hcl.contains(&format!("== \"{sha512}\"")), "{hcl}");
    assert!(jars("pinned").contains(&format!("{sha512} (pinned by pipec.lock)")), "{}", jars("pinned"));
    assert_eq!(tools::hcl2_parse_dir(dir.path().join("pinned")).len(), 4);
    let fmt = tools::terraform_fmt_check(dir.path().join("pinned"));
    assert!(fmt.status.success(), "terraform fmt -check found differences:\n{}", tools::describe(&fmt));

    std::fs::write(dir.path().join("pipec.lock"), lock.to_string().replace(&sha512, "not-hex")).unwrap();
    common::Test::new()
        .args(["build", spec.to_str().unwrap(), "--target", "terraform", "-o"])
        .arg_path(&dir.path().join("refused"))
        .status(2)
        .stderr_has(
            "pipec.lock: org.apache.flink:flink-sql-connector-aws-kinesis-streams:6.0.0-2.0: `sha512` is not 128",
        )
        .run();
    assert!(!dir.path().join("refused").exists(), "nothing is written");
}
