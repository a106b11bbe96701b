//! The shape of a rule's `window`: exactly one of `tumbling`, `sliding` (with its `slide`) or
//! `session`. Which shapes an engine runs, and their ranges, are `check`'s concern.

use super::model::Window;
use super::reader::Diags;
use crate::diagnostic::{Code, Diagnostic, Span};

/// Reports a window that is not exactly one shape; `true` when it is.
pub fn check(w: &Window, d: &mut Diags) -> bool {
    let shapes: Vec<(&str, Span)> = [("tumbling", &w.tumbling), ("sliding", &w.sliding), ("session", &w.session)]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| (name, v.span)))
        .collect();
    let before = d.len();
    match shapes.as_slice() {
        [] => d.push(
            Diagnostic::error(Code::WindowShape, Span::new(w.span.start, w.span.start), "the window has no length")
                .with_label("a window needs `tumbling`, `sliding` or `session`")
                .with_help("add one, for example `window: { tumbling: 1m }`"),
        ),
        [_] => {}
        [(first, first_span), (second, span), ..] => d.push(
            Diagnostic::error(Code::WindowShape, *span, format!("a window is either `{first}` or `{second}`"))
                .with_label("a second kind of window")
                .with_secondary(*first_span, "the first one")
                .with_help("keep one; a rule that needs both is two rules"),
        ),
    }
    match (&w.sliding, &w.slide) {
        (Some(sliding), None) => d.push(
            Diagnostic::error(Code::WindowShape, sliding.span, "a sliding window needs `slide`")
                .with_label("how often does a window start?")
                .with_help("add `slide`, e.g. `window: { sliding: 10m, slide: 1m }`"),
        ),
        (None, Some(slide)) => d.push(
            Diagnostic::error(Code::WindowShape, slide.span, "`slide` belongs to a sliding window")
                .with_label("no `sliding` length beside it")
                .with_help("write `window: { sliding: 10m, slide: 1m }`, or remove `slide`"),
        ),
        _ => {}
    }
    d.len() == before
}
