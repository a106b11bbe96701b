//! `pipec build`: check, lower and emit one target's files; list what was written.

use std::path::Path;
use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use super::load::lowered;
use crate::target::{self, Options, Target};

/// `--target`: the names of the target registry ([`Target::ALL`]), each with its help line.
pub(super) fn target_parser() -> impl TypedValueParser<Value = Target> {
    PossibleValuesParser::new(Target::ALL.map(|t| PossibleValue::new(t.name()).help(t.backend().about())))
        .try_map(|name| Target::from_name(&name).ok_or("unknown target"))
}

/// The output folder when `-o` is not given (`build/<target>`).
pub(super) const DEFAULT_DIR: &str = "build";

/// Exit 0 when written, 1 with errors in the spec, 2 when the files cannot be produced or written
/// (with `inline`, also when a function's code cannot be inline: nothing is written then).
/// With `default_dir` the `build/` folder gets a `.gitignore` holding `*` (as cargo does for
/// `target/`), so generated files never show up in `git status`.
/// The `pipec.lock` beside the spec, for a Terraform build of a flink pipeline (the plan checks
/// the connector jars against it); its pins must agree with pipec's own.
fn jar_lock(
    spec: &Path,
    pipeline: &crate::ir::Pipeline,
    target: Target,
) -> Result<Option<crate::target::flink::lock::Lock>, String> {
    use crate::target::flink::{jars::JARS, lock};
    if target != Target::Terraform || !matches!(pipeline.engine, crate::ir::Engine::Flink(_)) {
        return Ok(None);
    }
    let path = lock::path_for(spec);
    let read = lock::Lock::read(&path)?;
    for jar in JARS {
        lock::pin(jar, read.as_ref()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(read)
}

pub(super) fn build(
    path: &Path,
    target: Target,
    out: &Path,
    env: Option<&str>,
    yaml: bool,
    default_dir: bool,
    inline: bool,
) -> ExitCode {
    if inline && !matches!(target, Target::Cfn) {
        eprintln!(
            "error: --inline applies to --target cfn only\nhelp: Terraform zips the handlers itself (`archive_file`): nothing to upload by hand"
        );
        return ExitCode::from(2);
    }
    let pipeline = match lowered(path, env, "nothing was built") {
        Ok(pipeline) => pipeline,
        Err(code) => return code,
    };
    if inline {
        match crate::target::aws::inline::too_large(&pipeline) {
            Ok(list) if list.is_empty() => {}
            Ok(list) => {
                inline_refused(path, &list);
                return ExitCode::from(2);
            }
            Err(message) => {
                eprintln!("error: internal error while building (please report it): {message}");
                return ExitCode::from(2);
            }
        }
    }
    let lock = match jar_lock(path, &pipeline, target) {
        Ok(lock) => lock,
        Err(message) => {
            eprintln!("error: {message}\nhelp: fix or delete the lock file, then run `pipec lock {}`", path.display());
            return ExitCode::from(2);
        }
    };
    let artifacts = match target::emit(target, &pipeline, Options { yaml, lock }) {
        Ok(artifacts) => artifacts,
        Err(message) => {
            eprintln!("error: internal error while building (please report it): {message}");
            return ExitCode::from(2);
        }
    };
    match target::write(out, &artifacts).and_then(|()| if default_dir { ignore_itself() } else { Ok(()) }) {
        Ok(()) => {
            for artifact in &artifacts {
                super::out(&format!(
                    "wrote {} ({}, {} bytes)\n",
                    out.join(&artifact.path).display(),
                    artifact.role,
                    artifact.bytes.len()
                ));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write to {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

/// Names each function that cannot be inline, and what to do instead.
fn inline_refused(path: &Path, list: &[crate::target::aws::inline::TooLarge]) {
    let what = if list.len() == 1 { "function's code is" } else { "functions' code is" };
    eprintln!(
        "error: cannot inline the Lambda code: {} {what} over CloudFormation's 4,096-character inline limit (ZipFile); nothing was written",
        list.len()
    );
    for f in list {
        eprintln!("  {} ({}): {}", f.id, f.name, f.why());
    }
    eprintln!(
        "help: `pipec deploy {} --stack NAME` uploads the code to the pipec-managed assets bucket (or --artifact-bucket BUCKET) and deploys; or build without --inline, upload assets/ to a bucket of yours under the keys MANIFEST.txt lists and pass that bucket as the ArtifactBucket parameter",
        path.display()
    );
}

/// Writes `build/.gitignore` (`*`) unless one is there already (a user's own is kept).
fn ignore_itself() -> std::io::Result<()> {
    let file = Path::new(DEFAULT_DIR).join(".gitignore");
    if file.exists() {
        return Ok(());
    }
    std::fs::write(file, "# Written by `pipec build`: generated output, never committed.\n*\n")
}
