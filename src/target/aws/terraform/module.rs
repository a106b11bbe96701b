//! A Terraform module under construction (the blocks of each file, the checkov skips and the
//! Lambda sources), and the expressions the builders need: references are typed traversals,
//! user text is always an escaped string literal.

use std::collections::BTreeSet;

use hcl::expr::{FuncCall, ObjectKey, TemplateExpr, Traversal, Variable};
use hcl::{Block, Body, Expression, Identifier};

use super::layout::{Comments, header};
use crate::target::aws::skips::{self, Skip, written_by};
use crate::target::{Artifact, Target};

#[derive(Default)]
pub struct Module {
    pub main: Vec<Block>,
    pub comments: Vec<Comments>,
    pub variables: Vec<Block>,
    pub outputs: Vec<Block>,
    pub sources: Vec<Artifact>,
    data: BTreeSet<(String, String)>,
}

impl Module {
    /// Adds `resource "kind" "label" { body }` with the checkov skips of `skips` that Terraform
    /// writes (`#checkov:skip=ID:reason` in the block).
    pub fn resource(&mut self, kind: &str, label: &str, body: Body, skips: &[Skip]) {
        let lines: Vec<String> =
            written_by(skips, Target::Terraform).map(|s| format!("#checkov:skip={}:{}", s.id, s.reason)).collect();
        if !lines.is_empty() {
            self.comments.push(Comments { header: header("resource", &[kind, label]), lines });
        }
        self.main.push(Block::builder("resource").add_label(kind).add_label(label).add_structures(body).build());
    }

    /// Adds `data "kind" "label" { body }` once (later calls with the same names are ignored,
    /// so shared documents can be requested by every user).
    pub fn data(&mut self, kind: &str, label: &str, body: Body) {
        if self.data.insert((kind.into(), label.into())) {
            self.main.push(Block::builder("data").add_label(kind).add_label(label).add_structures(body).build());
        }
    }

    /// One of pipec's SQS queues (AWS-managed key, 14 days' retention) and an output `output`
    /// with its URL: the failed-batches queue and the dead-letter queue.
    pub fn queue(&mut self, label: &str, output: &str, description: &str) {
        let body = Body::builder()
            .add_attribute(("kms_master_key_id", "alias/aws/sqs"))
            .add_attribute(("message_retention_seconds", 1_209_600))
            .build();
        self.resource("aws_sqs_queue", label, body, skips::QUEUE);
        self.output(output, description, resource("aws_sqs_queue", label, "url"));
    }

    pub fn output(&mut self, name: &str, description: &str, value: Expression) {
        self.outputs.push(
            Block::builder("output")
                .add_label(name)
                .add_attribute(("description", description))
                .add_attribute(("value", value))
                .build(),
        );
    }
}

/// `root.a.b.c`; the parts are identifiers pipec chose, never user text.
#[must_use]
pub fn traversal(root: &str, attributes: &[&str]) -> Expression {
    let mut builder = Traversal::builder(Variable::unchecked(root));
    for attribute in attributes {
        builder = builder.attr(Identifier::unchecked(*attribute));
    }
    builder.build().into()
}

/// `kind.label.attribute` of a managed resource.
#[must_use]
pub fn resource(kind: &str, label: &str, attribute: &str) -> Expression {
    traversal(kind, &[label, attribute])
}

/// `data.kind.label.attribute`.
#[must_use]
pub fn data(kind: &str, label: &str, attribute: &str) -> Expression {
    traversal("data", &[kind, label, attribute])
}

/// A bare identifier such as the type `string`.
#[must_use]
pub fn keyword(name: &str) -> Expression {
    Expression::Variable(Variable::unchecked(name))
}

/// `var.name`.
#[must_use]
pub fn var(name: &str) -> Expression {
    traversal("var", &[name])
}

/// A part of a string template.
pub enum Part<'a> {
    /// Literal text, escaped (quotes, newlines, `${`, `%{`) by hcl-rs's own string formatter.
    Text(&'a str),
    /// An interpolated expression, `${...}`.
    Expr(Expression),
}

/// A quoted template such as `"${aws_s3_bucket.b.arn}/*"`.
#[must_use]
pub fn template(parts: &[Part]) -> Expression {
    let mut text = String::new();
    for part in parts {
        match part {
            Part::Text(literal) => {
                let quoted = hcl::format::to_string(&Expression::String((*literal).to_string())).unwrap_or_default();
                text.push_str(&quoted[1..quoted.len() - 1]);
            }
            Part::Expr(expr) => {
                text.push_str("${");
                text.push_str(&hcl::format::to_string(expr).unwrap_or_default());
                text.push('}');
            }
        }
    }
    TemplateExpr::QuotedString(text).into()
}

/// A list of string literals.
#[must_use]
pub fn strings(items: &[&str]) -> Expression {
    Expression::Array(items.iter().map(|s| Expression::String((*s).to_string())).collect())
}

/// `name(args...)`.
#[must_use]
pub fn call(name: &str, args: Vec<Expression>) -> Expression {
    let mut builder = FuncCall::builder(Identifier::unchecked(name));
    for arg in args {
        builder = builder.arg(arg);
    }
    builder.build().into()
}

/// An object with identifier keys pipec chose (`source = ...`).
#[must_use]
pub fn object(entries: Vec<(&str, Expression)>) -> Expression {
    entries.into_iter().map(|(k, v)| (ObjectKey::Identifier(Identifier::unchecked(k)), v)).collect()
}

/// An object whose keys are arbitrary text, written as quoted strings.
#[must_use]
pub fn string_object(entries: Vec<(String, Expression)>) -> Expression {
    entries.into_iter().map(|(k, v)| (ObjectKey::Expression(Expression::String(k)), v)).collect()
}

/// A nested block `ident { body }`.
#[must_use]
pub fn block(ident: &str, body: Body) -> Block {
    Block::builder(ident).add_structures(body).build()
}

/// `lifecycle { prevent_destroy = true }`.
#[must_use]
pub fn prevent_destroy() -> Block {
    block("lifecycle", Body::builder().add_attribute(("prevent_destroy", true)).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_their_text_and_keep_their_references() {
        let t = template(&[Part::Expr(resource("aws_s3_bucket", "b", "arn")), Part::Text("/\"q\"\n${HOME}%{x}\\")]);
        assert_eq!(hcl::format::to_string(&t).unwrap(), r#""${aws_s3_bucket.b.arn}/\"q\"\n$${HOME}%%{x}\\""#);
    }

    #[test]
    fn string_objects_quote_their_keys() {
        let o = string_object(vec![("a\"b".into(), var("x"))]);
        assert_eq!(hcl::format::to_string(&o).unwrap(), "{\n  \"a\\\"b\" = var.x\n}");
    }
}
