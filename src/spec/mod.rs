//! Stage 1, `parse`: spec text → [`Spec`] (YAML with spans, `${VAR}` interpolation, the
//! `--env` overlay, then typed decoding). Problems come back as diagnostics, all of them.

mod decode;
mod interpolate;
pub mod keys;
pub mod model;
mod overlay;
pub(crate) mod reader;
pub mod units;
mod window_shape;

pub use model::*;

use crate::diagnostic::Diagnostic;

/// What the parse needs from outside the file.
pub struct Options<'a> {
    /// The environment overlay to apply (`--env NAME`).
    pub env: Option<&'a str>,
    /// Looks up `${VAR}` values (the process environment in the CLI).
    pub vars: &'a dyn Fn(&str) -> Option<String>,
}

impl Options<'_> {
    /// Options reading variables from the process environment.
    #[must_use]
    pub fn from_env(env: Option<&str>) -> Options<'_> {
        Options { env, vars: &|name| std::env::var(name).ok() }
    }
}

/// Parses a spec. The spec is `None` when a required part is missing or unreadable; the
/// diagnostics may hold errors even when a spec is returned.
#[must_use]
pub fn parse(text: &str, options: &Options<'_>) -> (Option<Spec>, Vec<Diagnostic>) {
    let mut root = match crate::yaml::parse(text) {
        Ok(root) => root,
        Err(diagnostics) => return (None, diagnostics),
    };
    let mut diagnostics = Vec::new();
    let environments = overlay::split(&mut root);
    let names = decode::environment_names(environments.as_ref(), &mut diagnostics);
    if let Some(env) = options.env
        && let Err(diagnostic) = overlay::apply(&mut root, environments.as_ref(), env)
    {
        diagnostics.push(diagnostic);
        return (None, diagnostics);
    }
    interpolate::interpolate(&mut root, options.vars, &mut diagnostics);
    let spec = decode::spec(&root, names, &mut diagnostics);
    (spec, diagnostics)
}
