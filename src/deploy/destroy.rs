//! `destroy`: confirm, delete the stack, follow its events, list what Retain policies kept.

use std::collections::BTreeSet;

use super::error::{self, Error};
use super::stack::Resource;
use super::{Connection, aws, empty, events, prompt, render, stack};

pub(crate) async fn destroy(c: &Connection, name: &str, yes: bool) -> Result<(), Error> {
    let aws = aws::connect(c).await?;
    let before = stack::existing(&aws, name).await?;
    if !stack::is_final(&before.status) && before.status != "REVIEW_IN_PROGRESS" {
        return Err(Error::failed(format!(
            "stack {name} is busy ({}): another operation is running\nhelp: wait for it (`pipec status --stack \
             {name}`) and run the command again",
            before.status
        )));
    }
    let resources = stack::resources(&aws, &before.id).await?;
    let policies = stack::policies(&aws, &before.id).await?;
    let retained: Vec<&Resource> = resources.iter().filter(|r| policies.kept_on_delete(&r.logical_id)).collect();
    aws.report.result(&format!(
        "stack {name} ({}): {} resources to delete, {} kept by their Retain policy\n",
        before.status,
        resources.len() - retained.len(),
        retained.len()
    ));
    for r in &retained {
        aws.report.result(&format!(
            "  keep {} ({}) {}\n",
            r.logical_id,
            r.type_name,
            r.physical_id.as_deref().unwrap_or("")
        ));
    }
    // Buckets deleted with the stack must be empty first; say what goes before asking.
    let mut to_empty = Vec::new();
    for r in resources.iter().filter(|r| r.type_name == "AWS::S3::Bucket" && !policies.kept_on_delete(&r.logical_id)) {
        let Some(bucket) = r.physical_id.as_deref().filter(|b| !b.is_empty()) else { continue };
        if let Some(versions) = empty::versions(&aws, bucket).await?.filter(|v| !v.is_empty()) {
            aws.report.result(&format!(
                "  empty {} ({}) {bucket}: {} object version(s) deleted with it\n",
                r.logical_id,
                r.type_name,
                versions.len()
            ));
            to_empty.push((bucket, versions));
        }
    }
    prompt::confirm(
        aws.report.as_ref(),
        &format!("Delete stack {name}?"),
        yes,
        &format!("stack {name} was not deleted"),
    )?;
    for (bucket, versions) in &to_empty {
        empty::delete(&aws, bucket, versions).await?;
        aws.report.progress(&format!("emptied bucket {bucket} ({} object version(s))", versions.len()));
    }
    let mark = events::newest(&aws, &before.id).await?;
    let what = format!("delete stack {name}");
    aws.cfn.delete_stack().stack_name(&before.id).send().await.map_err(|e| error::sdk(&aws.call(&what), &e))?;
    let outcome = events::follow(&aws, &before, mark, "deletion", c.timeout).await?;
    if outcome.status != "DELETE_COMPLETE" {
        return Err(Error::failed(render::failure(name, "deletion", &outcome)));
    }
    // Retain policies as the template states them, and whatever CloudFormation reports skipping.
    let skipped: BTreeSet<&str> =
        outcome.events.iter().filter(|e| e.status == "DELETE_SKIPPED").map(|e| e.logical_id.as_str()).collect();
    let kept: Vec<&Resource> = resources
        .iter()
        .filter(|r| policies.kept_on_delete(&r.logical_id) || skipped.contains(r.logical_id.as_str()))
        .collect();
    aws.report.result(&format!("stack {name} deleted\n"));
    if !kept.is_empty() {
        aws.report.result("kept by their Retain policy (delete them yourself once their data is no longer needed):\n");
        for r in kept {
            aws.report.result(&format!(
                "  {} ({}) {}\n",
                r.logical_id,
                r.type_name,
                r.physical_id.as_deref().unwrap_or("(no physical id)")
            ));
        }
    }
    Ok(())
}
