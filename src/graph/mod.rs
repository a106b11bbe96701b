//! `pipec graph`: the pipeline as a diagram. [`logical`] reads the IR (producers → stream →
//! rules → store, viewer, topics, and the cold path); [`resources`] reads the files a target
//! emitter really wrote (the CloudFormation template, Terraform's `main.tf`, the local run
//! plan), so the diagram of a target cannot drift from what it deploys. Both give a [`Graph`];
//! [`render`] turns it into SVG (laid out here, see [`layout`]), Mermaid or DOT. Returns text,
//! prints nothing.

mod cfn;
mod dot;
pub mod layout;
mod local;
mod logical;
mod mermaid;
pub mod metrics;
mod model;
mod svg;
mod terraform;

pub use layout::{Layout, layout};
pub use logical::logical;
pub use model::{Cluster, Edge, Graph, Kind, Node};

use crate::ir::Pipeline;
use crate::target::{self, Options, Target};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Mermaid,
    Dot,
}

/// `g` in `format`.
#[must_use]
pub fn render(g: &Graph, format: Format) -> String {
    match format {
        Format::Svg => svg::svg(g),
        Format::Mermaid => mermaid::mermaid(g),
        Format::Dot => dot::dot(g),
    }
}

/// The concrete resources `target` emits for `p`, and their links.
///
/// # Errors
/// When the target cannot emit `p`, or its output cannot be read back (an internal error).
pub fn resources(target: Target, p: &Pipeline) -> Result<Graph, String> {
    let artifacts = target::emit(target, p, Options::default())?;
    let file = |path: &str| {
        artifacts
            .iter()
            .find(|a| a.path == path)
            .map(|a| a.bytes.as_slice())
            .ok_or_else(|| format!("the {} target wrote no {path}", target.name()))
    };
    let title = format!("pipeline {} on {}", p.name, target.name());
    match target {
        Target::Cfn => cfn::graph(&title, file("template.json")?),
        Target::Terraform => {
            let main = std::str::from_utf8(file("main.tf")?).map_err(|e| e.to_string())?;
            terraform::graph(&title, main)
        }
        Target::Local => local::graph(&title, file("local.json")?),
        Target::Flink => {
            Err("the flink target writes one SQL script, not resources to draw: leave out `--target` for the \
             pipeline's logical diagram"
                .to_owned())
        }
    }
}
