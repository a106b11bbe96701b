//! The hot path: every record is parsed once, [`validate`]d (invalid → dead-letter file), and
//! decided by the shared evaluator ([`Program`], compiled once per rule). Flagged records are
//! enriched and stored ([`Store`]), then notified.
//!
//! Transactions: the records read in one tick (until the log is caught up, at most 1 s) are
//! written in one SQLite transaction together with the hot checkpoint, so the store holds each
//! flagged key exactly once, whatever crashes.
//!
//! Windowed rules use the record's *arrival time* in the log (the time of its append, as
//! Kinesis' `ApproximateArrivalTimestamp`, which Lambda's tumbling windows use too): it is
//! stored durably with the record, never goes backwards and needs no trusted field in the
//! payload, so a replay after a crash rebuilds exactly the same windows. A window
//! `[start, start + length)` (aligned to the epoch) closes when a later record arrives, when
//! the log is idle and the wall clock is 1 s past its end, or on shutdown (which decides every
//! open window). While a window is open the checkpoint stays at its first record so a crash
//! replays it; records already decided before the crash then only feed windows again.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use serde_json::{Map, Value as Json, json};

use super::Change;
use super::checkpoint::Checkpoint;
use super::clock::now_ms;
use super::deadletter::DeadLetter;
use super::health::{Backoff, Health, is_transient};
use super::log::Log;
use super::metrics::Metrics;
use super::notify::Alert;
use super::store::{Row, Store};
use crate::expr::value::format_timestamp_millis;
use crate::expr::{Accumulator, Program, validate};
use crate::ir::{Pipeline, RuleKind};

const CONSUMER: &str = "hot";
const TICK: Duration = Duration::from_secs(1);
const GRACE_MS: i64 = 1000;

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

/// What the hot path is given.
pub struct HotParts {
    pub pipeline: Arc<Pipeline>,
    pub log: Log,
    pub store: Store,
    pub dead_letter: Arc<DeadLetter>,
    pub alerts: Sender<Alert>,
    pub metrics: Arc<Metrics>,
    pub changes: tokio::sync::watch::Sender<Change>,
    pub stop: Arc<AtomicBool>,
    pub health: Arc<Health>,
}

/// Counts of the open transaction, added to [`Metrics`] when it commits (a transaction rolled
/// back after a failed write is replayed, and must not count twice).
#[derive(Default)]
struct Counts {
    hot_events: u64,
    flagged: u64,
    stored: u64,
    window_alerts: u64,
}

struct Hot {
    p: HotParts,
    rules: Vec<(usize, Program)>,
    windows: Vec<WindowRule>,
    enrich: Vec<(String, Program)>,
    pending: Vec<Alert>,
    new_rows_arrivals: Vec<i64>,
    dirty: bool,
    counts: Counts,
    /// The fast path's reusable map and key positions (see [`parse_into`]).
    scratch: Map<String, Json>,
}

fn parse(record: &[u8]) -> Result<Map<String, Json>, String> {
    serde_json::from_slice::<Map<String, Json>>(record).map_err(|e| match serde_json::from_slice::<Json>(record) {
        Ok(_) => "not a JSON object".to_string(),
        Err(_) => format!("not JSON: {e}"),
    })
}

/// The fast path of [`parse`]: parses `record` into `map`, reusing its keys and string buffers
/// (no allocation in the steady state). On success `map` holds exactly the record's fields with
/// the values [`parse`] gives (the last of duplicate keys wins), but not necessarily in the
/// record's order. Any failure, and any nested array or object, is an `Err`: the caller then
/// takes the slow path, which decides and reports exactly as [`parse`] does.
///
/// When the record has the same keys in the same order as the map (the usual case: one
/// producer), each value is written over its slot without hashing; otherwise the map is
/// rebuilt from this record (and then matches the next record of the same shape).
fn parse_into(record: &[u8], map: &mut Map<String, Json>) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(record);
    let same = serde::Deserializer::deserialize_map(&mut de, SameShape(map)).and_then(|()| de.end());
    if same.is_ok() {
        return same;
    }
    map.clear();
    let mut de = serde_json::Deserializer::from_slice(record);
    serde::Deserializer::deserialize_map(&mut de, AnyShape(map))?;
    de.end()
}

/// Writes the values over the map's slots in order; an error when a key differs.
struct SameShape<'m>(&'m mut Map<String, Json>);

impl<'de> serde::de::Visitor<'de> for SameShape<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a flat JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        use serde::de::Error;
        let mut slots = self.0.iter_mut();
        while let Some(key) = access.next_key_seed(KeySeed)? {
            match (key, slots.next()) {
                (Some(key), Some((k, slot))) if k == key => access.next_value_seed(SlotSeed(slot))?,
                _ => return Err(A::Error::custom("another shape")),
            }
        }
        if slots.next().is_some() {
            return Err(A::Error::custom("another shape"));
        }
        Ok(())
    }
}

/// Fills an empty map (the last of duplicate keys wins, as in [`parse`]).
struct AnyShape<'m>(&'m mut Map<String, Json>);

impl<'de> serde::de::Visitor<'de> for AnyShape<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a flat JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        use serde::de::Error;
        while let Some(key) = access.next_key_seed(KeySeed)? {
            let Some(key) = key else { return Err(A::Error::custom("escaped key")) };
            let slot = if let Some(slot) = self.0.get_mut(key) {
                slot
            } else {
                self.0.insert(key.to_owned(), Json::Null);
                self.0.get_mut(key).expect("inserted")
            };
            access.next_value_seed(SlotSeed(slot))?;
        }
        Ok(())
    }
}

/// A map key: `Some` when it borrows from the input (no escapes).
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Option<&'de str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = Option<&'de str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A scalar value written over `slot` as `serde_json::Value`'s own visitor builds it (a string
/// reuses the slot's buffer); arrays and objects are errors (slow path).
struct SlotSeed<'s>(&'s mut Json);

impl<'de> serde::de::DeserializeSeed<'de> for SlotSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl serde::de::Visitor<'_> for SlotSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a scalar")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        *self.0 = Json::Bool(v);
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        *self.0 = Json::Number(v.into());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        *self.0 = Json::Number(v.into());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        *self.0 = serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number);
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if let Json::String(s) = self.0 {
            s.clear();
            s.push_str(v);
        } else {
            *self.0 = Json::String(v.to_owned());
        }
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        *self.0 = Json::Null;
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        *self.0 = Json::Null;
        Ok(())
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(io_err)`
fn io_err(e: rusqlite::Error) -> io::Error {
    let kind = match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => io::ErrorKind::StorageFull,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, format!("{STORE}: {e}"))
}

/// The store's name on the health board (and the prefix of its errors).
const STORE: &str = "store";

/// Runs the hot path until `stop` is set and the log is drained.
pub fn run(parts: HotParts) -> io::Result<()> {
    let pipeline = parts.pipeline.clone();
    let schema = &pipeline.stream.schema;
    let mut rules = Vec::new();
    let mut windows = Vec::new();
    for (i, rule) in pipeline.rules.iter().enumerate() {
        let program = Program::compile(&rule.when, schema);
        match &rule.kind {
            RuleKind::PerRecord => rules.push((i, program)),
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
    let mut hot = Hot {
        p: parts,
        rules,
        windows,
        enrich,
        pending: Vec::new(),
        new_rows_arrivals: Vec::new(),
        dirty: false,
        counts: Counts::default(),
        scratch: Map::new(),
    };
    // A failed write (disk full) rolls the transaction back and replays from the checkpoint
    // once a retry succeeds: the store stays exactly once per key, and the run goes on.
    let mut backoff = Backoff::default();
    loop {
        let Err(e) = hot.run() else { return Ok(()) };
        if !is_transient(&e) {
            return Err(e);
        }
        let part = if e.to_string().starts_with(STORE) { STORE } else { "dead-letter file" };
        hot.p.health.blocked(part, &e);
        hot.reset();
        std::thread::sleep(backoff.next_wait());
    }
}

impl Hot {
    /// Forgets everything since the last commit (see [`run`]).
    fn reset(&mut self) {
        self.p.store.rollback();
        self.p.dead_letter.discard_pending();
        self.pending.clear();
        self.new_rows_arrivals.clear();
        self.counts = Counts::default();
        self.dirty = false;
        for w in &mut self.windows {
            w.open = None;
        }
    }

    fn run(&mut self) -> io::Result<()> {
        let start = self.p.store.checkpoint(CONSUMER).map_err(io_err)?;
        for w in &mut self.windows {
            let name = &self.p.pipeline.rules[w.rule].name;
            w.closed_until = start.windows_closed_until.get(name).copied().unwrap_or(i64::MIN);
        }
        let mut decided_below = start.seq;
        self.p.metrics.hot_seq.store(decided_below, Ordering::Relaxed);
        let log = self.p.log.clone();
        let mut reader = log.reader(start.offset);
        self.p.store.begin().map_err(io_err)?;
        let mut tick = Instant::now();
        loop {
            let stopping = self.p.stop.load(Ordering::Acquire);
            let frame_start = reader.position();
            if let Some(frame) = reader.next_frame()? {
                let now = now_ms();
                let mut decided = 0;
                for (seq, record) in frame.records() {
                    let replay = seq < decided_below;
                    decided += u64::from(!replay);
                    self.record(seq, record, frame.arrival_ms, frame_start, replay, now)?;
                }
                self.counts.hot_events += decided;
                decided_below = decided_below.max(frame.first_seq + frame.count());
                self.dirty = true;
                if tick.elapsed() >= TICK {
                    self.commit(reader.position(), decided_below)?;
                    tick = Instant::now();
                }
                continue;
            }
            let caught_up = reader.caught_up();
            if caught_up {
                let cutoff = if stopping { i64::MAX } else { now_ms() - GRACE_MS };
                self.close_windows(cutoff)?;
            }
            if self.dirty {
                self.commit(reader.position(), decided_below)?;
                tick = Instant::now();
            }
            if stopping && caught_up {
                return self
                    .p
                    .store
                    .commit(CONSUMER, &self.checkpoint(reader.position(), decided_below))
                    .map_err(io_err);
            }
            log.wait_past(reader.position(), Duration::from_millis(50));
        }
    }

    fn checkpoint(&self, position: u64, decided_below: u64) -> Checkpoint {
        let held = self.windows.iter().filter_map(|w| w.open.as_ref().map(|o| o.first_offset)).min();
        Checkpoint {
            offset: held.map_or(position, |h| h.min(position)),
            seq: decided_below,
            windows_closed_until: self
                .windows
                .iter()
                .filter(|w| w.closed_until > i64::MIN)
                .map(|w| (self.p.pipeline.rules[w.rule].name.clone(), w.closed_until))
                .collect(),
        }
    }

    fn commit(&mut self, position: u64, decided_below: u64) -> io::Result<()> {
        self.p.dead_letter.flush()?;
        self.p.store.commit(CONSUMER, &self.checkpoint(position, decided_below)).map_err(io_err)?;
        self.p.health.cleared(STORE);
        self.p.health.cleared("dead-letter file");
        self.dirty = false;
        let counts = std::mem::take(&mut self.counts);
        let m = &self.p.metrics;
        for (counter, n) in [
            (&m.hot_events, counts.hot_events),
            (&m.flagged, counts.flagged),
            (&m.stored, counts.stored),
            (&m.window_alerts, counts.window_alerts),
        ] {
            Metrics::add(counter, n);
        }
        let now = now_ms();
        let changed = !self.new_rows_arrivals.is_empty() || !self.pending.is_empty();
        for arrival in self.new_rows_arrivals.drain(..) {
            self.p.metrics.record_latency_us(u64::try_from((now - arrival).max(0)).unwrap_or(0) * 1000);
        }
        self.p.metrics.hot_seq.store(decided_below, Ordering::Relaxed);
        for alert in self.pending.drain(..) {
            if self.p.alerts.send(alert).is_err() {
                break;
            }
        }
        if changed {
            let stored = self.p.metrics.stored.load(Ordering::Relaxed);
            let window_alerts = self.p.metrics.window_alerts.load(Ordering::Relaxed);
            self.p.changes.send_replace(Change { stored, window_alerts, last_seq: decided_below });
        }
        self.p.store.begin().map_err(io_err)
    }

    fn record(
        &mut self,
        seq: u64,
        record: &[u8],
        arrival: i64,
        frame_start: u64,
        replay: bool,
        now: i64,
    ) -> io::Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = self.decide(seq, record, arrival, frame_start, replay, now, &mut scratch);
        self.scratch = scratch;
        result
    }

    /// [`Hot::record`] with the fast path's reusable map: the record is parsed into `scratch`
    /// without allocating, and a flagged one is stored from it too (the stored item lists the
    /// schema's fields in schema order, whatever the record's order). Whatever the fast path
    /// refuses (invalid, nested, escaped keys) goes the plain way, so results and reasons are
    /// the same.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        seq: u64,
        record: &[u8],
        arrival: i64,
        frame_start: u64,
        replay: bool,
        now: i64,
        scratch: &mut Map<String, Json>,
    ) -> io::Result<()> {
        let schema = &self.p.pipeline.stream.schema;
        let fast = parse_into(record, scratch).is_ok() && validate(scratch, schema).is_ok();
        let mut slow = None;
        let map = if fast {
            &*scratch
        } else {
            match parse(record).and_then(|m| validate(&m, schema).map(|()| m)) {
                Ok(map) => &*slow.insert(map),
                Err(reason) => {
                    return if replay {
                        Ok(())
                    } else {
                        self.p.dead_letter.write(Some(seq), &reason, record, &self.p.metrics)
                    };
                }
            }
        };
        if !self.windows.is_empty() {
            self.feed_windows(map, arrival, frame_start, seq)?;
        }
        if replay {
            return Ok(());
        }
        // Most records match no rule: find the first match without allocating.
        let Some(first) = self.rules.iter().position(|(_, program)| program.eval(map, now).is_true()) else {
            return Ok(());
        };
        let matched: Vec<usize> = std::iter::once(self.rules[first].0)
            .chain(self.rules[first + 1..].iter().filter(|(_, p)| p.eval(map, now).is_true()).map(|(i, _)| *i))
            .collect();
        // DynamoDB refuses an empty string as a key value; the Lambda handler skips such a
        // record, and so does this runtime (dead-lettered, so it is not lost).
        if let Some(store) = &self.p.pipeline.store {
            let keys = std::iter::once(&store.partition).chain(store.sort.as_ref());
            if let Some(key) = keys.into_iter().find(|k| map.get(&k.name).and_then(Json::as_str) == Some("")) {
                let reason = format!("{}: empty table key", key.name);
                return self.p.dead_letter.write(Some(seq), &reason, record, &self.p.metrics);
            }
        }
        let item = self.item(map, now);
        // What DynamoDB would refuse is dead-lettered here as the Lambda handler does (see
        // `crate::limits`), so it never stalls a batch on AWS nor is stored only locally.
        if let Some(store) = &self.p.pipeline.store {
            let rules: Vec<&str> = matched.iter().map(|&i| self.p.pipeline.rules[i].name.as_str()).collect();
            let keys = (store.partition.name.as_str(), store.sort.as_ref().map(|k| k.name.as_str()));
            if let Some(reason) = crate::limits::item_problem(&item, &rules, keys) {
                return self.p.dead_letter.write(Some(seq), &reason, record, &self.p.metrics);
            }
        }
        self.counts.flagged += 1;
        self.flagged(seq, &item, &matched, arrival)
    }

    /// The stored row, as on every target: the declared fields that are present (undeclared
    /// ones stay in the raw archive) and the enrichments that are not NULL.
    fn item(&self, map: &Map<String, Json>, now: i64) -> Map<String, Json> {
        let mut item: Map<String, Json> = self
            .p
            .pipeline
            .stream
            .schema
            .fields
            .iter()
            .filter_map(|f| map.get(&f.name).filter(|v| !v.is_null()).map(|v| (f.name.clone(), v.clone())))
            .collect();
        for (name, program) in &self.enrich {
            let value = program.eval(map, now).to_json();
            if !value.is_null() {
                item.insert(name.clone(), value);
            }
        }
        item
    }

    fn flagged(&mut self, seq: u64, item: &Map<String, Json>, matched: &[usize], arrival: i64) -> io::Result<()> {
        let pipeline = self.p.pipeline.clone();
        let rules: Vec<&crate::ir::Rule> = matched.iter().map(|&i| &pipeline.rules[i]).collect();
        let severity = rules.iter().map(|r| r.severity).max().expect("matched is not empty");
        let text = serde_json::to_string(item).expect("JSON values serialize");
        let is_new = match &pipeline.store {
            Some(store) => {
                let names = serde_json::to_string(&rules.iter().map(|r| &r.name).collect::<Vec<_>>()).expect("strings");
                let sort_field = store.viewer.as_ref().and_then(|v| v.sort.as_ref()).map(|(f, _)| f.as_str());
                let row = Row {
                    partition: item.get(&store.partition.name).unwrap_or(&Json::Null),
                    sort: store.sort.as_ref().map(|k| item.get(&k.name).unwrap_or(&Json::Null)),
                    item: &text,
                    rules: &names,
                    severity: severity.name(),
                    seq,
                    sort_value: sort_field.and_then(|f| item.get(f)),
                };
                self.p.store.insert(&row).map_err(io_err)?
            }
            None => true,
        };
        if !is_new {
            return Ok(());
        }
        // Without a store, a flagged record is only notified: no row, no latency sample.
        if pipeline.store.is_some() {
            self.counts.stored += 1;
            self.new_rows_arrivals.push(arrival);
        }
        let keys: Vec<&str> = pipeline
            .store
            .iter()
            .flat_map(|s| std::iter::once(&s.partition).chain(&s.sort))
            .map(|k| k.name.as_str())
            .collect();
        for (&index, rule) in matched.iter().zip(&rules).filter(|(_, r)| !r.notify.is_empty()) {
            self.pending.push(Alert {
                topics: rule.notify.clone(),
                id: format!("{seq:012}-{index}"),
                subject: crate::alert::subject(&pipeline.name, rule.severity.name(), &rule.name),
                body: crate::alert::record_message(&pipeline.name, rule, item, &keys).into(),
            });
        }
        Ok(())
    }

    fn feed_windows(&mut self, map: &Map<String, Json>, arrival: i64, frame_start: u64, seq: u64) -> io::Result<()> {
        for i in 0..self.windows.len() {
            let w = &self.windows[i];
            if arrival < w.closed_until {
                continue;
            }
            let start = arrival - arrival.rem_euclid(w.millis);
            if w.open.as_ref().is_some_and(|o| o.start != start) {
                self.close_window(i)?;
            }
            let w = &mut self.windows[i];
            let open = w.open.get_or_insert_with(|| OpenWindow {
                start,
                first_offset: frame_start,
                first_seq: seq,
                groups: HashMap::new(),
            });
            let group: Map<String, Json> =
                w.group_by.iter().map(|f| (f.clone(), map.get(f).cloned().unwrap_or(Json::Null))).collect();
            let key = serde_json::to_string(&group.values().collect::<Vec<_>>()).expect("JSON values serialize");
            let program = &w.program;
            let (_, accs) = open.groups.entry(key).or_insert_with(|| (group, program.accumulators()));
            Program::feed(accs, map);
        }
        Ok(())
    }

    /// Closes every open window that ended at or before `cutoff` (arrival ms).
    fn close_windows(&mut self, cutoff: i64) -> io::Result<()> {
        for i in 0..self.windows.len() {
            let w = &self.windows[i];
            if w.open.as_ref().is_some_and(|o| o.start + w.millis <= cutoff || cutoff == i64::MAX) {
                self.close_window(i)?;
            }
        }
        Ok(())
    }

    fn close_window(&mut self, i: usize) -> io::Result<()> {
        let pipeline = self.p.pipeline.clone();
        let w = &mut self.windows[i];
        let Some(open) = w.open.take() else { return Ok(()) };
        let end = open.start + w.millis;
        w.closed_until = end;
        self.dirty = true;
        let rule = &pipeline.rules[w.rule];
        let mut groups: Vec<_> = open.groups.into_iter().collect();
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        for (position, (key, (group, accs))) in groups.into_iter().enumerate() {
            if !w.program.eval_window(&group, &accs).is_true() {
                continue;
            }
            let aggregates: Vec<Json> = w
                .program
                .aggregates()
                .iter()
                .zip(&accs)
                .map(|(spec, acc)| {
                    let field = spec.field.as_ref().map_or("*", |(f, _)| f.as_str());
                    json!({ "aggregate": format!("{}({field})", spec.kind.name()), "value": acc.finish().to_json() })
                })
                .collect();
            let (start, finish) = (format_timestamp_millis(open.start), format_timestamp_millis(end));
            let text = crate::alert::window_message(&pipeline.name, rule, (&start, &finish), &group, aggregates);
            if self
                .p
                .store
                .insert_window_alert(&rule.name, (open.start, end), &key, &text, open.first_seq)
                .map_err(io_err)?
            {
                self.counts.window_alerts += 1;
                if !rule.notify.is_empty() {
                    self.pending.push(Alert {
                        topics: rule.notify.clone(),
                        id: format!("{:012}-w{}-{position}", open.first_seq, w.rule),
                        subject: crate::alert::subject(&pipeline.name, rule.severity.name(), &rule.name),
                        body: text.into(),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_parse_agrees_with_parse() {
        let records: [&[u8]; 9] = [
            br#"{"a":1,"b":"x","c":null,"d":true,"e":1.5}"#,
            br#"{"a":2,"b":"y","c":null,"d":false,"e":-2}"#,
            br#"{"b":"z","a":3}"#,
            br#"{"a":1,"a":"last","b":"\u00e9\n"}"#,
            br#"{"a":1,"b":"x","c":null,"d":true,"e":1e400}"#,
            br#"{"a":{"nested":1}}"#,
            br#"{"\u0061":1}"#,
            br#"{"a":1} x"#,
            br"[1]",
        ];
        let mut scratch = Map::new();
        for record in records {
            let fast = parse_into(record, &mut scratch).map(|()| scratch.clone());
            match (parse(record), fast) {
                (Ok(slow), Ok(fast)) => {
                    assert_eq!(slow.len(), fast.len());
                    for (k, v) in &slow {
                        assert_eq!(fast.get(k), Some(v), "{}", String::from_utf8_lossy(record));
                    }
                }
                (Err(_), Ok(_)) => panic!("fast path accepted {}", String::from_utf8_lossy(record)),
                (_, Err(_)) => {}
            }
        }
    }
}
