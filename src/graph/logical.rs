//! The pipeline as its author thinks of it, read from the IR: producers → stream → hot path
//! (each rule) → store, viewer and topics (each subscriber), and the cold path's archive.

use super::model::{Graph, Kind};
use crate::ir::{Capacity, Layout, Pipeline, RuleKind, WindowShape};

/// The logical diagram of `p`.
#[must_use]
pub fn logical(p: &Pipeline) -> Graph {
    let mut g = Graph::new(format!("pipeline {}", p.name));
    let ingest = g.cluster("ingest");
    let hot = (!p.rules.is_empty()).then(|| g.cluster("hot path"));
    let outputs = (p.store.is_some() || !p.topics.is_empty()).then(|| g.cluster("outputs"));
    let cold = p.archive.as_ref().map(|_| g.cluster("cold path"));

    let producers = g.node(Kind::Source, Some(ingest), "producers", vec!["PutRecord / PutRecords".into()]);
    let stream = g.node(Kind::Stream, Some(ingest), format!("stream {}", p.stream.name), stream_lines(p));
    g.edge(producers, stream, Some("records"));

    let rules: Vec<usize> = p
        .rules
        .iter()
        .map(|r| {
            let mut lines = vec![match &r.kind {
                RuleKind::PerRecord => "per record".to_string(),
                RuleKind::Windowed { seconds, group_by, shape } => {
                    let window = match shape {
                        WindowShape::Tumbling => format!("tumbling window {}", duration(*seconds)),
                        WindowShape::Sliding { slide_seconds } => {
                            format!("sliding window {} every {}", duration(*seconds), duration(*slide_seconds))
                        }
                        WindowShape::Session => format!("session window, gap {}", duration(*seconds)),
                    };
                    if group_by.is_empty() { window } else { format!("{window} by {}", group_by.join(", ")) }
                }
            }];
            lines.push(format!("when {}", r.source));
            lines.push(format!("severity {}", r.severity.name()));
            let node = g.node(Kind::Rule, hot, format!("rule {}", r.name), lines);
            g.edge(stream, node, None);
            node
        })
        .collect();

    let store = p.store.as_ref().map(|s| {
        let key =
            s.sort.as_ref().map_or_else(|| s.partition.name.clone(), |k| format!("{} + {}", s.partition.name, k.name));
        let mut lines = vec![format!("key {key}")];
        if !s.enrich.is_empty() {
            let names: Vec<&str> = s.enrich.iter().map(|e| e.name.as_str()).collect();
            lines.push(format!("enrich {}", names.join(", ")));
        }
        g.node(Kind::Store, outputs, format!("store {}", s.table), lines)
    });
    let windows = p
        .window_rules()
        .next()
        .map(|_| g.node(Kind::Store, outputs, "window alerts", vec!["one per rule, window and group".into()]));
    for (rule, &node) in p.rules.iter().zip(&rules) {
        if let (false, Some(store)) = (rule.is_windowed(), store) {
            g.edge(node, store, Some("flagged"));
        }
        if let (true, Some(windows)) = (rule.is_windowed(), windows) {
            g.edge(node, windows, Some("alerts"));
        }
    }
    if let Some(viewer) = p.store.as_ref().and_then(|s| s.viewer.as_ref()) {
        let mut lines = vec![viewer.title.clone()];
        if let Some((field, descending)) = &viewer.sort {
            lines.push(format!("sorted by {}{field}", if *descending { "-" } else { "" }));
        }
        lines.push(if viewer.public { "public URL" } else { "IAM-authenticated URL" }.into());
        let node = g.node(Kind::Viewer, outputs, "viewer", lines);
        for from in store.iter().chain(&windows) {
            g.edge(*from, node, None);
        }
    }

    for (index, topic) in p.topics.iter().enumerate() {
        let node = g.node(Kind::Topic, outputs, format!("topic {}", topic.name), Vec::new());
        for (rule, &from) in p.rules.iter().zip(&rules) {
            if rule.notify.iter().any(|t| t.0 == index) {
                g.edge(from, node, Some("alerts"));
            }
        }
        let subscribers = topic
            .emails
            .iter()
            .map(|e| ("e-mail", e))
            .chain(topic.webhooks.iter().chain(&topic.local_webhooks).map(|w| ("webhook", w)));
        for (what, target) in subscribers {
            let sub = g.node(Kind::Subscriber, outputs, what, vec![target.clone()]);
            g.edge(node, sub, None);
        }
    }

    if let (Some(a), Some(cold)) = (&p.archive, cold) {
        let layout = match a.layout {
            Layout::Hourly => "YYYY/MM/DD/HH/",
            Layout::Daily => "YYYY/MM/DD/",
        };
        let lines = vec![
            format!("buffer {} MiB / {} s", a.buffer_mib, a.interval_seconds),
            if a.gzip { "GZIP-compressed".into() } else { "not compressed".into() },
            format!("objects {}{layout}", a.prefix),
            format!("errors {}", a.error_prefix),
        ];
        let node = g.node(Kind::Archive, Some(cold), "archive", lines);
        g.edge(stream, node, Some("every record"));
    }
    g
}

fn stream_lines(p: &Pipeline) -> Vec<String> {
    let k = p.stream.kinesis();
    vec![
        match k.capacity {
            Capacity::Shards(1) => "1 shard".into(),
            Capacity::Shards(n) => format!("{n} shards"),
            Capacity::OnDemand => "on demand".into(),
        },
        format!("retention {} h", k.retention_hours),
        if k.encrypted { "KMS-encrypted".into() } else { "not encrypted".into() },
        format!("{} fields", p.stream.schema.fields.len()),
    ]
}

/// Seconds in the largest whole unit: `3600` → `1h`, `60` → `1m`, `90` → `90s`.
fn duration(seconds: u32) -> String {
    match seconds {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
