//! Command-line interface: argument parsing and dispatch, one module per command. This layer
//! alone prints (see ARCHITECTURE.md): the stages return data (diagnostics, artifacts, runtime
//! events, `deploy`'s reports through `report::Terminal`) and the commands render it. Every command that reads a spec goes through [`load`]: load → report
//! (warnings too) → refuse on errors → lower.

mod build;
mod check;
mod explain;
mod graph;
mod init;
mod load;
mod lock;
mod plan;
mod replay;
#[cfg(feature = "aws")]
mod report;
mod run;
mod schema;
mod shell;
mod stack;
mod test;
mod view;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
pub enum Command {
    /// Parse and validate specs; report every problem at once (`FILE: ok` and the summary on
    /// stdout, diagnostics on stderr).
    Check {
        /// The spec files (`-` for stdin); several get one summary line.
        #[arg(required = true, num_args = 1..)]
        specs: Vec<PathBuf>,
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
        #[arg(long, value_parser = build::target_parser())]
        target: Target,
        /// Output directory (default `build/<target>`; `build/` then holds a `.gitignore` of `*`).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Apply the overrides of this environment.
        #[arg(long)]
        env: Option<String>,
        /// CloudFormation template format.
        #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
        format: TemplateFormat,
        /// `--target cfn`: every function's code inline in the template, so it deploys as it is
        /// (console, any tool) with nothing to upload; refused, naming the functions, when one
        /// is over CloudFormation's 4,096-character inline limit (then use `pipec deploy`).
        #[arg(long)]
        inline: bool,
    },
    /// Print the long explanation of a diagnostic code.
    Explain {
        /// A code such as `pipec::unknown_field` or `unknown_field`; none lists every code.
        code: Option<String>,
    },
    /// Draw the pipeline (or, with `--target`, the resources a target emits) as SVG, Mermaid or DOT.
    Graph(graph::GraphArgs),
    /// Print the JSON Schema of the spec language (for yaml-language-server and editors).
    Schema,
    /// Write a commented starter spec, `NAME.yaml`, that checks clean (never overwrites).
    Init {
        /// The pipeline's name, also the file name (default `pipeline`, or the example's name).
        name: Option<String>,
        /// Start from one of the bundled examples instead of the starter.
        #[arg(long, value_enum)]
        from: Option<init::Example>,
    },
    /// Print a shell completion script, e.g. `pipec completions bash > ~/.local/share/bash-completion/completions/pipec`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `pipec man > pipec.1 && man ./pipec.1`.
    Man,
    /// Estimate the capacity and monthly AWS cost of a spec for an expected traffic, e.g.
    /// `pipec plan SPEC --rate 2000/s` (an estimate: see its assumptions).
    Plan(plan::PlanArgs),
    /// Run the pipeline on this machine: durable log, rules, SQLite store, notifications,
    /// gzip archive (`pipec run --local SPEC`).
    Run(run::RunArgs),
    /// Run the spec's rules over the raw archive (a folder, or `s3://bucket/prefix`) and report
    /// per rule what they flag; `--against OLD_SPEC` shows what changed between two versions.
    Replay(Box<replay::ReplayArgs>),
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
    /// Pin the connector jars of a `hot.engine: flink` spec: download each from the Maven
    /// repository, check it against the repository's published `.sha512` (else `.sha1`) and
    /// write its SHA-512 to `pipec.lock` beside the spec, which `deploy` checks every jar against.
    Lock {
        /// The spec file (`-` for stdin: the lock goes in the working folder).
        spec: PathBuf,
        /// Apply the overrides of this environment.
        #[arg(long)]
        env: Option<String>,
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
    View(view::ViewArgs),
    /// Run a spec's test cases (events in, expected flags, rows, alerts, dead letters and window
    /// decisions out), locally or through the generated Lambda handlers; `--record` writes one.
    Test(test::TestArgs),
}

/// Which stack, and how to reach AWS (deploy, diff, destroy, status).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(clap::Args)]
pub struct StackArgs {
    /// Name of the stack.
    #[arg(long)]
    pub stack: String,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Longest time each wait may take (change set, stack operation), e.g. `90s`, `30m`.
    #[arg(long, default_value = "30m", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,
}

/// Where and as whom the AWS commands (the stack commands, view) call AWS.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(clap::Args)]
pub struct AwsArgs {
    /// AWS region (default: `AWS_REGION`, then the profile's region).
    #[arg(long)]
    pub region: Option<String>,
    /// Named profile from the AWS config files (default: `AWS_PROFILE`, then `default`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Endpoint to call instead of AWS (e.g. a local emulator); `AWS_ENDPOINT_URL` works too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
}

#[cfg(feature = "aws")]
impl AwsArgs {
    /// The connection to AWS, with `timeout` for each wait.
    fn connection(&self, timeout: std::time::Duration) -> crate::deploy::Connection {
        crate::deploy::Connection {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            timeout,
            report: std::sync::Arc::new(report::Terminal),
        }
    }
}

/// How the template is built and parameterised (deploy, diff).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(clap::Args)]
pub struct TemplateArgs {
    /// Apply the overrides of this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// A stack parameter, `KEY=VALUE` (repeatable); others take the template's defaults.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// S3 bucket for Lambda code assets and templates over 51,200 bytes (keys under `pipec/`).
    /// Default: the bucket the stack was last deployed with, else the pipec-managed assets
    /// bucket of the account and region (stack `pipec-assets`, made by the first deploy).
    #[arg(long)]
    pub artifact_bucket: Option<String>,
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
        Command::Check { specs, env, format } => check::check(&specs, env.as_deref(), format),
        Command::Build { spec, target, out, env, format, inline } => {
            let default = out.is_none();
            let out = out.unwrap_or_else(|| PathBuf::from(build::DEFAULT_DIR).join(target.name()));
            build::build(&spec, target, &out, env.as_deref(), format == TemplateFormat::Yaml, default, inline)
        }
        Command::Init { name, from } => init::init(name.as_deref(), from),
        Command::Completions { shell } => shell::completions(shell),
        Command::Man => shell::man(),
        Command::Explain { code } => explain::explain(code.as_deref()),
        Command::Plan(args) => plan::plan(&args),
        Command::Run(args) => run::run(&args),
        Command::Replay(args) => replay::replay(&args),
        Command::Schema => schema::schema(),
        Command::Graph(args) => graph::graph(&args),
        command
        @ (Command::Deploy { .. } | Command::Diff { .. } | Command::Destroy { .. } | Command::Status { .. }) => {
            stack::stack(command)
        }
        Command::Lock { spec, env } => lock::lock(&spec, env.as_deref()),
        Command::View(args) => view::view(&args),
        Command::Test(args) => test::test(&args),
    }
}

/// Writes to stdout; a closed pipe (`pipec explain | head`) ends the output quietly instead of
/// panicking like `println!`.
fn out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
