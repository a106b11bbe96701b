//! Stage 3, `lower`: a checked [`Spec`] → [`Pipeline`]. Fills defaults, resolves topic names to
//! ids and parses expressions once. Call only on a spec that `check` passed without errors.

use super::{
    Archive, Capacity, Engine, Enrichment, EventTime, Expected, KeyField, Kinesis, Layout, Pipeline, Rule, RuleKind,
    Severity, Source, Store, Stream, Topic, TopicId, Viewer, WindowShape,
};
use crate::check::EngineName;
use crate::expr::{self, RecordSchema};
use crate::spec::units::{ByteSize, Duration};
use crate::spec::{self, Compression, Encryption, RuleSeverity, Spec, keys};

// The defaults of `specs/reference.md`, typed (defined in `spec::keys`).
const SEVERITY: RuleSeverity = keys::choose(RuleSeverity::CHOICES, keys::RULE_SEVERITY.default_text());
const SHARDS: u32 = keys::STREAM_SHARDS.default_amount().count();
const RETENTION: Duration = keys::STREAM_RETENTION.default_amount().duration();
const ENCRYPTION: Encryption = keys::choose(Encryption::CHOICES, keys::STREAM_ENCRYPTION.default_text());
const COMPRESSION: Compression = keys::choose(Compression::CHOICES, keys::COLD_COMPRESSION.default_text());
const LAYOUT: spec::Layout = keys::choose(spec::Layout::CHOICES, keys::COLD_LAYOUT.default_text());
const BUFFER_SIZE: ByteSize = keys::BUFFER_SIZE.default_amount().size();
const BUFFER_INTERVAL: Duration = keys::BUFFER_INTERVAL.default_amount().duration();
const ALLOWED_LATENESS: Duration = keys::HOT_ALLOWED_LATENESS.default_amount().duration();
const RECORD_BYTES: u64 = keys::EXPECTED_RECORD_SIZE.default_amount().base();
#[allow(clippy::cast_precision_loss)] // a whole percent, 0 to 100
const FLAGGED: f64 = keys::EXPECTED_FLAGGED.default_amount().number as f64 / 100.0;

/// Lowers a spec that checked clean.
///
/// # Errors
/// A message when the spec still holds an error `check` should have caught (a bug in pipec,
/// never a user mistake).
pub fn lower(spec: &Spec) -> Result<Pipeline, String> {
    let schema = spec.stream.record_schema();
    let topics: Vec<Topic> = spec.notifications.iter().map(topic).collect();
    let topic_id = |name: &str| {
        topics.iter().position(|t| t.name == name).map(TopicId).ok_or_else(|| format!("unresolved topic `{name}`"))
    };
    let mut rules = Vec::new();
    for rule in spec.hot.iter().flat_map(|h| &h.rules) {
        let when = expr::parse(&rule.when.text).map_err(|d| d.message)?;
        let kind = match &rule.window {
            Some(w) => {
                let secs = |d: &spec::Spanned<spec::units::Duration>| u32::try_from(d.value.seconds());
                let (seconds, shape) = match (&w.tumbling, &w.sliding, &w.slide, &w.session) {
                    (Some(t), ..) => (secs(t), WindowShape::Tumbling),
                    (_, Some(size), Some(slide), _) => {
                        (secs(size), WindowShape::Sliding { slide_seconds: secs(slide).map_err(|e| e.to_string())? })
                    }
                    (.., Some(gap)) => (secs(gap), WindowShape::Session),
                    _ => return Err(format!("rule `{}` has a window without a length", rule.name.value)),
                };
                RuleKind::Windowed {
                    seconds: seconds.map_err(|e| e.to_string())?,
                    group_by: rule.group_by.iter().map(|g| g.value.clone()).collect(),
                    shape,
                }
            }
            None => RuleKind::PerRecord,
        };
        rules.push(Rule {
            name: rule.name.value.clone(),
            description: rule.description.as_ref().map(|d| d.value.clone()),
            severity: match rule.severity.as_ref().map_or(SEVERITY, |s| s.value) {
                RuleSeverity::Low => Severity::Low,
                RuleSeverity::Medium => Severity::Medium,
                RuleSeverity::High => Severity::High,
                RuleSeverity::Critical => Severity::Critical,
            },
            when,
            source: rule.when.text.clone(),
            kind,
            notify: rule.notify.iter().map(|t| topic_id(&t.value)).collect::<Result<_, _>>()?,
        });
    }
    let store = match spec.hot.as_ref().and_then(|h| h.store.as_ref()) {
        Some(s) => Some(store(spec, s, &schema)?),
        None => None,
    };
    let stream = &spec.stream;
    let archive = spec.cold.as_ref().map(archive).transpose()?;
    let alarms = super::alarms::lower(spec.alarms.as_ref(), &rules, archive.as_ref(), topic_id)?;
    Ok(Pipeline {
        name: spec.name.value.clone(),
        description: spec.description.as_ref().map(|d| d.value.clone()),
        retain_data: spec.retain_data.as_ref().map_or(const { keys::RETAIN_DATA.default_bool() }, |r| r.value),
        stream: Stream {
            name: stream.name.as_ref().map_or_else(|| spec.name.value.clone(), |n| n.value.clone()),
            schema,
            source: Source::Kinesis(Kinesis {
                capacity: match (
                    &stream.shards,
                    stream.on_demand.as_ref().map_or(const { keys::STREAM_ON_DEMAND.default_bool() }, |o| o.value),
                ) {
                    (_, true) => Capacity::OnDemand,
                    (Some(n), false) => Capacity::Shards(n.value),
                    (None, false) => Capacity::Shards(SHARDS),
                },
                retention_hours: u32::try_from(stream.retention.as_ref().map_or(RETENTION, |r| r.value).0 / 3_600_000)
                    .map_err(|e| e.to_string())?,
                encrypted: stream.encryption.as_ref().map_or(ENCRYPTION, |e| e.value) == Encryption::Kms,
            }),
        },
        rules,
        store,
        archive,
        topics,
        alarms,
        expected: expected(spec.expected.as_ref()),
        engine: engine(spec)?,
    })
}

fn expected(e: Option<&spec::Expected>) -> Expected {
    Expected {
        rate: e.and_then(|e| e.rate.as_ref()).map(|r| r.value.0),
        record_bytes: e.and_then(|e| e.record_size.as_ref()).map_or(RECORD_BYTES, |s| s.value.0),
        flagged: e.and_then(|e| e.flagged.as_ref()).map_or(FLAGGED, |f| f.value.0),
    }
}

fn engine(spec: &Spec) -> Result<Engine, String> {
    let Some(hot) = &spec.hot else { return Ok(Engine::Lambda) };
    match crate::check::engine_of(hot) {
        Some(EngineName::Lambda) => Ok(Engine::Lambda),
        Some(EngineName::Flink) => Ok(Engine::Flink(EventTime {
            field: hot.event_time.as_ref().ok_or("the flink engine without `event_time`")?.value.clone(),
            allowed_lateness_ms: hot.allowed_lateness.as_ref().map_or(ALLOWED_LATENESS.0, |l| l.value.0),
        })),
        None => Err("an engine `check` refuses".to_owned()),
    }
}

fn topic(t: &spec::Topic) -> Topic {
    let (local, remote): (Vec<_>, Vec<_>) =
        t.webhook.iter().map(|w| w.value.clone()).partition(|w| crate::check::is_local_url(w));
    Topic {
        name: t.name.value.clone(),
        emails: t.email.iter().map(|e| e.value.clone()).collect(),
        webhooks: remote,
        local_webhooks: local,
    }
}

fn store(spec: &Spec, s: &spec::Store, schema: &RecordSchema) -> Result<Store, String> {
    let key = |name: &str| {
        schema
            .get(name)
            .map(|f| KeyField { name: name.to_string(), ty: f.ty })
            .ok_or_else(|| format!("unresolved key `{name}`"))
    };
    let enrich = s
        .enrich
        .iter()
        .map(|(name, text)| {
            Ok(Enrichment {
                name: name.value.clone(),
                expr: expr::parse(&text.text).map_err(|d| d.message)?,
                source: text.text.clone(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let viewer = s.viewer.as_ref().map(|v| Viewer {
        title: v.title.as_ref().map_or_else(|| format!("{} — flagged records", spec.name.value), |t| t.value.clone()),
        sort: v.sort.as_ref().map(|s| match s.value.strip_prefix('-') {
            Some(field) => (field.to_string(), true),
            None => (s.value.trim_start_matches('+').to_string(), false),
        }),
        public: v.public.as_ref().map_or(const { keys::VIEWER_PUBLIC.default_bool() }, |p| p.value),
    });
    Ok(Store {
        table: s.table.as_ref().map_or_else(|| format!("{}-flagged", spec.name.value), |t| t.value.clone()),
        partition: key(&s.key.partition.value)?,
        sort: s.key.sort.as_ref().map(|k| key(&k.value)).transpose()?,
        enrich,
        viewer,
    })
}

fn archive(c: &spec::Cold) -> Result<Archive, String> {
    let buffer = c.buffer.as_ref();
    Ok(Archive {
        prefix: c.prefix.as_ref().map_or(keys::COLD_PREFIX.default_text(), |p| &p.value).to_string(),
        error_prefix: c.error_prefix.as_ref().map_or(keys::COLD_ERROR_PREFIX.default_text(), |p| &p.value).to_string(),
        gzip: c.compression.as_ref().map_or(COMPRESSION, |x| x.value) == Compression::Gzip,
        buffer_mib: u32::try_from(buffer.and_then(|b| b.size.as_ref()).map_or(BUFFER_SIZE, |s| s.value).mebibytes())
            .map_err(|e| e.to_string())?,
        interval_seconds: u32::try_from(
            buffer.and_then(|b| b.interval.as_ref()).map_or(BUFFER_INTERVAL, |i| i.value).seconds(),
        )
        .map_err(|e| e.to_string())?,
        layout: match c.layout.as_ref().map_or(LAYOUT, |l| l.value) {
            spec::Layout::Daily => Layout::Daily,
            spec::Layout::Hourly => Layout::Hourly,
        },
    })
}
