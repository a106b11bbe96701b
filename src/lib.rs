//! pipec: a compiler for real-time streaming pipelines.
//!
//! Stages: [`spec::parse`] (YAML → `Spec`), [`check`] (all diagnostics), [`lower`]
//! (→ `ir::Pipeline`), [`target`] (→ files), [`runtime`] (local run).

pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod expr;
pub mod frontend;
pub mod schema;
pub mod source;
pub mod spec;
pub mod yaml;

pub use cli::run;
pub mod ir;
pub mod target;
