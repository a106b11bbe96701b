//! Notification topics (SNS, KMS-encrypted) and their subscriptions. E-mail addresses are
//! variables, defaulting to the spec's values, so a deployer can change them (the `CloudFormation`
//! target makes them Parameters). Webhooks are served by the fanout function (see `functions`),
//! which posts plain JSON.

use hcl::{Block, Body, Expression};

use super::module::{Module, call, keyword, resource, var};
use crate::ir::{Pipeline, Topic};
use crate::target::aws::names::{pascal, snake, topic as topic_name};

/// The label of a topic (the `CloudFormation` logical id `<Name>Topic`, in snake case).
#[must_use]
pub fn label(topic: &str) -> String {
    snake(&format!("{}Topic", pascal(topic)))
}

/// `aws_sns_topic.<label>.arn`.
#[must_use]
pub fn arn(topic: &str) -> Expression {
    resource("aws_sns_topic", &label(topic), "arn")
}

/// The same pattern as the `CloudFormation` parameter's `AllowedPattern`.
const EMAIL_PATTERN: &str = r"^[^@\s]+@[^@\s]+\.[^@\s]+$";

fn email_variable(m: &mut Module, topic: &Topic, name: &str, email: &str) {
    let condition = call("can", vec![call("regex", vec![EMAIL_PATTERN.into(), var(name)])]);
    m.variables.push(
        Block::builder("variable")
            .add_label(name)
            .add_attribute((
                "description",
                format!("E-mail address subscribed to topic {} (confirm the subscription mail)", topic.name),
            ))
            .add_attribute(("type", keyword("string")))
            .add_attribute(("default", email))
            .add_block(
                Block::builder("validation")
                    .add_attribute(("condition", condition))
                    .add_attribute(("error_message", "Must be an e-mail address."))
                    .build(),
            )
            .build(),
    );
}

pub fn subscription(m: &mut Module, label: &str, topic: &str, protocol: &str, endpoint: Expression) {
    m.resource(
        "aws_sns_topic_subscription",
        label,
        Body::builder()
            .add_attribute(("topic_arn", arn(topic)))
            .add_attribute(("protocol", protocol))
            .add_attribute(("endpoint", endpoint))
            .build(),
        &[],
    );
}

pub fn add_topics(m: &mut Module, p: &Pipeline) {
    for topic in &p.topics {
        let id = pascal(&topic.name);
        m.resource(
            "aws_sns_topic",
            &label(&topic.name),
            Body::builder()
                .add_attribute(("name", topic_name(p, &topic.name)))
                .add_attribute(("kms_master_key_id", "alias/aws/sns"))
                .build(),
            &[],
        );
        for (i, email) in topic.emails.iter().enumerate() {
            let variable = snake(&format!("{id}Email{}", i + 1));
            email_variable(m, topic, &variable, email);
            subscription(m, &snake(&format!("{id}Subscription{}", i + 1)), &topic.name, "email", var(&variable));
        }
        m.output(
            &snake(&format!("{id}TopicArn")),
            &format!("ARN of notification topic {}", topic.name),
            arn(&topic.name),
        );
    }
}
