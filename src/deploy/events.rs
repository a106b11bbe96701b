//! Following a stack operation through its events until the stack reaches a final status.

use std::time::Duration;

use super::aws::Aws;
use super::error::{self, Error};
use super::event::{Event, Outcome};
use super::render;
use super::stack::{self, StackInfo};
use super::wait::Wait;

/// The id of the stack's newest event: following starts after it.
pub(crate) async fn newest(aws: &Aws, stack_id: &str) -> Result<Option<String>, Error> {
    let what = format!("read the events of stack {stack_id}");
    let out = aws.cfn.describe_stack_events().stack_name(stack_id).send().await;
    match out {
        Ok(out) => Ok(out.stack_events().first().and_then(|e| e.event_id()).map(str::to_string)),
        Err(e) if error::is_missing_stack(&e) => Ok(None),
        Err(e) => Err(error::sdk(&aws.call(&what), &e)),
    }
}

/// Events newer than `mark`, oldest first.
async fn since(aws: &Aws, stack_id: &str, mark: Option<&str>) -> Result<Vec<Event>, Error> {
    let what = format!("read the events of stack {stack_id}");
    let mut pages = aws.cfn.describe_stack_events().stack_name(stack_id).into_paginator().send();
    let mut events = Vec::new();
    'pages: while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(e) if error::is_missing_stack(&e) => break,
            Err(e) => return Err(error::sdk(&aws.call(&what), &e)),
        };
        for e in page.stack_events() {
            let id = e.event_id().unwrap_or_default();
            if Some(id) == mark {
                break 'pages;
            }
            events.push(Event {
                id: id.to_string(),
                time: stack::time(e.timestamp()).unwrap_or_default(),
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: e.resource_type().unwrap_or_default().to_string(),
                status: e.resource_status().map_or("", |s| s.as_str()).to_string(),
                reason: e.resource_status_reason().map(str::to_string),
            });
        }
    }
    events.reverse();
    Ok(events)
}

/// Reports the events of the operation that `before` (the stack as it was) started, until the
/// stack's status is final; `doing` names the operation ("create", "update", "delete").
pub(crate) async fn follow(
    aws: &Aws,
    before: &StackInfo,
    mut mark: Option<String>,
    doing: &str,
    timeout: Duration,
) -> Result<Outcome, Error> {
    let mut wait = Wait::start(&aws.report, format!("stack {} to finish its {doing}", before.name), timeout);
    let mut seen: Vec<Event> = Vec::new();
    let mut done_resources = 0usize;
    loop {
        let fresh = since(aws, &before.id, mark.as_deref()).await?;
        if let Some(last) = fresh.last() {
            mark = Some(last.id.clone());
            wait.heard();
        }
        for e in &fresh {
            aws.report.progress(&render::event(e));
            done_resources += usize::from(!e.is_stack() && e.status.ends_with("_COMPLETE"));
        }
        seen.extend(fresh);
        let now = stack::find(aws, &before.id, false).await?;
        let (status, reason) = now.map_or_else(|| ("DELETE_COMPLETE".to_string(), None), |s| (s.status, s.reason));
        let ended_here = seen.iter().any(|e| e.is_stack() && e.status == status);
        if stack::is_final(&status) && (status != before.status || ended_here) {
            for e in since(aws, &before.id, mark.as_deref()).await? {
                aws.report.progress(&render::event(&e));
                seen.push(e);
            }
            aws.report.progress(&format!(
                "stack {} is {status} after {}",
                before.name,
                render::duration(wait.elapsed())
            ));
            return Ok(Outcome { status, reason, events: seen });
        }
        wait.tick(&format!("{status}, {done_resources} resources done")).await?;
    }
}
