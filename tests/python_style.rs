//! The generated Python reads like a person wrote it: every handler of every example, fixture
//! and feature spec, for both AWS targets, and the runtime module beside them are clean under
//! the pinned ruff's default rules plus W, B and N, and already formatted as `ruff format`
//! writes them; random rule expressions are laid out exactly as ruff lays them out.

mod common;
#[path = "support/tools.rs"]
mod tools;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use pipec::expr::pyfmt::statement;
use pipec::expr::{Context, FieldSchema, RecordSchema, ValueType, check, lower_python, parse};
use pipec::frontend::check_source;
use pipec::source::Source;
use pipec::target::{self, Target};

use common::{Rng, specs_in, vars};

/// ruff's settings for generated code: no config files, Lambda's Python.
const COMMON: &[&str] = &["--isolated", "--target-version", "py313"];

fn specs() -> Vec<PathBuf> {
    specs_in(&["examples", "tests/fixtures/valid", "specs/features"])
}

/// Every `.py` file the two AWS targets generate for `path`: (name, text).
fn generated(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let checked = check_source(Source::new(path.display().to_string(), text), None, &vars);
    assert!(!checked.has_errors(), "{} must check clean", path.display());
    let p = pipec::ir::lower(checked.spec.as_ref().unwrap()).unwrap();
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    let mut out = Vec::new();
    for target in [Target::Cfn, Target::Terraform] {
        for artifact in target::emit(target, &p, target::Options::default()).unwrap() {
            let name = format!("{stem}/{target:?}/{}", artifact.path);
            let extension = Path::new(&artifact.path).extension().and_then(|e| e.to_str()).unwrap_or_default();
            if extension == "py" {
                out.push((name, String::from_utf8(artifact.bytes).unwrap()));
            } else if extension == "zip" {
                let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&artifact.bytes)).unwrap();
                for i in 0..zip.len() {
                    let mut file = zip.by_index(i).unwrap();
                    // The Flink application's zip also holds its SQL (statements.json, pipeline.sql).
                    if Path::new(&*file.name().unwrap()).extension().is_none_or(|e| e != "py") {
                        continue;
                    }
                    let mut source = String::new();
                    std::io::Read::read_to_string(&mut file, &mut source).unwrap();
                    out.push((format!("{name}/{}", file.name().unwrap()), source));
                }
            } else if artifact.path == "template.json" {
                let t: serde_json::Value = serde_json::from_slice(&artifact.bytes).unwrap();
                for (id, r) in t["Resources"].as_object().unwrap() {
                    if let Some(inline) = r["Properties"]["Code"]["ZipFile"].as_str() {
                        out.push((format!("{name}/{id}.py"), inline.to_owned()));
                    }
                }
            }
        }
    }
    out
}

/// Writes the files under a fresh directory and runs ruff check (when `lint`) and ruff format
/// --check on it.
fn assert_ruff_clean(files: &[(String, String)], lint: bool) {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in files {
        let path = dir.path().join(name.replace(['/', '\\'], "__"));
        std::fs::write(path, source).unwrap();
    }
    if lint {
        let out = Command::new(tools::ruff())
            .args(["check", "--no-cache", "--extend-select", "W,B,N"])
            .args(COMMON)
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "ruff check:\n{}", tools::describe(&out));
    }
    let format = Command::new(tools::ruff())
        .args(["format", "--no-cache", "--check", "--diff"])
        .args(COMMON)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(format.status.success(), "ruff format --check:\n{}", tools::describe(&format));
}

#[test]
fn every_generated_handler_is_ruff_clean() {
    let files: Vec<(String, String)> = specs().iter().flat_map(|p| generated(p)).collect();
    let handlers = files.iter().filter(|(n, _)| n.ends_with("index.py") || n.ends_with("Function.py")).count();
    let runtimes = files.iter().filter(|(n, _)| n.ends_with("pipec_runtime.py")).count();
    assert!(handlers >= 20 && runtimes >= 10, "only {handlers} handlers and {runtimes} runtimes found");
    assert_ruff_clean(&files, true);
}

fn num(rng: &mut Rng, names: &[&str], depth: u32) -> String {
    match if depth == 0 { rng.below(3) } else { rng.below(6) } {
        0 => format!("`{}`", names[rng.below(names.len())]),
        1 => ["1", "9000", "2.5", "1e300", "123456789012345"][rng.below(5)].to_owned(),
        2 => format!("-`{}`", names[rng.below(names.len())]),
        _ => format!(
            "({} {} {})",
            num(rng, names, depth - 1),
            ["+", "-", "*", "/"][rng.below(4)],
            num(rng, names, depth - 1)
        ),
    }
}

fn cond(rng: &mut Rng, names: &[&str], depth: u32) -> String {
    match if depth == 0 { rng.below(4) } else { rng.below(7) } {
        0 => format!("{} > {}", num(rng, names, depth.min(3)), num(rng, names, 1)),
        1 => format!("s LIKE '{}%'", "ab\"c''".repeat(rng.below(20))),
        2 => format!("`{}` IN (1, 2, 3, null)", names[rng.below(names.len())]),
        3 => format!("{} BETWEEN 1 AND {}", num(rng, names, 1), num(rng, names, 2)),
        4 => format!("NOT ({})", cond(rng, names, depth - 1)),
        _ => {
            format!("({} {} {})", cond(rng, names, depth - 1), ["AND", "OR"][rng.below(2)], cond(rng, names, depth - 1))
        }
    }
}

/// Rules over fields with names from 1 to 60 characters, nested up to depth 5, so that every
/// layout (flat, arguments on one line, one argument per line, atoms over the width) occurs.
#[test]
fn random_rules_are_laid_out_as_ruff_formats_them() {
    let names = ["t", "amount_in_cents", &"x".repeat(30), &"very_long_field_name_".repeat(3), "é中文字段"];
    let schema = RecordSchema::new(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| FieldSchema::new(*n, if i % 2 == 0 { ValueType::Int } else { ValueType::Float }))
            .chain([FieldSchema::new("s", ValueType::String)])
            .collect(),
    );
    let mut rng = Rng(0x00c0_ffee);
    let mut source = String::from("import pipec_runtime as rt\n");
    let mut count = 0;
    while count < 400 {
        let text = cond(&mut rng, &names, 5);
        let expr = parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        if !check(&expr, &schema, Context::Rule).1.is_empty() {
            continue;
        }
        let py = lower_python(&expr, &schema);
        write!(source, "\n\ndef rule_{count}(r):\n").unwrap();
        source.push_str(&statement(4, "x = ", &py));
        source.push_str("    if x:\n");
        source.push_str(&statement(8, "return ", &py));
        source.push_str(&statement(4, "return ", &py));
        count += 1;
    }
    let long_lines = source.lines().filter(|l| l.chars().count() > 88).count();
    assert!(long_lines > 0 && source.lines().count() > 3_000, "the corpus must exercise breaking");
    assert_ruff_clean(&[("rules.py".to_owned(), source)], false);
}
