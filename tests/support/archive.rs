//! Reads the local runtime's archive in tests: every line of every `*.gz` object under
//! `<data dir>/archive`, each object read to its end across all its gzip members (the runtime
//! writes one member per ~1 MiB chunk).
//!
//! ```ignore
//! #[path = "support/archive.rs"]
//! mod archive;
//! ```
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;

/// Every archived line, object by object (none when there is no archive yet).
pub fn lines(data: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    let mut stack = vec![data.join("archive")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "gz") {
                let mut text = String::new();
                flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
                    .read_to_string(&mut text)
                    .unwrap();
                lines.extend(text.lines().map(str::to_owned));
            }
        }
    }
    lines
}
