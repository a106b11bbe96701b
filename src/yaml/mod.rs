//! A YAML document as a tree of spanned nodes, built from saphyr-parser's event stream.
//!
//! Why not typed serde straight away: serde stops at the first error, and pipec reports every
//! problem at once. This layer keeps a byte span on every node and refuses, up front, what no
//! spec needs: several documents, tags, complex keys, duplicate keys, deep nesting and alias
//! expansion beyond a budget (billion laughs). The tree is then decoded by `spec::decode`.

mod build;
mod node;

pub use build::{MAX_DEPTH, MAX_NODES, parse};
pub use node::{Entry, Node, NodeKind, ScalarStyle, map_span};
