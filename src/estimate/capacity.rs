//! Capacity: what the expected traffic asks of each service the AWS targets emit, from the
//! lowered pipeline and AWS's documented limits. Each figure is plain arithmetic on the inputs;
//! the assumptions it rests on are constants here and are printed with every plan.

// Sizes are at most 1 MiB and counts small: every cast to f64 here is exact.
#![allow(clippy::cast_precision_loss)]

use serde::Serialize;

use super::Inputs;
use crate::ir::{Capacity as StreamMode, Pipeline};
use crate::target::aws::filters::record_filters;
use crate::target::aws::flink::{ALERTS_SHARDS, on_flink, parallelism};
use crate::target::aws::function::{BATCH_SIZE, BATCHING_WINDOW_SECONDS, MEMORY_MB, PARALLELIZATION_FACTOR, notified};

/// Kinesis: writes per shard, bytes (1 MiB) and records, and reads per shard (2 MiB), shared by
/// every consumer that reads with GetRecords (AWS: Kinesis Data Streams quotas and limits).
pub const SHARD_WRITE_BYTES: f64 = 1_048_576.0;
pub const SHARD_WRITE_RECORDS: f64 = 1_000.0;
pub const SHARD_READ_BYTES: f64 = 2_097_152.0;
/// GetRecords calls per second per shard, shared by every consumer.
pub const SHARD_READ_CALLS: u32 = 5;
/// The plan sizes shards to use at most this share of each limit (20% headroom for bursts).
pub const TARGET_USE: f64 = 0.8;
/// An on-demand stream's write throughput when created, and the most it scales to (AWS:
/// 4 MB/s at first; 10 GB/s in us-east-1, us-west-2 and eu-west-1, 200 MB/s elsewhere).
pub const ON_DEMAND_START_BYTES: f64 = 4.0 * SHARD_WRITE_BYTES;
pub const ON_DEMAND_LARGE_REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1"];
/// Assumed: how long one invocation of a generated function runs.
pub const INVOCATION_SECONDS: f64 = 0.1;
/// Assumed: GZIP makes JSON records this share of their size.
pub const GZIP_RATIO: f64 = 0.25;
/// Assumed: bytes a stored item adds to the record: pipec's bookkeeping attributes, and each
/// enrichment.
pub const ITEM_OVERHEAD_BYTES: u64 = 100;
pub const ENRICHMENT_BYTES: u64 = 32;
/// Managed Service for Apache Flink: parallel tasks a KPU runs (as the targets emit it), the
/// KPU it adds to every application for orchestration, and the running application storage
/// that comes with each KPU (AWS: Managed Service for Apache Flink pricing).
pub const PARALLELISM_PER_KPU: u32 = 1;
pub const ORCHESTRATION_KPUS: u32 = 1;
pub const STORAGE_GB_PER_KPU: u32 = 50;
/// Assumed: bytes an alert of the Flink application adds to the record it carries: the JSON
/// object's `rule`, `window_start`, `window_end` and `group_key` columns, and the escaping of
/// the record, which travels as a JSON string (see `target::flink::script`).
pub const ALERT_OVERHEAD_BYTES: u64 = 200;

/// The most an on-demand stream scales to in `region`, in bytes per second.
#[must_use]
pub fn on_demand_max_bytes(region: &str) -> f64 {
    if ON_DEMAND_LARGE_REGIONS.contains(&region) { 10_000_000_000.0 } else { 200_000_000.0 }
}

#[derive(Clone, Debug, Serialize)]
pub struct Capacity {
    pub stream: Stream,
    /// The functions that run per record or per alert (the viewer runs per page view: not here).
    pub functions: Vec<Function>,
    /// On `hot.engine: flink`: the application that decides the rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flink: Option<FlinkApplication>,
    /// On `hot.engine: flink`: the stream the application writes its alerts to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts_stream: Option<AlertsStream>,
    pub archive: Option<Archive>,
    pub table: Option<Table>,
    pub notifications: Notifications,
}

/// The Managed Service for Apache Flink application, sized as the targets emit it.
#[derive(Clone, Debug, Serialize)]
pub struct FlinkApplication {
    /// One task per shard of the source stream (4 on demand).
    pub parallelism: u32,
    pub parallelism_per_kpu: u32,
    /// `parallelism / parallelism_per_kpu`, rounded up.
    pub kpus: u32,
    pub orchestration_kpus: u32,
    /// What is billed every hour: `kpus + orchestration_kpus`.
    pub billed_kpus: u32,
    /// [`STORAGE_GB_PER_KPU`] for each of `kpus`.
    pub running_storage_gb: u32,
}

/// The alerts stream: provisioned with [`ALERTS_SHARDS`] shards.
#[derive(Clone, Debug, Serialize)]
pub struct AlertsStream {
    pub shards: u32,
    /// One alert per record a per-record rule flags (windowed rules' alerts are not counted).
    pub alerts_per_second: f64,
    pub alert_bytes: u64,
    /// Whether its shards carry the alerts at [`TARGET_USE`] of the write limits.
    pub enough: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Stream {
    /// `provisioned` or `on-demand`.
    pub mode: &'static str,
    /// `shards:` (1 when the spec gives neither `shards` nor `on_demand`); none on demand.
    pub declared_shards: Option<u32>,
    /// Shards that carry the traffic at [`TARGET_USE`] of every limit.
    pub needed_shards: u32,
    /// The limit that decides `needed_shards`: `write bytes`, `write records` or `read bytes`.
    pub deciding_limit: &'static str,
    pub write_bytes_per_second: f64,
    /// Every consumer reads every record.
    pub read_bytes_per_second: f64,
    /// Readers of the stream: the archive, and the hot function and each windowed function, or
    /// on `hot.engine: flink` the Flink application.
    pub consumers: u32,
    /// Whether the declared capacity carries the traffic (on demand: within the region's maximum).
    pub enough: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Function {
    /// `hot`, `window <rule>` or `fanout`.
    pub name: String,
    /// What invokes it: `stream` (an event-source mapping) or `topic` (SNS).
    pub trigger: &'static str,
    /// Whether a filter drops the records no rule flags before they reach the function.
    pub filtered: bool,
    pub records_per_second: f64,
    pub invocations_per_second: f64,
    pub records_per_invocation: f64,
    /// Stream functions: one batch per shard at a time (times the parallelization factor).
    pub max_concurrency: Option<u32>,
    pub memory_mb: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Archive {
    pub objects_per_hour: f64,
    /// What fills an object first: `interval` or `size` (the buffer).
    pub flushed_by: &'static str,
    pub raw_bytes_per_object: f64,
    pub object_bytes: f64,
    /// 1 without compression, [`GZIP_RATIO`] with GZIP.
    pub compression_ratio: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Table {
    pub writes_per_second: f64,
    pub item_bytes: u64,
    pub write_units_per_item: u64,
    pub write_units_per_second: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Notifications {
    /// One publish per flagged record and topic its rules notify.
    pub publishes_per_second: f64,
    pub emails_per_second: f64,
    pub webhook_posts_per_second: f64,
}

/// The capacity the inputs ask of `p`.
#[must_use]
pub fn capacity(p: &Pipeline, inputs: &Inputs) -> Capacity {
    let rate = inputs.rate;
    let bytes = rate * inputs.record_bytes as f64;
    let has_record_rules = p.record_rules().next().is_some();
    let flink = on_flink(p);
    let deciders = if flink {
        u32::from(!p.rules.is_empty())
    } else {
        u32::from(has_record_rules) + u32::try_from(p.window_rules().count()).unwrap_or(u32::MAX)
    };
    let consumers = u32::from(p.archive.is_some()) + deciders;
    let needs = [
        ("write bytes", bytes / (SHARD_WRITE_BYTES * TARGET_USE)),
        ("write records", rate / (SHARD_WRITE_RECORDS * TARGET_USE)),
        ("read bytes", bytes * f64::from(consumers) / (SHARD_READ_BYTES * TARGET_USE)),
    ];
    let (deciding_limit, most) =
        needs.iter().copied().fold(("write records", 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let needed_shards = shard_count(most);
    let (mode, declared_shards, enough) = match p.stream.kinesis().capacity {
        StreamMode::Shards(n) => ("provisioned", Some(n), n >= needed_shards),
        StreamMode::OnDemand => ("on-demand", None, bytes <= on_demand_max_bytes(&inputs.region) * TARGET_USE),
    };
    let shards = declared_shards.unwrap_or(needed_shards).max(1);
    let flagged_rate = rate * inputs.flagged;
    let mut functions = Vec::new();
    let (application, alerts_stream) = if flink {
        let application = flink_application(parallelism(p));
        let alerts = (!p.rules.is_empty()).then(|| AlertsStream {
            shards: ALERTS_SHARDS,
            alerts_per_second: flagged_rate,
            alert_bytes: inputs.record_bytes + ALERT_OVERHEAD_BYTES,
            enough: {
                let alert_bytes = (inputs.record_bytes + ALERT_OVERHEAD_BYTES) as f64;
                let per_shard = flagged_rate / f64::from(ALERTS_SHARDS);
                per_shard <= SHARD_WRITE_RECORDS * TARGET_USE
                    && per_shard * alert_bytes <= SHARD_WRITE_BYTES * TARGET_USE
            },
        });
        if let Some(a) = &alerts {
            functions.push(stream_function("alerts".into(), a.alerts_per_second, false, a.shards));
        }
        (Some(application), alerts)
    } else {
        if has_record_rules {
            let filtered = record_filters(p).is_some();
            functions.push(stream_function("hot".into(), if filtered { flagged_rate } else { rate }, filtered, shards));
        }
        for rule in p.window_rules() {
            functions.push(stream_function(format!("window {}", rule.name), rate, false, shards));
        }
        (None, None)
    };
    let topics = notified(p.record_rules());
    let count =
        |f: &dyn Fn(&crate::ir::Topic) -> usize| topics.iter().map(|id| f(&p.topics[id.0])).sum::<usize>() as f64;
    let webhook_topics = count(&|t| usize::from(!t.webhooks.is_empty()));
    if webhook_topics > 0.0 {
        let invocations = flagged_rate * webhook_topics;
        functions.push(Function {
            name: "fanout".into(),
            trigger: "topic",
            filtered: false,
            records_per_second: invocations,
            invocations_per_second: invocations,
            records_per_invocation: 1.0,
            max_concurrency: None,
            memory_mb: MEMORY_MB,
        });
    }
    Capacity {
        stream: Stream {
            mode,
            declared_shards,
            needed_shards,
            deciding_limit,
            write_bytes_per_second: bytes,
            read_bytes_per_second: bytes * f64::from(consumers),
            consumers,
            enough,
        },
        functions,
        flink: application,
        alerts_stream,
        archive: p.archive.as_ref().map(|a| archive(a, bytes)),
        // The hot function stores what per-record rules flag; on flink, the alerts function.
        table: p.store.as_ref().filter(|_| if flink { !p.rules.is_empty() } else { has_record_rules }).map(|s| {
            let item_bytes = inputs.record_bytes + ITEM_OVERHEAD_BYTES + ENRICHMENT_BYTES * s.enrich.len() as u64;
            let write_units_per_item = item_bytes.div_ceil(1024);
            Table {
                writes_per_second: flagged_rate,
                item_bytes,
                write_units_per_item,
                write_units_per_second: flagged_rate * write_units_per_item as f64,
            }
        }),
        notifications: Notifications {
            publishes_per_second: flagged_rate * topics.len() as f64,
            emails_per_second: flagged_rate * count(&|t| t.emails.len()),
            webhook_posts_per_second: flagged_rate * count(&|t| t.webhooks.len()),
        },
    }
}

/// The application the targets emit for `parallelism` tasks.
#[must_use]
pub fn flink_application(parallelism: u32) -> FlinkApplication {
    let kpus = parallelism.div_ceil(PARALLELISM_PER_KPU).max(1);
    FlinkApplication {
        parallelism,
        parallelism_per_kpu: PARALLELISM_PER_KPU,
        kpus,
        orchestration_kpus: ORCHESTRATION_KPUS,
        billed_kpus: kpus + ORCHESTRATION_KPUS,
        running_storage_gb: kpus * STORAGE_GB_PER_KPU,
    }
}

/// The whole number of shards for a need of `shards` (at least 1).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn shard_count(shards: f64) -> u32 {
    // The rate is at most 1e9/s and a record at most 1 MiB, so this fits a u32 comfortably
    // only up to ~4e9 shards; beyond that the answer is "more than any account holds" anyway.
    shards.ceil().clamp(1.0, f64::from(u32::MAX)) as u32
}

/// A function behind an event-source mapping that receives `rate` records a second over
/// `shards` shards. Lambda invokes a shard's batch when it holds [`BATCH_SIZE`] records or the
/// batching window ends; a shard with fewer records than one a window sends each as it comes.
fn stream_function(name: String, rate: f64, filtered: bool, shards: u32) -> Function {
    let per_shard = rate / f64::from(shards);
    let window = f64::from(BATCHING_WINDOW_SECONDS);
    let per_shard_invocations =
        if per_shard * window <= 1.0 { per_shard } else { (per_shard / f64::from(BATCH_SIZE)).max(1.0 / window) };
    let invocations = per_shard_invocations * f64::from(shards);
    Function {
        name,
        trigger: "stream",
        filtered,
        records_per_second: rate,
        invocations_per_second: invocations,
        records_per_invocation: if invocations > 0.0 { rate / invocations } else { 0.0 },
        max_concurrency: Some(shards.saturating_mul(PARALLELIZATION_FACTOR)),
        memory_mb: MEMORY_MB,
    }
}

/// Firehose delivers an object when the buffer fills or the interval ends, whichever is first.
fn archive(a: &crate::ir::Archive, bytes: f64) -> Archive {
    let buffer = f64::from(a.buffer_mib) * 1_048_576.0;
    let fill_seconds = if bytes > 0.0 { buffer / bytes } else { f64::INFINITY };
    let interval = f64::from(a.interval_seconds);
    // An interval of 0 delivers as soon as it can; count it as one object a second.
    let (seconds, flushed_by) =
        if interval <= fill_seconds { (interval.max(1.0), "interval") } else { (fill_seconds.max(1.0), "size") };
    let ratio = if a.gzip { GZIP_RATIO } else { 1.0 };
    Archive {
        objects_per_hour: 3600.0 / seconds,
        flushed_by,
        raw_bytes_per_object: bytes * seconds,
        object_bytes: bytes * seconds * ratio,
        compression_ratio: ratio,
    }
}
