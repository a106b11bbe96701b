//! Mermaid (a `flowchart LR`, which GitHub renders in Markdown): clusters as subgraphs, ids
//! `n0`, `n1` … and `c0` … from positions. User text goes in quoted labels with every
//! character but letters, digits, spaces and harmless punctuation written as a Mermaid entity
//! (`#60;` for `<`), so no name can close a label, start markup or inject a directive.

use std::fmt::Write as _;

use super::model::{Graph, Kind};

/// `g` as a Mermaid flowchart.
#[must_use]
pub fn mermaid(g: &Graph) -> String {
    let mut s = String::from("flowchart LR\n");
    let node = |s: &mut String, i: usize, indent: &str| {
        let n = &g.nodes[i];
        let mut parts = vec![format!("<b>{}</b>", escape(&n.title))];
        parts.extend(n.lines.iter().map(|l| escape(l)));
        let (open, close) = match n.kind {
            Kind::Stream | Kind::Topic => ("([", "])"),
            Kind::Store | Kind::Archive => ("[(", ")]"),
            Kind::Rule | Kind::Source | Kind::Subscriber | Kind::Viewer | Kind::Resource => ("[", "]"),
        };
        let _ = writeln!(s, "{indent}n{i}{open}\"{}\"{close}", parts.join("<br/>"));
    };
    for (c, cluster) in g.clusters.iter().enumerate() {
        let _ = writeln!(s, "  subgraph c{c}[\"{}\"]", escape(&cluster.label));
        for i in (0..g.nodes.len()).filter(|&i| g.nodes[i].cluster == Some(c)) {
            node(&mut s, i, "    ");
        }
        s.push_str("  end\n");
    }
    for i in (0..g.nodes.len()).filter(|&i| g.nodes[i].cluster.is_none()) {
        node(&mut s, i, "  ");
    }
    for e in &g.edges {
        match &e.label {
            Some(label) => {
                let _ = writeln!(s, "  n{} -->|\"{}\"| n{}", e.from, escape(label), e.to);
            }
            None => {
                let _ = writeln!(s, "  n{} --> n{}", e.from, e.to);
            }
        }
    }
    s
}

/// Label text: letters, digits, space and `.,:/()_-+=@` as they are, anything else as `#N;`.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || matches!(c, ' ' | '.' | ',' | ':' | '/' | '(' | ')' | '_' | '-' | '+' | '=' | '@') {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}
