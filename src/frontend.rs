//! The front end every command shares: read → parse → check, over the base spec and, when no
//! `--env` is chosen, over every environment overlay too (so `pipec check` finds a mistake in
//! `environments.prod` without being asked for `prod`).

use std::path::Path;

use crate::diagnostic::{self, Diagnostic};
use crate::source::Source;
use crate::spec::{self, Options, Spec};

/// A checked spec: the spec (when it could be decoded) and every diagnostic.
pub struct Checked {
    pub source: Source,
    pub spec: Option<Spec>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.spec.is_none() || self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and checks a spec file.
///
/// # Errors
/// When the file cannot be read at all (the diagnostic and whatever text could be shown).
pub fn load(path: &Path, env: Option<&str>) -> Result<Checked, (Option<Source>, Diagnostic)> {
    let source = Source::read(path)?;
    let vars = |name: &str| std::env::var(name).ok();
    Ok(check_source(source, env, &vars))
}

/// Parses and checks a source text.
pub fn check_source(source: Source, env: Option<&str>, vars: &dyn Fn(&str) -> Option<String>) -> Checked {
    let (spec, mut diagnostics) = parse_and_check(source.text(), env, vars);
    if env.is_none() {
        let names: Vec<String> = spec.iter().flat_map(|s| &s.environments).map(|n| n.value.clone()).collect();
        for name in names {
            let (_, extra) = parse_and_check(source.text(), Some(&name), vars);
            for mut d in extra {
                if !diagnostics.iter().any(|x| x.code == d.code && x.span() == d.span() && x.message == d.message) {
                    d.message = format!("{} (with `--env {name}`)", d.message);
                    diagnostics.push(d);
                }
            }
        }
    }
    diagnostic::sort(&mut diagnostics);
    Checked { source, spec, diagnostics }
}

fn parse_and_check(
    text: &str,
    env: Option<&str>,
    vars: &dyn Fn(&str) -> Option<String>,
) -> (Option<Spec>, Vec<Diagnostic>) {
    let (spec, mut diagnostics) = spec::parse(text, &Options { env, vars });
    if let Some(spec) = &spec {
        diagnostics.extend(crate::check::check(spec));
        drop_untyped_field_cascades(&spec.stream.untyped, &mut diagnostics);
    }
    drop_interpolation_cascades(&mut diagnostics);
    (spec, diagnostics)
}

/// A record field whose type could not be read is reported where it is declared; "unknown
/// field" errors for its later uses follow from that one mistake and only distract.
fn drop_untyped_field_cascades(untyped: &[String], diagnostics: &mut Vec<Diagnostic>) {
    use crate::diagnostic::Code;
    diagnostics.retain(|d| {
        d.code != Code::UnknownRecordField || !untyped.iter().any(|name| d.message.contains(&format!("`{name}`")))
    });
}

/// A value whose `${...}` could not be resolved is reported once: later complaints about the
/// same value (an empty e-mail address, an odd name) follow from it and only distract.
fn drop_interpolation_cascades(diagnostics: &mut Vec<Diagnostic>) {
    use crate::diagnostic::Code;
    let causes: Vec<_> = diagnostics
        .iter()
        .filter(|d| matches!(d.code, Code::MissingVariable | Code::InvalidInterpolation))
        .map(Diagnostic::span)
        .collect();
    diagnostics.retain(|d| {
        matches!(d.code, Code::MissingVariable | Code::InvalidInterpolation)
            || !causes.iter().any(|c| d.span().start <= c.start && c.end <= d.span().end)
    });
}
