//! The local runtime (`pipec run --local`): the whole pipeline on one machine, reading only
//! the IR ([`Pipeline`]).
//!
//! ```text
//!  sources ──append──▶ log (segments, fsync policy) ──▶ hot:  validate → rules → SQLite → notify
//!  (generator, NDJSON,                               └─▶ cold: batch → parallel gzip → archive
//!   HTTP via Handle::ingest)       each consumer with its own checkpoint
//! ```
//!
//! # Engine API (for servers and other front ends)
//!
//! ```text
//! let handle: Handle = Engine::start(pipeline, config)?;     // recovers, starts all threads
//! handle.ingest(&[b"{..}".as_slice()])?;      // -> IngestReport { seqs, rejected }
//! handle.ingest_ndjson(body)?;                // NDJSON body: one record per non-blank line
//! handle.metrics();                           // -> metrics::Snapshot (atomics, lock-free)
//! handle.store()?.flagged(100, 0)?;           // -> Vec<Flagged>, sorted as the viewer says
//! let mut rx = handle.subscribe();            // tokio watch::Receiver<Change>: rx.changed().await
//! handle.paths(); handle.pipeline(); handle.config();
//! handle.shutdown()?;                         // drain the log, flush everything, join; -> Snapshot
//! ```
//!
//! `Handle` is `Send + Sync` (share it in an `Arc`); every call is blocking but short
//! (`ingest` is one `write(2)` into the log, plus an fsync under [`Fsync::Always`]), so call
//! it from `tokio::task::spawn_blocking` or accept a sub-millisecond block. An `Ok` from
//! `ingest` is the acknowledgement: the records survive a crash of the process.
//! Records over [`Config::max_record_bytes`] (1 MiB, as Kinesis) are not appended: they are
//! dead-lettered and reported in [`IngestReport::rejected`].
//!
//! # Guarantees
//! * Log: see [`log`] (acknowledged = written; power-loss window = the fsync interval).
//! * Store: exactly once per key (checkpoint in the same SQLite transaction), see [`store`].
//! * Archive: every record exactly once, also across kill -9, see [`cold`].
//! * Dead letters: at least once, see [`deadletter`]; notifications: see [`notify`].
//!
//! # Data directory (default `.pipec/<pipeline name>/`)
//! `log/` segments · `checkpoints/cold.json` · `store.sqlite` (flagged rows, window alerts,
//! hot checkpoint) · `archive/<prefix>YYYY/MM/DD/HH/*.gz` · `dead-letter/events.ndjson`,
//! `dead-letter/webhooks.ndjson` · `outbox/<topic>.mbox` · `run.json` (the configuration
//! of the last run, as `pipec build --target local` writes it).

pub mod checkpoint;
pub mod clock;
pub mod cold;
pub mod deadletter;
pub mod decide;
pub mod event_time;
pub mod frame;
pub mod generate;
pub mod gzip;
pub mod health;
pub mod hot;
pub mod http;
pub mod log;
pub mod metrics;
pub mod notify;
pub mod parse;
pub mod plan;
pub mod quarantine;
pub mod session;
pub mod source;
pub mod store;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

pub use health::Pause;
pub use log::{Batch, Fsync};
pub use metrics::{Metrics, Snapshot};
pub use notify::{Console, WebhookPolicy};
pub use plan::plan;
pub use quarantine::Recovery;
pub use store::{Flagged, StoreReader};

use crate::ir::Pipeline;

/// The default address of the HTTP API and viewer (`--listen`, [`Config::listen`]):
/// kinesalite's port, so producers set up for it work unchanged.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4567";

/// Kinesis' record limit.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Run-time settings (what `pipec build --target local` writes beside the pipeline).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub data_dir: PathBuf,
    /// Address for the HTTP server (ingest API, viewer, metrics), when one runs.
    pub listen: String,
    pub fsync: Fsync,
    /// A segment rolls when it reaches this size.
    pub segment_bytes: u64,
    pub max_record_bytes: usize,
    /// Raw bytes per compression chunk.
    pub chunk_bytes: usize,
    /// Compression threads (default: one per core).
    pub compress_threads: usize,
    pub gzip_level: u32,
    /// Report alerts to the runner ([`Handle::console_alerts`]).
    pub console: bool,
    pub webhook: WebhookPolicy,
    /// The pipeline's diagram (SVG text) that the viewer shows at `/graph`; the CLI draws it
    /// (the runtime never imports the graph stage). Not part of the run plan.
    #[serde(skip)]
    pub graph_svg: Option<String>,
}

impl Config {
    /// The defaults for a data directory.
    #[must_use]
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            listen: DEFAULT_LISTEN.into(),
            fsync: Fsync::IntervalMs(200),
            segment_bytes: 64 << 20,
            max_record_bytes: MAX_RECORD_BYTES,
            chunk_bytes: 1 << 20,
            compress_threads: std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            gzip_level: 6,
            console: false,
            webhook: WebhookPolicy::default(),
            graph_svg: None,
        }
    }

    /// `.pipec/<name>/`.
    #[must_use]
    pub fn default_data_dir(pipeline: &Pipeline) -> PathBuf {
        Path::new(".pipec").join(&pipeline.name)
    }
}

/// Where everything is.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Paths {
    pub root: PathBuf,
    pub log: PathBuf,
    pub checkpoints: PathBuf,
    pub store: PathBuf,
    /// The "bucket" (object keys start with the spec's prefix).
    pub archive: PathBuf,
    pub dead_letter: PathBuf,
    pub webhook_dead_letter: PathBuf,
    pub outbox: PathBuf,
}

impl Paths {
    #[must_use]
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            log: root.join("log"),
            checkpoints: root.join("checkpoints"),
            store: root.join("store.sqlite"),
            archive: root.join("archive"),
            dead_letter: root.join("dead-letter").join("events.ndjson"),
            webhook_dead_letter: root.join("dead-letter").join("webhooks.ndjson"),
            outbox: root.join("outbox"),
        }
    }
}

/// What changed in the store (sent on every commit that added rows or alerts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// Rows stored by this run.
    pub stored: u64,
    pub window_alerts: u64,
    /// Records decided by the hot path (log sequence number).
    pub last_seq: u64,
}

/// The result of one ingest call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Sequence numbers given to the appended records, in order.
    pub seqs: std::ops::Range<u64>,
    /// Indexes (in the call's input) of records refused for size, with the reason.
    pub rejected: Vec<(usize, String)>,
}

/// Starts engines.
pub struct Engine;

type Worker = JoinHandle<io::Result<()>>;

/// A running engine.
pub struct Handle {
    pipeline: Arc<Pipeline>,
    config: Config,
    paths: Paths,
    log: log::Log,
    metrics: Arc<Metrics>,
    dead_letter: Arc<deadletter::DeadLetter>,
    changes: tokio::sync::watch::Receiver<Change>,
    stop: Arc<AtomicBool>,
    stop_flusher: Arc<AtomicBool>,
    health: Arc<health::Health>,
    workers: Mutex<Vec<(&'static str, Worker)>>,
    notifier: Mutex<Option<JoinHandle<()>>>,
    /// Alerts for the console, when `Config::console`.
    console: Option<crossbeam_channel::Receiver<notify::Console>>,
    _lock: fs::File,
}

impl Engine {
    /// Opens the data directory (recovering the log), and starts the hot path, the cold path,
    /// the notifier and the log flusher.
    pub fn start(pipeline: Pipeline, config: Config) -> io::Result<Handle> {
        let paths = Paths::new(&config.data_dir);
        fs::create_dir_all(&paths.root)?;
        let lock = fs::File::create(paths.root.join("lock"))?;
        if lock.try_lock().is_err() {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is in use by another `pipec run`", paths.root.display()),
            ));
        }
        fs::write(
            paths.root.join("run.json"),
            serde_json::to_vec_pretty(&plan::plan(&pipeline, &config)).map_err(io::Error::other)?,
        )?;
        let pipeline = Arc::new(pipeline);
        let log = log::Log::open(&paths.log, config.fsync, config.segment_bytes)?;
        let metrics = Arc::new(Metrics::default());
        metrics.log_seq.store(log.next_seq(), Ordering::Relaxed);
        let dead_letter = Arc::new(deadletter::DeadLetter::open(&paths.dead_letter)?);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flusher = Arc::new(AtomicBool::new(false));
        let health = Arc::new(health::Health::default());
        let (changes_tx, changes) = tokio::sync::watch::channel(Change::default());
        let (alerts_tx, alerts_rx) = crossbeam_channel::bounded(20_000);
        let (console_tx, console) = if config.console {
            let (tx, rx) = crossbeam_channel::bounded(notify::CONSOLE_BACKLOG);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let mut workers: Vec<(&'static str, Worker)> = Vec::new();

        let store = store::Store::open(&paths.store, pipeline.store.as_ref()).map_err(io::Error::other)?;
        let hot = hot::HotParts {
            pipeline: pipeline.clone(),
            log: log.clone(),
            store,
            dead_letter: dead_letter.clone(),
            alerts: alerts_tx,
            metrics: metrics.clone(),
            changes: changes_tx,
            stop: stop.clone(),
            health: health.clone(),
        };
        workers.push(("hot path", std::thread::Builder::new().name("pipec-hot".into()).spawn(move || hot::run(hot))?));

        let cold_checkpoint = checkpoint::CheckpointFile::new(&paths.checkpoints, "cold");
        if let Some(archive) = &pipeline.archive {
            let cold = cold::ColdConfig {
                archive: archive.clone(),
                stream: pipeline.stream.name.clone(),
                root: paths.archive.clone(),
                chunk_bytes: config.chunk_bytes,
                threads: config.compress_threads,
                level: config.gzip_level,
            };
            let cold = cold::spawn(cold, log.clone(), cold_checkpoint.clone(), &metrics, stop.clone(), health.clone())?;
            workers.push(("cold path", cold));
        }

        let notify = notify::NotifyConfig {
            pipeline: pipeline.clone(),
            topics: pipeline.topics.clone().into(),
            outbox: paths.outbox.clone(),
            dead_letter: paths.webhook_dead_letter.clone(),
            console: console_tx,
            webhook: config.webhook,
            health: health.clone(),
        };
        let notifier = notify::spawn(notify, alerts_rx, metrics.clone())?;

        let flusher = {
            let (log, stop, metrics, health) = (log.clone(), stop_flusher.clone(), metrics.clone(), health.clone());
            let retention = Duration::from_secs(u64::from(pipeline.stream.kinesis().retention_hours) * 3600);
            let (store_path, has_cold) = (paths.store.clone(), pipeline.archive.is_some());
            std::thread::Builder::new().name("pipec-fsync".into()).spawn(move || {
                let cold = has_cold.then_some(&cold_checkpoint);
                flush_loop(&log, &stop, &metrics, &health, retention, &store_path, cold)
            })?
        };
        workers.push(("log flusher", flusher));
        Ok(Handle {
            pipeline,
            config,
            paths,
            log,
            metrics,
            dead_letter,
            changes,
            stop,
            stop_flusher,
            health,
            workers: Mutex::new(workers),
            notifier: Mutex::new(Some(notifier)),
            console,
            _lock: lock,
        })
    }
}

/// fsyncs the log on the policy's interval; applies retention once a minute. A failed fsync
/// is reported and retried on the next tick (the appends it covers stay in the page cache).
fn flush_loop(
    log: &log::Log,
    stop: &AtomicBool,
    metrics: &Metrics,
    health: &health::Health,
    retention: Duration,
    store: &Path,
    cold: Option<&checkpoint::CheckpointFile>,
) -> io::Result<()> {
    let interval = match log.fsync_policy() {
        Fsync::Always => Duration::from_millis(200),
        Fsync::IntervalMs(ms) => Duration::from_millis(ms.max(1)),
    };
    let mut last_retention = std::time::Instant::now();
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(interval);
        match log.sync() {
            Err(e) if health::is_transient(&e) => health.blocked(health::LOG, &e),
            other => other?,
        }
        metrics.log_seq.store(log.next_seq(), Ordering::Relaxed);
        if last_retention.elapsed() >= Duration::from_mins(1) {
            last_retention = std::time::Instant::now();
            let hot = store::Store::open(store, None).and_then(|s| s.checkpoint("hot")).map_err(io::Error::other)?;
            let cold = cold.map(checkpoint::CheckpointFile::load).transpose()?.map_or(u64::MAX, |c| c.offset);
            log.apply_retention(SystemTime::now() - retention, hot.offset.min(cold))?;
        }
    }
    log.sync()
}

impl Handle {
    /// The alerts delivered to the console since the last call, oldest first (empty unless
    /// `Config::console`).
    #[must_use]
    pub fn console_alerts(&self) -> Vec<Console> {
        self.console.as_ref().map(|rx| rx.try_iter().collect()).unwrap_or_default()
    }

    #[must_use]
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    #[must_use]
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The live counters.
    #[must_use]
    pub fn metrics(&self) -> Snapshot {
        self.metrics.log_seq.store(self.log.next_seq(), Ordering::Relaxed);
        let mut snapshot = self.metrics.snapshot();
        snapshot.paused_parts = self.health.pause().map_or(0, |p| p.parts.len() as u64);
        snapshot
    }

    /// A read-only connection to the store (open one per thread or keep it behind a mutex).
    pub fn store(&self) -> rusqlite::Result<StoreReader> {
        StoreReader::open(&self.paths.store, self.pipeline.store.as_ref())
    }

    /// Notified after every commit that added rows or window alerts.
    #[must_use]
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<Change> {
        self.changes.clone()
    }

    /// What cannot write right now (the run is paused and retrying), if anything.
    #[must_use]
    pub fn pause(&self) -> Option<Pause> {
        self.health.pause()
    }

    /// Problems that did not stop the run since the last call (a worker's failed side write).
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        self.health.take_warnings()
    }

    /// How many pauses have begun since the start (so a front end sees a short one too).
    #[must_use]
    pub fn pauses(&self) -> u64 {
        self.health.episodes()
    }

    /// What recovery moved to the quarantine at start (corrupt frames and the frames after
    /// them), one entry per damaged segment.
    #[must_use]
    pub fn recoveries(&self) -> &[Recovery] {
        self.log.recoveries()
    }

    /// Appends records as one batch (one log frame). Records over the size limit are
    /// dead-lettered and reported instead. While a part cannot write (disk full), the call
    /// fails with [`io::ErrorKind::StorageFull`] and nothing is appended: answer "retry later"
    /// (HTTP 503, Kinesis `InternalFailure`).
    pub fn ingest(&self, records: &[&[u8]]) -> io::Result<IngestReport> {
        if let Some(refused) = self.health.refuse_intake() {
            return Err(refused);
        }
        let mut batch = Batch::with_capacity(records.iter().map(|r| r.len() + 4).sum());
        let mut rejected = Vec::new();
        for (i, record) in records.iter().enumerate() {
            if record.len() > self.config.max_record_bytes {
                let reason = self.reject(record, record.len())?;
                rejected.push((i, reason));
            } else {
                batch.push(record);
            }
        }
        let seqs = self.append(&mut batch, None)?;
        Ok(IngestReport { seqs, rejected })
    }

    /// Appends the non-blank lines of an NDJSON body as one batch.
    pub fn ingest_ndjson(&self, body: &[u8]) -> io::Result<IngestReport> {
        let lines: Vec<&[u8]> = body
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .collect();
        self.ingest(&lines)
    }

    /// Appends a prepared batch (sources); `source` = `(id, position after it)` to resume.
    pub fn append(&self, batch: &mut Batch, source: Option<(u64, u64)>) -> io::Result<std::ops::Range<u64>> {
        let (n, bytes) = (batch.len() as u64, batch.bytes() as u64);
        let seqs = match self.log.append(batch, source) {
            Ok(seqs) => {
                self.health.cleared(health::LOG);
                seqs
            }
            Err(e) if health::is_transient(&e) => {
                self.health.blocked(health::LOG, &e);
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    format!("not appended, the log cannot write ({e}); retry later"),
                ));
            }
            Err(e) => return Err(e),
        };
        Metrics::add(&self.metrics.events_in, n);
        Metrics::add(&self.metrics.bytes_in, bytes - 4 * n);
        Ok(seqs)
    }

    /// [`Handle::append`] for a source: while intake is paused or the log cannot write, waits
    /// (with backoff) and tries again, until it succeeds or `stop` is set (then an
    /// [`io::ErrorKind::Interrupted`] error: the batch was not appended, and a resumable
    /// source continues with it next time).
    pub fn append_waiting(
        &self,
        batch: &mut Batch,
        source: Option<(u64, u64)>,
        stop: &AtomicBool,
    ) -> io::Result<std::ops::Range<u64>> {
        let mut backoff = health::Backoff::default();
        loop {
            let error = match self.health.refuse_intake() {
                Some(refused) => refused,
                None => match self.append(batch, source) {
                    Err(e) if e.kind() == io::ErrorKind::StorageFull => e,
                    other => return other,
                },
            };
            if !backoff.sleep(stop) {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    format!("stopped while intake was paused; {} records not taken ({error})", batch.len()),
                ));
            }
        }
    }

    /// Adds one NDJSON line (`len` is its full length; `line` may be cut short when it is over
    /// `max`) to `batch`: `true` when taken, `false` for a blank or refused line.
    pub fn take_line(&self, batch: &mut Batch, line: &[u8], len: usize, max: usize) -> io::Result<bool> {
        let (line, len) = match line.strip_suffix(b"\r") {
            Some(l) if len == line.len() => (l, len - 1),
            _ => (line, len),
        };
        if line.iter().all(u8::is_ascii_whitespace) && len == line.len() {
            return Ok(false);
        }
        if len > max {
            self.reject(line, len)?;
            return Ok(false);
        }
        batch.push(line);
        Ok(true)
    }

    fn reject(&self, record: &[u8], len: usize) -> io::Result<String> {
        let reason = format!("record is {len} bytes, over the limit of {} bytes", self.config.max_record_bytes);
        Metrics::add(&self.metrics.rejected, 1);
        self.dead_letter.write(None, &reason, record, &self.metrics)?;
        self.dead_letter.flush()?;
        Ok(reason)
    }

    /// Where a resumable source left off in the log.
    pub fn source_position(&self, id: u64) -> io::Result<Option<u64>> {
        self.log.source_position(id)
    }

    /// A worker that stopped with an error before shutdown, if any.
    #[must_use]
    pub fn failed(&self) -> Option<&'static str> {
        let workers = self.workers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        workers.iter().find(|(_, w)| w.is_finished()).map(|(name, _)| *name)
    }

    /// Stops: the consumers drain the log, the cold path flushes its last batch, the hot path
    /// decides every open window and commits, the notifier delivers what is pending, the log
    /// is fsynced. Call after the sources stopped. Returns the final counters.
    pub fn shutdown(&self) -> io::Result<Snapshot> {
        self.stop.store(true, Ordering::Release);
        self.log.wake();
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut result = Ok(());
        for (name, worker) in workers {
            if name == "log flusher" {
                self.stop_flusher.store(true, Ordering::Release);
            }
            let outcome = worker.join().unwrap_or_else(|_| Err(io::Error::other("panicked")));
            if let Err(e) = outcome
                && result.is_ok()
            {
                result = Err(io::Error::new(e.kind(), format!("{name}: {e}")));
            }
        }
        if let Some(notifier) = self.notifier.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            let _ = notifier.join();
        }
        self.dead_letter.flush()?;
        result.map(|()| self.metrics())
    }
}
