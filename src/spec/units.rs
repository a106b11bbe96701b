//! Durations (`60s`, `15m`, `24h`, `7d`) and sizes (`64MiB`, `1GB`): a number and a unit,
//! always. A bare number is refused because it is ambiguous.

use std::fmt;

/// A duration in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

/// A size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

const DURATION_UNITS: &[(&str, u64)] =
    &[("ms", 1), ("s", 1_000), ("m", 60_000), ("min", 60_000), ("h", 3_600_000), ("d", 86_400_000)];

const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
];

/// Splits `"64MiB"` into `(64.0, "MiB")`, allowing one space between.
fn split(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let at = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let number: f64 = text[..at].parse().ok()?;
    Some((number, text[at..].trim_start()))
}

// The casts are guarded: the value is finite, whole and within 0..1e18.
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn parse_with(text: &str, units: &[(&str, u64)]) -> Option<u64> {
    let (number, unit) = split(text)?;
    let (_, scale) = units.iter().find(|(name, _)| *name == unit)?;
    let value = number * *scale as f64;
    (value.is_finite() && (0.0..1e18).contains(&value) && value.fract() == 0.0).then_some(value as u64)
}

impl Duration {
    /// Parses `60s`, `1.5h`, `500ms`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        parse_with(text, DURATION_UNITS).map(Self)
    }

    #[must_use]
    pub fn seconds(self) -> u64 {
        self.0 / 1000
    }
}

impl ByteSize {
    /// Parses `64MiB`, `512KB`, `1GiB`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        parse_with(text, SIZE_UNITS).map(Self)
    }

    #[must_use]
    pub fn mebibytes(self) -> u64 {
        self.0 >> 20
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        match ms {
            _ if ms.is_multiple_of(86_400_000) && ms > 0 => write!(f, "{}d", ms / 86_400_000),
            _ if ms.is_multiple_of(3_600_000) && ms > 0 => write!(f, "{}h", ms / 3_600_000),
            _ if ms.is_multiple_of(60_000) && ms > 0 => write!(f, "{}m", ms / 60_000),
            _ if ms.is_multiple_of(1_000) => write!(f, "{}s", ms / 1_000),
            _ => write!(f, "{ms}ms"),
        }
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        match b {
            _ if b.is_multiple_of(1 << 30) && b > 0 => write!(f, "{}GiB", b >> 30),
            _ if b.is_multiple_of(1 << 20) && b > 0 => write!(f, "{}MiB", b >> 20),
            _ if b.is_multiple_of(1 << 10) && b > 0 => write!(f, "{}KiB", b >> 10),
            _ => write!(f, "{b}B"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_refuses_bare_numbers() {
        assert_eq!(Duration::parse("60s"), Some(Duration(60_000)));
        assert_eq!(Duration::parse("1.5h"), Some(Duration(5_400_000)));
        assert_eq!(Duration::parse("15 m"), Some(Duration(900_000)));
        assert_eq!(Duration::parse("60"), None);
        assert_eq!(Duration::parse("-1s"), None);
        assert_eq!(Duration::parse("5 parsecs"), None);
        assert_eq!(ByteSize::parse("64MiB"), Some(ByteSize(64 << 20)));
        assert_eq!(ByteSize::parse("1MB"), Some(ByteSize(1_000_000)));
        assert_eq!(ByteSize::parse("0.5B"), None);
        assert_eq!(Duration(3_600_000).to_string(), "1h");
        assert_eq!(ByteSize(64 << 20).to_string(), "64MiB");
    }
}
