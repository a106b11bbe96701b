//! Who may do what: every statement of every IAM role pipec generates, independent of the target.
//! This is the one truth; the cloud targets only *render* a [`Resource`] into their own reference
//! syntax, so they grant the same actions on the same resources by construction.
//!
//! Statements come in the order the policies list them; the targets keep that order.

use super::function::{Function, notified};
use crate::ir::{Pipeline, TopicId};

/// What a statement is about, as the pipeline knows it (the targets name it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The source Kinesis stream.
    Stream,
    /// The archive bucket itself.
    Bucket,
    /// Every object in the archive bucket.
    BucketObjects,
    /// The table of flagged records.
    Table,
    /// The flagged table's viewer index (see [`super::index`]).
    TableIndex,
    /// The on-failure queue of the event-source mappings.
    Queue,
    /// The dead-letter queue of records that are invalid or cannot be stored.
    DeadLetters,
    /// The table of window decisions.
    Windows,
    /// One notification topic.
    Topic(TopicId),
    /// The streams of the role's own log group (a function's `/aws/lambda/<name>`).
    OwnLogGroup,
    /// The streams of the archive delivery's log group.
    ArchiveLogStreams,
    /// Any KMS key of the account and region; only with a `via_service` condition, for the
    /// AWS-managed keys whose ARNs are not known when the template is written.
    AnyKmsKey,
    /// Everything: X-Ray's trace APIs take no resource.
    Any,
    /// `hot.engine: flink`: the stream the Flink application writes its alerts to.
    AlertsStream,
    /// The Flink application's code (its zip in the artifact bucket).
    FlinkCode,
    /// Every log group of the account and region: `logs:DescribeLogGroups` lists, it takes no
    /// one group.
    LogGroups,
    /// The streams of the Flink application's log group.
    FlinkLogStreams,
}

/// One Allow statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub sid: &'static str,
    pub actions: &'static [&'static str],
    pub resources: Vec<Resource>,
    /// `kms:ViaService` is `<service>.<region>.amazonaws.com`: the key is usable only through it.
    pub via_service: Option<&'static str>,
}

const KMS_USE: &[&str] = &["kms:GenerateDataKey", "kms:Decrypt"];
const KMS_DECRYPT: &[&str] = &["kms:Decrypt"];

fn allow(sid: &'static str, actions: &'static [&'static str], resources: Vec<Resource>) -> Statement {
    Statement { sid, actions, resources, via_service: None }
}

fn kms_via(sid: &'static str, actions: &'static [&'static str], service: &'static str) -> Statement {
    Statement { sid, actions, resources: vec![Resource::AnyKmsKey], via_service: Some(service) }
}

/// The role Firehose assumes to copy the stream into the archive bucket.
#[must_use]
pub fn archive_delivery(p: &Pipeline) -> Vec<Statement> {
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
            vec![Resource::Stream],
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
            vec![Resource::Bucket, Resource::BucketObjects],
        ),
        allow("LogDeliveryErrors", &["logs:PutLogEvents"], vec![Resource::ArchiveLogStreams]),
        kms_via("EncryptArchive", KMS_USE, "s3"),
    ];
    if p.stream.kinesis().encrypted {
        statements.push(kms_via("DecryptSourceStream", KMS_DECRYPT, "kinesis"));
    }
    statements
}

/// The role of one generated function.
#[must_use]
pub fn function(p: &Pipeline, which: Function) -> Vec<Statement> {
    let mut statements = vec![
        allow("WriteOwnLogs", &["logs:CreateLogStream", "logs:PutLogEvents"], vec![Resource::OwnLogGroup]),
        allow("Tracing", &["xray:PutTraceSegments", "xray:PutTelemetryRecords"], vec![Resource::Any]),
    ];
    if which.reads_stream() {
        let alerts = matches!(which, Function::Alerts);
        statements.push(allow(
            "ReadStream",
            &[
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
            ],
            vec![if alerts { Resource::AlertsStream } else { Resource::Stream }],
        ));
        statements.push(allow("SendFailedBatches", &["sqs:SendMessage"], vec![Resource::Queue]));
        statements.push(allow("SendDeadLetters", &["sqs:SendMessage"], vec![Resource::DeadLetters]));
        statements.push(kms_via("UseQueueKey", KMS_USE, "sqs"));
        // The alerts stream is always encrypted.
        if alerts || p.stream.kinesis().encrypted {
            statements.push(kms_via("DecryptStream", KMS_DECRYPT, "kinesis"));
        }
    }
    let topics = match which {
        Function::Hot => notified(p.record_rules()),
        Function::Window { rule, .. } => notified(std::iter::once(rule)),
        Function::Alerts => notified(p.rules.iter()),
        Function::Viewer | Function::Fanout => Vec::new(),
    };
    let publishes = !topics.is_empty();
    if publishes {
        statements.push(allow("PublishAlerts", &["sns:Publish"], topics.into_iter().map(Resource::Topic).collect()));
    }
    match which {
        // A refused conditional put returns the stored item (ALL_OLD): no GetItem.
        Function::Hot if p.store.is_some() => {
            statements.push(allow("StoreFlagged", &["dynamodb:PutItem", "dynamodb:UpdateItem"], vec![Resource::Table]));
        }
        // Decisions, and the state of a window Lambda ended early: saved, queried, deleted.
        Function::Window { .. } => statements.push(allow(
            "StoreWindows",
            &["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:DeleteItem"],
            vec![Resource::Windows],
        )),
        Function::Viewer => {
            if super::index::viewer_sort(p).is_some() {
                statements.push(allow("ReadFlagged", &["dynamodb:Query"], vec![Resource::TableIndex]));
                // The rows without the sort field are not in the index: found by a scan.
                statements.push(allow("ReadUnsorted", &["dynamodb:Scan"], vec![Resource::Table]));
            } else {
                statements.push(allow("ReadFlagged", &["dynamodb:Scan"], vec![Resource::Table]));
            }
            if p.window_rules().next().is_some() {
                statements.push(allow("ReadWindows", &["dynamodb:Query"], vec![Resource::Windows]));
            }
        }
        Function::Fanout => {
            statements.push(allow("SendDeadLetters", &["sqs:SendMessage"], vec![Resource::DeadLetters]));
            statements.push(kms_via("UseQueueKey", KMS_USE, "sqs"));
        }
        Function::Alerts => {
            if p.store.is_some() && p.record_rules().next().is_some() {
                statements.push(allow(
                    "StoreFlagged",
                    &["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
                    vec![Resource::Table],
                ));
            }
            if p.window_rules().next().is_some() {
                statements.push(allow(
                    "StoreWindows",
                    &["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
                    vec![Resource::Windows],
                ));
            }
        }
        Function::Hot => {}
    }
    if publishes {
        statements.push(kms_via("UseTopicKey", KMS_USE, "sns"));
    }
    statements
}

/// The role Managed Service for Apache Flink assumes to run the application: read the source
/// stream, write the alerts stream (both KMS-encrypted with Kinesis' key), read its code, and
/// write its log stream.
#[must_use]
pub fn flink_application(p: &Pipeline) -> Vec<Statement> {
    let mut statements = vec![
        allow(
            "ReadSourceStream",
            &[
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
            ],
            vec![Resource::Stream],
        ),
        allow(
            "WriteAlerts",
            &["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecord", "kinesis:PutRecords"],
            vec![Resource::AlertsStream],
        ),
        allow("ReadCode", &["s3:GetObject", "s3:GetObjectVersion"], vec![Resource::FlinkCode]),
        allow("ListLogGroups", &["logs:DescribeLogGroups"], vec![Resource::LogGroups]),
        allow("WriteLogs", &["logs:DescribeLogStreams", "logs:PutLogEvents"], vec![Resource::FlinkLogStreams]),
        kms_via("EncryptAlerts", &["kms:GenerateDataKey"], "kinesis"),
        kms_via("DecryptCode", KMS_DECRYPT, "s3"),
    ];
    if p.stream.kinesis().encrypted {
        statements.push(kms_via("DecryptSourceStream", KMS_DECRYPT, "kinesis"));
    }
    statements
}
