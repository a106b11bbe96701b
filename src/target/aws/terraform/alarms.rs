//! Alarms and the dashboard in Terraform: `aws_cloudwatch_metric_alarm` per watched metric (see
//! [`crate::target::aws::alarms`]) and one `aws_cloudwatch_dashboard` whose body is `jsonencode` of
//! the same widgets `CloudFormation` writes, with the generated names as references.

use hcl::{Body, Expression};
use serde_json::Value;

use super::module::{Module, Part, call, data, resource, string_object, template};
use super::outcomes::dead_letters;
use super::refs::QUEUE;
use super::topics;
use crate::ir::Pipeline;
use crate::target::aws::alarms::{self, Name, placeholder};
use crate::target::aws::names::snake;

const FIREHOSE: &str = "archive_delivery_stream";

pub fn add_alarms(m: &mut Module, p: &Pipeline) {
    let actions: Vec<Expression> = p.alarms.topic.iter().map(|id| topics::arn(&p.topics[id.0].name)).collect();
    if p.alarms.enabled {
        for w in alarms::watches(p) {
            let dimensions =
                string_object(w.dimensions.iter().map(|(key, value)| ((*key).to_string(), name(value))).collect());
            let mut b = Body::builder()
                .add_attribute(("alarm_name", w.name.as_str()))
                .add_attribute(("alarm_description", w.description.as_str()))
                .add_attribute(("namespace", w.namespace))
                .add_attribute(("metric_name", w.metric))
                .add_attribute(("dimensions", dimensions))
                .add_attribute(("statistic", w.statistic))
                .add_attribute(("period", w.period))
                .add_attribute(("evaluation_periods", w.evaluation_periods))
                .add_attribute(("datapoints_to_alarm", w.datapoints))
                .add_attribute(("threshold", w.threshold))
                .add_attribute(("comparison_operator", w.comparison))
                .add_attribute(("treat_missing_data", w.missing));
            if !actions.is_empty() {
                b = b
                    .add_attribute(("alarm_actions", Expression::Array(actions.clone())))
                    .add_attribute(("ok_actions", Expression::Array(actions.clone())));
            }
            m.resource("aws_cloudwatch_metric_alarm", &format!("{}_alarm", snake(&w.id)), b.build(), &[]);
        }
    }
    m.data("aws_region", "current", Body::builder().build());
    let body = call("jsonencode", vec![expression(&alarms::dashboard(p))]);
    m.resource(
        "aws_cloudwatch_dashboard",
        "dashboard",
        Body::builder()
            .add_attribute(("dashboard_name", p.name.as_str()))
            .add_attribute(("dashboard_body", body))
            .build(),
        &[],
    );
    let region = || Part::Expr(data("aws_region", "current", "region"));
    m.output(
        "dashboard_url",
        "CloudWatch dashboard of the pipeline",
        template(&[
            Part::Text("https://"),
            region(),
            Part::Text(".console.aws.amazon.com/cloudwatch/home?region="),
            region(),
            Part::Text("#dashboards/dashboard/"),
            Part::Expr(resource("aws_cloudwatch_dashboard", "dashboard", "dashboard_name")),
        ]),
    );
}

fn name(n: &Name) -> Expression {
    match n {
        Name::Literal(text) => text.as_str().into(),
        Name::Queue => resource("aws_sqs_queue", QUEUE, "name"),
        Name::DeadLetters => dead_letters("name"),
        Name::DeliveryStream => resource("aws_kinesis_firehose_delivery_stream", FIREHOSE, "name"),
        Name::Region => data("aws_region", "current", "region"),
    }
}

/// A JSON value as an HCL expression, with the dashboard's placeholders as references.
fn expression(v: &Value) -> Expression {
    match v {
        Value::Null => Expression::Null,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => n.as_u64().map_or_else(|| n.as_f64().unwrap_or_default().into(), Into::into),
        Value::String(s) => {
            for special in [Name::Queue, Name::DeadLetters, Name::DeliveryStream, Name::Region] {
                if placeholder(&special) == *v {
                    return name(&special);
                }
            }
            s.as_str().into()
        }
        Value::Array(items) => Expression::Array(items.iter().map(expression).collect()),
        Value::Object(map) => string_object(map.iter().map(|(k, v)| (k.clone(), expression(v))).collect()),
    }
}
