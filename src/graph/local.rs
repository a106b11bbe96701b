//! The local target's parts, read from the `local.json` the emitter wrote (the run plan that
//! `pipec run --local` executes): the HTTP server, the durable log, each rule, the SQLite
//! store and its viewer page, each topic's console, outbox and webhooks, and the archive folder.

use serde_json::Value;

use super::model::{Graph, Kind};

/// The graph of `plan` (the emitted `local.json`), titled `title`.
///
/// # Errors
/// When the plan is not JSON.
pub fn graph(title: &str, plan: &[u8]) -> Result<Graph, String> {
    let plan: Value = serde_json::from_slice(plan).map_err(|e| format!("local.json is not JSON: {e}"))?;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    let runtime = &plan["runtime"];
    let data = text(&runtime["data_dir"]);
    let listen = text(&runtime["listen"]);
    let mut g = Graph::new(title);
    let engine = g.cluster("pipec run --local");
    let files = g.cluster(format!("files under {data}/"));
    let http = g.cluster(format!("HTTP on {listen}"));

    let server = g.node(
        Kind::Source,
        Some(http),
        "ingest API",
        vec!["POST /records (NDJSON)".into(), "POST / (Kinesis API)".into()],
    );
    let stream = &plan["stream"];
    let log = g.node(
        Kind::Stream,
        Some(files),
        format!("log of stream {}", text(&stream["name"])),
        vec![format!("shards {}", text(&stream["shards"])), "checkpoint per consumer".into()],
    );
    g.edge(server, log, Some("append"));
    let rules: Vec<(usize, &Value)> = plan["rules"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let mut lines = vec![match r.get("window") {
                Some(w) => format!("window {} s, arrival time", text(&w["tumbling_seconds"])),
                None => "per record".into(),
            }];
            lines.push(format!("when {}", text(&r["when"])));
            let node = g.node(Kind::Rule, Some(engine), format!("rule {}", text(&r["name"])), lines);
            g.edge(log, node, Some("hot consumer"));
            (node, r)
        })
        .collect();
    if let Some(store) = plan["store"].as_object() {
        let node =
            g.node(Kind::Store, Some(files), text(&store["file"]), vec![format!("table {}", text(&store["table"]))]);
        for (rule, r) in &rules {
            g.edge(*rule, node, Some(if r.get("window").is_some() { "window alerts" } else { "flagged" }));
        }
        let title = store["viewer"].get("title").map(text);
        let viewer = g.node(Kind::Viewer, Some(http), "GET / (viewer)", title.into_iter().collect());
        g.edge(node, viewer, None);
    }
    for topic in plan["topics"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let name = text(&topic["name"]);
        let node = g.node(Kind::Topic, Some(engine), format!("topic {name}"), vec!["console".into()]);
        for (rule, r) in &rules {
            if r["notify"].as_array().is_some_and(|n| n.iter().any(|t| t.as_str() == Some(&name))) {
                g.edge(*rule, node, Some("alerts"));
            }
        }
        let emails: Vec<String> =
            topic["email"].as_array().map(Vec::as_slice).unwrap_or_default().iter().map(text).collect();
        if !emails.is_empty() {
            let outbox = g.node(Kind::Subscriber, Some(files), "e-mail outbox", emails);
            g.edge(node, outbox, None);
        }
        for hook in topic["webhooks"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let sub = g.node(Kind::Subscriber, None, "webhook", vec![text(hook)]);
            g.edge(node, sub, Some("POST, retried"));
        }
    }
    if let Some(archive) = plan["archive"].as_object() {
        let node = g.node(
            Kind::Archive,
            Some(files),
            format!("{}/{}", text(&archive["folder"]), text(&archive["prefix"])),
            vec![
                format!("layout {}", text(&archive["layout"])),
                format!(
                    "{}, {} MiB / {} s",
                    text(&archive["compression"]),
                    text(&archive["buffer_mib"]),
                    text(&archive["interval_seconds"])
                ),
            ],
        );
        g.edge(log, node, Some("cold consumer"));
    }
    Ok(g)
}
