//! Event-time rules, as the `flink` engine decides them: the reference the Flink SQL of
//! [`crate::target::flink`] is tested against (`tests/flink_engine.rs`).
//!
//! Records are fed in the order they are read. Each record's event time is its
//! `hot.event_time` instant rounded down to the millisecond. The **watermark** is the greatest
//! event time seen so far minus `allowed_lateness`; a record is judged against the watermark of
//! the records before it (Flink emits a watermark after the record that raised it).
//!
//! * Per-record rules decide every valid record, late or not (a filter has no watermark).
//! * A window `[start, end)` fires once the watermark reaches `end - 1`; then its groups are
//!   decided with [`Program::eval_window`]. At the end of input every open window fires.
//! * A record is **late** for a windowed rule when the last window it belongs to has fired
//!   (tumbling: its window; sliding: the last window holding its slide, as Flink keeps a
//!   record whose slice still has a window to fire and counts it in that slice's windows that
//!   have not fired; session: the session it would join, after merging with the group's open
//!   sessions). Late records are left out of that rule's windows and reported with the
//!   reason, as Flink drops them.
//! * Sessions: a record opens `[t, t + gap)`; it merges with every open session of its group
//!   that it overlaps or touches (Flink's `TimeWindow.intersects`).
//!
//! The local runtime ([`super::decide::Decider`]) feeds records with their [`Origin`] (log
//! place and the watermark before their frame) and takes the fired windows with their
//! aggregates ([`EventTimeRules::take_closed`]). After a crash it resumes from the oldest open
//! window's first record with the watermark it had then ([`EventTimeRules::restart`]), and
//! replays the records decided before the crash with `replay` set: the watermark and windows
//! evolve exactly as they did, and what fires during the replay (decided before the crash, or
//! a window missing records before the resume point) is discarded.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::expr::timestamp::parse;
use crate::expr::value::format_timestamp_millis as text;
use crate::expr::{Accumulator, Program, RecordSchema};
use crate::ir::{Engine, Pipeline, RuleKind, WindowShape};

/// One decision that flagged.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Alert {
    /// A per-record rule flagged this record (its index in the input).
    Record { rule: String, index: usize },
    /// A windowed rule fired for one group and window (Unix milliseconds, end exclusive).
    Window { rule: String, start_ms: i64, end_ms: i64, group: String },
}

/// A record left out of a rule's windows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Late {
    pub index: usize,
    pub rule: String,
    pub reason: String,
}

/// Where a record came from: its place (sequence number and log offset of its frame) and the
/// watermark before its frame (where a replay from that frame starts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub seq: u64,
    pub offset: u64,
    pub watermark: Option<i64>,
}

/// A window that fired, with what decided it.
pub struct Closed {
    /// Index of the rule in `pipeline.rules`.
    pub rule: usize,
    pub start: i64,
    pub end: i64,
    pub group: Map<String, Json>,
    pub accumulators: Vec<Accumulator>,
    /// The [`Origin`] of the window's first record.
    pub first: Origin,
}

struct Open {
    start: i64,
    end: i64,
    group: Map<String, Json>,
    accumulators: Vec<Accumulator>,
    first: Origin,
}

struct WindowRule {
    rule: usize,
    name: String,
    program: Program,
    size: i64,
    shape: WindowShape,
    group_by: Vec<String>,
    /// Open windows by (group key text, start).
    open: BTreeMap<(String, i64), Open>,
}

/// The event-time engine of one pipeline on the flink engine.
pub struct EventTimeRules {
    field: String,
    lateness: i64,
    timezone: i32,
    record_rules: Vec<(String, Program)>,
    windows: Vec<WindowRule>,
    watermark: Option<i64>,
    fired: Vec<Closed>,
}

/// The event time of a valid record, in Unix milliseconds (rounded down).
#[must_use]
pub fn event_time_ms(record: &Map<String, Json>, field: &str, timezone: i32) -> Option<i64> {
    let ts = parse(record.get(field)?.as_str()?)?;
    Some(ts.unix_seconds(timezone) * 1000 + i64::from(ts.nanos / 1_000_000))
}

fn group_of(record: &Map<String, Json>, group_by: &[String]) -> (String, Map<String, Json>) {
    let group: Map<String, Json> =
        group_by.iter().map(|g| (g.clone(), record.get(g).cloned().unwrap_or(Json::Null))).collect();
    (Json::Object(group.clone()).to_string(), group)
}

impl EventTimeRules {
    /// The engine for `pipeline`, or `None` when it is not on the flink engine.
    #[must_use]
    pub fn new(pipeline: &Pipeline) -> Option<Self> {
        let Engine::Flink(event_time) = &pipeline.engine else { return None };
        let schema: &RecordSchema = &pipeline.stream.schema;
        let mut record_rules = Vec::new();
        let mut windows = Vec::new();
        for (index, rule) in pipeline.rules.iter().enumerate() {
            let program = Program::compile(&rule.when, schema);
            match &rule.kind {
                RuleKind::PerRecord => record_rules.push((rule.name.clone(), program)),
                RuleKind::Windowed { seconds, group_by, shape } => windows.push(WindowRule {
                    rule: index,
                    name: rule.name.clone(),
                    program,
                    size: i64::from(*seconds) * 1000,
                    shape: *shape,
                    group_by: group_by.clone(),
                    open: BTreeMap::new(),
                }),
            }
        }
        Some(Self {
            field: event_time.field.clone(),
            lateness: i64::try_from(event_time.allowed_lateness_ms).unwrap_or(i64::MAX),
            timezone: schema.timezone,
            record_rules,
            windows,
            watermark: None,
            fired: Vec::new(),
        })
    }

    /// The current watermark (Unix milliseconds), once a record was seen.
    #[must_use]
    pub fn watermark(&self) -> Option<i64> {
        self.watermark
    }

    /// Whether the pipeline has windowed rules.
    #[must_use]
    pub fn has_windows(&self) -> bool {
        !self.windows.is_empty()
    }

    /// Feeds one valid record (`index` names it in alerts). Returns the per-record alerts and
    /// the rules it was late for; windows that fire are collected for [`Self::take_fired`].
    pub fn feed(&mut self, index: usize, record: &Map<String, Json>) -> (Vec<Alert>, Vec<Late>) {
        let mut alerts = Vec::new();
        for (name, program) in &self.record_rules {
            if program.flags(record) {
                alerts.push(Alert::Record { rule: name.clone(), index });
            }
        }
        let origin = Origin { seq: index as u64, offset: 0, watermark: None };
        let late = self.feed_windows(origin, record, false);
        (alerts, late)
    }

    /// Forgets every open window and sets the watermark: how a run resumes from its checkpoint
    /// (the oldest open window's first frame, and the watermark before it).
    pub fn restart(&mut self, watermark: Option<i64>) {
        for rule in &mut self.windows {
            rule.open.clear();
        }
        self.fired.clear();
        self.watermark = watermark;
    }

    /// The origin of the oldest open window's first record (none open: `None`).
    #[must_use]
    pub fn held(&self) -> Option<Origin> {
        self.windows.iter().flat_map(|r| r.open.values().map(|w| w.first)).min_by_key(|o| (o.offset, o.seq))
    }

    /// Feeds one valid record to the windowed rules only; returns the rules it is late for.
    /// With `replay` (a record decided before a restart) nothing is reported late and what
    /// fires is discarded (see the module docs).
    pub fn feed_windows(&mut self, origin: Origin, record: &Map<String, Json>, replay: bool) -> Vec<Late> {
        let index = usize::try_from(origin.seq).unwrap_or(usize::MAX);
        let mut late = Vec::new();
        let Some(t) = event_time_ms(record, &self.field, self.timezone) else {
            return late;
        };
        let wm = self.watermark;
        let is_late = |end: i64| wm.is_some_and(|wm| end - 1 <= wm);
        for rule in &mut self.windows {
            let (key, group) = group_of(record, &rule.group_by);
            let reason = match rule.shape {
                WindowShape::Tumbling => {
                    let start = t.div_euclid(rule.size) * rule.size;
                    if is_late(start + rule.size) {
                        Some(format!("window ending {} already closed", text(start + rule.size)))
                    } else {
                        rule.feed_into(&key, &group, (start, start + rule.size), origin, record);
                        None
                    }
                }
                WindowShape::Sliding { slide_seconds } => {
                    let slide = i64::from(slide_seconds) * 1000;
                    let slice_end = t.div_euclid(slide) * slide + slide;
                    let last_end = slice_end - slide + rule.size;
                    if is_late(last_end) {
                        Some(format!("window ending {} already closed", text(last_end)))
                    } else {
                        // Flink keeps a record whose slice still has a window to fire: it counts
                        // in every window of its slice that has not fired yet.
                        let mut start = slice_end - rule.size;
                        while start <= t {
                            if !is_late(start + rule.size) {
                                rule.feed_into(&key, &group, (start, start + rule.size), origin, record);
                            }
                            start += slide;
                        }
                        None
                    }
                }
                WindowShape::Session => rule.session(&key, &group, (t, origin), record, is_late),
            };
            if let Some(reason) = reason.filter(|_| !replay) {
                late.push(Late {
                    index,
                    rule: rule.name.clone(),
                    reason: format!("late for rule `{}`: {reason} (watermark {})", rule.name, text(wm.unwrap_or(0))),
                });
            }
        }
        let candidate = t.saturating_sub(self.lateness);
        if self.watermark.is_none_or(|wm| candidate > wm) {
            self.watermark = Some(candidate);
            let before = self.fired.len();
            self.fire(|end| end - 1 <= candidate);
            if replay {
                self.fired.truncate(before);
            }
        }
        late
    }

    /// Fires every open window (the end of input).
    pub fn finish(&mut self) {
        self.fire(|_| true);
    }

    /// The windowed alerts fired so far, in firing order.
    pub fn take_fired(&mut self) -> Vec<Alert> {
        let names: Vec<(usize, &str)> = self.windows.iter().map(|r| (r.rule, r.name.as_str())).collect();
        let name = |rule: usize| names.iter().find(|(i, _)| *i == rule).map_or("", |(_, n)| *n).to_owned();
        std::mem::take(&mut self.fired)
            .into_iter()
            .map(|c| Alert::Window {
                rule: name(c.rule),
                start_ms: c.start,
                end_ms: c.end,
                group: Json::Object(c.group).to_string(),
            })
            .collect()
    }

    /// The windows fired so far whose condition holds, in firing order, with their aggregates.
    pub fn take_closed(&mut self) -> Vec<Closed> {
        std::mem::take(&mut self.fired)
    }

    fn fire(&mut self, due: impl Fn(i64) -> bool) {
        for rule in &mut self.windows {
            let keys: Vec<(String, i64)> =
                rule.open.iter().filter(|(_, w)| due(w.end)).map(|(k, _)| k.clone()).collect();
            let mut closing: Vec<Open> = keys.iter().filter_map(|k| rule.open.remove(k)).collect();
            closing.sort_by_key(|w| (w.end, w.start));
            for w in closing {
                if rule.program.eval_window(&w.group, &w.accumulators).is_true() {
                    self.fired.push(Closed {
                        rule: rule.rule,
                        start: w.start,
                        end: w.end,
                        group: w.group,
                        accumulators: w.accumulators,
                        first: w.first,
                    });
                }
            }
        }
    }
}

impl WindowRule {
    fn feed_into(
        &mut self,
        key: &str,
        group: &Map<String, Json>,
        (start, end): (i64, i64),
        origin: Origin,
        record: &Map<String, Json>,
    ) {
        let program = &self.program;
        let w = self.open.entry((key.to_owned(), start)).or_insert_with(|| Open {
            start,
            end,
            group: group.clone(),
            accumulators: program.accumulators(),
            first: origin,
        });
        Program::feed(&mut w.accumulators, record);
    }

    /// Joins a record to its group's sessions; the reason when it is late.
    fn session(
        &mut self,
        key: &str,
        group: &Map<String, Json>,
        (t, origin): (i64, Origin),
        record: &Map<String, Json>,
        is_late: impl Fn(i64) -> bool,
    ) -> Option<String> {
        let (mut start, mut end) = (t, t + self.size);
        let touching: Vec<(String, i64)> = self
            .open
            .range((key.to_owned(), i64::MIN)..=(key.to_owned(), i64::MAX))
            .filter(|(_, w)| w.start <= end && w.end >= start)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &touching {
            let w = &self.open[k];
            start = start.min(w.start);
            end = end.max(w.end);
        }
        if is_late(end) {
            return Some(format!("session ending {} already closed", text(end)));
        }
        let mut merged = self.program.accumulators();
        let mut first = origin;
        for k in &touching {
            if let Some(w) = self.open.remove(k) {
                merged = merge(merged, w.accumulators);
                first = std::cmp::min_by_key(first, w.first, |o| (o.offset, o.seq));
            }
        }
        Program::feed(&mut merged, record);
        self.open
            .insert((key.to_owned(), start), Open { start, end, group: group.clone(), accumulators: merged, first });
        None
    }
}

/// Two sessions' accumulators as one (records of the earlier session first).
fn merge(into: Vec<Accumulator>, from: Vec<Accumulator>) -> Vec<Accumulator> {
    into.into_iter().zip(from).map(|(a, b)| a.merged(b)).collect()
}
