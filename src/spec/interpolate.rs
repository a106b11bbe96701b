//! `${VAR}` and `${VAR:-default}` in scalar values, resolved before decoding so that every
//! later check sees the final value. `$${` writes a literal `${`. Keys are never interpolated.

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::yaml::{Node, NodeKind, ScalarStyle};

/// Replaces every interpolation in the tree's scalar values, collecting a diagnostic for each
/// missing variable or malformed `${`.
pub fn interpolate(node: &mut Node, lookup: &dyn Fn(&str) -> Option<String>, out: &mut Vec<Diagnostic>) {
    match &mut node.kind {
        NodeKind::Scalar { value, verbatim_at, style, offsets } => {
            if !value.contains('$') {
                return;
            }
            let (base, whole) = (*verbatim_at, node.span);
            let at = |relative: Span| match base {
                Some(base) => Span::new(base + relative.start, base + relative.end),
                None => whole,
            };
            let replaced =
                expand(value, lookup, &mut |relative, make: &dyn Fn(Span) -> Diagnostic| out.push(make(at(relative))));
            if replaced != *value {
                *value = replaced;
                *verbatim_at = None;
                *offsets = None;
                // `"${SHARDS:-2}"` is quoted only because YAML needs it around `${`: a number
                // or boolean that results is read like a plain one.
                let typed = value.parse::<f64>().is_ok() || value == "true" || value == "false";
                if *style == ScalarStyle::Quoted && typed {
                    *style = ScalarStyle::Plain;
                }
            }
        }
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| interpolate(n, lookup, out)),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|e| interpolate(&mut e.value, lookup, out)),
    }
}

type Report<'a> = dyn FnMut(Span, &dyn Fn(Span) -> Diagnostic) + 'a;

fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>, report: &mut Report<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            (rest, offset) = (after, offset + i + 3);
        } else if let Some(body) = tail.strip_prefix("${") {
            let start = offset + i;
            let Some(close) = body.find('}') else {
                report(Span::new(start, offset + rest.len()), &|s| {
                    Diagnostic::error(Code::InvalidInterpolation, s, "unclosed `${`")
                        .with_label("opened here")
                        .with_help("close it with `}`, or write `$${` for a literal `${`")
                });
                out.push_str(tail);
                return out;
            };
            let inner = &body[..close];
            let span = Span::new(start, start + close + 3);
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            if !is_name(name) {
                report(span, &|s| {
                    Diagnostic::error(Code::InvalidInterpolation, s, format!("`${{{inner}}}` is not a variable reference"))
                        .with_label("expected `${NAME}` or `${NAME:-default}`")
                        .with_help("variable names use letters, digits and `_` and do not start with a digit; `$${` writes a literal `${`")
                });
            } else if let Some(value) = lookup(name) {
                out.push_str(&value);
            } else if let Some(default) = default {
                out.push_str(default);
            } else {
                report(span, &|s| {
                    Diagnostic::error(Code::MissingVariable, s, format!("environment variable `{name}` is not set"))
                        .with_label("referenced here")
                        .with_help(format!(
                            "set `{name}` before running pipec, or give a default: `${{{name}:-value}}`"
                        ))
                });
            }
            (rest, offset) = (&body[close + 1..], start + close + 3);
        } else {
            out.push('$');
            (rest, offset) = (&tail[1..], offset + i + 1);
        }
    }
    out.push_str(rest);
    out
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (String, Vec<(Code, Span)>) {
        let lookup = |name: &str| (name == "HOOK").then(|| "https://h.example/x".to_string());
        let mut out = Vec::new();
        let value = expand(text, &lookup, &mut |span, make| out.push((make(span).code, span)));
        (value, out)
    }

    #[test]
    fn expands_defaults_escapes_and_reports_missing() {
        assert_eq!(run("${HOOK}/a").0, "https://h.example/x/a");
        assert_eq!(run("${NOPE:-dflt}").0, "dflt");
        assert_eq!(run("${NOPE:-}").0, "");
        assert_eq!(run("cost $5 $${HOOK}").0, "cost $5 ${HOOK}");
        assert_eq!(run("x ${NOPE} y").1, [(Code::MissingVariable, Span::new(2, 9))]);
        assert_eq!(run("${1A}").1, [(Code::InvalidInterpolation, Span::new(0, 5))]);
        assert_eq!(run("a ${HOOK").1, [(Code::InvalidInterpolation, Span::new(2, 8))]);
    }
}
