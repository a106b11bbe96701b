//! `GET /metrics`: the engine's counters in the Prometheus text exposition format (0.0.4),
//! every family with `# HELP` and `# TYPE`. Counters count since this run started.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::App;
use crate::runtime::Snapshot;

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub(super) async fn metrics(State(app): State<App>) -> Response {
    let text = render(&app.handle.metrics(), app.handle.failed().is_some());
    let mut response = text.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// The exposition text.
#[must_use]
pub fn render(m: &Snapshot, failed: bool) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let counters: [(&str, &str, u64); 13] = [
        ("pipec_events_in_total", "Records appended to the log.", m.events_in),
        ("pipec_bytes_in_total", "Bytes of the records appended to the log.", m.bytes_in),
        ("pipec_rejected_total", "Records refused before the log (over the size limit).", m.rejected),
        ("pipec_hot_events_total", "Records decided by the hot path.", m.hot_events),
        ("pipec_flagged_total", "Records flagged by a per-record rule.", m.flagged),
        ("pipec_stored_total", "Rows newly written to the store.", m.stored),
        ("pipec_window_alerts_total", "Window alerts raised.", m.window_alerts),
        ("pipec_dead_letter_total", "Records written to the dead-letter file.", m.dead_lettered),
        ("pipec_archived_events_total", "Records in committed archive objects.", m.archived_events),
        ("pipec_archived_bytes_total", "Compressed bytes of committed archive objects.", m.archived_bytes),
        ("pipec_archived_objects_total", "Committed archive objects.", m.archived_objects),
        ("pipec_notifications_total", "Notifications delivered.", m.notifications),
        ("pipec_webhook_failures_total", "Webhook posts that failed every try.", m.webhook_failures),
    ];
    for (name, help, value) in counters {
        family(name, "counter", help, &[("", value)]);
    }
    family(
        "pipec_consumer_lag",
        "gauge",
        "Records appended but not yet processed, per consumer.",
        &[("{consumer=\"hot\"}", m.hot_lag), ("{consumer=\"cold\"}", m.cold_lag)],
    );
    family(
        "pipec_store_latency_microseconds",
        "gauge",
        "Event in to row stored, upper bound of the percentile's histogram bucket (within 12.5 %).",
        &[("{quantile=\"0.5\"}", m.store_latency_p50_us), ("{quantile=\"0.99\"}", m.store_latency_p99_us)],
    );
    family(
        "pipec_paused_parts",
        "gauge",
        "Parts that cannot write (disk full); intake is paused and they retry until it passes.",
        &[("", m.paused_parts)],
    );
    family(
        "pipec_engine_failed",
        "gauge",
        "1 when an engine worker stopped with an error.",
        &[("", u64::from(failed))],
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_has_help_and_type() {
        let text = render(&Snapshot { events_in: 7, hot_lag: 2, ..Snapshot::default() }, false);
        assert!(text.contains("pipec_events_in_total 7\n"));
        assert!(text.contains("pipec_consumer_lag{consumer=\"hot\"} 2\n"));
        let mut typed = std::collections::BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.insert(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(typed.contains(name), "{name} has no # TYPE before it");
            }
        }
    }
}
