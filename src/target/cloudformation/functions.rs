//! The Lambda side: the hot function (all per-record rules), one function per windowed rule,
//! the viewer, their least-privilege roles, log groups, event-source mappings and the shared
//! on-failure queue.

use serde_json::{Value, json};

use super::data::{TABLE, stream_arn};
use super::template::{Skip, Template, allow, depends_on, get_att, kms_via, r#ref, retain, role, skip, sub};
use super::topics::topic_id;
use crate::ir::{Pipeline, Rule, RuleKind};
use crate::target::lambda::{self, Code};
use crate::target::names::{hot_function, viewer_function, window_function};

const QUEUE: &str = "FailedBatchesQueue";
pub const ARTIFACT_BUCKET: &str = "ArtifactBucket";
/// Lambda's runtime for generated handlers.
pub const RUNTIME: &str = "python3.13";

/// Checks answered with a written reason on every generated function.
const FUNCTION_SKIPS: &[Skip] = &[
    Skip {
        id: "CKV_AWS_116",
        comment: "Stream-triggered: failed batches go to the event-source mapping's on-failure SQS queue; a function DLQ only applies to asynchronous invokes",
    },
    Skip {
        id: "CKV_AWS_117",
        comment: "Calls only public AWS APIs (Kinesis, DynamoDB, SNS); a VPC would add NAT cost and no isolation",
    },
    Skip {
        id: "CKV_AWS_115",
        comment: "Reserved concurrency fails on default-quota accounts; the event-source mapping bounds concurrency per shard",
    },
    Skip {
        id: "CKV_AWS_173",
        comment: "Environment holds only resource names and ARNs, no secrets; encrypted at rest with the Lambda service key",
    },
];

/// One generated function and what it needs.
struct Function {
    id: String,
    name: String,
    description: String,
    code: Code,
    env: Value,
    statements: Vec<Value>,
    reads_stream: bool,
    timeout: u32,
    mapping: Option<Value>,
}

pub fn functions(t: &mut Template, p: &Pipeline, assets: &mut Vec<crate::target::Artifact>) -> Result<(), String> {
    let windows: Vec<&Rule> = p.window_rules().collect();
    let has_hot = p.record_rules().next().is_some();
    if has_hot || !windows.is_empty() {
        queue(t);
    }
    if has_hot {
        let mut statements = vec![publish(p, p.record_rules())];
        let mut env = json!({ "PIPELINE": p.name, "TOPICS": topics_env(p, p.record_rules()) });
        if p.store.is_some() {
            statements.push(allow(
                "StoreFlagged",
                &["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
                vec![get_att(TABLE, "Arn")],
            ));
            env["TABLE_NAME"] = r#ref(TABLE);
        }
        let mut mapping = base_mapping(p, "HotFunction");
        if let Some(filters) = crate::target::filters::record_filters(p) {
            let filters: Vec<Value> = filters.into_iter().map(|pattern| json!({ "Pattern": pattern })).collect();
            mapping["FilterCriteria"] = json!({ "Filters": filters });
        }
        add_function(
            t,
            p,
            assets,
            Function {
                id: "HotFunction".into(),
                name: hot_function(p),
                description: format!(
                    "pipec {}: evaluates per-record rules, stores and notifies flagged records",
                    p.name
                ),
                code: lambda::hot(p)?,
                env,
                statements,
                reads_stream: true,
                timeout: 60,
                mapping: Some(mapping),
            },
        )?;
    }
    for (index, rule) in windows.into_iter().enumerate() {
        let RuleKind::Windowed { seconds, .. } = rule.kind else { continue };
        let id = format!("Window{}Function", index + 1);
        let mut mapping = base_mapping(p, &id);
        mapping["TumblingWindowInSeconds"] = seconds.into();
        add_function(
            t,
            p,
            assets,
            Function {
                id: id.clone(),
                name: window_function(p, index),
                description: format!("pipec {}: windowed rule {}", p.name, rule.name),
                code: lambda::window(p, rule)?,
                env: json!({ "PIPELINE": p.name, "TOPICS": topics_env(p, std::iter::once(rule)) }),
                statements: vec![publish(p, std::iter::once(rule))],
                reads_stream: true,
                timeout: 60,
                mapping: Some(mapping),
            },
        )?;
    }
    if let Some(viewer) = p.store.as_ref().and_then(|s| s.viewer.as_ref()) {
        add_function(
            t,
            p,
            assets,
            Function {
                id: "ViewerFunction".into(),
                name: viewer_function(p),
                description: format!("pipec {}: web viewer of flagged records", p.name),
                code: lambda::viewer(p)?,
                env: json!({ "TABLE_NAME": r#ref(TABLE) }),
                statements: vec![allow("ReadFlagged", &["dynamodb:Scan"], vec![get_att(TABLE, "Arn")])],
                reads_stream: false,
                timeout: 30,
                mapping: None,
            },
        )?;
        let auth = if viewer.public { "NONE" } else { "AWS_IAM" };
        let url = t.add(
            "ViewerUrl",
            "AWS::Lambda::Url",
            json!({ "AuthType": auth, "TargetFunctionArn": get_att("ViewerFunction", "Arn") }),
        );
        if viewer.public {
            skip(
                url,
                &[Skip {
                    id: "CKV_AWS_258",
                    comment: "The spec sets viewer.public: true (pipec check warns about it)",
                }],
            );
            t.add(
                "ViewerPublicPermission",
                "AWS::Lambda::Permission",
                json!({
                    "Action": "lambda:InvokeFunctionUrl",
                    "FunctionName": r#ref("ViewerFunction"),
                    "Principal": "*",
                    "FunctionUrlAuthType": "NONE"
                }),
            );
        }
        t.output("ViewerUrl", "URL of the flagged-records viewer", get_att("ViewerUrl", "FunctionUrl"));
    }
    Ok(())
}

fn queue(t: &mut Template) {
    let queue = t.add(
        QUEUE,
        "AWS::SQS::Queue",
        json!({ "KmsMasterKeyId": "alias/aws/sqs", "MessageRetentionPeriod": 1_209_600 }),
    );
    retain(queue, false);
    t.output("FailedBatchesQueueUrl", "Queue receiving batches that failed after all retries", r#ref(QUEUE));
}

/// `{"topic": "arn", ...}` for the handler's environment: the topics its rules notify.
fn topics_env<'a>(p: &Pipeline, rules: impl Iterator<Item = &'a Rule>) -> Value {
    let pairs: Vec<String> =
        notified(rules).iter().map(|&i| format!("\"{}\": \"${{{}}}\"", p.topics[i].name, topic_id(&p.topics[i].name))).collect();
    if pairs.is_empty() { json!("{}") } else { sub(&format!("{{{}}}", pairs.join(", "))) }
}

/// Indices of the topics the rules notify, sorted.
fn notified<'a>(rules: impl Iterator<Item = &'a Rule>) -> Vec<usize> {
    let mut ids: Vec<usize> = rules.flat_map(|r| r.notify.iter().map(|t| t.0)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// sns:Publish on exactly the topics the rules notify.
fn publish<'a>(p: &Pipeline, rules: impl Iterator<Item = &'a Rule>) -> Value {
    let topics: Vec<Value> = notified(rules).iter().map(|&i| r#ref(&topic_id(&p.topics[i].name))).collect();
    if topics.is_empty() {
        return Value::Null;
    }
    allow("PublishAlerts", &["sns:Publish"], topics)
}

fn base_mapping(p: &Pipeline, function: &str) -> Value {
    let max_age = (u64::from(p.stream.retention_hours) * 3600).min(604_800);
    json!({
        "EventSourceArn": stream_arn(),
        "FunctionName": r#ref(function),
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 1,
        "ParallelizationFactor": 1,
        "BisectBatchOnFunctionError": true,
        "MaximumRetryAttempts": 5,
        "MaximumRecordAgeInSeconds": max_age,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "DestinationConfig": { "OnFailure": { "Destination": get_att(QUEUE, "Arn") } }
    })
}

fn add_function(
    t: &mut Template,
    p: &Pipeline,
    assets: &mut Vec<crate::target::Artifact>,
    f: Function,
) -> Result<(), String> {
    let log_group = format!("{}LogGroup", f.id);
    let role_id = format!("{}Role", f.id);
    let logs = t.add(
        &log_group,
        "AWS::Logs::LogGroup",
        json!({ "LogGroupName": format!("/aws/lambda/{}", f.name), "RetentionInDays": 365 }),
    );
    retain(logs, false);
    super::archive::skip_log_kms(t, &log_group);
    let mut statements: Vec<Value> = vec![allow(
        "WriteOwnLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![sub(&format!("${{{log_group}.Arn}}"))],
    )];
    statements.push(allow("Tracing", &["xray:PutTraceSegments", "xray:PutTelemetryRecords"], vec![json!("*")]));
    if f.reads_stream {
        statements.push(allow(
            "ReadStream",
            &[
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
            ],
            vec![stream_arn()],
        ));
        statements.push(allow("SendFailedBatches", &["sqs:SendMessage"], vec![get_att(QUEUE, "Arn")]));
        statements.push(kms_via("UseQueueKey", &["kms:GenerateDataKey", "kms:Decrypt"], "sqs"));
        if p.stream.encrypted {
            statements.push(kms_via("DecryptStream", &["kms:Decrypt"], "kinesis"));
        }
    }
    let publishes = f.statements.iter().any(|s| s.get("Sid").is_some_and(|sid| sid == "PublishAlerts"));
    statements.extend(f.statements.into_iter().filter(|s| !s.is_null()));
    if publishes {
        statements.push(kms_via("UseTopicKey", &["kms:GenerateDataKey", "kms:Decrypt"], "sns"));
    }
    t.add(&role_id, "AWS::IAM::Role", role("lambda.amazonaws.com", &format!("{}-policy", f.name), statements));
    let code = match f.code {
        Code::Inline(source) => json!({ "ZipFile": source }),
        Code::Asset { file, zip } => {
            t.parameters.entry(ARTIFACT_BUCKET.to_string()).or_insert_with(|| {
                json!({
                    "Type": "String",
                    "Description": "S3 bucket holding the Lambda assets under pipec/ (`pipec deploy --artifact-bucket` uploads them)",
                    "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
                })
            });
            let key = format!("pipec/{}/{file}", p.name);
            assets.push(crate::target::Artifact {
                path: format!("assets/{file}"),
                bytes: zip,
                role: "lambda asset (upload to the ArtifactBucket parameter's bucket)",
            });
            json!({ "S3Bucket": r#ref(ARTIFACT_BUCKET), "S3Key": key })
        }
    };
    let function = t.add(
        &f.id,
        "AWS::Lambda::Function",
        json!({
            "FunctionName": f.name,
            "Description": f.description,
            "Runtime": RUNTIME,
            "Architectures": ["arm64"],
            "Handler": "index.handler",
            "Code": code,
            "Role": get_att(&role_id, "Arn"),
            "Timeout": f.timeout,
            "MemorySize": 256,
            "Environment": { "Variables": f.env },
            "TracingConfig": { "Mode": "Active" }
        }),
    );
    depends_on(function, &[&log_group]);
    skip(function, FUNCTION_SKIPS);
    if let Some(mapping) = f.mapping {
        t.add(&format!("{}Mapping", f.id), "AWS::Lambda::EventSourceMapping", mapping);
    }
    Ok(())
}
