//! Expressions are checked once the expression module lands.
use crate::diagnostic::Diagnostic;
use crate::spec::Spec;
pub fn check(_spec: &Spec, _d: &mut Vec<Diagnostic>) {}
