//! The hot path: every record is decided by the [`Decider`] (parsed once, validated, rules
//! evaluated: the one implementation, see [`super::decide`]); invalid and refused records go
//! to the dead-letter file, flagged ones are stored ([`Store`]), then notified.
//!
//! Transactions: the records read in one tick (until the log is caught up, at most 1 s or
//! [`MAX_PENDING`] flagged items) are written in one SQLite transaction together with the hot
//! checkpoint, so the store holds each flagged key exactly once, whatever crashes.
//!
//! Windowed rules use the record's *arrival time* in the log (the time of its append, as
//! Kinesis' `ApproximateArrivalTimestamp`, which Lambda's tumbling windows use too): it is
//! stored durably with the record, never goes backwards and needs no trusted field in the
//! payload, so a replay after a crash rebuilds exactly the same windows. A window
//! `[start, start + length)` (aligned to the epoch) closes when a later record arrives, when
//! the log is idle and the wall clock is 1 s past its end, or on shutdown (which decides every
//! open window). While a window is open the checkpoint stays at its first record so a crash
//! replays it; records already decided before the crash then only feed windows again.
//!
//! On the flink engine windows are in event time ([`super::event_time`], through the
//! [`Decider`]): a window fires when the watermark passes its end, never on the wall clock;
//! shutdown (the end of an `--input` file) fires every open window, as a bounded Flink source
//! does at its end. A record late for a windowed rule is dead-lettered with the reason (and
//! still decided by the per-record rules). The checkpoint stays at the oldest open window's
//! first record and keeps the watermark from before it, so a replay after a crash rebuilds the
//! same windows and watermark; what fires during the replay was decided before the crash.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use serde_json::{Map, Value as Json};

use super::Change;
use super::checkpoint::Checkpoint;
use super::clock::now_ms;
use super::deadletter::DeadLetter;
use super::decide::{At, Decider, Decision, Verdict, WindowClose};
use super::health::{Backoff, Health, is_transient};
use super::log::Log;
use super::metrics::Metrics;
use super::notify::Job;
use super::store::{Row, Store};
use crate::ir::Pipeline;

const CONSUMER: &str = "hot";
const TICK: Duration = Duration::from_secs(1);
/// A transaction also commits once this many flagged items wait for it (their alerts are sent
/// after the commit): memory stays bounded whatever the rate, instead of one second's worth.
const MAX_PENDING: usize = 4096;
const GRACE_MS: i64 = 1000;

/// What the hot path is given.
pub struct HotParts {
    pub pipeline: Arc<Pipeline>,
    pub log: Log,
    pub store: Store,
    pub dead_letter: Arc<DeadLetter>,
    pub alerts: Sender<Job>,
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
    decider: Decider,
    pending: Vec<Job>,
    new_rows_arrivals: Vec<i64>,
    dirty: bool,
    counts: Counts,
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
    let decider = Decider::new(parts.pipeline.clone());
    let mut hot = Hot {
        p: parts,
        decider,
        pending: Vec::new(),
        new_rows_arrivals: Vec::new(),
        dirty: false,
        counts: Counts::default(),
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
    }

    fn run(&mut self) -> io::Result<()> {
        let start = self.p.store.checkpoint(CONSUMER).map_err(io_err)?;
        // Open windows are rebuilt from the checkpoint, which stays at their first record.
        self.decider.restart_windows(&start.windows_closed_until);
        self.decider.restart_event_time(start.event_watermark);
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
                    let at = At { arrival_ms: frame.arrival_ms, seq, offset: frame_start };
                    self.record(record, at, replay, now)?;
                }
                self.counts.hot_events += decided;
                decided_below = decided_below.max(frame.first_seq + frame.count());
                self.dirty = true;
                if tick.elapsed() >= TICK || self.pending.len() >= MAX_PENDING {
                    self.commit(reader.position(), decided_below)?;
                    tick = Instant::now();
                }
                continue;
            }
            let caught_up = reader.caught_up();
            if caught_up {
                let cutoff = if stopping { i64::MAX } else { now_ms() - GRACE_MS };
                let closed = self.decider.close_windows(cutoff);
                self.closed(closed)?;
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
        let held = self.decider.held_offset();
        Checkpoint {
            offset: held.map_or(position, |h| h.min(position)),
            seq: decided_below,
            windows_closed_until: self.decider.closed_until().map(|(name, until)| (name.to_owned(), until)).collect(),
            event_watermark: self.decider.resume_watermark(),
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

    fn record(&mut self, record: &[u8], at: At, replay: bool, now: i64) -> io::Result<()> {
        if replay {
            // Decided before the crash: it only feeds the windows again.
            let closed = self.decider.feed(record, at).closed;
            return self.closed(closed);
        }
        let Decision { verdict, closed, late } = self.decider.decide(record, at, now);
        self.closed(closed)?;
        match verdict {
            Verdict::Passed => {
                late.map_or(Ok(()), |late| self.p.dead_letter.write(Some(at.seq), &late, record, &self.p.metrics))
            }
            Verdict::Invalid { reason } | Verdict::Refused { reason, .. } => {
                let reason = late.map_or(reason.clone(), |late| format!("{reason}; {late}"));
                self.p.dead_letter.write(Some(at.seq), &reason, record, &self.p.metrics)
            }
            Verdict::Flagged { rules, item } => {
                self.counts.flagged += 1;
                if let Some(late) = late {
                    // Flagged by a per-record rule, and left out of a windowed rule's windows.
                    self.p.dead_letter.write(Some(at.seq), &late, record, &self.p.metrics)?;
                }
                self.flagged(at.seq, item, rules, at.arrival_ms)
            }
        }
    }

    fn flagged(&mut self, seq: u64, item: Map<String, Json>, matched: Vec<usize>, arrival: i64) -> io::Result<()> {
        let pipeline = self.p.pipeline.clone();
        let is_new = match &pipeline.store {
            Some(store) => {
                let rules: Vec<&crate::ir::Rule> = matched.iter().map(|&i| &pipeline.rules[i]).collect();
                let severity = rules.iter().map(|r| r.severity).max().expect("matched is not empty");
                let text = serde_json::to_string(&item).expect("JSON values serialize");
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
        // The notifier renders the messages (off the hot path).
        if self.decider.notifies(&matched) {
            self.pending.push(Job::Record { seq, rules: matched, item });
        }
        Ok(())
    }

    /// Stores the window decisions (each once) and queues their alerts.
    fn closed(&mut self, closed: Vec<WindowClose>) -> io::Result<()> {
        for close in closed {
            self.dirty = true;
            let rule = &self.p.pipeline.rules[close.rule].name;
            for group in &close.fired {
                if self
                    .p
                    .store
                    .insert_window_alert(rule, (close.start, close.end), &group.key, &group.message, close.first_seq)
                    .map_err(io_err)?
                {
                    self.counts.window_alerts += 1;
                    self.pending.extend(self.decider.window_alert(&close, group).map(Job::Alert));
                }
            }
        }
        Ok(())
    }
}
