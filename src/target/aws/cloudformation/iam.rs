//! IAM in `CloudFormation`: roles with one inline policy, whose statements are those of
//! [`crate::target::aws::permissions`] with each resource written as an intrinsic function.

use serde_json::{Value, json};

use super::outcomes::{DEAD_LETTERS, WINDOWS};
use super::refs::{ALERTS_STREAM, BUCKET, QUEUE, TABLE, stream_arn};
use super::template::{get_att, r#ref, sub};
use super::topics::topic_id;
use crate::ir::Pipeline;
use crate::target::aws::permissions::{Resource, Statement};

/// An IAM policy document from statements.
#[must_use]
pub fn policy(statements: &[Value]) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// A role that `service` (e.g. `lambda.amazonaws.com`) assumes, with one inline policy.
/// `log_group` is the logical id of the role's own log group.
#[must_use]
pub fn role(p: &Pipeline, service: &str, policy_name: &str, log_group: &str, statements: &[Statement]) -> Value {
    let statements: Vec<Value> = statements.iter().map(|s| statement(p, log_group, s)).collect();
    json!({
        "AssumeRolePolicyDocument": policy(&[json!({
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole"
        })]),
        "Policies": [{ "PolicyName": policy_name, "PolicyDocument": policy(&statements) }]
    })
}

fn statement(p: &Pipeline, log_group: &str, s: &Statement) -> Value {
    let mut resources: Vec<Value> = s.resources.iter().map(|&r| resource(p, log_group, r)).collect();
    let Some(service) = s.via_service else {
        return json!({ "Sid": s.sid, "Effect": "Allow", "Action": s.actions, "Resource": resources });
    };
    // A via-service statement names its one key pattern as a lone value, not a list.
    let resource = if resources.len() == 1 { resources.remove(0) } else { Value::Array(resources) };
    json!({
        "Sid": s.sid,
        "Effect": "Allow",
        "Action": s.actions,
        "Resource": resource,
        "Condition": { "StringEquals": { "kms:ViaService": sub(&format!("{service}.${{AWS::Region}}.amazonaws.com")) } }
    })
}

/// How `CloudFormation` names a resource of a statement.
fn resource(p: &Pipeline, log_group: &str, r: Resource) -> Value {
    match r {
        Resource::Stream => stream_arn(),
        Resource::Bucket => get_att(BUCKET, "Arn"),
        Resource::BucketObjects => sub(&format!("${{{BUCKET}.Arn}}/*")),
        Resource::Table => get_att(TABLE, "Arn"),
        Resource::TableIndex => sub(&format!("${{{TABLE}.Arn}}/index/{}", crate::target::aws::index::NAME)),
        Resource::Queue => get_att(QUEUE, "Arn"),
        Resource::DeadLetters => get_att(DEAD_LETTERS, "Arn"),
        Resource::Windows => get_att(WINDOWS, "Arn"),
        Resource::Topic(id) => r#ref(&topic_id(&p.topics[id.0].name)),
        // A log group's `Arn` attribute already ends in `:*`, its streams.
        Resource::OwnLogGroup => sub(&format!("${{{log_group}.Arn}}")),
        Resource::ArchiveLogStreams => sub(&format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/pipec/{}/archive:log-stream:*",
            p.name
        )),
        Resource::AnyKmsKey => sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"),
        Resource::Any => json!("*"),
        Resource::AlertsStream => get_att(ALERTS_STREAM, "Arn"),
        Resource::FlinkCode => sub(&format!(
            "arn:${{AWS::Partition}}:s3:::${{{}}}/pipec/{}/{}*",
            super::refs::ARTIFACT_BUCKET,
            p.name,
            crate::target::flink::program::APPLICATION_ZIP_PREFIX
        )),
        Resource::LogGroups => sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"),
        Resource::FlinkLogStreams => sub(&format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{log_group}}}:log-stream:*"
        )),
    }
}
