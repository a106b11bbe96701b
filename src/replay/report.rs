//! What a replay found: totals, per rule counts and examples, dead letters, and, with an old
//! spec, per rule differences. Plain data (serialized as is by `--format json`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json};

/// The whole report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The archive as named.
    pub archive: String,
    /// Objects read, and those left out by `--from/--to`.
    pub objects: u64,
    pub objects_skipped: u64,
    /// Stored (compressed) bytes read.
    pub bytes: u64,
    /// Records found in the objects (valid or not).
    pub records: u64,
    /// Records the rules decided (the valid ones).
    pub decided: u64,
    /// Records flagged by at least one rule and storable (what `run` would store, before its
    /// one row per table key).
    pub flagged: u64,
    /// Arrival times of the first and last object read (epoch ms), when known.
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub rules: Vec<RuleReport>,
    pub dead_letters: DeadLetters,
    /// Objects that could not be read to the end (corrupt gzip, read error): the records
    /// before the fault were replayed.
    pub object_errors: Vec<ObjectError>,
    /// Per rule differences against the old spec (`--against`).
    pub against: Option<Vec<RuleDiff>>,
}

/// One rule's results.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleReport {
    pub name: String,
    /// `record` or `window`.
    pub kind: &'static str,
    /// Records the rule saw (every decided record).
    pub seen: u64,
    /// Records it flagged (a per-record rule) or window groups it fired (a windowed rule).
    pub flagged: u64,
    /// Records it matched that were dead-lettered instead of stored (empty key, over the
    /// store's limits).
    pub dead_letters: u64,
    /// The first few flagged items (stored rows) or window decisions.
    pub examples: Vec<Json>,
}

/// Records that would be dead-lettered.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DeadLetters {
    pub count: u64,
    /// Count per reason, cut after the first `:` detail so similar reasons group.
    pub reasons: BTreeMap<String, u64>,
    pub examples: Vec<DeadLetter>,
}

/// One dead letter.
#[derive(Clone, Debug, Serialize)]
pub struct DeadLetter {
    pub object: String,
    /// Place of the record in its object (0-based).
    pub index: u64,
    pub reason: String,
    pub bytes: u64,
    /// The record as text (lossy UTF-8).
    pub record: String,
}

/// An object that could not be read to the end.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectError {
    pub object: String,
    pub error: String,
}

/// How one rule's decisions changed from the old spec to the new one (rules matched by name;
/// a rule in only one spec counts all its decisions as new or gone).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleDiff {
    pub name: String,
    /// `both`, `new` (only in the new spec) or `old` (only in the old one).
    pub status: &'static str,
    /// Records (or window groups) the new spec flags and the old one did not.
    pub newly_flagged: u64,
    /// Records (or window groups) the old spec flagged and the new one does not.
    pub no_longer_flagged: u64,
    pub newly_examples: Vec<Json>,
    pub no_longer_examples: Vec<Json>,
}

impl RuleDiff {
    pub(super) fn add(&mut self, newly: bool, example: impl FnOnce() -> Json, keep: usize) {
        let (count, examples) = if newly {
            (&mut self.newly_flagged, &mut self.newly_examples)
        } else {
            (&mut self.no_longer_flagged, &mut self.no_longer_examples)
        };
        *count += 1;
        if examples.len() < keep {
            examples.push(example());
        }
    }
}

impl DeadLetters {
    pub(super) fn add(&mut self, letter: DeadLetter, keep: usize) {
        self.count += 1;
        let group = letter.reason.split_once(": ").map_or(letter.reason.as_str(), |(head, _)| head);
        *self.reasons.entry(group.to_owned()).or_default() += 1;
        if self.examples.len() < keep {
            self.examples.push(letter);
        }
    }
}

/// A window decision as an example: rule window, group and aggregates.
#[must_use]
pub fn window_example(start: i64, end: i64, group: &Map<String, Json>, aggregates: &[Json]) -> Json {
    use crate::expr::value::format_timestamp_millis as ts;
    serde_json::json!({ "window": { "start": ts(start), "end": ts(end) }, "group": group, "aggregates": aggregates })
}
