//! SVG, drawn by pipec itself from [`layout`](super::layout): no Graphviz, no fonts, no
//! scripts, no `<style>` element (presentation attributes only, so a page with a strict
//! Content-Security-Policy can inline it). User text is XML-escaped; each node and edge has a
//! `<title>` (its full text) that browsers show as a tooltip.

use std::fmt::Write as _;

use super::layout::{self, FONT_SIZE, Layout, Segment, TITLE_SIZE, Text};
use super::metrics::FONT_FAMILY;
use super::model::{Graph, Kind};

/// Fill colours of the clusters, in order (then again).
const FILLS: [&str; 6] = ["#e8f1fb", "#fdf0e0", "#e9f6ec", "#f3eafa", "#fbe9ec", "#eef0f3"];
const INK: &str = "#1f2933";
const LINE: &str = "#52606d";

/// `g` as an SVG document.
#[must_use]
pub fn svg(g: &Graph) -> String {
    render(g, &layout::layout(g))
}

fn render(g: &Graph, layout: &Layout) -> String {
    let l = layout;
    let mut out = String::new();
    let s = &mut out;
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}" fill="{INK}">"#,
        w = l.width,
        h = l.height,
    );
    let _ = writeln!(s, "<title>{}</title>", escape(&g.title));
    let _ = writeln!(
        s,
        r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{LINE}"/></marker></defs>"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    text(s, &l.title, TITLE_SIZE);
    for swatch in &l.legend {
        let _ = writeln!(
            s,
            r#"<rect class="swatch" x="{}" y="{}" width="12" height="12" fill="{}" stroke="{LINE}"/>"#,
            swatch.x,
            swatch.y,
            FILLS[swatch.cluster % FILLS.len()]
        );
        text(s, &swatch.label, FONT_SIZE);
    }
    for route in &l.routes {
        let edge = &g.edges[route.edge];
        let mut path = format!("M{},{}", route.start.0, route.start.1);
        for segment in &route.segments {
            match *segment {
                Segment::Line(px, py) => {
                    let _ = write!(path, " L{px},{py}");
                }
                Segment::Curve { c1, c2, to } => {
                    let _ = write!(path, " C{},{} {},{} {},{}", c1.0, c1.1, c2.0, c2.1, to.0, to.1);
                }
            }
        }
        let marker = if route.reversed { "marker-start" } else { "marker-end" };
        let what = format!(
            "{} → {}{}",
            g.nodes[edge.from].title,
            g.nodes[edge.to].title,
            edge.label.as_ref().map(|l| format!(" ({l})")).unwrap_or_default()
        );
        let _ = writeln!(
            s,
            r#"<path class="edge" d="{path}" fill="none" stroke="{LINE}" stroke-width="1.4" {marker}="url(#arrow)"><title>{}</title></path>"#,
            escape(&what)
        );
    }
    for (node, placed) in g.nodes.iter().zip(&l.nodes) {
        let fill = node.cluster.map_or("#ffffff", |c| FILLS[c % FILLS.len()]);
        let radius = match node.kind {
            Kind::Stream | Kind::Topic => 14,
            Kind::Rule | Kind::Source | Kind::Subscriber => 6,
            Kind::Store | Kind::Viewer | Kind::Archive | Kind::Resource => 2,
        };
        let mut tooltip = vec![node.title.as_str()];
        tooltip.extend(node.lines.iter().map(String::as_str));
        let _ = writeln!(s, r#"<g class="node"><title>{}</title>"#, escape(&tooltip.join("\n")));
        let _ = writeln!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{radius}" fill="{fill}" stroke="{LINE}"/>"#,
            placed.x, placed.y, placed.w, placed.h
        );
        for t in &placed.text {
            text(s, t, FONT_SIZE);
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    out
}

fn text(s: &mut String, t: &Text, size: u32) {
    let weight = if t.bold { r#" font-weight="bold""# } else { "" };
    let size = if size == FONT_SIZE { String::new() } else { format!(r#" font-size="{size}""#) };
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}"{weight}{size} xml:space="preserve">{}</text>"#,
        t.x,
        t.y,
        escape(&t.content)
    );
}

/// Text for XML content and attribute values: the five special characters as entities, and
/// characters XML 1.0 forbids (most C0 controls) as U+FFFD.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
