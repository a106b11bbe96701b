//! `pipec check`: every diagnostic of a spec (and of each environment overlay), human or JSON.

use std::path::Path;
use std::process::ExitCode;

use super::Format;
use super::load::{load, report};

/// Exit 0 when no error (warnings allowed), 1 with errors, 2 when the file cannot be read.
pub(super) fn check(path: &Path, env: Option<&str>, format: Format) -> ExitCode {
    let checked = match load(path, env, format) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    if checked.diagnostics.is_empty() && format == Format::Human {
        eprintln!("{}: ok", checked.source.name());
    } else {
        report(&checked.source, &checked.diagnostics, format);
    }
    if checked.has_errors() { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
