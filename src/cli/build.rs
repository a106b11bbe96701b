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

/// Exit 0 when written, 1 with errors in the spec, 2 when the files cannot be produced or written.
pub(super) fn build(path: &Path, target: Target, out: &Path, env: Option<&str>, yaml: bool) -> ExitCode {
    let pipeline = match lowered(path, env, "nothing was built") {
        Ok(pipeline) => pipeline,
        Err(code) => return code,
    };
    let artifacts = match target::emit(target, &pipeline, Options { yaml }) {
        Ok(artifacts) => artifacts,
        Err(message) => {
            eprintln!("error: internal error while building (please report it): {message}");
            return ExitCode::from(2);
        }
    };
    match target::write(out, &artifacts) {
        Ok(()) => {
            for artifact in &artifacts {
                eprintln!(
                    "wrote {} ({}, {} bytes)",
                    out.join(&artifact.path).display(),
                    artifact.role,
                    artifact.bytes.len()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write to {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}
