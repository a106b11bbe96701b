//! Stage 4, `emit`: the IR → files for one target. Output is built from typed values, ordered
//! deterministically: the same pipeline gives the same bytes.
//!
//! # Adding a target
//! A target is one sibling folder, `target/<name>/`, holding a type that implements [`Backend`]
//! (its name on the command line, a line of help, and `emit`). Register it with one variant of
//! [`Target`], one entry in [`Target::ALL`] and one arm in [`Target::backend`]; the CLI lists
//! and parses targets from this registry, so nothing else changes. Targets read only the IR
//! ([`crate::ir`]); what several targets of one cloud share lives in that cloud's folder
//! ([`aws`]: names, permissions, handlers, skips, filters; `parity` for the tests).

pub mod aws;
pub mod flink;
pub mod local;

use crate::ir::Pipeline;

/// What each target implements.
pub trait Backend: Sync {
    /// The name after `--target`, and the default output folder (`build/<name>`).
    fn name(&self) -> &'static str;
    /// One line for `pipec build --help`.
    fn about(&self) -> &'static str;
    /// Lowers the pipeline to this target's files.
    ///
    /// # Errors
    /// A message when the output cannot be produced (for example a code template fails to render).
    fn emit(&self, pipeline: &Pipeline, options: Options) -> Result<Vec<Artifact>, String>;
}

/// Where a pipeline is lowered to: the registry of targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// AWS CloudFormation template (+ Lambda assets when they exceed the inline limit).
    Cfn,
    /// Terraform HCL (main.tf, variables.tf, outputs.tf, versions.tf) + Lambda sources.
    Terraform,
    /// The resolved configuration that `pipec run --local` executes.
    Local,
    /// The Flink SQL script of a pipeline on `hot.engine: flink`.
    Flink,
}

impl Target {
    /// Every target, in the order `--help` lists them.
    pub const ALL: [Target; 4] = [Target::Cfn, Target::Terraform, Target::Local, Target::Flink];

    /// The implementation.
    #[must_use]
    pub fn backend(self) -> &'static dyn Backend {
        match self {
            Target::Cfn => &aws::cloudformation::CloudFormation,
            Target::Terraform => &aws::terraform::Terraform,
            Target::Local => &local::Local,
            Target::Flink => &flink::Flink,
        }
    }

    /// The name on the command line (`cfn`, `terraform`, `local`).
    #[must_use]
    pub fn name(self) -> &'static str {
        self.backend().name()
    }

    /// The target called `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }
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
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// CloudFormation only: YAML instead of JSON.
    pub yaml: bool,
    /// Terraform only: the `pipec.lock` beside the spec, whose SHA-512s the plan checks the
    /// Flink application's connector jars against (`flink::lock`); checked against pipec's
    /// own pins by whoever reads it.
    pub lock: Option<flink::lock::Lock>,
}

/// Lowers the pipeline to the files of `target`.
///
/// # Errors
/// A message when the output cannot be produced (for example a code template fails to render).
pub fn emit(target: Target, pipeline: &Pipeline, options: Options) -> Result<Vec<Artifact>, String> {
    target.backend().emit(pipeline, options)
}

/// Writes artifacts under `dir`, each atomically (temp file + rename), creating folders.
///
/// # Errors
/// The first I/O error.
pub fn write(dir: &std::path::Path, artifacts: &[Artifact]) -> std::io::Result<()> {
    for artifact in artifacts {
        write_file(&dir.join(&artifact.path), &artifact.bytes)?;
    }
    Ok(())
}

/// Writes one file atomically (`<file>.pipec-tmp`, then renamed over it), creating its
/// folders: readers see the old bytes or the new ones, never a part.
///
/// # Errors
/// The first I/O error.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".pipec-tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
