//! Salvage after a corrupt log frame: what recovery does when a bad frame is followed by good
//! ones in the last segment (a torn append can only be the last frame, so this means the file
//! was damaged), or when any frame of an older, rolled segment is bad (segments are fsynced
//! when they roll, so that is damage too).
//!
//! The bytes from the bad frame to the end of its segment are kept, never silently dropped:
//! `log/quarantine/<segment base>-<offset>.bin` holds them exactly, and
//! `log/quarantine/<segment base>-<offset>.ndjson` the records of every whole frame found after
//! the bad one (one per line, ready for `pipec run --local SPEC --input FILE`). The log then
//! continues in a new segment that starts past the damaged bytes, and sequence numbers
//! continue after the salvaged frames, so no offset or sequence number is ever given twice.
//! In an older segment the damaged bytes are cut off after they are kept; readers go on with
//! the next segment. Every [`Recovery`] is reported to the front end, which says how many
//! records were skipped: the salvaged ones (in the `.ndjson` file) and those of the damaged
//! frames themselves, counted from the sequence numbers around them (only in the `.bin` file).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::frame::{BODY_HEADER, FRAME_HEADER};

/// What recovery moved out of the log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Recovery {
    /// The NDJSON file with the skipped records.
    pub records_file: PathBuf,
    /// The exact bytes from the bad frame to the end of the segment.
    pub bytes_file: PathBuf,
    /// Global log offset of the bad frame.
    pub offset: u64,
    pub bytes: u64,
    /// Whole frames found after the bad one, and their records (in `records_file`).
    pub frames: u64,
    pub records: u64,
    /// Records in the damaged bytes that no whole frame holds (only in `bytes_file`).
    pub unreadable: u64,
    /// The sequence number after the last salvaged record.
    pub next_seq: u64,
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as usize
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The whole frames in `tail` after its first (bad) byte: `(start, end)` of each, found by
/// trying every position (a frame must have a plausible length, a good CRC and a first
/// sequence number at or past `min_seq`).
fn whole_frames(tail: &[u8], min_seq: u64) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut at = 1;
    while at + FRAME_HEADER + BODY_HEADER <= tail.len() {
        let len = u32_at(tail, at);
        let end = at + FRAME_HEADER + len;
        let body = tail.get(at + FRAME_HEADER..end).filter(|_| len >= BODY_HEADER);
        let good = body
            .is_some_and(|body| u64_at(body, 0) >= min_seq && crc32fast::hash(body) as usize == u32_at(tail, at + 4));
        if good {
            found.push((at, end));
            at = end;
        } else {
            at += 1;
        }
    }
    found
}

/// Looks past the bad frame at `offset` (`tail` = the segment's bytes from there on, `min_seq`
/// the sequence number after the last good frame); writes the quarantine files under `dir` and
/// returns what it kept. `following`: the first sequence number of the next segment, for an
/// older segment (whose damaged bytes are always kept). `None` for the last segment: when no
/// whole frame follows, it is a torn tail (nothing acknowledged is lost by cutting it off).
pub fn salvage(
    dir: &Path,
    segment_base: u64,
    offset: u64,
    tail: &[u8],
    min_seq: u64,
    following: Option<u64>,
) -> io::Result<Option<Recovery>> {
    let frames = whole_frames(tail, min_seq);
    if tail.is_empty() || (frames.is_empty() && following.is_none()) {
        return Ok(None);
    }
    let dir = dir.join("quarantine");
    fs::create_dir_all(&dir)?;
    let name = format!("{segment_base:020}-{offset:020}");
    let bytes_file = dir.join(format!("{name}.bin"));
    let records_file = dir.join(format!("{name}.ndjson"));
    let mut records = 0u64;
    let mut next_seq = min_seq;
    let mut lines = Vec::new();
    // The sequence number of the first record a whole frame holds again.
    let readable_from = frames.first().map(|&(start, _)| u64_at(&tail[start + FRAME_HEADER..], 0)).or(following);
    let unreadable = readable_from.map_or(0, |seq| seq.saturating_sub(min_seq));
    for &(start, end) in &frames {
        let body = &tail[start + FRAME_HEADER..end];
        let count = u64::from(u32::from_le_bytes(body[16..20].try_into().expect("4 bytes")));
        next_seq = next_seq.max(u64_at(body, 0) + count);
        let mut rest = &body[BODY_HEADER..];
        for _ in 0..count {
            let Some(len) = rest.get(..4).map(|b| u32_at(b, 0)) else { break };
            let Some(record) = rest.get(4..4 + len) else { break };
            lines.extend_from_slice(record);
            lines.push(b'\n');
            records += 1;
            rest = &rest[4 + len..];
        }
    }
    for (path, bytes) in [(&bytes_file, tail), (&records_file, &lines[..])] {
        let mut file = fs::File::create(path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    // The new files' names are durable before anything relies on them.
    std::fs::File::open(&dir)?.sync_all()?;
    Ok(Some(Recovery {
        records_file,
        bytes_file,
        offset,
        bytes: tail.len() as u64,
        frames: frames.len() as u64,
        records,
        unreadable,
        next_seq,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(first_seq: u64, records: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&first_seq.to_le_bytes());
        body.extend_from_slice(&0i64.to_le_bytes());
        body.extend_from_slice(&u32::try_from(records.len()).unwrap().to_le_bytes());
        body.extend_from_slice(&[0; 16]);
        for r in records {
            body.extend_from_slice(&u32::try_from(r.len()).unwrap().to_le_bytes());
            body.extend_from_slice(r);
        }
        let mut out = u32::try_from(body.len()).unwrap().to_le_bytes().to_vec();
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn frames_after_a_bad_one_are_kept_and_counted() {
        let dir = std::env::temp_dir().join(format!("pipec-quarantine-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut bad = frame(5, &[b"lost?"]);
        bad[12] ^= 0xff; // damaged body: CRC mismatch
        let mut tail = bad.clone();
        tail.extend(frame(6, &[b"{\"a\":1}", b"{\"a\":2}"]));
        tail.extend(frame(8, &[b"{\"a\":3}"]));
        tail.extend_from_slice(&[1, 2, 3]); // torn end
        let recovery = salvage(&dir, 0, 100, &tail, 5, None).unwrap().expect("frames follow");
        assert_eq!((recovery.frames, recovery.records, recovery.unreadable, recovery.next_seq), (2, 3, 1, 9));
        assert_eq!(fs::read(&recovery.records_file).unwrap(), b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
        assert_eq!(fs::read(&recovery.bytes_file).unwrap(), tail);
        // A torn tail alone is not quarantined.
        assert_eq!(salvage(&dir, 0, 100, &bad[..bad.len() - 3], 5, None).unwrap(), None);
        // In an older segment, damage without a whole frame after it is kept and counted too.
        let older = salvage(&dir, 0, 200, &bad, 5, Some(6)).unwrap().expect("older segments keep damage");
        assert_eq!((older.frames, older.records, older.unreadable), (0, 0, 1));
        assert_eq!(fs::read(&older.bytes_file).unwrap(), bad);
        let _ = fs::remove_dir_all(&dir);
    }
}
