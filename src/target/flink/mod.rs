//! The `flink` target: the Flink SQL script of a pipeline on `hot.engine: flink`
//! ([`script`]), reading and writing Kinesis data streams whose ARNs and region the Managed
//! Service for Apache Flink application fills in from its runtime properties. The program that
//! runs the script on the application ([`program`]) and the connector jars it needs ([`jars`])
//! are packaged by the AWS targets.

pub mod jars;
pub mod lock;
pub mod program;
pub mod script;

use super::{Artifact, Backend, Options};
use crate::ir::{Engine, Pipeline};

pub use script::{Connector, script, statements};

/// The flink target (`--target flink`).
pub struct Flink;

/// The placeholders of the Kinesis connector, filled in by the application at start-up.
#[must_use]
pub fn kinesis_placeholders() -> Connector {
    Connector::Kinesis {
        region: "${aws.region}".into(),
        input_arn: "${input.stream.arn}".into(),
        output_arn: "${output.stream.arn}".into(),
    }
}

impl Backend for Flink {
    fn name(&self) -> &'static str {
        "flink"
    }

    fn about(&self) -> &'static str {
        "The Flink SQL script of a pipeline on `hot.engine: flink` (Kinesis in, alerts out)"
    }

    fn emit(&self, pipeline: &Pipeline, _: Options) -> Result<Vec<Artifact>, String> {
        if pipeline.engine == Engine::Lambda {
            return Err("the flink target needs `hot.engine: flink` in the spec".to_owned());
        }
        let sql = script(pipeline, &kinesis_placeholders())?;
        Ok(vec![Artifact { path: "pipeline.sql".into(), bytes: sql.into_bytes(), role: "Flink SQL job" }])
    }
}
