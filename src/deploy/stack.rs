//! A stack as pipec sees it: status, outputs, resources and the Retain policies of its current
//! template; which statuses are final; which ones block a deploy.

use aws_sdk_cloudformation::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudformation::types::TemplateStage;

use super::aws::Aws;
use super::error::{self, Error};
use super::package::Policies;

#[derive(Clone, Debug)]
pub(crate) struct Output {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug)]
pub(crate) struct StackInfo {
    /// The stack ARN: it keeps working after the stack is deleted.
    pub id: String,
    pub name: String,
    pub status: String,
    pub reason: Option<String>,
    pub description: Option<String>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub outputs: Vec<Output>,
    /// Parameter values (key, value) as the stack was last deployed.
    pub parameters: Vec<(String, String)>,
}

impl StackInfo {
    /// The value of parameter `key`, when the stack has one.
    pub(crate) fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

/// A resource of a stack, for destroy's report.
pub(crate) struct Resource {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub type_name: String,
}

pub(crate) fn time(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

/// The stack named (or with the ARN) `name`, or `None` when there is none. `probe` uses the
/// small retry budget: the first call of a command finds an unreachable endpoint quickly.
pub(crate) async fn find(aws: &Aws, name: &str, probe: bool) -> Result<Option<StackInfo>, Error> {
    let what = format!("describe stack {name}");
    let mut request = aws.cfn.describe_stacks().stack_name(name).customize();
    if probe {
        request = request.config_override(Aws::probe_config());
    }
    let call = if probe { aws.probe_call(&what) } else { aws.call(&what) };
    let out = match request.send().await {
        Ok(out) => out,
        Err(e) if error::is_missing_stack(&e) => return Ok(None),
        Err(e) => return Err(error::sdk(&call, &e)),
    };
    let Some(s) = out.stacks().first() else { return Ok(None) };
    let status = s.stack_status().map_or("UNKNOWN", |s| s.as_str()).to_string();
    if status == "DELETE_COMPLETE" && !name.starts_with("arn:") {
        return Ok(None);
    }
    Ok(Some(StackInfo {
        id: s.stack_id().unwrap_or(name).to_string(),
        name: s.stack_name().unwrap_or(name).to_string(),
        status,
        reason: s.stack_status_reason().map(str::to_string),
        description: s.description().map(str::to_string),
        created: time(s.creation_time()),
        updated: time(s.last_updated_time()),
        outputs: s
            .outputs()
            .iter()
            .map(|o| Output {
                key: o.output_key().unwrap_or_default().to_string(),
                value: o.output_value().unwrap_or_default().to_string(),
            })
            .collect(),
        parameters: s
            .parameters()
            .iter()
            .map(|p| {
                (p.parameter_key().unwrap_or_default().to_string(), p.parameter_value().unwrap_or_default().to_string())
            })
            .collect(),
    }))
}

/// The stack, or an error saying it does not exist (for diff, destroy and status).
pub(crate) async fn existing(aws: &Aws, name: &str) -> Result<StackInfo, Error> {
    find(aws, name, true)
        .await?
        .ok_or_else(|| Error::failed(format!("stack {name} does not exist in {} (at {})", aws.region, aws.endpoint)))
}

/// Every resource of the stack.
pub(crate) async fn resources(aws: &Aws, stack: &str) -> Result<Vec<Resource>, Error> {
    let what = format!("list the resources of stack {stack}");
    let mut pages = aws.cfn.list_stack_resources().stack_name(stack).into_paginator().send();
    let mut list = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| error::sdk(&aws.call(&what), &e))?;
        for r in page.stack_resource_summaries() {
            list.push(Resource {
                logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                physical_id: r.physical_resource_id().map(str::to_string),
                type_name: r.resource_type().unwrap_or_default().to_string(),
            });
        }
    }
    Ok(list)
}

/// The stack's current template (`Null` when it cannot be read as JSON: a stack deployed by
/// another tool may use YAML).
pub(crate) async fn template(aws: &Aws, stack: &str) -> Result<serde_json::Value, Error> {
    let what = format!("get the template of stack {stack}");
    let out = aws
        .cfn
        .get_template()
        .stack_name(stack)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| error::sdk(&aws.call(&what), &e))?;
    Ok(out.template_body().and_then(|b| serde_json::from_str(b).ok()).unwrap_or_default())
}

/// Retain policies of the stack's current template.
pub(crate) async fn policies(aws: &Aws, stack: &str) -> Result<Policies, Error> {
    Ok(Policies::of(&template(aws, stack).await?))
}

/// The names of the alarms the stack's template defines (pipec writes them as literals).
pub(crate) fn alarm_names(template: &serde_json::Value) -> Vec<String> {
    template
        .get("Resources")
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, r)| r.get("Type").and_then(serde_json::Value::as_str) == Some("AWS::CloudWatch::Alarm"))
        .filter_map(|(_, r)| r.pointer("/Properties/AlarmName").and_then(serde_json::Value::as_str))
        .map(str::to_string)
        .collect()
}

/// No operation is running (every status but `*_IN_PROGRESS`).
pub(crate) fn is_final(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// Why a deploy cannot go ahead on a stack in this status, if it cannot.
pub(crate) fn blocks_deploy(name: &str, status: &str) -> Option<Error> {
    match status {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => Some(Error::failed(format!(
            "stack {name} is in {status}: its creation failed and CloudFormation cannot update it\nhelp: delete it \
             first with `pipec destroy --stack {name}`, then deploy again"
        ))),
        "UPDATE_ROLLBACK_FAILED" => Some(Error::failed(format!(
            "stack {name} is in UPDATE_ROLLBACK_FAILED: a rollback could not finish\nhelp: fix the cause shown by \
             the stack events, then continue the rollback (`aws cloudformation continue-update-rollback \
             --stack-name {name}`)"
        ))),
        "DELETE_FAILED" => Some(Error::failed(format!(
            "stack {name} is in DELETE_FAILED: a deletion did not finish\nhelp: run `pipec destroy --stack {name}` \
             again"
        ))),
        "REVIEW_IN_PROGRESS" => None,
        s if !is_final(s) => Some(Error::failed(format!(
            "stack {name} is busy ({status}): another operation is running\nhelp: wait for it (`pipec status \
             --stack {name}`) and run the command again"
        ))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_names_come_from_the_template() {
        let t = serde_json::json!({ "Resources": {
            "A": { "Type": "AWS::CloudWatch::Alarm", "Properties": { "AlarmName": "p-hot-errors" } },
            "B": { "Type": "AWS::CloudWatch::Alarm", "Properties": { "AlarmName": { "Fn::Sub": "x" } } },
            "Q": { "Type": "AWS::SQS::Queue" }
        } });
        assert_eq!(alarm_names(&t), ["p-hot-errors"]);
        assert!(alarm_names(&serde_json::Value::Null).is_empty());
    }

    #[test]
    fn rollback_complete_must_be_destroyed_first() {
        let e = blocks_deploy("s", "ROLLBACK_COMPLETE").unwrap();
        assert!(e.to_string().contains("pipec destroy --stack s"), "{e}");
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn busy_and_ready_states() {
        assert!(blocks_deploy("s", "UPDATE_IN_PROGRESS").is_some());
        assert!(blocks_deploy("s", "REVIEW_IN_PROGRESS").is_none());
        assert!(blocks_deploy("s", "UPDATE_ROLLBACK_COMPLETE").is_none());
        assert!(blocks_deploy("s", "CREATE_COMPLETE").is_none());
        assert!(is_final("UPDATE_ROLLBACK_COMPLETE") && !is_final("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
    }
}
