//! `pipec plan`: capacity and monthly cost of a spec for an expected traffic (`--rate`, or the
//! spec's `expected:`), as a table for people or one JSON document. The plan goes to stdout; the
//! diagnostics (an under-provisioned stream, warnings of the spec) to stderr, or inside the JSON.
//! Exit 0 when the stream carries the traffic, 1 when the spec has errors or is under-provisioned
//! (the plan is still printed), 2 for usage errors (no rate, bad value, unknown region).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;

use super::load::{load, report};
use super::{Format, out};
use crate::diagnostic::render;
use crate::estimate::{self, Inputs, Plan, prices, trim};
use crate::spec::units::{ByteSize, Rate, Share};

#[derive(clap::Args)]
pub struct PlanArgs {
    /// The spec file (`-` for stdin).
    spec: PathBuf,
    /// Records written a second, e.g. `2000/s`, `90000/min`, `1.5k/s` (default: `expected.rate`).
    #[arg(long, value_parser = parse_rate)]
    rate: Option<f64>,
    /// Average record size, e.g. `300B`, `4KiB` (default: `expected.record_size`, else 1KiB).
    #[arg(long, value_parser = parse_size)]
    record_size: Option<u64>,
    /// Share of records flagged by a per-record rule, e.g. `1%` (default: `expected.flagged`, else 1%).
    #[arg(long, value_parser = parse_share)]
    flagged: Option<f64>,
    /// The region whose prices to use (a table under `targets/prices/`).
    #[arg(long, default_value = "us-east-1", value_parser = PossibleValuesParser::new(prices::regions()))]
    region: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Apply the overrides of this environment.
    #[arg(long)]
    env: Option<String>,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    Rate::parse(text).map(|r| r.0).map_err(|why| format!("{why}; {}", Rate::HELP))
}

fn parse_size(text: &str) -> Result<u64, String> {
    match ByteSize::parse(text) {
        Some(size) if (1..=1 << 20).contains(&size.0) => Ok(size.0),
        Some(size) => Err(format!("a record of {size} cannot be written: Kinesis takes records of 1B to 1MiB")),
        None => Err(format!(
            "`{text}` is not a size; write a number and a unit, e.g. `300B` or `4KiB` (units: B, KB, MB, KiB, MiB)"
        )),
    }
}

fn parse_share(text: &str) -> Result<f64, String> {
    Share::parse(text).map(|s| s.0)
}

pub(super) fn plan(args: &PlanArgs) -> ExitCode {
    let checked = match load(&args.spec, args.env.as_deref(), Format::Human) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let (false, Some(spec)) = (checked.has_errors(), checked.spec.as_ref()) else {
        report(&checked.source, &checked.diagnostics, Format::Human);
        eprintln!("error: nothing was planned: fix the errors above first");
        return ExitCode::from(1);
    };
    let pipeline = match crate::ir::lower(spec) {
        Ok(pipeline) => pipeline,
        Err(message) => {
            eprintln!("error: internal error while lowering the spec (please report it): {message}");
            return ExitCode::from(2);
        }
    };
    let Some(rate) = args.rate.or(pipeline.expected.rate) else {
        report(&checked.source, &checked.diagnostics, Format::Human);
        eprintln!("error: no rate to plan for: pass `--rate 2000/s` or set `expected: {{ rate: 2000/s }}` in the spec");
        return ExitCode::from(2);
    };
    let inputs = Inputs {
        rate,
        record_bytes: args.record_size.unwrap_or(pipeline.expected.record_bytes),
        flagged: args.flagged.unwrap_or(pipeline.expected.flagged),
        region: args.region.clone(),
    };
    let plan = match estimate::plan(&pipeline, inputs) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut diagnostics = checked.diagnostics.clone();
    diagnostics.extend(estimate::under_provisioned(spec, &plan.capacity, &args.region));
    let refused = diagnostics.iter().any(crate::diagnostic::Diagnostic::is_error);
    match args.format {
        Format::Human => {
            if !diagnostics.is_empty() {
                report(&checked.source, &diagnostics, Format::Human);
            }
            out(&human(&plan));
        }
        Format::Json => out(&format!("{}\n", json(&plan, &render::json(&checked.source, &diagnostics)))),
    }
    if refused { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// The plan and the diagnostics report as one JSON document, numbers to 6 significant digits.
#[must_use]
pub fn json(plan: &Plan, diagnostics: &str) -> String {
    let mut value = serde_json::to_value(plan).unwrap_or_default();
    round(&mut value);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("estimate".into(), serde_json::Value::Bool(true));
        map.insert("diagnostics".into(), serde_json::from_str(diagnostics).unwrap_or_default());
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn round(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64().and_then(|x| format!("{x:.5e}").parse::<f64>().ok()) {
                *value = serde_json::json!(x);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(round),
        serde_json::Value::Object(map) => map.values_mut().for_each(round),
        _ => {}
    }
}

/// The plan as text for a terminal.
#[must_use]
pub fn human(plan: &Plan) -> String {
    let mut text = String::new();
    let inputs = &plan.inputs;
    let c = &plan.capacity;
    let _ = writeln!(text, "Plan for `{}` in {} — an estimate, not a quote", plan.pipeline, inputs.region);
    let _ = writeln!(
        text,
        "traffic: {} records/s of {} bytes, {}% flagged\n",
        trim(inputs.rate),
        inputs.record_bytes,
        trim(inputs.flagged * 100.0)
    );
    let _ = writeln!(text, "Capacity");
    let s = &c.stream;
    let (declared, needed) = match s.declared_shards {
        Some(n) => (format!("{n} shard{} declared", if n == 1 { "" } else { "s" }), "needed"),
        None => ("on demand".to_string(), "shards' worth"),
    };
    let _ = writeln!(
        text,
        "  stream         {declared}, {} {needed} at ≤80% use ({} decides): {} MiB/s written, {} MiB/s read by {} consumer{}{}",
        s.needed_shards,
        s.deciding_limit,
        num(s.write_bytes_per_second / 1_048_576.0),
        num(s.read_bytes_per_second / 1_048_576.0),
        s.consumers,
        if s.consumers == 1 { "" } else { "s" },
        if s.enough { "" } else { "  ← UNDER-PROVISIONED" }
    );
    if s.declared_shards.is_none() && s.write_bytes_per_second > crate::estimate::capacity::ON_DEMAND_START_BYTES {
        let _ = writeln!(
            text,
            "                 note: a new on-demand stream takes 4 MiB/s of writes at first and scales up as traffic grows"
        );
    }
    if s.consumers > crate::estimate::capacity::SHARD_READ_CALLS {
        let _ = writeln!(
            text,
            "                 note: {} consumers poll each shard, more than its {} reads a second: expect read throttling",
            s.consumers,
            crate::estimate::capacity::SHARD_READ_CALLS
        );
    }
    if let Some(f) = &c.flink {
        let _ = writeln!(
            text,
            "  flink          parallelism {} at {} per KPU = {} KPU + {} for orchestration = {} KPU, {} GB running storage",
            f.parallelism, f.parallelism_per_kpu, f.kpus, f.orchestration_kpus, f.billed_kpus, f.running_storage_gb
        );
    }
    if let Some(a) = &c.alerts_stream {
        let _ = writeln!(
            text,
            "  alerts stream  {} shard{}, {} alerts/s of {} bytes{}",
            a.shards,
            if a.shards == 1 { "" } else { "s" },
            num(a.alerts_per_second),
            a.alert_bytes,
            if a.enough { "" } else { "  ← UNDER-PROVISIONED (pipec emits it with a fixed shard count)" }
        );
    }
    for f in &c.functions {
        let concurrency = f.max_concurrency.map(|n| format!(", at most {n} at once")).unwrap_or_default();
        let _ = writeln!(
            text,
            "  function       {}: {} records/s{} → {} invocations/s of {} record(s){concurrency}",
            f.name,
            num(f.records_per_second),
            if f.filtered { " (after the filter)" } else { "" },
            num(f.invocations_per_second),
            num(f.records_per_invocation),
        );
    }
    if let Some(a) = &c.archive {
        let _ = writeln!(
            text,
            "  archive        {} objects/hour (the {} flushes first), {} raw → {} stored each",
            num(a.objects_per_hour),
            if a.flushed_by == "size" { "buffer size" } else { "interval" },
            bytes(a.raw_bytes_per_object),
            bytes(a.object_bytes)
        );
    }
    if let Some(d) = &c.table {
        let _ = writeln!(
            text,
            "  table          {} writes/s of {}-byte items = {} write units/s",
            num(d.writes_per_second),
            d.item_bytes,
            num(d.write_units_per_second)
        );
    }
    let n = &c.notifications;
    let _ = writeln!(
        text,
        "  notifications  {} publishes/s, {} e-mails/s, {} webhook posts/s\n",
        num(n.publishes_per_second),
        num(n.emails_per_second),
        num(n.webhook_posts_per_second)
    );
    let cost = &plan.cost;
    let _ = writeln!(
        text,
        "Monthly cost ({}, prices of targets/prices/{}.json read {})",
        cost.currency, inputs.region, cost.prices_dated
    );
    let _ = writeln!(text, "  {:<21} {:<31} {:>15}  {:<24} {:>11}", "service", "item", "quantity", "price", "a month");
    for l in &cost.lines {
        let price = match l.usd {
            Some(usd) => format!("${}/{}", price(usd), per(l.per, &l.unit)),
            None => "no price".to_string(),
        };
        let amount = l.monthly.map_or_else(|| "unpriced".to_string(), money);
        let _ =
            writeln!(text, "  {:<21} {:<31} {:>15}  {:<24} {:>11}", l.service, l.item, num(l.quantity), price, amount);
    }
    let _ = writeln!(text);
    for s in &cost.services {
        let _ = writeln!(
            text,
            "  {:<21} {:>11}{}",
            s.service,
            money(s.monthly),
            if s.incomplete { " + unpriced lines" } else { "" }
        );
    }
    let _ = writeln!(
        text,
        "  {:<21} {:>11}{}\n",
        "total",
        money(cost.total),
        if cost.incomplete { " + the unpriced lines above (the table has no price for them)" } else { "" }
    );
    let _ = writeln!(text, "Assumptions");
    for a in &plan.assumptions {
        let _ = writeln!(text, "  - {a}");
    }
    let _ = writeln!(text, "Not included");
    for a in &plan.not_included {
        let _ = writeln!(text, "  - {a}");
    }
    text
}

fn money(x: f64) -> String {
    let cents = format!("{x:.2}");
    let (whole, fraction) = cents.split_once('.').unwrap_or((&cents, "00"));
    format!("${}.{fraction}", num(whole.parse().unwrap_or(0.0)))
}

/// `shard-hour` for one unit, `1M` for a million of them (the unit is in the item's name).
fn per(count: f64, unit: &str) -> String {
    let unit = unit.split(" (").next().unwrap_or(unit);
    match count {
        _ if (count - 1.0).abs() < f64::EPSILON => unit.to_string(),
        _ if count >= 1e6 => format!("{}M", trim(count / 1e6)),
        _ if count >= 1e3 => format!("{}K", trim(count / 1e3)),
        _ => trim(count),
    }
}

/// A price as the table writes it (no trailing zeros).
fn price(x: f64) -> String {
    let text = format!("{x:.10}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.contains('.') && text.split('.').nth(1).is_some_and(|d| d.len() == 1) {
        format!("{text}0")
    } else {
        text.to_string()
    }
}

/// A quantity: thousands separated when large, three decimals at most when small.
fn num(x: f64) -> String {
    if x >= 1000.0 { render::group_digits(&format!("{x:.0}")) } else { trim(x) }
}

fn bytes(x: f64) -> String {
    match x {
        _ if x >= 1_073_741_824.0 => format!("{} GiB", trim(x / 1_073_741_824.0)),
        _ if x >= 1_048_576.0 => format!("{} MiB", trim(x / 1_048_576.0)),
        _ if x >= 1024.0 => format!("{} KiB", trim(x / 1024.0)),
        _ => format!("{} B", trim(x)),
    }
}
