//! One local run from start to stop (`pipec run --local`), as data: it binds the HTTP API,
//! starts the engine and a source, and stops on end of input, the source's limits, or when
//! `stop` is set (the CLI sets it on Ctrl-C / SIGTERM); then it flushes everything. It prints
//! nothing: it reports [`Event`]s to an observer, which the CLI renders.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::generate::Generator;
use super::source::{self, Limits};
use super::{Config, Console, Engine, Handle, Snapshot};
use crate::ir::Pipeline;

/// Where the records come from.
#[derive(Clone, Debug)]
pub enum Input {
    /// An NDJSON file; the run ends when it is consumed.
    File(PathBuf),
    /// NDJSON on stdin.
    Stdin,
    /// The generator, at this many records per second (`None`: as fast as possible).
    Generate(Option<f64>),
    /// Records arrive over HTTP only.
    Http,
}

/// How a run is fed and bounded.
#[derive(Clone, Debug)]
pub struct Options {
    pub input: Input,
    /// Stop after this many events from the source.
    pub max_events: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Seed of the generator (a seeded generator resumes where an earlier run stopped).
    pub seed: Option<u64>,
    /// Allow a listen address that is not loopback.
    pub allow_remote: bool,
    /// Timeouts and the connection bound of the HTTP server.
    pub http: super::http::Limits,
}

/// What a run reports while it goes, in this order: `Started`, `Listening`, `Progress` (every
/// quarter second), `Warning` (any time), `Stopping`, and `Finished` unless the engine failed
/// to shut down.
pub enum Event<'a> {
    /// The engine runs: where everything is ([`Handle::paths`]) and what feeds it.
    Started { handle: &'a Handle, input: &'a Input },
    /// The HTTP API and viewer listen at `url`; `moved`: the default address was taken, so a
    /// free port was chosen instead.
    Listening { url: String, moved: bool },
    /// The counters, about every 250 ms while records flow.
    Progress(Snapshot),
    /// Alerts delivered since the last event (with `Config::console`), oldest first; a run
    /// reports them before each `Progress` and once more before `Finished`.
    Alerts(&'a [Console]),
    /// A problem that does not stop the run.
    Warning(String),
    /// Something the run did that the user should know (an input already consumed, intake
    /// paused because a part cannot write, resumed).
    Notice(String),
    /// The source stopped; the archive, store and notifications are being flushed.
    Stopping,
    /// Everything is flushed: the final counters and how long the run took.
    Finished { handle: &'a Handle, metrics: &'a Snapshot, elapsed: Duration },
}

/// Why a run failed.
#[derive(Debug)]
pub enum Error {
    /// The listen address cannot be bound (nothing was started).
    Listen { address: String, error: io::Error },
    /// The engine cannot start (data directory, recovery).
    Start(io::Error),
    /// The HTTP server cannot start.
    Serve(io::Error),
    /// The input failed (reported after [`Event::Finished`]).
    Input(io::Error),
    /// A worker of the engine ended early (reported after [`Event::Finished`]).
    Stopped(&'static str),
    /// Flushing at the end failed.
    Shutdown(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Listen { address, error } => write!(f, "cannot listen on {address}: {error}"),
            Error::Start(e) => write!(f, "cannot start the local runtime: {e}"),
            Error::Serve(e) => write!(f, "cannot start the HTTP server: {e}"),
            Error::Input(e) => write!(f, "input: {e}"),
            Error::Stopped(name) => write!(f, "the {name} stopped unexpectedly"),
            Error::Shutdown(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Runs `pipeline` under `config` (its `listen` address included) until the input ends, a
/// limit is reached or `stop` is set.
///
/// # Errors
/// See [`Error`]; `Input` and `Stopped` come after a complete shutdown and its `Finished` event.
pub fn run(
    pipeline: Pipeline,
    config: Config,
    options: &Options,
    stop: &Arc<AtomicBool>,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<(), Error> {
    let listener = super::http::bind(&config.listen, options.allow_remote)
        .map_err(|error| Error::Listen { address: config.listen.clone(), error })?;
    let handle = Arc::new(Engine::start(pipeline, config).map_err(Error::Start)?);
    observe(Event::Started { handle: &handle, input: &options.input });
    for r in handle.recoveries() {
        let unreadable = if r.unreadable > 0 {
            format!("; {} records inside the damaged frames could not be read (kept only as raw bytes)", r.unreadable)
        } else {
            String::new()
        };
        observe(Event::Warning(format!(
            "the log was damaged at offset {}: {} records skipped{unreadable}; the {} records in {} whole frames \
             after the damage are kept in {} (re-ingest them with --input; raw bytes in {})",
            r.offset,
            r.records + r.unreadable,
            r.records,
            r.frames,
            r.records_file.display(),
            r.bytes_file.display()
        )));
    }
    if let Input::File(path) = &options.input
        && let Ok(resume) = source::resume(&handle, path)
    {
        if resume.consumed() {
            observe(Event::Notice(format!(
                "{} was already consumed by an earlier run on {} ({} bytes); nothing new to ingest. \
                 To start fresh, remove that folder or pass --data-dir with a new one.",
                path.display(),
                handle.paths().root.display(),
                resume.size
            )));
        } else if resume.position > 0 {
            observe(Event::Notice(format!(
                "resuming {} at byte {} of {} (an earlier run on this data dir took the rest)",
                path.display(),
                resume.position,
                resume.size
            )));
        }
    }
    let server = match super::http::serve(listener, handle.clone(), options.http) {
        Ok(server) => server,
        Err(e) => {
            let _ = handle.shutdown();
            return Err(Error::Serve(e));
        }
    };
    observe(Event::Listening { url: server.url(), moved: server.moved() });
    let limits = Limits { max_events: options.max_events, deadline: options.duration.map(|d| Instant::now() + d) };
    let started = Instant::now();
    let source = {
        let (handle, stop, input, seed) = (handle.clone(), stop.clone(), options.input.clone(), options.seed);
        std::thread::spawn(move || match input {
            Input::File(path) => source::run_file(&handle, &path, limits, &stop),
            Input::Stdin => source::run_reader(&handle, std::io::stdin().lock(), None, limits, &stop),
            Input::Generate(rate) => {
                let seed_value = seed.unwrap_or_else(|| super::clock::now_ms().unsigned_abs());
                let generator = Generator::new(&handle.pipeline().stream.schema, seed_value);
                source::run_generator(&handle, &generator, rate, seed.map(source::generator_id), limits, &stop)
            }
            Input::Http => {
                while !stop.load(Ordering::Relaxed) && limits.deadline.is_none_or(|d| Instant::now() < d) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Ok(0)
            }
        })
    };
    let mut failure = None;
    let (mut paused, mut pauses_seen) = (false, 0);
    while !source.is_finished() && !stop.load(Ordering::Relaxed) {
        if let Some(name) = handle.failed() {
            failure = Some(name);
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
        let (now, episodes) = (handle.pause(), handle.pauses());
        if episodes > pauses_seen {
            observe(Event::Notice(match &now {
                Some(pause) => pause.to_string(),
                None => "paused briefly (a part could not write)".to_owned(),
            }));
        }
        if (paused || episodes > pauses_seen) && now.is_none() {
            observe(Event::Notice("resumed: every part can write again".to_owned()));
        }
        (paused, pauses_seen) = (now.is_some(), episodes);
        for warning in handle.warnings() {
            observe(Event::Warning(warning));
        }
        let alerts = handle.console_alerts();
        if !alerts.is_empty() {
            observe(Event::Alerts(&alerts));
        }
        observe(Event::Progress(handle.metrics()));
    }
    let interrupted = stop.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let mut source_error = None;
    // A source blocked reading stdin cannot be interrupted; the run stops without it.
    if (source.is_finished() || !interrupted)
        && let Ok(Err(e)) = source.join()
    {
        source_error = Some(e);
    }
    // Requests in flight finish first: every acknowledged record is in the log before it drains.
    if let Err(e) = server.stop() {
        observe(Event::Warning(e.to_string()));
    }
    observe(Event::Stopping);
    let metrics = handle.shutdown().map_err(Error::Shutdown)?;
    for warning in handle.warnings() {
        observe(Event::Warning(warning));
    }
    let alerts = handle.console_alerts();
    if !alerts.is_empty() {
        observe(Event::Alerts(&alerts));
    }
    observe(Event::Finished { handle: &handle, metrics: &metrics, elapsed: started.elapsed() });
    match (source_error, failure) {
        (Some(e), _) => Err(Error::Input(e)),
        (None, Some(name)) => Err(Error::Stopped(name)),
        (None, None) => Ok(()),
    }
}
