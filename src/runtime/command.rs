//! `pipec run --local`: starts the engine and a source, shows progress while stderr is a
//! terminal, stops on end of input, `--max-events`, `--duration`, Ctrl-C or SIGTERM (a second
//! Ctrl-C exits at once), flushes everything and prints a summary.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::generate::Generator;
use super::source::{self, Limits};
use super::{Config, Engine, Fsync, Handle, Snapshot};

/// Options of `pipec run`. (Command-line flags are independent switches, hence the bools.)
#[derive(clap::Args, Debug)]
#[allow(clippy::struct_excessive_bools)]
pub struct RunArgs {
    /// Run on this machine (the only mode).
    #[arg(long)]
    pub local: bool,
    /// The spec file.
    pub spec: PathBuf,
    /// Apply the overrides of this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Data directory (default `.pipec/<pipeline name>`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// NDJSON input file (`-` for stdin); the run ends when it is consumed.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Address of the HTTP API (POST /records, Kinesis PutRecord/PutRecords on /) and the
    /// viewer (/, /metrics, /healthz). Port 0 picks a free one; the run prints the URL.
    /// 4567 is kinesalite's port, so producers set up for it work unchanged; when it is taken
    /// (another run), a free port is used instead.
    #[arg(long, value_name = "HOST:PORT", default_value = super::http::DEFAULT_LISTEN)]
    pub listen: String,
    /// Allow a --listen address that is not loopback (the API has no authentication).
    #[arg(long)]
    pub allow_remote: bool,
    /// Generate records, RATE per second (no value: as fast as possible). Default when no
    /// input is given: 100 per second.
    #[arg(long, value_name = "RATE", num_args = 0..=1, default_missing_value = "max")]
    pub generate: Option<String>,
    /// No built-in source: records arrive only over HTTP (`POST /records`, the Kinesis API);
    /// the run lasts until Ctrl-C / SIGTERM or `--duration`.
    #[arg(long, conflicts_with_all = ["input", "generate"])]
    pub http_only: bool,
    /// Stop after this many events from the source.
    #[arg(long, value_name = "N")]
    pub max_events: Option<u64>,
    /// Stop after this long (`30s`, `5m`).
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Seed of the generator (a seeded generator resumes where an earlier run stopped).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Log fsync policy: `always`, or an interval such as `200ms`.
    #[arg(long, default_value = "200ms", value_parser = parse_fsync)]
    pub fsync: Fsync,
    /// Do not print alerts on stdout.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::spec::units::Duration::parse(text)
        .map(|d| Duration::from_millis(d.0))
        .ok_or_else(|| format!("`{text}` is not a duration such as 30s, 5m or 1h"))
}

fn parse_fsync(text: &str) -> Result<Fsync, String> {
    if text == "always" {
        return Ok(Fsync::Always);
    }
    parse_duration(text).map(|d| Fsync::IntervalMs(u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)))
}

enum Input {
    File(PathBuf),
    Stdin,
    Generate(Option<f64>),
    /// Records arrive over HTTP only.
    Http,
}

/// Runs the command; the exit code: 0 done, 1 spec errors, 2 usage or I/O errors.
#[must_use]
pub fn run(args: &RunArgs) -> ExitCode {
    let checked = match crate::cli::load(&args.spec, args.env.as_deref(), crate::cli::Format::Human) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let (false, Some(spec)) = (checked.has_errors(), checked.spec.as_ref()) else {
        let _ = write!(
            std::io::stderr(),
            "{}",
            crate::diagnostic::render::human(
                &checked.source,
                &checked.diagnostics,
                crate::diagnostic::render::Style { color: false, width: 100 }
            )
        );
        eprintln!("error: not running: fix the errors above first");
        return ExitCode::from(1);
    };
    let pipeline = match crate::ir::lower(spec) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: internal error while lowering (please report it): {e}");
            return ExitCode::from(2);
        }
    };
    let input = match (&args.input, &args.generate) {
        (Some(_), Some(_)) => {
            eprintln!("error: --input and --generate exclude each other");
            return ExitCode::from(2);
        }
        (Some(p), None) if p.as_os_str() == "-" => Input::Stdin,
        (Some(p), None) => Input::File(p.clone()),
        (None, Some(rate)) if rate == "max" || rate == "0" => Input::Generate(None),
        (None, Some(rate)) => match rate.parse::<f64>() {
            Ok(r) if r > 0.0 && r.is_finite() => Input::Generate(Some(r)),
            _ => {
                eprintln!("error: --generate takes a rate in events per second, such as 500");
                return ExitCode::from(2);
            }
        },
        (None, None) if args.http_only => Input::Http,
        (None, None) => Input::Generate(Some(100.0)),
    };
    let mut config = Config::new(args.data_dir.clone().unwrap_or_else(|| Config::default_data_dir(&pipeline)));
    config.listen.clone_from(&args.listen);
    config.fsync = args.fsync;
    config.console = !args.quiet;
    let listener = match super::http::bind(&args.listen, args.allow_remote) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    let handle = match Engine::start(pipeline, config) {
        Ok(h) => Arc::new(h),
        Err(e) => {
            eprintln!("error: cannot start the local runtime: {e}");
            return ExitCode::from(2);
        }
    };
    describe(&handle, &input);
    if let Some(r) = handle.recovery() {
        eprintln!(
            "warning: the log was damaged at offset {}: {} records in {} whole frames after the damage were skipped \
             and kept in {} (re-ingest them with --input; raw bytes in {})",
            r.offset,
            r.records,
            r.frames,
            r.records_file.display(),
            r.bytes_file.display()
        );
    }
    if let Input::File(path) = &input
        && let Ok(resume) = source::resume(&handle, path)
    {
        if resume.consumed() {
            eprintln!(
                "pipec: {} was already consumed by an earlier run on {} ({} bytes); nothing new to ingest. \
                 To start fresh, remove that folder or pass --data-dir with a new one.",
                path.display(),
                handle.paths().root.display(),
                resume.size
            );
        } else if resume.position > 0 {
            eprintln!(
                "pipec: resuming {} at byte {} of {} (an earlier run on this data dir took the rest)",
                path.display(),
                resume.position,
                resume.size
            );
        }
    }
    let server = match super::http::serve(listener, handle.clone()) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot start the HTTP server: {e}");
            let _ = handle.shutdown();
            return ExitCode::from(2);
        }
    };
    server.describe();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while stopping exits at once.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone());
        let _ = signal_hook::flag::register(signal, stop.clone());
    }
    let limits = Limits { max_events: args.max_events, deadline: args.duration.map(|d| Instant::now() + d) };
    let started = Instant::now();
    let source = {
        let (handle, stop) = (handle.clone(), stop.clone());
        let seed = args.seed;
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
    let progress = std::io::stderr().is_terminal();
    let mut last = (Instant::now(), 0u64);
    let mut failure = None;
    let (mut paused, mut pauses_seen) = (false, 0);
    while !source.is_finished() && !stop.load(Ordering::Relaxed) {
        if let Some(name) = handle.failed() {
            failure = Some(name);
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
        let clear = if progress { "\r\x1b[2K" } else { "" };
        let (now, episodes) = (handle.pause(), handle.pauses());
        if episodes > pauses_seen {
            match &now {
                Some(pause) => eprintln!("{clear}pipec: {pause}"),
                None => eprintln!("{clear}pipec: paused briefly (a part could not write)"),
            }
        }
        if (paused || episodes > pauses_seen) && now.is_none() {
            eprintln!("{clear}pipec: resumed: every part can write again");
        }
        (paused, pauses_seen) = (now.is_some(), episodes);
        if progress {
            let m = handle.metrics();
            let rate = rate(m.events_in - last.1, last.0.elapsed());
            last = (Instant::now(), m.events_in);
            eprint!(
                "\r\x1b[2K{} events ({}/s) · flagged {} · archived {} in {} objects · lag hot {} / cold {} · dead-lettered {}",
                group(m.events_in),
                group(rate),
                group(m.flagged),
                bytes(m.archived_bytes),
                m.archived_objects,
                group(m.hot_lag),
                group(m.cold_lag),
                group(m.dead_lettered)
            );
        }
    }
    if progress {
        eprint!("\r\x1b[2K");
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
        eprintln!("warning: {e}");
    }
    eprintln!("pipec: stopping: flushing the archive, the store and notifications…");
    let result = handle.shutdown();
    let elapsed = started.elapsed();
    match (result, source_error, failure) {
        (Ok(m), None, None) => {
            summary(&handle, &m, elapsed);
            ExitCode::SUCCESS
        }
        (Ok(m), Some(e), _) => {
            summary(&handle, &m, elapsed);
            eprintln!("error: input: {e}");
            ExitCode::from(2)
        }
        (Ok(m), None, Some(name)) => {
            summary(&handle, &m, elapsed);
            eprintln!("error: the {name} stopped unexpectedly");
            ExitCode::from(2)
        }
        (Err(e), _, _) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn describe(handle: &Handle, input: &Input) {
    let p = handle.paths();
    let pipeline = handle.pipeline();
    eprintln!("pipec: running `{}` locally, data in {}", pipeline.name, p.root.display());
    match input {
        Input::File(path) => eprintln!("  input      {} (NDJSON)", path.display()),
        Input::Stdin => eprintln!("  input      stdin (NDJSON)"),
        Input::Generate(Some(r)) => eprintln!("  input      generator, {r} events/s"),
        Input::Generate(None) => eprintln!("  input      generator, as fast as possible"),
        Input::Http => eprintln!("  input      HTTP only (POST /records, Kinesis PutRecord/PutRecords)"),
    }
    eprintln!("  log        {}", p.log.display());
    if let Some(store) = &pipeline.store {
        eprintln!("  store      {} (SQLite, table \"{}\")", p.store.display(), store.table);
    }
    if let Some(archive) = &pipeline.archive {
        eprintln!("  archive    {}", p.archive.join(&archive.prefix).display());
    }
    eprintln!("  dead-letter {}", p.dead_letter.display());
    if pipeline.topics.iter().any(|t| !t.emails.is_empty()) {
        eprintln!("  e-mail     {}", p.outbox.display());
    }
}

fn summary(handle: &Handle, m: &Snapshot, elapsed: Duration) {
    let p = handle.paths();
    let pipeline = handle.pipeline();
    eprintln!(
        "pipec: done in {:.1} s: {} events in ({}/s)",
        elapsed.as_secs_f64(),
        group(m.events_in),
        group(rate(m.events_in, elapsed))
    );
    match &pipeline.store {
        Some(store) => eprintln!(
            "  flagged       {} ({} new rows in table \"{}\", {})",
            group(m.flagged),
            group(m.stored),
            store.table,
            p.store.display()
        ),
        None => eprintln!("  flagged       {} (notified only: the spec has no store)", group(m.flagged)),
    }
    if m.window_alerts > 0 {
        eprintln!("  window alerts {}", group(m.window_alerts));
    }
    if let Some(archive) = &pipeline.archive {
        eprintln!(
            "  archived      {} events, {} objects, {} ({})",
            group(m.archived_events),
            m.archived_objects,
            bytes(m.archived_bytes),
            p.archive.join(&archive.prefix).display()
        );
    }
    eprintln!("  dead-lettered {} ({})", group(m.dead_lettered), p.dead_letter.display());
    if m.webhook_failures > 0 {
        eprintln!("  webhooks      {} failed deliveries ({})", m.webhook_failures, p.webhook_dead_letter.display());
    }
    if m.stored > 0 {
        eprintln!(
            "  latency       event in → row stored: p50 ≤ {} ms, p99 ≤ {} ms",
            m.store_latency_p50_us.div_ceil(1000),
            m.store_latency_p99_us.div_ceil(1000)
        );
    }
}

fn rate(n: u64, elapsed: Duration) -> u64 {
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let r = (n as f64 / elapsed.as_secs_f64().max(1e-9)) as u64;
    r
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = n as f64;
    if f >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", f / 1024.0 / 1024.0)
    } else if f >= 1024.0 {
        format!("{:.1} KiB", f / 1024.0)
    } else {
        format!("{n} B")
    }
}
