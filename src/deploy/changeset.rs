//! Change sets: create one from a package, wait until `CloudFormation` has computed it, read its
//! changes as a [`plan`](super::plan), execute or delete it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::types::{
    Capability, ChangeAction, ChangeSetType, Parameter, Replacement as SdkReplacement, ResourceAttribute, Tag,
};

use super::aws::Aws;
use super::error::{self, Error};
use super::package::Package;
use super::plan::{Action, Change, Replacement};
use super::wait::Wait;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Create,
    Update,
}

pub(crate) struct ChangeSet {
    /// The change set's ARN.
    pub id: String,
    pub name: String,
    pub stack_id: String,
    pub kind: Kind,
}

/// Where the template comes from.
pub(crate) enum Body<'a> {
    Inline(&'a str),
    Url(String),
}

pub(crate) enum Outcome {
    Ready(Vec<Change>),
    NoChanges,
    Failed(String),
}

pub(crate) async fn create(
    aws: &Aws,
    stack: &str,
    kind: Kind,
    package: &Package,
    body: Body<'_>,
    pipeline: &str,
) -> Result<ChangeSet, Error> {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let name = format!("pipec-{millis}");
    let mut request = aws
        .cfn
        .create_change_set()
        .stack_name(stack)
        .change_set_name(&name)
        .change_set_type(if kind == Kind::Create { ChangeSetType::Create } else { ChangeSetType::Update })
        .description(format!("pipec {} deploy of pipeline {pipeline}", env!("CARGO_PKG_VERSION")))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .tags(Tag::builder().key("pipec:pipeline").value(pipeline).build());
    request = match body {
        Body::Inline(text) => request.template_body(text),
        Body::Url(url) => request.template_url(url),
    };
    for (key, value) in &package.parameters {
        request = request.parameters(Parameter::builder().parameter_key(key).parameter_value(value).build());
    }
    let what = format!("create a change set for stack {stack}");
    let out = request.send().await.map_err(|e| error::sdk(&aws.call(&what), &e))?;
    Ok(ChangeSet {
        id: out.id().unwrap_or(&name).to_string(),
        stack_id: out.stack_id().unwrap_or(stack).to_string(),
        name,
        kind,
    })
}

/// Waits until the change set is computed; reads every page of its changes.
pub(crate) async fn wait(aws: &Aws, cs: &ChangeSet, timeout: Duration) -> Result<Outcome, Error> {
    let mut wait = Wait::start(&aws.report, format!("change set {} to be computed", cs.name), timeout);
    let what = format!("describe change set {}", cs.name);
    loop {
        let mut changes = Vec::new();
        let mut token: Option<String> = None;
        let status = loop {
            let out = aws
                .cfn
                .describe_change_set()
                .change_set_name(&cs.id)
                .stack_name(&cs.stack_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| error::sdk(&aws.call(&what), &e))?;
            let status = out.status().map_or("", |s| s.as_str()).to_string();
            match status.as_str() {
                "CREATE_COMPLETE" => {
                    changes.extend(out.changes().iter().filter_map(|c| c.resource_change()).map(convert));
                    token = out.next_token().map(str::to_string);
                    if token.is_none() {
                        break status;
                    }
                }
                "FAILED" => {
                    let reason = out.status_reason().unwrap_or("no reason given").to_string();
                    return Ok(if no_changes(&reason) { Outcome::NoChanges } else { Outcome::Failed(reason) });
                }
                _ => break status,
            }
        };
        if status == "CREATE_COMPLETE" {
            return Ok(Outcome::Ready(changes));
        }
        wait.tick(&status).await?;
    }
}

/// `CloudFormation`'s and moto's ways of saying an update would change nothing.
fn no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// A resource change as plain data (`retained` is set by the caller, who has the templates).
fn convert(r: &aws_sdk_cloudformation::types::ResourceChange) -> Change {
    let action = match r.action() {
        Some(ChangeAction::Add) => Action::Add,
        Some(ChangeAction::Modify) => Action::Modify,
        Some(ChangeAction::Remove) => Action::Remove,
        Some(ChangeAction::Import) => Action::Import,
        Some(ChangeAction::Dynamic) => Action::Dynamic,
        _ => Action::Other,
    };
    let replacement = match r.replacement() {
        Some(SdkReplacement::True) => Replacement::Yes,
        Some(SdkReplacement::Conditional) => Replacement::Conditional,
        _ => Replacement::No,
    };
    let mut properties: Vec<String> = Vec::new();
    for target in r.details().iter().filter_map(|d| d.target()) {
        let name = match (target.attribute(), target.name()) {
            (Some(ResourceAttribute::Properties) | None, Some(name)) => name.to_string(),
            (Some(attribute), _) => attribute.as_str().to_string(),
            (None, None) => continue,
        };
        if !properties.contains(&name) {
            properties.push(name);
        }
    }
    Change {
        action,
        logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: r.resource_type().unwrap_or_default().to_string(),
        replacement,
        properties,
        retained: false,
    }
}

pub(crate) async fn execute(aws: &Aws, cs: &ChangeSet) -> Result<(), Error> {
    let what = format!("execute change set {}", cs.name);
    aws.cfn
        .execute_change_set()
        .change_set_name(&cs.id)
        .stack_name(&cs.stack_id)
        .send()
        .await
        .map_err(|e| error::sdk(&aws.call(&what), &e))?;
    Ok(())
}

/// Deletes the change set; for a CREATE change set also the empty stack (`REVIEW_IN_PROGRESS`)
/// that `CloudFormation` made to hold it, so nothing is left behind.
pub(crate) async fn discard(aws: &Aws, cs: &ChangeSet) -> Result<(), Error> {
    let what = format!("delete change set {}", cs.name);
    aws.cfn
        .delete_change_set()
        .change_set_name(&cs.id)
        .stack_name(&cs.stack_id)
        .send()
        .await
        .map_err(|e| error::sdk(&aws.call(&what), &e))?;
    if cs.kind == Kind::Create {
        let what = format!("delete the empty stack {} made for the change set", cs.stack_id);
        aws.cfn.delete_stack().stack_name(&cs.stack_id).send().await.map_err(|e| error::sdk(&aws.call(&what), &e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_no_change_reasons() {
        assert!(no_changes(
            "The submitted information didn't contain changes. Submit different information to create a change set."
        ));
        assert!(no_changes("No updates are to be performed."));
        assert!(!no_changes("Template format error: unsupported structure"));
    }
}
