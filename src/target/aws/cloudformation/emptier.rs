//! `retain_data: false`: a custom resource that empties the archive bucket when the stack
//! deletes it. `CloudFormation` refuses to delete a bucket holding objects (with versioning,
//! every old version counts), so without it the deletion ends in DELETE_FAILED. The function's
//! role may list and delete object versions of that one bucket, and write its own logs.

use serde_json::json;

use super::iam::policy;
use super::refs::BUCKET;
use super::template::{Template, depends_on, get_att, r#ref, retain, skip, sub};
use crate::ir::Pipeline;
use crate::target::aws::function::RUNTIME;
use crate::target::aws::skips;

/// The function's source (it fits inline: no upload needed).
pub const SOURCE: &str = include_str!("../../../../targets/cloudformation/empty_bucket.py");
pub const FUNCTION: &str = "ArchiveEmptierFunction";
pub const RESOURCE: &str = "ArchiveBucketEmptier";
const ROLE: &str = "ArchiveEmptierRole";
const LOGS: &str = "ArchiveEmptierLogGroup";

/// Adds the emptier when the archive bucket is deleted with the stack.
pub fn emptier(t: &mut Template, p: &Pipeline) {
    if p.retain_data || p.archive.is_none() {
        return;
    }
    let name = format!("{}-empty-archive", p.name);
    let logs = t.add(
        LOGS,
        "AWS::Logs::LogGroup",
        json!({ "LogGroupName": format!("/aws/lambda/{name}"), "RetentionInDays": 365 }),
    );
    retain(logs, false);
    skip(logs, skips::LOG_GROUP);
    t.add(
        ROLE,
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": policy(&[json!({
                "Effect": "Allow",
                "Principal": { "Service": "lambda.amazonaws.com" },
                "Action": "sts:AssumeRole"
            })]),
            "Policies": [{ "PolicyName": format!("{name}-policy"), "PolicyDocument": policy(&[
                json!({ "Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [sub(&format!("${{{LOGS}.Arn}}"))] }),
                json!({ "Sid": "Tracing", "Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": ["*"] }),
                json!({ "Sid": "ListArchive", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:ListBucketVersions"], "Resource": [get_att(BUCKET, "Arn")] }),
                json!({ "Sid": "EmptyArchive", "Effect": "Allow", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": [sub(&format!("${{{BUCKET}.Arn}}/*"))] })
            ]) }]
        }),
    );
    let function = t.add(
        FUNCTION,
        "AWS::Lambda::Function",
        json!({
            "FunctionName": name,
            "Description": format!("pipec {}: empties the archive bucket when the stack deletes it", p.name),
            "Runtime": RUNTIME,
            "Architectures": ["arm64"],
            "Handler": "index.handler",
            "Code": { "ZipFile": SOURCE },
            "Role": get_att(ROLE, "Arn"),
            "Timeout": 900,
            "MemorySize": 256,
            "TracingConfig": { "Mode": "Active" }
        }),
    );
    depends_on(function, &[LOGS]);
    skip(function, skips::EMPTIER);
    // Refers to the bucket, so CloudFormation deletes it (and so empties the bucket) first.
    t.add(
        RESOURCE,
        "Custom::EmptyBucket",
        json!({ "ServiceToken": get_att(FUNCTION, "Arn"), "BucketName": r#ref(BUCKET) }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_fits_inline() {
        assert!(SOURCE.chars().count() <= crate::target::aws::lambda::INLINE_LIMIT);
    }

    #[test]
    fn parity_knows_every_resource_it_adds() {
        assert!(crate::target::aws::parity::CLOUDFORMATION_ONLY_IDS.starts_with(&[LOGS, ROLE, FUNCTION, RESOURCE]));
    }
}
