//! Per-consumer checkpoints (`checkpoints/<consumer>.json`), written atomically: temp file,
//! fsync, rename, fsync of the folder. A consumer resumes from its checkpoint after any stop,
//! so it sees every record at least once.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where a consumer resumes.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Global log offset of the next frame to read.
    pub offset: u64,
    /// Sequence number of the next record.
    pub seq: u64,
    /// Hot only: per windowed rule, the end (arrival ms) of the last window decided; records
    /// before it are not fed to that rule again on replay.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub windows_closed_until: BTreeMap<String, i64>,
    /// Hot only, flink engine: the event-time watermark (Unix ms) before the frame at
    /// `offset`, where a replay resumes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_watermark: Option<i64>,
}

/// The checkpoint file of one consumer.
#[derive(Clone, Debug)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    #[must_use]
    pub fn new(dir: &Path, consumer: &str) -> Self {
        Self { path: dir.join(format!("{consumer}.json")) }
    }

    /// The stored checkpoint, or the start of the log.
    pub fn load(&self) -> io::Result<Checkpoint> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Checkpoint::default()),
            Err(e) => Err(e),
        }
    }

    pub fn store(&self, checkpoint: &Checkpoint) -> io::Result<()> {
        write_atomic(&self.path, &serde_json::to_vec(checkpoint).map_err(io::Error::other)?)
    }
}

/// Writes `bytes` to `path` atomically and durably (temp, fsync, rename, fsync folder).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    let mut file = fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)?;
    super::log::sync_dir(dir)
}
