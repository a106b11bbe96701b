//! The Managed Service for Apache Flink side of a pipeline on `hot.engine: flink`, independent
//! of the target: the application (runtime, parallelism, checkpoints, logging, run options and
//! runtime properties), the alerts stream it writes and the names of both. The seed's shape:
//! the analytics application decides, and one function reads its alerts and enriches, stores
//! and notifies them ([`super::function::Function::Alerts`]). Its role's statements are
//! [`super::permissions::flink_application`].

use crate::ir::{Capacity, Engine, Pipeline};
use crate::target::flink::jars::JARS;
use crate::target::flink::program::{MAIN, PROPERTY_GROUP};

/// The runtime of new applications (MSF runs FLINK-1_20 and FLINK-2_2).
pub const RUNTIME: &str = "FLINK-2_2";
/// Checkpoints: every minute, at least 5 s apart (MSF's defaults, written out).
pub const CHECKPOINT_INTERVAL_MS: u32 = 60_000;
pub const MIN_PAUSE_BETWEEN_CHECKPOINTS_MS: u32 = 5_000;
/// Shards of the alerts stream: alerts are few next to the records they are decided from.
pub const ALERTS_SHARDS: u32 = 1;
/// Hours the alerts stream keeps an alert the alerts function has not read yet.
pub const ALERTS_RETENTION_HOURS: u32 = 24;
/// The log stream of the application's log group.
pub const LOG_STREAM: &str = "application";
/// The property group of the run options (`python`, `jarfile`).
pub const RUN_OPTIONS: &str = "kinesis.analytics.flink.run.options";

/// Whether the pipeline runs its rules on Managed Service for Apache Flink.
#[must_use]
pub fn on_flink(p: &Pipeline) -> bool {
    matches!(p.engine, Engine::Flink(_))
}

/// `<pipeline>-flink`.
#[must_use]
pub fn application_name(p: &Pipeline) -> String {
    format!("{}-flink", p.name)
}

/// `<pipeline>-alerts`: the stream the application writes one JSON alert per record to.
#[must_use]
pub fn alerts_stream_name(p: &Pipeline) -> String {
    format!("{}-alerts", p.name)
}

/// The application's log group (the name MSF's console links to).
#[must_use]
pub fn log_group_name(p: &Pipeline) -> String {
    format!("/aws/kinesis-analytics/{}", application_name(p))
}

/// Parallel tasks: one per shard of the source stream (a shard is read by one task); an
/// on-demand stream starts with the write capacity of 4 shards.
#[must_use]
pub fn parallelism(p: &Pipeline) -> u32 {
    match p.stream.kinesis().capacity {
        Capacity::Shards(n) => n,
        Capacity::OnDemand => 4,
    }
}

/// The run options: the program and the connector jar.
#[must_use]
pub fn run_options() -> Vec<(&'static str, String)> {
    let mut options = vec![("python", MAIN.to_owned())];
    if let Some(jar) = JARS.first() {
        options.push(("jarfile", jar.zip_path()));
    }
    options
}

/// What the program reads from its runtime properties, by key (see `targets/flink/main.py.j2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    InputStreamArn,
    OutputStreamArn,
    Region,
}

/// The program's runtime properties, in order (property group [`PROPERTY_GROUP`]).
pub const PROPERTIES: [(&str, Property); 3] = [
    ("aws.region", Property::Region),
    ("input.stream.arn", Property::InputStreamArn),
    ("output.stream.arn", Property::OutputStreamArn),
];

/// The runtime property group's id.
pub const PROPERTY_GROUP_ID: &str = PROPERTY_GROUP;
