//! `pipec graph`: check and lower a spec, build its diagram (the pipeline, or with `--target`
//! the resources that target emits) and print it, or write it to `-o FILE`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use super::load::lowered;
use crate::graph::{self, Format};
use crate::target::Target;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// SVG drawn by pipec (no Graphviz needed).
    Svg,
    /// A Mermaid flowchart (GitHub renders it in Markdown).
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

#[derive(clap::Args)]
pub struct GraphArgs {
    /// The spec file (`-` for stdin).
    spec: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
    format: GraphFormat,
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Draw the concrete resources this target emits (read from its generated files) instead
    /// of the pipeline.
    #[arg(long, value_parser = super::build::target_parser())]
    target: Option<Target>,
    /// Apply the overrides of this environment.
    #[arg(long)]
    env: Option<String>,
}

/// The diagram of the spec at `path` in `format`, rendered as text (for `run`'s viewer too).
/// `Err` holds the exit code (diagnostics were printed).
pub(super) fn diagram(
    path: &Path,
    env: Option<&str>,
    target: Option<Target>,
    format: Format,
) -> Result<String, ExitCode> {
    let pipeline = lowered(path, env, "no graph was drawn")?;
    let g = match target {
        None => graph::logical(&pipeline),
        Some(target) => graph::resources(target, &pipeline).map_err(|message| {
            eprintln!(
                "error: internal error while reading the {} target's files (please report it): {message}",
                target.name()
            );
            ExitCode::from(2)
        })?,
    };
    Ok(graph::render(&g, format))
}

/// Exit 0 when drawn, 1 with errors in the spec, 2 when the file cannot be written.
pub(super) fn graph(args: &GraphArgs) -> ExitCode {
    let format = match args.format {
        GraphFormat::Svg => Format::Svg,
        GraphFormat::Mermaid => Format::Mermaid,
        GraphFormat::Dot => Format::Dot,
    };
    let text = match diagram(&args.spec, args.env.as_deref(), args.target, format) {
        Ok(text) => text,
        Err(code) => return code,
    };
    match &args.out {
        None => {
            super::out(&text);
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(path, &text) {
            Ok(()) => {
                eprintln!("wrote {} ({} bytes)", path.display(), text.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                ExitCode::from(2)
            }
        },
    }
}
