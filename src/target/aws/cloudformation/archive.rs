//! The cold path: Firehose from the stream to S3, its role and its error logging.

use serde_json::json;

use super::iam;
use super::refs::{BUCKET, stream_arn};
use super::template::{Template, get_att, r#ref, retain, skip};
use crate::ir::Pipeline;
use crate::target::aws::firehose::prefixes;
use crate::target::aws::{permissions, skips};

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
    skip(logs, skips::LOG_GROUP);
    t.add(LOG_STREAM, "AWS::Logs::LogStream", json!({ "LogGroupName": r#ref(LOGS), "LogStreamName": "S3Delivery" }));
    let statements = permissions::archive_delivery(p);
    t.add(ROLE, "AWS::IAM::Role", iam::role(p, "firehose.amazonaws.com", "archive-delivery", LOGS, &statements));
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
    skip(resource, skips::DELIVERY_STREAM);
    t.output("ArchiveDeliveryStreamName", "Firehose delivery stream writing the archive", r#ref(FIREHOSE));
}
