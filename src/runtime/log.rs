//! The durable local stream log: append-only segment files of CRC-checked batch frames.
//!
//! Layout: `log/<base>.seg`, `<base>` the global byte offset (20 digits) of the segment's first
//! frame. A frame is one appended batch, and the unit of atomicity:
//!
//! ```text
//! u32 body length | u32 CRC-32 of body | body:
//!   u64 first_seq | i64 arrival ms | u32 count | u64 source id | u64 source position
//!   count × (u32 length | bytes)
//! ```
//!
//! * An append is acknowledged once `write(2)` of its whole frame returned: from then on it
//!   survives the death of the process (kill -9), because the bytes are in the kernel.
//! * A failed append (disk full, I/O error) is rolled back: the segment is truncated to the
//!   last whole frame before the error is returned, and if that truncation fails too, before
//!   the next append writes anything. So a refused record never sits in the log, and an
//!   acknowledged one never lands after a partial frame.
//! * fsync policy ([`Fsync`]): `Interval(ms)` (default 200 ms) has a flusher fsync the active
//!   segment at most that long after an append, so a power loss or kernel crash can lose at
//!   most the appends acknowledged in the last `ms` milliseconds; `Always` fsyncs every frame
//!   before the append returns (no loss window, slower). Segments are fsynced when they roll.
//! * Recovery ([`Log::open`]) checks the last segment frame by frame and truncates it after the
//!   last whole frame with a good CRC: a torn append is dropped whole, never half-read. When
//!   whole frames follow a bad one (a damaged file), they are kept in a quarantine file and
//!   reported ([`Log::recoveries`], see [`super::quarantine`]), never silently dropped. Every
//!   older segment is checked too (one sequential read of the log at start): a bad frame there
//!   is damage, and its bytes and the frames after it are quarantined the same way.
//! * Each frame carries the position of the source it came from, so a file source resumes
//!   after a crash exactly where its last acknowledged batch ended ([`Log::source_position`]).
//! * Retention: a segment is deleted when it was last written more than the spec's retention
//!   ago *and* every consumer has checkpointed past it (locally, nothing unread is dropped).
//! * Readers ([`Reader`]) read only whole committed frames, waiting on a condition variable.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

pub use super::frame::{BODY_HEADER, FRAME_HEADER};

/// When appends are fsynced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fsync {
    /// Before every append returns.
    Always,
    /// At most this many milliseconds after an append.
    IntervalMs(u64),
}

/// A batch being built by a source: records appended in place, the header filled by the log.
#[derive(Debug)]
pub struct Batch {
    buf: Vec<u8>,
    count: u32,
}

impl Default for Batch {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl Batch {
    #[must_use]
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(bytes + FRAME_HEADER + BODY_HEADER);
        buf.resize(FRAME_HEADER + BODY_HEADER, 0);
        Self { buf, count: 0 }
    }

    pub fn push(&mut self, record: &[u8]) {
        let len = u32::try_from(record.len()).expect("records are at most 1 MiB");
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(record);
        self.count += 1;
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.count as usize
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of records held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.buf.len() - FRAME_HEADER - BODY_HEADER
    }

    pub fn clear(&mut self) {
        self.buf.truncate(FRAME_HEADER + BODY_HEADER);
        self.count = 0;
    }
}

/// One frame read back: its records and where it ends.
#[derive(Debug)]
pub struct Frame<'a> {
    pub first_seq: u64,
    pub arrival_ms: i64,
    /// Global offset just past this frame (a consumer's next checkpoint).
    pub end: u64,
    body: &'a [u8],
    count: u32,
}

impl<'a> Frame<'a> {
    /// The records in order, each with its sequence number.
    pub fn records(&self) -> impl Iterator<Item = (u64, &'a [u8])> + 'a {
        let mut rest = &self.body[BODY_HEADER..];
        let first = self.first_seq;
        (0..u64::from(self.count)).map(move |i| {
            let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
            let record = &rest[4..4 + len];
            rest = &rest[4 + len..];
            (first + i, record)
        })
    }

    #[must_use]
    pub fn count(&self) -> u64 {
        u64::from(self.count)
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn parse_body(body: &[u8], end: u64) -> io::Result<Frame<'_>> {
    if body.len() < BODY_HEADER {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "short frame"));
    }
    let count = u32::from_le_bytes(body[16..20].try_into().unwrap());
    #[allow(clippy::cast_possible_wrap)]
    let arrival_ms = u64_at(body, 8) as i64;
    Ok(Frame { first_seq: u64_at(body, 0), arrival_ms, end, body, count })
}

struct Writer {
    file: File,
    base: u64,
    end: u64,
    next_seq: u64,
    last_ms: i64,
    dirty: bool,
    /// A failed append may have left a partial frame past `end` (cut off before the next one).
    torn: bool,
}

struct Shared {
    dir: PathBuf,
    fsync: Fsync,
    segment_bytes: u64,
    writer: Mutex<Writer>,
    /// Global offset after the last whole frame written.
    committed: AtomicU64,
    /// Sequence number the next record gets.
    next_seq: AtomicU64,
    changed: Condvar,
    changed_lock: Mutex<()>,
    /// What [`Log::open`] quarantined, oldest first.
    recoveries: Vec<super::quarantine::Recovery>,
}

/// The log (cheap to clone: shared).
#[derive(Clone)]
pub struct Log {
    shared: Arc<Shared>,
}

fn segment_path(dir: &Path, base: u64) -> PathBuf {
    dir.join(format!("{base:020}.seg"))
}

/// The bases of the segments in `dir`, ascending.
fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut bases: Vec<u64> = fs::read_dir(dir)?
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".seg")?.parse().ok()
        })
        .collect();
    bases.sort_unstable();
    Ok(bases)
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Reads the frame at the file's current position: `Ok(None)` at a clean end or a torn tail.
fn read_frame(file: &mut File, buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
    let mut header = [0u8; FRAME_HEADER];
    match file.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(header[..4].try_into().unwrap()) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().unwrap());
    if !(BODY_HEADER..=1 << 30).contains(&len) {
        return Ok(None);
    }
    buf.resize(len, 0);
    match file.read_exact(buf) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    Ok((crc32fast::hash(buf) == crc).then_some(FRAME_HEADER + len))
}

/// Checks every segment before `last` (the one [`Log::open`] recovered as the end) frame by
/// frame; a bad frame in one of them is damage: its bytes and the whole frames after it are
/// quarantined, then the segment is cut at the bad frame (readers continue with the next
/// segment, as they do at the end of any segment).
fn check_older(
    dir: &Path,
    bases: &[u64],
    last: u64,
    buf: &mut Vec<u8>,
) -> io::Result<Vec<super::quarantine::Recovery>> {
    let mut found = Vec::new();
    let mut next_seq = None;
    for (i, &base) in bases.iter().enumerate().take_while(|&(_, &b)| b < last) {
        let path = segment_path(dir, base);
        let mut file = File::open(&path)?;
        let mut pos = base;
        while let Some(n) = read_frame(&mut file, buf)? {
            let frame = parse_body(buf, 0)?;
            next_seq = Some(frame.first_seq + frame.count());
            pos += n as u64;
        }
        let size = file.metadata()?.len();
        if pos - base == size {
            continue;
        }
        let mut tail = Vec::new();
        file.seek(SeekFrom::Start(pos - base))?;
        file.read_to_end(&mut tail)?;
        // The first sequence number of the next segment bounds what the damage held.
        let following = match bases.get(i + 1) {
            Some(&next) => {
                let mut next_file = File::open(segment_path(dir, next))?;
                read_frame(&mut next_file, buf)?.map(|_| u64_at(buf, 0))
            }
            None => None,
        };
        // Unknown when the oldest segment's first frame is the bad one: nothing is filtered
        // then, and the damaged frame's own records are not counted.
        let min_seq = next_seq.unwrap_or(0);
        let salvaged = super::quarantine::salvage(dir, base, pos, &tail, min_seq, Some(following.unwrap_or(min_seq)))?;
        if let Some(mut r) = salvaged {
            if next_seq.is_none() {
                r.unreadable = 0;
            }
            next_seq = Some(r.next_seq);
            found.push(r);
        }
        let file = OpenOptions::new().write(true).open(&path)?;
        file.set_len(pos - base)?;
        file.sync_all()?;
    }
    Ok(found)
}

impl Log {
    /// Opens (or creates) the log in `dir`, recovering after a crash.
    pub fn open(dir: &Path, fsync: Fsync, segment_bytes: u64) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let mut bases = segments(dir)?;
        let mut next_seq = 0;
        let mut last_ms = 0;
        let mut end = 0;
        let mut buf = Vec::new();
        let mut recovery = None;
        // The last segment with a whole frame decides the end; empty trailing segments go.
        let mut last_checked = u64::MAX;
        while let Some(&base) = bases.last() {
            last_checked = base;
            let path = segment_path(dir, base);
            let mut file = File::open(&path)?;
            let mut pos = base;
            let mut found = false;
            while let Some(n) = read_frame(&mut file, &mut buf)? {
                let frame = parse_body(&buf, 0)?;
                next_seq = frame.first_seq + frame.count();
                last_ms = frame.arrival_ms;
                pos += n as u64;
                found = true;
            }
            let size = file.metadata()?.len();
            if pos - base < size {
                let mut tail = Vec::new();
                file.seek(SeekFrom::Start(pos - base))?;
                file.read_to_end(&mut tail)?;
                recovery = super::quarantine::salvage(dir, base, pos, &tail, next_seq, None)?;
            }
            let file = OpenOptions::new().write(true).open(&path)?;
            file.set_len(pos - base)?;
            file.sync_all()?;
            end = pos;
            if let Some(r) = &recovery {
                // Offsets and sequence numbers continue past the quarantined frames.
                next_seq = r.next_seq;
                end = base + size;
                bases.push(end);
                found = true;
            }
            if found || bases.len() == 1 {
                break;
            }
            fs::remove_file(&path)?;
            bases.pop();
        }
        let mut recoveries = check_older(dir, &bases, last_checked, &mut buf)?;
        let has_recovery = recovery.is_some();
        recoveries.extend(recovery);
        let base = bases.last().copied().unwrap_or(0);
        let file = OpenOptions::new().create(true).append(true).open(segment_path(dir, base))?;
        sync_dir(dir)?;
        let writer = Writer { file, base, end, next_seq, last_ms, dirty: false, torn: false };
        let log = Self {
            shared: Arc::new(Shared {
                dir: dir.to_path_buf(),
                fsync,
                segment_bytes,
                writer: Mutex::new(writer),
                committed: AtomicU64::new(end),
                next_seq: AtomicU64::new(next_seq),
                changed: Condvar::new(),
                changed_lock: Mutex::new(()),
                recoveries,
            }),
        };
        if has_recovery {
            // An empty frame opens the segment after the damaged bytes, so the next start
            // finds the sequence numbers to continue from even before a record arrives.
            log.append_frame(&mut Batch::default(), None)?;
        }
        Ok(log)
    }

    /// Appends `batch` as one frame (cleared afterwards); returns the sequence numbers given.
    /// `source` is `(source id, position after this batch)` for a resumable source.
    pub fn append(&self, batch: &mut Batch, source: Option<(u64, u64)>) -> io::Result<std::ops::Range<u64>> {
        if batch.is_empty() {
            let seq = self.next_seq();
            return Ok(seq..seq);
        }
        self.append_frame(batch, source)
    }

    /// Writes `batch` as one frame, also when it is empty (recovery's marker frame).
    fn append_frame(&self, batch: &mut Batch, source: Option<(u64, u64)>) -> io::Result<std::ops::Range<u64>> {
        let shared = &*self.shared;
        let mut w = shared.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if w.torn {
            // An earlier append failed and its rollback failed too: nothing goes after the
            // partial frame until it is cut off.
            w.file.set_len(w.end - w.base)?;
            w.torn = false;
        }
        if w.end - w.base >= shared.segment_bytes {
            w.file.sync_all()?;
            let base = w.end;
            w.file = OpenOptions::new().create(true).append(true).open(segment_path(&shared.dir, base))?;
            w.base = base;
            sync_dir(&shared.dir)?;
        }
        let now = crate::runtime::clock::now_ms().max(w.last_ms);
        let first_seq = w.next_seq;
        let (id, pos) = source.unwrap_or((0, 0));
        let body_len = u32::try_from(batch.buf.len() - FRAME_HEADER).expect("batches are far below 4 GiB");
        let b = &mut batch.buf;
        b[8..16].copy_from_slice(&first_seq.to_le_bytes());
        b[16..24].copy_from_slice(&now.to_le_bytes());
        b[24..28].copy_from_slice(&batch.count.to_le_bytes());
        b[28..36].copy_from_slice(&id.to_le_bytes());
        b[36..44].copy_from_slice(&pos.to_le_bytes());
        let crc = crc32fast::hash(&b[FRAME_HEADER..]);
        b[..4].copy_from_slice(&body_len.to_le_bytes());
        b[4..8].copy_from_slice(&crc.to_le_bytes());
        let written = w.file.write_all(b).and_then(|()| match shared.fsync {
            Fsync::Always => w.file.sync_data(),
            Fsync::IntervalMs(_) => Ok(()),
        });
        if let Err(e) = written {
            // Roll back to the last whole frame before anything else is written, so the
            // next append (acknowledged) never lands after a partial one.
            w.torn = w.file.set_len(w.end - w.base).is_err();
            return Err(e);
        }
        w.dirty |= shared.fsync != Fsync::Always;
        w.end += b.len() as u64;
        w.next_seq += u64::from(batch.count);
        w.last_ms = now;
        let range = first_seq..w.next_seq;
        shared.committed.store(w.end, Ordering::Release);
        shared.next_seq.store(w.next_seq, Ordering::Release);
        drop(w);
        batch.clear();
        let _guard = shared.changed_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        shared.changed.notify_all();
        Ok(range)
    }

    /// fsyncs the active segment if an append is not yet on disk (the flusher's tick).
    pub fn sync(&self) -> io::Result<()> {
        let mut w = self.shared.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if w.dirty {
            w.file.sync_data()?;
            w.dirty = false;
        }
        Ok(())
    }

    /// What recovery moved to the quarantine (damaged bytes and the frames after them), one
    /// entry per damaged segment, oldest first.
    #[must_use]
    pub fn recoveries(&self) -> &[super::quarantine::Recovery] {
        &self.shared.recoveries
    }

    #[must_use]
    pub fn fsync_policy(&self) -> Fsync {
        self.shared.fsync
    }

    /// Global offset after the last whole frame.
    #[must_use]
    pub fn committed(&self) -> u64 {
        self.shared.committed.load(Ordering::Acquire)
    }

    /// The sequence number the next record will get (= records ever appended).
    #[must_use]
    pub fn next_seq(&self) -> u64 {
        self.shared.next_seq.load(Ordering::Acquire)
    }

    /// Wakes every reader waiting for data (used on shutdown).
    pub fn wake(&self) {
        let _guard = self.shared.changed_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.shared.changed.notify_all();
    }

    /// Waits until the log grows past `offset` or `timeout` passes.
    pub fn wait_past(&self, offset: u64, timeout: Duration) {
        let guard = self.shared.changed_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.committed() > offset {
            return;
        }
        let _ = self.shared.changed.wait_timeout(guard, timeout);
    }

    /// The position after the last batch appended by source `id`, if any is in the log.
    pub fn source_position(&self, id: u64) -> io::Result<Option<u64>> {
        let dir = &self.shared.dir;
        let mut buf = Vec::new();
        for base in segments(dir)?.into_iter().rev() {
            let mut file = File::open(segment_path(dir, base))?;
            let mut found = None;
            while let Some(_n) = read_frame(&mut file, &mut buf)? {
                if u64_at(&buf, 20) == id {
                    found = Some(u64_at(&buf, 28));
                }
            }
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Deletes segments last written before `older_than` that end at or before `consumed`.
    pub fn apply_retention(&self, older_than: SystemTime, consumed: u64) -> io::Result<usize> {
        let active = self.shared.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).base;
        let bases = segments(&self.shared.dir)?;
        let mut deleted = 0;
        for pair in bases.windows(2) {
            let (base, next) = (pair[0], pair[1]);
            let path = segment_path(&self.shared.dir, base);
            if base == active || next > consumed {
                break;
            }
            if fs::metadata(&path)?.modified()? < older_than {
                fs::remove_file(&path)?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// A reader from global offset `from` (a consumer's checkpoint).
    #[must_use]
    pub fn reader(&self, from: u64) -> Reader {
        Reader { log: self.clone(), file: None, pos: from, buf: Vec::new() }
    }
}

/// Reads whole frames in order from a position, independently of other readers.
pub struct Reader {
    log: Log,
    file: Option<File>,
    pos: u64,
    buf: Vec<u8>,
}

impl Reader {
    /// The global offset of the next frame.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Whether every committed frame has been read.
    #[must_use]
    pub fn caught_up(&self) -> bool {
        self.pos >= self.log.committed()
    }

    /// Opens the segment holding `self.pos` (or the oldest one after it, when retention has
    /// deleted what the checkpoint pointed into).
    fn open(&mut self) -> io::Result<()> {
        let dir = &self.log.shared.dir;
        let bases = segments(dir)?;
        let base = if let Some(&b) = bases.iter().rev().find(|&&b| b <= self.pos) {
            b
        } else {
            let b = bases.first().copied().unwrap_or(0);
            self.pos = b;
            b
        };
        let mut file = File::open(segment_path(dir, base))?;
        file.seek(SeekFrom::Start(self.pos - base))?;
        self.file = Some(file);
        Ok(())
    }

    /// The next committed frame, or `None` when there is none yet.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame<'_>>> {
        if self.pos >= self.log.committed() {
            return Ok(None);
        }
        if self.file.is_none() {
            self.open()?;
        }
        let file = self.file.as_mut().expect("opened above");
        let n = if let Some(n) = read_frame(file, &mut self.buf)? {
            n
        } else {
            // End of a rolled segment: the next one starts here (or, after recovery
            // quarantined damaged bytes, at the first segment past them).
            self.file = None;
            let bases = segments(&self.log.shared.dir)?;
            if !bases.contains(&self.pos)
                && let Some(&next) = bases.iter().find(|&&b| b > self.pos)
            {
                self.pos = next;
            }
            loop {
                self.open()?;
                let file = self.file.as_mut().expect("opened above");
                if let Some(n) = read_frame(file, &mut self.buf)? {
                    break n;
                }
                // A segment that recovery emptied (its first frame was damaged): the next.
                match bases.iter().find(|&&b| b > self.pos) {
                    Some(&next) if self.pos < self.log.committed() => self.pos = next,
                    _ => return Err(io::Error::new(io::ErrorKind::InvalidData, "log: bad frame")),
                }
            }
        };
        self.pos += n as u64;
        parse_body(&self.buf, self.pos).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_read_recover_and_resume() {
        let dir = std::env::temp_dir().join(format!("pipec-log-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let log = Log::open(&dir, Fsync::IntervalMs(100), 64).unwrap();
        let mut batch = Batch::default();
        for i in 0..3 {
            batch.push(format!("r{i}").as_bytes());
            batch.push(b"x");
            log.append(&mut batch, Some((7, i + 1))).unwrap();
        }
        let mut reader = log.reader(0);
        let mut seen = Vec::new();
        while let Some(frame) = reader.next_frame().unwrap() {
            seen.extend(frame.records().map(|(s, r)| (s, r.to_vec())));
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[4], (4, b"r2".to_vec()));
        // A torn tail is dropped on reopen.
        let last = *segments(&dir).unwrap().last().unwrap();
        let mut f = OpenOptions::new().append(true).open(segment_path(&dir, last)).unwrap();
        f.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        drop(log);
        let log = Log::open(&dir, Fsync::Always, 64).unwrap();
        assert_eq!(log.next_seq(), 6);
        assert_eq!(log.source_position(7).unwrap(), Some(3));
        assert_eq!(log.source_position(8).unwrap(), None);
        batch.push(b"after");
        assert_eq!(log.append(&mut batch, None).unwrap(), 6..7);
        assert!(log.recoveries().is_empty(), "a torn tail is not a quarantine");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn frames_after_a_corrupt_one_are_quarantined_and_offsets_never_reused() {
        let dir = std::env::temp_dir().join(format!("pipec-log-q-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let log = Log::open(&dir, Fsync::Always, 1 << 20).unwrap();
        let mut batch = Batch::default();
        let mut ends = Vec::new();
        for i in 0..3 {
            batch.push(format!("{{\"n\":{i}}}").as_bytes());
            log.append(&mut batch, None).unwrap();
            ends.push(log.committed());
        }
        drop(log);
        // Damage the second frame's body.
        let path = segment_path(&dir, 0);
        let mut bytes = fs::read(&path).unwrap();
        bytes[usize::try_from(ends[0]).unwrap() + FRAME_HEADER + 2] ^= 0xff;
        fs::write(&path, &bytes).unwrap();

        let log = Log::open(&dir, Fsync::Always, 1 << 20).unwrap();
        let r = log.recoveries().first().expect("the third frame is quarantined").clone();
        assert_eq!((r.offset, r.frames, r.records, r.unreadable, r.next_seq), (ends[0], 1, 1, 1, 3));
        assert_eq!(fs::read(&r.records_file).unwrap(), b"{\"n\":2}\n");
        // New records get new sequence numbers and offsets; a reader skips the damaged bytes.
        batch.push(b"new");
        assert_eq!(log.append(&mut batch, None).unwrap(), 3..4);
        let mut reader = log.reader(0);
        let mut seen = Vec::new();
        while let Some(frame) = reader.next_frame().unwrap() {
            seen.extend(frame.records().map(|(s, r)| (s, r.to_vec())));
        }
        assert_eq!(seen, [(0, b"{\"n\":0}".to_vec()), (3, b"new".to_vec())]);
        // A consumer whose checkpoint was inside the damaged bytes goes on after them.
        let mut reader = log.reader(ends[1]);
        assert_eq!(reader.next_frame().unwrap().unwrap().first_seq, 3);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_corrupt_frame_in_an_older_segment_is_quarantined_counted_and_skipped() {
        let dir = std::env::temp_dir().join(format!("pipec-log-old-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        // Segments of at most 100 bytes: two frames of two records each per segment.
        let log = Log::open(&dir, Fsync::Always, 100).unwrap();
        let mut batch = Batch::default();
        for i in 0..6 {
            batch.push(format!("{{\"n\":{}}}", 2 * i).as_bytes());
            batch.push(format!("{{\"n\":{}}}", 2 * i + 1).as_bytes());
            log.append(&mut batch, None).unwrap();
        }
        drop(log);
        let bases = segments(&dir).unwrap();
        assert!(bases.len() >= 3, "{bases:?}");
        // Damage the first frame of the second segment (an older, rolled one).
        let path = segment_path(&dir, bases[1]);
        let mut bytes = fs::read(&path).unwrap();
        bytes[FRAME_HEADER + 2] ^= 0xff;
        fs::write(&path, &bytes).unwrap();

        let log = Log::open(&dir, Fsync::Always, 100).unwrap();
        let r = log.recoveries().first().expect("the older segment is quarantined").clone();
        assert_eq!(r.offset, bases[1]);
        // The damaged frame's 2 records are unreadable; the whole frame after it is kept.
        assert_eq!((r.frames, r.records, r.unreadable), (1, 2, 2));
        assert_eq!(fs::read(&r.records_file).unwrap(), b"{\"n\":6}\n{\"n\":7}\n");
        let mut reader = log.reader(0);
        let mut seen = Vec::new();
        while let Some(frame) = reader.next_frame().unwrap() {
            seen.extend(frame.records().map(|(s, _)| s));
        }
        assert_eq!(seen, [0, 1, 2, 3, 8, 9, 10, 11]);
        assert_eq!(log.next_seq(), 12);
        drop(log);
        // Said once: the damaged bytes were cut after they were kept.
        let log = Log::open(&dir, Fsync::Always, 100).unwrap();
        assert!(log.recoveries().is_empty());
        let _ = fs::remove_dir_all(&dir);
    }
}
