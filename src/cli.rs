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
        /// A code such as `pipec::unknown_field` or `unknown_field`; none lists every code.
        code: Option<String>,
    },
    /// Print the JSON Schema of the spec language (for yaml-language-server and editors).
    Schema,
    /// Run the pipeline on this machine: durable log, rules, SQLite store, notifications,
    /// gzip archive (`pipec run --local SPEC`).
    Run(crate::runtime::command::RunArgs),
    /// Deploy a spec as a stack through a change set: diff, confirm, execute, follow.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    Deploy {
        /// The spec file (`-` for stdin).
        spec: PathBuf,
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        template: TemplateArgs,
        /// Execute without asking (needed when stdin is not a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Show what `deploy` would change in a stack (through a change set that is then deleted).
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    Diff {
        /// The spec file (`-` for stdin).
        spec: PathBuf,
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        template: TemplateArgs,
    },
    /// Delete a stack (resources with a Retain policy are kept and listed).
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    Destroy {
        #[command(flatten)]
        stack: StackArgs,
        /// Delete without asking (needed when stdin is not a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Show a stack's status and outputs.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    Status {
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Open a stack's viewer through a local proxy on 127.0.0.1 that signs requests with your
    /// AWS credentials (the viewer's function URL uses IAM auth, which a browser cannot sign).
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    View(ViewArgs),
}

/// What `pipec view` shows and how it reaches AWS.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(clap::Args)]
struct ViewArgs {
    /// The stack whose viewer to open (its `ViewerUrl` output).
    #[arg(long, required_unless_present = "url", conflicts_with = "url")]
    stack: Option<String>,
    /// A function URL to open instead of a stack's viewer.
    #[arg(long)]
    url: Option<String>,
    /// AWS region (default: `AWS_REGION`, then the profile's region).
    #[arg(long)]
    region: Option<String>,
    /// Named profile from the AWS config files (default: `AWS_PROFILE`, then `default`).
    #[arg(long)]
    profile: Option<String>,
    /// Endpoint to call instead of AWS (e.g. a local emulator); `AWS_ENDPOINT_URL` works too.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Local port of the proxy (default: a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Also launch the default browser on the printed URL.
    #[arg(long)]
    open: bool,
}

/// Which stack, and how to reach AWS (deploy, diff, destroy, status).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(clap::Args)]
struct StackArgs {
    /// Name of the stack.
    #[arg(long)]
    stack: String,
    /// AWS region (default: `AWS_REGION`, then the profile's region).
    #[arg(long)]
    region: Option<String>,
    /// Named profile from the AWS config files (default: `AWS_PROFILE`, then `default`).
    #[arg(long)]
    profile: Option<String>,
    /// Endpoint to call instead of AWS (e.g. a local emulator); `AWS_ENDPOINT_URL` works too.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Longest time each wait may take (change set, stack operation), e.g. `90s`, `30m`.
    #[arg(long, default_value = "30m", value_parser = parse_timeout)]
    timeout: std::time::Duration,
}

/// How the template is built and parameterised (deploy, diff).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(clap::Args)]
struct TemplateArgs {
    /// Apply the overrides of this environment.
    #[arg(long)]
    env: Option<String>,
    /// A stack parameter, `KEY=VALUE` (repeatable); others take the template's defaults.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// S3 bucket for Lambda code assets and templates over 51,200 bytes (keys under `pipec/`).
    /// Default: the bucket the stack was last deployed with, else the pipec-managed assets
    /// bucket of the account and region (stack `pipec-assets`, made by the first deploy).
    #[arg(long)]
    artifact_bucket: Option<String>,
}

fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    match crate::spec::units::Duration::parse(text) {
        Some(d) if d.0 > 0 => Ok(std::time::Duration::from_millis(d.0)),
        _ => Err("expected a positive duration with a unit, such as `90s`, `30m` or `1h`".into()),
    }
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err("expected KEY=VALUE".into()),
    }
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
        Command::Explain { code: Some(code) } => explain(&code),
        Command::Explain { code: None } => {
            for code in Code::ALL {
                out(&format!("{:<36} {}\n", code.as_str(), first_sentence(code.explain())));
            }
            ExitCode::SUCCESS
        }
        Command::Run(args) => crate::runtime::command::run(&args),
        Command::Schema => {
            out(&format!("{}\n", crate::schema::json()));
            ExitCode::SUCCESS
        }
        command @ (Command::Deploy { .. }
        | Command::Diff { .. }
        | Command::Destroy { .. }
        | Command::Status { .. }
        | Command::View(_)) => aws(command),
    }
}

/// deploy / diff / destroy / status: exit 0 done, 1 failed or refused, 2 usage or configuration.
#[cfg(feature = "aws")]
fn aws(command: Command) -> ExitCode {
    use crate::deploy;
    let connection = |s: &StackArgs| deploy::Connection {
        region: s.region.clone(),
        profile: s.profile.clone(),
        endpoint_url: s.endpoint_url.clone(),
        timeout: s.timeout,
    };
    let result = match command {
        Command::Deploy { spec, stack, template, yes } => lowered(&spec, template.env.as_deref()).map(|pipeline| {
            let request = deploy::Request {
                pipeline: &pipeline,
                stack: &stack.stack,
                params: &template.params,
                artifact_bucket: template.artifact_bucket.as_deref(),
            };
            deploy::deploy(&connection(&stack), &request, yes)
        }),
        Command::Diff { spec, stack, template } => lowered(&spec, template.env.as_deref()).map(|pipeline| {
            let request = deploy::Request {
                pipeline: &pipeline,
                stack: &stack.stack,
                params: &template.params,
                artifact_bucket: template.artifact_bucket.as_deref(),
            };
            deploy::diff(&connection(&stack), &request)
        }),
        Command::Destroy { stack, yes } => Ok(deploy::destroy(&connection(&stack), &stack.stack, yes)),
        Command::Status { stack } => Ok(deploy::status(&connection(&stack), &stack.stack)),
        Command::View(v) => {
            let c = deploy::Connection {
                region: v.region,
                profile: v.profile,
                endpoint_url: v.endpoint_url,
                timeout: std::time::Duration::from_mins(1),
            };
            let viewed = match (&v.stack, &v.url) {
                (Some(stack), _) => deploy::Viewed::Stack(stack),
                (None, url) => deploy::Viewed::Url(url.as_deref().unwrap_or_default()),
            };
            Ok(deploy::view(&c, &viewed, v.port, v.open))
        }
        _ => unreachable!("only the AWS commands are dispatched here"),
    };
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
        Err(code) => code,
    }
}

#[cfg(not(feature = "aws"))]
fn aws(_: Command) -> ExitCode {
    eprintln!(
        "error: this pipec was built without AWS support (cargo feature `aws`), so deploy, diff, destroy, \
         status and view are unavailable\nhelp: rebuild with the default features (`cargo build`, or `cargo install pipec` \
         without `--no-default-features`); `pipec build --target cfn` writes a template to deploy by other means"
    );
    ExitCode::from(2)
}

/// Checks and lowers a spec for deploy/diff; prints its diagnostics. `Err` holds the exit code.
#[cfg(feature = "aws")]
fn lowered(path: &std::path::Path, env: Option<&str>) -> Result<crate::ir::Pipeline, ExitCode> {
    let checked = load(path, env, Format::Human)?;
    if !checked.diagnostics.is_empty() {
        report(&checked.source, &checked.diagnostics, Format::Human);
    }
    let (false, Some(spec)) = (checked.has_errors(), checked.spec.as_ref()) else {
        eprintln!("error: nothing was deployed: fix the errors above first");
        return Err(ExitCode::from(1));
    };
    crate::ir::lower(spec).map_err(|message| {
        eprintln!("error: internal error while lowering the spec (please report it): {message}");
        ExitCode::from(2)
    })
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
        Format::Json => out(&format!("{}\n", render::json(source, diagnostics))),
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

/// Writes to stdout; a closed pipe (`pipec explain | head`) ends the output quietly instead of
/// panicking like `println!`.
fn out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The first sentence of a long text, on one line.
fn first_sentence(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.find(". ") {
        Some(end) => joined[..=end].to_string(),
        None => joined,
    }
}

fn explain(code: &str) -> ExitCode {
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
