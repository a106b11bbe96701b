//! The run plan: the pipeline as the runtime sees it (rules with their kind and topics, store,
//! archive layout, topics) plus the run-time settings. `run` writes it to `<data dir>/run.json`;
//! `pipec build --target local` writes the same document with the defaults.

use serde_json::{Value, json};

use super::Config;
use crate::ir::{Capacity, Layout, Pipeline, RuleKind};

/// The run plan of `pipeline` under `config`.
#[must_use]
pub fn plan(pipeline: &Pipeline, config: &Config) -> Value {
    let topic = |id: &crate::ir::TopicId| pipeline.topics[id.0].name.clone();
    let rules: Vec<Value> = pipeline
        .rules
        .iter()
        .map(|r| {
            let mut rule = json!({
                "name": r.name,
                "when": r.source,
                "severity": r.severity.name(),
                "notify": r.notify.iter().map(topic).collect::<Vec<_>>(),
            });
            if let RuleKind::Windowed { seconds, group_by, .. } = &r.kind {
                rule["window"] = json!({ "tumbling_seconds": seconds, "time": "arrival", "group_by": group_by });
            }
            rule
        })
        .collect();
    let stream = &pipeline.stream;
    json!({
        "version": 1,
        "pipeline": pipeline.name,
        "stream": {
            "name": stream.name,
            "shards": match stream.kinesis().capacity { Capacity::Shards(n) => json!(n), Capacity::OnDemand => json!("on_demand") },
            "retention_hours": stream.kinesis().retention_hours,
            "record": stream.schema.fields.iter().map(|f| json!({
                "name": f.name, "type": f.ty.name(), "required": f.required, "max_length": f.max_length,
            })).collect::<Vec<_>>(),
        },
        "rules": rules,
        "store": pipeline.store.as_ref().map(|s| json!({
            "table": s.table,
            "file": "store.sqlite",
            "partition": s.partition.name,
            "sort": s.sort.as_ref().map(|k| &k.name),
            "enrich": s.enrich.iter().map(|e| json!({ "name": e.name, "expr": e.source })).collect::<Vec<_>>(),
            "viewer": s.viewer.as_ref().map(|v| json!({
                "title": v.title,
                "sort": v.sort.as_ref().map(|(f, desc)| format!("{}{f}", if *desc { "-" } else { "" })),
            })),
        })),
        "archive": pipeline.archive.as_ref().map(|a| json!({
            "folder": "archive",
            "prefix": a.prefix,
            "compression": if a.gzip { "gzip" } else { "none" },
            "buffer_mib": a.buffer_mib,
            "interval_seconds": a.interval_seconds,
            "layout": match a.layout { Layout::Hourly => "YYYY/MM/DD/HH/", Layout::Daily => "YYYY/MM/DD/" },
        })),
        "topics": pipeline.topics.iter().map(|t| json!({
            "name": t.name,
            "email": t.emails,
            "webhooks": t.webhooks.iter().chain(&t.local_webhooks).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "runtime": config,
    })
}
