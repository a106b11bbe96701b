//! Graphviz DOT (`dot -Tsvg`): left to right, clusters as `subgraph cluster_N`, node ids
//! `n0`, `n1` … from positions. User text only appears in double-quoted strings with `\` and
//! `"` escaped and line breaks written as `\l` ends (left-aligned lines), so a name can neither
//! end its string nor start an escape of its own.

use std::fmt::Write as _;

use super::model::{Graph, Kind};

/// `g` as a DOT digraph.
#[must_use]
pub fn dot(g: &Graph) -> String {
    let mut s = String::from("digraph pipeline {\n");
    let _ = writeln!(s, "  label=\"{}\";", quote(&g.title));
    s.push_str("  labelloc=t;\n  rankdir=LR;\n  fontname=\"DejaVu Sans\";\n");
    s.push_str(
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"DejaVu Sans\", fontsize=11];\n",
    );
    s.push_str("  edge [fontname=\"DejaVu Sans\", fontsize=10];\n");
    let node = |s: &mut String, i: usize, indent: &str| {
        let n = &g.nodes[i];
        let mut label = quote(&n.title) + "\\l";
        for line in &n.lines {
            label.push_str(&quote(line));
            label.push_str("\\l");
        }
        let shape = match n.kind {
            Kind::Store | Kind::Archive => ", shape=cylinder",
            Kind::Stream | Kind::Topic => ", shape=box, style=\"rounded,filled,bold\"",
            _ => "",
        };
        let _ = writeln!(s, "{indent}n{i} [label=\"{label}\"{shape}];");
    };
    for (c, cluster) in g.clusters.iter().enumerate() {
        let _ = writeln!(s, "  subgraph cluster_{c} {{\n    label=\"{}\";\n    style=rounded;", quote(&cluster.label));
        for i in (0..g.nodes.len()).filter(|&i| g.nodes[i].cluster == Some(c)) {
            node(&mut s, i, "    ");
        }
        s.push_str("  }\n");
    }
    for i in (0..g.nodes.len()).filter(|&i| g.nodes[i].cluster.is_none()) {
        node(&mut s, i, "  ");
    }
    for e in &g.edges {
        match &e.label {
            Some(label) => {
                let _ = writeln!(s, "  n{} -> n{} [label=\"{}\"];", e.from, e.to, quote(label));
            }
            None => {
                let _ = writeln!(s, "  n{} -> n{};", e.from, e.to);
            }
        }
    }
    s.push_str("}\n");
    s
}

/// Text for inside a DOT double-quoted string: `\` and `"` escaped, line breaks as `\n`,
/// other control characters dropped.
#[must_use]
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
