//! `pipec check`: every diagnostic of one or more specs (and of each environment overlay),
//! human or JSON. Results (`FILE: ok`, the summary, JSON reports) go to stdout; human
//! diagnostics go to stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use super::load::{load, report};
use super::{Format, out};

/// Checks every file; one summary line when there are several. Exit 0 when no file has an
/// error (warnings allowed), 1 when one has errors, 2 when one cannot be read (the worst wins).
pub(super) fn check(paths: &[PathBuf], env: Option<&str>, format: Format) -> ExitCode {
    let (mut clean, mut with_errors, mut unreadable) = (0usize, 0usize, 0usize);
    for path in paths {
        let checked = match load(path, env, format) {
            Ok(checked) => checked,
            Err(code) => {
                if code == ExitCode::from(2) {
                    unreadable += 1;
                } else {
                    with_errors += 1;
                }
                continue;
            }
        };
        if checked.diagnostics.is_empty() && format == Format::Human {
            out(&format!("{}: ok\n", checked.source.name()));
        } else {
            report(&checked.source, &checked.diagnostics, format);
        }
        if checked.has_errors() {
            with_errors += 1;
        } else {
            clean += 1;
        }
    }
    if paths.len() > 1 && format == Format::Human {
        out(&format!("{}\n", summary(paths.len(), clean, with_errors, unreadable)));
    }
    if unreadable > 0 {
        ExitCode::from(2)
    } else if with_errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `checked 3 specs: 2 without errors, 1 with errors, 0 unreadable` (zero parts left out).
fn summary(total: usize, clean: usize, with_errors: usize, unreadable: usize) -> String {
    let mut parts = vec![format!("{clean} without errors")];
    if with_errors > 0 {
        parts.push(format!("{with_errors} with errors"));
    }
    if unreadable > 0 {
        parts.push(format!("{unreadable} unreadable"));
    }
    format!("checked {total} specs: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summary_names_only_the_parts_that_happened() {
        assert_eq!(summary(2, 2, 0, 0), "checked 2 specs: 2 without errors");
        assert_eq!(summary(4, 1, 2, 1), "checked 4 specs: 1 without errors, 2 with errors, 1 unreadable");
    }
}
