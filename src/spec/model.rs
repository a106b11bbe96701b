//! The spec as written by the user: every value keeps the span of its YAML node, so that checks
//! after parsing still point into the file. Defaults are *not* filled here (that is `lower`'s
//! job), so that a diagnostic can tell "you wrote" from "the default".
//!
//! The types also describe the language for `pipec schema` (JSON Schema via schemars); doc
//! comments become the schema's descriptions, shown by editors. Defaults and ranges are not
//! written here: they are in [`keys`](super::keys), and `pipec schema` adds them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::units::{ByteSize, Duration, Rate, Share};
use crate::diagnostic::Span;
use crate::expr::{FieldSchema, RecordSchema, ValueType};

/// A value and the span of the YAML node it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// An expression written in the spec (`when:` or an enrichment), with what is needed to point
/// at a column inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprText {
    pub text: String,
    pub span: Span,
    /// File offset of the text's first byte when the YAML scalar is verbatim file text.
    pub verbatim_at: Option<usize>,
    /// For a block scalar, the file offset of each byte of the text.
    pub offsets: Option<Vec<usize>>,
}

impl ExprText {
    /// Maps a span inside the expression text to a span in the file.
    #[must_use]
    pub fn file_span(&self, relative: Span) -> Span {
        match self.verbatim_at {
            Some(at) => Span::new(at + relative.start, at + relative.end),
            None => self.offsets.as_deref().and_then(|o| crate::yaml::map_span(o, relative)).unwrap_or(self.span),
        }
    }
}

impl JsonSchema for ExprText {
    fn schema_name() -> Cow<'static, str> {
        "Expression".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An expression over record fields, e.g. `transaction > 9000`, `amount * 1.1`, `city IN ('Oslo', 'Rome')`."
        })
    }
}

macro_rules! text_schema {
    ($ty:ty, $name:literal, $pattern:literal, $description:literal) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "pattern": $pattern, "description": $description })
            }
        }
    };
}

text_schema!(
    Duration,
    "Duration",
    r"^\s*[0-9]+(\.[0-9]+)?\s*(ms|s|m|min|h|d)\s*$",
    "A duration: a number and a unit (ms, s, m, h, d), e.g. `60s`, `15m`, `24h`."
);
text_schema!(
    ByteSize,
    "Size",
    r"^\s*[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)\s*$",
    "A size: a number and a unit (B, KB, MB, GB, KiB, MiB, GiB), e.g. `64MiB`."
);

text_schema!(
    Rate,
    "Rate",
    r"^\s*[0-9]+(\.[0-9]+)?[kM]?\s*/\s*(s|min|h|d)\s*$",
    "A rate of records: a number (optionally `k` or `M`) per time unit (s, min, h, d), e.g. `2000/s`, `1.5k/s`, `90000/min`."
);
text_schema!(
    Share,
    "Percentage",
    r"^\s*[0-9]+(\.[0-9]+)?\s*%\s*$",
    "A share from `0%` to `100%`, e.g. `1%` or `0.5%`."
);

/// A pipeline: one stream, its hot rules, its cold archive and its notification topics.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields, title = "pipec pipeline spec")]
pub struct Spec {
    /// The spec language version. Always `1`.
    pub version: Spanned<u32>,
    /// The pipeline's name: 1–40 of `a-z A-Z 0-9 - _`, starting with a letter. Prefixes every resource name.
    pub name: Spanned<String>,
    /// What the pipeline is for (shown in the viewer and the templates).
    pub description: Option<Spanned<String>>,
    /// Keep the stream, archive bucket and table when the stack is deleted. Set `false` for throw-away environments.
    pub retain_data: Option<Spanned<bool>>,
    /// The source stream that receives events.
    pub stream: Stream,
    /// Hot path: rules evaluated on every event as it arrives.
    pub hot: Option<Hot>,
    /// Cold path: every raw event archived, batched and compressed.
    pub cold: Option<Cold>,
    /// Notification topics, by name; rules name them in `notify`.
    #[schemars(with = "BTreeMap<String, Topic>")]
    #[schemars(default)]
    pub notifications: Vec<Topic>,
    /// CloudWatch alarms on the deployed pipeline (both cloud targets): thresholds and where they notify.
    pub alarms: Option<Alarms>,
    /// The traffic the pipeline is expected to carry: what `pipec plan` sizes capacity and cost for.
    pub expected: Option<Expected>,
    /// Per-environment overrides selected with `--env NAME`: partial specs merged over this one.
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    #[schemars(default)]
    pub environments: Vec<Spanned<String>>,
}

/// The source stream (Kinesis Data Streams on AWS).
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Stream {
    /// Stream name.
    pub name: Option<Spanned<String>>,
    /// Provisioned shards (1 MB/s or 1,000 records/s in each). Excludes `on_demand`.
    pub shards: Option<Spanned<u32>>,
    /// On-demand capacity: AWS scales the shards. Excludes `shards`.
    pub on_demand: Option<Spanned<bool>>,
    /// How long records stay in the stream.
    pub retention: Option<Spanned<Duration>>,
    /// Encryption at rest: `kms` (AWS-managed key) or `none`.
    pub encryption: Option<Spanned<Encryption>>,
    /// How a `timestamp` without a zone is read: `UTC` or a fixed offset such as `+02:00`.
    pub timezone: Option<Spanned<String>>,
    /// The JSON record's fields and their types: `string`, `string(64)` (max length), `int`, `float`, `bool`, `timestamp`; a trailing `?` makes a field optional.
    #[schemars(with = "BTreeMap<String, FieldTypeSchema>")]
    pub record: Vec<Field>,
    /// Fields declared with a type that could not be read. Each is reported once, where it is
    /// declared; later uses of its name are not reported again as unknown fields.
    #[schemars(skip)]
    pub untyped: Vec<String>,
    #[schemars(skip)]
    pub span: Span,
}

impl Stream {
    /// The record schema as expressions and records are checked against it.
    #[must_use]
    pub fn record_schema(&self) -> RecordSchema {
        RecordSchema::new(
            self.record
                .iter()
                .map(|f| FieldSchema {
                    name: f.name.value.clone(),
                    ty: f.ty.value,
                    required: f.required,
                    max_length: f.max_length,
                })
                .collect(),
        )
        .with_timezone(
            self.timezone.as_ref().and_then(|t| crate::expr::timestamp::parse_timezone(&t.value)).unwrap_or(0),
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Encryption {
    Kms,
    None,
}

impl Encryption {
    /// How the spec writes each value.
    pub const CHOICES: &[(&'static str, Self)] = &[("kms", Self::Kms), ("none", Self::None)];
}

/// A record field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Spanned<String>,
    pub ty: Spanned<ValueType>,
    pub required: bool,
    pub max_length: Option<u32>,
    pub description: Option<String>,
}

/// Schema only: how a field type may be written.
struct FieldTypeSchema;

impl JsonSchema for FieldTypeSchema {
    fn schema_name() -> Cow<'static, str> {
        "FieldType".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                {
                    "type": "string",
                    "pattern": r"^\s*(string(\([0-9]+\))?|int|integer|float|number|bool|boolean|timestamp)\s*\??$",
                    "description": "`string`, `string(64)` (max length), `int`, `float`, `bool` or `timestamp`; a trailing `?` makes the field optional."
                },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["type"],
                    "properties": {
                        "type": { "enum": ["string", "int", "integer", "float", "number", "bool", "boolean", "timestamp"] },
                        "max_length": { "type": "integer", "minimum": 1, "description": "Strings only: the maximum length in characters." },
                        "required": { "type": "boolean", "description": "Whether every record must carry the field." },
                        "description": { "type": "string" }
                    }
                }
            ]
        })
    }
}

/// Hot path: rules, and where flagged records go.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Hot {
    /// Where rules run: `lambda` (per shard, in arrival time) or `flink` (Managed Service for Apache Flink: windows in event time across the whole stream). `kinesis-analytics` is refused: AWS retired it.
    pub engine: Option<Spanned<String>>,
    /// `engine: flink` only, and required there: the record's `timestamp` field that orders events (their event time); a required field.
    pub event_time: Option<Spanned<String>>,
    /// `engine: flink` only: how far behind the latest event time a record may arrive and still count (the watermark is the latest event time minus this).
    pub allowed_lateness: Option<Spanned<Duration>>,
    #[schemars(default)]
    pub rules: Vec<Rule>,
    /// The table of flagged records.
    pub store: Option<Store>,
    #[schemars(skip)]
    pub span: Span,
}

/// Schema only: one value or a list of them.
#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A hot rule: a condition on each record, or on a window of records per group.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rule {
    /// Unique rule name: 1–64 of `a-z A-Z 0-9 - _`, starting with a letter.
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    /// The condition, e.g. `transaction > 9000`; in a windowed rule, over aggregates, e.g. `count(*) > 100`.
    pub when: ExprText,
    /// Evaluate per window of records instead of per record.
    pub window: Option<Window>,
    /// Windowed rules: the fields that form a group (one decision per group and window).
    #[schemars(with = "OneOrMany")]
    #[schemars(default)]
    pub group_by: Vec<Spanned<String>>,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: Option<Spanned<RuleSeverity>>,
    /// Topics to notify when the rule fires.
    #[schemars(with = "OneOrMany")]
    #[schemars(default)]
    pub notify: Vec<Spanned<String>>,
    #[schemars(skip)]
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum RuleSeverity {
    Low,
    Medium,
    High,
    Critical,
}

impl RuleSeverity {
    /// How the spec writes each value.
    pub const CHOICES: &[(&'static str, Self)] =
        &[("low", Self::Low), ("medium", Self::Medium), ("high", Self::High), ("critical", Self::Critical)];
}

/// A window of records: exactly one of `tumbling`, `sliding` (with `slide`) or `session`.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Window {
    /// Tumbling window length, e.g. `1m`. The range below is Lambda's; on `engine: flink` it is `sliding`'s.
    pub tumbling: Option<Spanned<Duration>>,
    /// `engine: flink` only: sliding (hopping) window length, e.g. `10m`; a whole multiple of `slide`.
    pub sliding: Option<Spanned<Duration>>,
    /// With `sliding`: how often a window starts, e.g. `1m`.
    pub slide: Option<Spanned<Duration>>,
    /// `engine: flink` only: a session window per group that closes after this gap without records, e.g. `5m`.
    pub session: Option<Spanned<Duration>>,
    #[schemars(skip)]
    pub span: Span,
}

/// The table of flagged records.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Store {
    /// Table name.
    pub table: Option<Spanned<String>>,
    /// The key that makes writes idempotent.
    pub key: Key,
    /// Fields added to each flagged record, by name: expressions such as `transaction + 500` or `now()`.
    #[schemars(with = "BTreeMap<String, ExprText>")]
    #[schemars(default)]
    pub enrich: Vec<(Spanned<String>, ExprText)>,
    /// A web page listing the flagged records.
    pub viewer: Option<Viewer>,
    #[schemars(skip)]
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Key {
    /// The partition key field (required, string or number).
    pub partition: Spanned<String>,
    /// The sort key field (optional).
    pub sort: Option<Spanned<String>>,
    #[schemars(skip)]
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Viewer {
    pub title: Option<Spanned<String>>,
    /// A field to sort by; `-field` sorts descending.
    pub sort: Option<Spanned<String>>,
    /// Serve without authentication (otherwise IAM auth on AWS).
    pub public: Option<Spanned<bool>>,
}

/// The cold archive (Kinesis Data Firehose to S3 on AWS).
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cold {
    /// Key prefix of archived objects, ending with `/`.
    pub prefix: Option<Spanned<String>>,
    /// Key prefix for records that could not be delivered.
    pub error_prefix: Option<Spanned<String>>,
    /// `gzip` or `none`.
    pub compression: Option<Spanned<Compression>>,
    /// Delivery happens when either limit is reached.
    pub buffer: Option<Buffer>,
    /// Time partitioning after the prefix (UTC): `hourly` (`YYYY/MM/DD/HH/`) or `daily` (`YYYY/MM/DD/`).
    pub layout: Option<Spanned<Layout>>,
    #[schemars(skip)]
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Compression {
    Gzip,
    None,
}

impl Compression {
    /// How the spec writes each value.
    pub const CHOICES: &[(&'static str, Self)] = &[("gzip", Self::Gzip), ("none", Self::None)];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Layout {
    Hourly,
    Daily,
}

impl Layout {
    /// How the spec writes each value.
    pub const CHOICES: &[(&'static str, Self)] = &[("hourly", Self::Hourly), ("daily", Self::Daily)];
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Buffer {
    /// Deliver when this much is buffered.
    pub size: Option<Spanned<ByteSize>>,
    /// Deliver when the oldest buffered record is this old.
    pub interval: Option<Spanned<Duration>>,
}

/// A notification topic (SNS on AWS) and its subscribers.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Topic {
    #[schemars(skip)]
    pub name: Spanned<String>,
    /// E-mail addresses (each must confirm the subscription on AWS).
    #[schemars(with = "OneOrMany")]
    #[schemars(default)]
    pub email: Vec<Spanned<String>>,
    /// HTTPS endpoints that receive a JSON POST per alert.
    #[schemars(with = "OneOrMany")]
    #[schemars(default)]
    pub webhook: Vec<Spanned<String>>,
}

/// Expected traffic, read by `pipec plan` (its `--rate`, `--record-size` and `--flagged` override it).
/// No target emits anything from it.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Expected {
    /// Records written to the stream, e.g. `2000/s` (peak or steady: the plan sizes for it).
    pub rate: Option<Spanned<Rate>>,
    /// Average record size as written to the stream.
    pub record_size: Option<Spanned<ByteSize>>,
    /// Share of records that some per-record rule flags.
    pub flagged: Option<Spanned<Share>>,
    #[schemars(skip)]
    pub span: Span,
}

/// CloudWatch alarms (CloudFormation and Terraform): stream lag and write throttling, function
/// errors and throttles, failed batches, archive delivery, table throttling. Thresholds default
/// to values derived from the spec.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Alarms {
    /// `false` leaves the alarms out (the dashboard stays).
    pub enabled: Option<Spanned<bool>>,
    /// A topic under `notifications` that is told when an alarm fires and when it clears. Without one, `pipec deploy` warns that nobody is told.
    pub topic: Option<Spanned<String>>,
    /// Alarm when the oldest record not yet read from the stream is older than this (Kinesis `GetRecords.IteratorAgeMilliseconds`).
    pub iterator_age: Option<Spanned<Duration>>,
    /// Alarm when the oldest record not yet archived is older than this (Firehose `DeliveryToS3.DataFreshness`).
    pub archive_freshness: Option<Spanned<Duration>>,
    /// Alarm when a function reports at least this many errors in 5 minutes (Lambda `Errors`).
    pub function_errors: Option<Spanned<u32>>,
    #[schemars(skip)]
    pub span: Span,
}
