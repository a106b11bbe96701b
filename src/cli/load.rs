//! The one path every command that reads a spec takes: load (read, parse, check) → report
//! every diagnostic, warnings included → refuse on errors → lower. Also how diagnostics are
//! printed: human to stderr (colour and width from the terminal), JSON to stdout.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use super::{Format, out};
use crate::diagnostic::render::{self, Style};
use crate::diagnostic::{Code, Diagnostic};
use crate::frontend::{self, Checked};
use crate::ir::Pipeline;
use crate::source::Source;

/// Colour when stderr is a terminal and `NO_COLOR` is unset; width from `COLUMNS` (default 100).
fn style() -> Style {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
    Style { color, width }
}

/// Prints diagnostics in the chosen format: human to stderr, JSON to stdout.
pub(super) fn report(source: &Source, diagnostics: &[Diagnostic], format: Format) {
    match format {
        Format::Human => {
            let _ = write!(std::io::stderr(), "{}", render::human(source, diagnostics, style()));
        }
        Format::Json => out(&format!("{}\n", render::json(source, diagnostics))),
    }
}

/// Loads and checks a spec; a spec that cannot be read or parsed at all is reported here.
/// `Err` holds the exit code to stop with (2 for I/O, 1 otherwise).
pub(super) fn load(path: &Path, env: Option<&str>, format: Format) -> Result<Checked, ExitCode> {
    match frontend::load(path, env) {
        Ok(checked) => Ok(checked),
        Err((source, diagnostic)) => {
            let fatal_io = diagnostic.code == Code::Io;
            let source = source.unwrap_or_else(|| Source::new(path.display().to_string(), ""));
            report(&source, &[diagnostic], format);
            Err(ExitCode::from(if fatal_io { 2 } else { 1 }))
        }
    }
}

/// Loads, reports every diagnostic (warnings too), refuses when one is an error (printing
/// `error: {refusal}: fix the errors above first`, exit 1) and lowers the spec.
pub(super) fn lowered(path: &Path, env: Option<&str>, refusal: &str) -> Result<Pipeline, ExitCode> {
    let checked = load(path, env, Format::Human)?;
    if !checked.diagnostics.is_empty() {
        report(&checked.source, &checked.diagnostics, Format::Human);
    }
    let (false, Some(spec)) = (checked.has_errors(), checked.spec.as_ref()) else {
        eprintln!("error: {refusal}: fix the errors above first");
        return Err(ExitCode::from(1));
    };
    crate::ir::lower(spec).map_err(|message| {
        eprintln!("error: internal error while lowering the spec (please report it): {message}");
        ExitCode::from(2)
    })
}
