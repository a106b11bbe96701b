//! A hand-written precedence-climbing parser. Precedence, loosest first: `OR`, `AND`, `NOT`,
//! comparisons / `IN` / `BETWEEN` / `LIKE` / `IS NULL` (not chainable), `+ -`, `* / %`, unary
//! `-`, primaries. Nesting is capped at [`MAX_DEPTH`] (both parser recursion and tree depth), so
//! no input can overflow the stack of this or any later stage, and parsing is linear in the
//! input.

use super::ast::{Args, BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use super::lexer::{Tok, Token, lex};
use crate::diagnostic::{Code, Diagnostic, Span};

/// The deepest expression tree (and parenthesis nesting) accepted.
pub const MAX_DEPTH: u32 = 64;

/// Parses one expression.
///
/// # Errors
/// The first syntax error, as an `ExprSyntax` diagnostic whose span is relative to `text`.
pub fn parse(text: &str) -> Result<Expr, Diagnostic> {
    let tokens = lex(text)?;
    let mut parser = Parser { tokens, pos: 0, nesting: 0 };
    let (expr, _) = parser.or()?;
    let next = parser.peek();
    match next.tok {
        Tok::Eof => Ok(expr),
        Tok::RParen => Err(Diagnostic::error(Code::ExprSyntax, next.span, "unmatched `)`")
            .with_label("this `)` has no matching `(`")
            .with_help("remove it or add the missing `(`")),
        Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::Eq | Tok::Ne => {
            Err(Diagnostic::error(Code::ExprSyntax, next.span, "comparisons cannot be chained")
                .with_label("a second comparison")
                .with_help("combine comparisons with AND, e.g. `a < b AND b < c`"))
        }
        _ => Err(Diagnostic::error(Code::ExprSyntax, next.span, format!("unexpected {}", next.tok.describe()))
            .with_label("expected an operator or the end of the expression")
            .with_help("combine conditions with AND / OR; quote text as 'text'")),
    }
}

/// An expression and the depth of its tree.
type Parsed = (Expr, u32);

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    nesting: u32,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)].tok
    }

    fn bump(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if token.tok != Tok::Eof {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, tok: &Tok) -> Option<Span> {
        (self.peek().tok == *tok).then(|| self.bump().span)
    }

    fn enter(&mut self, span: Span) -> Result<(), Diagnostic> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH { Err(too_deep(span)) } else { Ok(()) }
    }

    fn node(kind: ExprKind, span: Span, depth: u32) -> Result<Parsed, Diagnostic> {
        let depth = depth + 1;
        if depth > MAX_DEPTH { Err(too_deep(span)) } else { Ok((Expr::new(kind, span), depth)) }
    }

    fn binary(op: BinaryOp, lhs: Parsed, rhs: Parsed) -> Result<Parsed, Diagnostic> {
        let span = lhs.0.span.to(rhs.0.span);
        let depth = lhs.1.max(rhs.1);
        Self::node(ExprKind::Binary { op, lhs: Box::new(lhs.0), rhs: Box::new(rhs.0) }, span, depth)
    }

    fn or(&mut self) -> Result<Parsed, Diagnostic> {
        let mut lhs = self.and()?;
        while self.eat(&Tok::Or).is_some() {
            let rhs = self.and()?;
            lhs = Self::binary(BinaryOp::Or, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Parsed, Diagnostic> {
        let mut lhs = self.not()?;
        while self.eat(&Tok::And).is_some() {
            let rhs = self.not()?;
            lhs = Self::binary(BinaryOp::And, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn not(&mut self) -> Result<Parsed, Diagnostic> {
        if let Some(span) = self.eat(&Tok::Not) {
            self.enter(span)?;
            let (inner, depth) = self.not()?;
            self.nesting -= 1;
            let span = span.to(inner.span);
            return Self::node(ExprKind::Unary { op: UnaryOp::Not, expr: Box::new(inner) }, span, depth);
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Parsed, Diagnostic> {
        let lhs = self.additive()?;
        let op = match self.peek().tok {
            Tok::Eq => BinaryOp::Eq,
            Tok::Ne => BinaryOp::Ne,
            Tok::Lt => BinaryOp::Lt,
            Tok::Le => BinaryOp::Le,
            Tok::Gt => BinaryOp::Gt,
            Tok::Ge => BinaryOp::Ge,
            Tok::Is => return self.is_null(lhs),
            Tok::Not if matches!(self.peek_at(1), Tok::In | Tok::Between | Tok::Like) => {
                self.bump();
                return self.special(lhs, true);
            }
            Tok::In | Tok::Between | Tok::Like => return self.special(lhs, false),
            _ => return Ok(lhs),
        };
        self.bump();
        let rhs = self.additive()?;
        Self::binary(op, lhs, rhs)
    }

    fn is_null(&mut self, (expr, depth): Parsed) -> Result<Parsed, Diagnostic> {
        let is = self.bump();
        let negated = self.eat(&Tok::Not).is_some();
        let Some(end) = self.eat(&Tok::Null) else {
            return Err(self.expected("`NULL`", &is, "only `IS NULL` and `IS NOT NULL` are supported"));
        };
        let span = expr.span.to(end);
        Self::node(ExprKind::IsNull { expr: Box::new(expr), negated }, span, depth)
    }

    /// `IN`, `BETWEEN` or `LIKE` after `lhs` (the optional `NOT` already consumed).
    fn special(&mut self, (expr, depth): Parsed, negated: bool) -> Result<Parsed, Diagnostic> {
        let keyword = self.bump();
        let expr = Box::new(expr);
        match keyword.tok {
            Tok::In => {
                let Some(open) = self.eat(&Tok::LParen) else {
                    return Err(self.expected("`(`", &keyword, "write a list like `x IN (1, 2, 3)`"));
                };
                let mut list = Vec::new();
                let mut max = depth;
                loop {
                    let (item, d) = self.or_operand()?;
                    max = max.max(d);
                    list.push(item);
                    if self.eat(&Tok::Comma).is_none() {
                        break;
                    }
                }
                let close = self.close(open)?;
                let span = expr.span.to(close);
                Self::node(ExprKind::In { expr, list, negated }, span, max)
            }
            Tok::Between => {
                let (low, d1) = self.additive()?;
                if self.eat(&Tok::And).is_none() {
                    let last = self.tokens[self.pos - 1].clone();
                    return Err(self.expected("`AND`", &last, "write `x BETWEEN low AND high`"));
                }
                let (high, d2) = self.additive()?;
                let span = expr.span.to(high.span);
                let kind = ExprKind::Between { expr, low: Box::new(low), high: Box::new(high), negated };
                Self::node(kind, span, depth.max(d1).max(d2))
            }
            _ => {
                let token = self.bump();
                let Tok::Str(pattern) = token.tok else {
                    return Err(Diagnostic::error(Code::ExprSyntax, token.span, "LIKE needs a quoted pattern")
                        .with_label(format!("expected a string, found {}", token.tok.describe()))
                        .with_help("write e.g. `name LIKE 'abc%'` (`%` any run, `_` one character)"));
                };
                let span = expr.span.to(token.span);
                Self::node(ExprKind::Like { expr, pattern, pattern_span: token.span, negated }, span, depth)
            }
        }
    }

    /// A list element: a full expression (parenthesised nesting is counted by `primary`).
    fn or_operand(&mut self) -> Result<Parsed, Diagnostic> {
        self.or()
    }

    fn additive(&mut self) -> Result<Parsed, Diagnostic> {
        let mut lhs = self.multiplicative()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinaryOp::Add,
                Tok::Minus => BinaryOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.multiplicative()?;
            lhs = Self::binary(op, lhs, rhs)?;
        }
    }

    fn multiplicative(&mut self) -> Result<Parsed, Diagnostic> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinaryOp::Mul,
                Tok::Slash => BinaryOp::Div,
                Tok::Percent => BinaryOp::Mod,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.unary()?;
            lhs = Self::binary(op, lhs, rhs)?;
        }
    }

    fn unary(&mut self) -> Result<Parsed, Diagnostic> {
        let Some(minus) = self.eat(&Tok::Minus) else {
            return self.primary();
        };
        // `-9223372036854775808` is a literal, not the negation of an out-of-range one.
        match self.peek().tok.clone() {
            Tok::Int(n) => {
                let span = minus.to(self.bump().span);
                let value = i64::try_from(n)
                    .map(|v| -v)
                    .or_else(|_| if n == i64::MIN.unsigned_abs() { Ok(i64::MIN) } else { Err(out_of_range(span)) })?;
                return Self::node(ExprKind::Literal(Literal::Int(value)), span, 0);
            }
            Tok::Float(f) => {
                let span = minus.to(self.bump().span);
                return Self::node(ExprKind::Literal(Literal::Float(-f)), span, 0);
            }
            _ => {}
        }
        self.enter(minus)?;
        let (inner, depth) = self.unary()?;
        self.nesting -= 1;
        let span = minus.to(inner.span);
        Self::node(ExprKind::Unary { op: UnaryOp::Neg, expr: Box::new(inner) }, span, depth)
    }

    fn primary(&mut self) -> Result<Parsed, Diagnostic> {
        let token = self.bump();
        let literal = |lit| Self::node(ExprKind::Literal(lit), token.span, 0);
        match token.tok {
            Tok::Int(n) => literal(Literal::Int(i64::try_from(n).map_err(|_| out_of_range(token.span))?)),
            Tok::Float(f) => literal(Literal::Float(f)),
            Tok::Str(ref s) => literal(Literal::String(s.clone())),
            Tok::True => literal(Literal::Bool(true)),
            Tok::False => literal(Literal::Bool(false)),
            Tok::Null => literal(Literal::Null),
            Tok::Ident(ref name) if self.peek().tok == Tok::LParen => self.call(name, token.span),
            Tok::Ident(ref name) | Tok::Quoted(ref name) => Self::node(ExprKind::Field(name.clone()), token.span, 0),
            Tok::LParen => {
                self.enter(token.span)?;
                let (inner, depth) = self.or()?;
                self.close(token.span)?;
                self.nesting -= 1;
                Ok((inner, depth))
            }
            _ => {
                self.pos -= usize::from(token.tok != Tok::Eof);
                Err(self.missing_value(&token))
            }
        }
    }

    fn call(&mut self, name: &str, name_span: Span) -> Result<Parsed, Diagnostic> {
        let open = self.bump().span;
        self.enter(open)?;
        let (args, depth) = if self.peek().tok == Tok::Star && *self.peek_at(1) == Tok::RParen {
            self.bump();
            (Args::Star, 0)
        } else if self.peek().tok == Tok::RParen {
            (Args::List(Vec::new()), 0)
        } else {
            let mut args = Vec::new();
            let mut max = 0;
            loop {
                let (arg, d) = self.or()?;
                max = max.max(d);
                args.push(arg);
                if self.eat(&Tok::Comma).is_none() {
                    break;
                }
            }
            (Args::List(args), max)
        };
        let close = self.close(open)?;
        self.nesting -= 1;
        let kind = ExprKind::Call { name: name.to_ascii_lowercase(), name_span, args };
        Self::node(kind, name_span.to(close), depth)
    }

    /// Consumes the `)` matching the `(` at `open`.
    fn close(&mut self, open: Span) -> Result<Span, Diagnostic> {
        if let Some(span) = self.eat(&Tok::RParen) {
            return Ok(span);
        }
        let found = self.peek().clone();
        Err(Diagnostic::error(Code::ExprSyntax, open, "unclosed parenthesis")
            .with_label("this `(` is never closed")
            .with_secondary(found.span, format!("expected `)` or `,` before {}", found.tok.describe()))
            .with_help("add the missing `)`"))
    }

    /// "expected a value after `>`", pointing at what was found instead.
    fn missing_value(&self, found: &Token) -> Diagnostic {
        let after = self.pos.checked_sub(1).map(|i| &self.tokens[i]).filter(|t| t.span.end <= found.span.start);
        let message = match after {
            Some(prev) => format!("expected a value after {}", prev.tok.describe()),
            None => "expected a value".to_owned(),
        };
        Diagnostic::error(Code::ExprSyntax, found.span, message)
            .with_label(format!("found {}", found.tok.describe()))
            .with_help("a value is a field name, a literal such as `9000` or 'text', a function call or `( ... )`")
    }

    fn expected(&self, what: &str, after: &Token, help: &str) -> Diagnostic {
        let found = self.peek();
        Diagnostic::error(Code::ExprSyntax, found.span, format!("expected {what} after {}", after.tok.describe()))
            .with_label(format!("found {}", found.tok.describe()))
            .with_help(help.to_owned())
    }
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(Code::ExprSyntax, span, "expression nests too deeply")
        .with_label(format!("more than {MAX_DEPTH} levels deep here"))
        .with_help("split the condition into simpler parts, or use `IN (...)` instead of long OR chains")
}

fn out_of_range(span: Span) -> Diagnostic {
    Diagnostic::error(Code::ExprSyntax, span, "number out of range")
        .with_label("this integer does not fit in 64 bits")
        .with_help("integers range from -9223372036854775808 to 9223372036854775807")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> Diagnostic {
        parse(text).unwrap_err()
    }

    #[test]
    fn precedence() {
        let e = parse("a + 2 * 3 > 9000 AND NOT b OR c").unwrap();
        let ExprKind::Binary { op: BinaryOp::Or, lhs, .. } = e.kind else { panic!("{e:?}") };
        let ExprKind::Binary { op: BinaryOp::And, lhs, .. } = lhs.kind else { panic!() };
        let ExprKind::Binary { op: BinaryOp::Gt, lhs, .. } = lhs.kind else { panic!() };
        let ExprKind::Binary { op: BinaryOp::Add, rhs, .. } = lhs.kind else { panic!() };
        assert!(matches!(rhs.kind, ExprKind::Binary { op: BinaryOp::Mul, .. }));
    }

    #[test]
    fn special_forms() {
        for text in [
            "x IN (1, 2)",
            "x not in ('a')",
            "x BETWEEN 1 AND 2",
            "x NOT BETWEEN 1 AND 2 AND y",
            "x LIKE 'a%'",
            "x NOT LIKE 'a_'",
            "x IS NULL",
            "x is not null",
            "count(*) > 1",
            "sum(x) >= 1.5",
            "now()",
            "`odd-name` = \"v\"",
            "-9223372036854775808",
            "- - - x",
            "!(a && b) || c",
        ] {
            parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        }
        assert_eq!(parse("-3").unwrap().kind, ExprKind::Literal(Literal::Int(-3)));
        assert_eq!(parse("9223372036854775808").unwrap_err().message, "number out of range");
    }

    #[test]
    fn errors_are_precise() {
        let e = err("transaction >");
        assert_eq!(e.message, "expected a value after `>`");
        assert_eq!(e.span(), Span::new(13, 13));
        let e = err("(a > 1");
        assert_eq!(e.message, "unclosed parenthesis");
        assert_eq!(e.span(), Span::new(0, 1));
        assert_eq!(err("a > 1)").message, "unmatched `)`");
        assert_eq!(err("transaction > 'abc").message, "unterminated string");
        assert_eq!(err("a < b < c").message, "comparisons cannot be chained");
        assert_eq!(err("x LIKE y").message, "LIKE needs a quoted pattern");
        assert_eq!(err("x IS 3").message, "expected `NULL` after `IS`");
        assert_eq!(err("x BETWEEN 1 OR 2").message, "expected `AND` after `1`");
        assert_eq!(err("").message, "expected a value");
        assert_eq!(err("a b").message, "unexpected `b`");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "(".repeat(100_000) + "x" + &")".repeat(100_000);
        assert_eq!(err(&deep).message, "expression nests too deeply");
        assert_eq!(err(&"- ".repeat(100_000)).message, "expression nests too deeply");
        assert_eq!(err(&"NOT ".repeat(100_000)).message, "expression nests too deeply");
        let chain = vec!["a"; 100_000].join(" + ");
        assert_eq!(err(&chain).message, "expression nests too deeply");
        let ok = "(".repeat(60) + "x" + &")".repeat(60);
        assert!(parse(&ok).is_ok());
    }
}
