//! `pipec test`: a spec's own test cases. A test file (YAML, read with spans) lists cases:
//! input events and what must happen to them — which rules flag which events, the stored rows,
//! the alerts per topic, the dead letters with their reasons, the window decisions. A case is
//! run on a target (the local evaluation, which decides exactly as `pipec run --local` does,
//! or the generated Lambda handlers under moto), and what happened ([`Outcome`]) is compared
//! with the expectations: each failure is a diagnostic on the expectation it breaks.
//!
//! Stages: [`read`] (text → [`TestFile`], every problem at once) → [`evaluate`] (cases →
//! outcomes) → [`compare`] (→ failures). [`record`] writes a test file from events and what
//! the spec decides on them today. Nothing here prints.

mod compare;
mod discover;
mod lambda;
mod local;
pub mod model;
mod outcome;
mod read;
mod record;
mod value;
mod yaml_out;

use std::path::PathBuf;

pub use compare::{Failure, compare};
pub use discover::default_files;
pub use lambda::{DRIVER, LambdaError};
pub use model::{Case, TestFile};
pub use outcome::{Alert, Outcome, Window};
pub use read::{DEFAULT_NOW, read};
pub use record::record;

use crate::ir::Pipeline;

/// Where test cases run.
#[derive(Clone, Debug)]
pub enum Target {
    /// The local evaluation: the decisions `pipec run --local` makes.
    Local,
    /// The generated Lambda handlers (CloudFormation build) under moto, with this Python.
    Lambda { python: PathBuf },
}

/// What every case did on `target`, in order.
///
/// # Errors
/// Only the Lambda target fails as a whole (Python or moto missing, the driver failed).
pub fn evaluate(pipeline: &Pipeline, cases: &[&Case], target: &Target) -> Result<Vec<Outcome>, LambdaError> {
    match target {
        Target::Local => Ok(cases.iter().map(|c| local::evaluate(pipeline, c)).collect()),
        Target::Lambda { python } => lambda::evaluate(pipeline, cases, python),
    }
}
