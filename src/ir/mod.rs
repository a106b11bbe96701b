//! The intermediate representation: one checked pipeline, names resolved, defaults filled,
//! expressions parsed. Every backend and the local runtime read only this.

use crate::expr::{Expr, RecordSchema, ValueType};

mod alarms;
mod lower;
mod view;

pub use alarms::Alarms;
pub use lower::lower;
pub use view::viewer_sort;

/// Index of a topic in [`Pipeline::topics`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicId(pub usize);

#[derive(Clone, Debug)]
pub struct Pipeline {
    pub name: String,
    pub description: Option<String>,
    /// Keep stream, bucket and table on stack deletion.
    pub retain_data: bool,
    pub stream: Stream,
    pub rules: Vec<Rule>,
    pub store: Option<Store>,
    pub archive: Option<Archive>,
    pub topics: Vec<Topic>,
    /// CloudWatch alarm thresholds and their topic.
    pub alarms: Alarms,
    /// The traffic the spec expects (`expected:`), for `pipec plan`; no target reads it.
    pub expected: Expected,
    /// Where the hot rules run.
    pub engine: Engine,
}

/// Expected traffic, defaults filled (except the rate, which has none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expected {
    /// Records per second, when the spec gives one.
    pub rate: Option<f64>,
    /// Average record size in bytes.
    pub record_bytes: u64,
    /// Share of records flagged by some per-record rule, 0 to 1.
    pub flagged: f64,
}

/// Where the hot rules run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Lambda: per-record rules in the hot function, windows per shard in arrival time.
    Lambda,
    /// Managed Service for Apache Flink: one SQL job over the whole stream, in event time.
    Flink(EventTime),
}

/// How the flink engine orders events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventTime {
    /// The required timestamp field that says when an event happened.
    pub field: String,
    /// The watermark is the greatest event time seen minus this (milliseconds).
    pub allowed_lateness_ms: u64,
}

/// The records a pipeline reads: their name, schema and where they come from.
#[derive(Clone, Debug)]
pub struct Stream {
    pub name: String,
    pub schema: RecordSchema,
    pub source: Source,
}

/// Where records come from. A second source is a new variant here (and its lowering in
/// `lower.rs`); [`Stream::kinesis`] then stops compiling, and each place that reads Kinesis
/// settings decides what the new source means there.
#[derive(Clone, Debug)]
pub enum Source {
    /// An Amazon Kinesis data stream (the local runtime emulates its API).
    Kinesis(Kinesis),
}

/// A Kinesis data stream's settings.
#[derive(Clone, Debug)]
pub struct Kinesis {
    pub capacity: Capacity,
    pub retention_hours: u32,
    pub encrypted: bool,
}

impl Stream {
    /// The Kinesis settings (Kinesis is the only source today).
    #[must_use]
    pub fn kinesis(&self) -> &Kinesis {
        match &self.source {
            Source::Kinesis(kinesis) => kinesis,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    Shards(u32),
    OnDemand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub description: Option<String>,
    pub severity: Severity,
    /// The condition, type-checked against the record schema.
    pub when: Expr,
    /// The condition as written (shown in alerts).
    pub source: String,
    pub kind: RuleKind,
    pub notify: Vec<TopicId>,
}

#[derive(Clone, Debug)]
pub enum RuleKind {
    /// Decided on each record.
    PerRecord,
    /// Decided per group at the end of each window. `seconds` is the window's length (a
    /// session's gap); the lambda engine only ever holds [`WindowShape::Tumbling`].
    Windowed { seconds: u32, group_by: Vec<String>, shape: WindowShape },
}

/// The kind of window of a windowed rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowShape {
    /// Back-to-back windows of the rule's length.
    Tumbling,
    /// A window of the rule's length starts every `slide_seconds` (Flink's HOP).
    Sliding { slide_seconds: u32 },
    /// Per group, records closer than the rule's length (the gap) share a window.
    Session,
}

impl Rule {
    #[must_use]
    pub fn is_windowed(&self) -> bool {
        matches!(self.kind, RuleKind::Windowed { .. })
    }
}

#[derive(Clone, Debug)]
pub struct KeyField {
    pub name: String,
    pub ty: ValueType,
}

#[derive(Clone, Debug)]
pub struct Enrichment {
    pub name: String,
    pub expr: Expr,
    pub source: String,
}

#[derive(Clone, Debug)]
pub struct Store {
    pub table: String,
    pub partition: KeyField,
    pub sort: Option<KeyField>,
    pub enrich: Vec<Enrichment>,
    pub viewer: Option<Viewer>,
}

#[derive(Clone, Debug)]
pub struct Viewer {
    pub title: String,
    /// The field to sort by and whether descending.
    pub sort: Option<(String, bool)>,
    pub public: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `YYYY/MM/DD/HH/` after the prefix (Firehose's default).
    Hourly,
    /// `YYYY/MM/DD/` after the prefix.
    Daily,
}

#[derive(Clone, Debug)]
pub struct Archive {
    pub prefix: String,
    pub error_prefix: String,
    pub gzip: bool,
    pub buffer_mib: u32,
    pub interval_seconds: u32,
    pub layout: Layout,
}

#[derive(Clone, Debug)]
pub struct Topic {
    pub name: String,
    pub emails: Vec<String>,
    /// HTTPS endpoints (used by every target).
    pub webhooks: Vec<String>,
    /// Loopback HTTP endpoints (local runtime only; cloud targets skip them).
    pub local_webhooks: Vec<String>,
}

impl Pipeline {
    /// Rules decided per record (one hot function handles all of them).
    pub fn record_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| !r.is_windowed())
    }

    /// Rules decided per window (one function each).
    pub fn window_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.is_windowed())
    }

    /// The names of the store's key fields (partition, then sort); none without a store.
    #[must_use]
    pub fn store_key_names(&self) -> Vec<&str> {
        self.store.iter().flat_map(|s| std::iter::once(&s.partition).chain(&s.sort)).map(|k| k.name.as_str()).collect()
    }
}
