//! The terminal side of [`crate::deploy::Report`]: results to stdout, progress and warnings to
//! stderr, and the confirmation question asked on stderr and answered on stdin.

use std::io::{BufRead, IsTerminal, Write};

use crate::deploy::Report;

/// Writes what deploy reports to the terminal.
pub(super) struct Terminal;

impl Report for Terminal {
    fn result(&self, text: &str) {
        print!("{text}");
    }

    fn progress(&self, line: &str) {
        eprintln!("{line}");
    }

    fn warning(&self, line: &str) {
        eprintln!("{line}");
    }

    fn confirm(&self, question: &str) -> Result<bool, String> {
        if !std::io::stdin().is_terminal() {
            return Err("stdin is not a terminal, so nobody can confirm\nhelp: re-run with --yes to go ahead without \
                        asking"
                .to_owned());
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).map_err(|e| format!("cannot read the answer: {e}"))?;
        Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
    }
}
