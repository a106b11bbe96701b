//! A layered left-to-right layout (after Sugiyama): each edge points to a later column (edges
//! against the order are drawn reversed), an edge over several columns passes through a
//! reserved slot in each column between, nodes are ordered in their column by the barycentre
//! of their neighbours, and sized from their text with [`metrics`](super::metrics).
//!
//! What this guarantees, by construction: nodes never overlap (a column stacks its nodes with
//! a gap, columns are apart), text stays inside its node (lines are wrapped to the node's
//! width), and an edge never crosses a node: it runs horizontally inside its own node's (or
//! slot's) band and only bends in the empty gap between two columns.

use super::metrics::{self, wrap};
use super::model::Graph;

pub const FONT_SIZE: u32 = 13;
pub const TITLE_SIZE: u32 = 16;
pub const LINE: i32 = 17;
const PAD_X: i32 = 10;
const PAD_Y: i32 = 8;
const MIN_WIDTH: i32 = 110;
/// Text wider than this wraps.
const MAX_TEXT: i32 = 300;
const COLUMN_GAP: i32 = 90;
const ROW_GAP: i32 = 18;
const SLOT: i32 = 8;
pub const MARGIN: i32 = 16;
const SWATCH: i32 = 12;

/// One line of text: where its baseline starts, and whether it is the headline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub x: i32,
    pub y: i32,
    pub content: String,
    pub bold: bool,
}

/// A placed node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    pub text: Vec<Text>,
}

/// A piece of an edge's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    Line(i32, i32),
    Curve { c1: (i32, i32), c2: (i32, i32), to: (i32, i32) },
}

/// A routed edge: its start and pieces, drawn from the edge's source unless `reversed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub edge: usize,
    pub start: (i32, i32),
    pub segments: Vec<Segment>,
    /// The path runs from the edge's target to its source (the arrow goes at the start).
    pub reversed: bool,
}

/// A legend entry (a cluster's colour and name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swatch {
    pub cluster: usize,
    pub x: i32,
    pub y: i32,
    pub label: Text,
}

/// Where everything goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub width: i32,
    pub height: i32,
    pub title: Text,
    pub legend: Vec<Swatch>,
    pub nodes: Vec<Placed>,
    pub routes: Vec<Route>,
}

/// Lays `g` out.
#[must_use]
pub fn layout(g: &Graph) -> Layout {
    let n = g.nodes.len();
    let order = topological(g);
    let mut position = vec![0; n];
    for (i, &v) in order.iter().enumerate() {
        position[v] = i;
    }
    // Every edge oriented along the topological order.
    let oriented: Vec<(usize, usize, bool)> = g
        .edges
        .iter()
        .filter(|e| e.from != e.to)
        .map(|e| if position[e.from] < position[e.to] { (e.from, e.to, false) } else { (e.to, e.from, true) })
        .collect();
    let layer = layers(n, &order, &oriented);

    // Vertices: the nodes, then one slot per column an edge passes through.
    let mut vertex_layer = layer.clone();
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for &(from, to, _) in &oriented {
        let mut chain = vec![from];
        for l in layer[from] + 1..layer[to] {
            vertex_layer.push(l);
            chain.push(vertex_layer.len() - 1);
        }
        chain.push(to);
        chains.push(chain);
    }
    let columns = layer.iter().max().map_or(0, |m| m + 1);
    let columns_of = order_columns(columns, &vertex_layer, &chains);

    // Sizes.
    let mut texts: Vec<Vec<(String, bool)>> = Vec::new();
    let mut size: Vec<(i32, i32)> = Vec::new();
    for node in &g.nodes {
        let mut lines: Vec<(String, bool)> =
            wrap(&node.title, FONT_SIZE, true, MAX_TEXT).into_iter().map(|l| (l, true)).collect();
        for line in &node.lines {
            lines.extend(wrap(line, FONT_SIZE, false, MAX_TEXT).into_iter().map(|l| (l, false)));
        }
        let widest = lines.iter().map(|(l, bold)| metrics::width(l, FONT_SIZE, *bold)).max().unwrap_or(0);
        size.push(((widest + 2 * PAD_X).max(MIN_WIDTH), count(lines.len()) * LINE + 2 * PAD_Y));
        texts.push(lines);
    }
    let mut column_width = vec![0; columns];
    for (v, &l) in vertex_layer.iter().enumerate().take(n) {
        column_width[l] = column_width[l].max(size[v].0);
    }
    size.extend(vertex_layer[n..].iter().map(|&l| (column_width[l], SLOT)));
    let mut left = vec![MARGIN; columns];
    for l in 1..columns {
        left[l] = left[l - 1] + column_width[l - 1] + COLUMN_GAP;
    }

    let (title, legend, header) = header(g, left.last().map_or(MARGIN, |x| x + column_width[columns - 1]));
    let top = place_vertically(&columns_of, &chains, &size, header);

    let nodes: Vec<Placed> = (0..n)
        .map(|v| {
            let (width, height) = size[v];
            let x = left[layer[v]] + (column_width[layer[v]] - width) / 2;
            let y = top[v];
            let text = texts[v]
                .iter()
                .enumerate()
                .map(|(i, (t, bold))| Text {
                    x: x + PAD_X,
                    y: y + PAD_Y + LINE * count(i) + 13,
                    content: t.clone(),
                    bold: *bold,
                })
                .collect();
            Placed { x, y, w: width, h: height, text }
        })
        .collect();

    let routes = chains
        .iter()
        .zip(&oriented)
        .enumerate()
        .map(|(edge, (chain, &(_, _, reversed)))| {
            let centre = |v: usize| top[v] + size[v].1 / 2;
            let first = chain[0];
            let start =
                (if first < n { nodes[first].x + nodes[first].w } else { left[vertex_layer[first]] }, centre(first));
            let mut segments = Vec::new();
            for pair in chain.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let (la, lb) = (vertex_layer[a], vertex_layer[b]);
                let (right, next) = (left[la] + column_width[la], left[lb]);
                let (ya, yb) = (centre(a), centre(b));
                segments.push(Segment::Line(right, ya));
                let mid = i32::midpoint(right, next);
                segments.push(Segment::Curve { c1: (mid, ya), c2: (mid, yb), to: (next, yb) });
                let end = if b < n { nodes[b].x } else { left[lb] + column_width[lb] };
                segments.push(Segment::Line(end, yb));
            }
            // Drop zero-length lines (a node as wide as its column).
            let mut at = start;
            segments.retain(|s| match *s {
                Segment::Line(x, y) if (x, y) == at => false,
                Segment::Line(x, y) | Segment::Curve { to: (x, y), .. } => {
                    at = (x, y);
                    true
                }
            });
            Route { edge: edge_index(g, edge), start, segments, reversed }
        })
        .collect();

    let width = nodes
        .iter()
        .map(|p| p.x + p.w)
        .chain(legend.iter().map(|s| s.label.x + text_width(&s.label)))
        .chain([title.x + text_width(&title)])
        .max()
        .unwrap_or(0)
        + MARGIN;
    let height = top.iter().zip(&size).map(|(y, (_, h))| y + h).max().unwrap_or(header) + MARGIN;
    Layout { width, height, title, legend, nodes, routes }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn text_width(t: &Text) -> i32 {
    metrics::width(&t.content, if t.bold { TITLE_SIZE } else { FONT_SIZE }, t.bold)
}

/// The index in `g.edges` of the `i`-th edge that is not a loop.
fn edge_index(g: &Graph, i: usize) -> usize {
    g.edges.iter().enumerate().filter(|(_, e)| e.from != e.to).nth(i).map_or(i, |(index, _)| index)
}

/// Kahn's order, lowest index first; in a cycle the lowest remaining node goes next.
fn topological(g: &Graph) -> Vec<usize> {
    let n = g.nodes.len();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let ready = (0..n).find(|&v| !done[v] && !g.edges.iter().any(|e| e.to == v && e.from != v && !done[e.from]));
        let next = ready.unwrap_or_else(|| (0..n).find(|&v| !done[v]).unwrap_or(0));
        done[next] = true;
        order.push(next);
    }
    order
}

/// Longest path from the sources; a source then moves next to its nearest successor.
fn layers(n: usize, order: &[usize], edges: &[(usize, usize, bool)]) -> Vec<usize> {
    let mut layer = vec![0; n];
    for &v in order {
        for &(from, to, _) in edges.iter().filter(|e| e.1 == v) {
            layer[to] = layer[to].max(layer[from] + 1);
        }
    }
    for v in 0..n {
        let is_source = !edges.iter().any(|e| e.1 == v);
        let nearest = edges.iter().filter(|e| e.0 == v).map(|e| layer[e.1]).min();
        if let (true, Some(nearest)) = (is_source, nearest) {
            layer[v] = nearest - 1;
        }
    }
    layer
}

/// The vertices of each column, ordered by the barycentre of their neighbours (sweeps right,
/// then left, four times; ties keep the current order).
fn order_columns(columns: usize, vertex_layer: &[usize], chains: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for (v, &l) in vertex_layer.iter().enumerate() {
        cols[l].push(v);
    }
    let links: Vec<(usize, usize)> = chains.iter().flat_map(|c| c.windows(2).map(|w| (w[0], w[1]))).collect();
    let mut rank = vec![0.0_f64; vertex_layer.len()];
    let rerank = |cols: &Vec<Vec<usize>>, rank: &mut Vec<f64>| {
        for col in cols {
            for (i, &v) in col.iter().enumerate() {
                rank[v] = f64::from(u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
    };
    rerank(&cols, &mut rank);
    for sweep in 0..8 {
        let rightwards = sweep % 2 == 0;
        let range: Vec<usize> =
            if rightwards { (1..columns).collect() } else { (0..columns.saturating_sub(1)).rev().collect() };
        for l in range {
            let keys: Vec<(f64, f64, usize)> = cols[l]
                .iter()
                .map(|&v| {
                    let neighbours: Vec<f64> = links
                        .iter()
                        .filter_map(|&(a, b)| match rightwards {
                            true if b == v => Some(rank[a]),
                            false if a == v => Some(rank[b]),
                            _ => None,
                        })
                        .collect();
                    let mean = if neighbours.is_empty() {
                        rank[v]
                    } else {
                        neighbours.iter().sum::<f64>() / f64::from(u32::try_from(neighbours.len()).unwrap_or(1))
                    };
                    (mean, rank[v], v)
                })
                .collect();
            let mut keys = keys;
            keys.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            cols[l] = keys.into_iter().map(|k| k.2).collect();
            rerank(&cols, &mut rank);
        }
    }
    cols
}

/// The top of each vertex: a column stacks its vertices in order with a gap; each vertex moves
/// towards the centre of its neighbours in the previous column (then, leftwards, the next),
/// never closer than the gap to the one before it.
fn place_vertically(cols: &[Vec<usize>], chains: &[Vec<usize>], size: &[(i32, i32)], header: i32) -> Vec<i32> {
    let links: Vec<(usize, usize)> = chains.iter().flat_map(|c| c.windows(2).map(|w| (w[0], w[1]))).collect();
    let mut top = vec![0; size.len()];
    for col in cols {
        let mut y = header;
        for &v in col {
            top[v] = y;
            y += size[v].1 + ROW_GAP;
        }
    }
    for sweep in 0..4 {
        let rightwards = sweep % 2 == 0;
        let range: Vec<usize> =
            if rightwards { (1..cols.len()).collect() } else { (0..cols.len().saturating_sub(1)).rev().collect() };
        for l in range {
            let mut floor = header;
            let mut pushed = 0;
            for &v in &cols[l] {
                let centres: Vec<i32> = links
                    .iter()
                    .filter_map(|&(a, b)| match rightwards {
                        true if b == v => Some(top[a] + size[a].1 / 2),
                        false if a == v => Some(top[b] + size[b].1 / 2),
                        _ => None,
                    })
                    .collect();
                let wanted = if centres.is_empty() {
                    top[v]
                } else {
                    centres.iter().sum::<i32>() / count(centres.len()) - size[v].1 / 2
                };
                top[v] = wanted.max(floor);
                pushed += top[v] - wanted;
                floor = top[v] + size[v].1 + ROW_GAP;
            }
            // Stacking only pushes down: move the column back up by the mean push (the gaps
            // between its vertices stay), so a tall column centres on its neighbours.
            if let Some(&first) = cols[l].first() {
                let up = (pushed / count(cols[l].len())).min(top[first] - header);
                for &v in &cols[l] {
                    top[v] -= up;
                }
            }
        }
    }
    let lowest = top.iter().copied().min().unwrap_or(header);
    for y in &mut top {
        *y += header - lowest;
    }
    top
}

/// The title and the legend (one swatch per cluster, rows no wider than `width`), and where
/// the graph starts below them.
fn header(g: &Graph, width: i32) -> (Text, Vec<Swatch>, i32) {
    let title = Text { x: MARGIN, y: MARGIN + 14, content: g.title.clone(), bold: true };
    let mut legend = Vec::new();
    let (mut x, mut y) = (MARGIN, MARGIN + 14 + 12);
    for (cluster, c) in g.clusters.iter().enumerate() {
        let w = SWATCH + 6 + metrics::width(&c.label, FONT_SIZE, false);
        if x > MARGIN && x + w > width.max(MARGIN + 400) {
            (x, y) = (MARGIN, y + LINE + 4);
        }
        legend.push(Swatch {
            cluster,
            x,
            y,
            label: Text { x: x + SWATCH + 6, y: y + 11, content: c.label.clone(), bold: false },
        });
        x += w + 18;
    }
    let bottom = if legend.is_empty() { MARGIN + 14 } else { y + LINE };
    (title, legend, bottom + 18)
}
