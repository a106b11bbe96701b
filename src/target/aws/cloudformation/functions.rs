//! The Lambda side: the hot function (all per-record rules), one function per windowed rule,
//! the viewer, their least-privilege roles, log groups, event-source mappings and the shared
//! on-failure queue.

use serde_json::{Value, json};

use super::iam;
use super::outcomes::{DEAD_LETTERS, WINDOWS};
use super::refs::{ALERTS_STREAM, ARTIFACT_BUCKET, QUEUE, TABLE, stream_arn};
use super::template::{self, Template, depends_on, get_att, r#ref, retain, skip, sub};
use super::topics::topic_id;
use crate::ir::{Pipeline, Rule, RuleKind};
use crate::target::aws::function::{
    BATCH_SIZE, BATCHING_WINDOW_SECONDS, Function, MEMORY_MB, PARALLELIZATION_FACTOR, RUNTIME, fanout_topics, notified,
};
use crate::target::aws::lambda::{self, Code};
use crate::target::aws::names::pascal;
use crate::target::aws::permissions;
use crate::target::aws::skips;

/// One generated function and what it needs here.
struct Generated<'a> {
    which: Function<'a>,
    code: Code,
    env: Value,
    mapping: Option<Value>,
}

pub fn functions(t: &mut Template, p: &Pipeline, assets: &mut Vec<crate::target::Artifact>) -> Result<(), String> {
    let flink = crate::target::aws::flink::on_flink(p);
    // On the flink engine the application decides the rules; the alerts function reads its alerts.
    let windows: Vec<&Rule> = if flink { Vec::new() } else { p.window_rules().collect() };
    let has_hot = !flink && p.record_rules().next().is_some();
    let has_alerts = flink && !p.rules.is_empty();
    if has_hot || !windows.is_empty() || has_alerts {
        queue(t);
    }
    if has_alerts {
        let mut env = json!({
            "PIPELINE": p.name,
            "TOPICS": topics_env(p, p.rules.iter()),
            "DEAD_LETTER_QUEUE": r#ref(DEAD_LETTERS)
        });
        if p.store.is_some() {
            env["TABLE_NAME"] = r#ref(TABLE);
        }
        if p.window_rules().next().is_some() {
            env["WINDOWS_TABLE"] = r#ref(WINDOWS);
        }
        let mut mapping = base_mapping(p, &Function::Alerts.id());
        mapping["EventSourceArn"] = get_att(ALERTS_STREAM, "Arn");
        mapping["MaximumRecordAgeInSeconds"] =
            (u64::from(crate::target::aws::flink::ALERTS_RETENTION_HOURS) * 3600).min(604_800).into();
        add_function(
            t,
            p,
            assets,
            Generated { which: Function::Alerts, code: lambda::alerts(p)?, env, mapping: Some(mapping) },
        );
    }
    if has_hot {
        let mut env = json!({
            "PIPELINE": p.name,
            "TOPICS": topics_env(p, p.record_rules()),
            "DEAD_LETTER_QUEUE": r#ref(DEAD_LETTERS)
        });
        if p.store.is_some() {
            env["TABLE_NAME"] = r#ref(TABLE);
        }
        let mut mapping = base_mapping(p, &Function::Hot.id());
        if let Some(filters) = crate::target::aws::filters::record_filters(p) {
            let filters: Vec<Value> = filters.into_iter().map(|pattern| json!({ "Pattern": pattern })).collect();
            mapping["FilterCriteria"] = json!({ "Filters": filters });
        }
        add_function(
            t,
            p,
            assets,
            Generated { which: Function::Hot, code: lambda::hot(p)?, env, mapping: Some(mapping) },
        );
    }
    for (index, rule) in windows.into_iter().enumerate() {
        let RuleKind::Windowed { seconds, .. } = rule.kind else { continue };
        let which = Function::Window { index, rule };
        let mut mapping = base_mapping(p, &which.id());
        mapping["TumblingWindowInSeconds"] = seconds.into();
        add_function(
            t,
            p,
            assets,
            Generated {
                which,
                code: lambda::window(p, rule)?,
                env: json!({
                    "PIPELINE": p.name,
                    "TOPICS": topics_env(p, std::iter::once(rule)),
                    "DEAD_LETTER_QUEUE": r#ref(DEAD_LETTERS),
                    "WINDOWS_TABLE": r#ref(WINDOWS)
                }),
                mapping: Some(mapping),
            },
        );
    }
    let fanout = fanout_topics(p);
    if !fanout.is_empty() {
        add_function(
            t,
            p,
            assets,
            Generated {
                which: Function::Fanout,
                code: lambda::fanout(p)?,
                env: json!({
                    "WEBHOOKS": crate::target::aws::function::webhooks_env(p, &fanout),
                    "DEAD_LETTER_QUEUE": r#ref(DEAD_LETTERS)
                }),
                mapping: None,
            },
        );
        for id in fanout {
            let topic = pascal(&p.topics[id.0].name);
            t.add(
                &format!("{topic}Webhooks"),
                "AWS::SNS::Subscription",
                json!({
                    "TopicArn": r#ref(&topic_id(&p.topics[id.0].name)),
                    "Protocol": "lambda",
                    "Endpoint": get_att(&Function::Fanout.id(), "Arn")
                }),
            );
            t.add(
                &format!("{topic}WebhooksPermission"),
                "AWS::Lambda::Permission",
                json!({
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": r#ref(&Function::Fanout.id()),
                    "Principal": "sns.amazonaws.com",
                    "SourceArn": r#ref(&topic_id(&p.topics[id.0].name))
                }),
            );
        }
    }
    if let Some(viewer) = p.store.as_ref().and_then(|s| s.viewer.as_ref()) {
        add_function(
            t,
            p,
            assets,
            Generated {
                which: Function::Viewer,
                code: lambda::viewer(p)?,
                env: if p.window_rules().next().is_some() {
                    json!({ "TABLE_NAME": r#ref(TABLE), "WINDOWS_TABLE": r#ref(WINDOWS) })
                } else {
                    json!({ "TABLE_NAME": r#ref(TABLE) })
                },
                mapping: None,
            },
        );
        let auth = if viewer.public { "NONE" } else { "AWS_IAM" };
        let url = t.add(
            "ViewerUrl",
            "AWS::Lambda::Url",
            json!({ "AuthType": auth, "TargetFunctionArn": get_att("ViewerFunction", "Arn") }),
        );
        if viewer.public {
            skip(url, skips::PUBLIC_URL);
            let permission = t.add(
                "ViewerPublicPermission",
                "AWS::Lambda::Permission",
                json!({
                    "Action": "lambda:InvokeFunctionUrl",
                    "FunctionName": r#ref("ViewerFunction"),
                    "Principal": "*",
                    "FunctionUrlAuthType": "NONE"
                }),
            );
            skip(permission, skips::PUBLIC_PERMISSION);
        }
        t.output("ViewerUrl", "URL of the flagged-records viewer", get_att("ViewerUrl", "FunctionUrl"));
    }
    Ok(())
}

/// Declares the `ArtifactBucket` parameter (once): the bucket of the code assets.
pub fn artifact_bucket(t: &mut Template) {
    t.parameters.entry(ARTIFACT_BUCKET.to_string()).or_insert_with(|| {
        json!({
            "Type": "String",
            "Description": "S3 bucket holding the Lambda assets under pipec/ (`pipec deploy` uploads them and fills this in)",
            "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
        })
    });
}

fn queue(t: &mut Template) {
    template::queue(t, QUEUE, "FailedBatchesQueueUrl", "Queue receiving batches that failed after all retries");
}

/// `{"topic": "arn", ...}` for the handler's environment: the topics its rules notify.
fn topics_env<'a>(p: &Pipeline, rules: impl Iterator<Item = &'a Rule>) -> Value {
    let pairs: Vec<String> = notified(rules)
        .iter()
        .map(|&id| format!("\"{}\": \"${{{}}}\"", p.topics[id.0].name, topic_id(&p.topics[id.0].name)))
        .collect();
    if pairs.is_empty() { json!("{}") } else { sub(&format!("{{{}}}", pairs.join(", "))) }
}

fn base_mapping(p: &Pipeline, function: &str) -> Value {
    let max_age = (u64::from(p.stream.kinesis().retention_hours) * 3600).min(604_800);
    json!({
        "EventSourceArn": stream_arn(),
        "FunctionName": r#ref(function),
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": BATCH_SIZE,
        "MaximumBatchingWindowInSeconds": BATCHING_WINDOW_SECONDS,
        "ParallelizationFactor": PARALLELIZATION_FACTOR,
        "BisectBatchOnFunctionError": true,
        "MaximumRetryAttempts": 5,
        "MaximumRecordAgeInSeconds": max_age,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "DestinationConfig": { "OnFailure": { "Destination": get_att(QUEUE, "Arn") } }
    })
}

fn add_function(t: &mut Template, p: &Pipeline, assets: &mut Vec<crate::target::Artifact>, f: Generated) {
    let (id, name) = (f.which.id(), f.which.name(p));
    let log_group = format!("{id}LogGroup");
    let role_id = format!("{id}Role");
    let logs = t.add(
        &log_group,
        "AWS::Logs::LogGroup",
        json!({ "LogGroupName": format!("/aws/lambda/{name}"), "RetentionInDays": 365 }),
    );
    retain(logs, false);
    skip(logs, skips::LOG_GROUP);
    let statements = permissions::function(p, f.which);
    let role = iam::role(p, "lambda.amazonaws.com", &format!("{name}-policy"), &log_group, &statements);
    t.add(&role_id, "AWS::IAM::Role", role);
    let code = match f.code {
        Code::Inline(source) => json!({ "ZipFile": source }),
        Code::Asset { file, zip } => {
            artifact_bucket(t);
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
        &id,
        "AWS::Lambda::Function",
        json!({
            "FunctionName": name,
            "Description": f.which.description(p),
            "Runtime": RUNTIME,
            "Architectures": ["arm64"],
            "Handler": "index.handler",
            "Code": code,
            "Role": get_att(&role_id, "Arn"),
            "Timeout": f.which.timeout(),
            "MemorySize": MEMORY_MB,
            "Environment": { "Variables": f.env },
            "TracingConfig": { "Mode": "Active" }
        }),
    );
    depends_on(function, &[&log_group]);
    if matches!(f.which, Function::Fanout) {
        // SNS invokes it asynchronously: what fails after Lambda's retries lands here.
        function["Properties"]["DeadLetterConfig"] = json!({ "TargetArn": get_att(DEAD_LETTERS, "Arn") });
        skip(function, skips::FANOUT_FUNCTION);
    } else {
        skip(function, skips::FUNCTION);
    }
    if let Some(mapping) = f.mapping {
        t.add(&format!("{id}Mapping"), "AWS::Lambda::EventSourceMapping", mapping);
    }
}
