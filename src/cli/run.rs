//! `pipec run --local`: the options, the signals (Ctrl-C / SIGTERM stop the run; a second one
//! exits at once) and the rendering of the run's [`Event`]s — a description, a progress line
//! while stderr is a terminal (a plain line every 10 s otherwise), and a summary. Counters are
//! this run's (the store and the archive keep earlier runs' data too). The run itself is [`crate::runtime::session`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::load::lowered;
use crate::runtime::session::{self, Event, Input};
use crate::runtime::{Config, DEFAULT_LISTEN, Fsync, Handle, Snapshot};

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
    #[arg(long, value_name = "HOST:PORT", default_value = crate::runtime::DEFAULT_LISTEN)]
    pub listen: String,
    /// Allow a --listen address that is not loopback (the API has no authentication).
    #[arg(long)]
    pub allow_remote: bool,
    #[command(flatten)]
    pub http: crate::runtime::http::Limits,
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

/// Runs the command; the exit code: 0 done, 1 spec errors, 2 usage or I/O errors.
#[must_use]
pub fn run(args: &RunArgs) -> ExitCode {
    let pipeline = match lowered(&args.spec, args.env.as_deref(), "not running") {
        Ok(pipeline) => pipeline,
        Err(code) => return code,
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
    config.graph_svg = Some(crate::graph::render(&crate::graph::logical(&pipeline), crate::graph::Format::Svg));
    let options = session::Options {
        input,
        max_events: args.max_events,
        duration: args.duration,
        seed: args.seed,
        allow_remote: args.allow_remote,
        http: args.http,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while stopping exits at once.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone());
        let _ = signal_hook::flag::register(signal, stop.clone());
    }
    let mut screen = Screen::new(std::io::stderr().is_terminal());
    match session::run(pipeline, config, &options, &stop, &mut |event| screen.show(event)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// How often a run whose stderr is not a terminal prints its counters.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// What the run looks like on stderr.
struct Screen {
    /// Draw a progress line (stderr is a terminal).
    progress: bool,
    /// A progress line is on screen (cleared before anything else is printed).
    drawn: bool,
    /// When the last progress line was drawn, and the event count then.
    last: (Instant, u64),
    /// ` · viewer URL/` once the server listens, repeated on every plain line.
    viewer: String,
}

impl Screen {
    fn new(progress: bool) -> Self {
        Self { progress, drawn: false, last: (Instant::now(), 0), viewer: String::new() }
    }

    fn show(&mut self, event: Event<'_>) {
        if let Event::Progress(m) = &event {
            if self.progress {
                let rate = rate(m.events_in - self.last.1, self.last.0.elapsed());
                self.last = (Instant::now(), m.events_in);
                self.drawn = true;
                eprint!(
                    "\r\x1b[2Kthis run: {} ({}/s) · flagged {} · archived {} in {} · lag hot {} / cold {} · dead-lettered {}",
                    count(m.events_in, "event", "events"),
                    group(rate),
                    group(m.flagged),
                    bytes(m.archived_bytes),
                    count(m.archived_objects, "object", "objects"),
                    group(m.hot_lag),
                    group(m.cold_lag),
                    group(m.dead_lettered)
                );
            } else {
                // Not a terminal (a log file, a pipe): one plain line every PLAIN_EVERY.
                let elapsed = self.last.0.elapsed();
                if elapsed >= PLAIN_EVERY {
                    eprintln!(
                        "pipec: this run: {} ({}/s) · flagged {} · archived {} · lag hot {} / cold {} · dead-lettered {}{}",
                        count(m.events_in, "event", "events"),
                        group(rate(m.events_in - self.last.1, elapsed)),
                        group(m.flagged),
                        count(m.archived_objects, "object", "objects"),
                        group(m.hot_lag),
                        group(m.cold_lag),
                        group(m.dead_lettered),
                        self.viewer
                    );
                    self.last = (Instant::now(), m.events_in);
                }
            }
            return;
        }
        if std::mem::take(&mut self.drawn) {
            eprint!("\r\x1b[2K");
        }
        match event {
            Event::Started { handle, input } => describe(handle, input),
            Event::Listening { url, moved } => {
                self.viewer = format!(" · viewer {url}/");
                if moved {
                    eprintln!(
                        "  note       {DEFAULT_LISTEN} is in use (another run?): listening on a free port instead"
                    );
                }
                eprintln!("  viewer     {url}/  (metrics {url}/metrics)");
                eprintln!("  http       POST {url}/records (NDJSON) · Kinesis API: endpoint_url=\"{url}\"");
            }
            Event::Warning(message) => eprintln!("warning: {message}"),
            Event::Notice(message) => eprintln!("pipec: {message}"),
            Event::Stopping => eprintln!("pipec: stopping: flushing the archive, the store and notifications…"),
            Event::Finished { handle, metrics, elapsed } => summary(handle, metrics, elapsed),
            Event::Progress(_) => {}
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
        "pipec: done in {:.1} s; this run: {} in ({}/s)",
        elapsed.as_secs_f64(),
        count(m.events_in, "event", "events"),
        group(rate(m.events_in, elapsed))
    );
    match &pipeline.store {
        Some(store) => eprintln!(
            "  flagged       {} ({} in table \"{}\", {})",
            group(m.flagged),
            count(m.stored, "new row", "new rows"),
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
            "  archived      {}, {}, {} ({})",
            count(m.archived_events, "event", "events"),
            count(m.archived_objects, "object", "objects"),
            bytes(m.archived_bytes),
            p.archive.join(&archive.prefix).display()
        );
    }
    eprintln!("  dead-lettered {} ({})", group(m.dead_lettered), p.dead_letter.display());
    if m.webhook_failures > 0 {
        eprintln!(
            "  webhooks      {} ({})",
            count(m.webhook_failures, "failed delivery", "failed deliveries"),
            p.webhook_dead_letter.display()
        );
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

/// `1 object`, `2 objects`, `1,000 objects`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group(n), if n == 1 { one } else { many })
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

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_say_one_thing_or_many_things() {
        assert_eq!(count(0, "object", "objects"), "0 objects");
        assert_eq!(count(1, "object", "objects"), "1 object");
        assert_eq!(count(1234, "new row", "new rows"), "1,234 new rows");
    }
}
