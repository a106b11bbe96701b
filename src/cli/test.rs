//! `pipec test SPEC [TESTS...]`: runs a spec's test cases (see [`crate::spectest`]) on the
//! local evaluation or, with `--target lambda`, through the generated handlers under moto;
//! `--record EVENTS -o FILE` writes a test file instead. The report (a line per test, each
//! failure as a diagnostic on the test file, the summary `N passed, M failed`) goes to stdout;
//! problems with the spec or a test file go to stderr (with `--format json`, their JSON reports
//! to stdout, as `pipec check` prints them). Exit 0 all passed, 1 some failed, 2 the
//! spec or a test file is invalid (or cannot be run).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value as Json, json};

use super::load::{load, report};
use super::{Format, out};
use crate::diagnostic::render::{self, Style};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::Pipeline;
use crate::source::Source;
use crate::spectest::{self, Failure, TestFile};

/// Where the cases run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TestTarget {
    /// The local evaluation: what `pipec run --local` decides.
    Local,
    /// The generated Lambda handlers (CloudFormation build) under moto.
    Lambda,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// Test files (default: the spec's sibling `<stem>.tests.yaml`, `tests/<stem>.tests.yaml`
    /// and `tests/<stem>/*.yaml` beside it).
    pub tests: Vec<PathBuf>,
    /// Apply the overrides of this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Where the cases run.
    #[arg(long, value_enum, default_value_t = TestTarget::Local)]
    pub target: TestTarget,
    /// The Python that runs the generated handlers (`--target lambda`); it needs boto3 and moto.
    #[arg(long, env = "PIPEC_PYTHON", default_value = "python3")]
    pub python: PathBuf,
    /// Write a test file from these NDJSON events (what the spec decides on them today).
    #[arg(long, value_name = "EVENTS.ndjson", requires = "out", conflicts_with = "tests")]
    pub record: Option<PathBuf>,
    /// The test file `--record` writes.
    #[arg(short, long, value_name = "FILE", requires = "record")]
    pub out: Option<PathBuf>,
    /// `now()` of the recorded test (RFC 3339; default 1970-01-01T00:00:00Z).
    #[arg(long, requires = "record")]
    pub now: Option<String>,
}

/// Colour when stdout is a terminal and `NO_COLOR` is unset; width from `COLUMNS` (default 100).
fn style() -> Style {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
    Style { color, width }
}

pub(super) fn test(args: &TestArgs) -> ExitCode {
    let Ok(pipeline) = pipeline(args) else { return ExitCode::from(2) };
    let flink = pipeline.engine != crate::ir::Engine::Lambda;
    if flink && args.target == TestTarget::Lambda && args.record.is_none() {
        // On AWS a flink pipeline's rules run in the Flink application, not in Lambda handlers.
        eprintln!(
            "error: `--target lambda` cannot test a `hot.engine: flink` pipeline: on AWS its rules run in the Managed \
             Service for Apache Flink application, not in Lambda handlers\n  \
             help: run `pipec test {}` (the local evaluation, in event time, as `pipec run --local` decides)",
            args.spec.display()
        );
        return ExitCode::from(2);
    }
    if let (Some(events), Some(file)) = (&args.record, &args.out) {
        return record(&pipeline, events, file, args.now.as_deref());
    }
    let paths = if args.tests.is_empty() {
        let (found, [sibling, shared, folder]) = spectest::default_files(&args.spec);
        if found.is_empty() {
            eprintln!(
                "error: no tests for `{}`: none of `{}`, `{}`, `{}/*.yaml` exists\n  \
                 help: write one (the README's \"Testing rules\" section), or record one with \
                 `pipec test {} --record EVENTS.ndjson -o {}`",
                args.spec.display(),
                sibling.display(),
                shared.display(),
                folder.display(),
                args.spec.display(),
                sibling.display()
            );
            return ExitCode::from(2);
        }
        found
    } else {
        args.tests.clone()
    };
    let mut files = Vec::new();
    let mut invalid = false;
    for path in &paths {
        match read(path, &pipeline) {
            Ok(file) => files.push(file),
            Err((source, diagnostics)) => {
                report(&source, &diagnostics, args.format);
                invalid = true;
            }
        }
    }
    if invalid {
        eprintln!("error: fix the test files above first (nothing was run)");
        return ExitCode::from(2);
    }
    let target = match args.target {
        TestTarget::Local => spectest::Target::Local,
        TestTarget::Lambda => spectest::Target::Lambda { python: args.python.clone() },
    };
    let cases: Vec<&spectest::Case> = files.iter().flat_map(|f| &f.cases).collect();
    let outcomes = match spectest::evaluate(&pipeline, &cases, &target) {
        Ok(outcomes) => outcomes,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut outcomes = outcomes.iter();
    let results: Vec<(&TestFile, Vec<Vec<Failure>>)> = files
        .iter()
        .map(|file| {
            let failures = file
                .cases
                .iter()
                .map(|case| spectest::compare(&pipeline, case, outcomes.next().expect("one outcome per case")))
                .collect();
            (file, failures)
        })
        .collect();
    let failed = results.iter().flat_map(|(_, cases)| cases).filter(|f| !f.is_empty()).count();
    let total = cases.len();
    let name = match args.target {
        TestTarget::Local if flink => "local, event time",
        TestTarget::Local => "local",
        TestTarget::Lambda => "lambda",
    };
    match args.format {
        Format::Human => out(&human(&results, name, total - failed, failed)),
        Format::Json => out(&format!("{}\n", json_report(&args.spec, name, &results, total - failed, failed))),
    }
    ExitCode::from(u8::from(failed > 0))
}

/// The checked and lowered spec; its diagnostics are reported (warnings to stderr).
fn pipeline(args: &TestArgs) -> Result<Pipeline, ()> {
    let checked = load(&args.spec, args.env.as_deref(), args.format).map_err(|_| ())?;
    if checked.has_errors() {
        report(&checked.source, &checked.diagnostics, args.format);
        eprintln!("error: the spec has errors: fix them first (nothing was tested)");
        return Err(());
    }
    if !checked.diagnostics.is_empty() {
        report(&checked.source, &checked.diagnostics, Format::Human);
    }
    let spec = checked.spec.as_ref().ok_or(())?;
    crate::ir::lower(spec).map_err(|message| {
        eprintln!("error: internal error while lowering the spec (please report it): {message}");
    })
}

fn read(path: &Path, pipeline: &Pipeline) -> Result<TestFile, (Source, Vec<Diagnostic>)> {
    let source = Source::read(path)
        .map_err(|(source, d)| (source.unwrap_or_else(|| Source::new(path.display().to_string(), "")), vec![d]))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    spectest::read(source, dir, pipeline)
}

fn record(pipeline: &Pipeline, events: &Path, file: &Path, now: Option<&str>) -> ExitCode {
    let now_text = now.unwrap_or(spectest::DEFAULT_NOW);
    let Some(now_ms) =
        crate::expr::timestamp::parse(now_text).map(|t| t.unix_seconds(0) * 1000 + i64::from(t.nanos / 1_000_000))
    else {
        eprintln!("error: `--now {now_text}` is not a time such as 2026-11-26T12:00:00Z");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(events) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", events.display());
            return ExitCode::from(2);
        }
    };
    let label = events.file_name().map_or_else(|| events.display().to_string(), |n| n.to_string_lossy().into_owned());
    let text = spectest::record(pipeline, &bytes, &label, now_ms);
    if let Err(e) = std::fs::write(file, &text) {
        eprintln!("error: cannot write `{}`: {e}", file.display());
        return ExitCode::from(2);
    }
    out(&format!("wrote {}: one test of what the spec decides on {label} today; review it\n", file.display()));
    ExitCode::SUCCESS
}

fn human(results: &[(&TestFile, Vec<Vec<Failure>>)], target: &str, passed: usize, failed: usize) -> String {
    let style = style();
    let mut text = String::new();
    for (file, cases) in results {
        let plural = if file.cases.len() == 1 { "" } else { "s" };
        text.push_str(&format!("running {} test{plural} from {} ({target})\n", file.cases.len(), file.source.name()));
        for (case, failures) in file.cases.iter().zip(cases) {
            if failures.is_empty() {
                text.push_str(&format!("ok    {}\n", case.name));
                continue;
            }
            text.push_str(&format!("FAIL  {}\n", case.name));
            let diagnostics: Vec<Diagnostic> = failures.iter().map(|f| f.diagnostic.clone()).collect();
            text.push_str(&render::reports(&file.source, &diagnostics, style));
        }
    }
    text.push_str(&format!("{passed} passed, {failed} failed\n"));
    text
}

fn json_report(
    spec: &Path,
    target: &str,
    results: &[(&TestFile, Vec<Vec<Failure>>)],
    passed: usize,
    failed: usize,
) -> String {
    let files: Vec<Json> = results
        .iter()
        .map(|(file, cases)| {
            let tests: Vec<Json> = file
                .cases
                .iter()
                .zip(cases)
                .map(|(case, failures)| {
                    json!({
                        "name": case.name,
                        "passed": failures.is_empty(),
                        "failures": failures.iter().map(|f| failure_json(&file.source, f)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({ "file": file.source.name(), "tests": tests })
        })
        .collect();
    let report = json!({
        "spec": spec.display().to_string(),
        "target": target,
        "passed": passed,
        "failed": failed,
        "files": files,
    });
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

fn failure_json(source: &Source, f: &Failure) -> Json {
    let position = |offset: usize| {
        let (line, column) = source.line_col(offset);
        json!({ "offset": offset, "line": line, "column": column })
    };
    let d = &f.diagnostic;
    json!({
        "code": d.code.as_str(),
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "message": d.message,
        "help": d.help,
        "labels": d.labels.iter().map(|l| json!({
            "message": l.message,
            "primary": l.primary,
            "start": position(l.span.start),
            "end": position(l.span.end),
        })).collect::<Vec<_>>(),
        "expected": f.expected,
        "got": f.got,
    })
}
