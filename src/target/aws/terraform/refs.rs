//! The labels other resources refer to, and references to them: the one list the resource
//! builders share, so none of them imports another.

use hcl::Expression;

use super::module::resource;

pub const STREAM: &str = "stream";
pub const TABLE: &str = "flagged_table";
pub const BUCKET: &str = "archive_bucket";
pub const QUEUE: &str = "failed_batches_queue";
/// `hot.engine: flink`: the stream of the Flink application's alerts.
pub const ALERTS_STREAM: &str = "alerts_stream";
/// The variable naming the bucket the Flink application's zip is uploaded to.
pub const CODE_BUCKET: &str = "flink_code_bucket";

/// `aws_kinesis_stream.alerts_stream.<attribute>`.
#[must_use]
pub fn alerts_stream(attribute: &str) -> Expression {
    resource("aws_kinesis_stream", ALERTS_STREAM, attribute)
}

/// `aws_kinesis_stream.stream.<attribute>`.
#[must_use]
pub fn stream(attribute: &str) -> Expression {
    resource("aws_kinesis_stream", STREAM, attribute)
}

/// `aws_dynamodb_table.flagged_table.<attribute>`.
#[must_use]
pub fn table(attribute: &str) -> Expression {
    resource("aws_dynamodb_table", TABLE, attribute)
}

/// `aws_s3_bucket.archive_bucket.<attribute>`.
#[must_use]
pub fn bucket(attribute: &str) -> Expression {
    resource("aws_s3_bucket", BUCKET, attribute)
}
