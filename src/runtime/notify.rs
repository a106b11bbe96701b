//! Notifications, on their own thread so a slow endpoint never stalls the hot path.
//!
//! One message per alert, as SNS sends on AWS (see [`crate::alert`] for the subject and the
//! JSON body, which are the same on every target). For every alert and each of its topics:
//! * console: each alert is handed to whoever runs the engine ([`Console`], read with
//!   `Handle::console_alerts`); `pipec run` summarises them per topic, or prints each with
//!   `--verbose`;
//! * e-mail: an RFC 5322 message appended to the topic's mailbox `outbox/<topic>.mbox`
//!   (mboxrd, as mail clients read it: `mutt -f`, Thunderbird's import) with the alert's
//!   subject, the message as its body and the alert's id (log sequence number and rule) in
//!   its `Message-ID`; one file per topic, not one per alert, so a million alerts cost no
//!   million files. A write that fails (a full disk) is cut back to the last whole message
//!   and retried, so the mailbox never holds a torn message;
//! * webhooks: `POST` of the message (plain JSON, the same body the AWS fanout function posts),
//!   2 s connect / 5 s overall timeout, up to 4 tries with exponential backoff (0.2 s, 0.4 s,
//!   0.8 s); after the last try the message goes to `dead-letter/webhooks.ndjson` with the
//!   error. After a message failed every try, the next ones to that URL get a single try until
//!   one succeeds (so an endpoint that is down cannot hold the run back).
//!
//! Alerts are sent after the rows they describe commit and only for rows that are new, so a
//! replay does not notify twice; a crash between that commit and delivery loses the pending
//! notifications (the rows are in the store).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use serde_json::{Map, Value as Json, json};

use super::clock::{civil, now_ms};
use super::metrics::Metrics;
use crate::ir::{Pipeline, Topic, TopicId};

/// One alert for the notifier.
#[derive(Clone, Debug)]
pub struct Alert {
    pub topics: Vec<TopicId>,
    /// Unique and the same on a replay: the alert's e-mail `Message-ID`.
    pub id: String,
    pub subject: String,
    /// The message: compact JSON, see [`crate::alert`].
    pub body: Arc<str>,
}

/// What the hot path hands the notifier: an alert, or a flagged record whose alerts the
/// notifier renders itself ([`record_alerts`]), so that formatting the messages
/// costs the hot path nothing.
#[derive(Clone, Debug)]
pub enum Job {
    Alert(Alert),
    Record { seq: u64, rules: Vec<usize>, item: serde_json::Map<String, serde_json::Value> },
}

/// An alert for the console: the topic's name and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Console {
    pub topic: String,
    pub body: Arc<str>,
}

/// How many console alerts wait for the runner at most; past that (a runner that does not read
/// them) they are not reported to the console (they are still stored, e-mailed and posted).
pub const CONSOLE_BACKLOG: usize = 20_000;

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
    /// The pipeline (its name, rules and store keys render record alerts).
    pub pipeline: Arc<crate::ir::Pipeline>,
    /// Shared, so delivering an alert does not copy its topic's subscriber lists.
    pub topics: Arc<[Topic]>,
    pub outbox: PathBuf,
    pub dead_letter: PathBuf,
    /// Where console alerts go (none: not reported).
    pub console: Option<Sender<Console>>,
    pub webhook: WebhookPolicy,
    /// Where a full disk under the outbox is reported (the e-mail is retried, not dropped).
    pub health: Arc<super::health::Health>,
}

struct Notifier {
    config: NotifyConfig,
    /// The open mailbox of each topic that has e-mail subscribers, and its length after the
    /// last whole message (where a torn write is cut back to).
    mailboxes: HashMap<usize, (File, u64)>,
    agent: ureq::Agent,
    /// URLs whose last digest failed every try.
    failing: std::collections::HashSet<String>,
    metrics: Arc<Metrics>,
}

/// Starts the notifier; it flushes everything and ends when `alerts` is closed.
pub fn spawn(config: NotifyConfig, alerts: Receiver<Job>, metrics: Arc<Metrics>) -> io::Result<JoinHandle<()>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_millis(config.webhook.connect_timeout_ms)))
        .timeout_global(Some(Duration::from_millis(config.webhook.timeout_ms)))
        .build()
        .into();
    let mut n =
        Notifier { config, mailboxes: HashMap::new(), agent, failing: std::collections::HashSet::new(), metrics };
    std::thread::Builder::new().name("pipec-notify".into()).spawn(move || {
        for job in alerts {
            let alerts = match job {
                Job::Alert(alert) => vec![alert],
                Job::Record { seq, rules, item } => record_alerts(&n.config.pipeline, seq, &rules, &item),
            };
            for alert in &alerts {
                for topic in &alert.topics {
                    n.deliver(topic.0, alert);
                }
            }
        }
    })
}

impl Notifier {
    fn deliver(&mut self, t: usize, alert: &Alert) {
        let topics = Arc::clone(&self.config.topics);
        let topic = &topics[t];
        if let Some(console) = &self.config.console
            && console.try_send(Console { topic: topic.name.clone(), body: alert.body.clone() }).is_ok()
        {
            Metrics::add(&self.metrics.notifications, 1);
        }
        if !topic.emails.is_empty() {
            let mut backoff = super::health::Backoff::default();
            loop {
                match self.write_email(t, topic, alert) {
                    Ok(()) => {
                        self.config.health.cleared("e-mail outbox");
                        Metrics::add(&self.metrics.notifications, 1);
                    }
                    Err(e) if super::health::is_transient(&e) => {
                        self.config.health.blocked("e-mail outbox", &e);
                        std::thread::sleep(backoff.next_wait());
                        continue;
                    }
                    Err(e) => self.config.health.warn(format!("cannot write to the e-mail outbox: {e}")),
                }
                break;
            }
        }
        for url in topic.webhooks.iter().chain(&topic.local_webhooks) {
            self.post(url, &topic.name, &alert.body);
        }
    }

    fn write_email(&mut self, t: usize, topic: &Topic, alert: &Alert) -> io::Result<()> {
        let now = now_ms();
        let text = format!(
            "From pipec@localhost {}\nFrom: pipec <pipec@localhost>\nTo: {}\nSubject: {}\nDate: {}\n\
             Message-ID: <{}.{}.{}@pipec.localhost>\nMIME-Version: 1.0\n\
             Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{}\n\n",
            asctime(now),
            topic.emails.join(", "),
            alert.subject,
            rfc2822(now),
            alert.id,
            topic.name,
            self.config.pipeline.name,
            // Compact JSON is one line starting with `{`: no body line needs mboxrd's `>From `.
            alert.body,
        );
        let (file, whole) = match self.mailboxes.entry(t) {
            Entry::Occupied(open) => open.into_mut(),
            Entry::Vacant(slot) => {
                fs::create_dir_all(&self.config.outbox)?;
                let path = self.config.outbox.join(format!("{}.mbox", topic.name));
                let file = OpenOptions::new().create(true).append(true).open(path)?;
                let len = file.metadata()?.len();
                slot.insert((file, len))
            }
        };
        match file.write_all(text.as_bytes()) {
            Ok(()) => {
                *whole += text.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Cut a torn message off, so the retry appends after the last whole one; if
                // even that fails, reopen (and measure) the mailbox on the next try.
                if file.set_len(*whole).is_err() {
                    self.mailboxes.remove(&t);
                }
                Err(e)
            }
        }
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
            self.config.health.warn(format!("cannot write the webhook dead-letter file: {e}"));
        }
    }
}

/// The date of an mbox `From ` line (C's `asctime`): `Tue Nov  3 12:00:00 2026`.
fn asctime(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    format!("{} {} {d:2} {h:02}:{mi:02}:{s:02} {y:04}", weekday(ms), MONTHS[usize::try_from(mo - 1).unwrap_or(0)])
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn weekday(ms: i64) -> &'static str {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    DAYS[usize::try_from(ms.div_euclid(86_400_000).rem_euclid(7)).unwrap_or(0)]
}

/// `Tue, 03 Nov 2026 12:00:00 +0000`.
fn rfc2822(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    let month = MONTHS[usize::try_from(mo - 1).unwrap_or(0)];
    format!("{}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} +0000", weekday(ms))
}

/// The alerts of a flagged record (one per matched rule that notifies): what
/// [`super::decide::Decider::record_alerts`] returns; the notifier renders them itself, off
/// the hot path.
#[must_use]
pub fn record_alerts(pipeline: &Pipeline, seq: u64, rules: &[usize], item: &Map<String, Json>) -> Vec<Alert> {
    let keys = pipeline.store_key_names();
    rules
        .iter()
        .map(|&index| (index, &pipeline.rules[index]))
        .filter(|(_, rule)| !rule.notify.is_empty())
        .map(|(index, rule)| Alert {
            topics: rule.notify.clone(),
            id: format!("{seq:012}-{index}"),
            subject: crate::alert::subject(&pipeline.name, rule.severity.name(), &rule.name),
            body: crate::alert::record_message(&pipeline.name, rule, item, &keys).into(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::rfc2822(1_714_564_800_123), "Wed, 01 May 2024 12:00:00 +0000");
        assert_eq!(super::asctime(1_714_564_800_123), "Wed May  1 12:00:00 2024");
        assert_eq!(super::asctime(1_764_676_800_000), "Tue Dec  2 12:00:00 2025");
    }
}
