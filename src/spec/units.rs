//! Durations (`60s`, `15m`, `24h`, `7d`), sizes (`64MiB`, `1GB`), rates (`2000/s`, `1.5k/min`)
//! and shares (`1%`): a number and a unit, always. A bare number is refused because it is
//! ambiguous.

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

/// A rate of records, in records per second.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Rate(pub f64);

/// A share of records, as a fraction from 0 to 1 (written `1%`).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Share(pub f64);

/// The units a rate may be written per, in seconds.
const RATE_UNITS: &[(&str, f64)] = &[("s", 1.0), ("min", 60.0), ("h", 3_600.0), ("d", 86_400.0)];

/// The most a rate may be: far above any one pipeline, low enough that every figure derived
/// from it stays exact in an `f64`.
pub const MAX_RATE: f64 = 1e9;

impl Rate {
    /// What a rate looks like, for error messages.
    pub const HELP: &str = "write a number of records per time unit: `2000/s`, `90000/min`, `5M/h` or `1.5k/s` \
         (units: /s, /min, /h, /d; `k` = thousand and `M` = million)";

    /// Parses `2000/s`, `1.5k/s`, `90000/min`, `5M/h`; exponents (`1e6/s`) are refused.
    ///
    /// # Errors
    /// What is wrong, in a few words (the caller adds [`Rate::HELP`]).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let Some((count, unit)) = text.split_once('/') else {
            return Err(format!("`{text}` has no time unit"));
        };
        let unit = unit.trim();
        let Some((_, seconds)) = RATE_UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(format!("`/{unit}` is not a time unit"));
        };
        let count = count.trim();
        let (digits, scale) = match count.strip_suffix('k') {
            Some(rest) => (rest, 1e3),
            None => count.strip_suffix('M').map_or((count, 1.0), |rest| (rest, 1e6)),
        };
        let plain = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
        let number: f64 = match digits.parse() {
            Ok(n) if plain => n,
            _ => return Err(format!("`{count}` is not a number of records")),
        };
        let per_second = number * scale / seconds;
        if per_second <= 0.0 {
            return Err("a rate must be more than zero".into());
        }
        if per_second > MAX_RATE {
            return Err(format!("{per_second:.0} records a second is more than pipec plans for (1,000,000,000/s)"));
        }
        Ok(Self(per_second))
    }
}

impl Share {
    /// Parses `1%`, `0.5%`, `100%`.
    ///
    /// # Errors
    /// What is wrong, in a few words.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let Some(digits) = text.strip_suffix('%') else {
            return Err(format!("`{text}` is not a percentage: write it with `%`, e.g. `1%` or `0.5%`"));
        };
        let digits = digits.trim_end();
        let plain = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
        match digits.parse::<f64>() {
            Ok(n) if plain && n <= 100.0 => Ok(Self(n / 100.0)),
            Ok(_) if plain => Err(format!("`{text}` is more than 100%")),
            _ => Err(format!("`{text}` is not a percentage: write a number from 0 to 100 and `%`, e.g. `1%`")),
        }
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

    #[test]
    fn rates_need_a_time_unit() {
        assert_eq!(Rate::parse("2000/s"), Ok(Rate(2000.0)));
        assert_eq!(Rate::parse("1.5k/s"), Ok(Rate(1500.0)));
        assert_eq!(Rate::parse("120/min"), Ok(Rate(2.0)));
        assert_eq!(Rate::parse("3.6M/h"), Ok(Rate(1000.0)));
        assert_eq!(Rate::parse(" 86400 / d "), Ok(Rate(1.0)));
        assert!(Rate::parse("2000").unwrap_err().contains("no time unit"));
        assert!(Rate::parse("2000/week").unwrap_err().contains("not a time unit"));
        assert!(Rate::parse("2000/m").unwrap_err().contains("not a time unit"));
        assert!(Rate::parse("1.5K/s").unwrap_err().contains("not a number"));
        assert!(Rate::parse("-5/s").unwrap_err().contains("not a number"));
        assert!(Rate::parse("1e6/s").unwrap_err().contains("not a number"));
        assert!(Rate::parse("0/s").unwrap_err().contains("more than zero"));
        assert!(Rate::parse("2000M/s").unwrap_err().contains("more than pipec plans for"));
    }

    #[test]
    fn shares_are_percentages() {
        assert_eq!(Share::parse("1%"), Ok(Share(0.01)));
        assert_eq!(Share::parse("0.5 %"), Ok(Share(0.005)));
        assert_eq!(Share::parse("100%"), Ok(Share(1.0)));
        assert!(Share::parse("0.01").is_err());
        assert!(Share::parse("101%").unwrap_err().contains("more than 100%"));
        assert!(Share::parse("-1%").is_err());
    }
}
