//! The dead-letter file of invalid events (`dead-letter/events.ndjson`): one JSON line per
//! event — `{"seq", "reason", "bytes", "record"}` — with the record as text (lossy UTF-8,
//! cut at 64 KiB for records over the size limit). Lines are flushed before the hot
//! checkpoint that covers them commits, so each bad event is written at least once (`seq`
//! identifies it; records rejected before the log have `"seq": null`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

use serde_json::json;

use super::metrics::Metrics;

const SHOWN: usize = 64 * 1024;

pub struct DeadLetter {
    file: Mutex<Pending>,
}

/// Lines not yet written, and the file's length after the last whole line.
struct Pending {
    file: File,
    len: u64,
    lines: Vec<u8>,
}

impl DeadLetter {
    pub fn open(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(Self { file: Mutex::new(Pending { file, len, lines: Vec::with_capacity(64 * 1024) }) })
    }

    pub fn write(&self, seq: Option<u64>, reason: &str, record: &[u8], metrics: &Metrics) -> io::Result<()> {
        let shown = String::from_utf8_lossy(&record[..record.len().min(SHOWN)]);
        let line = json!({"seq": seq, "reason": reason, "bytes": record.len(), "record": shown});
        let mut pending = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        serde_json::to_writer(&mut pending.lines, &line)?;
        pending.lines.push(b'\n');
        Metrics::add(&metrics.dead_lettered, 1);
        if pending.lines.len() >= 64 * 1024 {
            // A failure leaves them pending: the flush before the next commit must succeed.
            let _ = pending.flush();
        }
        Ok(())
    }

    /// Drops the lines not yet written: the hot path calls this when it restarts from its
    /// checkpoint after a failed commit, since the replay writes them again.
    pub fn discard_pending(&self) {
        self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner).lines.clear();
    }

    /// Writes the pending lines. On failure (disk full) the file is cut back to its last whole
    /// line and the lines stay pending, so a retry writes them whole.
    pub fn flush(&self) -> io::Result<()> {
        self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner).flush()
    }
}

impl Pending {
    fn flush(&mut self) -> io::Result<()> {
        if self.lines.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.file.write_all(&self.lines) {
            let _ = self.file.set_len(self.len);
            return Err(e);
        }
        self.len += self.lines.len() as u64;
        self.lines.clear();
        Ok(())
    }
}
