//! The last step from an `hcl::Body` to file text: hcl-rs formats the body, then two small
//! passes bring it to `terraform fmt`'s canonical layout and add what hcl-rs cannot write.
//!
//! - hcl-rs has no comments, and checkov reads its skips only from `#checkov:skip=ID:reason`
//!   comment lines inside the resource block: [`render`] inserts comment lines right after the
//!   header line of the block they belong to (matched exactly, at the top level).
//! - hcl-rs writes one space around every `=` and `{  }` for an empty nested block;
//!   `terraform fmt` aligns the `=` of consecutive one-line attributes and writes `{}`
//!   ([`canonical`], which follows hclwrite's rules).

use hcl::format::Format;
use hcl::{Block, Body};

/// Comment lines (without `#`) for the block whose header is `header`.
pub struct Comments {
    pub header: String,
    pub lines: Vec<String>,
}

/// The header line of a top-level block as hcl-rs writes it: `resource "kind" "label" {`.
#[must_use]
pub fn header(identifier: &str, labels: &[&str]) -> String {
    let empty = Block::builder(identifier).add_labels(labels.iter().copied()).build();
    let text = hcl::format::to_string(&empty).unwrap_or_default();
    text.trim_end().trim_end_matches('}').to_string()
}

/// A comment's text as one safe line: control characters (a newline would end the comment and
/// let the rest be read as HCL) become spaces; `# ` is added unless the text is a directive
/// that starts with `#` itself (`#checkov:skip=...`).
#[must_use]
pub fn comment_line(text: &str) -> String {
    let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if line.starts_with('#') { line } else { format!("# {line}").trim_end().to_string() }
}

/// `body` as file text: formatted, with `comments` inserted, in canonical layout.
///
/// # Errors
/// When hcl-rs cannot format the body, or a comment's block is not in it.
pub fn render(body: &Body, comments: &[Comments]) -> Result<String, String> {
    let mut buf = Vec::new();
    let mut formatter = hcl::format::Formatter::builder().compact_arrays(true).build(&mut buf);
    body.format(&mut formatter).map_err(|e| format!("formatting HCL: {e}"))?;
    let text = String::from_utf8(buf).map_err(|e| format!("formatting HCL: {e}"))?;
    let mut out = String::with_capacity(text.len() + 1024);
    let mut used = vec![false; comments.len()];
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        for (i, c) in comments.iter().enumerate() {
            if line == c.header {
                if used[i] {
                    return Err(format!("two blocks have the header `{}`", c.header));
                }
                used[i] = true;
                for comment in &c.lines {
                    out.push_str("  ");
                    out.push_str(&comment_line(comment));
                    out.push('\n');
                }
            }
        }
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(format!("no block `{}` for its comments", comments[i].header));
    }
    Ok(canonical(&out))
}

/// What the alignment pass needs to know about one line.
struct Line {
    /// Byte offset of the attribute's `=`, when the line is a whole one-line attribute.
    assign: Option<usize>,
}

/// Finds the assignment `=` of a line the way hclwrite does: the first `=` outside strings
/// that is not the first token, counted only if the brackets after it balance on this line
/// (an opening bracket starts a multi-line value, which is never aligned).
fn scan(line: &str) -> Line {
    #[derive(Clone, Copy)]
    enum Frame {
        Str,
        Interp(u32),
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with("//") {
        return Line { assign: None };
    }
    let bytes = line.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut assign = None;
    let mut net = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match stack.last_mut() {
            Some(Frame::Str) => match b {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'$' | b'%' if bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b'{') => i += 2,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push(Frame::Interp(0));
                    i += 1;
                }
                _ => {}
            },
            Some(Frame::Interp(depth)) => match b {
                b'"' => stack.push(Frame::Str),
                b'{' => *depth += 1,
                b'}' if *depth == 0 => {
                    stack.pop();
                }
                b'}' => *depth -= 1,
                _ => {}
            },
            None => match b {
                b'"' => stack.push(Frame::Str),
                b'{' | b'[' | b'(' if assign.is_some() => net += 1,
                b'}' | b']' | b')' if assign.is_some() => net -= 1,
                b'=' if assign.is_none() => {
                    let operator = matches!(bytes.get(i + 1), Some(b'=' | b'>'))
                        || (i > 0 && matches!(bytes[i - 1], b'!' | b'<' | b'>' | b'='));
                    if !operator && !line[..i].trim().is_empty() {
                        assign = Some(i);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    Line { assign: assign.filter(|_| net == 0) }
}

/// hcl-rs writes an empty nested block as `name {` + spaces + `}`; `terraform fmt` as `name {}`.
fn empty_block(line: &str) -> String {
    let collapsed = line
        .strip_suffix('}')
        .map(|head| head.trim_end_matches(' '))
        .and_then(|head| head.strip_suffix('{'))
        .filter(|head| head.ends_with(' '));
    collapsed.map_or_else(|| line.to_string(), |head| format!("{head}{{}}"))
}

/// `terraform fmt` layout: `=` aligned across each run of consecutive one-line attributes,
/// `{}` for empty blocks. Expects hcl-rs output (2-space indent, one space around `=`).
#[must_use]
pub fn canonical(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(empty_block).collect();
    let scanned: Vec<Line> = lines.iter().map(|l| scan(l)).collect();
    let mut out = String::with_capacity(text.len() + 256);
    let mut i = 0;
    while i < lines.len() {
        if scanned[i].assign.is_none() {
            out.push_str(&lines[i]);
            out.push('\n');
            i += 1;
            continue;
        }
        let end = (i..lines.len()).find(|&j| scanned[j].assign.is_none()).unwrap_or(lines.len());
        let key = |j: usize| lines[j][..scanned[j].assign.unwrap_or(0)].trim_end();
        let width = (i..end).map(|j| key(j).chars().count()).max().unwrap_or(0);
        for j in i..end {
            let value = lines[j][scanned[j].assign.unwrap_or(0) + 1..].trim_start();
            let key = key(j);
            let pad = width - key.chars().count();
            out.push_str(key);
            out.push_str(&" ".repeat(pad));
            out.push_str(" = ");
            out.push_str(value);
            out.push('\n');
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_runs_of_one_line_attributes_only() {
        let input = "resource \"a\" \"b\" {\n  name = \"x\"\n  shard_count = 1\n  tags = {\n    k = \"v\"\n    longer = 2\n  }\n  list = [\n    \"a\",\n  ]\n  z = 1\n\n  block {  }\n  nested {\n    deeper {    }\n  }\n}\n";
        let expected = "resource \"a\" \"b\" {\n  name        = \"x\"\n  shard_count = 1\n  tags = {\n    k      = \"v\"\n    longer = 2\n  }\n  list = [\n    \"a\",\n  ]\n  z = 1\n\n  block {}\n  nested {\n    deeper {}\n  }\n}\n";
        assert_eq!(canonical(input), expected);
    }

    #[test]
    fn ignores_equals_signs_and_brackets_inside_strings() {
        let line = scan(r#"  a = "x = [ \" ${foo.bar} $${lit} %{ if true }{%{ endif }""#);
        assert_eq!(line.assign, Some(4));
        assert_eq!(scan(r#"  "k=" = "v""#).assign, Some(7));
        assert_eq!(scan(r"  f = jsonencode({").assign, None);
        assert_eq!(scan("  #checkov:skip=CKV_AWS_1:a = b").assign, None);
        assert_eq!(scan("  block {").assign, None);
        assert_eq!(scan("  c = a == b").assign, Some(4));
        assert_eq!(scan(r#"  t = "${jsonencode({ a = "}" })}""#).assign, Some(4));
    }

    #[test]
    fn inserts_comments_after_the_matching_header_only() {
        let body = Body::builder()
            .add_block(Block::builder("resource").add_label("t").add_label("a").add_attribute(("x", 1)).build())
            .add_block(Block::builder("resource").add_label("t").add_label("ab").add_attribute(("x", 1)).build())
            .build();
        let comments = [Comments {
            header: header("resource", &["t", "ab"]),
            lines: vec!["#checkov:skip=CKV_X:why".into(), "two\nlines".into()],
        }];
        let text = render(&body, &comments).unwrap();
        assert_eq!(
            text,
            "resource \"t\" \"a\" {\n  x = 1\n}\n\nresource \"t\" \"ab\" {\n  #checkov:skip=CKV_X:why\n  # two lines\n  x = 1\n}\n"
        );
    }

    #[test]
    fn a_comment_for_a_missing_block_is_an_error() {
        let body = Body::builder().add_block(Block::builder("locals").add_attribute(("x", 1)).build()).build();
        let comments = [Comments { header: header("resource", &["t", "a"]), lines: vec!["x".into()] }];
        assert!(render(&body, &comments).unwrap_err().contains("resource \"t\" \"a\""));
    }

    #[test]
    fn comment_lines_cannot_break_out() {
        assert_eq!(comment_line("a\nb = 1\r"), "# a b = 1");
        assert_eq!(comment_line("#checkov:skip=CKV_X:why"), "#checkov:skip=CKV_X:why");
    }
}
