//! `pipec plan`'s core: the capacity a lowered pipeline needs for an expected traffic, what a
//! month of it costs from the dated price tables under `targets/prices/`, and a diagnostic when
//! the spec's stream is too small. Data only: the CLI renders it. It reads the settings the AWS
//! targets emit (batch size, memory, billing modes) from `target::aws`, so the plan describes
//! what `pipec build` deploys.
//!
//! Everything here is an estimate: the assumptions are listed in [`Plan::assumptions`] and what
//! is left out in [`Plan::not_included`].

pub mod capacity;
pub mod cost;
mod diagnose;
pub mod prices;

use serde::Serialize;

pub use capacity::Capacity;
pub use cost::Cost;
pub use diagnose::under_provisioned;

use crate::ir::Pipeline;

/// The traffic to plan for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inputs {
    /// Records written a second.
    pub rate: f64,
    /// Average record size in bytes.
    pub record_bytes: u64,
    /// Share of records some per-record rule flags, 0 to 1.
    pub flagged: f64,
    pub region: String,
}

/// A plan: the inputs, the capacity they need, and what a month costs.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub pipeline: String,
    pub inputs: Inputs,
    pub capacity: Capacity,
    pub cost: Cost,
    pub assumptions: Vec<String>,
    pub not_included: Vec<&'static str>,
}

/// Plans `p` for `inputs`.
///
/// # Errors
/// The region has no price table, or its table does not validate.
pub fn plan(p: &Pipeline, inputs: Inputs) -> Result<Plan, String> {
    let prices = prices::load(&inputs.region)?;
    let capacity = capacity::capacity(p, &inputs);
    let cost = cost::cost(&capacity, &inputs, &prices);
    let mut assumptions = assumptions(&inputs);
    let mut not_included = NOT_INCLUDED.to_vec();
    if let Some(f) = &capacity.flink {
        assumptions.extend(flink_assumptions(f));
        not_included.push(FLINK_NOT_INCLUDED);
    }
    Ok(Plan { pipeline: p.name.clone(), assumptions, inputs, capacity, cost, not_included })
}

/// What a flink pipeline's plan adds to [`assumptions`].
fn flink_assumptions(f: &capacity::FlinkApplication) -> Vec<String> {
    use crate::target::aws::flink::{ALERTS_SHARDS, RUNTIME};
    vec![
        format!(
            "the Flink application ({RUNTIME}) runs all month with parallelism {} (one task per shard; 4 on demand), {} per KPU, autoscaling off (as the targets emit it), plus {} KPU for orchestration",
            f.parallelism, f.parallelism_per_kpu, f.orchestration_kpus
        ),
        format!(
            "each KPU comes with {} GB of running application storage, billed in full",
            capacity::STORAGE_GB_PER_KPU
        ),
        format!(
            "the alerts stream has {ALERTS_SHARDS} provisioned shard; an alert is the record plus {} bytes, one per record a per-record rule flags",
            capacity::ALERT_OVERHEAD_BYTES
        ),
    ]
}

/// What a flink pipeline's plan leaves out, besides [`NOT_INCLUDED`].
const FLINK_NOT_INCLUDED: &str =
    "the Flink application's durable backups (snapshots; their size depends on the windows' state)";

fn assumptions(inputs: &Inputs) -> Vec<String> {
    use crate::target::aws::function::{BATCH_SIZE, BATCHING_WINDOW_SECONDS, MEMORY_MB, PARALLELIZATION_FACTOR};
    use capacity::{ENRICHMENT_BYTES, GZIP_RATIO, INVOCATION_SECONDS, ITEM_OVERHEAD_BYTES, TARGET_USE};
    vec![
        format!(
            "traffic is steady at {} records/s of {} bytes, {}% of them flagged by a per-record rule",
            trim(inputs.rate),
            inputs.record_bytes,
            trim(inputs.flagged * 100.0)
        ),
        format!(
            "shards are sized to use at most {:.0}% of each Kinesis limit per shard (1 MiB/s and 1,000 records/s written, 2 MiB/s read by all consumers together)",
            TARGET_USE * 100.0
        ),
        "an on-demand stream is counted as the shards it would need".to_string(),
        format!(
            "functions: arm64, {MEMORY_MB} MB, {:.0} ms an invocation; stream mappings batch {BATCH_SIZE} records or {BATCHING_WINDOW_SECONDS} s, parallelization factor {PARALLELIZATION_FACTOR} (as the targets emit them)",
            INVOCATION_SECONDS * 1000.0
        ),
        "each flagged record is published once to every topic its per-record rules notify; windowed rules' alerts are not counted".to_string(),
        format!("GZIP makes the archive {:.0}% of the raw size", GZIP_RATIO * 100.0),
        format!(
            "a stored item is the record plus {ITEM_OVERHEAD_BYTES} bytes of pipec's attributes and {ENRICHMENT_BYTES} bytes per enrichment; the table is on-demand (PAY_PER_REQUEST, as the targets emit it)"
        ),
        format!("a month is {} hours; storage is one month of data (it grows by as much every month)", cost::HOURS_PER_MONTH),
    ]
}

/// What the estimate leaves out.
const NOT_INCLUDED: &[&str] = &[
    "the AWS Free Tier and any discount (Savings Plans, reserved capacity)",
    "data transfer out of AWS and between regions",
    "CloudWatch (alarms, dashboard, logs, X-Ray traces)",
    "KMS requests, the SQS failed-batch and dead-letter queues",
    "Kinesis retention beyond 24 hours and enhanced fan-out",
    "the viewer (its invocations depend on page views) and DynamoDB reads",
    "DynamoDB point-in-time recovery and S3 storage of earlier months",
    "taxes",
];

/// `2000` for 2000.0, `33.333` for 33.3333…
#[must_use]
pub fn trim(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
