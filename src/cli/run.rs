//! `pipec run --local`: the options, the signals (Ctrl-C / SIGTERM stop the run; a second one
//! exits at once) and the rendering of the run's events — a description, then a live status
//! block on a terminal or a plain line every 10 s otherwise ([`screen`]), alerts summarised per
//! topic (each one with `--verbose`), and a summary. Counters are this run's (the store and the
//! archive keep earlier runs' data too). The run itself is [`crate::runtime::session`].

mod report;
mod screen;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use self::screen::{Mode, Screen};
use super::load::lowered;
use crate::runtime::session::{self, Input};
use crate::runtime::{Config, Fsync};

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
    #[arg(long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every alert on stdout (`alert [TOPIC] MESSAGE`) instead of a count per topic every
    /// few seconds.
    #[arg(long, short)]
    pub verbose: bool,
    /// Plain periodic lines on stderr even on a terminal (also with `NO_COLOR` or `TERM=dumb`),
    /// instead of the live status block.
    #[arg(long)]
    pub plain: bool,
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
    let mut screen = Screen::new(Mode::detect(args.plain), args.verbose);
    match session::run(pipeline, config, &options, &stop, &mut |event| screen.show(event)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
