//! IAM in HCL: policies as `data "aws_iam_policy_document"` (which checkov scans statement by
//! statement), roles with one inline `aws_iam_role_policy` each, whose statements are those of
//! [`crate::target::aws::permissions`] with each resource written as a reference.

use hcl::{Block, Body, Expression};

use super::module::{Module, Part, data, resource, strings, template};
use super::outcomes::{dead_letters, windows_table};
use super::refs::{QUEUE, bucket, stream, table};
use super::topics;
use crate::ir::Pipeline;
use crate::target::aws::permissions;

const DOCUMENT: &str = "aws_iam_policy_document";

/// One policy statement (an empty `sid` or `resources` is left out, as in a trust policy).
pub struct Statement {
    pub sid: &'static str,
    pub deny: bool,
    pub actions: Vec<&'static str>,
    pub resources: Vec<Expression>,
    /// `(type, identifiers)`.
    pub principals: Option<(&'static str, Vec<&'static str>)>,
    /// `(test, variable, values)`.
    pub condition: Option<(&'static str, &'static str, Vec<Expression>)>,
}

/// An Allow statement.
#[must_use]
pub fn allow(sid: &'static str, actions: &[&'static str], resources: Vec<Expression>) -> Statement {
    Statement { sid, deny: false, actions: actions.to_vec(), resources, principals: None, condition: None }
}

/// The data sources a KMS key pattern or a via-service condition reads (added once).
fn current(m: &mut Module) {
    for kind in ["aws_partition", "aws_region", "aws_caller_identity"] {
        m.data(kind, "current", Body::builder().build());
    }
}

/// A statement of [`permissions`] in HCL; `log_group` labels the role's own log group.
fn render(m: &mut Module, p: &Pipeline, log_group: &str, s: &permissions::Statement) -> Statement {
    let resources = s.resources.iter().map(|&r| reference(m, p, log_group, r)).collect();
    let condition = s.via_service.map(|service| {
        current(m);
        let via = template(&[
            Part::Text(&format!("{service}.")),
            Part::Expr(data("aws_region", "current", "region")),
            Part::Text(".amazonaws.com"),
        ]);
        ("StringEquals", "kms:ViaService", vec![via])
    });
    Statement { condition, ..allow(s.sid, s.actions, resources) }
}

/// How Terraform names a resource of a statement.
fn reference(m: &mut Module, p: &Pipeline, log_group: &str, r: permissions::Resource) -> Expression {
    use permissions::Resource;
    let log_group_arn = || resource("aws_cloudwatch_log_group", log_group, "arn");
    match r {
        Resource::Stream => stream("arn"),
        Resource::Bucket => bucket("arn"),
        Resource::BucketObjects => template(&[Part::Expr(bucket("arn")), Part::Text("/*")]),
        Resource::Table => table("arn"),
        Resource::TableIndex => {
            template(&[Part::Expr(table("arn")), Part::Text(&format!("/index/{}", crate::target::aws::index::NAME))])
        }
        Resource::Queue => resource("aws_sqs_queue", QUEUE, "arn"),
        Resource::DeadLetters => dead_letters("arn"),
        Resource::Windows => windows_table("arn"),
        Resource::Topic(id) => topics::arn(&p.topics[id.0].name),
        Resource::OwnLogGroup => template(&[Part::Expr(log_group_arn()), Part::Text(":*")]),
        Resource::ArchiveLogStreams | Resource::FlinkLogStreams => {
            template(&[Part::Expr(log_group_arn()), Part::Text(":log-stream:*")])
        }
        Resource::AnyKmsKey => {
            current(m);
            template(&[
                Part::Text("arn:"),
                Part::Expr(data("aws_partition", "current", "partition")),
                Part::Text(":kms:"),
                Part::Expr(data("aws_region", "current", "region")),
                Part::Text(":"),
                Part::Expr(data("aws_caller_identity", "current", "account_id")),
                Part::Text(":key/*"),
            ])
        }
        Resource::Any => "*".into(),
        Resource::AlertsStream => super::refs::alerts_stream("arn"),
        Resource::FlinkCode => {
            current(m);
            template(&[
                Part::Text("arn:"),
                Part::Expr(data("aws_partition", "current", "partition")),
                Part::Text(":s3:::"),
                Part::Expr(super::module::var(super::refs::CODE_BUCKET)),
                Part::Text(&format!("/pipec/{}/{}.zip", p.name, crate::target::aws::flink::application_name(p))),
            ])
        }
        Resource::LogGroups => {
            current(m);
            template(&[
                Part::Text("arn:"),
                Part::Expr(data("aws_partition", "current", "partition")),
                Part::Text(":logs:"),
                Part::Expr(data("aws_region", "current", "region")),
                Part::Text(":"),
                Part::Expr(data("aws_caller_identity", "current", "account_id")),
                Part::Text(":log-group:*"),
            ])
        }
    }
}

fn statement_block(s: Statement) -> Block {
    let mut b = Block::builder("statement");
    if !s.sid.is_empty() {
        b = b.add_attribute(("sid", s.sid));
    }
    if s.deny {
        b = b.add_attribute(("effect", "Deny"));
    }
    b = b.add_attribute(("actions", strings(&s.actions)));
    if !s.resources.is_empty() {
        b = b.add_attribute(("resources", Expression::Array(s.resources)));
    }
    if let Some((kind, identifiers)) = s.principals {
        b = b.add_block(
            Block::builder("principals")
                .add_attribute(("type", kind))
                .add_attribute(("identifiers", strings(&identifiers)))
                .build(),
        );
    }
    if let Some((test, variable, values)) = s.condition {
        b = b.add_block(
            Block::builder("condition")
                .add_attribute(("test", test))
                .add_attribute(("variable", variable))
                .add_attribute(("values", Expression::Array(values)))
                .build(),
        );
    }
    b.build()
}

/// Adds a policy document and returns its JSON (`data.aws_iam_policy_document.label.json`).
pub fn document(m: &mut Module, label: &str, statements: Vec<Statement>) -> Expression {
    let body = Body::builder().add_blocks(statements.into_iter().map(statement_block)).build();
    m.data(DOCUMENT, label, body);
    data(DOCUMENT, label, "json")
}

/// A role that `service` (`lambda` or `firehose`) assumes, with one inline policy named
/// `policy_name` holding `statements`; both resources are labelled `label`. `log_group` labels
/// the role's own log group.
pub fn role(
    m: &mut Module,
    p: &Pipeline,
    label: &str,
    log_group: &str,
    service: &'static str,
    policy_name: &str,
    statements: &[permissions::Statement],
) {
    let statements: Vec<Statement> = statements.iter().map(|s| render(m, p, log_group, s)).collect();
    let trust_label = format!("{service}_assume_role");
    let trust = document(
        m,
        &trust_label,
        vec![Statement {
            principals: Some(("Service", vec![service_principal(service)])),
            ..allow("", &["sts:AssumeRole"], Vec::new())
        }],
    );
    let policy = document(m, label, statements);
    m.resource("aws_iam_role", label, Body::builder().add_attribute(("assume_role_policy", trust)).build(), &[]);
    m.resource(
        "aws_iam_role_policy",
        label,
        Body::builder()
            .add_attribute(("name", policy_name))
            .add_attribute(("role", resource("aws_iam_role", label, "id")))
            .add_attribute(("policy", policy))
            .build(),
        &[],
    );
}

fn service_principal(service: &str) -> &'static str {
    match service {
        "firehose" => "firehose.amazonaws.com",
        "kinesisanalytics" => "kinesisanalytics.amazonaws.com",
        _ => "lambda.amazonaws.com",
    }
}
