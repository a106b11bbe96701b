//! The spec text as read from disk or stdin, with the limits applied before any parsing:
//! size, UTF-8. Positions elsewhere are byte offsets into `text`.

use std::path::Path;

use crate::diagnostic::{Code, Diagnostic, Span};

/// Larger spec files are refused before parsing (see `pipec explain file_too_large`).
pub const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Source {
    name: String,
    text: String,
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
}

impl Source {
    #[must_use]
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { name: name.into(), text, line_starts }
    }

    /// Reads a spec file (`-` for stdin).
    ///
    /// # Errors
    /// A diagnostic when the file cannot be read, is too large or is not UTF-8. The returned
    /// `Source` (when present) holds whatever text could be shown with the diagnostic.
    pub fn read(path: &Path) -> Result<Self, (Option<Self>, Diagnostic)> {
        let name = path.display().to_string();
        let bytes = if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().take_limit(), &mut buf).map(|_| buf)
        } else {
            std::fs::File::open(path).and_then(|f| {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_SPEC_BYTES as u64 + 1), &mut buf)
                    .map(|_| buf)
            })
        };
        let bytes = bytes.map_err(|e| {
            (
                None,
                Diagnostic::error(Code::Io, Span::default(), format!("cannot read `{name}`: {e}"))
                    .with_help("check the path; pass `-` to read the spec from standard input"),
            )
        })?;
        Self::from_bytes(name, bytes)
    }

    /// Applies the size and encoding limits to raw bytes.
    ///
    /// # Errors
    /// As [`Source::read`].
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<Self, (Option<Self>, Diagnostic)> {
        if bytes.len() > MAX_SPEC_BYTES {
            return Err((
                None,
                Diagnostic::error(
                    Code::FileTooLarge,
                    Span::default(),
                    format!("`{name}` is larger than the 4 MiB limit for a spec"),
                )
                .with_help("a spec is hand-written configuration; check that this is the right file"),
            ));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Self::new(name, text)),
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                // Show the valid prefix so the label lands on the first bad byte.
                let shown = String::from_utf8_lossy(&bytes[..at]).into_owned();
                let diagnostic = Diagnostic::error(
                    Code::InvalidUtf8,
                    Span::new(at, at),
                    format!("the spec is not valid UTF-8 (byte offset {at})"),
                )
                .with_label("invalid byte sequence starts here")
                .with_help("save the file as UTF-8; binary files are not specs");
                Err((Some(Self::new(name, shown)), diagnostic))
            }
        }
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (in characters) of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line, column)
    }
}

/// Reading stdin with the same limit as files.
trait TakeLimit {
    fn take_limit(self) -> std::io::Take<Self>
    where
        Self: Sized;
}

impl<R: std::io::Read> TakeLimit for R {
    fn take_limit(self) -> std::io::Take<Self> {
        self.take(MAX_SPEC_BYTES as u64 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let s = Source::new("t", "ab\nçd\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(3), (2, 1));
        assert_eq!(s.line_col(5), (2, 2));
    }

    #[test]
    fn refuses_invalid_utf8_and_large_files() {
        let (shown, d) = Source::from_bytes("x".into(), b"ab\xffcd".to_vec()).unwrap_err();
        assert_eq!(d.code, Code::InvalidUtf8);
        assert_eq!(d.span(), Span::new(2, 2));
        assert_eq!(shown.unwrap().text(), "ab");
        let (_, d) = Source::from_bytes("x".into(), vec![b'a'; MAX_SPEC_BYTES + 1]).unwrap_err();
        assert_eq!(d.code, Code::FileTooLarge);
    }
}
