//! `pipec completions SHELL` and `pipec man`: shell completion scripts (clap_complete) and a
//! roff man page (clap_mangen), both generated from the same argument definitions as `--help`.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, out};

/// Prints the completion script for `shell` on stdout.
pub(super) fn completions(shell: Shell) -> ExitCode {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pipec", &mut buf);
    out(&String::from_utf8_lossy(&buf));
    ExitCode::SUCCESS
}

/// Prints the man page (roff, section 1) on stdout: `pipec man > pipec.1`.
pub(super) fn man() -> ExitCode {
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut buf) {
        eprintln!("error: cannot render the man page: {e}");
        return ExitCode::from(2);
    }
    out(&String::from_utf8_lossy(&buf));
    ExitCode::SUCCESS
}
