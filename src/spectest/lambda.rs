//! `--target lambda`: the cases through the generated Lambda handlers. The pipeline is built
//! for CloudFormation into a temporary folder, and the shipped driver ([`DRIVER`],
//! `lambda_driver.py`) runs every case there under moto's `mock_aws` with the given Python,
//! which needs boto3 and moto (a missing one is reported in one line saying how to install it).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::json;

use super::model::Case;
use super::outcome::Outcome;
use crate::expr::value::format_timestamp_millis;
use crate::ir::{Pipeline, RuleKind};
use crate::target::{self, Target};

/// The driver script, as shipped.
pub const DRIVER: &str = include_str!("lambda_driver.py");

/// Why the Lambda target could not run the cases.
#[derive(Debug)]
pub enum LambdaError {
    /// The Python could not be started.
    NoPython { python: PathBuf, error: std::io::Error },
    /// The Python lacks boto3 or moto (the driver's one-line explanation).
    Missing(String),
    /// Building, writing or running failed.
    Failed(String),
}

impl fmt::Display for LambdaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LambdaError::NoPython { python, error } => write!(
                f,
                "cannot run `{}` ({error}): `--target lambda` needs Python with boto3 and moto; pass --python \
                 (or set PIPEC_PYTHON) to one, or install them with `python3 -m pip install 'moto[server]==5.2.5' 'boto3==1.44.8'`",
                python.display()
            ),
            LambdaError::Missing(line) => f.write_str(line.trim_end()),
            LambdaError::Failed(why) => write!(f, "the Lambda handlers could not run the tests: {why}"),
        }
    }
}

impl std::error::Error for LambdaError {}

/// A temporary folder removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn failed(what: &str) -> impl Fn(std::io::Error) -> LambdaError + '_ {
    move |e| LambdaError::Failed(format!("{what}: {e}"))
}

/// Runs every case through the handlers; one outcome per case, in order.
///
/// # Errors
/// See [`LambdaError`].
pub fn evaluate(pipeline: &Pipeline, cases: &[&Case], python: &Path) -> Result<Vec<Outcome>, LambdaError> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let scratch = Scratch(std::env::temp_dir().join(format!("pipec-test-{}-{nanos}", std::process::id())));
    let build = scratch.0.join("build");
    let artifacts = target::emit(Target::Cfn, pipeline, target::Options::default()).map_err(LambdaError::Failed)?;
    target::write(&build, &artifacts).map_err(failed("cannot write the CloudFormation build"))?;
    let windows: BTreeMap<&str, u32> = pipeline
        .rules
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::Windowed { seconds, .. } => Some((r.name.as_str(), *seconds)),
            RuleKind::PerRecord => None,
        })
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD;
    let job = json!({
        "build": build,
        "windows": windows,
        "cases": cases.iter().map(|c| json!({
            "now": format_timestamp_millis(c.now_ms),
            "events": c.events.iter().map(|e| json!({
                "data": b64.encode(&e.bytes),
                "arrival": format_timestamp_millis(e.arrival_ms),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let (driver, input, output) =
        (scratch.0.join("lambda_driver.py"), scratch.0.join("input.json"), scratch.0.join("output.json"));
    std::fs::write(&driver, DRIVER).map_err(failed("cannot write the driver"))?;
    std::fs::write(&input, job.to_string()).map_err(failed("cannot write the driver's input"))?;
    let run = Command::new(python)
        .arg(&driver)
        .arg(&input)
        .arg(&output)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|error| LambdaError::NoPython { python: python.to_owned(), error })?;
    let stderr = String::from_utf8_lossy(&run.stderr);
    match run.status.code() {
        Some(0) => {}
        Some(3) => return Err(LambdaError::Missing(stderr.into_owned())),
        _ => return Err(LambdaError::Failed(format!("{} exited with {}:\n{stderr}", python.display(), run.status))),
    }
    let text = std::fs::read_to_string(&output).map_err(failed("no result from the driver"))?;
    let outcomes: Vec<Outcome> = serde_json::from_str(&text)
        .map_err(|e| LambdaError::Failed(format!("the driver's result is unreadable: {e}")))?;
    if outcomes.len() != cases.len() {
        return Err(LambdaError::Failed(format!("{} results for {} cases", outcomes.len(), cases.len())));
    }
    Ok(outcomes)
}
