//! Where archived objects come from: an [`Archive`] lists its objects and opens one as a byte
//! stream. [`LocalArchive`] is a folder (what `run --local` writes under `archive/`); the S3
//! one is `crate::deploy::archive` (feature `aws`).
//!
//! Objects are replayed in archive order: by the time in their name, then by key. The time
//! of an object ([`object_time`]) is the one in its file name, `...-YYYY-MM-DD-HH-MM-SS...`
//! (pipec: the arrival of its first record; Firehose: its suffix time), else its time-prefix
//! folders `.../YYYY/MM/DD/HH/` (or `YYYY/MM/DD/`).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::expr::timestamp::days_from_civil;

/// One archived object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// Its key (relative path in a folder).
    pub key: String,
    /// Stored (compressed) size in bytes.
    pub size: u64,
    /// [`object_time`] of the key (epoch ms), when it has one.
    pub time_ms: Option<i64>,
}

/// A source of archived objects.
pub trait Archive {
    /// The archive as the user named it (for messages).
    fn name(&self) -> String;
    /// Every object, in any order.
    fn list(&mut self) -> io::Result<Vec<Object>>;
    /// The object's stored bytes (still compressed), streamed.
    fn open(&mut self, object: &Object) -> io::Result<Box<dyn Read + '_>>;
}

/// An archive folder on this machine.
pub struct LocalArchive {
    root: PathBuf,
}

impl LocalArchive {
    /// `dir` is the archive folder (the "bucket"), or a `run --local` data directory (then
    /// its `archive/` folder).
    #[must_use]
    pub fn new(dir: &Path) -> Self {
        let nested = dir.join("archive");
        let root = if dir.join("run.json").is_file() && nested.is_dir() { nested } else { dir.to_path_buf() };
        Self { root }
    }
}

impl Archive for LocalArchive {
    fn name(&self) -> String {
        self.root.display().to_string()
    }

    fn list(&mut self) -> io::Result<Vec<Object>> {
        let meta =
            fs::metadata(&self.root).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.root.display())))?;
        if !meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a folder", self.root.display()),
            ));
        }
        let mut out = Vec::new();
        walk(&self.root, "", &mut out)?;
        Ok(out)
    }

    fn open(&mut self, object: &Object) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(fs::File::open(self.root.join(&object.key))?))
    }
}

/// Every file under `dir`, skipping hidden entries (the cold path's `.pipec-tmp/`).
fn walk(dir: &Path, prefix: &str, out: &mut Vec<Object>) -> io::Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let key = format!("{prefix}{name}");
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), &format!("{key}/"), out)?;
        } else if kind.is_file() {
            let time_ms = object_time(&key);
            out.push(Object { size: entry.metadata()?.len(), key, time_ms });
        }
    }
    Ok(())
}

/// Sorts objects into archive order (time, then key; objects without a time first, by key).
pub fn sort(objects: &mut [Object]) {
    objects.sort_by(|a, b| (a.time_ms, &a.key).cmp(&(b.time_ms, &b.key)));
}

/// The time of an object from its key (see the module docs), epoch ms.
#[must_use]
pub fn object_time(key: &str) -> Option<i64> {
    let (dirs, name) = key.rsplit_once('/').unwrap_or(("", key));
    name_time(name).or_else(|| folder_time(dirs))
}

/// The last `YYYY-MM-DD-HH-MM-SS` in a file name.
fn name_time(name: &str) -> Option<i64> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(18)).rev().find_map(|i| {
        let s = &b[i..i + 19];
        let shape = s
            .iter()
            .enumerate()
            .all(|(j, &c)| if [4, 7, 10, 13, 16].contains(&j) { c == b'-' } else { c.is_ascii_digit() });
        let bounded = (i == 0 || !b[i - 1].is_ascii_digit()) && b.get(i + 19).is_none_or(|c| !c.is_ascii_digit());
        if !(shape && bounded) {
            return None;
        }
        let n = |at: usize, len: usize| std::str::from_utf8(&s[at..at + len]).ok()?.parse::<i64>().ok();
        civil_ms(n(0, 4)?, n(5, 2)?, n(8, 2)?, n(11, 2)?, n(14, 2)?, n(17, 2)?)
    })
}

/// The last `YYYY/MM/DD[/HH]` run of folders.
fn folder_time(dirs: &str) -> Option<i64> {
    let parts: Vec<&str> = dirs.split('/').collect();
    let num = |p: &str, len: usize| {
        (p.len() == len && p.bytes().all(|c| c.is_ascii_digit())).then(|| p.parse::<i64>().ok()).flatten()
    };
    (0..parts.len().saturating_sub(2)).rev().find_map(|i| {
        let (y, mo, d) = (num(parts[i], 4)?, num(parts[i + 1], 2)?, num(parts[i + 2], 2)?);
        let h = parts.get(i + 3).and_then(|p| num(p, 2)).unwrap_or(0);
        civil_ms(y, mo, d, h, 0, 0)
    })
}

fn civil_ms(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let valid = (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 60;
    valid.then(|| ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + s * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_from_names_and_folders() {
        let t = |y, mo, d, h, mi, s| civil_ms(y, mo, d, h, mi, s);
        // pipec's own object names.
        assert_eq!(
            object_time("raw/2026/12/02/04/events-000000000042-2026-12-02-04-59-07.gz"),
            t(2026, 12, 2, 4, 59, 7)
        );
        // Firehose: <stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>.
        assert_eq!(
            object_time("raw/2026/12/02/04/fh-1-2026-12-02-04-10-00-1b2c3d4e-1111-2222-3333-444455556666.gz"),
            t(2026, 12, 2, 4, 10, 0)
        );
        assert_eq!(object_time("raw/2026/12/02/04/whatever.gz"), t(2026, 12, 2, 4, 0, 0));
        assert_eq!(object_time("raw/2026/12/02/whatever.gz"), t(2026, 12, 2, 0, 0, 0));
        assert_eq!(object_time("whatever.gz"), None);
        assert_eq!(object_time("a/2026/13/02/x.gz"), None);
    }
}
