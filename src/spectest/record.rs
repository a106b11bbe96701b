//! Scaffolding: a test file holding some events and everything the spec decides on them today
//! (flags, rows, alerts, dead letters, window decisions), for review. It is written so that
//! `pipec test` passes on it, and fails once the rules decide otherwise. Deterministic: the same
//! events, spec and `now` give the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value as Json, json};

use super::model::{Case, Event, Expect};
use super::outcome::Outcome;
use super::yaml_out::{flow, text};
use crate::expr::value::format_timestamp_millis;
use crate::ir::Pipeline;

/// A test file (YAML text) for the NDJSON `events` (blank lines skipped; events are named by
/// their line), run at `now_ms`; `label` names where the events came from.
#[must_use]
pub fn record(pipeline: &Pipeline, events: &[u8], label: &str, now_ms: i64) -> String {
    let mut case = Case {
        name: format!("recorded from {label}"),
        name_span: crate::diagnostic::Span::default(),
        now_ms,
        events: Vec::new(),
        refs: BTreeMap::new(),
        expect: Expect::default(),
    };
    let mut lines = Vec::new();
    for line in events.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // A JSON object is written as a readable `record:` (sent as its compact JSON, which
        // every target decides as the original line); anything else as the exact `raw:` text.
        let entry = match serde_json::from_slice::<Map<String, Json>>(line) {
            Ok(map) => {
                (format!("record: {}", flow(&Json::Object(map.clone()))), Json::Object(map).to_string().into_bytes())
            }
            Err(_) => (format!("raw: {}", text(&String::from_utf8_lossy(line))), line.to_vec()),
        };
        let reference = (case.events.len() + 1).to_string();
        case.refs.insert(reference.clone(), vec![case.events.len()]);
        case.events.push(Event { bytes: entry.1, arrival_ms: now_ms, reference });
        lines.push(entry.0);
    }
    let outcome = super::local::evaluate(pipeline, &case);
    let mut out = format!(
        "# Recorded by `pipec test --record {label}`: what the spec `{}` decides\n\
         # on these events today. Review every expectation before you keep it; the README's\n\
         # \"Testing rules\" section explains the format.\n",
        pipeline.name
    );
    let _ = writeln!(out, "now: {}", text(&format_timestamp_millis(now_ms)));
    out.push_str("tests:\n");
    let _ = writeln!(out, "  - name: {}", text(&case.name));
    out.push_str("    events:\n");
    for line in &lines {
        let _ = writeln!(out, "      - {line}");
    }
    out.push_str("    expect:\n");
    expectations(pipeline, &case, &outcome, &mut out);
    out
}

fn expectations(pipeline: &Pipeline, case: &Case, outcome: &Outcome, out: &mut String) {
    let flagged: Vec<(usize, &Vec<String>)> =
        outcome.flagged.iter().enumerate().filter(|(_, r)| !r.is_empty()).collect();
    section(out, "flagged", flagged.is_empty(), "{}");
    for (i, rules) in flagged {
        let _ = writeln!(out, "        {}: {}", case.events[i].reference, flow(&json!(rules)));
    }
    if pipeline.store.is_some() {
        section(out, "stored", outcome.stored.is_empty(), "[]");
        for row in &outcome.stored {
            let _ = writeln!(out, "        - {}", flow(&Json::Object(row.clone())));
        }
    }
    section(out, "alerts", outcome.alerts.is_empty(), "{}");
    let keys = pipeline.store_key_names();
    for topic in &pipeline.topics {
        let sent: Vec<_> = outcome.alerts.iter().filter(|a| a.topic == topic.name).collect();
        if sent.is_empty() {
            continue;
        }
        let _ = writeln!(out, "        {}:", text(&topic.name));
        for alert in sent {
            // The subject and what tells alerts apart: the record's key, or the window's group.
            let mut shown = Map::new();
            shown.insert("subject".into(), json!(alert.subject));
            if let Some(record) = alert.message.get("record").and_then(Json::as_object) {
                let key: Map<String, Json> = if keys.is_empty() {
                    record.clone()
                } else {
                    keys.iter().filter_map(|k| record.get(*k).map(|v| ((*k).to_owned(), v.clone()))).collect()
                };
                shown.insert("record".into(), Json::Object(key));
            }
            for field in ["window", "group"] {
                if let Some(value) = alert.message.get(field) {
                    shown.insert(field.into(), value.clone());
                }
            }
            let _ = writeln!(out, "          - {}", flow(&Json::Object(shown)));
        }
    }
    section(out, "dead_letters", outcome.dead_letters.iter().all(Option::is_none), "[]");
    for (i, reason) in outcome.dead_letters.iter().enumerate() {
        if let Some(reason) = reason {
            // The JSON parser's own words differ between targets; the start does not.
            let reason = if reason.starts_with("not JSON") { "not JSON" } else { reason };
            let _ =
                writeln!(out, "        - {}", flow(&json!({ "event": case.events[i].reference, "reason": reason })));
        }
    }
    if pipeline.window_rules().next().is_some() {
        section(out, "windows", outcome.windows.is_empty(), "[]");
        for w in &outcome.windows {
            let value = json!({ "rule": w.rule, "group": w.group, "start": w.start, "end": w.end, "aggregates": w.aggregate_map() });
            let _ = writeln!(out, "        - {}", flow(&value));
        }
    }
}

fn section(out: &mut String, name: &str, empty: bool, none: &str) {
    if empty {
        let _ = writeln!(out, "      {name}: {none}");
    } else {
        let _ = writeln!(out, "      {name}:");
    }
}
