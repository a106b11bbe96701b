//! Parallel GZIP: one gzip member per archive object, compressed in independent chunks on
//! worker threads (like `pigz -i`). Each chunk is raw DEFLATE ending in a sync flush, so the
//! chunks concatenate into one valid stream; the object ends with an empty final block and
//! the CRC-32 of all chunks combined. Any gzip reader (gzip, Python, flate2's `GzDecoder`)
//! reads the object as one member. Compression level 6; chunks of about 1 MiB cost well
//! under 0.1 % in ratio against one sequential stream.

use crc32fast::Hasher;
use flate2::{Compress, Compression, FlushCompress};

/// The gzip header: no name, mtime 0 (deterministic), OS unknown.
pub const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// One compressed chunk.
#[derive(Debug)]
pub struct Deflated {
    pub bytes: Vec<u8>,
    pub crc: Hasher,
    pub len: u64,
}

/// Compresses `raw` as raw DEFLATE ending in a sync flush, into `out` (reused).
#[must_use]
pub fn deflate_chunk(raw: &[u8], level: u32, mut out: Vec<u8>) -> Deflated {
    let mut crc = Hasher::new();
    crc.update(raw);
    out.clear();
    out.reserve(raw.len() / 3 + 4096);
    let mut c = Compress::new(Compression::new(level), false);
    let mut input = raw;
    loop {
        if out.capacity() - out.len() < 4096 {
            out.reserve(out.capacity().max(64 * 1024));
        }
        let before = c.total_in();
        c.compress_vec(input, &mut out, FlushCompress::Sync).expect("deflate cannot fail on valid state");
        let consumed = usize::try_from(c.total_in() - before).expect("fits");
        input = &input[consumed..];
        // zlib contract: a flush is complete when output space is left over.
        if input.is_empty() && out.len() < out.capacity() {
            break;
        }
    }
    Deflated { bytes: out, crc, len: raw.len() as u64 }
}

/// The end of a gzip member after sync-flushed chunks: an empty final block, CRC-32, size.
#[must_use]
pub fn trailer(crc: &Hasher, len: u64) -> [u8; 10] {
    let mut t = [0u8; 10];
    t[0] = 0x03;
    t[2..6].copy_from_slice(&crc.clone().finalize().to_le_bytes());
    #[allow(clippy::cast_possible_truncation)] // ISIZE is the length modulo 2^32
    t[6..10].copy_from_slice(&(len as u32).to_le_bytes());
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;
    use std::io::Read;

    #[test]
    fn chunks_concatenate_into_one_member() {
        let parts: Vec<Vec<u8>> = (0..3)
            .map(|i| {
                (0..50_000)
                    .fold(String::new(), |mut s, j| {
                        let _ = writeln!(s, "{{\"i\":{i},\"j\":{j}}}");
                        s
                    })
                    .into()
            })
            .collect();
        let mut file = HEADER.to_vec();
        let mut crc = Hasher::new();
        let mut len = 0;
        for part in &parts {
            let d = deflate_chunk(part, 6, Vec::new());
            file.extend_from_slice(&d.bytes);
            crc.combine(&d.crc);
            len += d.len;
        }
        file.extend_from_slice(&trailer(&crc, len));
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&file[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, parts.concat());
        let mut empty = HEADER.to_vec();
        empty.extend_from_slice(&trailer(&Hasher::new(), 0));
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&empty[..]).read_to_end(&mut out).unwrap();
        assert!(out.is_empty());
    }
}
