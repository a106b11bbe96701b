//! pipec: a compiler for real-time streaming pipelines.
//!
//! Stages: [`spec::parse`] (YAML → `Spec`), [`check::check`] (all diagnostics),
//! [`ir::lower`] (→ `ir::Pipeline`), then a back end: [`target::emit`] (→ files) or
//! [`runtime`] (`pipec run --local`); `frontend` runs the first two for every command; `cli`
//! alone prints: the runtime reports through its events and `deploy` through `deploy::Report`
//! (with the `aws` feature), which the CLI renders. `ARCHITECTURE.md` lists what each stage owns
//! and which imports are allowed.

pub mod alert;
pub mod check;
pub mod cli;
#[cfg(feature = "aws")]
pub mod deploy;
pub mod diagnostic;
pub mod estimate;
pub mod expr;
pub mod frontend;
pub mod graph;
pub mod ir;
pub mod limits;
pub mod replay;
pub mod runtime;
pub mod schema;
pub mod source;
pub mod spec;
pub mod spectest;
pub mod target;
pub mod yaml;

pub use cli::run;
