//! Stage 4, `emit`: the IR → files for one target. Output is built from typed values, ordered
//! deterministically: the same pipeline gives the same bytes.

pub mod alarms;
pub mod cloudformation;
pub mod filters;
pub mod function;
pub mod lambda;
pub mod local;
pub mod names;
pub mod parity;
pub mod permissions;
pub mod skips;
pub mod terraform;
pub mod yaml;

use crate::ir::Pipeline;

/// Where a pipeline is lowered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// AWS CloudFormation template (+ Lambda assets when they exceed the inline limit).
    Cfn,
    /// Terraform HCL (main.tf, variables.tf, outputs.tf, versions.tf) + Lambda sources.
    Terraform,
    /// The resolved configuration that `pipec run --local` executes.
    Local,
}

/// One generated file, relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub bytes: Vec<u8>,
    /// What the file is, for the manifest.
    pub role: &'static str,
}

/// Options shared by the targets.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// CloudFormation only: YAML instead of JSON.
    pub yaml: bool,
}

/// Lowers the pipeline to the files of `target`.
///
/// # Errors
/// A message when the output cannot be produced (for example a code template fails to render).
pub fn emit(target: Target, pipeline: &Pipeline, options: Options) -> Result<Vec<Artifact>, String> {
    match target {
        Target::Cfn => cloudformation::emit(pipeline, options),
        Target::Terraform => terraform::emit(pipeline),
        Target::Local => local::emit(pipeline),
    }
}

/// Writes artifacts under `dir`, each atomically (temp file + rename), creating folders.
///
/// # Errors
/// The first I/O error.
pub fn write(dir: &std::path::Path, artifacts: &[Artifact]) -> std::io::Result<()> {
    for artifact in artifacts {
        let path = dir.join(&artifact.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = path.with_extension("pipec-tmp");
        std::fs::write(&tmp, &artifact.bytes)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}
