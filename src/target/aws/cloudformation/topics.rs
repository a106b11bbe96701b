//! Notification topics (SNS, KMS-encrypted) and their e-mail subscriptions. E-mail addresses
//! are template Parameters, defaulting to the spec's values, so a deployer can change them.
//! Webhooks are served by the fanout function (see `functions`), which posts plain JSON.

use serde_json::json;

use super::template::{Template, r#ref};
use crate::ir::Pipeline;
use crate::target::aws::names::{pascal, topic as topic_name};

/// Logical id of a topic.
#[must_use]
pub fn topic_id(name: &str) -> String {
    format!("{}Topic", pascal(name))
}

pub fn topics(t: &mut Template, p: &Pipeline) {
    for topic in &p.topics {
        let id = topic_id(&topic.name);
        t.add(
            &id,
            "AWS::SNS::Topic",
            json!({ "TopicName": topic_name(p, &topic.name), "KmsMasterKeyId": "alias/aws/sns" }),
        );
        for (i, email) in topic.emails.iter().enumerate() {
            let param = format!("{}Email{}", pascal(&topic.name), i + 1);
            t.parameters.insert(
                param.clone(),
                json!({
                    "Type": "String",
                    "Description": format!("E-mail address subscribed to topic {} (confirm the subscription mail)", topic.name),
                    "Default": email,
                    "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
                    "ConstraintDescription": "an e-mail address"
                }),
            );
            t.add(
                &format!("{}Subscription{}", pascal(&topic.name), i + 1),
                "AWS::SNS::Subscription",
                json!({ "TopicArn": r#ref(&id), "Protocol": "email", "Endpoint": r#ref(&param) }),
            );
        }
        t.output(
            &format!("{}TopicArn", pascal(&topic.name)),
            &format!("ARN of notification topic {}", topic.name),
            r#ref(&id),
        );
    }
}
