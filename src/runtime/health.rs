//! Which parts of a running engine cannot write right now, and why: the pause board.
//!
//! When a part (the log, the store, the archive, the dead-letter file, the e-mail outbox) fails
//! to write for a reason that can pass — the disk is full, a quota is reached, an I/O error —
//! it marks itself [`Health::blocked`], retries with [`Backoff`] from its last durable point,
//! and [`Health::cleared`] once a write succeeds again. The run does not stop: it exits only
//! when told to (Ctrl-C / SIGTERM). While any part other than the log is blocked, intake is
//! paused ([`Health::refuse_intake`]): new records are refused (HTTP 503, Kinesis
//! `InternalFailure`), never acknowledged. A blocked log needs no such gate, because a failed
//! append is rolled back and refused by itself (see [`super::log`]), so the next append is
//! the probe that finds the space again.
//!
//! `/healthz`, `/metrics` and the console read [`Health::pause`].

use std::collections::BTreeMap;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One blocked part.
#[derive(Clone, Debug)]
struct Blocked {
    reason: String,
    since: Instant,
    attempts: u64,
}

/// The board (shared by every worker).
#[derive(Debug, Default)]
pub struct Health {
    parts: Mutex<BTreeMap<&'static str, Blocked>>,
    /// Pauses begun so far (a front end polling [`Health::pause`] may miss a short one).
    episodes: AtomicU64,
    /// Problems that do not stop the run, not yet taken by the front end.
    warnings: Mutex<Vec<String>>,
}

/// What is blocked, as data for the front ends.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pause {
    /// `(part, reason)`, e.g. `("store", "database or disk is full")`, sorted by part.
    pub parts: Vec<(&'static str, String)>,
    /// Seconds since the oldest block began.
    pub seconds: u64,
    /// Failed attempts so far, over all parts.
    pub attempts: u64,
}

impl std::fmt::Display for Pause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.parts.iter().map(|(part, reason)| format!("{part}: {reason}")).collect();
        write!(
            f,
            "paused for {} s, cannot write ({}); retrying, the run resumes by itself once there is space",
            self.seconds,
            parts.join("; ")
        )
    }
}

impl Health {
    /// `part` failed to write with `error`; it will retry.
    pub fn blocked(&self, part: &'static str, error: &io::Error) {
        let mut parts = self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if parts.is_empty() {
            self.episodes.fetch_add(1, Ordering::Relaxed);
        }
        let entry =
            parts.entry(part).or_insert_with(|| Blocked { reason: String::new(), since: Instant::now(), attempts: 0 });
        let reason = error.to_string();
        reason.strip_prefix(part).and_then(|r| r.strip_prefix(": ")).unwrap_or(&reason).clone_into(&mut entry.reason);
        entry.attempts += 1;
    }

    /// `part` wrote successfully.
    pub fn cleared(&self, part: &'static str) {
        let mut parts = self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !parts.is_empty() {
            parts.remove(part);
        }
    }

    /// A problem that does not stop the run (a worker thread's failed side write): the front end
    /// takes it with [`Health::take_warnings`] and shows it, as it shows every run event.
    pub fn warn(&self, message: String) {
        self.warnings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(message);
    }

    /// The warnings since the last call, oldest first.
    #[must_use]
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// How many pauses have begun (ended or not) since the engine started.
    #[must_use]
    pub fn episodes(&self) -> u64 {
        self.episodes.load(Ordering::Relaxed)
    }

    /// What is blocked, if anything.
    #[must_use]
    pub fn pause(&self) -> Option<Pause> {
        let parts = self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let oldest = parts.values().map(|b| b.since).min()?;
        Some(Pause {
            parts: parts.iter().map(|(part, b)| (*part, b.reason.clone())).collect(),
            seconds: oldest.elapsed().as_secs(),
            attempts: parts.values().map(|b| b.attempts).sum(),
        })
    }

    /// The error that refuses new records while a consumer cannot write (`None`: take them).
    #[must_use]
    pub fn refuse_intake(&self) -> Option<io::Error> {
        let parts = self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (part, blocked) = parts.iter().find(|(part, _)| **part != LOG)?;
        Some(io::Error::new(
            io::ErrorKind::StorageFull,
            format!("intake paused: the {part} cannot write ({}); retry later", blocked.reason),
        ))
    }
}

/// The log's name on the board.
pub const LOG: &str = "log";

/// Whether an error may pass by itself (space, quota, I/O): such a part retries instead of
/// stopping the run.
#[must_use]
pub fn is_transient(error: &io::Error) -> bool {
    // ENOSPC 28, EDQUOT 122, EIO 5, EFBIG 27 on Linux.
    matches!(error.raw_os_error(), Some(5 | 27 | 28 | 122))
        || matches!(
            error.kind(),
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
        )
}

/// Exponential backoff: 50 ms doubling to 2 s.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: Duration::from_millis(50) }
    }
}

impl Backoff {
    /// The next wait.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(Duration::from_secs(2));
        wait
    }

    /// Sleeps the next wait in short steps; `false` when `stop` turned true meanwhile.
    pub fn sleep(&mut self, stop: &std::sync::atomic::AtomicBool) -> bool {
        let until = Instant::now() + self.next_wait();
        while Instant::now() < until {
            if stop.load(std::sync::atomic::Ordering::Acquire) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20).min(until.saturating_duration_since(Instant::now())));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_taken_once_in_order() {
        let health = Health::default();
        assert!(health.take_warnings().is_empty());
        health.warn("cannot write to the e-mail outbox: disk full".into());
        health.warn("cannot write the webhook dead-letter file: disk full".into());
        assert_eq!(
            health.take_warnings(),
            ["cannot write to the e-mail outbox: disk full", "cannot write the webhook dead-letter file: disk full"]
        );
        assert!(health.take_warnings().is_empty());
    }

    #[test]
    fn blocked_consumers_pause_intake_a_blocked_log_does_not() {
        let health = Health::default();
        assert!(health.pause().is_none() && health.refuse_intake().is_none());
        let full = io::Error::from_raw_os_error(28);
        assert!(is_transient(&full));
        health.blocked(LOG, &full);
        assert!(health.refuse_intake().is_none());
        health.blocked("store", &io::Error::new(io::ErrorKind::StorageFull, "database or disk is full"));
        let refused = health.refuse_intake().expect("paused");
        assert_eq!(refused.kind(), io::ErrorKind::StorageFull);
        assert!(refused.to_string().contains("the store cannot write"), "{refused}");
        let pause = health.pause().unwrap();
        assert_eq!(pause.parts.len(), 2);
        assert_eq!(pause.attempts, 2);
        health.cleared("store");
        health.cleared(LOG);
        assert!(health.pause().is_none() && health.refuse_intake().is_none());
        assert_eq!(health.episodes(), 1);
        assert!(!is_transient(&io::Error::new(io::ErrorKind::InvalidData, "bad frame")));
    }

    #[test]
    fn backoff_doubles_up_to_two_seconds() {
        let mut b = Backoff::default();
        let waits: Vec<u128> = (0..8).map(|_| b.next_wait().as_millis()).collect();
        assert_eq!(waits, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
    }
}
