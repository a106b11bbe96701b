//! Diagnostics as plain data: a stable code, a severity, a headline, labelled byte spans into the
//! spec and a help line. Stages only *return* diagnostics; rendering lives in `render` and is
//! chosen by the CLI.

mod code;
pub mod render;

pub use code::Code;

use serde::Serialize;

/// A byte range into one source text (the spec file).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    #[must_use]
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// A span covering both `self` and `other`.
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    #[must_use]
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    #[must_use]
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error of `code` whose primary label sits at `span`.
    #[must_use]
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, span, message)
    }

    #[must_use]
    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, span, message)
    }

    fn new(severity: Severity, code: Code, span: Span, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            code,
            severity,
            labels: vec![Label { span, message: String::new(), primary: true }],
            message,
            help: None,
        }
    }

    /// Sets the text of the primary label (shown under the underlined span).
    #[must_use]
    pub fn with_label(mut self, text: impl Into<String>) -> Self {
        if let Some(primary) = self.labels.iter_mut().find(|l| l.primary) {
            primary.message = text.into();
        }
        self
    }

    /// Adds a secondary label, e.g. "first defined here".
    #[must_use]
    pub fn with_secondary(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: text.into(), primary: false });
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The span of the primary label (where the problem is).
    #[must_use]
    pub fn span(&self) -> Span {
        self.labels.iter().find(|l| l.primary).map(|l| l.span).unwrap_or_default()
    }

    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Moves every label by `offset` bytes: used to place diagnostics found inside an embedded
    /// text (a `when:` expression) into the spec.
    #[must_use]
    pub fn shifted(mut self, map: impl Fn(Span) -> Span) -> Self {
        for label in &mut self.labels {
            label.span = map(label.span);
        }
        self
    }
}

/// Sorts diagnostics by position (then code) so output is stable and reads top to bottom.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.span().start, a.span().end, a.code.as_str(), &a.message).cmp(&(
            b.span().start,
            b.span().end,
            b.code.as_str(),
            &b.message,
        ))
    });
}

/// "did you mean" help for a misspelt name, or `None` when nothing is close.
#[must_use]
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // A typo is a few edits (swaps count once), about one per three characters; a similar-looking
    // but different word (`accountId` / `amount`) is not suggested.
    let name = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&name, &c.to_lowercase()), c))
        .filter(|(distance, c)| *distance <= (name.chars().count().max(c.chars().count()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_typos_not_lookalikes() {
        let keys = ["record", "retention", "shards", "on_demand", "tumbling", "amount", "prod"];
        assert_eq!(did_you_mean("recrod", keys), Some("record"));
        assert_eq!(did_you_mean("tumblng", keys), Some("tumbling"));
        assert_eq!(did_you_mean("Shards", keys), Some("shards"));
        assert_eq!(did_you_mean("prd", keys), Some("prod"));
        assert_eq!(did_you_mean("accountId", keys), None);
        assert_eq!(did_you_mean("x", keys), None);
    }
}
