//! The one mapping between the cloud targets: each resource the IR implies, its `CloudFormation`
//! type and its Terraform type(s). [`predict`] counts the resources a pipeline needs, so tests
//! can hold both targets to the same list, resource by resource. Test-only: compiled for
//! `cargo test` and the `testing` feature, never into the shipped library.
//!
//! Terraform splits some `CloudFormation` resources into several (an S3 bucket's encryption,
//! versioning, … are resources of their own; a role's inline policy is
//! `aws_iam_role_policy`): those are the `companions`, emitted once per primary resource and
//! under the same label.

use std::collections::BTreeMap;

use crate::ir::Pipeline;

/// Declares [`Resource`] and [`Resource::ALL`] from one list, so `ALL` cannot miss a kind.
macro_rules! resources {
    ($($kind:ident),+ $(,)?) => {
        /// A resource the IR implies.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Resource {
            $($kind),+
        }

        impl Resource {
            /// Every kind, in declaration order.
            pub const ALL: [Resource; [$(Resource::$kind),+].len()] = [$(Resource::$kind),+];
        }
    };
}

resources! {
    Stream,
    ArchiveBucket,
    ArchiveBucketPolicy,
    ArchiveDeliveryLogGroup,
    ArchiveDeliveryLogStream,
    ArchiveDeliveryRole,
    ArchiveDeliveryStream,
    FlaggedTable,
    Topic,
    EmailSubscription,
    WebhookSubscription,
    FailedBatchesQueue,
    DeadLetterQueue,
    WindowsTable,
    FunctionLogGroup,
    FunctionRole,
    Function,
    EventSourceMapping,
    ViewerUrl,
    ViewerPublicPermission,
    FanoutPermission,
    Alarm,
    Dashboard,
    AlertsStream,
    FlinkApplication,
    FlinkLogGroup,
    FlinkLogStream,
    FlinkRole,
}

/// How one IR resource is written by each target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub cloudformation: &'static str,
    pub terraform: &'static str,
    /// Further Terraform resources that carry settings `CloudFormation` keeps on the primary one.
    pub companions: &'static [&'static str],
}

const BUCKET_COMPANIONS: &[&str] = &[
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_notification",
];
const ROLE_COMPANIONS: &[&str] = &["aws_iam_role_policy"];

impl Resource {
    /// The table itself: an exhaustive match, so a new resource kind cannot lack a target.
    #[must_use]
    pub const fn mapping(self) -> Mapping {
        const fn one(cloudformation: &'static str, terraform: &'static str) -> Mapping {
            Mapping { cloudformation, terraform, companions: &[] }
        }
        match self {
            Resource::Stream | Resource::AlertsStream => one("AWS::Kinesis::Stream", "aws_kinesis_stream"),
            Resource::FlinkApplication => {
                one("AWS::KinesisAnalyticsV2::Application", "aws_kinesisanalyticsv2_application")
            }
            Resource::ArchiveBucket => {
                Mapping { cloudformation: "AWS::S3::Bucket", terraform: "aws_s3_bucket", companions: BUCKET_COMPANIONS }
            }
            Resource::ArchiveBucketPolicy => one("AWS::S3::BucketPolicy", "aws_s3_bucket_policy"),
            Resource::ArchiveDeliveryLogGroup | Resource::FunctionLogGroup | Resource::FlinkLogGroup => {
                one("AWS::Logs::LogGroup", "aws_cloudwatch_log_group")
            }
            Resource::ArchiveDeliveryLogStream | Resource::FlinkLogStream => {
                one("AWS::Logs::LogStream", "aws_cloudwatch_log_stream")
            }
            Resource::ArchiveDeliveryRole | Resource::FunctionRole | Resource::FlinkRole => {
                Mapping { cloudformation: "AWS::IAM::Role", terraform: "aws_iam_role", companions: ROLE_COMPANIONS }
            }
            Resource::ArchiveDeliveryStream => {
                one("AWS::KinesisFirehose::DeliveryStream", "aws_kinesis_firehose_delivery_stream")
            }
            Resource::FlaggedTable | Resource::WindowsTable => one("AWS::DynamoDB::Table", "aws_dynamodb_table"),
            Resource::Topic => one("AWS::SNS::Topic", "aws_sns_topic"),
            Resource::EmailSubscription | Resource::WebhookSubscription => {
                one("AWS::SNS::Subscription", "aws_sns_topic_subscription")
            }
            Resource::FailedBatchesQueue | Resource::DeadLetterQueue => one("AWS::SQS::Queue", "aws_sqs_queue"),
            Resource::Function => one("AWS::Lambda::Function", "aws_lambda_function"),
            Resource::EventSourceMapping => one("AWS::Lambda::EventSourceMapping", "aws_lambda_event_source_mapping"),
            Resource::ViewerUrl => one("AWS::Lambda::Url", "aws_lambda_function_url"),
            Resource::ViewerPublicPermission | Resource::FanoutPermission => {
                one("AWS::Lambda::Permission", "aws_lambda_permission")
            }
            Resource::Alarm => one("AWS::CloudWatch::Alarm", "aws_cloudwatch_metric_alarm"),
            Resource::Dashboard => one("AWS::CloudWatch::Dashboard", "aws_cloudwatch_dashboard"),
        }
    }
}

/// How many of each resource the pipeline needs (absent kinds are left out).
#[must_use]
pub fn predict(p: &Pipeline) -> BTreeMap<Resource, usize> {
    let flink = usize::from(crate::target::aws::flink::on_flink(p));
    // On the flink engine one alerts function takes the place of the hot and window functions.
    let (hot, windows, alerts) = if flink == 1 {
        (0, 0, usize::from(!p.rules.is_empty()))
    } else {
        (usize::from(p.record_rules().next().is_some()), p.window_rules().count(), 0)
    };
    let viewer = p.store.as_ref().and_then(|s| s.viewer.as_ref());
    let fanout = crate::target::aws::function::fanout_topics(p).len();
    let functions = hot + windows + alerts + usize::from(viewer.is_some()) + usize::from(fanout > 0);
    let archive = usize::from(p.archive.is_some());
    let counts = [
        (Resource::Stream, 1),
        (Resource::ArchiveBucket, archive),
        (Resource::ArchiveBucketPolicy, archive),
        (Resource::ArchiveDeliveryLogGroup, archive),
        (Resource::ArchiveDeliveryLogStream, archive),
        (Resource::ArchiveDeliveryRole, archive),
        (Resource::ArchiveDeliveryStream, archive),
        (Resource::FlaggedTable, usize::from(p.store.is_some())),
        (Resource::Topic, p.topics.len()),
        (Resource::EmailSubscription, p.topics.iter().map(|t| t.emails.len()).sum()),
        (Resource::WebhookSubscription, fanout),
        (Resource::FailedBatchesQueue, usize::from(hot + windows + alerts > 0)),
        (Resource::DeadLetterQueue, usize::from(hot + windows + alerts > 0)),
        (Resource::WindowsTable, usize::from(p.window_rules().next().is_some())),
        (Resource::FunctionLogGroup, functions),
        (Resource::FunctionRole, functions),
        (Resource::Function, functions),
        (Resource::EventSourceMapping, hot + windows + alerts),
        (Resource::ViewerUrl, usize::from(viewer.is_some())),
        (Resource::ViewerPublicPermission, usize::from(viewer.is_some_and(|v| v.public))),
        (Resource::FanoutPermission, fanout),
        (Resource::Alarm, if p.alarms.enabled { super::alarms::watches(p).len() } else { 0 }),
        (Resource::Dashboard, 1),
        (Resource::AlertsStream, flink),
        (Resource::FlinkApplication, flink),
        (Resource::FlinkLogGroup, flink),
        (Resource::FlinkLogStream, flink),
        (Resource::FlinkRole, flink),
    ];
    counts.into_iter().filter(|(_, n)| *n > 0).collect()
}

/// Logical ids of the resources only `CloudFormation` writes (see [`cloudformation_only`]).
pub const CLOUDFORMATION_ONLY_IDS: &[&str] = &[
    "ArchiveEmptierLogGroup",
    "ArchiveEmptierRole",
    "ArchiveEmptierFunction",
    "ArchiveBucketEmptier",
    "FlinkApplicationLogging",
];

/// Resource types only `CloudFormation` needs, and how many. With `retain_data: false` and an
/// archive, a custom resource (function, role, log group) empties the bucket before the stack
/// deletes it; Terraform says `force_destroy = true` on the bucket instead. The Flink
/// application's log stream is a resource of its own in `CloudFormation`
/// (`ApplicationCloudWatchLoggingOption`), a block of the application in Terraform.
#[must_use]
pub fn cloudformation_only(p: &Pipeline) -> BTreeMap<&'static str, usize> {
    let emptier = usize::from(!p.retain_data && p.archive.is_some());
    let flink = usize::from(crate::target::aws::flink::on_flink(p));
    [
        ("AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption", flink),
        ("Custom::EmptyBucket", emptier),
        ("AWS::Lambda::Function", emptier),
        ("AWS::IAM::Role", emptier),
        ("AWS::Logs::LogGroup", emptier),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// Resource types and how many of each, as `CloudFormation` should write them.
#[must_use]
pub fn cloudformation_types(p: &Pipeline) -> BTreeMap<&'static str, usize> {
    let mut types = BTreeMap::new();
    for (resource, n) in predict(p) {
        *types.entry(resource.mapping().cloudformation).or_default() += n;
    }
    for (kind, n) in cloudformation_only(p) {
        *types.entry(kind).or_default() += n;
    }
    types
}

/// Resource types only Terraform needs, and how many: it uploads the Flink application's zip
/// itself (`aws_s3_object`), where `pipec deploy` uploads it for `CloudFormation`.
#[must_use]
pub fn terraform_only(p: &Pipeline) -> BTreeMap<&'static str, usize> {
    let flink = usize::from(crate::target::aws::flink::on_flink(p));
    [("aws_s3_object", flink)].into_iter().filter(|(_, n)| *n > 0).collect()
}

/// Resource types and how many of each, as Terraform should write them (companions included).
#[must_use]
pub fn terraform_types(p: &Pipeline) -> BTreeMap<&'static str, usize> {
    let mut types: BTreeMap<&'static str, usize> = terraform_only(p);
    for (resource, n) in predict(p) {
        let mapping = resource.mapping();
        for kind in std::iter::once(&mapping.terraform).chain(mapping.companions) {
            *types.entry(*kind).or_default() += n;
        }
    }
    types
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_resource_kind_names_a_type_in_both_targets() {
        for resource in Resource::ALL {
            let m = resource.mapping();
            assert!(m.cloudformation.starts_with("AWS::") && m.cloudformation.matches("::").count() == 2, "{m:?}");
            assert!(m.terraform.starts_with("aws_"), "{m:?}");
            assert!(m.companions.iter().all(|c| c.starts_with(m.terraform)), "{m:?}");
        }
    }

    /// Every spec under `dir`, lowered with the tests' variable table (only `PRESENT=value`).
    fn pipelines(dir: &str) -> Vec<(String, Pipeline)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension() == Some("yaml".as_ref()))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "no specs in {dir}");
        paths
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.display().to_string();
                let vars = |var: &str| (var == "PRESENT").then(|| "value".to_string());
                let checked =
                    crate::frontend::check_source(crate::source::Source::new(name.clone(), text), None, &vars);
                assert!(!checked.has_errors(), "{name} has errors: {:?}", checked.diagnostics);
                (name, crate::ir::lower(checked.spec.as_ref().unwrap()).unwrap())
            })
            .collect()
    }

    #[test]
    fn cloudformation_writes_exactly_the_predicted_types() {
        for dir in ["examples", "tests/fixtures/valid", "tests/fixtures/flink"] {
            for (name, p) in pipelines(dir) {
                let (template, _) = crate::target::aws::cloudformation::template(&p).unwrap();
                let mut found: BTreeMap<&str, usize> = BTreeMap::new();
                for resource in template["Resources"].as_object().unwrap().values() {
                    *found.entry(resource["Type"].as_str().unwrap()).or_default() += 1;
                }
                assert_eq!(found, cloudformation_types(&p), "{name}");
            }
        }
    }
}
