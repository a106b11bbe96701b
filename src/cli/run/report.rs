//! The run's description when it starts (where everything is) and its summary when it ends.

use std::time::Duration;

use super::status::{count, rate};
use crate::diagnostic::render::{bytes, thousands};
use crate::runtime::session::Input;
use crate::runtime::{Handle, Snapshot};

pub fn describe(handle: &Handle, input: &Input) {
    let p = handle.paths();
    let pipeline = handle.pipeline();
    eprintln!("pipec: running `{}` locally, data in {}", pipeline.name, p.root.display());
    match input {
        Input::File(path) => eprintln!("  input      {} (NDJSON)", path.display()),
        Input::Stdin => eprintln!("  input      stdin (NDJSON)"),
        Input::Generate(Some(r)) => eprintln!("  input      generator, {r} events/s"),
        Input::Generate(None) => eprintln!("  input      generator, as fast as possible"),
        Input::Http => eprintln!("  input      HTTP only (POST /records, Kinesis PutRecord/PutRecords)"),
    }
    eprintln!("  log        {}", p.log.display());
    if let Some(store) = &pipeline.store {
        eprintln!("  store      {} (SQLite, table \"{}\")", p.store.display(), store.table);
    }
    if let Some(archive) = &pipeline.archive {
        eprintln!("  archive    {}", p.archive.join(&archive.prefix).display());
    }
    eprintln!("  dead-letter {}", p.dead_letter.display());
    if pipeline.topics.iter().any(|t| !t.emails.is_empty()) {
        eprintln!("  e-mail     {}", p.outbox.display());
    }
}

pub fn summary(handle: &Handle, m: &Snapshot, elapsed: Duration) {
    let p = handle.paths();
    let pipeline = handle.pipeline();
    eprintln!(
        "pipec: done in {:.1} s; this run: {} in ({}/s)",
        elapsed.as_secs_f64(),
        count(m.events_in, "event", "events"),
        thousands(rate(m.events_in, elapsed))
    );
    match &pipeline.store {
        Some(store) => eprintln!(
            "  flagged       {} ({} in table \"{}\", {})",
            thousands(m.flagged),
            count(m.stored, "new row", "new rows"),
            store.table,
            p.store.display()
        ),
        None => eprintln!("  flagged       {} (notified only: the spec has no store)", thousands(m.flagged)),
    }
    if m.window_alerts > 0 {
        eprintln!("  window alerts {}", thousands(m.window_alerts));
    }
    if let Some(archive) = &pipeline.archive {
        eprintln!(
            "  archived      {}, {}, {} ({})",
            count(m.archived_events, "event", "events"),
            count(m.archived_objects, "object", "objects"),
            bytes(m.archived_bytes),
            p.archive.join(&archive.prefix).display()
        );
    }
    eprintln!("  dead-lettered {} ({})", thousands(m.dead_lettered), p.dead_letter.display());
    if m.webhook_failures > 0 {
        eprintln!(
            "  webhooks      {} ({})",
            count(m.webhook_failures, "failed delivery", "failed deliveries"),
            p.webhook_dead_letter.display()
        );
    }
    if m.stored > 0 {
        eprintln!(
            "  latency       event in → row stored: p50 ≤ {} ms, p99 ≤ {} ms",
            m.store_latency_p50_us.div_ceil(1000),
            m.store_latency_p99_us.div_ceil(1000)
        );
    }
}
