//! The cold path: Firehose from the stream to S3, its role and its error logging.

use serde_json::json;

use super::data::{BUCKET, stream_arn};
use super::template::{Skip, Template, allow, get_att, kms_via, r#ref, retain, role, skip, sub};
use crate::ir::{Layout, Pipeline};

const FIREHOSE: &str = "ArchiveDeliveryStream";
const ROLE: &str = "ArchiveDeliveryRole";
const LOGS: &str = "ArchiveDeliveryLogGroup";
const LOG_STREAM: &str = "ArchiveDeliveryLogStream";

pub fn archive(t: &mut Template, p: &Pipeline) {
    let Some(a) = &p.archive else { return };
    super::data::bucket(t, p);
    let logs = t.add(
        LOGS,
        "AWS::Logs::LogGroup",
        json!({ "LogGroupName": format!("/pipec/{}/archive", p.name), "RetentionInDays": 365 }),
    );
    retain(logs, false);
    skip_log_kms(t, LOGS);
    t.add(LOG_STREAM, "AWS::Logs::LogStream", json!({ "LogGroupName": r#ref(LOGS), "LogStreamName": "S3Delivery" }));
    let mut statements = vec![
        allow(
            "ReadSourceStream",
            &[
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetShardIterator",
                "kinesis:GetRecords",
                "kinesis:ListShards",
            ],
            vec![stream_arn()],
        ),
        allow(
            "WriteArchive",
            &[
                "s3:AbortMultipartUpload",
                "s3:GetBucketLocation",
                "s3:GetObject",
                "s3:ListBucket",
                "s3:ListBucketMultipartUploads",
                "s3:PutObject",
            ],
            vec![get_att(BUCKET, "Arn"), sub("${ArchiveBucket.Arn}/*")],
        ),
        allow(
            "LogDeliveryErrors",
            &["logs:PutLogEvents"],
            vec![sub(&format!(
                "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/pipec/{}/archive:log-stream:*",
                p.name
            ))],
        ),
        kms_via("EncryptArchive", &["kms:GenerateDataKey", "kms:Decrypt"], "s3"),
    ];
    if p.stream.encrypted {
        statements.push(kms_via("DecryptSourceStream", &["kms:Decrypt"], "kinesis"));
    }
    t.add(ROLE, "AWS::IAM::Role", role("firehose.amazonaws.com", "archive-delivery", statements));
    let (prefix, error_prefix) = prefixes(a);
    let resource = t.add(
        FIREHOSE,
        "AWS::KinesisFirehose::DeliveryStream",
        json!({
            "DeliveryStreamType": "KinesisStreamAsSource",
            "KinesisStreamSourceConfiguration": { "KinesisStreamARN": stream_arn(), "RoleARN": get_att(ROLE, "Arn") },
            "ExtendedS3DestinationConfiguration": {
                "BucketARN": get_att(BUCKET, "Arn"),
                "RoleARN": get_att(ROLE, "Arn"),
                "Prefix": prefix,
                "ErrorOutputPrefix": error_prefix,
                "CompressionFormat": if a.gzip { "GZIP" } else { "UNCOMPRESSED" },
                "BufferingHints": { "SizeInMBs": a.buffer_mib, "IntervalInSeconds": a.interval_seconds },
                "CloudWatchLoggingOptions": { "Enabled": true, "LogGroupName": r#ref(LOGS), "LogStreamName": r#ref(LOG_STREAM) }
            }
        }),
    );
    skip(
        resource,
        &[
            Skip {
                id: "CKV_AWS_240",
                comment: "Firehose rejects server-side encryption when a Kinesis stream is the source; the stream (KMS) and the bucket (SSE-KMS) encrypt the data",
            },
            Skip {
                id: "CKV_AWS_241",
                comment: "Firehose rejects server-side encryption when a Kinesis stream is the source; the stream (KMS) and the bucket (SSE-KMS) encrypt the data",
            },
        ],
    );
    t.output("ArchiveDeliveryStreamName", "Firehose delivery stream writing the archive", r#ref(FIREHOSE));
}

/// Prefix and error prefix as Firehose wants them. The hourly layout is Firehose's default
/// (`YYYY/MM/dd/HH/` after the prefix); the daily one needs a timestamp expression, and then
/// the error prefix must carry `!{firehose:error-output-type}`.
#[must_use]
pub fn prefixes(a: &crate::ir::Archive) -> (String, String) {
    match a.layout {
        Layout::Hourly => (a.prefix.clone(), a.error_prefix.clone()),
        Layout::Daily => (
            format!("{}!{{timestamp:yyyy/MM/dd}}/", a.prefix),
            format!("{}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/", a.error_prefix),
        ),
    }
}

/// Log groups use the CloudWatch-managed key; a customer-managed key is an account decision.
pub fn skip_log_kms(t: &mut Template, id: &str) {
    if let Some(serde_json::Value::Object(resource)) = t.resources.get_mut(id) {
        skip(
            resource,
            &[Skip {
                id: "CKV_AWS_158",
                comment: "Encrypted with the CloudWatch Logs service key; a customer-managed KMS key is an account decision",
            }],
        );
    }
}
