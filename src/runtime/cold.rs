//! The cold path: every raw record, batched as the spec says (size of raw data or interval
//! since the batch's first record, whichever comes first), GZIP-compressed and written
//! atomically as one object under `archive/PREFIX/YYYY/MM/DD/HH/` (UTC; daily layout without
//! `HH/`), each record followed by `\n`.
//!
//! Threads: the *consumer* reads the log and cuts batches into ~1 MiB chunks; *workers* (one
//! per core) compress chunks in parallel; the *writer* appends the compressed chunks to the
//! batch's temp file in order, then fsyncs, renames and only then stores the checkpoint.
//!
//! Exactly once in the archive, also across a kill -9: an object is named
//! `<stream>-<first seq, 12 digits>-<arrival time of its first record>.gz`, both read from the
//! log, so a replay from the checkpoint rebuilds the object that was renamed but not yet
//! checkpointed under the same name and replaces it. Objects are committed strictly in order
//! and the checkpoint is stored after each rename, so at most that one object lies past the
//! checkpoint. Unfinished temp files are removed at start.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use super::checkpoint::{Checkpoint, CheckpointFile};
use super::clock::civil;
use super::gzip;
use super::health::{Backoff, Health, is_transient};
use super::log::Log;
use super::metrics::Metrics;
use crate::ir::{Archive, Layout};

const MIB: u64 = 1024 * 1024;

/// What the cold path needs to know.
#[derive(Clone, Debug)]
pub struct ColdConfig {
    pub archive: Archive,
    pub stream: String,
    /// The "bucket": objects go under `root/PREFIX...`.
    pub root: PathBuf,
    pub chunk_bytes: usize,
    pub threads: usize,
    pub level: u32,
}

struct Work {
    raw: Vec<u8>,
    /// The chunk as written to the object: a gzip member, or the raw bytes.
    reply: Sender<Vec<u8>>,
}

enum Ordered {
    Chunk(Receiver<Vec<u8>>),
    /// Close the current object.
    Finish {
        key: String,
        events: u64,
        checkpoint: Checkpoint,
    },
}

struct Batch {
    first_seq: u64,
    first_ms: i64,
    started: Instant,
    raw: u64,
    events: u64,
}

/// The object key of a batch (relative to the bucket root).
#[must_use]
pub fn object_key(archive: &Archive, stream: &str, first_seq: u64, first_ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(first_ms);
    let dir = match archive.layout {
        Layout::Hourly => format!("{y:04}/{mo:02}/{d:02}/{h:02}/"),
        Layout::Daily => format!("{y:04}/{mo:02}/{d:02}/"),
    };
    let ext = if archive.gzip { ".gz" } else { "" };
    format!("{}{dir}{stream}-{first_seq:012}-{y:04}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}{ext}", archive.prefix)
}

/// The archive's name on the health board.
const ARCHIVE: &str = "archive";

/// Starts the cold path; it drains the log and flushes its last batch once `stop` is set.
/// A failed write (disk full) stops the current pass; the cold path reports it, waits, and
/// starts again from its checkpoint, which rebuilds the unfinished object under the same name.
pub fn spawn(
    config: ColdConfig,
    log: Log,
    checkpoint: CheckpointFile,
    metrics: &Arc<Metrics>,
    stop: Arc<AtomicBool>,
    health: Arc<Health>,
) -> io::Result<JoinHandle<io::Result<()>>> {
    let metrics = metrics.clone();
    std::thread::Builder::new().name("pipec-cold".into()).spawn(move || {
        let mut backoff = Backoff::default();
        loop {
            let Err(e) = run(&config, &log, &checkpoint, &metrics, &stop, &health) else { return Ok(()) };
            if !is_transient(&e) {
                return Err(e);
            }
            health.blocked(ARCHIVE, &e);
            std::thread::sleep(backoff.next_wait());
        }
    })
}

/// One pass of the cold path, from its checkpoint until `stop` (or the first error).
fn run(
    config: &ColdConfig,
    log: &Log,
    checkpoint: &CheckpointFile,
    metrics: &Arc<Metrics>,
    stop: &AtomicBool,
    health: &Arc<Health>,
) -> io::Result<()> {
    let tmp = config.root.join(".pipec-tmp");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    let start = checkpoint.load()?;
    metrics.cold_seq.store(start.seq, Ordering::Relaxed);
    let threads = config.threads.max(1);
    let (work_tx, work_rx) = bounded::<Work>(threads * 2);
    let (ordered_tx, ordered_rx) = bounded::<Ordered>(threads * 4);
    let (pool_tx, pool_rx) = bounded::<Vec<u8>>(threads * 8);
    let gzip = config.archive.gzip;
    let mut workers = Vec::new();
    for _ in 0..threads {
        let rx = work_rx.clone();
        let pool = pool_tx.clone();
        let level = config.level;
        workers.push(std::thread::Builder::new().name("pipec-gzip".into()).spawn(move || {
            let mut compressor = gzip.then(|| gzip::Gzip::new(level));
            for Work { mut raw, reply } in rx {
                let _ = reply.send(compress(&mut raw, compressor.as_mut()));
                raw.clear();
                let _ = pool.try_send(raw);
            }
        })?);
    }
    let writer = {
        let (root, metrics, checkpoint, health) =
            (config.root.clone(), metrics.clone(), checkpoint.clone(), health.clone());
        std::thread::Builder::new()
            .name("pipec-archive".into())
            .spawn(move || write_objects(&root, &tmp, &ordered_rx, &checkpoint, &metrics, &health))?
    };
    let hot = HotProgress { metrics: metrics.clone(), start: metrics.hot_events.load(Ordering::Relaxed) };
    let queues = Queues { work: &work_tx, ordered: &ordered_tx, pool: &pool_rx };
    let result = consume(config, log, &start, &queues, &hot, stop);
    drop((work_tx, ordered_tx));
    for w in workers {
        let _ = w.join();
    }
    let written = writer.join().unwrap_or_else(|_| Err(io::Error::other("archive writer panicked")));
    // The writer's error is the cause when the consumer only saw it stop.
    written.and(result)
}

/// One chunk, compressed (or passed through when the archive is not gzipped).
fn compress(raw: &mut Vec<u8>, gzip: Option<&mut gzip::Gzip>) -> Vec<u8> {
    match gzip {
        Some(gzip) => gzip.member(raw),
        None => std::mem::take(raw),
    }
}

struct Queues<'a> {
    work: &'a Sender<Work>,
    ordered: &'a Sender<Ordered>,
    pool: &'a Receiver<Vec<u8>>,
}

/// How many records the hot path has decided since the cold path started.
struct HotProgress {
    metrics: Arc<Metrics>,
    start: u64,
}

impl HotProgress {
    fn decided(&self) -> u64 {
        self.metrics.hot_events.load(Ordering::Relaxed).saturating_sub(self.start)
    }
}

fn consume(
    config: &ColdConfig,
    log: &Log,
    start: &Checkpoint,
    queues: &Queues,
    hot: &HotProgress,
    stop: &AtomicBool,
) -> io::Result<()> {
    let Queues { work, ordered, pool } = *queues;
    let max_raw = u64::from(config.archive.buffer_mib) * MIB;
    let interval = Duration::from_secs(u64::from(config.archive.interval_seconds));
    let mut reader = log.reader(start.offset);
    let mut chunk: Vec<u8> = Vec::with_capacity(config.chunk_bytes + 64 * 1024);
    let mut batch: Option<Batch> = None;
    let closed = || io::Error::other("archive writer stopped");
    let taken = std::cell::Cell::new(0u64);
    // The consumer's own compressor, made the first time every worker is busy.
    let own = std::cell::RefCell::new(None);
    let dispatch = |chunk: &mut Vec<u8>| -> io::Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        let next = pool.try_recv().unwrap_or_else(|_| Vec::with_capacity(config.chunk_bytes + 64 * 1024));
        let raw = std::mem::replace(chunk, next);
        let (reply, result) = bounded(1);
        match work.try_send(Work { raw, reply }) {
            Ok(()) => {}
            // Every worker is busy. While the hot path is ahead of the archive, compress here
            // too, so that compression takes the CPU the hot path leaves (the consumer itself
            // only copies bytes); while it is behind, wait and leave the CPU to the hot path.
            Err(TrySendError::Full(Work { mut raw, reply })) if hot.decided() > taken.get() => {
                let mut own = own.borrow_mut();
                let gzip = config.archive.gzip.then(|| own.get_or_insert_with(|| gzip::Gzip::new(config.level)));
                let _ = reply.send(compress(&mut raw, gzip));
            }
            Err(TrySendError::Full(w)) => work.send(w).map_err(|_| closed())?,
            Err(TrySendError::Disconnected(_)) => return Err(closed()),
        }
        ordered.send(Ordered::Chunk(result)).map_err(|_| closed())
    };
    let finish = |chunk: &mut Vec<u8>, batch: Batch, offset: u64| -> io::Result<()> {
        dispatch(chunk)?;
        let key = object_key(&config.archive, &config.stream, batch.first_seq, batch.first_ms);
        let checkpoint = Checkpoint { offset, seq: batch.first_seq + batch.events, ..Checkpoint::default() };
        ordered.send(Ordered::Finish { key, events: batch.events, checkpoint }).map_err(|_| closed())
    };
    let mut skip_below = start.seq;
    loop {
        let stopping = stop.load(Ordering::Acquire);
        let Some(frame) = reader.next_frame()? else {
            let due = batch.as_ref().is_some_and(|b| b.started.elapsed() >= interval);
            if (due || (stopping && reader.caught_up()))
                && let Some(b) = batch.take()
            {
                finish(&mut chunk, b, reader.position())?;
            }
            if stopping && reader.caught_up() {
                return Ok(());
            }
            let wait = batch.as_ref().map_or(Duration::from_millis(200), |b| {
                interval.saturating_sub(b.started.elapsed()).clamp(Duration::from_millis(1), Duration::from_millis(200))
            });
            log.wait_past(reader.position(), wait);
            continue;
        };
        let end = frame.end;
        for (seq, record) in frame.records() {
            if seq < skip_below {
                continue; // a checkpoint inside a frame cannot happen, but stay exact
            }
            let b = batch.get_or_insert_with(|| Batch {
                first_seq: seq,
                first_ms: frame.arrival_ms,
                started: Instant::now(),
                raw: 0,
                events: 0,
            });
            chunk.extend_from_slice(record);
            if record.last() != Some(&b'\n') {
                chunk.push(b'\n');
            }
            b.raw += record.len() as u64 + 1;
            b.events += 1;
            taken.set(taken.get() + 1);
            if chunk.len() >= config.chunk_bytes {
                dispatch(&mut chunk)?;
            }
        }
        skip_below = 0;
        // Objects end on frame boundaries, so every checkpoint is a frame offset.
        if batch.as_ref().is_some_and(|b| b.raw >= max_raw || b.started.elapsed() >= interval) {
            let b = batch.take().expect("checked");
            finish(&mut chunk, b, end)?;
        }
    }
}

fn write_objects(
    root: &Path,
    tmp_dir: &Path,
    ordered: &Receiver<Ordered>,
    checkpoint: &CheckpointFile,
    metrics: &Metrics,
    health: &Health,
) -> io::Result<()> {
    // The object being written: its temp file and path, and its compressed size so far.
    let mut current: Option<(File, PathBuf, u64)> = None;
    let mut n = 0u64;
    for item in ordered {
        match item {
            Ordered::Chunk(result) => {
                let chunk = result.recv().map_err(|_| io::Error::other("compression worker stopped"))?;
                if current.is_none() {
                    n += 1;
                    let path = tmp_dir.join(format!("{n}.part"));
                    current = Some((File::create(&path)?, path, 0));
                }
                let (file, _, size) = current.as_mut().expect("opened above");
                file.write_all(&chunk)?;
                *size += chunk.len() as u64;
            }
            Ordered::Finish { key, events, checkpoint: cp } => {
                let Some((file, path, size)) = current.take() else { continue };
                file.sync_all()?;
                drop(file);
                let target = root.join(&key);
                let dir = target.parent().expect("keys have a folder");
                fs::create_dir_all(dir)?;
                fs::rename(&path, &target)?;
                super::log::sync_dir(dir)?;
                checkpoint.store(&cp)?;
                health.cleared(ARCHIVE);
                Metrics::add(&metrics.archived_events, events);
                Metrics::add(&metrics.archived_bytes, size);
                Metrics::add(&metrics.archived_objects, 1);
                metrics.cold_seq.store(cp.seq, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}
