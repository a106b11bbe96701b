//! The dead-letter file of invalid events (`dead-letter/events.ndjson`): one JSON line per
//! event — `{"seq", "reason", "bytes", "record"}` — with the record as text (lossy UTF-8,
//! cut at 64 KiB for records over the size limit). Lines are flushed before the hot
//! checkpoint that covers them commits, so each bad event is written at least once (`seq`
//! identifies it; records rejected before the log have `"seq": null`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use serde_json::json;

use super::metrics::Metrics;

const SHOWN: usize = 64 * 1024;

pub struct DeadLetter {
    file: Mutex<BufWriter<File>>,
}

impl DeadLetter {
    pub fn open(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self { file: Mutex::new(BufWriter::with_capacity(64 * 1024, file)) })
    }

    pub fn write(&self, seq: Option<u64>, reason: &str, record: &[u8], metrics: &Metrics) -> io::Result<()> {
        let shown = String::from_utf8_lossy(&record[..record.len().min(SHOWN)]);
        let line = json!({"seq": seq, "reason": reason, "bytes": record.len(), "record": shown});
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        serde_json::to_writer(&mut *file, &line)?;
        file.write_all(b"\n")?;
        Metrics::add(&metrics.dead_lettered, 1);
        Ok(())
    }

    pub fn flush(&self) -> io::Result<()> {
        self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner).flush()
    }
}
