//! Polling with a deadline: every wait names what it waits for, backs off between polls, says
//! it is still waiting now and then, and ends with an error naming the wait when time is up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::Error;
use super::{Report, render};

const FIRST_POLL: Duration = Duration::from_millis(500);
const LONGEST_POLL: Duration = Duration::from_secs(5);
const HEARTBEAT: Duration = Duration::from_secs(30);

pub(crate) struct Wait {
    report: Arc<dyn Report>,
    what: String,
    started: Instant,
    timeout: Duration,
    interval: Duration,
    last_word: Instant,
}

impl Wait {
    /// Starts waiting for `what` (e.g. "change set pipec-1 to be created") and says so.
    pub(crate) fn start(report: &Arc<dyn Report>, what: impl Into<String>, timeout: Duration) -> Wait {
        let what = what.into();
        report.progress(&format!("waiting for {what} (timeout {})", render::duration(timeout)));
        let now = Instant::now();
        Wait { report: Arc::clone(report), what, started: now, timeout, interval: FIRST_POLL, last_word: now }
    }

    /// Sleeps before the next poll, or fails when the deadline has passed. `state` is the last
    /// thing seen (for the messages).
    pub(crate) async fn tick(&mut self, state: &str) -> Result<(), Error> {
        let elapsed = self.started.elapsed();
        if elapsed >= self.timeout {
            return Err(Error::failed(format!(
                "timed out after {} waiting for {} (last seen: {state})\nhelp: raise --timeout; CloudFormation \
                 goes on by itself, `pipec status --stack NAME` shows where it is",
                render::duration(self.timeout),
                self.what
            )));
        }
        if self.last_word.elapsed() >= HEARTBEAT {
            self.report.progress(&format!(
                "still waiting for {} ({state}, {} so far)",
                self.what,
                render::duration(elapsed)
            ));
            self.last_word = Instant::now();
        }
        tokio::time::sleep(self.interval.min(self.timeout.saturating_sub(elapsed))).await;
        self.interval = (self.interval * 3 / 2).min(LONGEST_POLL);
        Ok(())
    }

    /// Something happened: reset the heartbeat.
    pub(crate) fn heard(&mut self) {
        self.last_word = Instant::now();
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}
