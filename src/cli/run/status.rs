//! What `pipec run` shows while it runs, as pure functions of the counters: the live status
//! block on a terminal, the plain periodic line otherwise, and the per-topic alert summary.
//! Counters are this run's (the store and the archive keep earlier runs' data too).

use std::time::Duration;

use crate::diagnostic::render::{bytes, thousands};
use crate::runtime::Snapshot;

/// Everything the status block shows, taken at one moment.
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub pipeline: String,
    /// The viewer's URL once the server listens.
    pub viewer: Option<String>,
    pub elapsed: Duration,
    pub metrics: Snapshot,
    /// Events per second since the previous snapshot.
    pub rate: u64,
    /// The last alert summary ([`alerts`]), kept until the next one.
    pub alerts: Option<String>,
    /// A pipeline with an archive shows its counters.
    pub archive: bool,
}

/// The status block: a few lines, the viewer URL always among them.
#[must_use]
pub fn block(s: &Status) -> String {
    let m = &s.metrics;
    let mut lines = vec![format!(
        "pipec · {} · running {} · viewer {}",
        s.pipeline,
        clock(s.elapsed),
        s.viewer.as_deref().map_or_else(|| "starting…".to_owned(), |url| format!("{url}/"))
    )];
    lines.push(format!(
        "  this run   {} in ({}/s) · flagged {} · dead-lettered {}",
        count(m.events_in, "event", "events"),
        thousands(s.rate),
        thousands(m.flagged),
        thousands(m.dead_lettered)
    ));
    let mut lag = format!("  lag        hot {} · cold {}", thousands(m.hot_lag), thousands(m.cold_lag));
    if s.archive {
        lag.push_str(&format!(
            " · archived {} ({})",
            count(m.archived_objects, "object", "objects"),
            bytes(m.archived_bytes)
        ));
    }
    lines.push(lag);
    if m.paused_parts > 0 {
        lines.push(format!("  paused     {} cannot write (retrying)", count(m.paused_parts, "part", "parts")));
    }
    lines.push(format!("  alerts     {}", s.alerts.as_deref().unwrap_or("none yet")));
    lines.join("\n")
}

/// The plain line printed every few seconds when stderr is not a terminal.
#[must_use]
pub fn plain_line(m: &Snapshot, rate: u64, viewer: Option<&str>) -> String {
    format!(
        "pipec: this run: {} ({}/s) · flagged {} · archived {} · lag hot {} / cold {} · dead-lettered {}{}",
        count(m.events_in, "event", "events"),
        thousands(rate),
        thousands(m.flagged),
        count(m.archived_objects, "object", "objects"),
        thousands(m.hot_lag),
        thousands(m.cold_lag),
        thousands(m.dead_lettered),
        viewer.map_or_else(String::new, |url| format!(" · viewer {url}/"))
    )
}

/// `ops-email 12, webhook 3 in the last 5 s` (topics in the order first seen), or nothing when
/// no alert came. Printed as `alerts: ...`, and kept in the block.
#[must_use]
pub fn alerts(per_topic: &[(String, u64)], interval: Duration) -> Option<String> {
    if per_topic.is_empty() {
        return None;
    }
    let topics: Vec<String> = per_topic.iter().map(|(topic, n)| format!("{topic} {}", thousands(*n))).collect();
    Some(format!("{} in the last {}", topics.join(", "), clock(interval)))
}

/// `5 s`, `1m 05s`, `2h 03m`.
#[must_use]
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

pub fn rate(n: u64, elapsed: Duration) -> u64 {
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let r = (n as f64 / elapsed.as_secs_f64().max(1e-9)) as u64;
    r
}

/// `1 object`, `2 objects`, `1,000 objects`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Status {
        Status {
            pipeline: "transactions".into(),
            viewer: Some("http://127.0.0.1:4567".into()),
            elapsed: Duration::from_secs(65),
            metrics: Snapshot {
                events_in: 12_345,
                flagged: 1_234,
                dead_lettered: 1,
                archived_objects: 1,
                archived_bytes: 1_258_291,
                hot_lag: 0,
                cold_lag: 512,
                ..Snapshot::default()
            },
            rate: 101,
            alerts: alerts(&[("ops-email".into(), 12), ("webhook".into(), 3)], Duration::from_secs(5)),
            archive: true,
        }
    }

    #[test]
    fn the_block_keeps_the_viewer_and_every_counter_in_view() {
        insta::assert_snapshot!("running", block(&status()));
        let mut starting = Status { pipeline: "clicks".into(), ..Status::default() };
        starting.metrics.paused_parts = 1;
        insta::assert_snapshot!("starting_and_paused", block(&starting));
    }

    #[test]
    fn alerts_are_summarised_per_topic_in_order() {
        assert_eq!(alerts(&[], Duration::from_secs(5)), None);
        assert_eq!(
            alerts(&[("ops".into(), 1_200), ("hook".into(), 1)], Duration::from_secs(10)).as_deref(),
            Some("ops 1,200, hook 1 in the last 10 s")
        );
    }

    #[test]
    fn counts_say_one_thing_or_many_things() {
        assert_eq!(count(0, "object", "objects"), "0 objects");
        assert_eq!(count(1, "object", "objects"), "1 object");
        assert_eq!(count(1234, "new row", "new rows"), "1,234 new rows");
        assert_eq!(clock(Duration::from_secs(3725)), "1h 02m");
    }
}
