//! Builds the [`Node`] tree from saphyr-parser events, with an explicit stack (no recursion, so
//! no stack overflow on deep input) and the limits described in the module docs.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle};

use super::node::{Entry, Node, NodeKind, ScalarStyle};
use crate::diagnostic::{Code, Diagnostic, Span};

/// Deepest nesting of mappings and lists accepted.
pub const MAX_DEPTH: usize = 64;
/// Most nodes that alias expansion may add to a document.
pub const MAX_NODES: usize = 100_000;

enum Frame {
    Seq { items: Vec<Node>, start: usize, anchor: usize },
    Map { entries: Vec<Entry>, seen: HashMap<String, Span>, key: Option<(String, Span)>, start: usize, anchor: usize },
}

struct Builder<'t> {
    text: &'t str,
    /// Byte offset of each character index; empty when the text is ASCII.
    char_bytes: Vec<usize>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    expanded: usize,
    root: Option<Node>,
    diagnostics: Vec<Diagnostic>,
}

/// The first tab from the start of the line holding `at` on.
fn first_tab(text: &str, at: usize) -> Option<usize> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..].find('\t').map(|offset| line_start + offset)
}

/// Parses one YAML document into a spanned tree.
///
/// # Errors
/// Every problem found (syntax errors stop the parse; duplicate keys and tags are collected).
pub fn parse(text: &str) -> Result<Node, Vec<Diagnostic>> {
    let mut builder = Builder::new(text);
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => {
                let start = builder.byte(span.start.index());
                let end = builder.byte(span.end.index());
                if builder.event(event, Span::new(start, end.max(start))).is_err() {
                    break;
                }
            }
            Err(err) => {
                let at = builder.byte(err.marker().index());
                let message = format!("invalid YAML: {}", err.info());
                // The parser may stop at the start of the scalar before the tab, a line above it.
                let diagnostic = match err.info().contains("tab").then(|| first_tab(text, at)).flatten() {
                    Some(tab) => Diagnostic::error(Code::YamlSyntax, Span::new(tab, tab + 1), message)
                        .with_label("a tab")
                        .with_help("indent with spaces: YAML does not allow tabs in indentation"),
                    None => Diagnostic::error(Code::YamlSyntax, Span::new(at, at), message)
                        .with_label("here")
                        .with_help("check indentation (spaces, not tabs), quotes and brackets around this position"),
                };
                builder.diagnostics.push(diagnostic);
                break;
            }
        }
    }
    let Builder { root, mut diagnostics, .. } = builder;
    match root {
        Some(root) if diagnostics.is_empty() => Ok(root),
        None if diagnostics.is_empty() => {
            diagnostics.push(Diagnostic::error(Code::EmptyFile, Span::new(0, 0), "the spec is empty").with_help(
                "a spec needs at least `version: 1`, `name` and `stream`; start from examples/transactions.yaml",
            ));
            Err(diagnostics)
        }
        _ => Err(diagnostics),
    }
}

/// Signals that building must stop (a fatal diagnostic was pushed).
struct Stop;

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        let char_bytes = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect()
        };
        Self {
            text,
            char_bytes,
            stack: Vec::new(),
            anchors: HashMap::new(),
            expanded: 0,
            root: None,
            diagnostics: Vec::new(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.char_bytes.is_empty() {
            char_index.min(self.text.len())
        } else {
            self.char_bytes.get(char_index).copied().unwrap_or(self.text.len())
        }
    }

    fn fatal(&mut self, diagnostic: Diagnostic) -> Result<(), Stop> {
        self.diagnostics.push(diagnostic);
        Err(Stop)
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Stop> {
        match event {
            Event::DocumentStart(_) if self.root.is_some() => self.fatal(
                Diagnostic::error(Code::MultipleDocuments, span, "the file holds more than one YAML document")
                    .with_label("a second document starts here")
                    .with_help("keep one pipeline per file; remove this `---` and what follows"),
            ),
            Event::Scalar(value, style, anchor, tag) => {
                self.reject_tag(tag.is_some(), span);
                let (style, verbatim_at) = self.style(&value, style, span);
                let offsets = (style == ScalarStyle::Block).then(|| block_offsets(self.text, &value, span)).flatten();
                let node =
                    Node { kind: NodeKind::Scalar { value: value.into_owned(), style, verbatim_at, offsets }, span };
                self.complete(node, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                self.reject_tag(tag.is_some(), span);
                self.open(Frame::Seq { items: Vec::new(), start: span.start, anchor }, span)
            }
            Event::MappingStart(anchor, tag) => {
                self.reject_tag(tag.is_some(), span);
                let frame =
                    Frame::Map { entries: Vec::new(), seen: HashMap::new(), key: None, start: span.start, anchor };
                self.open(frame, span)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else { return Ok(()) };
                let (kind, start, anchor, end) = match frame {
                    Frame::Seq { items, start, anchor } => {
                        let end = items.last().map_or(span.end, |n| n.span.end.max(span.end.min(n.span.end + 1)));
                        (NodeKind::Seq(items), start, anchor, end)
                    }
                    Frame::Map { entries, start, anchor, .. } => {
                        let end = entries
                            .last()
                            .map_or(span.end, |e| e.value.span.end.max(span.end.min(e.value.span.end + 1)));
                        (NodeKind::Map(entries), start, anchor, end)
                    }
                };
                self.complete(Node { kind, span: Span::new(start, end.max(start)) }, anchor)
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id).cloned() else {
                    return self.fatal(Diagnostic::error(Code::YamlSyntax, span, "alias to an unknown anchor"));
                };
                self.expanded += size;
                if self.expanded > MAX_NODES {
                    return self.fatal(
                        Diagnostic::error(
                            Code::AliasLimit,
                            span,
                            format!("aliases expand the document beyond {MAX_NODES} nodes"),
                        )
                        .with_label("this alias crosses the limit")
                        .with_help(
                            "write the values out or use fewer nested aliases (see `pipec explain alias_limit`)",
                        ),
                    );
                }
                // The alias points at the original; keep its span on the copy's root.
                self.complete(Node { span, ..node }, 0)
            }
            _ => Ok(()),
        }
    }

    fn reject_tag(&mut self, tagged: bool, span: Span) {
        if tagged {
            self.diagnostics.push(
                Diagnostic::error(Code::UnsupportedYaml, span, "YAML tags are not accepted in a spec")
                    .with_label("tagged node")
                    .with_help("remove the `!tag`; write the plain value"),
            );
        }
    }

    fn style(&self, value: &str, style: SaphyrStyle, span: Span) -> (ScalarStyle, Option<usize>) {
        let raw = |from: usize, to: usize| self.text.get(from..to).filter(|raw| *raw == value).map(|_| from);
        match style {
            SaphyrStyle::Plain => (ScalarStyle::Plain, raw(span.start, span.end)),
            SaphyrStyle::SingleQuoted | SaphyrStyle::DoubleQuoted => {
                (ScalarStyle::Quoted, raw(span.start + 1, span.end.saturating_sub(1)))
            }
            _ => (ScalarStyle::Block, None),
        }
    }

    fn open(&mut self, frame: Frame, span: Span) -> Result<(), Stop> {
        if self.stack.len() >= MAX_DEPTH {
            return self.fatal(
                Diagnostic::error(
                    Code::NestingTooDeep,
                    span,
                    format!("the document nests deeper than {MAX_DEPTH} levels"),
                )
                .with_label("too deep")
                .with_help("no pipeline spec nests this deep; check that this is a pipec spec"),
            );
        }
        self.stack.push(frame);
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), Stop> {
        if anchor != 0 {
            let size = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map { entries, seen, key, .. }) => match key.take() {
                Some((key, key_span)) => {
                    if let Some(first) = seen.get(&key) {
                        let first = *first;
                        self.diagnostics.push(
                            Diagnostic::error(Code::DuplicateKey, key_span, format!("duplicate key `{key}`"))
                                .with_label("defined again here")
                                .with_secondary(first, "first defined here")
                                .with_help("keep one of the two; YAML tools disagree on which one wins"),
                        );
                    } else {
                        seen.insert(key.clone(), key_span);
                        entries.push(Entry { key, key_span, value: node });
                    }
                    Ok(())
                }
                None => {
                    if let NodeKind::Scalar { value, .. } = node.kind {
                        *key = Some((value, node.span));
                        Ok(())
                    } else {
                        self.fatal(
                            Diagnostic::error(Code::UnsupportedYaml, node.span, "mapping keys must be plain text")
                                .with_label("complex key")
                                .with_help("use a plain name as the key"),
                        )
                    }
                }
            },
        }
    }
}

/// Nodes in a subtree, iteratively.
fn count_nodes(node: &Node) -> usize {
    let mut count = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        count += 1;
        match &node.kind {
            NodeKind::Scalar { .. } => {}
            NodeKind::Seq(items) => pending.extend(items),
            NodeKind::Map(entries) => pending.extend(entries.iter().map(|e| &e.value)),
        }
    }
    count
}

/// The file offset of each byte of a block scalar's value: each non-blank byte is found in
/// order in the file text (skipping the header, indentation and folded line breaks); a blank
/// maps to the file position it stands for. `None` when the text does not line up.
fn block_offsets(text: &str, value: &str, span: Span) -> Option<Vec<usize>> {
    let source = text.get(span.start..span.end.min(text.len()))?.as_bytes();
    let mut at = match source.first() {
        Some(b'>' | b'|') => source.iter().position(|&b| b == b'\n')? + 1,
        _ => 0,
    };
    let mut offsets = Vec::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if byte.is_ascii_whitespace() {
            offsets.push(span.start + at.min(source.len().saturating_sub(1)));
            if source.get(at).is_some_and(u8::is_ascii_whitespace) {
                at += 1;
            }
            continue;
        }
        while source.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        if source.get(at) != Some(&byte) {
            return None;
        }
        offsets.push(span.start + at);
        at += 1;
    }
    Some(offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<Code> {
        parse(text).err().unwrap_or_default().iter().map(|d| d.code).collect()
    }

    #[test]
    fn keeps_byte_spans_and_verbatim_offsets() {
        let text = "é: 1\nwhen: 'a > 9000'\n";
        let root = parse(text).unwrap();
        let when = &root.get("when").unwrap().value;
        let NodeKind::Scalar { verbatim_at: Some(at), .. } = when.kind else { panic!("{when:?}") };
        assert_eq!(&text[at..at + 8], "a > 9000");
        assert_eq!(root.get("é").unwrap().key_span, Span::new(0, 2));
    }

    #[test]
    fn refuses_what_no_spec_needs() {
        assert_eq!(codes(""), [Code::EmptyFile]);
        assert_eq!(codes("# only a comment\n"), [Code::EmptyFile]);
        assert_eq!(codes("a: 1\n---\nb: 2\n"), [Code::MultipleDocuments]);
        assert_eq!(codes("a: 1\na: 2\nb: 1\nb: 3\n"), [Code::DuplicateKey, Code::DuplicateKey]);
        assert_eq!(codes("a: !!str 1\n"), [Code::UnsupportedYaml]);
        assert_eq!(codes("? [a]\n: 1\n"), [Code::UnsupportedYaml]);
        assert_eq!(codes("a: [1\n"), [Code::YamlSyntax]);
    }

    #[test]
    fn deep_nesting_stops_without_overflow() {
        let deep: String = (0..20_000).map(|i| " ".repeat(i * 2) + "- \n").collect();
        assert_eq!(codes(&deep), [Code::NestingTooDeep]);
        let flow = "[".repeat(20_000) + &"]".repeat(20_000);
        assert!(!codes(&flow).is_empty());
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (name, prev) in
            ["b", "c", "d", "e", "f", "g", "h", "i"].iter().zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            text.push_str(&format!(
                "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        assert_eq!(codes(&text), [Code::AliasLimit]);
    }
}
