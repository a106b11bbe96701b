//! YAML tree → [`Spec`]: shapes, types and units. Everything found is reported; meaning
//! (names resolve, limits hold, expressions type-check) is `check`'s job.

use super::keys;
use super::model::{
    Alarms, Buffer, Cold, Compression, Encryption, Expected, Field, Hot, Key, Layout, Rule, RuleSeverity, Spanned,
    Spec, Store, Stream, Topic, Viewer, Window,
};
use super::reader::{self as r, Diags, MapReader};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::expr::ValueType;
use crate::yaml::{Node, NodeKind};

/// Decodes the whole spec; `None` when a required part could not be read (the reasons are in
/// `d`).
pub fn spec(root: &Node, environments: Vec<Spanned<String>>, d: &mut Diags) -> Option<Spec> {
    if !matches!(root.kind, NodeKind::Map(_)) {
        d.push(
            r::wrong_type(root, "a mapping at the top level")
                .with_help("a spec is a mapping with `version`, `name`, `stream`, `hot`, `cold` and `notifications`"),
        );
        return None;
    }
    let mut m = MapReader::new(root, "spec", d)?;
    let version = m.required(&keys::VERSION, "1", d).and_then(|n| version(n, d));
    let name = m.required(&keys::NAME, "transactions", d).and_then(|n| r::text(n, d));
    let description = m.take(&keys::DESCRIPTION).and_then(|n| r::text(n, d));
    let retain_data = m.take(&keys::RETAIN_DATA).and_then(|n| r::boolean(n, d));
    // Split off by the overlay stage already; taken so that "known keys" lists it.
    m.take(&keys::ENVIRONMENTS);
    let stream = m.required(&keys::STREAM, "{ shards: 1, record: { id: string } }", d).and_then(|n| stream(n, d));
    let hot = m.take(&keys::HOT).and_then(|n| hot(n, d));
    let cold = m.take(&keys::COLD).and_then(|n| cold(n, d));
    let notifications = m.take(&keys::NOTIFICATIONS).map(|n| topics(n, d)).unwrap_or_default();
    let alarms = m.take(&keys::ALARMS).and_then(|n| alarms(n, d));
    let expected = m.take(&keys::EXPECTED).and_then(|n| expected(n, d));
    m.finish(d);
    Some(Spec {
        version: version?,
        name: name?,
        description,
        retain_data,
        stream: stream?,
        hot,
        cold,
        notifications,
        alarms,
        expected,
        environments,
    })
}

fn expected(node: &Node, d: &mut Diags) -> Option<Expected> {
    let mut m = MapReader::new(node, "expected", d)?;
    let rate = m.take(&keys::EXPECTED_RATE).and_then(|n| r::rate(n, d));
    let record_size = m.take(&keys::EXPECTED_RECORD_SIZE).and_then(|n| r::size(n, d)).and_then(|size| {
        let allowed = keys::EXPECTED_RECORD_SIZE.allowed();
        if allowed.allows(size.value.0) {
            return Some(size);
        }
        d.push(
            Diagnostic::error(Code::OutOfRange, size.span, format!("a record of {} cannot be written", size.value))
                .with_label(format!("Kinesis takes records of {} to {}", allowed.min, allowed.max))
                .with_help("write the average size of one record as sent, e.g. `300B` or `2KiB`"),
        );
        None
    });
    let flagged = m.take(&keys::EXPECTED_FLAGGED).and_then(|n| r::share(n, d));
    let span = m.span();
    m.finish(d);
    Some(Expected { rate, record_size, flagged, span })
}

fn alarms(node: &Node, d: &mut Diags) -> Option<Alarms> {
    let mut m = MapReader::new(node, "alarms", d)?;
    let enabled = m.take(&keys::ALARMS_ENABLED).and_then(|n| r::boolean(n, d));
    let topic = m.take(&keys::ALARMS_TOPIC).and_then(|n| r::text(n, d));
    let iterator_age = m.take(&keys::ALARMS_ITERATOR_AGE).and_then(|n| r::duration(n, d));
    let archive_freshness = m.take(&keys::ALARMS_ARCHIVE_FRESHNESS).and_then(|n| r::duration(n, d));
    let function_errors =
        m.take(&keys::ALARMS_FUNCTION_ERRORS).and_then(|n| r::counted(n, keys::ALARMS_FUNCTION_ERRORS.allowed(), d));
    let span = m.span();
    m.finish(d);
    Some(Alarms { enabled, topic, iterator_age, archive_freshness, function_errors, span })
}

fn version(node: &Node, d: &mut Diags) -> Option<Spanned<u32>> {
    let v = r::uint(node, 0, u64::from(u32::MAX), d)?;
    if v.value != 1 {
        d.push(
            Diagnostic::error(Code::UnsupportedVersion, v.span, format!("spec version {} is not supported", v.value))
                .with_label("this pipec understands version 1")
                .with_help("write `version: 1`"),
        );
        return None;
    }
    Some(v)
}

fn stream(node: &Node, d: &mut Diags) -> Option<Stream> {
    let mut m = MapReader::new(node, "stream", d)?;
    let name = m.take(&keys::STREAM_NAME).and_then(|n| r::text(n, d));
    let shards = m.take(&keys::STREAM_SHARDS).and_then(|n| r::uint(n, 0, u64::from(u32::MAX), d));
    let on_demand = m.take(&keys::STREAM_ON_DEMAND).and_then(|n| r::boolean(n, d));
    let retention = m.take(&keys::STREAM_RETENTION).and_then(|n| r::duration(n, d));
    let encryption = m.take(&keys::STREAM_ENCRYPTION).and_then(|n| r::choice(n, Encryption::CHOICES, d));
    let timezone = m.take(&keys::STREAM_TIMEZONE).and_then(|n| r::text(n, d));
    let record = m.required(&keys::STREAM_RECORD, "{ id: string, amount: int }", d).map(|n| record(n, d));
    let span = m.span();
    m.finish(d);
    let (record, untyped) = record?;
    Some(Stream { name, shards, on_demand, retention, encryption, timezone, record, untyped, span })
}

/// The record's fields, and the names of those whose declaration could not be read.
fn record(node: &Node, d: &mut Diags) -> (Vec<Field>, Vec<String>) {
    let entries = r::entries(node, "stream.record", d);
    if entries.is_empty() && (node.is_null() || matches!(node.kind, NodeKind::Map(_))) {
        d.push(
            Diagnostic::error(Code::MissingField, node.span, "the record has no fields")
                .with_label("declare the record's fields here")
                .with_help("declare each field and its type, e.g. `id: string`"),
        );
    }
    let mut fields = Vec::new();
    let mut untyped = Vec::new();
    for e in entries {
        match field(Spanned::new(e.key.clone(), e.key_span), &e.value, d) {
            Some(field) => fields.push(field),
            None => untyped.push(e.key.clone()),
        }
    }
    (fields, untyped)
}

const TYPE_HELP: &str = "types: string, string(64) (max length), int, float, bool, timestamp; add `?` for optional";

fn field(name: Spanned<String>, node: &Node, d: &mut Diags) -> Option<Field> {
    if let NodeKind::Map(_) = node.kind {
        let mut m = MapReader::new(node, "record field", d)?;
        let ty = m.required(&keys::FIELD_TYPE, "string", d).and_then(|n| r::text(n, d));
        let max_length = m
            .take(&keys::FIELD_MAX_LENGTH)
            .and_then(|n| r::counted(n, keys::FIELD_MAX_LENGTH.allowed(), d))
            .map(|v| v.value);
        let required = m.take(&keys::FIELD_REQUIRED).and_then(|n| r::boolean(n, d)).is_none_or(|v| v.value);
        let description = m.take(&keys::FIELD_DESCRIPTION).and_then(|n| r::text(n, d)).map(|v| v.value);
        m.finish(d);
        let ty = ty?;
        let (base, _, _) = field_type(&ty, d)?;
        return Some(Field { name, ty: Spanned::new(base, ty.span), required, max_length, description });
    }
    let written = r::text(node, d)?;
    let (ty, max_length, required) = field_type(&written, d)?;
    Some(Field { name, ty: Spanned::new(ty, written.span), required, max_length, description: None })
}

/// Parses `string(64)?` into (type, max length, required).
fn field_type(written: &Spanned<String>, d: &mut Diags) -> Option<(ValueType, Option<u32>, bool)> {
    let text = written.value.trim();
    let (text, required) = match text.strip_suffix('?') {
        Some(rest) => (rest.trim_end(), false),
        None => (text, true),
    };
    let (base, max) = match text.split_once('(') {
        Some((base, rest)) => (base.trim(), Some(rest.strip_suffix(')').and_then(|n| n.trim().parse::<u32>().ok()))),
        None => (text, None),
    };
    let ty = match base {
        "string" => ValueType::String,
        "int" | "integer" => ValueType::Int,
        "float" | "number" => ValueType::Float,
        "bool" | "boolean" => ValueType::Bool,
        "timestamp" => ValueType::Timestamp,
        _ => {
            let names = ["string", "int", "float", "bool", "timestamp"];
            let help = type_alias(base)
                .or_else(|| crate::diagnostic::did_you_mean(base, names))
                .map_or_else(|| TYPE_HELP.to_string(), |c| format!("did you mean `{c}`? ({TYPE_HELP})"));
            d.push(
                Diagnostic::error(Code::InvalidValue, written.span, format!("`{}` is not a field type", written.value))
                    .with_label("unknown type")
                    .with_help(help),
            );
            return None;
        }
    };
    match max {
        Some(Some(n)) if ty == ValueType::String && n > 0 => Some((ty, Some(n), required)),
        Some(_) => {
            let help = if ty == ValueType::String {
                "write a positive length, for example `string(64)`".to_string()
            } else {
                format!("only strings take a length: write `{base}`")
            };
            d.push(
                Diagnostic::error(Code::InvalidValue, written.span, format!("`{}` is not a field type", written.value))
                    .with_label("a length goes only on strings, as a positive number")
                    .with_help(help),
            );
            None
        }
        None => Some((ty, None, required)),
    }
}

/// The pipec type for a type name of another language (`double`, `varchar`, …), to suggest it.
fn type_alias(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "double" | "decimal" | "real" | "f64" | "f32" | "numeric" => Some("float"),
        "long" | "bigint" | "smallint" | "i64" | "i32" | "int64" | "int32" => Some("int"),
        "str" | "text" | "varchar" | "char" => Some("string"),
        "datetime" | "date" | "time" => Some("timestamp"),
        _ => None,
    }
}

fn hot(node: &Node, d: &mut Diags) -> Option<Hot> {
    let mut m = MapReader::new(node, "hot", d)?;
    let engine = m.take(&keys::HOT_ENGINE).and_then(|n| r::text(n, d));
    let event_time = m.take(&keys::HOT_EVENT_TIME).and_then(|n| r::text(n, d));
    let allowed_lateness = m.take(&keys::HOT_ALLOWED_LATENESS).and_then(|n| r::duration(n, d));
    let rules =
        m.take(&keys::HOT_RULES).map(|n| r::items(n, "hot.rules", d).iter().filter_map(|n| rule(n, d)).collect());
    let store = m.take(&keys::HOT_STORE).and_then(|n| store(n, d));
    let span = m.span();
    m.finish(d);
    Some(Hot { engine, event_time, allowed_lateness, rules: rules.unwrap_or_default(), store, span })
}

fn rule(node: &Node, d: &mut Diags) -> Option<Rule> {
    let mut m = MapReader::new(node, "rule", d)?;
    let name = m.required(&keys::RULE_NAME, "high-transaction", d).and_then(|n| r::text(n, d));
    let description = m.take(&keys::RULE_DESCRIPTION).and_then(|n| r::text(n, d));
    let when = m.required(&keys::RULE_WHEN, "transaction > 9000", d).and_then(|n| r::expr(n, d));
    let window_node = m.take(&keys::RULE_WINDOW);
    let window = window_node.and_then(|n| window(n, d));
    let group_by = m.take(&keys::RULE_GROUP_BY).map(|n| r::texts(n, "group_by", d)).unwrap_or_default();
    let severity = m.take(&keys::RULE_SEVERITY).and_then(|n| r::choice(n, RuleSeverity::CHOICES, d));
    let notify = m.take(&keys::RULE_NOTIFY).map(|n| r::texts(n, "notify", d)).unwrap_or_default();
    let span = m.span();
    m.finish(d);
    // A window that could not be read would make `when` look like a per-record rule.
    if window_node.is_some() && window.is_none() {
        return None;
    }
    Some(Rule { name: name?, description, when: when?, window, group_by, severity, notify, span })
}

fn window(node: &Node, d: &mut Diags) -> Option<Window> {
    let mut m = MapReader::new(node, "window", d)?;
    let nodes = [
        m.take(&keys::WINDOW_TUMBLING),
        m.take(&keys::WINDOW_SLIDING),
        m.take(&keys::WINDOW_SLIDE),
        m.take(&keys::WINDOW_SESSION),
    ];
    let span = m.span();
    let before = d.len();
    m.finish(d);
    // An unknown key (a misspelt `tumbling`) was reported with a suggestion: that says it.
    if d.len() > before && nodes.iter().all(Option::is_none) {
        return None;
    }
    let read = nodes.map(|n| n.map(|n| r::duration(n, d)));
    // A duration that could not be read was reported; the shape is judged on what was read.
    if read.iter().any(|n| matches!(n, Some(None))) {
        return None;
    }
    let [tumbling, sliding, slide, session] = read.map(Option::flatten);
    let window = Window { tumbling, sliding, slide, session, span };
    super::window_shape::check(&window, d).then_some(window)
}

fn store(node: &Node, d: &mut Diags) -> Option<Store> {
    let mut m = MapReader::new(node, "store", d)?;
    let table = m.take(&keys::STORE_TABLE).and_then(|n| r::text(n, d));
    let key = m.required(&keys::STORE_KEY, "{ partition: transactionId, sort: createdAt }", d).and_then(|n| key(n, d));
    let enrich = m
        .take(&keys::STORE_ENRICH)
        .map(|n| {
            r::entries(n, "enrich", d)
                .iter()
                .filter_map(|e| Some((Spanned::new(e.key.clone(), e.key_span), r::expr(&e.value, d)?)))
                .collect()
        })
        .unwrap_or_default();
    let viewer = m.take(&keys::STORE_VIEWER).and_then(|n| viewer(n, d));
    let span = m.span();
    m.finish(d);
    Some(Store { table, key: key?, enrich, viewer, span })
}

fn key(node: &Node, d: &mut Diags) -> Option<Key> {
    let mut m = MapReader::new(node, "key", d)?;
    let partition = m.required(&keys::KEY_PARTITION, "transactionId", d).and_then(|n| r::text(n, d));
    let sort = m.take(&keys::KEY_SORT).and_then(|n| r::text(n, d));
    let span = m.span();
    m.finish(d);
    Some(Key { partition: partition?, sort, span })
}

fn viewer(node: &Node, d: &mut Diags) -> Option<Viewer> {
    let mut m = MapReader::new(node, "viewer", d)?;
    let title = m.take(&keys::VIEWER_TITLE).and_then(|n| r::text(n, d));
    let sort = m.take(&keys::VIEWER_SORT).and_then(|n| r::text(n, d));
    let public = m.take(&keys::VIEWER_PUBLIC).and_then(|n| r::boolean(n, d));
    m.finish(d);
    Some(Viewer { title, sort, public })
}

fn cold(node: &Node, d: &mut Diags) -> Option<Cold> {
    let mut m = MapReader::new(node, "cold", d)?;
    let prefix = m.take(&keys::COLD_PREFIX).and_then(|n| r::text(n, d));
    let error_prefix = m.take(&keys::COLD_ERROR_PREFIX).and_then(|n| r::text(n, d));
    let compression = m.take(&keys::COLD_COMPRESSION).and_then(|n| r::choice(n, Compression::CHOICES, d));
    let buffer = m.take(&keys::COLD_BUFFER).and_then(|n| buffer(n, d));
    let layout = m.take(&keys::COLD_LAYOUT).and_then(|n| r::choice(n, Layout::CHOICES, d));
    let span = m.span();
    m.finish(d);
    Some(Cold { prefix, error_prefix, compression, buffer, layout, span })
}

fn buffer(node: &Node, d: &mut Diags) -> Option<Buffer> {
    let mut m = MapReader::new(node, "buffer", d)?;
    let size = m.take(&keys::BUFFER_SIZE).and_then(|n| r::size(n, d));
    let interval = m.take(&keys::BUFFER_INTERVAL).and_then(|n| r::duration(n, d));
    m.finish(d);
    Some(Buffer { size, interval })
}

fn topics(node: &Node, d: &mut Diags) -> Vec<Topic> {
    r::entries(node, "notifications", d)
        .iter()
        .filter_map(|e| {
            let mut m = MapReader::new(&e.value, "topic", d)?;
            let email = m.take(&keys::TOPIC_EMAIL).map(|n| r::texts(n, "email", d)).unwrap_or_default();
            let webhook = m.take(&keys::TOPIC_WEBHOOK).map(|n| r::texts(n, "webhook", d)).unwrap_or_default();
            m.finish(d);
            Some(Topic { name: Spanned::new(e.key.clone(), e.key_span), email, webhook })
        })
        .collect()
}

/// The names under `environments:` (kept for `check` and the schema).
pub fn environment_names(environments: Option<&(Span, Node)>, d: &mut Diags) -> Vec<Spanned<String>> {
    environments
        .map(|(_, node)| {
            r::entries(node, "environments", d).iter().map(|e| Spanned::new(e.key.clone(), e.key_span)).collect()
        })
        .unwrap_or_default()
}
