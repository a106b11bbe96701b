//! Python source laid out the way `ruff format` writes it, for the generated Lambda handlers.
//!
//! The handlers contain only a small part of Python built from data: calls, tuples and atoms
//! (names, literals, `a[0]`). [`Py`] is that part, and [`statement`] prints one statement
//! (`return EXPR`, `NAME = EXPR`) with the layout of ruff's formatter (line width 88, indent 4),
//! which is Prettier's algorithm over these groups:
//!
//! * a call `f(args)`: flat when the rest of the line fits; else the arguments go on their own
//!   indented line; if they still do not fit, one argument per line, with a trailing comma when
//!   there are several;
//! * a tuple `(items)`: flat when it fits, else one item per line with a trailing comma (a
//!   one-item tuple always has its comma); [`Py::expanded`] forces the broken form, as a magic
//!   trailing comma does in ruff;
//! * an atom never breaks; a too-long atom on the right of `=` is parenthesised when that makes
//!   it fit ("best fit").
//!
//! String literals are written as ruff normalises them ([`string`]). `tests/python_style.rs`
//! runs the real `ruff format --check` on every generated handler.

use unicode_width::UnicodeWidthStr;

/// ruff's default line width.
const WIDTH: usize = 88;
const INDENT: usize = 4;

/// A Python expression of the generated subset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Py {
    /// Text that never breaks: a name, a literal, `a[0]`.
    Atom(String),
    /// `callee(args)`.
    Call(String, Vec<Py>),
    /// `(items)`; `expanded` keeps one item per line whatever the width.
    Tuple { items: Vec<Py>, expanded: bool },
}

impl Py {
    #[must_use]
    pub fn atom(text: impl Into<String>) -> Self {
        Py::Atom(text.into())
    }

    #[must_use]
    pub fn call(callee: impl Into<String>, args: Vec<Py>) -> Self {
        Py::Call(callee.into(), args)
    }

    #[must_use]
    pub fn tuple(items: Vec<Py>) -> Self {
        Py::Tuple { items, expanded: false }
    }

    /// A tuple written one item per line when it has several (ruff keeps a magic trailing
    /// comma; the comma of a one-item tuple is not one).
    #[must_use]
    pub fn expanded(items: Vec<Py>) -> Self {
        let expanded = items.len() > 1;
        Py::Tuple { items, expanded }
    }

    /// The expression on one line.
    #[must_use]
    pub fn flat(&self) -> String {
        let mut out = String::new();
        self.write_flat(&mut out);
        out
    }

    fn write_flat(&self, out: &mut String) {
        match self {
            Py::Atom(text) => out.push_str(text),
            Py::Call(callee, args) => {
                out.push_str(callee);
                out.push('(');
                join_flat(args, out);
                out.push(')');
            }
            Py::Tuple { items, .. } => {
                out.push('(');
                join_flat(items, out);
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
        }
    }

    /// Whether the flat form may be used: it has no forced break anywhere.
    fn can_be_flat(&self) -> bool {
        match self {
            Py::Atom(_) => true,
            Py::Call(_, args) => args.iter().all(Py::can_be_flat),
            Py::Tuple { items, expanded } => !expanded && items.iter().all(Py::can_be_flat),
        }
    }
}

fn join_flat(items: &[Py], out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.write_flat(out);
    }
}

fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `prefix` + `expr` as one statement at `indent` spaces, ending in a newline; `prefix` is
/// what precedes the expression on its first line (`"return "`, `"RULES = "`).
#[must_use]
pub fn statement(indent: usize, prefix: &str, expr: &Py) -> String {
    let mut out = " ".repeat(indent);
    out.push_str(prefix);
    let column = indent + width(prefix);
    match expr {
        // Best fit: an atom that does not fit is parenthesised when that makes it fit.
        Py::Atom(text) if !prefix.is_empty() && prefix.ends_with("= ") && column + width(text) > WIDTH => {
            if indent + INDENT + width(text) <= WIDTH {
                out.push_str("(\n");
                out.push_str(&" ".repeat(indent + INDENT));
                out.push_str(text);
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                out.push(')');
            } else {
                out.push_str(text);
            }
        }
        _ => layout(expr, indent, column, 0, &mut out),
    }
    out.push('\n');
    out
}

/// Writes `expr` starting at `column` on a line indented by `indent`; `rest` is the width of
/// what follows it on the same line (a comma).
fn layout(expr: &Py, indent: usize, column: usize, rest: usize, out: &mut String) {
    if expr.can_be_flat() {
        let flat = expr.flat();
        if column + width(&flat) + rest <= WIDTH {
            out.push_str(&flat);
            return;
        }
    }
    match expr {
        Py::Atom(text) => out.push_str(text),
        Py::Call(callee, args) => {
            out.push_str(callee);
            out.push('(');
            if !args.is_empty() {
                let inner = indent + INDENT;
                newline(inner, out);
                // The arguments together on their own line, when they fit there.
                let together = args.iter().all(Py::can_be_flat).then(|| {
                    let mut line = String::new();
                    join_flat(args, &mut line);
                    line
                });
                match together {
                    Some(line) if inner + width(&line) <= WIDTH => out.push_str(&line),
                    _ => one_per_line(args, inner, args.len() > 1, out),
                }
                newline(indent, out);
            }
            out.push(')');
        }
        Py::Tuple { items, .. } => {
            out.push('(');
            let inner = indent + INDENT;
            newline(inner, out);
            one_per_line(items, inner, true, out);
            newline(indent, out);
            out.push(')');
        }
    }
}

fn one_per_line(items: &[Py], indent: usize, trailing_comma: bool, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            newline(indent, out);
        }
        let comma = i + 1 < items.len() || trailing_comma;
        layout(item, indent, indent, usize::from(comma), out);
        if comma {
            out.push(',');
        }
    }
}

fn newline(indent: usize, out: &mut String) {
    out.push('\n');
    out.push_str(&" ".repeat(indent));
}

/// A Python string literal as `ruff format` normalises it: double quotes unless the text holds
/// more double than single quotes; backslash, the quote and control or line-separator
/// characters escaped (lower-case hex); everything else as is.
#[must_use]
pub fn string(text: &str) -> String {
    let doubles = text.matches('"').count();
    let singles = text.matches('\'').count();
    let quote = if doubles > singles { '\'' } else { '"' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if u32::from(c) < 0x100 && c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A comment's text on one line: whitespace runs become one space, control characters are
/// escaped, so user text (a rule's `when:`) cannot break out of the comment.
#[must_use]
pub fn comment_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { format!("\\u{{{:x}}}", u32::from(c)) } else { c.to_string() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(field: &str) -> Py {
        Py::call("r.get", vec![Py::atom(string(field))])
    }

    #[test]
    fn short_calls_stay_flat() {
        let e = Py::call("rt.gt", vec![get("transaction"), Py::atom("9000")]);
        assert_eq!(statement(4, "return ", &e), "    return rt.gt(r.get(\"transaction\"), 9000)\n");
    }

    #[test]
    fn long_calls_break_like_ruff() {
        let long = "x".repeat(62);
        let e = Py::call("rt.gt", vec![Py::call("rt.add", vec![get(&long), Py::atom("1")]), Py::atom("2")]);
        let expected = format!(
            "    return rt.gt(\n        rt.add(\n            r.get(\"{long}\"), 1\n        ),\n        2,\n    )\n"
        );
        assert_eq!(statement(4, "return ", &e), expected);
    }

    #[test]
    fn tuples() {
        let t = Py::expanded(vec![Py::tuple(vec![Py::atom("\"a\"")]), Py::tuple(vec![])]);
        assert_eq!(statement(0, "T = ", &t), "T = (\n    (\"a\",),\n    (),\n)\n");
        assert_eq!(statement(0, "T = ", &Py::expanded(vec![Py::atom("1")])), "T = (1,)\n");
        assert_eq!(statement(0, "T = ", &Py::expanded(vec![])), "T = ()\n");
        let title = format!("\"{}\"", "t".repeat(80));
        assert_eq!(statement(0, "TITLE = ", &Py::atom(&title)), format!("TITLE = (\n    {title}\n)\n"));
    }

    #[test]
    fn strings_as_ruff_writes_them() {
        assert_eq!(string("a'b"), "\"a'b\"");
        assert_eq!(string("a\"b"), "'a\"b'");
        assert_eq!(string("a\"b'c"), "\"a\\\"b'c\"");
        assert_eq!(string("é\\\n\u{1}\u{2028}"), "\"é\\\\\\n\\x01\\u2028\"");
        assert_eq!(comment_text("a\n  b\u{7}"), "a b\\u{7}");
    }
}
