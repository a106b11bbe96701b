//! How a run looks, fed by its [`Event`]s. On a terminal ([`Mode::Live`]) a status block
//! ([`status::block`]) is redrawn in place at the bottom of stderr, four times a second, with
//! notices and alert summaries printed above it; otherwise ([`Mode::Plain`]: a pipe or a file,
//! `--plain`, `NO_COLOR`, `TERM=dumb`) a plain line every 10 s. Alerts go to stdout: one summary
//! line per topic per interval, or each alert with `--verbose`.
//!
//! The block is drawn by indicatif, which knows the terminal's width (a wrapped line still
//! redraws in place), limits the redraw rate and clears the block before anything else is
//! printed; the text itself is a pure function of the counters.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::report;
use super::status::{self, Status};
use crate::runtime::session::Event;

/// How alerts are summarised and how often the plain line is printed, per mode.
const LIVE_EVERY: Duration = Duration::from_secs(5);
const PLAIN_EVERY: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Live,
    Plain,
}

impl Mode {
    /// Live on a terminal unless `plain` (`--plain`), `NO_COLOR` (set, not empty) or `TERM=dumb`.
    #[must_use]
    pub fn detect(plain: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if plain || no_color || dumb || !std::io::stderr().is_terminal() { Mode::Plain } else { Mode::Live }
    }

    fn every(self) -> Duration {
        match self {
            Mode::Live => LIVE_EVERY,
            Mode::Plain => PLAIN_EVERY,
        }
    }
}

pub struct Screen {
    mode: Mode,
    /// Print each alert instead of summaries.
    verbose: bool,
    /// The live block, once the run has started.
    bar: Option<ProgressBar>,
    status: Status,
    started: Instant,
    /// When the rate was last computed, and the event count then.
    last_rate: (Instant, u64),
    /// When the last plain line was printed, and the event count then.
    last_plain: (Instant, u64),
    /// Alerts per topic since `alerts_since`, topics in the order first seen.
    alerts: Vec<(String, u64)>,
    alerts_since: Instant,
}

impl Screen {
    #[must_use]
    pub fn new(mode: Mode, verbose: bool) -> Self {
        let now = Instant::now();
        Self {
            mode,
            verbose,
            bar: None,
            status: Status::default(),
            started: now,
            last_rate: (now, 0),
            last_plain: (now, 0),
            alerts: Vec::new(),
            alerts_since: now,
        }
    }

    pub fn show(&mut self, event: Event<'_>) {
        match event {
            Event::Started { handle, input } => {
                let pipeline = handle.pipeline();
                self.status.pipeline.clone_from(&pipeline.name);
                self.status.archive = pipeline.archive.is_some();
                report::describe(handle, input);
                self.started = Instant::now();
                self.alerts_since = self.started;
                self.last_rate = (self.started, 0);
                self.last_plain = (self.started, 0);
            }
            Event::Listening { url, moved } => {
                if moved {
                    self.note(&format!(
                        "  note       {} is in use (another run?): listening on a free port instead",
                        crate::runtime::DEFAULT_LISTEN
                    ));
                }
                self.note(&format!("  viewer     {url}/  (metrics {url}/metrics)"));
                self.note(&format!("  http       POST {url}/records (NDJSON) · Kinesis API: endpoint_url=\"{url}\""));
                self.status.viewer = Some(url);
                if self.mode == Mode::Live {
                    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
                    bar.set_style(
                        ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.set_message(status::block(&self.status));
                    self.bar = Some(bar);
                }
            }
            Event::Alerts(alerts) => {
                for alert in alerts {
                    if self.verbose {
                        self.out(&format!("alert [{}] {}", alert.topic, alert.body));
                    } else if let Some((_, n)) = self.alerts.iter_mut().find(|(t, _)| *t == alert.topic) {
                        *n += 1;
                    } else {
                        self.alerts.push((alert.topic.clone(), 1));
                    }
                }
            }
            Event::Progress(m) => {
                if self.alerts_since.elapsed() >= self.mode.every() {
                    self.summarise_alerts();
                }
                let now = Instant::now();
                self.status.rate = status::rate(m.events_in - self.last_rate.1, now - self.last_rate.0);
                self.last_rate = (now, m.events_in);
                self.status.elapsed = self.started.elapsed();
                self.status.metrics = m;
                if let Some(bar) = &self.bar {
                    bar.set_message(status::block(&self.status));
                } else if self.last_plain.0.elapsed() >= PLAIN_EVERY {
                    let m = &self.status.metrics;
                    let rate = status::rate(m.events_in - self.last_plain.1, self.last_plain.0.elapsed());
                    eprintln!("{}", status::plain_line(m, rate, self.status.viewer.as_deref()));
                    self.last_plain = (Instant::now(), m.events_in);
                }
            }
            Event::Warning(message) => self.note(&format!("warning: {message}")),
            Event::Notice(message) => self.note(&format!("pipec: {message}")),
            Event::Stopping => self.note("pipec: stopping: flushing the archive, the store and notifications…"),
            Event::Finished { handle, metrics, elapsed } => {
                self.summarise_alerts();
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                report::summary(handle, metrics, elapsed);
            }
        }
    }

    /// Prints the alerts counted since the last summary (stdout), keeps it in the block.
    fn summarise_alerts(&mut self) {
        let since = std::mem::replace(&mut self.alerts_since, Instant::now());
        let counted = std::mem::take(&mut self.alerts);
        if let Some(summary) = status::alerts(&counted, whole_seconds(since.elapsed())) {
            self.out(&format!("alerts: {summary}"));
            self.status.alerts = Some(summary);
        }
    }

    /// A line on stderr, above the block.
    fn note(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// A line on stdout, with the block cleared meanwhile (stdout may be the same terminal).
    fn out(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }
}

/// To the nearest whole second, at least one (a summary over 4.9 s says "5 s").
fn whole_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_millis() >= 500)).max(Duration::from_secs(1))
}
