//! The program Managed Service for Apache Flink runs for a pipeline: `main.py` (from
//! `targets/flink/main.py.j2`), which hands the statements of the generated Flink SQL
//! (`statements.json`, with `pipeline.sql` beside it for people) to one streaming
//! TableEnvironment. The application's zip holds these files and, once `pipec deploy` adds
//! them, the connector jars of [`super::jars`] under `lib/`.

use std::fmt::Write as _;

use minijinja::{Environment, context};
use sha2::{Digest, Sha256};

use super::jars::JARS;
use super::{kinesis_placeholders, script, statements};
use crate::ir::Pipeline;

/// The runtime property group the program reads the streams and region from.
pub const PROPERTY_GROUP: &str = "pipec";
/// The program's file in the zip (the `python` run option).
pub const MAIN: &str = "main.py";

const MAIN_TEMPLATE: &str = include_str!("../../../targets/flink/main.py.j2");

/// The program's files: `main.py`, `statements.json`, `pipeline.sql`.
///
/// # Errors
/// A message when the pipeline is not on the flink engine, a rule has no Flink SQL spelling, or
/// the template fails to render.
pub fn files(p: &Pipeline) -> Result<Vec<(&'static str, String)>, String> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template(MAIN, MAIN_TEMPLATE).map_err(|e| e.to_string())?;
    let main = env
        .get_template(MAIN)
        .and_then(|t| t.render(context! { pipeline_name => p.name.clone(), group => PROPERTY_GROUP }))
        .map_err(|e| format!("rendering {MAIN}: {e}"))?;
    let connector = kinesis_placeholders();
    let list = serde_json::to_string_pretty(&statements(p, &connector)?).map_err(|e| e.to_string())?;
    Ok(vec![(MAIN, main), ("statements.json", list + "\n"), ("pipeline.sql", script(p, &connector)?)])
}

/// The application's zip as `pipec build` writes it (no jars: `pipec deploy` adds them), and
/// its file name, `flink-app-<hash>.zip`. The hash covers the zip and the jars' pins, so the
/// S3 key changes whenever the application's bytes would.
///
/// # Errors
/// As [`files`], or when the zip cannot be written.
pub fn application_zip(p: &Pipeline) -> Result<(String, Vec<u8>), String> {
    let files = files(p)?;
    let zip = crate::target::aws::lambda::zip_files(&files).map_err(|e| format!("zipping the Flink program: {e}"))?;
    let mut digest = Sha256::new();
    digest.update(&zip);
    for jar in JARS {
        digest.update(jar.coordinates().as_bytes());
        digest.update(jar.sha512.unwrap_or("unpinned").as_bytes());
    }
    let hash = digest.finalize().iter().take(6).fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    Ok((format!("{APPLICATION_ZIP_PREFIX}{hash}.zip"), zip))
}

/// How the application zip's file name starts (what `pipec deploy` adds the jars to).
pub const APPLICATION_ZIP_PREFIX: &str = "flink-app-";
