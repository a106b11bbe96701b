//! Sources that feed a running engine: NDJSON from a file or stdin, and the generator.
//!
//! A file source is resumable: its id hashes the file's canonical path and first 64 KiB, each
//! appended batch records the byte position after its last line, and a new run on the same
//! data dir continues after the last batch the log holds (nothing twice, nothing lost).
//! A seeded generator resumes the same way (its position is the record index). Blank lines
//! are skipped; a trailing `\r` is dropped; records over the size limit are dead-lettered.

use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Handle;
use super::clock::now_ms;
use super::generate::Generator;
use super::log::Batch;

/// When a source stops by itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub max_events: Option<u64>,
    pub deadline: Option<Instant>,
}

impl Limits {
    fn reached(&self, events: u64) -> bool {
        self.max_events.is_some_and(|m| events >= m) || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

const BATCH_BYTES: usize = 1 << 20;

fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The resume id of an input file.
pub fn file_id(path: &Path) -> io::Result<u64> {
    let canonical = std::fs::canonicalize(path)?;
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
    Ok(fnv(&head, fnv(canonical.to_string_lossy().as_bytes(), 0xcbf2_9ce4_8422_2325)) | 1)
}

/// The resume id of a seeded generator.
#[must_use]
pub fn generator_id(seed: u64) -> u64 {
    fnv(&seed.to_le_bytes(), fnv(b"pipec-generator", 0xcbf2_9ce4_8422_2325)) | 1
}

/// Where a file source starts: an earlier run on the same data dir may have taken some or all
/// of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Resume {
    /// Byte position after the last line an earlier run appended (0: a new input).
    pub position: u64,
    /// The file's size now.
    pub size: u64,
}

impl Resume {
    /// Every byte was taken by an earlier run: this run ingests nothing from the file.
    #[must_use]
    pub fn consumed(&self) -> bool {
        self.position > 0 && self.position >= self.size
    }
}

/// Where [`run_file`] will start in `path`.
pub fn resume(handle: &Handle, path: &Path) -> io::Result<Resume> {
    let position = handle.source_position(file_id(path)?)?.unwrap_or(0);
    Ok(Resume { position, size: std::fs::metadata(path)?.len() })
}

/// Reads NDJSON from a file, resuming after what an earlier run appended. Returns the number
/// of records appended by this call.
pub fn run_file(handle: &Handle, path: &Path, limits: Limits, stop: &AtomicBool) -> io::Result<u64> {
    let id = file_id(path)?;
    let start = handle.source_position(id)?.unwrap_or(0);
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let reader = io::BufReader::with_capacity(BATCH_BYTES, file);
    run_reader(handle, reader, Some((id, start)), limits, stop)
}

/// Reads NDJSON from any reader; `source` is `(id, byte position of the reader's start)` for
/// a resumable source.
pub fn run_reader(
    handle: &Handle,
    mut reader: impl BufRead,
    source: Option<(u64, u64)>,
    limits: Limits,
    stop: &AtomicBool,
) -> io::Result<u64> {
    let max = handle.config().max_record_bytes;
    let mut batch = Batch::with_capacity(BATCH_BYTES + 64 * 1024);
    let mut pos = source.map_or(0, |s| s.1);
    let mut partial: Vec<u8> = Vec::new();
    let mut partial_len = 0usize;
    let mut events = 0u64;
    let position = |pos: u64| source.map(|(id, _)| (id, pos));
    let mut line_end = pos;
    'read: loop {
        if stop.load(Ordering::Relaxed) || limits.reached(events) {
            break;
        }
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            if partial_len > 0 {
                let line = std::mem::take(&mut partial);
                events += u64::from(handle.take_line(&mut batch, &line, partial_len, max)?);
                line_end = pos;
            }
            break;
        }
        let mut at = 0;
        while let Some(nl) = memchr::memchr(b'\n', &buf[at..]) {
            let piece = &buf[at..at + nl];
            let appended = if partial_len > 0 {
                if partial.len() < max + 1 {
                    partial.extend_from_slice(&piece[..piece.len().min(max + 1 - partial.len())]);
                }
                let len = partial_len + piece.len();
                partial_len = 0;
                let line = std::mem::take(&mut partial);
                handle.take_line(&mut batch, &line, len, max)?
            } else {
                handle.take_line(&mut batch, piece, piece.len(), max)?
            };
            events += u64::from(appended);
            at += nl + 1;
            line_end = pos + at as u64;
            if batch.bytes() >= BATCH_BYTES {
                handle.append_waiting(&mut batch, position(line_end), stop)?;
            }
            if limits.reached(events) {
                reader.consume(at);
                break 'read;
            }
        }
        let rest = &buf[at..];
        if partial.len() < max + 1 {
            partial.extend_from_slice(&rest[..rest.len().min(max + 1 - partial.len())]);
        }
        partial_len += rest.len();
        let n = buf.len();
        reader.consume(n);
        pos += n as u64;
        handle.append_waiting(&mut batch, position(line_end), stop)?;
    }
    handle.append_waiting(&mut batch, position(line_end), stop)?;
    Ok(events)
}

/// Generates records at `rate` per second (`None`: as fast as possible).
pub fn run_generator(
    handle: &Handle,
    generator: &Generator,
    rate: Option<f64>,
    source: Option<u64>,
    limits: Limits,
    stop: &AtomicBool,
) -> io::Result<u64> {
    let mut index = match source {
        Some(id) => handle.source_position(id)?.unwrap_or(0),
        None => 0,
    };
    let started = Instant::now();
    let mut batch = Batch::with_capacity(BATCH_BYTES);
    let mut line = String::with_capacity(512);
    let mut events = 0u64;
    while !stop.load(Ordering::Relaxed) && !limits.reached(events) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let due = match rate {
            Some(r) => ((started.elapsed().as_secs_f64() * r) as u64).saturating_sub(events),
            None => 2000,
        };
        let due = limits.max_events.map_or(due, |m| due.min(m - events)).min(5000);
        if due == 0 {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        let now = now_ms();
        for _ in 0..due {
            line.clear();
            generator.record(index, now, &mut line);
            batch.push(line.as_bytes());
            index += 1;
        }
        events += due;
        handle.append_waiting(&mut batch, source.map(|id| (id, index)), stop)?;
    }
    Ok(events)
}
