//! Alarms and the dashboard in `CloudFormation`: `AWS::CloudWatch::Alarm` per watched metric
//! (see [`crate::target::aws::alarms`]) and one `AWS::CloudWatch::Dashboard`, whose body names the
//! generated queues and delivery stream through `Fn::Sub`.

use serde_json::{Value, json};

use super::outcomes::DEAD_LETTERS;
use super::refs::QUEUE;
use super::template::{Template, get_att, r#ref, sub};
use super::topics::topic_id;
use crate::ir::Pipeline;
use crate::target::aws::alarms::{self, Name};

/// The archive's delivery stream (logical id).
const FIREHOSE: &str = "ArchiveDeliveryStream";

pub fn alarms(t: &mut Template, p: &Pipeline) {
    let actions: Vec<Value> = p.alarms.topic.iter().map(|id| r#ref(&topic_id(&p.topics[id.0].name))).collect();
    if p.alarms.enabled {
        for w in alarms::watches(p) {
            let dimensions: Vec<Value> =
                w.dimensions.iter().map(|(key, value)| json!({ "Name": key, "Value": name(value) })).collect();
            let mut props = json!({
                "AlarmName": w.name,
                "AlarmDescription": w.description,
                "Namespace": w.namespace,
                "MetricName": w.metric,
                "Dimensions": dimensions,
                "Statistic": w.statistic,
                "Period": w.period,
                "EvaluationPeriods": w.evaluation_periods,
                "DatapointsToAlarm": w.datapoints,
                "Threshold": w.threshold,
                "ComparisonOperator": w.comparison,
                "TreatMissingData": w.missing
            });
            if !actions.is_empty() {
                props["AlarmActions"] = json!(actions);
                props["OKActions"] = json!(actions);
            }
            t.add(&format!("{}Alarm", w.id), "AWS::CloudWatch::Alarm", props);
        }
    }
    let body = serde_json::to_string(&alarms::dashboard(p)).unwrap_or_default();
    let body = body
        .replace("${queue}", &format!("${{{QUEUE}.QueueName}}"))
        .replace("${dead_letters}", &format!("${{{DEAD_LETTERS}.QueueName}}"))
        .replace("${delivery_stream}", &format!("${{{FIREHOSE}}}"))
        .replace("${region}", "${AWS::Region}");
    t.add("Dashboard", "AWS::CloudWatch::Dashboard", json!({ "DashboardName": p.name, "DashboardBody": sub(&body) }));
    t.output(
        "DashboardUrl",
        "CloudWatch dashboard of the pipeline",
        sub(&format!(
            "https://${{AWS::Region}}.console.aws.amazon.com/cloudwatch/home?region=${{AWS::Region}}#dashboards/dashboard/{}",
            p.name
        )),
    );
}

fn name(n: &Name) -> Value {
    match n {
        Name::Literal(text) => json!(text),
        Name::Queue => get_att(QUEUE, "QueueName"),
        Name::DeadLetters => get_att(DEAD_LETTERS, "QueueName"),
        Name::DeliveryStream => r#ref(FIREHOSE),
        Name::Region => json!({ "Ref": "AWS::Region" }),
    }
}
