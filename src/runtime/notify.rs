//! Notifications, on their own thread so a slow endpoint never stalls the hot path.
//!
//! Alerts are grouped per topic into digests — at most one message per topic per flush
//! interval (1 s) and at most 500 alerts per message — so a burst of flagged records is a
//! handful of messages, not a flood. For every digest:
//! * console: a line per alert on stdout, at most 10 lines a second (the rest summarised);
//! * e-mail: an RFC 5322 `.eml` file in `outbox/<topic>/`, one alert per line as JSON, named
//!   by the first alert's log sequence number, written atomically;
//! * webhooks: `POST` of `{"pipeline", "topic", "alerts": [...]}` as JSON, 2 s connect / 5 s
//!   overall timeout, up to 4 tries with exponential backoff (0.2 s, 0.4 s, 0.8 s); after the
//!   last try the digest goes to `dead-letter/webhooks.ndjson` with the error. After a digest
//!   failed every try, the next digests to that URL get a single try until one succeeds (so an
//!   endpoint that is down cannot hold the run back).
//!
//! Alerts are sent after the rows they describe commit and only for rows that are new, so a
//! replay does not notify twice; a crash between that commit and delivery loses the pending
//! notifications (the rows are in the store).

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde_json::json;

use super::clock::{civil, now_ms};
use super::metrics::Metrics;
use crate::ir::{Topic, TopicId};

const MAX_DIGEST: usize = 500;

/// One alert for the notifier.
#[derive(Clone, Debug)]
pub struct Alert {
    pub topics: Vec<TopicId>,
    pub seq: u64,
    /// The alert as compact JSON: `{"rule", "severity", "condition", "seq", "record"}` or,
    /// for a window, `{"rule", "severity", "condition", "window", "group", "aggregates"}`.
    pub body: Arc<str>,
}

/// Webhook delivery policy.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct WebhookPolicy {
    pub tries: u32,
    pub first_backoff_ms: u64,
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        Self { tries: 4, first_backoff_ms: 200, connect_timeout_ms: 2000, timeout_ms: 5000 }
    }
}

#[derive(Clone, Debug)]
pub struct NotifyConfig {
    pub pipeline: String,
    pub topics: Vec<Topic>,
    pub outbox: PathBuf,
    pub dead_letter: PathBuf,
    pub console: bool,
    pub flush: Duration,
    pub webhook: WebhookPolicy,
    /// Where a full disk under the outbox is reported (the e-mail is retried, not dropped).
    pub health: Arc<super::health::Health>,
}

struct Notifier {
    config: NotifyConfig,
    agent: ureq::Agent,
    pending: BTreeMap<usize, Vec<(u64, Arc<str>)>>,
    /// URLs whose last digest failed every try.
    failing: std::collections::HashSet<String>,
    console_window: (Instant, u32, u64),
    metrics: Arc<Metrics>,
}

/// Starts the notifier; it flushes everything and ends when `alerts` is closed.
pub fn spawn(config: NotifyConfig, alerts: Receiver<Alert>, metrics: Arc<Metrics>) -> io::Result<JoinHandle<()>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_millis(config.webhook.connect_timeout_ms)))
        .timeout_global(Some(Duration::from_millis(config.webhook.timeout_ms)))
        .build()
        .into();
    let mut n = Notifier {
        config,
        agent,
        pending: BTreeMap::new(),
        failing: std::collections::HashSet::new(),
        console_window: (Instant::now(), 0, 0),
        metrics,
    };
    std::thread::Builder::new().name("pipec-notify".into()).spawn(move || {
        let mut next_flush = Instant::now() + n.config.flush;
        loop {
            match alerts.recv_timeout(next_flush.saturating_duration_since(Instant::now())) {
                Ok(Alert { topics, seq, body }) => {
                    for topic in &topics {
                        let queue = n.pending.entry(topic.0).or_default();
                        queue.push((seq, body.clone()));
                        if queue.len() >= MAX_DIGEST {
                            n.flush_topic(topic.0);
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    n.flush_all();
                    next_flush = Instant::now() + n.config.flush;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    n.flush_all();
                    n.console_summary();
                    return;
                }
            }
        }
    })
}

impl Notifier {
    fn flush_all(&mut self) {
        let topics: Vec<usize> = self.pending.keys().copied().collect();
        for t in topics {
            self.flush_topic(t);
        }
        self.console_summary();
    }

    fn flush_topic(&mut self, t: usize) {
        let Some(alerts) = self.pending.remove(&t).filter(|a| !a.is_empty()) else { return };
        let topic = self.config.topics[t].clone();
        if self.config.console {
            self.console(&topic.name, &alerts);
        }
        if !topic.emails.is_empty() {
            let mut backoff = super::health::Backoff::default();
            loop {
                match self.write_email(&topic, &alerts) {
                    Ok(()) => {
                        self.config.health.cleared("e-mail outbox");
                        Metrics::add(&self.metrics.notifications, 1);
                    }
                    Err(e) if super::health::is_transient(&e) => {
                        self.config.health.blocked("e-mail outbox", &e);
                        std::thread::sleep(backoff.next_wait());
                        continue;
                    }
                    Err(e) => eprintln!("pipec: cannot write to the e-mail outbox: {e}"),
                }
                break;
            }
        }
        if topic.webhooks.is_empty() && topic.local_webhooks.is_empty() {
            return;
        }
        let mut body = json!({ "pipeline": self.config.pipeline, "topic": topic.name }).to_string();
        body.pop();
        body.push_str(",\"alerts\":[");
        for (i, (_, alert)) in alerts.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(alert);
        }
        body.push_str("]}");
        for url in topic.webhooks.iter().chain(&topic.local_webhooks) {
            self.post(url, &topic.name, &body);
        }
    }

    fn console(&mut self, topic: &str, alerts: &[(u64, Arc<str>)]) {
        let (start, printed, suppressed) = &mut self.console_window;
        if start.elapsed() >= Duration::from_secs(1) {
            *start = Instant::now();
            *printed = 0;
        }
        let mut out = io::stdout().lock();
        for (_, alert) in alerts {
            if *printed < 10 {
                let _ = writeln!(out, "alert [{topic}] {alert}");
                *printed += 1;
                Metrics::add(&self.metrics.notifications, 1);
            } else {
                *suppressed += 1;
            }
        }
    }

    fn console_summary(&mut self) {
        let suppressed = std::mem::take(&mut self.console_window.2);
        if suppressed > 0 {
            println!("alert … and {suppressed} more (see the store / viewer)");
        }
    }

    fn write_email(&self, topic: &Topic, alerts: &[(u64, Arc<str>)]) -> io::Result<()> {
        let dir = self.config.outbox.join(&topic.name);
        fs::create_dir_all(&dir)?;
        let first = alerts[0].0;
        let now = now_ms();
        let mut text = format!(
            "From: pipec <pipec@localhost>\r\nTo: {}\r\nSubject: [pipec] {}: {} alert{} on {}\r\nDate: {}\r\n\
             Message-ID: <{first}.{}.{}@pipec.localhost>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
            topic.emails.join(", "),
            self.config.pipeline,
            alerts.len(),
            if alerts.len() == 1 { "" } else { "s" },
            topic.name,
            rfc2822(now),
            topic.name,
            self.config.pipeline,
        );
        // One alert per line: compact JSON never contains a raw line break.
        for (_, alert) in alerts {
            text.push_str(alert);
            text.push_str("\r\n");
        }
        let path = dir.join(format!("{first:012}.eml"));
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, text)?;
        fs::rename(tmp, path)
    }

    fn post(&mut self, url: &str, topic: &str, payload: &str) {
        let policy = self.config.webhook;
        let tries = if self.failing.contains(url) { 1 } else { policy.tries.max(1) };
        let mut last_error = String::new();
        for attempt in 0..tries {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(policy.first_backoff_ms << (attempt - 1)));
            }
            match self.agent.post(url).header("content-type", "application/json").send(payload) {
                Ok(_) => {
                    self.failing.remove(url);
                    Metrics::add(&self.metrics.notifications, 1);
                    return;
                }
                Err(e) => last_error = e.to_string(),
            }
        }
        self.failing.insert(url.to_string());
        Metrics::add(&self.metrics.webhook_failures, 1);
        let mut line = json!({"url": url, "topic": topic, "attempts": tries, "error": last_error}).to_string();
        line.pop();
        line.push_str(",\"body\":");
        line.push_str(payload);
        line.push('}');
        let written = fs::create_dir_all(self.config.dead_letter.parent().unwrap_or(std::path::Path::new(".")))
            .and_then(|()| OpenOptions::new().create(true).append(true).open(&self.config.dead_letter))
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = written {
            eprintln!("pipec: cannot write the webhook dead-letter file: {e}");
        }
    }
}

/// `Tue, 03 Nov 2026 12:00:00 +0000`.
fn rfc2822(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, mo, d, h, mi, s) = civil(ms);
    let weekday = DAYS[usize::try_from(ms.div_euclid(86_400_000).rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(mo - 1).unwrap_or(0)];
    format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} +0000")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::rfc2822(1_714_564_800_123), "Wed, 01 May 2024 12:00:00 +0000");
    }
}
