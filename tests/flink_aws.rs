//! `hot.engine: flink` on AWS: what the Managed Service for Apache Flink application and the
//! alerts function do, beyond the templates (which `tests/cloudformation.rs` and
//! `tests/terraform.rs` snapshot, lint, scan and hold to parity with every other spec):
//! the alerts function under moto stores each alert once and notifies it once, also when the
//! batch is delivered again; the program's placeholders are exactly the application's runtime
//! properties; the generated Python is ruff-clean.

#[path = "support/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec::frontend;
use pipec::ir::{self, Engine, Pipeline};
use pipec::source::Source;
use pipec::target::{self, Artifact, Options, Target};
use serde_json::{Value, json};

mod common;
use common::vars;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pipeline(path: &Path) -> Pipeline {
    let text = std::fs::read_to_string(path).unwrap();
    let checked = frontend::check_source(Source::new(path.display().to_string(), text), None, &vars);
    assert!(!checked.has_errors(), "{}: {:?}", path.display(), checked.diagnostics);
    ir::lower(checked.spec.as_ref().unwrap()).unwrap()
}

/// Every flink-engine spec: the flink fixtures and the examples on that engine.
fn flink_specs() -> Vec<(PathBuf, Pipeline)> {
    let mut paths: Vec<PathBuf> = ["tests/fixtures/flink", "examples"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root().join(dir)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let specs: Vec<(PathBuf, Pipeline)> = paths
        .into_iter()
        .map(|path| {
            let p = pipeline(&path);
            (path, p)
        })
        .filter(|(_, p)| matches!(p.engine, Engine::Flink(_)))
        .collect();
    assert!(specs.len() >= 2, "the flink fixtures are missing");
    specs
}

fn file<'a>(artifacts: &'a [Artifact], path: &str) -> &'a [u8] {
    &artifacts.iter().find(|a| a.path == path).unwrap_or_else(|| panic!("no {path}")).bytes
}

/// An alert as the application writes it to the alerts stream (a window's with its group and
/// aggregates as JSON text).
fn alert(rule: &str, window: Option<(&str, &str, Value, Value)>, record: Option<Value>) -> String {
    let (start, end, group, aggregates) = window
        .map_or((Value::Null, Value::Null, Value::Null, Value::Null), |(s, e, g, a)| {
            (json!(s), json!(e), json!(g.to_string()), json!(a.to_string()))
        });
    json!({
        "rule": rule,
        "window_start": start,
        "window_end": end,
        "group_key": group,
        "record": record.map_or(Value::Null, |r| json!(r.to_string())),
        "aggregates": aggregates,
    })
    .to_string()
}

#[test]
fn the_alerts_function_stores_and_notifies_each_alert_once() {
    let spec = root().join("tests/fixtures/flink/bank-alerts.yaml");
    let dir = tempfile::tempdir().unwrap();
    target::write(dir.path(), &target::emit(Target::Cfn, &pipeline(&spec), Options::default()).unwrap()).unwrap();
    let t1 = json!({ "transactionId": "t1", "bankId": "b1", "transaction": 10000, "createdAt": "2026-11-26 12:00:00.014593" });
    let t2 = json!({ "transactionId": "t2", "bankId": "b2", "transaction": 3000, "createdAt": "2026-11-26T12:00:01Z" });
    let alerts = [
        alert("high-transaction", None, Some(t1.clone())),
        // The same record flagged by a second rule: stored once, notified once per rule.
        alert("round-amount", None, Some(t1)),
        alert("round-amount", None, Some(t2)),
        alert(
            "bank-burst",
            Some((
                "2026-11-26 12:00:00.000",
                "2026-11-26 12:01:00.000",
                json!({ "bankId": "b1" }),
                json!([{ "aggregate": "count(*)", "value": 4 }]),
            )),
            None,
        ),
        // Aggregates that are not Flink's list: dead-lettered, not stored.
        alert(
            "bank-burst",
            Some((
                "2026-11-26 12:01:00.000",
                "2026-11-26 12:02:00.000",
                json!({ "bankId": "b1" }),
                json!({ "count": 4 }),
            )),
            None,
        ),
        alert("no-such-rule", None, None),
        "not json".to_owned(),
    ];
    let input = dir.path().join("alerts.ndjson");
    std::fs::write(&input, alerts.join("\n") + "\n").unwrap();
    let out = dir.path().join("out.json");
    let run = Command::new(tools::python())
        .arg(root().join("tests/python/run_alerts.py"))
        .args([dir.path(), &input, &out])
        .output()
        .unwrap();
    assert!(run.status.success(), "run_alerts.py:\n{}", tools::describe(&run));
    let result: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(result["failures"], 0);

    let items = result["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    let t1 = items.iter().find(|i| i["transactionId"] == "t1").unwrap();
    assert_eq!(t1["customEnrichment"], 10500, "enriched");
    assert_eq!(t1["_pipec_rules"], json!(["high-transaction", "round-amount"]));
    assert_eq!(t1["_pipec_sent"], json!(["high-transaction", "round-amount"]));
    let t2 = items.iter().find(|i| i["transactionId"] == "t2").unwrap();
    assert_eq!(t2["customEnrichment"], 3500);

    let windows = result["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1, "{windows:?}");
    assert_eq!(windows[0]["start"], "2026-11-26T12:00:00.000Z");
    assert_eq!(windows[0]["end"], "2026-11-26T12:01:00.000Z");
    assert_eq!(windows[0]["group"], json!({ "bankId": "b1" }));
    assert_eq!(windows[0]["aggregates"], json!([{ "aggregate": "count(*)", "value": 4 }]));
    assert_eq!(windows[0]["_pipec_notified"], true);

    // The window's message is the local runtime's for the same decision, byte for byte.
    let p = pipeline(&spec);
    let rule = p.rules.iter().find(|r| r.name == "bank-burst").unwrap();
    let local = pipec::alert::window_message(
        &p.name,
        rule,
        ("2026-11-26T12:00:00.000Z", "2026-11-26T12:01:00.000Z"),
        json!({ "bankId": "b1" }).as_object().unwrap(),
        &[json!({ "aggregate": "count(*)", "value": 4 })],
    );
    let sent: Vec<(&str, &str)> = result["sent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["text"].as_str().unwrap().contains("\"window\""))
        .map(|m| (m["subject"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    let subject = pipec::alert::subject(&p.name, rule.severity.name(), &rule.name);
    assert_eq!(
        sent,
        [(subject.as_str(), local.as_str()), (subject.as_str(), local.as_str())],
        "once on ops, once on hooks"
    );

    // Delivered twice, notified once: 3 record alerts and the window's on `ops`, the window's on `hooks`.
    let ops: Vec<(String, String)> = result["messages"]["bank-alerts-ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["message"]["rule"].as_str().unwrap().to_owned(), m["message"].to_string()))
        .collect();
    let rules: Vec<&str> = ops.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(rules, ["high-transaction", "round-amount", "round-amount", "bank-burst"], "{ops:?}");
    assert!(ops[0].1.contains("\"customEnrichment\":10500"), "the message carries the enriched record: {}", ops[0].1);
    assert_eq!(result["messages"]["bank-alerts-hooks"].as_array().unwrap().len(), 1);

    // The alert of no rule and the text that is no JSON, each dead-lettered with the reason,
    // once per delivery.
    let reasons: Vec<&str> =
        result["dead_letters"].as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons.len(), 6, "{reasons:?}");
    assert!(reasons.iter().filter(|r| r.starts_with("alert's aggregates are not a list")).count() == 2);
    assert!(reasons.iter().filter(|r| r.contains("names no rule of this pipeline: 'no-such-rule'")).count() == 2);
    assert!(reasons.iter().filter(|r| r.starts_with("alert is not JSON")).count() == 2);
}

#[test]
fn the_programs_placeholders_are_the_applications_properties() {
    for (path, p) in flink_specs() {
        let artifacts = target::emit(Target::Cfn, &p, Options::default()).unwrap();
        let t: Value = serde_json::from_slice(file(&artifacts, "template.json")).unwrap();
        let app = &t["Resources"]["FlinkApplication"]["Properties"];
        let groups = app["ApplicationConfiguration"]["EnvironmentProperties"]["PropertyGroups"].as_array().unwrap();
        let properties = &groups.iter().find(|g| g["PropertyGroupId"] == "pipec").unwrap()["PropertyMap"];
        let options = &groups.iter().find(|g| g["PropertyGroupId"] == "kinesis.analytics.flink.run.options").unwrap()["PropertyMap"];
        let mut keys: Vec<&String> = properties.as_object().unwrap().keys().collect();
        keys.sort();

        let tf = target::emit(Target::Terraform, &p, Options::default()).unwrap();
        let statements: Vec<String> = serde_json::from_slice(file(&tf, "flink/statements.json")).unwrap();
        let text = statements.join("\n");
        let mut used: Vec<String> =
            text.match_indices("${").map(|(i, _)| text[i + 2..].split('}').next().unwrap().to_owned()).collect();
        used.sort();
        used.dedup();
        assert_eq!(used, keys.iter().map(|k| k.as_str()).collect::<Vec<_>>(), "{}", path.display());

        assert_eq!(options["python"], "main.py");
        let jar = options["jarfile"].as_str().unwrap();
        assert!(jar.starts_with("lib/") && Path::new(jar).extension().is_some_and(|e| e == "jar"), "{jar}");
        // The program is in the application's zip, as the run options name it.
        let code = &app["ApplicationConfiguration"]["ApplicationCodeConfiguration"]["CodeContent"]["S3ContentLocation"];
        let asset = format!("assets/{}", code["FileKey"].as_str().unwrap().rsplit('/').next().unwrap());
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(file(&artifacts, &asset))).unwrap();
        assert!(zip.by_name("main.py").is_ok() && zip.by_name("statements.json").is_ok(), "{asset}");
        let shards = match p.stream.kinesis().capacity {
            ir::Capacity::Shards(n) => n,
            ir::Capacity::OnDemand => 4,
        };
        assert_eq!(
            app["ApplicationConfiguration"]["FlinkApplicationConfiguration"]["ParallelismConfiguration"]["Parallelism"],
            shards
        );
    }
}

#[test]
fn the_program_fills_its_statements_from_the_runtime_properties() {
    // main.py imports PyFlink: run its helpers on the PyFlink of tests/flink_engine.rs, without
    // starting Flink.
    let python = tools::tools_dir().join("flink/bin/python");
    assert!(
        python.is_file(),
        "PyFlink is missing ({}): run scripts/tools.sh, which installs apache-flink 2.2.1 into .tools/flink",
        python.display()
    );
    let (_, p) = flink_specs().into_iter().next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    target::write(dir.path(), &target::emit(Target::Terraform, &p, Options::default()).unwrap()).unwrap();
    let properties = dir.path().join("application_properties.json");
    std::fs::write(
        &properties,
        json!([
            { "PropertyGroupId": "kinesis.analytics.flink.run.options", "PropertyMap": { "python": "main.py" } },
            { "PropertyGroupId": "pipec", "PropertyMap": {
                "aws.region": "eu-west-1",
                "input.stream.arn": "arn:aws:kinesis:eu-west-1:1:stream/in",
                "output.stream.arn": "arn:aws:kinesis:eu-west-1:1:stream/out"
            } }
        ])
        .to_string(),
    )
    .unwrap();
    let script = "import json, sys\nsys.path.insert(0, sys.argv[1])\nimport main\nvalues = main.properties(sys.argv[2])\n\
                  print(json.dumps([main.fill(s, values) for s in main.statements()]))\n\
                  try:\n    main.fill('${missing.key}', values)\nexcept KeyError as e:\n    print(e)\n";
    let out =
        Command::new(python).args(["-c", script]).arg(dir.path().join("flink")).arg(&properties).output().unwrap();
    assert!(out.status.success(), "{}", tools::describe(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let filled: Vec<String> = serde_json::from_str(lines.next().unwrap()).unwrap();
    let text = filled.join("\n");
    assert!(!text.contains("${"), "every placeholder is filled:\n{text}");
    assert!(text.contains("'stream.arn' = 'arn:aws:kinesis:eu-west-1:1:stream/in'"), "{text}");
    assert!(text.contains("'stream.arn' = 'arn:aws:kinesis:eu-west-1:1:stream/out'"), "{text}");
    assert!(text.contains("'aws.region' = 'eu-west-1'"), "{text}");
    assert!(lines.next().unwrap().contains("runtime property 'missing.key' is missing from group 'pipec'"));
}

#[test]
fn the_generated_python_is_ruff_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (path, p) in flink_specs() {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let out = dir.path().join(&stem);
        let artifacts = target::emit(Target::Terraform, &p, Options::default()).unwrap();
        target::write(&out, &artifacts).unwrap();
        files.push(out.join("flink/main.py"));
        files.push(out.join(format!("lambda/{}-alerts/index.py", p.name)));
    }
    for args in [&["check", "--no-cache", "--extend-select", "W,B,N"][..], &["format", "--no-cache", "--check"][..]] {
        let out = Command::new(tools::ruff())
            .args(args)
            .args(["--isolated", "--target-version", "py313"])
            .args(&files)
            .output()
            .unwrap();
        assert!(out.status.success(), "ruff {}:\n{}", args[0], tools::describe(&out));
    }
}
