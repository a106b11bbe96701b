//! Command-line interface: argument parsing and dispatch. Only this module prints.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostic::render::{self, Style};
use crate::diagnostic::{Code, Diagnostic};
use crate::frontend::{self, Checked};
use crate::source::Source;
use crate::target::Target;

#[derive(Parser)]
#[command(
    name = "pipec",
    version,
    about = "Compile streaming pipeline specs to CloudFormation, Terraform or a local run"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    Json,
    Yaml,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and validate a spec; report every problem at once.
    Check {
        /// The spec file (`-` for stdin).
        spec: PathBuf,
        /// Apply the overrides of this environment (`environments:` in the spec).
        #[arg(long)]
        env: Option<String>,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Lower a spec to a target's files (deterministic: same input, same bytes).
    Build {
        /// The spec file (`-` for stdin).
        spec: PathBuf,
        /// What to generate.
        #[arg(long, value_enum)]
        target: Target,
        /// Output directory (default `build/<target>`).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Apply the overrides of this environment.
        #[arg(long)]
        env: Option<String>,
        /// CloudFormation template format.
        #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
        format: TemplateFormat,
    },
    /// Print the long explanation of a diagnostic code.
    Explain {
        /// A code such as `pipec::unknown_field` or `unknown_field`.
        code: String,
    },
    /// Print the JSON Schema of the spec language (for yaml-language-server and editors).
    Schema,
}

/// Parses the arguments, runs the command and returns the process exit code:
/// 0 success (warnings allowed), 1 errors in the spec, 2 usage or I/O errors.
#[must_use]
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { spec, env, format } => check(&spec, env.as_deref(), format),
        Command::Build { spec, target, out, env, format } => {
            let out = out.unwrap_or_else(|| PathBuf::from("build").join(target_dir(target)));
            build(&spec, target, &out, env.as_deref(), format == TemplateFormat::Yaml)
        }
        Command::Explain { code } => explain(&code),
        Command::Schema => {
            println!("{}", crate::schema::json());
            ExitCode::SUCCESS
        }
    }
}

fn style() -> Style {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
    Style { color, width }
}

/// Prints diagnostics in the chosen format: human to stderr, JSON to stdout.
fn report(source: &Source, diagnostics: &[Diagnostic], format: Format) {
    match format {
        Format::Human => {
            let _ = write!(std::io::stderr(), "{}", render::human(source, diagnostics, style()));
        }
        Format::Json => println!("{}", render::json(source, diagnostics)),
    }
}

/// Loads and checks a spec, printing diagnostics. `Err` holds the exit code to stop with.
pub(crate) fn load(path: &std::path::Path, env: Option<&str>, format: Format) -> Result<Checked, ExitCode> {
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

fn check(path: &std::path::Path, env: Option<&str>, format: Format) -> ExitCode {
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

fn explain(code: &str) -> ExitCode {
    match Code::find(code) {
        Some(code) => {
            println!("{}\n\n{}", code.as_str(), code.explain());
            ExitCode::SUCCESS
        }
        None => {
            let names = Code::ALL.iter().map(|c| c.name());
            let hint = crate::diagnostic::did_you_mean(code.strip_prefix("pipec::").unwrap_or(code), names)
                .map_or_else(String::new, |c| format!(" (did you mean `pipec::{c}`?)"));
            eprintln!("error: unknown diagnostic code `{code}`{hint}");
            ExitCode::from(2)
        }
    }
}

fn target_dir(target: Target) -> &'static str {
    match target {
        Target::Cfn => "cfn",
        Target::Terraform => "terraform",
        Target::Local => "local",
    }
}

/// Checks, lowers and emits; prints warnings, writes the files, lists them.
fn build(path: &std::path::Path, target: Target, out: &std::path::Path, env: Option<&str>, yaml: bool) -> ExitCode {
    let checked = match load(path, env, Format::Human) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    if !checked.diagnostics.is_empty() {
        report(&checked.source, &checked.diagnostics, Format::Human);
    }
    let (false, Some(spec)) = (checked.has_errors(), checked.spec.as_ref()) else {
        eprintln!("error: nothing was built: fix the errors above first");
        return ExitCode::from(1);
    };
    let artifacts = crate::ir::lower(spec)
        .and_then(|pipeline| crate::target::emit(target, &pipeline, crate::target::Options { yaml }));
    let artifacts = match artifacts {
        Ok(artifacts) => artifacts,
        Err(message) => {
            eprintln!("error: internal error while building (please report it): {message}");
            return ExitCode::from(2);
        }
    };
    match crate::target::write(out, &artifacts) {
        Ok(()) => {
            for artifact in &artifacts {
                eprintln!(
                    "wrote {} ({}, {} bytes)",
                    out.join(&artifact.path).display(),
                    artifact.role,
                    artifact.bytes.len()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write to {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}
