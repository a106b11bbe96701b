//! Rendering of diagnostics: `human` (miette's graphical report) and `json` (one document for
//! editors and CI). Only the CLI calls these.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::source::Source;

/// Options for the human renderer. Tests use a fixed width and no colour.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// The most diagnostics the human renderer draws: each report costs a scan of the source, and
/// past a screenful more of them help nobody.
pub const MAX_HUMAN: usize = 50;

/// Renders the diagnostics (the first [`MAX_HUMAN`]) as miette's graphical report, followed by
/// a summary line.
#[must_use]
pub fn human(source: &Source, diagnostics: &[Diagnostic], style: Style) -> String {
    let mut out = reports(source, diagnostics, style);
    out.push_str(&summary(diagnostics));
    out.push('\n');
    out
}

/// The graphical reports of [`human`] without its summary line (for callers that summarise
/// differently, such as `pipec test`).
#[must_use]
pub fn reports(source: &Source, diagnostics: &[Diagnostic], style: Style) -> String {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    let named = NamedSource::new(source.name(), source.text().to_owned());
    let mut out = String::new();
    for diagnostic in diagnostics.iter().take(MAX_HUMAN) {
        let report = Report { diagnostic, source: &named, len: source.text().len() };
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    if diagnostics.len() > MAX_HUMAN {
        out.push_str(&format!(
            "… and {} more not shown (the first {MAX_HUMAN} are above; `--format json` lists all)\n",
            diagnostics.len() - MAX_HUMAN
        ));
    }
    out
}

/// "2 errors, 1 warning" style summary.
#[must_use]
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(errors, "error"), plural(warnings, "warning"))
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: String,
    severity: Severity,
    message: &'a str,
    help: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    primary: bool,
    start: Position,
    end: Position,
}

/// A position given three ways, so that every consumer finds the one it needs.
#[derive(Serialize)]
struct Position {
    offset: usize,
    line: usize,
    column: usize,
}

/// Renders the diagnostics as one pretty-printed JSON document.
#[must_use]
pub fn json(source: &Source, diagnostics: &[Diagnostic]) -> String {
    let position = |offset: usize| {
        let (line, column) = source.line_col(offset);
        Position { offset, line, column }
    };
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let report = JsonReport {
        file: source.name(),
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity,
                message: &d.message,
                help: d.help.as_deref(),
                labels: d
                    .labels
                    .iter()
                    .map(|l| JsonLabel {
                        message: &l.message,
                        primary: l.primary,
                        start: position(l.span.start),
                        end: position(l.span.end),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

/// Adapts a [`Diagnostic`] to miette's trait for rendering.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a NamedSource<String>,
    len: usize,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let len = self.len;
        Some(Box::new(self.diagnostic.labels.iter().map(move |l| {
            // Clamp so that a span at end of file still renders.
            let start = l.span.start.min(len);
            let end = l.span.end.clamp(start, len);
            let span = SourceSpan::new(start.into(), end - start);
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            if l.primary {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        })))
    }
}

/// A whole number as messages write counts, thousands separated by commas: `24945` → `24,945`.
pub fn thousands(n: impl std::fmt::Display) -> String {
    group_digits(&n.to_string())
}

/// A size as messages write it, in binary units with one decimal: `512 B`, `1.2 MiB`, `3.0 GiB`.
#[must_use]
#[allow(clippy::cast_precision_loss)] // display only
pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// An unsigned whole number's `digits` with a comma before each group of three from the right.
#[must_use]
pub fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts_as_messages_write_them() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1_258_291), "1.2 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(thousands(24_945), "24,945");
        assert_eq!(thousands(999), "999");
        assert_eq!(group_digits("1000000"), "1,000,000");
    }
}
