//! What the spec decides about records: the one implementation of the hot path's logic, pure
//! and IO-free, used by the local runtime ([`super::hot`]), `pipec test` and `pipec replay`.
//!
//! A [`Decider`] is built once from the [`Pipeline`] (each rule and enrichment compiled once).
//! Give it each raw record in arrival order with its arrival time ([`At`]) and a pinned `now`
//! (what `now()` returns in rules and enrichments):
//!
//! ```text
//! let mut d = Decider::new(pipeline);
//! for (i, (bytes, arrival_ms)) in events.enumerate() {
//!     let at = At { arrival_ms, seq: i as u64, offset: 0 };
//!     let Decision { verdict, closed } = d.decide(bytes, at, now);
//!     // closed: windows this arrival closed (it started a later window), decided *before*
//!     // the record fed the new one; verdict: the record's own fate.
//! }
//! let last: Vec<WindowClose> = d.close_windows(i64::MAX); // end of input: decide every window
//! ```
//!
//! * [`Verdict::Invalid`]: not a JSON object or not the schema → dead letter with the reason.
//! * [`Verdict::Passed`]: no per-record rule matched.
//! * [`Verdict::Refused`]: rules matched but the store cannot take the item (an empty key
//!   value, or what DynamoDB refuses, see [`crate::limits`]) → dead letter with the reason.
//! * [`Verdict::Flagged`]: the matched rules and the item to store (the declared fields that
//!   are present and not null, then the enrichments that are not null).
//!
//! Windowed rules are fed every valid record; a window `[start, start + length)` (aligned to
//! the epoch, on arrival time) closes when a record arrives in a later window, or by
//! [`Decider::close_windows`] up to a cutoff. A closed window reports the groups whose
//! condition holds, sorted by group key, with their aggregates and the alert message.
//! The alerts a decision produces: [`Decider::record_alerts`], [`Decider::window_alert`].
//!
//! On the flink engine (`hot.engine: flink`) windows are in event time instead, decided by
//! [`super::event_time`]: a window fires once the watermark (the greatest event time seen
//! minus `allowed_lateness`) passes its end, [`Decider::close_windows`] with `i64::MAX` fires
//! the rest (the end of a bounded input), any other cutoff fires nothing (the watermark only
//! moves with records, as on Flink), and a record late for a rule is reported in
//! [`Decision::late`] (left out of that rule's windows, as Flink drops it). Each fired window
//! comes as its own [`WindowClose`] with the one group it fired for.

use std::collections::HashMap;

use serde_json::{Map, Value as Json, json};

use super::event_time::{EventTimeRules, Origin};
use super::notify::{Alert, record_alerts};
use super::parse::{parse, parse_into};
use crate::expr::value::format_timestamp_millis;
use crate::expr::{Accumulator, Program, ValueType, validate};
use crate::ir::{Pipeline, RuleKind};

/// Where a record arrived: its arrival time (epoch ms) and its place in its source (the log's
/// sequence number and frame offset in the runtime; any increasing number elsewhere). A window
/// remembers its first record's place ([`WindowClose::first_seq`], [`Decider::held_offset`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct At {
    pub arrival_ms: i64,
    pub seq: u64,
    pub offset: u64,
}

/// A record's own fate (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Invalid { reason: String },
    Passed,
    Refused { rules: Vec<usize>, reason: String },
    Flagged { rules: Vec<usize>, item: Map<String, Json> },
}

/// What one record decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    /// Windows closed by this record's arrival, before it fed the next ones.
    pub closed: Vec<WindowClose>,
    /// Flink engine: why the record is late for some windowed rules (left out of their
    /// windows; the runtime dead-letters it with this reason). `None` when on time.
    pub late: Option<String>,
}

/// A closed window of one rule.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowClose {
    /// Index in `pipeline.rules`.
    pub rule: usize,
    /// `[start, end)`, epoch ms of arrival.
    pub start: i64,
    pub end: i64,
    /// [`At::seq`] of the window's first record.
    pub first_seq: u64,
    /// The groups whose condition holds, sorted by `key`.
    pub fired: Vec<WindowGroup>,
}

/// One group's decision in a closed window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowGroup {
    /// Its place among all the window's groups sorted by key (fired or not): names its alert.
    pub position: usize,
    /// The group values as a compact JSON array (the store's group key).
    pub key: String,
    /// `group_by` field → value (null when absent).
    pub group: Map<String, Json>,
    /// `{"aggregate": "sum(amount)", "value": ...}`, in the condition's order.
    pub aggregates: Vec<Json>,
    /// The alert message ([`crate::alert::window_message`]), also what the store keeps.
    pub message: String,
}

struct OpenWindow {
    start: i64,
    first_offset: u64,
    first_seq: u64,
    groups: HashMap<String, (Map<String, Json>, Vec<Accumulator>)>,
}

struct WindowRule {
    rule: usize,
    program: Program,
    millis: i64,
    group_by: Vec<String>,
    open: Option<OpenWindow>,
    closed_until: i64,
}

struct EventTime {
    engine: EventTimeRules,
    /// The frame being read (offset) and the watermark before it.
    frame: Option<(u64, Option<i64>)>,
    /// The windowed rules' programs, by index in `pipeline.rules`.
    programs: HashMap<usize, Program>,
}

/// The compiled rules of a pipeline and the state of its open windows.
pub struct Decider {
    pipeline: std::sync::Arc<Pipeline>,
    rules: Vec<(usize, Program)>,
    windows: Vec<WindowRule>,
    enrich: Vec<(String, Program)>,
    /// The flink engine's event-time windows (then `windows` is empty).
    event_time: Option<EventTime>,
    /// The fast path's reusable map (see [`parse_into`]).
    scratch: Map<String, Json>,
    /// The viewer index's sort field and attribute type ([`crate::ir::viewer_sort`]).
    view: Option<(String, &'static str)>,
}

impl Decider {
    /// Compiles every rule and enrichment of `pipeline` once.
    #[must_use]
    pub fn new(pipeline: std::sync::Arc<Pipeline>) -> Self {
        let schema = &pipeline.stream.schema;
        let mut event_time =
            EventTimeRules::new(&pipeline).map(|engine| EventTime { engine, frame: None, programs: HashMap::new() });
        let mut rules = Vec::new();
        let mut windows = Vec::new();
        for (i, rule) in pipeline.rules.iter().enumerate() {
            let program = Program::compile(&rule.when, schema);
            match &rule.kind {
                RuleKind::PerRecord => rules.push((i, program)),
                RuleKind::Windowed { .. } if event_time.is_some() => {
                    event_time.as_mut().expect("flink engine").programs.insert(i, program);
                }
                RuleKind::Windowed { seconds, group_by, .. } => windows.push(WindowRule {
                    rule: i,
                    program,
                    millis: i64::from(*seconds) * 1000,
                    group_by: group_by.clone(),
                    open: None,
                    closed_until: i64::MIN,
                }),
            }
        }
        let enrich = pipeline
            .store
            .iter()
            .flat_map(|s| &s.enrich)
            .map(|e| (e.name.clone(), Program::compile(&e.expr, schema)))
            .collect();
        let view = crate::ir::viewer_sort(&pipeline).map(|(field, attribute, _)| (field.to_owned(), attribute));
        Self { pipeline, rules, windows, enrich, event_time, scratch: Map::new(), view }
    }

    #[must_use]
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Decides one record: feeds the windowed rules (closing those it passed), then the
    /// per-record rules.
    pub fn decide(&mut self, record: &[u8], at: At, now: i64) -> Decision {
        self.run(record, at, Some(now))
    }

    /// Only feeds the windowed rules (a record decided before, replayed to rebuild its
    /// windows); the verdict is [`Verdict::Invalid`] or [`Verdict::Passed`].
    pub fn feed(&mut self, record: &[u8], at: At) -> Decision {
        self.run(record, at, None)
    }

    /// Whether the pipeline has windowed rules.
    #[must_use]
    pub fn has_windows(&self) -> bool {
        !self.windows.is_empty() || self.event_time.as_ref().is_some_and(|e| e.engine.has_windows())
    }

    fn run(&mut self, record: &[u8], at: At, now: Option<i64>) -> Decision {
        let mut scratch = std::mem::take(&mut self.scratch);
        let decision = self.run_with(record, at, now, &mut scratch);
        self.scratch = scratch;
        decision
    }

    /// The record is parsed into `scratch` without allocating, and a flagged one is stored
    /// from it too (the item lists the schema's fields in schema order, whatever the record's
    /// order). Whatever the fast path refuses (invalid, nested, escaped keys) goes the plain
    /// way, so results and reasons are the same.
    fn run_with(&mut self, record: &[u8], at: At, now: Option<i64>, scratch: &mut Map<String, Json>) -> Decision {
        let schema = &self.pipeline.stream.schema;
        let fast = parse_into(record, scratch).is_ok() && validate(scratch, schema).is_ok();
        let mut slow = None;
        let map = if fast {
            &*scratch
        } else {
            match parse(record).and_then(|m| validate(&m, schema).map(|()| m)) {
                Ok(map) => &*slow.insert(map),
                Err(reason) => {
                    return Decision { verdict: Verdict::Invalid { reason }, closed: Vec::new(), late: None };
                }
            }
        };
        let (closed, late) = if self.event_time.is_some() {
            self.feed_event_time(map, at, now.is_none())
        } else if self.windows.is_empty() {
            (Vec::new(), None)
        } else {
            (self.feed_windows(map, at), None)
        };
        let verdict = match now {
            Some(now) => self.verdict(map, now),
            None => Verdict::Passed,
        };
        Decision { verdict, closed, late }
    }

    /// Feeds the event-time windows (flink engine); the windows the record's watermark fired,
    /// and why it is late, if it is.
    fn feed_event_time(&mut self, map: &Map<String, Json>, at: At, replay: bool) -> (Vec<WindowClose>, Option<String>) {
        let Some(et) = &mut self.event_time else { return (Vec::new(), None) };
        // The watermark before this record's frame: where a replay from that frame starts.
        let watermark = match et.frame {
            Some((offset, watermark)) if offset == at.offset => watermark,
            _ => {
                et.frame = Some((at.offset, et.engine.watermark()));
                et.engine.watermark()
            }
        };
        let origin = Origin { seq: at.seq, offset: at.offset, watermark };
        let late = et.engine.feed_windows(origin, map, replay);
        let late = (!late.is_empty()).then(|| late.into_iter().map(|l| l.reason).collect::<Vec<_>>().join("; "));
        (self.event_time_closed(), late)
    }

    /// The event-time windows fired since the last call, as [`WindowClose`]s.
    fn event_time_closed(&mut self) -> Vec<WindowClose> {
        let Some(et) = &mut self.event_time else { return Vec::new() };
        let pipeline = &self.pipeline;
        et.engine
            .take_closed()
            .into_iter()
            .map(|c| {
                let program = &et.programs[&c.rule];
                let key = group_key(&c.group);
                let group =
                    window_group(pipeline, c.rule, program, (c.start, c.end), (0, key, c.group), &c.accumulators);
                WindowClose { rule: c.rule, start: c.start, end: c.end, first_seq: c.first.seq, fired: vec![group] }
            })
            .collect()
    }

    fn verdict(&self, map: &Map<String, Json>, now: i64) -> Verdict {
        // Most records match no rule: find the first match without allocating.
        let Some(first) = self.rules.iter().position(|(_, program)| program.eval(map, now).is_true()) else {
            return Verdict::Passed;
        };
        let rules: Vec<usize> = std::iter::once(self.rules[first].0)
            .chain(self.rules[first + 1..].iter().filter(|(_, p)| p.eval(map, now).is_true()).map(|(i, _)| *i))
            .collect();
        // DynamoDB refuses an empty string as a key value; the Lambda handler skips such a
        // record, and so does this runtime (dead-lettered, so it is not lost).
        if let Some(store) = &self.pipeline.store {
            let keys = std::iter::once(&store.partition).chain(store.sort.as_ref());
            if let Some(key) = keys.into_iter().find(|k| map.get(&k.name).and_then(Json::as_str) == Some("")) {
                return Verdict::Refused { rules, reason: format!("{}: empty table key", key.name) };
            }
        }
        let item = self.item(map, now);
        // What DynamoDB would refuse is dead-lettered here as the Lambda handler does (see
        // `crate::limits`), so it never stalls a batch on AWS nor is stored only locally.
        if let Some(store) = &self.pipeline.store {
            let names: Vec<&str> = rules.iter().map(|&i| self.pipeline.rules[i].name.as_str()).collect();
            let keys = (store.partition.name.as_str(), store.sort.as_ref().map(|k| k.name.as_str()));
            let view = self.view.as_ref().map(|(field, attribute)| (field.as_str(), *attribute));
            if let Some(reason) = crate::limits::item_problem(&item, &names, keys, view) {
                return Verdict::Refused { rules, reason };
            }
        }
        Verdict::Flagged { rules, item }
    }

    /// The stored row, as on every target: the declared fields that are present (undeclared
    /// ones stay in the raw archive) and the enrichments that are not NULL.
    fn item(&self, map: &Map<String, Json>, now: i64) -> Map<String, Json> {
        let mut item: Map<String, Json> = self
            .pipeline
            .stream
            .schema
            .fields
            .iter()
            .filter_map(|f| map.get(&f.name).filter(|v| !v.is_null()).map(|v| (f.name.clone(), stored(f.ty, v))))
            .collect();
        for (name, program) in &self.enrich {
            let value = crate::limits::storable(program.eval(map, now).to_json());
            if !value.is_null() {
                item.insert(name.clone(), value);
            }
        }
        item
    }

    /// The alerts of a flagged record (one per matched rule with topics); `seq` names them.
    #[must_use]
    pub fn record_alerts(&self, seq: u64, rules: &[usize], item: &Map<String, Json>) -> Vec<Alert> {
        record_alerts(&self.pipeline, seq, rules, item)
    }

    /// Whether any of `rules` notifies a topic (a flagged record then has alerts).
    #[must_use]
    pub fn notifies(&self, rules: &[usize]) -> bool {
        rules.iter().any(|&i| !self.pipeline.rules[i].notify.is_empty())
    }

    /// The alert of a fired window group, when its rule notifies a topic.
    #[must_use]
    pub fn window_alert(&self, close: &WindowClose, group: &WindowGroup) -> Option<Alert> {
        let rule = &self.pipeline.rules[close.rule];
        // Event-time sliding windows of one group can share their first record: the start
        // tells them apart.
        let id = if self.event_time.is_some() {
            format!("{:012}-w{}-{}", close.first_seq, close.rule, close.start)
        } else {
            format!("{:012}-w{}-{}", close.first_seq, close.rule, group.position)
        };
        (!rule.notify.is_empty()).then(|| Alert {
            topics: rule.notify.clone(),
            id,
            subject: crate::alert::subject(&self.pipeline.name, rule.severity.name(), &rule.name),
            body: group.message.as_str().into(),
        })
    }

    fn feed_windows(&mut self, map: &Map<String, Json>, at: At) -> Vec<WindowClose> {
        let mut closed = Vec::new();
        for i in 0..self.windows.len() {
            let w = &self.windows[i];
            if at.arrival_ms < w.closed_until {
                continue;
            }
            let start = at.arrival_ms - at.arrival_ms.rem_euclid(w.millis);
            if w.open.as_ref().is_some_and(|o| o.start != start) {
                closed.extend(self.close_window(i));
            }
            let w = &mut self.windows[i];
            let open = w.open.get_or_insert_with(|| OpenWindow {
                start,
                first_offset: at.offset,
                first_seq: at.seq,
                groups: HashMap::new(),
            });
            let schema = &self.pipeline.stream.schema;
            let group: Map<String, Json> = w
                .group_by
                .iter()
                .map(|f| {
                    let value = map.get(f).unwrap_or(&Json::Null);
                    (f.clone(), schema.get(f).map_or_else(|| value.clone(), |field| stored(field.ty, value)))
                })
                .collect();
            let key = group_key(&group);
            let program = &w.program;
            let (_, accs) = open.groups.entry(key).or_insert_with(|| (group, program.accumulators()));
            Program::feed(accs, map);
        }
        closed
    }

    /// Closes every open window that ended at or before `cutoff` (arrival ms; `i64::MAX`
    /// closes all of them), in rule order.
    pub fn close_windows(&mut self, cutoff: i64) -> Vec<WindowClose> {
        if let Some(et) = &mut self.event_time {
            if cutoff == i64::MAX {
                et.engine.finish();
            }
            return self.event_time_closed();
        }
        let mut closed = Vec::new();
        for i in 0..self.windows.len() {
            let w = &self.windows[i];
            if w.open.as_ref().is_some_and(|o| o.start + w.millis <= cutoff || cutoff == i64::MAX) {
                closed.extend(self.close_window(i));
            }
        }
        closed
    }

    fn close_window(&mut self, i: usize) -> Option<WindowClose> {
        let pipeline = &self.pipeline;
        let w = &mut self.windows[i];
        let open = w.open.take()?;
        let end = open.start + w.millis;
        w.closed_until = end;
        let mut groups: Vec<_> = open.groups.into_iter().collect();
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        let fired = groups
            .into_iter()
            .enumerate()
            .filter(|(_, (_, (group, accs)))| w.program.eval_window(group, accs).is_true())
            .map(|(position, (key, (group, accs)))| {
                window_group(pipeline, w.rule, &w.program, (open.start, end), (position, key, group), &accs)
            })
            .collect();
        Some(WindowClose { rule: w.rule, start: open.start, end, first_seq: open.first_seq, fired })
    }

    /// The offset of the oldest open window's first record (the runtime's checkpoint stays
    /// there so a crash replays the window).
    #[must_use]
    pub fn held_offset(&self) -> Option<u64> {
        if let Some(et) = &self.event_time {
            return et.engine.held().map(|o| o.offset);
        }
        self.windows.iter().filter_map(|w| w.open.as_ref().map(|o| o.first_offset)).min()
    }

    /// Flink engine: the watermark to resume with from [`Self::held_offset`] (the watermark
    /// before the held frame; nothing held: the current watermark).
    #[must_use]
    pub fn resume_watermark(&self) -> Option<i64> {
        let et = self.event_time.as_ref()?;
        et.engine.held().map_or(et.engine.watermark(), |o| o.watermark)
    }

    /// Flink engine: forgets the open windows and resumes with `watermark` (see
    /// [`Self::resume_watermark`]); records decided before are then replayed with
    /// [`Self::feed`], which rebuilds the windows and discards what they fire.
    pub fn restart_event_time(&mut self, watermark: Option<i64>) {
        if let Some(et) = &mut self.event_time {
            et.engine.restart(watermark);
            et.frame = None;
        }
    }

    /// Each windowed rule's name with the end of its last closed window (none closed yet: left
    /// out).
    pub fn closed_until(&self) -> impl Iterator<Item = (&str, i64)> {
        self.windows
            .iter()
            .filter(|w| w.closed_until > i64::MIN)
            .map(|w| (self.pipeline.rules[w.rule].name.as_str(), w.closed_until))
    }

    /// Forgets the open windows and sets where each rule's windows were closed until (by rule
    /// name; a record arriving before that only feeds nothing): how the runtime resumes from
    /// a checkpoint.
    pub fn restart_windows(&mut self, closed_until: &std::collections::BTreeMap<String, i64>) {
        for w in &mut self.windows {
            w.open = None;
            w.closed_until = closed_until.get(&self.pipeline.rules[w.rule].name).copied().unwrap_or(i64::MIN);
        }
    }
}

/// A group's key in the store: its values as a JSON array, in `group_by` order.
fn group_key(group: &Map<String, Json>) -> String {
    serde_json::to_string(&group.values().collect::<Vec<_>>()).expect("JSON values serialize")
}

/// A fired group with its aggregates and alert message.
fn window_group(
    pipeline: &Pipeline,
    rule: usize,
    program: &Program,
    (start, end): (i64, i64),
    (position, key, group): (usize, String, Map<String, Json>),
    accs: &[Accumulator],
) -> WindowGroup {
    let aggregates: Vec<Json> = program
        .aggregates()
        .iter()
        .zip(accs)
        .map(|(spec, acc)| {
            let value = crate::limits::storable(acc.finish().to_json());
            json!({ "aggregate": spec.label(), "value": value })
        })
        .collect();
    let (start, finish) = (format_timestamp_millis(start), format_timestamp_millis(end));
    let message =
        crate::alert::window_message(&pipeline.name, &pipeline.rules[rule], (&start, &finish), &group, &aggregates);
    WindowGroup { position, key, group, aggregates, message }
}

/// A declared field's value as stored and sent: a float field as its double (see
/// [`crate::limits::float_value`]), anything else as it came.
fn stored(ty: ValueType, value: &Json) -> Json {
    if ty == ValueType::Float { crate::limits::float_value(value) } else { value.clone() }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{At, Decider};
    use crate::ir::Pipeline;

    fn pipeline() -> Arc<Pipeline> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/flink/windows.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let checked = crate::frontend::check_source(crate::source::Source::new(path, text), None, &|_| None);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        Arc::new(crate::ir::lower(checked.spec.as_ref().unwrap()).unwrap())
    }

    /// Payments of 4 cards at 3 merchants, a new greatest second every 1–3 s, some out of
    /// order (within the lateness of 5 s) and some late by 20–80 s.
    fn records(count: u64) -> Vec<Vec<u8>> {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut second = 1_780_000_000_i64;
        (0..count)
            .map(|i| {
                let at = match next(20) {
                    0 => second - 20 - i64::try_from(next(60)).unwrap(),
                    1..=3 => second - 1 - i64::try_from(next(4)).unwrap(),
                    _ => {
                        second += 1 + i64::try_from(next(3)).unwrap();
                        second
                    }
                };
                let at = crate::expr::value::format_timestamp_millis(at * 1000);
                let merchant = ["shop", "cafe", "bar"][usize::try_from(next(3)).unwrap()];
                format!(
                    r#"{{"paymentId":"p{i}","cardId":"card-{}","merchant":"{merchant}","amount":{},"at":"{at}"}}"#,
                    next(4),
                    next(12_000)
                )
                .into_bytes()
            })
            .collect()
    }

    /// What a run decides (window decisions and late reasons, as text) for records
    /// `from..to` of `records`, `decided_below` of them only replayed; `frame` records share a
    /// log offset.
    fn run(d: &mut Decider, records: &[Vec<u8>], (from, to): (usize, usize), decided_below: usize) -> Vec<String> {
        let mut out = Vec::new();
        for (i, record) in records.iter().enumerate().take(to).skip(from) {
            let at = At { arrival_ms: 0, seq: i as u64, offset: i as u64 / 3 };
            if i < decided_below {
                let replayed = d.feed(record, at);
                assert!(replayed.closed.is_empty() && replayed.late.is_none(), "a replay decides nothing again");
                continue;
            }
            let decision = d.decide(record, at, 0);
            out.extend(decision.late.map(|l| format!("{i} {l}")));
            out.extend(decision.closed.iter().flat_map(|c| c.fired.iter().map(|g| g.message.clone())));
        }
        out
    }

    #[test]
    fn an_event_time_restart_from_the_checkpoint_decides_exactly_what_an_uninterrupted_run_does() {
        let pipeline = pipeline();
        let records = records(600);
        let mut whole = Decider::new(pipeline.clone());
        let mut expected = run(&mut whole, &records, (0, records.len()), 0);
        expected.extend(whole.close_windows(i64::MAX).iter().flat_map(|c| c.fired.iter().map(|g| g.message.clone())));
        assert!(expected.iter().filter(|e| e.contains("late for rule")).count() > 20, "{expected:#?}");
        assert!(expected.iter().filter(|e| !e.contains("late for rule")).count() > 20, "{expected:#?}");
        for cut in (3..records.len()).step_by(57).map(|c| c / 3 * 3) {
            // Decided and committed up to `cut`; then the checkpoint, then a crash.
            let mut before = Decider::new(pipeline.clone());
            let mut got = run(&mut before, &records, (0, cut), 0);
            let offset = before.held_offset().map_or(cut as u64 / 3, |h| h.min(cut as u64 / 3));
            let watermark = before.resume_watermark();
            let mut after = Decider::new(pipeline.clone());
            after.restart_event_time(watermark);
            got.extend(run(&mut after, &records, (usize::try_from(offset).unwrap() * 3, records.len()), cut));
            got.extend(after.close_windows(i64::MAX).iter().flat_map(|c| c.fired.iter().map(|g| g.message.clone())));
            assert_eq!(got, expected, "restarted after record {cut} from offset {offset}");
        }
    }
}
