//! `pipec replay`: the spec's rules over the raw archive, with the runtime's own decisions
//! ([`crate::runtime::decide::Decider`]), streaming (memory flat in the archive's size: one
//! object is read at a time, through a bounded buffer).
//!
//! * Objects: [`archive`] lists them (a folder, or S3 through `crate::deploy::archive`) and
//!   they are read in archive order (time in the name, then key). `from`/`to` keep the
//!   objects whose time is in `[from, to)`; an object without a time is then left out.
//! * Records: gzip (any number of concatenated members) or plain, split by [`split`] (NDJSON
//!   and Firehose's concatenated records).
//! * Arrival time: an archived record keeps no arrival time of its own, so each record gets
//!   its object's time (pipec: its first record's arrival, to the second; Firehose: the time
//!   in its name), never going backwards across objects (an object without a time takes the
//!   previous one's). Windowed rules run on that arrival order: a window holds the objects
//!   whose time falls in it, and every open window is decided at the end.
//! * `now()` in rules and enrichments is the time the replay started.
//! * With an old spec, both decide every record and [`report::RuleDiff`] counts the
//!   differences per rule name.

pub mod archive;
pub mod report;
pub mod split;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value as Json, json};

pub use archive::{Archive, LocalArchive, Object};
pub use report::Report;

use crate::ir::{Pipeline, RuleKind};
use crate::runtime::decide::{At, Decider, Verdict, WindowClose};
use report::{DeadLetter, ObjectError, RuleDiff, RuleReport, window_example};
use split::{Piece, Splitter};

/// What to replay and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// Keep objects whose time is in `[from, to)` (epoch ms).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Examples kept per rule, per difference and for dead letters.
    pub examples: usize,
    /// `now()` of the rules and enrichments (epoch ms).
    pub now: i64,
}

/// Progress, reported after each object and every few thousand records.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Stored bytes of the selected objects, and how many were read.
    pub total_bytes: u64,
    pub read_bytes: u64,
    pub objects: u64,
    pub records: u64,
    pub flagged: u64,
}

/// Where `--output` writes: `flagged.ndjson` and `dead-letter.ndjson`.
pub struct Output {
    flagged: BufWriter<File>,
    dead: BufWriter<File>,
}

impl Output {
    /// Creates (or truncates) the two files in `dir`, creating `dir`.
    pub fn create(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let open = |name: &str| {
            let path = dir.join(name);
            File::create(&path)
                .map(BufWriter::new)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        };
        Ok(Self { flagged: open("flagged.ndjson")?, dead: open("dead-letter.ndjson")? })
    }

    fn line(w: &mut BufWriter<File>, value: &Json) -> io::Result<()> {
        serde_json::to_writer(&mut *w, value)?;
        w.write_all(b"\n")
    }
}

/// Why a replay stopped before the end.
#[derive(Debug)]
pub enum Error {
    /// The archive could not be listed.
    List(io::Error),
    /// `--output` could not be written.
    Output(io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::List(e) => write!(f, "cannot list the archive: {e}"),
            Self::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

/// Counts bytes read through it (the progress of an object's stored bytes).
struct Counted<'a, R> {
    inner: R,
    count: &'a std::cell::Cell<u64>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The state of one replay.
struct Replay<'o> {
    new: Decider,
    old: Option<Decider>,
    options: Options,
    report: Report,
    output: Option<&'o mut Output>,
    /// Rule name → its differences (with an old spec).
    diffs: BTreeMap<String, RuleDiff>,
    /// Window groups fired by only one side so far: (end, rule, start, group key) → (fired by
    /// the new spec?, example).
    windows: BTreeMap<(i64, String, i64, String), (bool, Json)>,
    progress: Progress,
}

/// Replays `archive` through `pipeline` (and `against`, the old version of it), reporting
/// progress to `on_progress`. Objects that cannot be read are reported in
/// [`Report::object_errors`] and the replay goes on with the next one.
pub fn replay(
    pipeline: Pipeline,
    against: Option<Pipeline>,
    archive: &mut dyn Archive,
    options: Options,
    mut output: Option<&mut Output>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<Report, Error> {
    let mut objects = archive.list().map_err(Error::List)?;
    archive::sort(&mut objects);
    let listed = objects.len() as u64;
    if options.from.is_some() || options.to.is_some() {
        let keep = |t: i64| options.from.is_none_or(|f| t >= f) && options.to.is_none_or(|to| t < to);
        objects.retain(|o| o.time_ms.is_some_and(keep));
    }
    let rules = rule_reports(&pipeline);
    let mut r = Replay {
        new: Decider::new(Arc::new(pipeline)),
        old: against.map(|p| Decider::new(Arc::new(p))),
        report: Report {
            archive: archive.name(),
            objects_skipped: listed - objects.len() as u64,
            rules,
            ..Report::default()
        },
        output: output.take(),
        diffs: BTreeMap::new(),
        windows: BTreeMap::new(),
        progress: Progress { total_bytes: objects.iter().map(|o| o.size).sum(), ..Progress::default() },
        options,
    };
    if let Some(old) = &r.old {
        r.diffs = diff_entries(r.new.pipeline(), old.pipeline());
    }
    let mut arrival = i64::MIN;
    for object in &objects {
        arrival = arrival.max(object.time_ms.unwrap_or(i64::MIN));
        let at_ms = if arrival == i64::MIN { 0 } else { arrival };
        r.report.first_ms = r.report.first_ms.or(object.time_ms);
        r.report.last_ms = object.time_ms.or(r.report.last_ms);
        let read = std::cell::Cell::new(0);
        if let Err(e) = r.object(archive, object, at_ms, &read, on_progress) {
            if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<OutputError>()) {
                return Err(Error::Output(io::Error::other(inner.0.to_string())));
            }
            r.report.object_errors.push(ObjectError { object: object.key.clone(), error: e.to_string() });
        }
        r.report.objects += 1;
        r.report.bytes += read.get();
        r.progress.read_bytes += object.size;
        r.progress.objects += 1;
        on_progress(&r.progress);
        r.settle_windows(false);
    }
    let closed = r.new.close_windows(i64::MAX);
    r.windows_closed(closed, true);
    if let Some(old) = &mut r.old {
        let closed = old.close_windows(i64::MAX);
        r.windows_closed(closed, false);
    }
    r.settle_windows(true);
    if let Some(out) = r.output.take() {
        out.flagged.flush().and_then(|()| out.dead.flush()).map_err(Error::Output)?;
    }
    let mut report = r.report;
    if r.old.is_some() {
        report.against = Some(r.diffs.into_values().collect());
    }
    Ok(report)
}

/// An `--output` write failure, carried through the object's `io::Error` to stop the replay.
#[derive(Debug)]
struct OutputError(io::Error);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for OutputError {}

fn output_err(e: io::Error) -> io::Error {
    io::Error::other(OutputError(e))
}

fn rule_reports(pipeline: &Pipeline) -> Vec<RuleReport> {
    pipeline
        .rules
        .iter()
        .map(|rule| RuleReport {
            name: rule.name.clone(),
            kind: match rule.kind {
                RuleKind::PerRecord => "record",
                RuleKind::Windowed { .. } => "window",
            },
            ..RuleReport::default()
        })
        .collect()
}

fn diff_entries(new: &Pipeline, old: &Pipeline) -> BTreeMap<String, RuleDiff> {
    let names = |p: &Pipeline| p.rules.iter().map(|r| r.name.clone()).collect::<BTreeSet<_>>();
    let (in_new, in_old) = (names(new), names(old));
    in_new
        .union(&in_old)
        .map(|name| {
            let status = match (in_new.contains(name), in_old.contains(name)) {
                (true, true) => "both",
                (true, false) => "new",
                _ => "old",
            };
            (name.clone(), RuleDiff { name: name.clone(), status, ..RuleDiff::default() })
        })
        .collect()
}

/// Opens an object's stored bytes as its records' bytes: gzip (every member) or plain.
fn decoded<'a>(raw: impl Read + 'a) -> io::Result<Box<dyn BufRead + 'a>> {
    let mut raw = BufReader::with_capacity(256 * 1024, raw);
    let gzip = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        Box::new(BufReader::with_capacity(256 * 1024, flate2::bufread::MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    })
}

impl Replay<'_> {
    fn object(
        &mut self,
        archive: &mut dyn Archive,
        object: &Object,
        arrival_ms: i64,
        read: &std::cell::Cell<u64>,
        on_progress: &mut dyn FnMut(&Progress),
    ) -> io::Result<()> {
        let stream = archive.open(object)?;
        let mut records = Splitter::new(decoded(Counted { inner: stream, count: read })?);
        let mut index = 0u64;
        while let Some(piece) = records.next_piece()? {
            let seq = self.report.records;
            self.report.records += 1;
            let at = At { arrival_ms, seq, offset: 0 };
            match piece {
                Piece::Record(record) => {
                    let (object, record) = (object.key.as_str(), record);
                    self.record(object, index, record, at)?;
                }
                Piece::TooLong(head, bytes) => {
                    let reason = format!("record is {bytes} bytes, over the limit of {} bytes", split::MAX_PIECE);
                    self.dead_letter(&object.key, index, &reason, head, bytes)?;
                }
            }
            index += 1;
            if self.report.records.is_multiple_of(8192) {
                self.progress.records = self.report.records;
                self.progress.flagged = self.report.flagged;
                on_progress(&self.progress);
            }
        }
        self.progress.records = self.report.records;
        self.progress.flagged = self.report.flagged;
        Ok(())
    }

    fn record(&mut self, object: &str, index: u64, record: &[u8], at: At) -> io::Result<()> {
        let now = self.options.now;
        let decision = self.new.decide(record, at, now);
        self.windows_closed(decision.closed, true);
        let old = self.old.as_mut().map(|old| old.decide(record, at, now));
        if let (Some(late), false) = (&decision.late, matches!(decision.verdict, Verdict::Invalid { .. })) {
            // Flink engine: left out of a windowed rule's windows, as `pipec run --local` does.
            self.dead_letter(object, index, late, record, record.len() as u64)?;
        }
        let new_matched = match &decision.verdict {
            Verdict::Invalid { reason } => {
                return self.dead_letter(object, index, reason, record, record.len() as u64);
            }
            Verdict::Passed => Vec::new(),
            Verdict::Refused { rules, reason } => {
                for &i in rules {
                    self.report.rules[i].dead_letters += 1;
                }
                self.dead_letter(object, index, reason, record, record.len() as u64)?;
                rules.clone()
            }
            Verdict::Flagged { rules, item } => {
                self.report.flagged += 1;
                for &i in rules {
                    let rule = &mut self.report.rules[i];
                    rule.flagged += 1;
                    if rule.examples.len() < self.options.examples {
                        rule.examples.push(Json::Object(item.clone()));
                    }
                }
                if let Some(out) = self.output.as_deref_mut() {
                    let names: Vec<&str> = rules.iter().map(|&i| self.new.pipeline().rules[i].name.as_str()).collect();
                    let line = json!({ "rules": names, "item": item, "object": object, "index": index });
                    Output::line(&mut out.flagged, &line).map_err(output_err)?;
                }
                rules.clone()
            }
        };
        self.report.decided += 1;
        for rule in &mut self.report.rules {
            rule.seen += 1;
        }
        if let Some(old) = old {
            self.windows_closed(old.closed, false);
            self.diff(&decision.verdict, &new_matched, &old.verdict);
        }
        Ok(())
    }

    /// Per rule name: matched by one side only (a matched record dead-lettered for the store's
    /// limits still counts as the rule's decision).
    fn diff(&mut self, new: &Verdict, new_matched: &[usize], old: &Verdict) {
        let old_matched: &[usize] = match old {
            Verdict::Flagged { rules, .. } | Verdict::Refused { rules, .. } => rules,
            Verdict::Invalid { .. } | Verdict::Passed => &[],
        };
        if new_matched.is_empty() && old_matched.is_empty() {
            return;
        }
        let old_pipeline = self.old.as_ref().expect("diffing").pipeline();
        let new_names: BTreeSet<&str> =
            new_matched.iter().map(|&i| self.new.pipeline().rules[i].name.as_str()).collect();
        let old_names: BTreeSet<&str> = old_matched.iter().map(|&i| old_pipeline.rules[i].name.as_str()).collect();
        let example = |v: &Verdict| match v {
            Verdict::Flagged { item, .. } => Json::Object(item.clone()),
            Verdict::Refused { reason, .. } => json!({ "dead_letter": reason }),
            Verdict::Invalid { reason } => json!({ "invalid": reason }),
            Verdict::Passed => Json::Null,
        };
        let keep = self.options.examples;
        for name in new_names.symmetric_difference(&old_names) {
            let newly = new_names.contains(name);
            let entry = self.diffs.get_mut(*name).expect("every rule name has an entry");
            entry.add(newly, || example(if newly { new } else { old }), keep);
        }
    }

    /// Records window decisions: in the report (new spec), and for the diff.
    fn windows_closed(&mut self, closed: Vec<WindowClose>, new: bool) {
        for close in closed {
            let pipeline = if new { self.new.pipeline() } else { self.old.as_ref().expect("diffing").pipeline() };
            let name = pipeline.rules[close.rule].name.clone();
            for group in close.fired {
                let example = || window_example(close.start, close.end, &group.group, &group.aggregates);
                if new {
                    let rule = &mut self.report.rules[close.rule];
                    rule.flagged += 1;
                    if rule.examples.len() < self.options.examples {
                        rule.examples.push(example());
                    }
                }
                if self.old.is_none() {
                    continue;
                }
                let key = (close.end, name.clone(), close.start, group.key.clone());
                match self.windows.remove(&key) {
                    Some((side, _)) if side != new => {}
                    _ => {
                        self.windows.insert(key, (new, example()));
                    }
                }
            }
        }
    }

    /// Settles the window groups fired by one side only once the other side has closed that
    /// window too (or has no windowed rule of that name): the difference is then final.
    /// `everything` settles all (the end, after every window was decided).
    fn settle_windows(&mut self, everything: bool) {
        let Some(old) = &self.old else { return };
        let until = |d: &Decider| -> BTreeMap<String, i64> {
            let windowed = d.pipeline().rules.iter().filter(|r| matches!(r.kind, RuleKind::Windowed { .. }));
            let mut m: BTreeMap<String, i64> = windowed.map(|r| (r.name.clone(), i64::MIN)).collect();
            m.extend(d.closed_until().map(|(name, t)| (name.to_owned(), t)));
            m
        };
        let (new_until, old_until) = (until(&self.new), until(old));
        let closed = |m: &BTreeMap<String, i64>, name: &str, end: i64| m.get(name).is_none_or(|&t| t >= end);
        let mut settled = Vec::new();
        self.windows.retain(|(end, name, _, _), (newly, example)| {
            let done = everything || (closed(&new_until, name, *end) && closed(&old_until, name, *end));
            if done {
                settled.push((name.clone(), *newly, std::mem::take(example)));
            }
            !done
        });
        let keep = self.options.examples;
        for (name, newly, example) in settled {
            self.diffs.get_mut(&name).expect("every rule name has an entry").add(newly, || example, keep);
        }
    }

    fn dead_letter(&mut self, object: &str, index: u64, reason: &str, record: &[u8], bytes: u64) -> io::Result<()> {
        let letter = DeadLetter {
            object: object.to_owned(),
            index,
            reason: reason.to_owned(),
            bytes,
            record: String::from_utf8_lossy(record).into_owned(),
        };
        if let Some(out) = self.output.as_deref_mut() {
            let line = serde_json::to_value(&letter).expect("plain data serializes");
            Output::line(&mut out.dead, &line).map_err(output_err)?;
        }
        self.report.dead_letters.add(letter, self.options.examples);
        Ok(())
    }
}
