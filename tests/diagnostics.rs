//! Diagnostics of the front end (parse + check), one snapshot per invalid fixture.
//!
//! `tests/fixtures/invalid/*.yaml`: each file is wrong in the way its name says; its snapshot
//! holds the rendered human diagnostics (no colour, 100 columns) and shows the input in its
//! header. A fixture may choose `--env` with a first line `# env: NAME`. Variables are looked up
//! in a fixed table (only `PRESENT=value`), so snapshots do not depend on the machine.
//!
//! `tests/fixtures/valid/*.yaml` and `examples/*.yaml` must check without errors.

use std::path::Path;

use pipec::diagnostic::render::{self, Style};
use pipec::frontend::{self, Checked};
use pipec::source::Source;

mod common;
use common::vars;

/// The `--env` a fixture asks for with a first line `# env: NAME`.
fn env_of(text: &str) -> Option<&str> {
    text.lines().next()?.strip_prefix("# env:").map(str::trim)
}

/// Checks a file as `pipec check` would, with the fixed variables. The source is named by its
/// path relative to the crate so that snapshots are the same on every machine.
fn check_file(path: &Path, env: Option<&str>) -> Checked {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let name = path.strip_prefix(root).unwrap_or(path).display().to_string();
    frontend::check_source(Source::new(name, text), env, &vars)
}

fn render(checked: &Checked) -> String {
    render::human(&checked.source, &checked.diagnostics, Style { color: false, width: 100 })
}

#[test]
fn invalid_fixtures() {
    insta::glob!("fixtures/invalid", "*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let env = env_of(&text);
        let checked = check_file(path, env);
        assert!(checked.has_errors(), "{} checks without errors:\n{}", path.display(), render(&checked));
        let mut settings = insta::Settings::clone_current();
        settings.set_description(text.as_str());
        settings.set_info(&format!("env: {}", env.unwrap_or("(none)")));
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(render(&checked)));
    });
}

/// Fixtures prove something only while each one is wrong in one visible way.
#[test]
fn there_are_enough_invalid_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let count = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("yaml".as_ref()))
        .count();
    assert!(count >= 45, "only {count} invalid fixtures");
}

fn assert_clean(dir: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension() == Some("yaml".as_ref()))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no specs in {dir}");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        // Without `--env` every environment overlay is checked too; with one, just that one.
        let envs = std::iter::once(None).chain(env_names(&text).into_iter().map(Some));
        for env in envs {
            let checked = check_file(&path, env.as_deref());
            assert!(!checked.has_errors(), "{} (env {env:?}) has errors:\n{}", path.display(), render(&checked));
        }
    }
}

/// The keys under a top-level `environments:` mapping.
fn env_names(text: &str) -> Vec<String> {
    let Ok(root) = pipec::yaml::parse(text) else { return Vec::new() };
    match root.get("environments").map(|e| &e.value.kind) {
        Some(pipec::yaml::NodeKind::Map(entries)) => entries.iter().map(|e| e.key.clone()).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn valid_fixtures_check_clean() {
    assert_clean("tests/fixtures/valid");
}

#[test]
fn examples_check_clean() {
    assert_clean("examples");
}

/// `pipec check --format json`: the machine-readable report, snapshotted whole (codes,
/// severities, messages, every label's line, column and offset, help).
#[test]
fn json_report() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/collects_every_problem.yaml");
    let checked = check_file(&path, None);
    let report: serde_json::Value = serde_json::from_str(&render::json(&checked.source, &checked.diagnostics)).unwrap();
    insta::assert_json_snapshot!(report);
}
