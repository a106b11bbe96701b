//! `pipec deploy / diff / destroy / status`: a pipeline's `CloudFormation` template deployed
//! through change sets with the AWS SDK (the default `aws` cargo feature).
//!
//! Contract: nothing changes without a change set shown first and confirmed (a terminal answer
//! or `--yes`); every wait has a timeout and names what it waits for; every failure is an
//! [`Error`] with a message saying what to do and an exit code (1 failed or refused, 2 usage or
//! configuration), never a panic. These commands never print: they report through the
//! [`Report`] held in [`Connection`] — results (diff, outputs, status), progress, warnings and
//! the confirmation question — and the CLI writes them; the wording lives in `render`.

mod alarm_states;
mod apply;
mod archive;
mod assets;
mod aws;
mod changeset;
mod destroy;
mod empty;
mod error;
mod event;
mod events;
mod maven;
mod package;
mod plan;
mod prompt;
mod render;
mod sign;
mod stack;
mod upload;
mod view;
mod wait;

use std::sync::Arc;
use std::time::Duration;

pub use archive::S3Archive;
pub use error::Error;
pub use view::Viewed;

use crate::ir::Pipeline;

/// How to reach AWS; `None` leaves the choice to aws-config's default chain.
pub struct Connection {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// The longest each wait may take.
    pub timeout: Duration,
    /// Where the commands report what they do.
    pub report: Arc<dyn Report>,
}

/// How deploy reports while it works; the front end renders it (the CLI writes results to
/// stdout, progress and warnings to stderr, and asks on the terminal).
pub trait Report: Send + Sync {
    /// A result (a diff, outputs, a status): `text` carries its own line ends.
    fn result(&self, text: &str);
    /// One line of progress (without its line end).
    fn progress(&self, line: &str);
    /// One warning line (without its line end), already worded (`warning: ...`).
    fn warning(&self, line: &str);
    /// Asks `question` (yes or no) of the person at the terminal: `Ok(true)` for yes, or
    /// `Err(why)` when nobody can answer (e.g. stdin is not a terminal).
    ///
    /// # Errors
    /// Why no answer could be had, worded to follow what was not done ("stack X was not
    /// deleted: ...").
    fn confirm(&self, question: &str) -> Result<bool, String>;
}

/// What to deploy (or diff) where.
pub struct Request<'a> {
    pub pipeline: &'a Pipeline,
    /// The spec's path as given (`-` for stdin): a Flink application's connector jars are
    /// pinned in the `pipec.lock` beside it.
    pub spec: &'a std::path::Path,
    pub stack: &'a str,
    /// `--param KEY=VALUE`, in order.
    pub params: &'a [(String, String)],
    pub artifact_bucket: Option<&'a str>,
}

/// Creates or updates the stack: change set, diff, confirmation (or `yes`), execution, events,
/// outputs. No changes: says so, exit 0.
pub fn deploy(c: &Connection, r: &Request<'_>, yes: bool) -> Result<(), Error> {
    block_on(apply::deploy(c, r, yes))
}

/// The diff `deploy` would show, through a change set that is deleted again.
pub fn diff(c: &Connection, r: &Request<'_>) -> Result<(), Error> {
    block_on(apply::diff(c, r))
}

/// Deletes the stack after confirmation and reports what its Retain policies kept.
pub fn destroy(c: &Connection, stack: &str, yes: bool) -> Result<(), Error> {
    block_on(destroy::destroy(c, stack, yes))
}

/// Reports the stack's status, outputs and the states of its alarms.
pub fn status(c: &Connection, stack: &str) -> Result<(), Error> {
    block_on(async {
        let aws = aws::connect(c).await?;
        let info = stack::existing(&aws, stack).await?;
        aws.report.result(&render::status(&info));
        let alarms = stack::alarm_names(&stack::template(&aws, &info.id).await?);
        if !alarms.is_empty() {
            match alarm_states::states(&aws, &alarms).await {
                Ok(states) => aws.report.result(&render::alarms(&states, alarms.len())),
                Err(e) => aws.report.warning(&format!(
                    "warning: the stack has {} alarm(s) but their states are unknown: {e}",
                    alarms.len()
                )),
            }
        }
        Ok(())
    })
}

/// Serves the viewer through a local signing proxy until Ctrl-C; `port` 0 picks a free one.
pub fn view(c: &Connection, viewed: &Viewed<'_>, port: u16, open: bool) -> Result<(), Error> {
    block_on(view::view(c, viewed, port, open))
}

/// `pipec lock`: pins the connector jars of a pipeline on `hot.engine: flink` in the
/// `pipec.lock` beside `spec` (downloaded, checked against the Maven repository's published
/// checksum, cached) and returns the file written and its lock.
///
/// # Errors
/// The pipeline has no Flink application, a jar cannot be downloaded or does not match its
/// published checksum or its existing pin, or the file cannot be written.
pub fn lock(
    pipeline: &Pipeline,
    spec: &std::path::Path,
) -> Result<(std::path::PathBuf, crate::target::flink::lock::Lock), Error> {
    use crate::target::flink::{jars::JARS, lock};
    if !matches!(pipeline.engine, crate::ir::Engine::Flink(_)) {
        return Err(Error::config(format!(
            "pipeline `{}` does not run on `hot.engine: flink`: it has no connector jars to pin",
            pipeline.name
        )));
    }
    let path = lock::path_for(spec);
    let existing = lock::Lock::read(&path).map_err(Error::config)?;
    let new = maven::lock(JARS, &maven::Source::from_env(), existing.as_ref(), &path)?;
    crate::target::write_file(&path, new.render().as_bytes())
        .map_err(|e| Error::failed(format!("could not write {}: {e}", path.display())))?;
    Ok((path, new))
}

/// The template of the pipec-managed assets stack. Test-only (feature `testing`): the suite
/// lints it.
#[cfg(feature = "testing")]
#[must_use]
pub fn assets_template() -> serde_json::Value {
    assets::template()
}

fn block_on(work: impl Future<Output = Result<(), Error>>) -> Result<(), Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::config(format!("cannot start the async runtime: {e}")))?
        .block_on(work)
}
