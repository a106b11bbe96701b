//! Splits expression text into tokens. Keywords are case-insensitive; strings are single- or
//! double-quoted (a doubled quote escapes it); odd field names are backtick-quoted.

use crate::diagnostic::{Code, Diagnostic, Span};

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// An unsigned integer literal; the parser applies a leading minus.
    Int(u64),
    Float(f64),
    Str(String),
    Ident(String),
    /// A backtick-quoted field name.
    Quoted(String),
    And,
    Or,
    Not,
    In,
    Between,
    Like,
    Is,
    Null,
    True,
    False,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LParen,
    RParen,
    Comma,
    Eof,
}

impl Tok {
    /// How the token reads in a message.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Tok::Int(n) => format!("`{n}`"),
            Tok::Float(f) => format!("`{f}`"),
            Tok::Str(_) => "a string".to_owned(),
            Tok::Ident(name) | Tok::Quoted(name) => format!("`{name}`"),
            Tok::Eof => "the end of the expression".to_owned(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::And => "AND",
            Tok::Or => "OR",
            Tok::Not => "NOT",
            Tok::In => "IN",
            Tok::Between => "BETWEEN",
            Tok::Like => "LIKE",
            Tok::Is => "IS",
            Tok::Null => "NULL",
            Tok::True => "TRUE",
            Tok::False => "FALSE",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Eq => "=",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Comma => ",",
            _ => "?",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Tokenizes `text`; the last token is always `Eof` (an empty span at the end).
///
/// # Errors
/// An `ExprSyntax` diagnostic for an unterminated string or quoted name, a malformed number or
/// a character that cannot start a token.
pub fn lex(text: &str) -> Result<Vec<Token>, Diagnostic> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            b'0'..=b'9' => {
                let (tok, end) = number(text, start)?;
                i = end;
                tok
            }
            b'\'' | b'"' | b'`' => {
                let (value, end) = quoted(text, start)?;
                i = end;
                if c == b'`' { Tok::Quoted(value) } else { Tok::Str(value) }
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                keyword(&text[start..i])
            }
            _ => {
                let two = bytes.get(i + 1).copied();
                let (tok, len) = match (c, two) {
                    (b'=', Some(b'=')) => (Tok::Eq, 2),
                    (b'!', Some(b'=')) | (b'<', Some(b'>')) => (Tok::Ne, 2),
                    (b'<', Some(b'=')) => (Tok::Le, 2),
                    (b'>', Some(b'=')) => (Tok::Ge, 2),
                    (b'&', Some(b'&')) => (Tok::And, 2),
                    (b'|', Some(b'|')) => (Tok::Or, 2),
                    (b'=', _) => (Tok::Eq, 1),
                    (b'<', _) => (Tok::Lt, 1),
                    (b'>', _) => (Tok::Gt, 1),
                    (b'!', _) => (Tok::Not, 1),
                    (b'+', _) => (Tok::Plus, 1),
                    (b'-', _) => (Tok::Minus, 1),
                    (b'*', _) => (Tok::Star, 1),
                    (b'/', _) => (Tok::Slash, 1),
                    (b'%', _) => (Tok::Percent, 1),
                    (b'(', _) => (Tok::LParen, 1),
                    (b')', _) => (Tok::RParen, 1),
                    (b',', _) => (Tok::Comma, 1),
                    _ => return Err(unexpected_char(text, start)),
                };
                i += len;
                tok
            }
        };
        tokens.push(Token { tok, span: Span::new(start, i) });
    }
    tokens.push(Token { tok: Tok::Eof, span: Span::new(text.len(), text.len()) });
    Ok(tokens)
}

fn keyword(word: &str) -> Tok {
    match word.to_ascii_lowercase().as_str() {
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "in" => Tok::In,
        "between" => Tok::Between,
        "like" => Tok::Like,
        "is" => Tok::Is,
        "null" => Tok::Null,
        "true" => Tok::True,
        "false" => Tok::False,
        _ => Tok::Ident(word.to_owned()),
    }
}

fn number(text: &str, start: usize) -> Result<(Tok, usize), Diagnostic> {
    let bytes = text.as_bytes();
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut end = digits(start);
    let mut is_float = false;
    if bytes.get(end) == Some(&b'.') {
        let after = digits(end + 1);
        if after == end + 1 {
            return Err(Diagnostic::error(Code::ExprSyntax, Span::new(start, end + 1), "malformed number")
                .with_label("expected a digit after `.`")
                .with_help("write decimals like `1.5` or `9000.0`"));
        }
        end = after;
        is_float = true;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'+' | b'-')) {
            exp += 1;
        }
        let after = digits(exp);
        if after == exp {
            return Err(Diagnostic::error(Code::ExprSyntax, Span::new(start, after), "malformed number")
                .with_label("expected digits in the exponent")
                .with_help("write exponents like `1.5e3`"));
        }
        end = after;
        is_float = true;
    }
    let lexeme = &text[start..end];
    let too_large = || {
        Diagnostic::error(Code::ExprSyntax, Span::new(start, end), "number out of range")
            .with_label("this number is too large")
            .with_help("integers are 64-bit (up to 9223372036854775807); floats are finite doubles")
    };
    let tok = if is_float {
        let value: f64 = lexeme.parse().map_err(|_| too_large())?;
        if !value.is_finite() {
            return Err(too_large());
        }
        Tok::Float(value)
    } else {
        Tok::Int(lexeme.parse().map_err(|_| too_large())?)
    };
    Ok((tok, end))
}

/// Reads a quoted string or name starting at `start` (the quote); a doubled quote escapes it.
fn quoted(text: &str, start: usize) -> Result<(String, usize), Diagnostic> {
    let quote = text.as_bytes()[start] as char;
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c == quote {
            if chars.peek().is_some_and(|&(_, next)| next == quote) {
                chars.next();
                value.push(quote);
                continue;
            }
            return Ok((value, start + 1 + offset + 1));
        }
        value.push(c);
    }
    let what = if quote == '`' { "quoted name" } else { "string" };
    Err(Diagnostic::error(Code::ExprSyntax, Span::new(start, text.len()), format!("unterminated {what}"))
        .with_label(format!("this {what} is never closed"))
        .with_help(format!("close it with {quote}; write {quote}{quote} for a {quote} inside")))
}

fn unexpected_char(text: &str, start: usize) -> Diagnostic {
    let c = text[start..].chars().next().unwrap_or('?');
    Diagnostic::error(Code::ExprSyntax, Span::new(start, start + c.len_utf8()), format!("unexpected character `{c}`"))
        .with_label("not part of the expression language")
        .with_help("expressions use field names, literals, `+ - * / %`, comparisons, AND/OR/NOT and parentheses")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_and_keywords() {
        assert_eq!(
            toks("a >= 1.5 AnD `odd name` <> 'it''s'"),
            vec![
                Tok::Ident("a".into()),
                Tok::Ge,
                Tok::Float(1.5),
                Tok::And,
                Tok::Quoted("odd name".into()),
                Tok::Ne,
                Tok::Str("it's".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("1e3 && !x || \"q\"\"\""),
            vec![
                Tok::Float(1000.0),
                Tok::And,
                Tok::Not,
                Tok::Ident("x".into()),
                Tok::Or,
                Tok::Str("q\"".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let err = lex("transaction > 'abc").unwrap_err();
        assert_eq!(err.span(), Span::new(14, 18));
        assert_eq!(err.message, "unterminated string");
        assert_eq!(lex("a # b").unwrap_err().span(), Span::new(2, 3));
        assert_eq!(lex("99999999999999999999999").unwrap_err().message, "number out of range");
        assert_eq!(lex("1.").unwrap_err().message, "malformed number");
        assert_eq!(lex("é").unwrap_err().span(), Span::new(0, 2));
    }
}
