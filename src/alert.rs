//! The one alert format, on every target: one message per alert (per flagged record and rule,
//! per window decision), the same subject and the same JSON body whether SNS (e-mail, webhook)
//! or the local runtime (console, e-mail outbox, webhook) delivers it. The generated handlers
//! build the same text (`targets/lambda/limits.py`).
//!
//! * Subject: `[severity] pipeline: rule`, cut to SNS's 100 characters.
//! * Record alert: `{"pipeline", "rule", "severity", "condition", "record"}` where `record` is
//!   the stored item (declared fields and enrichments).
//! * Window alert: `{"pipeline", "rule", "severity", "condition", "window": {"start", "end"},
//!   "group", "aggregates": [{"aggregate", "value"}]}`.
//! * A record alert over [`MESSAGE_BYTES`] of compact JSON keeps only the table key fields in
//!   `record` and gets `"truncated": true`: the full row is in the table.
//! * A window alert over [`MESSAGE_BYTES`] (a group-by value of hundreds of KB) keeps each
//!   group value that is a string cut to its first [`GROUP_VALUE_CHARS`] characters (or, when
//!   even that is too long, no group values) and gets `"truncated": true`. The stored window
//!   decision holds the same group as its alert, so it fits DynamoDB's 400 KB item too.
//!
//! So every alert fits SNS, and the truncation is the same on every target.

use serde_json::{Map, Value as Json, json};

use crate::limits::{GROUP_VALUE_CHARS, MESSAGE_BYTES, SUBJECT_CHARS};

/// The subject of every alert's message.
#[must_use]
pub fn subject(pipeline: &str, severity: &str, rule: &str) -> String {
    format!("[{severity}] {pipeline}: {rule}").chars().take(SUBJECT_CHARS).collect()
}

/// A message's JSON text, as `Display` writes it but through serde_json's own writer (the
/// formatter's adapter costs about twice as much, once per alert).
fn text_of(message: &Json) -> String {
    serde_json::to_string(message).expect("a JSON value with string keys always serializes")
}

/// What every alert starts with.
fn head(pipeline: &str, rule: &crate::ir::Rule) -> Map<String, Json> {
    let head = json!({
        "pipeline": pipeline,
        "rule": rule.name,
        "severity": rule.severity.name(),
        "condition": rule.source,
    });
    let Json::Object(map) = head else { unreachable!("an object literal") };
    map
}

/// A flagged record's alert, as [`head`] and the record would serialize as one object, written
/// from borrowed parts (no copy of the record per alert).
#[derive(serde::Serialize)]
struct RecordAlert<'a> {
    pipeline: &'a str,
    rule: &'a str,
    severity: &'a str,
    condition: &'a str,
    record: &'a Map<String, Json>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    truncated: bool,
}

/// A flagged record's alert; `keys` are the table's key fields (kept when truncating).
#[must_use]
pub fn record_message(pipeline: &str, rule: &crate::ir::Rule, record: &Map<String, Json>, keys: &[&str]) -> String {
    let message = |record, truncated| {
        let alert = RecordAlert {
            pipeline,
            rule: &rule.name,
            severity: rule.severity.name(),
            condition: &rule.source,
            record,
            truncated,
        };
        serde_json::to_string(&alert).expect("a JSON object with string keys always serializes")
    };
    let full = message(record, false);
    if full.len() <= MESSAGE_BYTES {
        return full;
    }
    let kept: Map<String, Json> =
        keys.iter().filter_map(|k| record.get(*k).map(|v| ((*k).to_string(), v.clone()))).collect();
    message(&kept, true)
}

/// A window decision's alert.
#[must_use]
pub fn window_message(
    pipeline: &str,
    rule: &crate::ir::Rule,
    window: (&str, &str),
    group: &Map<String, Json>,
    aggregates: &[Json],
) -> String {
    let build = |group: Map<String, Json>, truncated: bool| {
        let mut message = head(pipeline, rule);
        message.insert("window".into(), json!({ "start": window.0, "end": window.1 }));
        message.insert("group".into(), Json::Object(group));
        message.insert("aggregates".into(), Json::Array(aggregates.to_vec()));
        if truncated {
            message.insert("truncated".into(), Json::Bool(true));
        }
        text_of(&Json::Object(message))
    };
    let full = build(group.clone(), false);
    if full.len() <= MESSAGE_BYTES {
        return full;
    }
    let cut = group
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Json::String(s) => Json::String(s.chars().take(GROUP_VALUE_CHARS).collect()),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect();
    let shortened = build(cut, true);
    if shortened.len() <= MESSAGE_BYTES { shortened } else { build(Map::new(), true) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Rule, RuleKind, Severity};

    fn rule() -> Rule {
        Rule {
            name: "big".into(),
            description: None,
            severity: Severity::High,
            when: crate::expr::parse("1 = 1").unwrap(),
            source: "1 = 1".into(),
            kind: RuleKind::PerRecord,
            notify: Vec::new(),
        }
    }

    #[test]
    fn subject_is_cut_to_sns_limit() {
        assert_eq!(subject("p", "high", "r"), "[high] p: r");
        assert_eq!(subject("p", "high", &"r".repeat(200)).chars().count(), SUBJECT_CHARS);
    }

    #[test]
    fn oversized_window_groups_are_cut() {
        let group = json!({ "user": "u".repeat(MESSAGE_BYTES), "n": 5 });
        let aggregates = vec![json!({ "aggregate": "count(*)", "value": 7 })];
        let text = window_message("p", &rule(), ("a", "b"), group.as_object().unwrap(), &aggregates);
        let message: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(message["group"], json!({ "user": "u".repeat(GROUP_VALUE_CHARS), "n": 5 }));
        assert_eq!((message["truncated"].clone(), message["aggregates"].clone()), (json!(true), json!(aggregates)));
        let wide: Map<String, Json> = (0..300).map(|i| (format!("g{i}"), json!("é".repeat(1000)))).collect();
        let text = window_message("p", &rule(), ("a", "b"), &wide, &aggregates);
        let message: Json = serde_json::from_str(&text).unwrap();
        assert_eq!((message["group"].clone(), message["truncated"].clone()), (json!({}), json!(true)));
    }

    #[test]
    fn oversized_records_keep_their_keys() {
        let record = json!({ "id": "k1", "note": "x".repeat(MESSAGE_BYTES) });
        let text = record_message("p", &rule(), record.as_object().unwrap(), &["id"]);
        let message: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(
            message,
            json!({ "pipeline": "p", "rule": "big", "severity": "high", "condition": "1 = 1",
                    "record": { "id": "k1" }, "truncated": true })
        );
        let record = json!({ "id": "k1", "note": "small", "n": 1.5, "z": null });
        let text = record_message("p", &rule(), record.as_object().unwrap(), &["id"]);
        let mut whole = head("p", &rule());
        whole.insert("record".into(), record);
        assert_eq!(text, text_of(&Json::Object(whole)), "the head's keys, then the record, byte for byte");
    }
}
