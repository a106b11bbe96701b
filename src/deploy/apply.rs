//! `deploy` and `diff`: package, upload, change set, diff; for deploy also confirm, execute,
//! follow and report.

use super::aws::{self, Aws};
use super::changeset::{self, Body, ChangeSet, Kind, Outcome};
use super::error::Error;
use super::package::{self, Package, Policies};
use super::plan::{Action, Change};
use super::stack::StackInfo;
use super::{Connection, Request, assets, events, prompt, render, stack, upload};

pub(crate) async fn deploy(c: &Connection, r: &Request<'_>, yes: bool) -> Result<(), Error> {
    let mut package = package::package(r.pipeline, r.params)?;
    package.add_flink_jars(r.spec, &super::maven::Source::from_env())?;
    if let Some(warning) = render::silent_alarms(r.pipeline) {
        c.report.warning(&warning);
    }
    let aws = aws::connect(c).await?;
    let existing = stack::find(&aws, r.stack, true).await?;
    if let Some(e) = existing.as_ref().and_then(|s| stack::blocks_deploy(r.stack, &s.status)) {
        return Err(e);
    }
    if package.needs_bucket() {
        let bucket = match known_bucket(r, existing.as_ref()) {
            Some(bucket) => bucket,
            None => assets::ensure(&aws, c).await?,
        };
        package.use_bucket(&bucket);
    }
    // A stack in REVIEW_IN_PROGRESS was never created: it takes a CREATE change set.
    let kind = match &existing {
        Some(s) if s.status != "REVIEW_IN_PROGRESS" => Kind::Update,
        _ => Kind::Create,
    };
    if let Some(bucket) = &package.bucket {
        for asset in &package.assets {
            upload::put(&aws, bucket, &asset.key, asset.bytes.clone()).await?;
        }
    }
    let Some(cs) = prepare(&aws, c, r, &package, kind).await? else { return Ok(()) };
    let question = format!("Execute change set {} on stack {}?", cs.name, r.stack);
    let refusal = format!("stack {} was not changed (change set {} deleted)", r.stack, cs.name);
    if let Err(refused) = prompt::confirm(aws.report.as_ref(), &question, yes, &refusal) {
        changeset::discard(&aws, &cs).await?;
        return Err(refused);
    }
    let before = stack::find(&aws, &cs.stack_id, false)
        .await?
        .ok_or_else(|| Error::failed(format!("stack {} disappeared before its change set ran", r.stack)))?;
    let mark = events::newest(&aws, &cs.stack_id).await?;
    if let Err(e) = changeset::execute(&aws, &cs).await {
        let _ = changeset::discard(&aws, &cs).await;
        return Err(e);
    }
    let doing = if kind == Kind::Create { "creation" } else { "update" };
    aws.report.progress(&format!("executing change set {} ({doing} of stack {})", cs.name, r.stack));
    let outcome = events::follow(&aws, &before, mark, doing, c.timeout).await?;
    if matches!(outcome.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE") {
        let after = stack::find(&aws, &cs.stack_id, false).await?;
        aws.report.result(&format!("stack {}: {}\n", r.stack, outcome.status));
        aws.report.result(&render::outputs(after.as_ref().map_or(&[], |s| s.outputs.as_slice())));
        Ok(())
    } else {
        Err(Error::failed(render::failure(r.stack, doing, &outcome)))
    }
}

pub(crate) async fn diff(c: &Connection, r: &Request<'_>) -> Result<(), Error> {
    let mut package = package::package(r.pipeline, r.params)?;
    let aws = aws::connect(c).await?;
    let existing = stack::existing(&aws, r.stack).await?;
    if existing.status == "REVIEW_IN_PROGRESS" {
        return Err(Error::failed(format!(
            "stack {} was never created (REVIEW_IN_PROGRESS): nothing to compare with\nhelp: `pipec deploy` shows \
             what it adds before asking",
            r.stack
        )));
    }
    if let Some(e) = stack::blocks_deploy(r.stack, &existing.status) {
        return Err(e);
    }
    if package.needs_bucket() {
        let bucket = match known_bucket(r, Some(&existing)) {
            Some(bucket) => bucket,
            None => assets::find(&aws).await?.ok_or_else(|| {
                Error::config(format!(
                    "{}, and stack {} names no artifact bucket (no {} parameter) nor is there a pipec assets bucket \
                     in {}\nhelp: pass --artifact-bucket BUCKET, or run `pipec deploy`, which creates one",
                    package.why_bucket(),
                    r.stack,
                    crate::target::aws::cloudformation::ARTIFACT_BUCKET,
                    aws.region
                ))
            })?,
        };
        package.use_bucket(&bucket);
    }
    if let Some(cs) = prepare(&aws, c, r, &package, Kind::Update).await? {
        changeset::discard(&aws, &cs).await?;
        aws.report.progress(&format!("change set {} deleted: nothing was changed", cs.name));
    }
    Ok(())
}

/// The bucket given (`--artifact-bucket`), else the one the stack was last deployed with, so a
/// deploy or diff without flags changes nothing the previous deploy chose.
fn known_bucket(r: &Request<'_>, existing: Option<&StackInfo>) -> Option<String> {
    r.artifact_bucket.map(str::to_string).or_else(|| {
        existing.and_then(|s| s.parameter(crate::target::aws::cloudformation::ARTIFACT_BUCKET)).map(str::to_string)
    })
}

/// Creates the change set and reports its diff. `None` when there are no changes (the change set
/// is then already deleted); a change set that fails is deleted and its reason is the error.
async fn prepare(
    aws: &Aws,
    c: &Connection,
    r: &Request<'_>,
    package: &Package,
    kind: Kind,
) -> Result<Option<ChangeSet>, Error> {
    let old = if kind == Kind::Update { stack::policies(aws, r.stack).await? } else { Policies::default() };
    let body = body(aws, package, &r.pipeline.name).await?;
    let cs = changeset::create(aws, r.stack, kind, package, body, &r.pipeline.name).await?;
    let outcome = match changeset::wait(aws, &cs, c.timeout).await {
        Ok(outcome) => outcome,
        Err(e) => {
            let _ = changeset::discard(aws, &cs).await;
            return Err(e);
        }
    };
    match outcome {
        Outcome::NoChanges => {
            changeset::discard(aws, &cs).await?;
            aws.report.result(&format!("stack {}: no changes\n", r.stack));
            Ok(None)
        }
        Outcome::Failed(reason) => {
            changeset::discard(aws, &cs).await?;
            Err(Error::failed(format!("CloudFormation could not make a change set for stack {}: {reason}", r.stack)))
        }
        Outcome::Ready(mut changes) => {
            retention(&mut changes, &old, &package.policies);
            let what = if kind == Kind::Create { "new stack" } else { "update" };
            aws.report.result(&format!("stack {} ({what}, change set {}):\n", r.stack, cs.name));
            aws.report.result(&render::plan(&changes));
            Ok(Some(cs))
        }
    }
}

/// Marks the changes whose old resource a Retain policy keeps: a removed resource by the
/// current template's `DeletionPolicy`, a replaced one by the new template's `UpdateReplacePolicy`.
fn retention(changes: &mut [Change], old: &Policies, new: &Policies) {
    for c in changes {
        c.retained = match c.action {
            Action::Remove => old.kept_on_delete(&c.logical_id),
            _ => new.kept_on_replace(&c.logical_id),
        };
    }
}

/// The template inline, or uploaded and passed by URL when it is too large.
async fn body<'a>(aws: &Aws, package: &'a Package, pipeline: &str) -> Result<Body<'a>, Error> {
    if !package.too_large() {
        return Ok(Body::Inline(&package.body));
    }
    let bucket = package.bucket.as_deref().ok_or_else(|| Error::config("internal error: no artifact bucket"))?;
    let key = package.template_key(pipeline);
    upload::put(aws, bucket, &key, package.body.clone().into_bytes()).await?;
    Ok(Body::Url(upload::template_url(&aws.region, bucket, &key)))
}
