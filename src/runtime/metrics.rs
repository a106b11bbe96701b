//! Live counters of a running engine: atomics, readable from any thread without locks
//! (the progress line, `/metrics`, the final summary).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters (monotonic unless noted).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Records appended to the log.
    pub events_in: AtomicU64,
    /// Bytes of those records.
    pub bytes_in: AtomicU64,
    /// Records rejected before the log (over the size limit); also dead-lettered.
    pub rejected: AtomicU64,
    /// Records the hot path decided (valid or not).
    pub hot_events: AtomicU64,
    /// Records flagged by a per-record rule (each counted once, however many rules matched).
    pub flagged: AtomicU64,
    /// Rows newly written to the store (replays write none).
    pub stored: AtomicU64,
    /// Window alerts (a group whose windowed rule held).
    pub window_alerts: AtomicU64,
    /// Invalid records written to the dead-letter file (incl. rejected ones).
    pub dead_lettered: AtomicU64,
    /// Records archived (in committed objects).
    pub archived_events: AtomicU64,
    /// Compressed bytes of committed archive objects.
    pub archived_bytes: AtomicU64,
    pub archived_objects: AtomicU64,
    /// Notifications delivered (console lines, e-mails, webhook posts).
    pub notifications: AtomicU64,
    /// Webhook posts that failed every try (now in the webhook dead-letter file).
    pub webhook_failures: AtomicU64,
    /// Next sequence numbers of the hot and cold consumers (lag = `events_in` − these).
    pub hot_seq: AtomicU64,
    pub cold_seq: AtomicU64,
    /// Log sequence number (records ever appended, across runs).
    pub log_seq: AtomicU64,
    /// Event in (log append) → row in the store, microseconds.
    latency: Histogram,
}

/// Sub-buckets per power of two: a percentile is reported within 12.5 %.
const SUB: u32 = 8;
/// Buckets: exact below [`SUB`], then `SUB` per power of two up to 2^64.
const BUCKETS: usize = (64 - 2) * SUB as usize;

/// A lock-free histogram of microseconds with log-linear buckets (as HDR histograms have).
#[derive(Debug)]
struct Histogram([AtomicU64; BUCKETS]);

impl Default for Histogram {
    fn default() -> Self {
        Self(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl Histogram {
    fn bucket(us: u64) -> usize {
        if us < u64::from(SUB) {
            return usize::try_from(us).expect("small");
        }
        let octave = us.ilog2(); // ≥ 3
        let sub = (us >> (octave - 3)) & u64::from(SUB - 1);
        (octave as usize - 2) * SUB as usize + usize::try_from(sub).expect("small")
    }

    /// The largest value that falls in bucket `i`.
    fn upper(i: usize) -> u64 {
        let sub_count = SUB as usize;
        if i < sub_count {
            return i as u64;
        }
        let (octave, sub) = (u32::try_from(i / sub_count).expect("small") + 2, (i % sub_count) as u64);
        let lower = (u64::from(SUB) + sub) << (octave - 3);
        lower.saturating_add((1u64 << (octave - 3)) - 1)
    }
}

/// A consistent-enough copy of the counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    pub events_in: u64,
    pub bytes_in: u64,
    pub rejected: u64,
    pub hot_events: u64,
    pub flagged: u64,
    pub stored: u64,
    pub window_alerts: u64,
    pub dead_lettered: u64,
    pub archived_events: u64,
    pub archived_bytes: u64,
    pub archived_objects: u64,
    pub notifications: u64,
    pub webhook_failures: u64,
    /// Records appended but not yet decided by the hot path.
    pub hot_lag: u64,
    /// Records appended but not yet in a committed archive object.
    pub cold_lag: u64,
    /// Latency percentiles of event in → row stored, microseconds (the upper bound of the
    /// histogram bucket: at most 12.5 % above the true value).
    pub store_latency_p50_us: u64,
    pub store_latency_p99_us: u64,
    /// Parts that cannot write right now (disk full): the run is paused and retrying.
    pub paused_parts: u64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn record_latency_us(&self, us: u64) {
        self.latency.0[Histogram::bucket(us).min(BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
    }

    fn percentile(&self, p: f64) -> u64 {
        let counts: Vec<u64> = self.latency.0.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let rank = ((total as f64) * p).ceil() as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Histogram::upper(i).max(1);
            }
        }
        u64::MAX
    }

    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let log_seq = get(&self.log_seq);
        Snapshot {
            events_in: get(&self.events_in),
            bytes_in: get(&self.bytes_in),
            rejected: get(&self.rejected),
            hot_events: get(&self.hot_events),
            flagged: get(&self.flagged),
            stored: get(&self.stored),
            window_alerts: get(&self.window_alerts),
            dead_lettered: get(&self.dead_lettered),
            archived_events: get(&self.archived_events),
            archived_bytes: get(&self.archived_bytes),
            archived_objects: get(&self.archived_objects),
            notifications: get(&self.notifications),
            webhook_failures: get(&self.webhook_failures),
            hot_lag: log_seq.saturating_sub(get(&self.hot_seq)),
            cold_lag: log_seq.saturating_sub(get(&self.cold_seq)),
            store_latency_p50_us: self.percentile(0.50),
            store_latency_p99_us: self.percentile(0.99),
            paused_parts: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_and_percentiles_are_within_an_eighth() {
        for us in (0..5000).chain([16_383, 16_384, 25_000, 1 << 40, u64::MAX]) {
            let i = Histogram::bucket(us);
            assert!(i < BUCKETS, "{us}");
            assert!(Histogram::upper(i) >= us, "{us} above its bucket {i}");
            assert!(i == 0 || Histogram::upper(i - 1) < us, "{us} below its bucket {i}");
            assert!(Histogram::upper(i) - us <= us / 8, "{us}: bucket too wide");
        }
        let m = Metrics::default();
        for ms in 1..=100 {
            m.record_latency_us(ms * 1000);
        }
        let s = m.snapshot();
        assert!((50_000..=56_250).contains(&s.store_latency_p50_us), "{}", s.store_latency_p50_us);
        assert!((99_000..=111_375).contains(&s.store_latency_p99_us), "{}", s.store_latency_p99_us);
    }
}
