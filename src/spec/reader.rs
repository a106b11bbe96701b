//! Typed reading of the YAML tree with error collection: every reader reports into a shared
//! list and returns `None` for a value it could not read, so decoding continues and finds every
//! problem in one pass.

use super::keys::{Key, Range};
use super::model::{ExprText, Spanned};
use super::units::{ByteSize, Duration, Rate, Share};
use crate::diagnostic::{Code, Diagnostic, Span, did_you_mean};
use crate::yaml::{Entry, Node, NodeKind, ScalarStyle};

pub type Diags = Vec<Diagnostic>;

/// What a YAML file read with these readers calls its parts: where a wrong shape's help points
/// and how an unknown key is labelled. The spec is read in [`SPEC`]; `pipec test` files
/// (`spectest::read`) in a language of their own, through the same readers.
#[derive(Clone, Copy, Debug)]
pub struct Language {
    /// The help of a wrong-shape diagnostic: where every key's shape is documented.
    pub shapes: &'static str,
    /// The label of an unknown key.
    pub unknown: &'static str,
    /// Whether a key with no value (`key:`) reads as an empty mapping, or is refused.
    pub null_is_empty_map: bool,
}

/// The spec language.
pub const SPEC: Language = Language {
    shapes: "specs/reference.md shows every key's shape; `pipec schema` gives it to editors",
    unknown: "not part of the spec language here",
    null_is_empty_map: true,
};

impl Language {
    #[must_use]
    pub fn wrong_type(self, node: &Node, expected: &str) -> Diagnostic {
        Diagnostic::error(Code::WrongType, node.span, format!("expected {expected}, found {}", node.describe()))
            .with_label(format!("expected {expected}"))
            .with_help(self.shapes)
    }

    /// The entries of a mapping whose keys are user-chosen names (record fields, topics).
    pub fn entries<'n>(self, node: &'n Node, what: &str, d: &mut Diags) -> &'n [Entry] {
        match &node.kind {
            NodeKind::Map(entries) => entries,
            _ if node.is_null() => &[],
            _ => {
                d.push(self.wrong_type(node, &format!("a mapping for `{what}`")));
                &[]
            }
        }
    }

    /// The items of a list.
    pub fn items<'n>(self, node: &'n Node, what: &str, d: &mut Diags) -> &'n [Node] {
        match &node.kind {
            NodeKind::Seq(items) => items,
            _ if node.is_null() => &[],
            _ => {
                d.push(self.wrong_type(node, &format!("a list for `{what}`")));
                &[]
            }
        }
    }

    /// A text value. Numbers and words are both text; mappings, lists and null are not.
    pub fn text(self, node: &Node, d: &mut Diags) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::Scalar { value, .. } if !node.is_null() => Some(Spanned::new(value.clone(), node.span)),
            _ => {
                d.push(self.wrong_type(node, "a text value"));
                None
            }
        }
    }
}

/// Reads the keys of one mapping; keys never asked for are reported by [`MapReader::finish`].
pub struct MapReader<'n> {
    entries: &'n [Entry],
    span: Span,
    known: Vec<&'static str>,
    /// The mapping as messages name it: `` `stream` `` in the spec, "a test" in a test file.
    what: String,
    language: Language,
    /// Required keys found missing, with the index of their diagnostic.
    missing: Vec<(&'static str, usize)>,
}

impl<'n> MapReader<'n> {
    /// A reader over the spec's mapping `node` at `what` (a null node reads as an empty
    /// mapping).
    pub fn new(node: &'n Node, what: &'static str, d: &mut Diags) -> Option<Self> {
        Self::read(SPEC, node, format!("`{what}`"), d)
    }

    /// A reader over `node` in `language`; `what` names the mapping in messages as it stands.
    pub fn read(language: Language, node: &'n Node, what: String, d: &mut Diags) -> Option<Self> {
        let entries = match &node.kind {
            NodeKind::Map(entries) => entries,
            _ if node.is_null() && language.null_is_empty_map => &[][..],
            _ => {
                d.push(language.wrong_type(node, &format!("a mapping for {what}")));
                return None;
            }
        };
        Some(Self { entries, span: node.span, known: Vec::new(), what, language, missing: Vec::new() })
    }

    #[must_use]
    pub fn span(&self) -> Span {
        self.span
    }

    /// The value of `key`, if present. The spec's keys are read only through
    /// [`keys`](super::keys), where each is defined once with its default and range.
    pub fn take(&mut self, key: &Key) -> Option<&'n Node> {
        self.take_name(key.name)
    }

    /// The value of the key `name`, for a language without a keys table (a test file).
    pub fn take_name(&mut self, name: &'static str) -> Option<&'n Node> {
        self.take_entry(name).map(|(_, node)| node)
    }

    /// The span of the key `name` and its value, if present.
    pub fn take_entry(&mut self, name: &'static str) -> Option<(Span, &'n Node)> {
        self.known.push(name);
        self.entries.iter().find(|e| e.key == name).map(|e| (e.key_span, &e.value))
    }

    /// The value of `key`, reporting `missing_field` with an example when absent.
    pub fn required(&mut self, key: &Key, example: &str, d: &mut Diags) -> Option<&'n Node> {
        self.required_name(key.name, example, d)
    }

    /// [`required`](Self::required) for the key `name` of a language without a keys table.
    pub fn required_name(&mut self, key: &'static str, example: &str, d: &mut Diags) -> Option<&'n Node> {
        let node = self.take_name(key);
        if node.is_none() {
            self.missing.push((key, d.len()));
            let at = Span::new(self.span.start, self.span.start);
            d.push(
                Diagnostic::error(Code::MissingField, at, format!("{} is missing `{key}`", self.what))
                    .with_label(format!("`{key}` is required here"))
                    .with_help(format!("add it, for example `{key}: {example}`")),
            );
        }
        node
    }

    /// Reports every key that was not asked for, with a suggestion among the known ones.
    pub fn finish(self, d: &mut Diags) {
        let mut superseded = Vec::new();
        for entry in self.entries {
            if self.known.contains(&entry.key.as_str()) {
                continue;
            }
            let close = did_you_mean(&entry.key, self.known.iter().copied());
            if let Some(&(_, index)) = self.missing.iter().find(|(key, _)| Some(*key) == close) {
                superseded.push(index);
            }
            let help = match close {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("known keys here: {}", self.known.join(", ")),
            };
            d.push(
                Diagnostic::error(
                    Code::UnknownField,
                    entry.key_span,
                    format!("unknown key `{}` in {}", entry.key, self.what),
                )
                .with_label(self.language.unknown)
                .with_help(help),
            );
        }
        // A misspelt required key is one mistake: reported as the misspelling only.
        superseded.sort_unstable();
        superseded.dedup();
        for index in superseded.into_iter().rev() {
            if index < d.len() && d[index].code == Code::MissingField {
                d.remove(index);
            }
        }
    }
}

/// The entries of a mapping whose keys are user-chosen names (record fields, topics).
pub fn entries<'n>(node: &'n Node, what: &str, d: &mut Diags) -> &'n [Entry] {
    SPEC.entries(node, what, d)
}

/// The items of a list.
pub fn items<'n>(node: &'n Node, what: &str, d: &mut Diags) -> &'n [Node] {
    SPEC.items(node, what, d)
}

#[must_use]
pub fn wrong_type(node: &Node, expected: &str) -> Diagnostic {
    SPEC.wrong_type(node, expected)
}

/// A text value. Numbers and words are both text; mappings, lists and null are not.
pub fn text(node: &Node, d: &mut Diags) -> Option<Spanned<String>> {
    SPEC.text(node, d)
}

/// One text value or a list of them.
pub fn texts(node: &Node, what: &str, d: &mut Diags) -> Vec<Spanned<String>> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().filter_map(|n| text(n, d)).collect(),
        _ if node.is_null() => Vec::new(),
        NodeKind::Scalar { .. } => text(node, d).into_iter().collect(),
        NodeKind::Map(_) => {
            d.push(wrong_type(node, &format!("a value or a list for `{what}`")));
            Vec::new()
        }
    }
}

pub fn expr(node: &Node, d: &mut Diags) -> Option<ExprText> {
    match &node.kind {
        NodeKind::Scalar { value, verbatim_at, offsets, .. } if !node.is_null() => {
            Some(ExprText { text: value.clone(), span: node.span, verbatim_at: *verbatim_at, offsets: offsets.clone() })
        }
        _ => {
            d.push(wrong_type(node, "an expression such as `transaction > 9000`"));
            None
        }
    }
}

/// A whole number in `range` (a count range from [`keys`](super::keys)).
pub fn counted(node: &Node, range: Range, d: &mut Diags) -> Option<Spanned<u32>> {
    uint(node, range.min.base(), range.max.base(), d)
}

/// A whole number in `min..=max`.
pub fn uint(node: &Node, min: u64, max: u64, d: &mut Diags) -> Option<Spanned<u32>> {
    let plain = matches!(&node.kind, NodeKind::Scalar { style: ScalarStyle::Plain, .. });
    let parsed = match &node.kind {
        NodeKind::Scalar { value, .. } if plain => value.replace('_', "").parse::<u64>().ok(),
        _ => None,
    };
    let Some(number) = parsed else {
        d.push(wrong_type(node, "a whole number").with_help("write a whole number such as `1`"));
        return None;
    };
    if !(min..=max).contains(&number) {
        d.push(
            Diagnostic::error(Code::OutOfRange, node.span, format!("{number} is out of range"))
                .with_label(format!("must be from {min} to {max}")),
        );
        return None;
    }
    u32::try_from(number).ok().map(|n| Spanned::new(n, node.span))
}

/// `true` or `false`; the YAML 1.1 spellings get their own diagnostic.
pub fn boolean(node: &Node, d: &mut Diags) -> Option<Spanned<bool>> {
    if let NodeKind::Scalar { value, style: ScalarStyle::Plain, .. } = &node.kind {
        match value.as_str() {
            "true" => return Some(Spanned::new(true, node.span)),
            "false" => return Some(Spanned::new(false, node.span)),
            "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" | "True" | "TRUE" => {
                d.push(yaml11(node, value, true));
                return None;
            }
            "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" | "False" | "FALSE" => {
                d.push(yaml11(node, value, false));
                return None;
            }
            _ => {}
        }
    }
    d.push(wrong_type(node, "`true` or `false`"));
    None
}

fn yaml11(node: &Node, value: &str, meant: bool) -> Diagnostic {
    Diagnostic::error(Code::Yaml11Bool, node.span, format!("`{value}` is not a boolean in YAML 1.2"))
        .with_label("ambiguous: YAML 1.1 tools read this as a boolean, YAML 1.2 tools as text")
        .with_help(format!("write `{meant}`"))
}

/// One of a fixed set of words.
pub fn choice<T: Copy>(node: &Node, choices: &[(&'static str, T)], d: &mut Diags) -> Option<Spanned<T>> {
    let value = text(node, d)?;
    if let Some((_, v)) = choices.iter().find(|(name, _)| *name == value.value) {
        return Some(Spanned::new(*v, node.span));
    }
    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    let help = match did_you_mean(&value.value, names.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("use one of: {}", names.join(", ")),
    };
    d.push(
        Diagnostic::error(Code::InvalidValue, node.span, format!("`{}` is not a valid choice", value.value))
            .with_label(format!("expected one of: {}", names.join(", ")))
            .with_help(help),
    );
    None
}

pub fn duration(node: &Node, d: &mut Diags) -> Option<Spanned<Duration>> {
    let value = text(node, d)?;
    Duration::parse(&value.value).map(|v| Spanned::new(v, node.span)).or_else(|| {
        d.push(
            Diagnostic::error(Code::InvalidDuration, node.span, format!("`{}` is not a duration", value.value))
                .with_label("expected a number and a unit")
                .with_help("write for example `60s`, `15m`, `24h` or `7d` (units: ms, s, m, h, d)"),
        );
        None
    })
}

pub fn size(node: &Node, d: &mut Diags) -> Option<Spanned<ByteSize>> {
    let value = text(node, d)?;
    ByteSize::parse(&value.value).map(|v| Spanned::new(v, node.span)).or_else(|| {
        d.push(
            Diagnostic::error(Code::InvalidSize, node.span, format!("`{}` is not a size", value.value))
                .with_label("expected a number and a unit")
                .with_help("write for example `64MiB`, `512KiB` or `1GB` (units: B, KB, MB, GB, KiB, MiB, GiB)"),
        );
        None
    })
}

pub fn rate(node: &Node, d: &mut Diags) -> Option<Spanned<Rate>> {
    let value = text(node, d)?;
    Rate::parse(&value.value)
        .map(|v| Spanned::new(v, node.span))
        .map_err(|why| {
            d.push(
                Diagnostic::error(Code::InvalidRate, node.span, format!("`{}` is not a rate", value.value))
                    .with_label(why)
                    .with_help(Rate::HELP),
            );
        })
        .ok()
}

pub fn share(node: &Node, d: &mut Diags) -> Option<Spanned<Share>> {
    let value = text(node, d)?;
    Share::parse(&value.value)
        .map(|v| Spanned::new(v, node.span))
        .map_err(|why| {
            d.push(
                Diagnostic::error(Code::InvalidValue, node.span, format!("`{}` is not a share", value.value))
                    .with_label(why)
                    .with_help("write a percentage from `0%` to `100%`, e.g. `1%` or `0.5%`"),
            );
        })
        .ok()
}
