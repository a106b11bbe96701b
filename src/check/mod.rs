//! Stage 2, `check`: what the spec means — names resolve, platform limits hold, expressions
//! type-check. Every concern is one file; all of them run, and all problems come back sorted by
//! position. Nothing is lowered while an error remains.

mod alarms;
mod cold;
mod engine;
mod expressions;
mod limits;
mod names;
mod rules;
mod store;
mod stream;
mod topics;

pub use engine::{EngineName, engine_of};
pub use names::{is_identifier, logical_key};
pub use topics::is_local_url;

use crate::diagnostic::{self, Diagnostic};
use crate::spec::Spec;

/// Runs every check over a decoded spec.
#[must_use]
pub fn check(spec: &Spec) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    names::check(spec, &mut d);
    stream::check(spec, &mut d);
    rules::check(spec, &mut d);
    engine::check(spec, &mut d);
    expressions::check(spec, &mut d);
    store::check(spec, &mut d);
    limits::check(spec, &mut d);
    cold::check(spec, &mut d);
    topics::check(spec, &mut d);
    alarms::check(spec, &mut d);
    diagnostic::sort(&mut d);
    d
}
