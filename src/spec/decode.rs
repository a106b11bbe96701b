//! YAML tree → [`Spec`]: shapes, types and units. Everything found is reported; meaning
//! (names resolve, limits hold, expressions type-check) is `check`'s job.

use super::model::{
    Alarms, Buffer, Cold, Compression, Encryption, Field, Hot, Key, Layout, Rule, RuleSeverity, Spanned, Spec, Store,
    Stream, Topic, Viewer, Window,
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
    let version = m.required("version", "1", d).and_then(|n| version(n, d));
    let name = m.required("name", "transactions", d).and_then(|n| r::text(n, d));
    let description = m.take("description").and_then(|n| r::text(n, d));
    let retain_data = m.take("retain_data").and_then(|n| r::boolean(n, d));
    // Split off by the overlay stage already; taken so that "known keys" lists it.
    m.take("environments");
    let stream = m.required("stream", "{ shards: 1, record: { id: string } }", d).and_then(|n| stream(n, d));
    let hot = m.take("hot").and_then(|n| hot(n, d));
    let cold = m.take("cold").and_then(|n| cold(n, d));
    let notifications = m.take("notifications").map(|n| topics(n, d)).unwrap_or_default();
    let alarms = m.take("alarms").and_then(|n| alarms(n, d));
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
        environments,
    })
}

fn alarms(node: &Node, d: &mut Diags) -> Option<Alarms> {
    let mut m = MapReader::new(node, "alarms", d)?;
    let enabled = m.take("enabled").and_then(|n| r::boolean(n, d));
    let topic = m.take("topic").and_then(|n| r::text(n, d));
    let iterator_age = m.take("iterator_age").and_then(|n| r::duration(n, d));
    let archive_freshness = m.take("archive_freshness").and_then(|n| r::duration(n, d));
    let function_errors = m.take("function_errors").and_then(|n| r::uint(n, 1, 1_000_000, d));
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
    let name = m.take("name").and_then(|n| r::text(n, d));
    let shards = m.take("shards").and_then(|n| r::uint(n, 0, u64::from(u32::MAX), d));
    let on_demand = m.take("on_demand").and_then(|n| r::boolean(n, d));
    let retention = m.take("retention").and_then(|n| r::duration(n, d));
    let encryption =
        m.take("encryption").and_then(|n| r::choice(n, &[("kms", Encryption::Kms), ("none", Encryption::None)], d));
    let timezone = m.take("timezone").and_then(|n| r::text(n, d));
    let record = m.required("record", "{ id: string, amount: int }", d).map(|n| record(n, d));
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
        let ty = m.required("type", "string", d).and_then(|n| r::text(n, d));
        let max_length = m.take("max_length").and_then(|n| r::uint(n, 1, 400_000, d)).map(|v| v.value);
        let required = m.take("required").and_then(|n| r::boolean(n, d)).is_none_or(|v| v.value);
        let description = m.take("description").and_then(|n| r::text(n, d)).map(|v| v.value);
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
    let engine = m.take("engine").and_then(|n| r::text(n, d));
    let event_time = m.take("event_time").and_then(|n| r::text(n, d));
    let allowed_lateness = m.take("allowed_lateness").and_then(|n| r::duration(n, d));
    let rules = m.take("rules").map(|n| r::items(n, "hot.rules", d).iter().filter_map(|n| rule(n, d)).collect());
    let store = m.take("store").and_then(|n| store(n, d));
    let span = m.span();
    m.finish(d);
    Some(Hot { engine, event_time, allowed_lateness, rules: rules.unwrap_or_default(), store, span })
}

fn rule(node: &Node, d: &mut Diags) -> Option<Rule> {
    let mut m = MapReader::new(node, "rule", d)?;
    let name = m.required("name", "high-transaction", d).and_then(|n| r::text(n, d));
    let description = m.take("description").and_then(|n| r::text(n, d));
    let when = m.required("when", "transaction > 9000", d).and_then(|n| r::expr(n, d));
    let window_node = m.take("window");
    let window = window_node.and_then(|n| window(n, d));
    let group_by = m.take("group_by").map(|n| r::texts(n, "group_by", d)).unwrap_or_default();
    let severity = m.take("severity").and_then(|n| {
        let choices = [
            ("low", RuleSeverity::Low),
            ("medium", RuleSeverity::Medium),
            ("high", RuleSeverity::High),
            ("critical", RuleSeverity::Critical),
        ];
        r::choice(n, &choices, d)
    });
    let notify = m.take("notify").map(|n| r::texts(n, "notify", d)).unwrap_or_default();
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
    let nodes = [m.take("tumbling"), m.take("sliding"), m.take("slide"), m.take("session")];
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
    let table = m.take("table").and_then(|n| r::text(n, d));
    let key = m.required("key", "{ partition: transactionId, sort: createdAt }", d).and_then(|n| key(n, d));
    let enrich = m
        .take("enrich")
        .map(|n| {
            r::entries(n, "enrich", d)
                .iter()
                .filter_map(|e| Some((Spanned::new(e.key.clone(), e.key_span), r::expr(&e.value, d)?)))
                .collect()
        })
        .unwrap_or_default();
    let viewer = m.take("viewer").and_then(|n| viewer(n, d));
    let span = m.span();
    m.finish(d);
    Some(Store { table, key: key?, enrich, viewer, span })
}

fn key(node: &Node, d: &mut Diags) -> Option<Key> {
    let mut m = MapReader::new(node, "key", d)?;
    let partition = m.required("partition", "transactionId", d).and_then(|n| r::text(n, d));
    let sort = m.take("sort").and_then(|n| r::text(n, d));
    let span = m.span();
    m.finish(d);
    Some(Key { partition: partition?, sort, span })
}

fn viewer(node: &Node, d: &mut Diags) -> Option<Viewer> {
    let mut m = MapReader::new(node, "viewer", d)?;
    let title = m.take("title").and_then(|n| r::text(n, d));
    let sort = m.take("sort").and_then(|n| r::text(n, d));
    let public = m.take("public").and_then(|n| r::boolean(n, d));
    m.finish(d);
    Some(Viewer { title, sort, public })
}

fn cold(node: &Node, d: &mut Diags) -> Option<Cold> {
    let mut m = MapReader::new(node, "cold", d)?;
    let prefix = m.take("prefix").and_then(|n| r::text(n, d));
    let error_prefix = m.take("error_prefix").and_then(|n| r::text(n, d));
    let compression = m
        .take("compression")
        .and_then(|n| r::choice(n, &[("gzip", Compression::Gzip), ("none", Compression::None)], d));
    let buffer = m.take("buffer").and_then(|n| buffer(n, d));
    let layout =
        m.take("layout").and_then(|n| r::choice(n, &[("hourly", Layout::Hourly), ("daily", Layout::Daily)], d));
    let span = m.span();
    m.finish(d);
    Some(Cold { prefix, error_prefix, compression, buffer, layout, span })
}

fn buffer(node: &Node, d: &mut Diags) -> Option<Buffer> {
    let mut m = MapReader::new(node, "buffer", d)?;
    let size = m.take("size").and_then(|n| r::size(n, d));
    let interval = m.take("interval").and_then(|n| r::duration(n, d));
    m.finish(d);
    Some(Buffer { size, interval })
}

fn topics(node: &Node, d: &mut Diags) -> Vec<Topic> {
    r::entries(node, "notifications", d)
        .iter()
        .filter_map(|e| {
            let mut m = MapReader::new(&e.value, "topic", d)?;
            let email = m.take("email").map(|n| r::texts(n, "email", d)).unwrap_or_default();
            let webhook = m.take("webhook").map(|n| r::texts(n, "webhook", d)).unwrap_or_default();
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
