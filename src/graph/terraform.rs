//! The Terraform target's resources, read from the `main.tf` the emitter wrote (parsed with
//! hcl-rs): one node per `resource` and `data` block, an edge for each reference to another
//! block's address (`aws_x.label.attr`, `data.aws_x.label.attr`, also inside `"${...}"`
//! templates and `depends_on`), from the block used to the one using it, labelled with the
//! attribute or nested block it appears in; an event-source mapping's `function_name` is drawn
//! as the mapping invoking the function.

use std::collections::BTreeMap;

use hcl::expr::{Expression, TraversalOperator};
use hcl::template::{Directive, Element, Template};
use hcl::{Body, Structure};

use super::model::{Graph, Kind};

/// The graph of `main_tf`, titled `title`.
///
/// # Errors
/// When `main_tf` does not parse as HCL.
pub fn graph(title: &str, main_tf: &str) -> Result<Graph, String> {
    let body: Body = hcl::parse(main_tf).map_err(|e| format!("main.tf does not parse: {e}"))?;
    let mut g = Graph::new(title);
    let mut clusters: BTreeMap<String, usize> = BTreeMap::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut blocks = Vec::new();
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels.iter().map(hcl::BlockLabel::as_str).collect();
        let (address, kind) = match (block.identifier.as_str(), labels.as_slice()) {
            ("resource", [kind, label]) => (format!("{kind}.{label}"), *kind),
            ("data", [kind, label]) => (format!("data.{kind}.{label}"), *kind),
            _ => continue,
        };
        let service = service(kind);
        let cluster = if let Some(&c) = clusters.get(&service) {
            c
        } else {
            let c = g.cluster(service.clone());
            clusters.insert(service, c);
            c
        };
        index.insert(address.clone(), g.node(node_kind(kind), Some(cluster), address.clone(), vec![kind.to_string()]));
        blocks.push((address, kind == "aws_lambda_event_source_mapping", &block.body));
    }
    for (address, mapping, body) in blocks {
        let user = index[&address];
        for structure in body {
            let (name, mut found) = match structure {
                Structure::Attribute(a) => (a.key.as_str(), addresses_in(&a.expr)),
                Structure::Block(b) => (b.identifier.as_str(), body_addresses(&b.body)),
            };
            found.retain(|a| a != &address);
            for used in found.iter().filter_map(|a| index.get(a)) {
                if mapping && name == "function_name" {
                    g.edge(user, *used, Some("invokes"));
                } else {
                    g.edge(*used, user, Some(name));
                }
            }
        }
    }
    Ok(g)
}

fn body_addresses(body: &Body) -> Vec<String> {
    let mut out = Vec::new();
    for structure in body {
        match structure {
            Structure::Attribute(a) => out.extend(addresses_in(&a.expr)),
            Structure::Block(b) => out.extend(body_addresses(&b.body)),
        }
    }
    out
}

fn addresses_in(expr: &Expression) -> Vec<String> {
    let mut out = Vec::new();
    walk(expr, &mut out);
    out
}

/// Every block address `expr` refers to.
fn walk(expr: &Expression, out: &mut Vec<String>) {
    match expr {
        Expression::Traversal(t) => {
            if let Expression::Variable(root) = &t.expr {
                let names: Vec<&str> = t
                    .operators
                    .iter()
                    .map_while(|op| match op {
                        TraversalOperator::GetAttr(id) => Some(id.as_str()),
                        _ => None,
                    })
                    .collect();
                match (root.as_str(), names.as_slice()) {
                    ("data", [kind, label, ..]) => out.push(format!("data.{kind}.{label}")),
                    (kind, [label, ..]) => out.push(format!("{kind}.{label}")),
                    _ => {}
                }
            }
            walk(&t.expr, out);
            for op in &t.operators {
                if let TraversalOperator::Index(e) = op {
                    walk(e, out);
                }
            }
        }
        Expression::Array(items) => items.iter().for_each(|e| walk(e, out)),
        Expression::Object(entries) => entries.iter().for_each(|(k, v)| {
            if let hcl::ObjectKey::Expression(k) = k {
                walk(k, out);
            }
            walk(v, out);
        }),
        Expression::TemplateExpr(t) => {
            if let Ok(template) = Template::from_expr(t) {
                template_walk(&template, out);
            }
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|e| walk(e, out)),
        Expression::Parenthesis(e) => walk(e, out),
        Expression::Conditional(c) => {
            for e in [&c.cond_expr, &c.true_expr, &c.false_expr] {
                walk(e, out);
            }
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => walk(&u.expr, out),
            hcl::expr::Operation::Binary(b) => {
                walk(&b.lhs_expr, out);
                walk(&b.rhs_expr, out);
            }
        },
        Expression::ForExpr(f) => {
            [Some(&f.collection_expr), f.key_expr.as_ref(), Some(&f.value_expr), f.cond_expr.as_ref()]
                .into_iter()
                .flatten()
                .for_each(|e| walk(e, out));
        }
        _ => {}
    }
}

fn template_walk(template: &Template, out: &mut Vec<String>) {
    for element in template.elements() {
        match element {
            Element::Interpolation(i) => walk(&i.expr, out),
            Element::Directive(directive) => match directive.as_ref() {
                Directive::If(d) => {
                    walk(&d.cond_expr, out);
                    template_walk(&d.true_template, out);
                    if let Some(f) = &d.false_template {
                        template_walk(f, out);
                    }
                }
                Directive::For(d) => {
                    walk(&d.collection_expr, out);
                    template_walk(&d.template, out);
                }
            },
            Element::Literal(_) => {}
        }
    }
}

/// `aws_lambda_function` → `lambda`; `archive_file` → `archive`.
fn service(kind: &str) -> String {
    let mut parts = kind.split('_');
    match (parts.next(), parts.next()) {
        (Some("aws"), Some(service)) => service.to_string(),
        (Some(provider), _) => provider.to_string(),
        _ => kind.to_string(),
    }
}

fn node_kind(kind: &str) -> Kind {
    match kind {
        "aws_kinesis_stream" => Kind::Stream,
        "aws_lambda_function" => Kind::Rule,
        "aws_dynamodb_table" => Kind::Store,
        "aws_sns_topic" => Kind::Topic,
        "aws_sns_topic_subscription" => Kind::Subscriber,
        "aws_kinesis_firehose_delivery_stream" | "aws_s3_bucket" => Kind::Archive,
        "aws_lambda_function_url" => Kind::Viewer,
        _ => Kind::Resource,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_in_every_position_are_edges() {
        let main = r#"
resource "aws_kinesis_stream" "s" {}
data "aws_iam_policy_document" "p" {
  statement { resources = ["${aws_kinesis_stream.s.arn}/*"] }
}
resource "aws_lambda_function" "f" {
  role = upper(data.aws_iam_policy_document.p.json)
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_kinesis_stream.s.arn
  function_name    = aws_lambda_function.f.arn
  depends_on       = [aws_lambda_function.f]
}
"#;
        let g = graph("t", main).unwrap();
        let edges: Vec<String> = g
            .edges
            .iter()
            .map(|e| format!("{} -> {} {}", g.nodes[e.from].title, g.nodes[e.to].title, e.label.as_deref().unwrap()))
            .collect();
        assert_eq!(
            edges,
            [
                "aws_kinesis_stream.s -> data.aws_iam_policy_document.p statement",
                "data.aws_iam_policy_document.p -> aws_lambda_function.f role",
                "aws_kinesis_stream.s -> aws_lambda_event_source_mapping.m event_source_arn",
                "aws_lambda_event_source_mapping.m -> aws_lambda_function.f invokes",
            ]
        );
    }
}
