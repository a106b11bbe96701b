//! The cold path: the archive bucket (with the resources Terraform keeps its settings in),
//! its TLS-only policy, and Firehose from the stream to the bucket with its role and logging.

use hcl::{Block, Body, Expression};

use super::iam::{self, Statement};
use super::module::{Module, Part, block, prevent_destroy, resource, template, traversal};
use super::refs::{BUCKET, bucket, stream};
use crate::ir::Pipeline;
use crate::target::aws::firehose::prefixes;
use crate::target::aws::{permissions, skips};

const POLICY: &str = "archive_bucket_policy";
const FIREHOSE: &str = "archive_delivery_stream";
const ROLE: &str = "archive_delivery_role";
const LOGS: &str = "archive_delivery_log_group";
const LOG_STREAM: &str = "archive_delivery_log_stream";

/// The bucket's ARN and everything in it.
fn bucket_and_objects() -> Vec<Expression> {
    vec![bucket("arn"), template(&[Part::Expr(bucket("arn")), Part::Text("/*")])]
}

/// A bucket companion: `kind "archive_bucket" { bucket = aws_s3_bucket.archive_bucket.id ... }`.
fn companion(m: &mut Module, kind: &str, rest: Body) {
    let body = Body::builder().add_attribute(("bucket", bucket("id"))).add_structures(rest).build();
    m.resource(kind, BUCKET, body, &[]);
}

fn add_bucket(m: &mut Module, p: &Pipeline) {
    let mut b = Body::builder();
    if p.retain_data {
        b = b.add_block(prevent_destroy());
    } else {
        b = b.add_attribute(("force_destroy", true));
    }
    m.resource("aws_s3_bucket", BUCKET, b.build(), skips::BUCKET);
    let by_default = Body::builder()
        .add_attribute(("sse_algorithm", "aws:kms"))
        .add_attribute(("kms_master_key_id", "alias/aws/s3"))
        .build();
    companion(
        m,
        "aws_s3_bucket_server_side_encryption_configuration",
        Body::builder()
            .add_block(
                Block::builder("rule")
                    .add_block(block("apply_server_side_encryption_by_default", by_default))
                    .add_attribute(("bucket_key_enabled", true))
                    .build(),
            )
            .build(),
    );
    let mut public = Body::builder();
    for setting in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] {
        public = public.add_attribute((setting, true));
    }
    companion(m, "aws_s3_bucket_public_access_block", public.build());
    companion(
        m,
        "aws_s3_bucket_ownership_controls",
        Body::builder()
            .add_block(block(
                "rule",
                Body::builder().add_attribute(("object_ownership", "BucketOwnerEnforced")).build(),
            ))
            .build(),
    );
    companion(
        m,
        "aws_s3_bucket_versioning",
        Body::builder()
            .add_block(block("versioning_configuration", Body::builder().add_attribute(("status", "Enabled")).build()))
            .build(),
    );
    let rule = Block::builder("rule")
        .add_attribute(("id", "expire-noncurrent-versions"))
        .add_attribute(("status", "Enabled"))
        .add_block(block("filter", Body::builder().build()))
        .add_block(block(
            "abort_incomplete_multipart_upload",
            Body::builder().add_attribute(("days_after_initiation", 7)).build(),
        ))
        .add_block(block(
            "noncurrent_version_expiration",
            Body::builder().add_attribute(("noncurrent_days", 30)).build(),
        ))
        .build();
    let versioning = vec![traversal("aws_s3_bucket_versioning", &[BUCKET])];
    companion(
        m,
        "aws_s3_bucket_lifecycle_configuration",
        Body::builder().add_block(rule).add_attribute(("depends_on", Expression::Array(versioning))).build(),
    );
    // S3 events to EventBridge (checkov CKV2_AWS_62): no consumer needed, lets users react to new archive objects.
    companion(m, "aws_s3_bucket_notification", Body::builder().add_attribute(("eventbridge", true)).build());
    let tls_only = iam::document(
        m,
        POLICY,
        vec![Statement {
            sid: "DenyInsecureTransport",
            deny: true,
            actions: vec!["s3:*"],
            resources: bucket_and_objects(),
            principals: Some(("*", vec!["*"])),
            condition: Some(("Bool", "aws:SecureTransport", vec![Expression::String("false".into())])),
        }],
    );
    m.resource(
        "aws_s3_bucket_policy",
        POLICY,
        Body::builder()
            .add_attribute(("bucket", bucket("id")))
            .add_attribute(("policy", tls_only))
            // S3 rejects a policy written while the public-access block is being changed.
            .add_attribute((
                "depends_on",
                Expression::Array(vec![traversal("aws_s3_bucket_public_access_block", &[BUCKET])]),
            ))
            .build(),
        &[],
    );
    m.output("archive_bucket_name", "Bucket holding the raw archive", bucket("bucket"));
}

pub fn add_archive(m: &mut Module, p: &Pipeline) {
    let Some(a) = &p.archive else { return };
    add_bucket(m, p);
    let log_group = format!("/pipec/{}/archive", p.name);
    m.resource(
        "aws_cloudwatch_log_group",
        LOGS,
        Body::builder().add_attribute(("name", log_group.as_str())).add_attribute(("retention_in_days", 365)).build(),
        skips::LOG_GROUP,
    );
    m.resource(
        "aws_cloudwatch_log_stream",
        LOG_STREAM,
        Body::builder()
            .add_attribute(("name", "S3Delivery"))
            .add_attribute(("log_group_name", resource("aws_cloudwatch_log_group", LOGS, "name")))
            .build(),
        &[],
    );
    iam::role(m, p, ROLE, LOGS, "firehose", "archive-delivery", &permissions::archive_delivery(p));
    let role_arn = resource("aws_iam_role", ROLE, "arn");
    let (prefix, error_prefix) = prefixes(a);
    let logging = Body::builder()
        .add_attribute(("enabled", true))
        .add_attribute(("log_group_name", resource("aws_cloudwatch_log_group", LOGS, "name")))
        .add_attribute(("log_stream_name", resource("aws_cloudwatch_log_stream", LOG_STREAM, "name")))
        .build();
    let destination = Block::builder("extended_s3_configuration")
        .add_attribute(("bucket_arn", bucket("arn")))
        .add_attribute(("role_arn", role_arn.clone()))
        .add_attribute(("prefix", prefix))
        .add_attribute(("error_output_prefix", error_prefix))
        .add_attribute(("compression_format", if a.gzip { "GZIP" } else { "UNCOMPRESSED" }))
        .add_attribute(("buffering_size", a.buffer_mib))
        .add_attribute(("buffering_interval", a.interval_seconds))
        .add_block(block("cloudwatch_logging_options", logging))
        .build();
    let source = Body::builder()
        .add_attribute(("kinesis_stream_arn", stream("arn")))
        .add_attribute(("role_arn", role_arn))
        .build();
    m.resource(
        "aws_kinesis_firehose_delivery_stream",
        FIREHOSE,
        Body::builder()
            .add_attribute(("name", format!("{}-archive", p.name)))
            .add_attribute(("destination", "extended_s3"))
            .add_block(block("kinesis_source_configuration", source))
            .add_block(destination)
            // Firehose checks its access to the stream when it is created: the policy must exist.
            .add_attribute(("depends_on", Expression::Array(vec![traversal("aws_iam_role_policy", &[ROLE])])))
            .build(),
        skips::DELIVERY_STREAM,
    );
    m.output(
        "archive_delivery_stream_name",
        "Firehose delivery stream writing the archive",
        resource("aws_kinesis_firehose_delivery_stream", FIREHOSE, "name"),
    );
}
