//! `pipec test`: every example's tests pass (locally and through the generated Lambda handlers
//! under moto), a broken expectation fails with exit 1 at its line (human and JSON reports
//! snapshotted), invalid test files give diagnostics (one snapshot per fixture in
//! `tests/fixtures/spectest/invalid/`, whose first line names the spec), and `--record` writes
//! a test file that passes, and fails once the rules change.

#[path = "support/tools.rs"]
mod tools;

mod common;

use std::path::Path;

use common::Test;
use pipec::diagnostic::render::{self, Style};
use pipec::source::Source;

const EXAMPLES: [(&str, usize); 3] = [("transactions", 3), ("clickstream", 3), ("bank-bursts", 4)];
const BROKEN: &str = "tests/fixtures/spectest/transactions-broken.tests.yaml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> String {
    tools::python().display().to_string()
}

#[test]
fn every_example_passes_its_tests() {
    for (name, count) in EXAMPLES {
        Test::new()
            .args(["test", &format!("examples/{name}.yaml")])
            .status(0)
            .stdout_has(&format!("running {count} tests from examples/tests/{name}.tests.yaml (local)"))
            .stdout_has(&format!("{count} passed, 0 failed\n"))
            .run();
    }
}

#[test]
fn a_broken_expectation_fails_at_its_line() {
    let run = Test::new().args(["test", "examples/transactions.yaml", BROKEN]).status(1).run();
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn the_json_report_holds_every_failure() {
    let run = Test::new().args(["test", "examples/transactions.yaml", BROKEN, "--format", "json"]).status(1).run();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((report["passed"].as_u64(), report["failed"].as_u64()), (Some(0), Some(3)));
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn invalid_test_files_give_diagnostics() {
    insta::glob!("fixtures/spectest/invalid", "*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let spec = text.lines().next().and_then(|l| l.strip_prefix("# spec: ")).expect("a `# spec:` first line");
        let checked = pipec::frontend::check_source(
            Source::new(spec, std::fs::read_to_string(root().join(spec)).unwrap()),
            None,
            &common::vars,
        );
        let pipeline = pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap();
        let name = path.strip_prefix(root()).unwrap().display().to_string();
        // Relative to the package root (the tests' working directory), so the snapshots do not
        // hold the checkout's absolute path.
        let folder = Path::new(&name).parent().unwrap().to_path_buf();
        let (source, diagnostics) = pipec::spectest::read(Source::new(name, text.clone()), &folder, &pipeline)
            .expect_err("an invalid test file");
        let shown = render::human(&source, &diagnostics, Style { color: false, width: 100 });
        let mut settings = insta::Settings::clone_current();
        settings.set_description(text.as_str());
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(shown));
    });
}

#[test]
fn invalid_test_files_and_specs_exit_2() {
    let fixture = "tests/fixtures/spectest/invalid/unknown_event.yaml";
    Test::new()
        .args(["test", "examples/transactions.yaml", fixture])
        .status(2)
        .stderr_has("pipec::unknown_event")
        .stderr_has("fix the test files above first")
        .run();
    Test::new()
        .args(["test", "tests/fixtures/invalid/unknown_topic.yaml", BROKEN])
        .status(2)
        .stderr_has("the spec has errors")
        .run();
    Test::new()
        .args(["test", "examples/transactions.yaml", "no/such/file.yaml"])
        .status(2)
        .stderr_has("pipec::io")
        .run();
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("alone.yaml");
    std::fs::copy(root().join("examples/transactions.yaml"), &spec).unwrap();
    Test::new()
        .args(["test"])
        .arg_path(&spec)
        .status(2)
        .stderr_has("alone.tests.yaml")
        .stderr_has("--record EVENTS.ndjson")
        .run();
}

#[test]
fn a_recorded_test_passes_and_fails_once_the_rules_change() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recorded.tests.yaml");
    Test::new()
        .args(["test", "examples/transactions.yaml", "--record", "tests/fixtures/spectest/events.ndjson", "-o"])
        .arg_path(&file)
        .args(["--now", "2026-11-26T12:00:00Z"])
        .status(0)
        .run();
    let text = std::fs::read_to_string(&file).unwrap();
    insta::assert_snapshot!(text);
    Test::new()
        .args(["test", "examples/transactions.yaml"])
        .arg_path(&file)
        .status(0)
        .stdout_has("1 passed, 0 failed")
        .run();
    let spec = dir.path().join("raised.yaml");
    let raised = std::fs::read_to_string(root().join("examples/transactions.yaml"))
        .unwrap()
        .replace("transaction > 9000", "transaction > 9600");
    std::fs::write(&spec, raised).unwrap();
    let run =
        Test::new().args(["test"]).arg_path(&spec).arg_path(&file).status(1).stdout_has("0 passed, 1 failed").run();
    assert!(run.stdout.contains("event `1` was flagged by no rule, expected `high-transaction`"), "{}", run.stdout);
}

#[test]
fn the_examples_pass_through_the_lambda_handlers() {
    for (name, count) in EXAMPLES {
        Test::new()
            .args(["test", &format!("examples/{name}.yaml"), "--target", "lambda", "--python", &python()])
            .timeout(std::time::Duration::from_mins(2))
            .status(0)
            .stdout_has(&format!("{count} tests from examples/tests/{name}.tests.yaml (lambda)"))
            .stdout_has(&format!("{count} passed, 0 failed\n"))
            .run();
    }
    let local = Test::new().args(["test", "examples/transactions.yaml", BROKEN]).status(1).run();
    let lambda = Test::new()
        .args(["test", "examples/transactions.yaml", BROKEN, "--target", "lambda"])
        .env("PIPEC_PYTHON", &python())
        .timeout(std::time::Duration::from_mins(2))
        .status(1)
        .run();
    assert_eq!(lambda.stdout.replace("(lambda)", "(local)"), local.stdout, "both targets fail the same way");
}

#[test]
fn lambda_without_moto_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    // The pinned venv's Python without its site-packages: no boto3, no moto.
    let bare = dir.path().join("python");
    std::fs::write(&bare, format!("#!/bin/sh\nexec {} -S \"$@\"\n", python())).unwrap();
    let mut permissions = std::fs::metadata(&bare).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&bare, permissions).unwrap();
    let run = Test::new()
        .args(["test", "examples/transactions.yaml", "--target", "lambda", "--python"])
        .arg_path(&bare)
        .status(2)
        .stderr_has("needs boto3 and moto")
        .stderr_has("-m pip install 'moto[server]==5.2.5' 'boto3==1.44.8'")
        .run();
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    Test::new()
        .args(["test", "examples/transactions.yaml", "--target", "lambda", "--python", "/no/such/python"])
        .status(2)
        .stderr_has("cannot run `/no/such/python`")
        .run();
}

#[test]
fn the_lambda_driver_is_ruff_clean() {
    let dir = tempfile::tempdir().unwrap();
    let driver = dir.path().join("lambda_driver.py");
    std::fs::write(&driver, pipec::spectest::DRIVER).unwrap();
    let common = ["--isolated", "--target-version", "py313"];
    let check = std::process::Command::new(tools::ruff())
        .args(["check", "--no-cache", "--extend-select", "W,B,N"])
        .args(common)
        .arg(&driver)
        .output()
        .unwrap();
    assert!(check.status.success(), "ruff check:\n{}", tools::describe(&check));
    let format = std::process::Command::new(tools::ruff())
        .args(["format", "--no-cache", "--check", "--diff"])
        .args(common)
        .arg(&driver)
        .output()
        .unwrap();
    assert!(format.status.success(), "ruff format --check:\n{}", tools::describe(&format));
}

#[test]
fn the_readme_test_file_passes() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("# examples/tests/transactions.tests.yaml (shortened)").expect("the README's test file");
    let end = start + readme[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("readme.tests.yaml");
    std::fs::write(&file, &readme[start..end]).unwrap();
    Test::new()
        .args(["test", "examples/transactions.yaml"])
        .arg_path(&file)
        .status(0)
        .stdout_has("1 passed, 0 failed")
        .run();
}

/// A `hot.engine: flink` pipeline is tested locally in event time (the decisions of `pipec run
/// --local`): its example's test passes; with a lateness long enough to keep `pay-1011`, that
/// record is no longer dead-lettered as late, and the test says so; `--target lambda` is refused, as
/// no Lambda handler decides a flink pipeline's rules.
#[test]
fn a_flink_pipeline_is_tested_locally_in_event_time() {
    Test::new()
        .args(["test", "examples/card-velocity.yaml"])
        .status(0)
        .stdout_has("running 1 test from examples/tests/card-velocity.tests.yaml (local, event time)")
        .stdout_has("1 passed, 0 failed\n")
        .run();

    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("card-velocity.yaml");
    let relaxed = std::fs::read_to_string(root().join("examples/card-velocity.yaml"))
        .unwrap()
        .replace("allowed_lateness: 30s", "allowed_lateness: 10m");
    assert!(relaxed.contains("allowed_lateness: 10m"), "the example no longer sets allowed_lateness: 30s");
    std::fs::write(&spec, relaxed).unwrap();
    let run = Test::new()
        .args(["test"])
        .arg_path(&spec)
        .arg_path(&root().join("examples/tests/card-velocity.tests.yaml"))
        .status(1)
        .stdout_has("(local, event time)")
        .stdout_has("0 passed, 1 failed")
        .run();
    assert!(
        run.stdout.contains("event `11` was not dead-lettered"),
        "the late record is no longer late:\n{}",
        run.stdout
    );

    Test::new()
        .args(["test", "examples/card-velocity.yaml", "--target", "lambda"])
        .status(2)
        .stderr_has("`--target lambda` cannot test a `hot.engine: flink` pipeline")
        .stderr_has("help: run `pipec test examples/card-velocity.yaml`")
        .run();
}
