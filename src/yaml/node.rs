//! The spanned YAML tree.

use crate::diagnostic::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    Quoted,
    Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar {
        value: String,
        style: ScalarStyle,
        /// Byte offset in the file of the value's first character, when the value is a verbatim
        /// copy of the file text (no escapes, folding or interpolation). It lets diagnostics about
        /// text inside a scalar (a `when:` expression) point at the exact column.
        verbatim_at: Option<usize>,
        /// For a block scalar (`>` or `|`), the file offset of each byte of the value (folding
        /// and indentation removed), so that diagnostics inside it point at the exact column.
        offsets: Option<Vec<usize>>,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

impl Node {
    /// A short description of the node's shape for "expected X, found Y" messages.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Scalar { value, style: ScalarStyle::Plain, .. } if is_null(value) => "null".into(),
            NodeKind::Scalar { value, style: ScalarStyle::Plain, .. } if value.parse::<f64>().is_ok() => {
                format!("the number `{value}`")
            }
            NodeKind::Scalar { value, .. } => {
                let short: String = value.chars().take(40).collect();
                let ellipsis = if short.len() < value.len() { "…" } else { "" };
                format!("the text `{short}{ellipsis}`")
            }
            NodeKind::Seq(_) => "a list".into(),
            NodeKind::Map(_) => "a mapping".into(),
        }
    }

    /// Maps a span relative to this scalar's value to a span in the file: exact when the value
    /// is verbatim file text, else the whole node.
    #[must_use]
    pub fn inner_span(&self, relative: Span) -> Span {
        match &self.kind {
            NodeKind::Scalar { verbatim_at: Some(at), .. } => Span::new(at + relative.start, at + relative.end),
            NodeKind::Scalar { offsets: Some(offsets), .. } => map_span(offsets, relative).unwrap_or(self.span),
            _ => self.span,
        }
    }

    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain, .. } if is_null(value))
    }

    /// Finds the entry `key` of a mapping node.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }
}

fn is_null(value: &str) -> bool {
    matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

/// A span of a block scalar's value as a span of the file, through its byte offsets.
#[must_use]
pub fn map_span(offsets: &[usize], relative: Span) -> Option<Span> {
    let start = *offsets.get(relative.start)?;
    let end = match relative.end.checked_sub(1) {
        Some(last) if relative.end > relative.start => offsets.get(last)? + 1,
        _ => start,
    };
    Some(Span::new(start, end.max(start)))
}
