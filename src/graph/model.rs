//! The graph model every renderer reads: nodes (a title and detail lines), directed edges and
//! clusters. Plain data, in a deterministic order (the order it was built in); ids used in
//! the output are derived from positions, never from user text.

/// What a node stands for (renderers colour and shape nodes by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Whoever writes records (producers, the HTTP ingest API).
    Source,
    /// The stream (or log) records go through.
    Stream,
    /// A rule or the function that decides rules.
    Rule,
    /// Where flagged records are kept.
    Store,
    /// The viewer of flagged records.
    Viewer,
    /// A notification topic.
    Topic,
    /// An e-mail address or webhook a topic notifies.
    Subscriber,
    /// The cold path's archive.
    Archive,
    /// Any other concrete resource of a target (roles, policies, queues, alarms ...).
    Resource,
}

/// One box of the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The headline (shown bold).
    pub title: String,
    /// Detail lines under the headline, each one fact.
    pub lines: Vec<String>,
    pub kind: Kind,
    /// Index into [`Graph::clusters`].
    pub cluster: Option<usize>,
}

/// A directed link, `from` → `to` (indexes into [`Graph::nodes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub label: Option<String>,
}

/// A named group of nodes (the hot path, the cold path, one AWS service ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub label: String,
}

/// A diagram: what `pipec graph` renders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    pub title: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub clusters: Vec<Cluster>,
}

impl Graph {
    #[must_use]
    pub fn new(title: impl Into<String>) -> Self {
        Self { title: title.into(), ..Self::default() }
    }

    /// Adds a cluster and returns its index.
    pub fn cluster(&mut self, label: impl Into<String>) -> usize {
        self.clusters.push(Cluster { label: label.into() });
        self.clusters.len() - 1
    }

    /// Adds a node and returns its index.
    pub fn node(&mut self, kind: Kind, cluster: Option<usize>, title: impl Into<String>, lines: Vec<String>) -> usize {
        self.nodes.push(Node { title: title.into(), lines, kind, cluster });
        self.nodes.len() - 1
    }

    /// Adds an edge; two nodes are linked at most once (the first link between them, in either
    /// direction, is kept).
    pub fn edge(&mut self, from: usize, to: usize, label: Option<&str>) {
        if !self.edges.iter().any(|e| (e.from, e.to) == (from, to) || (e.from, e.to) == (to, from)) {
            self.edges.push(Edge { from, to, label: label.map(str::to_string) });
        }
    }

    /// The index of the node titled `title`, if any.
    #[must_use]
    pub fn find(&self, title: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.title == title)
    }
}
