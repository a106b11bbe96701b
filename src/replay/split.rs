//! Records out of an archive object's bytes, streaming: NDJSON as the local runtime writes it
//! (each record followed by `\n`) and what Firehose writes (the records as the producers put
//! them, concatenated, with or without a newline between them: `{..}{..}\n{..}`).
//!
//! A record ends at a newline (never part of a JSON record: a raw newline inside a string is
//! not JSON), at the `}` or `]` that closes its outermost object or array (so `}{` splits
//! concatenated records). Strings and escapes are followed, so braces inside strings do not
//! count. Whatever does not start with `{` or `[` comes out as one piece up to the next newline and is dead-lettered by the decisions with its
//! reason. A piece over [`MAX_PIECE`] bytes is cut: its first bytes come out as
//! [`Piece::TooLong`] and the rest up to the next newline is skipped, so memory stays bounded
//! whatever the object holds.

use std::io::{self, BufRead};

/// Kinesis' record limit (1 MiB): no archived record is longer.
pub const MAX_PIECE: usize = crate::runtime::MAX_RECORD_BYTES;

/// What [`Splitter::next_piece`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Record(&'a [u8]),
    /// The first [`MAX_PIECE`] bytes of a piece that was longer, and its full length.
    TooLong(&'a [u8], u64),
}

/// Splits a byte stream into records.
pub struct Splitter<R> {
    input: R,
    record: Vec<u8>,
    /// Bytes of the piece being skipped past `MAX_PIECE` (0: not skipping).
    skipped: u64,
    state: State,
}

#[derive(Clone, Copy, Default)]
struct State {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// A bare top-level value (number, literal, string, garbage) is being read.
    bare: bool,
}

enum Step {
    /// Keep the byte and go on.
    Keep,
    /// Keep the byte, and the record ends with it.
    End,
    /// The record ends before this byte, which is dropped (a newline).
    EndBefore,
    /// Drop the byte (whitespace between records).
    Skip,
}

impl<R: BufRead> Splitter<R> {
    pub fn new(input: R) -> Self {
        Self { input, record: Vec::new(), skipped: 0, state: State::default() }
    }

    /// The next record, `None` at the end of the input; an error when the input cannot be
    /// read (a corrupt gzip stream shows here).
    pub fn next_piece(&mut self) -> io::Result<Option<Piece<'_>>> {
        self.record.clear();
        self.state = State::default();
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(self.finish());
            }
            let mut used = 0;
            let mut done = false;
            for &byte in buf {
                used += 1;
                if self.skipped > 0 {
                    if byte == b'\n' {
                        done = true;
                        break;
                    }
                    self.skipped += 1;
                    continue;
                }
                match self.state.step(byte) {
                    Step::Keep => self.record.push(byte),
                    Step::Skip => {}
                    Step::End => {
                        self.record.push(byte);
                        done = true;
                        break;
                    }
                    Step::EndBefore => {
                        done = !self.record.is_empty();
                        if done {
                            break;
                        }
                    }
                }
                if self.record.len() > MAX_PIECE {
                    self.skipped = self.record.len() as u64;
                    self.record.truncate(MAX_PIECE);
                }
            }
            self.input.consume(used);
            if done {
                return Ok(Some(self.piece()));
            }
        }
    }

    fn finish(&mut self) -> Option<Piece<'_>> {
        (self.skipped > 0 || !self.record.is_empty()).then(|| self.piece())
    }

    fn piece(&mut self) -> Piece<'_> {
        let skipped = std::mem::take(&mut self.skipped);
        if skipped > 0 { Piece::TooLong(&self.record, skipped) } else { Piece::Record(&self.record) }
    }
}

impl State {
    fn step(&mut self, byte: u8) -> Step {
        if byte == b'\n' {
            return Step::EndBefore;
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
            return Step::Keep;
        }
        if self.depth == 0 {
            if self.bare {
                return Step::Keep;
            }
            match byte {
                b' ' | b'\t' | b'\r' => return Step::Skip,
                b'{' | b'[' => self.depth = 1,
                b'"' => {
                    self.bare = true;
                    self.in_string = true;
                }
                _ => self.bare = true,
            }
            return Step::Keep;
        }
        match byte {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Step::End;
                }
            }
            _ => {}
        }
        Step::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8]) -> Vec<String> {
        let mut s = Splitter::new(io::BufReader::with_capacity(7, input));
        let mut out = Vec::new();
        while let Some(piece) = s.next_piece().unwrap() {
            out.push(match piece {
                Piece::Record(r) => String::from_utf8_lossy(r).into_owned(),
                Piece::TooLong(r, n) => format!("too long {n}: {}", r.len()),
            });
        }
        out
    }

    #[test]
    fn ndjson_and_concatenated_records() {
        assert_eq!(split(b"{\"a\":1}\n{\"a\":2}\n"), ["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(
            split(b"{\"a\":1}{\"b\":\"}{\"}  {\"c\":[1,{}]}\n\n"),
            ["{\"a\":1}", "{\"b\":\"}{\"}", "{\"c\":[1,{}]}"]
        );
        assert_eq!(split(b"{\"a\":\"\\\"}\"}{}"), ["{\"a\":\"\\\"}\"}", "{}"]);
        assert_eq!(split(b"\r\n{\"a\":1}\r\n"), ["{\"a\":1}"]);
    }

    #[test]
    fn garbage_ends_at_a_newline_or_space() {
        assert_eq!(split(b"not json\n{\"a\":1}\n"), ["not json", "{\"a\":1}"]);
        assert_eq!(split(b"{\"a\":1\n{\"a\":2}"), ["{\"a\":1", "{\"a\":2}"]);
        assert_eq!(split(b"42 \"x\ny\"}\n"), ["42 \"x", "y\"}"]);
        assert_eq!(split(b"{\"a\":1} x\n"), ["{\"a\":1}", "x"]);
        assert_eq!(split(b"{\"unterminated"), ["{\"unterminated"]);
    }

    #[test]
    fn a_long_piece_is_cut_and_skipped_to_the_newline() {
        let mut input = vec![b'{'];
        input.extend(std::iter::repeat_n(b'1', MAX_PIECE + 10));
        input.extend(b"\n{}\n");
        assert_eq!(split(&input), [format!("too long {}: {MAX_PIECE}", MAX_PIECE + 11), "{}".into()]);
    }
}
