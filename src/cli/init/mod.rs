//! `pipec init [--from EXAMPLE] [NAME]`: writes `NAME.yaml`, a commented starter spec (or a
//! copy of one of the bundled examples, renamed), after checking that it checks clean. Never
//! overwrites a file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::load::report;
use super::{Format, out};
use crate::frontend;
use crate::source::Source;

/// The commented starter spec; `{name}` and `{file}` are filled in.
const STARTER: &str = include_str!("starter.yaml");

/// The examples of the repository, bundled into the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Example {
    /// Bank transactions over 9000 flagged, stored and mailed (the reference pipeline).
    Transactions,
    /// Web checkout events, several topics, a webhook, per-environment overrides.
    Clickstream,
    /// Bursts of transactions per bank and minute (a windowed count rule).
    BankBursts,
}

impl Example {
    fn text(self) -> &'static str {
        match self {
            Example::Transactions => include_str!("../../../examples/transactions.yaml"),
            Example::Clickstream => include_str!("../../../examples/clickstream.yaml"),
            Example::BankBursts => include_str!("../../../examples/bank-bursts.yaml"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Example::Transactions => "transactions",
            Example::Clickstream => "clickstream",
            Example::BankBursts => "bank-bursts",
        }
    }
}

/// The spec text for `name`: the starter, or the example with its `name:` replaced and its
/// repository-relative schema comment dropped.
fn spec_text(name: &str, file: &str, from: Option<Example>) -> String {
    let Some(example) = from else {
        return STARTER.replace("{name}", name).replace("{file}", file);
    };
    let mut text = String::new();
    for line in example.text().lines() {
        if line.starts_with("# yaml-language-server:") {
            continue;
        }
        if line.starts_with("name:") {
            text.push_str(&format!("name: {name}\n"));
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// Exit 0 when written, 1 when the name makes the spec invalid (nothing written), 2 when the
/// file exists or cannot be written.
pub(super) fn init(name: Option<&str>, from: Option<Example>) -> ExitCode {
    let name = name.unwrap_or_else(|| from.map_or("pipeline", Example::name));
    let file = PathBuf::from(format!("{name}.yaml"));
    let text = spec_text(name, &file.display().to_string(), from);
    let vars = |_: &str| None;
    let checked = frontend::check_source(Source::new(file.display().to_string(), text.clone()), None, &vars);
    if checked.has_errors() {
        report(&checked.source, &checked.diagnostics, Format::Human);
        eprintln!("error: `{name}` does not make a valid spec (see above); nothing was written");
        return ExitCode::from(1);
    }
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    match written {
        Ok(()) => {
            out(&format!("wrote {0}; next: `pipec check {0}`, then `pipec run --local {0}`\n", file.display()));
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!("error: {} already exists; pick another NAME or move the file away", file.display());
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", file.display());
            ExitCode::from(2)
        }
    }
}
