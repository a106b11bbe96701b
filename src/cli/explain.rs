//! `pipec explain [CODE]`: the long text of a diagnostic code, or one line per code.

use std::process::ExitCode;

use super::out;
use crate::diagnostic::Code;

/// Exit 2 for an unknown code (with a suggestion).
pub(super) fn explain(code: Option<&str>) -> ExitCode {
    let Some(code) = code else {
        for code in Code::ALL {
            out(&format!("{:<36} {}\n", code.as_str(), first_sentence(code.explain())));
        }
        return ExitCode::SUCCESS;
    };
    if let Some(code) = Code::find(code) {
        out(&format!("{}\n\n{}\n", code.as_str(), code.explain()));
        ExitCode::SUCCESS
    } else {
        let names = Code::ALL.iter().map(|c| c.name());
        let hint = crate::diagnostic::did_you_mean(code.strip_prefix("pipec::").unwrap_or(code), names)
            .map_or_else(String::new, |c| format!(" (did you mean `pipec::{c}`?)"));
        eprintln!("error: unknown diagnostic code `{code}`{hint}; `pipec explain` lists every code");
        ExitCode::from(2)
    }
}

/// The first sentence of a long text, on one line.
fn first_sentence(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.find(". ") {
        Some(end) => joined[..=end].to_string(),
        None => joined,
    }
}
