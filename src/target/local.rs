//! The `local` target: the resolved configuration that `pipec run --local` executes — the
//! runtime's plan ([`crate::runtime::plan`]) with the run-time defaults
//! ([`crate::runtime::Config`]). `run` writes the same document to `<data dir>/run.json`.

use super::{Artifact, Backend, Options};
use crate::ir::Pipeline;
use crate::runtime::{Config, plan};

/// The local target (`--target local`).
pub struct Local;

impl Backend for Local {
    fn name(&self) -> &'static str {
        "local"
    }

    fn about(&self) -> &'static str {
        "The resolved configuration that `pipec run --local` executes"
    }

    fn emit(&self, pipeline: &Pipeline, _: Options) -> Result<Vec<Artifact>, String> {
        emit(pipeline)
    }
}

/// `local.json`: the plan with the default run-time settings (data dir `.pipec/<name>`).
pub fn emit(pipeline: &Pipeline) -> Result<Vec<Artifact>, String> {
    let mut config = Config::new(Config::default_data_dir(pipeline));
    config.compress_threads = 0; // "one per core", decided on the machine that runs it
    let mut bytes = serde_json::to_vec_pretty(&plan(pipeline, &config)).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    Ok(vec![Artifact { path: "local.json".into(), bytes, role: "local run configuration" }])
}
