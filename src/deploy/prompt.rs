//! Asking before changing anything: only a person at a terminal (or `--yes`) can say yes.

use std::io::{BufRead, IsTerminal, Write};

use super::error::Error;

/// Proceeds when `yes`; otherwise asks `question` on the terminal. Refuses (an error, exit 1)
/// when stdin is not a terminal or the answer is not yes; `refusal` says what was not done.
pub(crate) fn confirm(question: &str, yes: bool, refusal: &str) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::failed(format!(
            "{refusal}: stdin is not a terminal, so nobody can confirm\nhelp: re-run with --yes to go ahead without \
             asking"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::failed(format!("{refusal}: cannot read the answer: {e}")))?;
    if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Error::failed(format!("{refusal}: not confirmed")))
    }
}
