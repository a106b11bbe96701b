//! The Lambda side: the hot function (all per-record rules), one function per windowed rule,
//! the viewer; their sources (the same code as the `CloudFormation` target) packaged with
//! `archive_file`, least-privilege roles, log groups, event-source mappings, the shared
//! on-failure queue and the viewer's URL.

use hcl::{Block, Body, Expression};

use super::iam;
use super::module::{Module, Part, block, call, data, resource, string_object, strings, template, traversal};
use super::outcomes::{dead_letters, windows_table};
use super::refs::{QUEUE, alerts_stream, stream, table};
use super::topics;
use crate::ir::{Pipeline, Rule, RuleKind};
use crate::target::Artifact;
use crate::target::aws::function::{
    BATCH_SIZE, BATCHING_WINDOW_SECONDS, Function, MEMORY_MB, PARALLELIZATION_FACTOR, RUNTIME, fanout_topics,
    webhooks_env,
};
use crate::target::aws::lambda;
use crate::target::aws::names::{pascal, snake};
use crate::target::aws::permissions;
use crate::target::aws::{filters, skips};

/// What the event-source mapping adds to the common settings.
enum Trigger {
    /// Per-record rules, with filter patterns when every rule has one.
    Records(Option<Vec<String>>),
    Window(u32),
    /// `hot.engine: flink`: the alerts stream.
    Alerts,
}

/// One generated function and what it needs here (labels are the snake case of its id).
struct Generated<'a> {
    which: Function<'a>,
    files: lambda::Files,
    env: Vec<(String, Expression)>,
    trigger: Option<Trigger>,
}

/// The environment of a function that stores and notifies (the hot function, and the flink
/// engine's alerts function): the pipeline, its topics, the dead-letter queue and the table.
fn storing_env(p: &Pipeline) -> Vec<(String, Expression)> {
    let mut env = vec![
        ("PIPELINE".into(), p.name.as_str().into()),
        ("TOPICS".into(), topics_env(p)),
        ("DEAD_LETTER_QUEUE".into(), dead_letters("url")),
    ];
    if p.store.is_some() {
        env.push(("TABLE_NAME".into(), table("name")));
    }
    env
}

pub fn add_functions(m: &mut Module, p: &Pipeline) -> Result<(), String> {
    let flink = crate::target::aws::flink::on_flink(p);
    // On the flink engine the application decides the rules; the alerts function reads its alerts.
    let windows: Vec<&Rule> = if flink { Vec::new() } else { p.window_rules().collect() };
    let has_hot = !flink && p.record_rules().next().is_some();
    let has_alerts = flink && !p.rules.is_empty();
    if has_hot || !windows.is_empty() || has_alerts {
        add_queue(m);
    }
    if has_alerts {
        let mut env = storing_env(p);
        if p.window_rules().next().is_some() {
            env.push(("WINDOWS_TABLE".into(), windows_table("name")));
        }
        add_function(
            m,
            p,
            Generated { which: Function::Alerts, files: lambda::alerts_files(p)?, env, trigger: Some(Trigger::Alerts) },
        );
    }
    if has_hot {
        let env = storing_env(p);
        add_function(
            m,
            p,
            Generated {
                which: Function::Hot,
                files: lambda::hot_files(p)?,
                env,
                trigger: Some(Trigger::Records(filters::record_filters(p))),
            },
        );
    }
    for (index, rule) in windows.into_iter().enumerate() {
        let RuleKind::Windowed { seconds, .. } = rule.kind else { continue };
        add_function(
            m,
            p,
            Generated {
                which: Function::Window { index, rule },
                files: lambda::window_files(p, rule)?,
                env: vec![
                    ("PIPELINE".into(), p.name.as_str().into()),
                    ("TOPICS".into(), topics_env(p)),
                    ("DEAD_LETTER_QUEUE".into(), dead_letters("url")),
                    ("WINDOWS_TABLE".into(), windows_table("name")),
                ],
                trigger: Some(Trigger::Window(seconds)),
            },
        );
    }
    let fanout = fanout_topics(p);
    if !fanout.is_empty() {
        add_function(
            m,
            p,
            Generated {
                which: Function::Fanout,
                files: lambda::fanout_files(p)?,
                env: vec![
                    ("WEBHOOKS".into(), webhooks_env(p, &fanout).into()),
                    ("DEAD_LETTER_QUEUE".into(), dead_letters("url")),
                ],
                trigger: None,
            },
        );
        let function = snake(&Function::Fanout.id());
        for id in fanout {
            let topic = &p.topics[id.0];
            let label = snake(&format!("{}Webhooks", pascal(&topic.name)));
            topics::subscription(m, &label, &topic.name, "lambda", resource("aws_lambda_function", &function, "arn"));
            m.resource(
                "aws_lambda_permission",
                &format!("{label}_permission"),
                Body::builder()
                    .add_attribute(("action", "lambda:InvokeFunction"))
                    .add_attribute(("function_name", resource("aws_lambda_function", &function, "function_name")))
                    .add_attribute(("principal", "sns.amazonaws.com"))
                    .add_attribute(("source_arn", topics::arn(&topic.name)))
                    .build(),
                &[],
            );
        }
    }
    if let Some(viewer) = p.store.as_ref().and_then(|s| s.viewer.as_ref()) {
        add_function(
            m,
            p,
            Generated {
                which: Function::Viewer,
                files: lambda::viewer_files(p)?,
                env: if p.window_rules().next().is_some() {
                    vec![("TABLE_NAME".into(), table("name")), ("WINDOWS_TABLE".into(), windows_table("name"))]
                } else {
                    vec![("TABLE_NAME".into(), table("name"))]
                },
                trigger: None,
            },
        );
        let function_name = resource("aws_lambda_function", "viewer_function", "function_name");
        m.resource(
            "aws_lambda_function_url",
            "viewer_url",
            Body::builder()
                .add_attribute(("function_name", function_name.clone()))
                .add_attribute(("authorization_type", if viewer.public { "NONE" } else { "AWS_IAM" }))
                .build(),
            if viewer.public { skips::PUBLIC_URL } else { &[] },
        );
        if viewer.public {
            m.resource(
                "aws_lambda_permission",
                "viewer_public_permission",
                Body::builder()
                    .add_attribute(("action", "lambda:InvokeFunctionUrl"))
                    .add_attribute(("function_name", function_name))
                    .add_attribute(("principal", "*"))
                    .add_attribute(("function_url_auth_type", "NONE"))
                    .build(),
                skips::PUBLIC_PERMISSION,
            );
        }
        m.output(
            "viewer_url",
            "URL of the flagged-records viewer",
            resource("aws_lambda_function_url", "viewer_url", "function_url"),
        );
    }
    Ok(())
}

fn add_queue(m: &mut Module) {
    m.queue(QUEUE, "failed_batches_queue_url", "Queue receiving batches that failed after all retries");
}

/// `jsonencode({"topic" = arn, ...})` for the handler's environment.
fn topics_env(p: &Pipeline) -> Expression {
    let entries = p.topics.iter().map(|t| (t.name.clone(), topics::arn(&t.name))).collect();
    call("jsonencode", vec![string_object(entries)])
}

fn add_function(m: &mut Module, p: &Pipeline, f: Generated) {
    let (label, name) = (snake(&f.which.id()), f.which.name(p));
    let log_group = format!("{label}_log_group");
    let role = format!("{label}_role");
    m.resource(
        "aws_cloudwatch_log_group",
        &log_group,
        Body::builder()
            .add_attribute(("name", format!("/aws/lambda/{name}")))
            .add_attribute(("retention_in_days", 365))
            .build(),
        skips::LOG_GROUP,
    );
    iam::role(m, p, &role, &log_group, "lambda", &format!("{name}-policy"), &permissions::function(p, f.which));
    for (file, source) in f.files {
        m.sources.push(Artifact {
            path: format!("lambda/{name}/{file}"),
            bytes: source.into_bytes(),
            role: "Lambda handler source (packaged by archive_file)",
        });
    }
    let path_module = traversal("path", &["module"]);
    m.data(
        "archive_file",
        &label,
        Body::builder()
            .add_attribute(("type", "zip"))
            .add_attribute((
                "source_dir",
                template(&[Part::Expr(path_module.clone()), Part::Text(&format!("/lambda/{name}"))]),
            ))
            .add_attribute((
                "output_path",
                template(&[Part::Expr(path_module), Part::Text(&format!("/build/{name}.zip"))]),
            ))
            .build(),
    );
    let variables = string_object(f.env);
    let fanout = matches!(f.which, Function::Fanout);
    let mut body = Body::builder();
    if fanout {
        // SNS invokes it asynchronously: what fails after Lambda's retries lands here.
        body = body.add_block(block(
            "dead_letter_config",
            Body::builder().add_attribute(("target_arn", dead_letters("arn"))).build(),
        ));
    }
    m.resource(
        "aws_lambda_function",
        &label,
        body.add_attribute(("function_name", name.as_str()))
            .add_attribute(("description", f.which.description(p)))
            .add_attribute(("runtime", RUNTIME))
            .add_attribute(("architectures", strings(&["arm64"])))
            .add_attribute(("handler", "index.handler"))
            .add_attribute(("filename", data("archive_file", &label, "output_path")))
            .add_attribute(("source_code_hash", data("archive_file", &label, "output_base64sha256")))
            .add_attribute(("role", resource("aws_iam_role", &role, "arn")))
            .add_attribute(("timeout", f.which.timeout()))
            .add_attribute(("memory_size", MEMORY_MB))
            .add_block(block("environment", Body::builder().add_attribute(("variables", variables)).build()))
            .add_block(block("tracing_config", Body::builder().add_attribute(("mode", "Active")).build()))
            .add_attribute((
                "depends_on",
                Expression::Array(vec![traversal("aws_cloudwatch_log_group", &[&log_group])]),
            ))
            .build(),
        if fanout { skips::FANOUT_FUNCTION } else { skips::FUNCTION },
    );
    if let Some(trigger) = f.trigger {
        add_mapping(m, p, &label, &role, trigger);
    }
}

fn add_mapping(m: &mut Module, p: &Pipeline, label: &str, role: &str, trigger: Trigger) {
    let (source, hours) = match trigger {
        Trigger::Alerts => (alerts_stream("arn"), crate::target::aws::flink::ALERTS_RETENTION_HOURS),
        _ => (stream("arn"), p.stream.kinesis().retention_hours),
    };
    let max_age = (u64::from(hours) * 3600).min(604_800);
    let on_failure = block(
        "on_failure",
        Body::builder().add_attribute(("destination_arn", resource("aws_sqs_queue", QUEUE, "arn"))).build(),
    );
    let mut b = Body::builder()
        .add_attribute(("event_source_arn", source))
        .add_attribute(("function_name", resource("aws_lambda_function", label, "arn")))
        .add_attribute(("starting_position", "TRIM_HORIZON"))
        .add_attribute(("batch_size", BATCH_SIZE))
        .add_attribute(("maximum_batching_window_in_seconds", BATCHING_WINDOW_SECONDS))
        .add_attribute(("parallelization_factor", PARALLELIZATION_FACTOR))
        .add_attribute(("bisect_batch_on_function_error", true))
        .add_attribute(("maximum_retry_attempts", 5))
        .add_attribute(("maximum_record_age_in_seconds", max_age))
        .add_attribute(("function_response_types", strings(&["ReportBatchItemFailures"])));
    match trigger {
        Trigger::Window(seconds) => b = b.add_attribute(("tumbling_window_in_seconds", seconds)),
        Trigger::Records(None) | Trigger::Alerts => {}
        Trigger::Records(Some(patterns)) => {
            let mut criteria = Block::builder("filter_criteria");
            for pattern in patterns {
                criteria =
                    criteria.add_block(block("filter", Body::builder().add_attribute(("pattern", pattern)).build()));
            }
            b = b.add_block(criteria.build());
        }
    }
    b = b
        .add_block(block("destination_config", Body::builder().add_block(on_failure).build()))
        // The mapping reads the stream as the function's role: the policy must exist first.
        .add_attribute(("depends_on", Expression::Array(vec![traversal("aws_iam_role_policy", &[role])])));
    m.resource("aws_lambda_event_source_mapping", &format!("{label}_mapping"), b.build(), &[]);
}
