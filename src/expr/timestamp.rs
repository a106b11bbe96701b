//! Timestamps as producers write them, compared as instants.
//!
//! A `timestamp` field holds a string `YYYY-MM-DD[T| ]HH:MM:SS[.fraction][zone]`:
//! * a `T` or one space between date and time (`str(datetime.now())` writes a space);
//! * an optional fraction of 1 to 9 digits (nanoseconds);
//! * an optional zone: `Z`, `±HH:MM` or `±HHMM`; without one the time is read in the stream's
//!   time zone (`stream.timezone`, a fixed offset, default UTC);
//! * a real calendar value: month 01–12, a day that exists in that month (leap years
//!   included), hour 00–23, minute and second 00–59 (no leap second), offset up to ±23:59.
//!
//! Rules compare timestamps as instants: `2024-05-01T12:00:00+02:00` equals
//! `2024-05-01 10:00:00Z`. Every target does so through the same [`instant_key`]: a
//! fixed-width text whose order is the instants' order, so string comparison, equality, `IN`
//! and `min`/`max` work unchanged. The record keeps the text it was sent with.

use super::ast::{AggregateKind, Args, Expr, ExprKind};
use super::types::{RecordSchema, ValueType};

/// Seconds added to Unix seconds so that every key is positive (year 0000 is about -6.2e10).
const KEY_SHIFT: i64 = 100_000_000_000;

/// A parsed timestamp: the wall-clock time as seconds since the epoch (as if it were UTC), its
/// nanoseconds, and its zone's offset east of UTC in seconds when it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    pub local_seconds: i64,
    pub nanos: u32,
    pub offset: Option<i32>,
}

impl Timestamp {
    /// Seconds since the Unix epoch, reading a zoneless time at `default_offset`.
    #[must_use]
    pub fn unix_seconds(&self, default_offset: i32) -> i64 {
        self.local_seconds - i64::from(self.offset.unwrap_or(default_offset))
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = b.get(at..at + n)?;
    part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |v, d| v * 10 + i64::from(d - b'0')))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
#[must_use]
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a zone suffix: `Z`, `±HH:MM` or `±HHMM` (hours up to 23, minutes up to 59).
fn zone(b: &[u8]) -> Option<i32> {
    let (sign, rest) = match b.first()? {
        b'Z' if b.len() == 1 => return Some(0),
        b'+' => (1, &b[1..]),
        b'-' => (-1, &b[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.len() {
        5 if rest[2] == b':' => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
        4 => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
        _ => return None,
    };
    (hours <= 23 && minutes <= 59).then(|| sign * i32::try_from(hours * 3600 + minutes * 60).unwrap_or(0))
}

/// Parses a timestamp field's text; `None` when it is not one (shape or calendar).
#[must_use]
pub fn parse(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    let (year, month, day) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if !(sep(4, b'-') && sep(7, b'-') && (sep(10, b'T') || sep(10, b' ')) && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour <= 23
        && minute <= 59
        && second <= 59;
    if !valid {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if sep(at, b'.') {
        let start = at + 1;
        let count = b[start..].iter().take_while(|d| d.is_ascii_digit()).count();
        if !(1..=9).contains(&count) {
            return None;
        }
        let fraction = digits(b, start, count)?;
        nanos = u32::try_from(fraction * 10_i64.pow(9 - u32::try_from(count).ok()?)).ok()?;
        at = start + count;
    }
    let offset = if at == b.len() { None } else { Some(zone(&b[at..])?) };
    let local_seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(Timestamp { local_seconds, nanos, offset })
}

/// Whether `text` is a valid timestamp.
#[must_use]
pub fn is_timestamp(text: &str) -> bool {
    parse(text).is_some()
}

/// The instant of a timestamp as a fixed-width text ordered like the instants
/// (`SSSSSSSSSSSS.NNNNNNNNN`, shifted Unix seconds and nanoseconds), reading a zoneless text
/// at `default_offset` seconds east of UTC. `None` when `text` is not a timestamp.
#[must_use]
pub fn instant_key(text: &str, default_offset: i32) -> Option<String> {
    let t = parse(text)?;
    Some(format!("{:012}.{:09}", t.unix_seconds(default_offset) + KEY_SHIFT, t.nanos))
}

/// Parses `stream.timezone`: `UTC`, `Z` or a fixed offset `±HH:MM` / `±HHMM`; seconds east
/// of UTC.
#[must_use]
pub fn parse_timezone(text: &str) -> Option<i32> {
    match text {
        "UTC" | "utc" | "Z" => Some(0),
        _ if text.starts_with(['+', '-']) => zone(text.as_bytes()),
        _ => None,
    }
}

/// A string literal compared with a timestamp, as a timestamp's text: a timestamp itself, or a
/// date `YYYY-MM-DD` meaning its midnight (in the stream's time zone); `None` otherwise.
#[must_use]
pub fn literal(text: &str) -> Option<String> {
    if is_timestamp(text) {
        return Some(text.to_owned());
    }
    let midnight = format!("{text}T00:00:00");
    (text.len() == 10 && is_timestamp(&midnight)).then_some(midnight)
}

/// Whether `expr` is a timestamp, so that comparisons with it compare instants: a timestamp
/// field, `min`/`max` of one, or `now()`.
#[must_use]
pub fn is_instant(expr: &Expr, schema: &RecordSchema) -> bool {
    let timestamp_field = |e: &Expr| match &e.kind {
        ExprKind::Field(name) => schema.get(name).is_some_and(|f| f.ty == ValueType::Timestamp),
        _ => false,
    };
    match &expr.kind {
        ExprKind::Field(_) => timestamp_field(expr),
        ExprKind::Call { name, args, .. } => match (name.as_str(), args) {
            ("now", _) => true,
            (name, Args::List(list)) => {
                matches!(AggregateKind::from_name(name), Some(AggregateKind::Min | AggregateKind::Max))
                    && matches!(list.as_slice(), [arg] if timestamp_field(arg))
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_producers_write() {
        for ok in [
            "2026-11-26 12:00:00.014593",
            "2026-11-26T12:00:00",
            "2026-11-26T12:00:00Z",
            "2026-11-26T12:00:00.123456789+05:30",
            "2026-11-26T12:00:00-0800",
            "2024-02-29T23:59:59Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(is_timestamp(ok), "{ok}");
        }
        for bad in [
            "2024-13-45T25:61:61Z",
            "2023-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00.1234567890Z",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00+05:3",
            "2024-01-01T00:00:00+0530Z",
            "2024-01-01t00:00:00Z",
            "2024-01-01  00:00:00",
            "2024-01-01",
            "2024-01-01T00:00:00Z\n",
            "２024-01-01T00:00:00Z",
        ] {
            assert!(!is_timestamp(bad), "{bad}");
        }
    }

    #[test]
    fn instants() {
        let key = |t: &str| instant_key(t, 0).unwrap();
        assert_eq!(key("2024-05-01T12:00:00+02:00"), key("2024-05-01 10:00:00Z"));
        assert_eq!(key("2024-05-01T12:00:00+0200"), key("2024-05-01T10:00:00.000000000"));
        assert!(key("2024-05-01T10:00:00.5Z") > key("2024-05-01T10:00:00.499999999Z"));
        assert!(key("0000-01-01T00:00:00+23:59") < key("9999-12-31T23:59:59.999999999-23:59"));
        assert_eq!(key("1970-01-01T00:00:00Z"), "100000000000.000000000");
        assert_eq!(instant_key("2024-05-01 12:00:00", 7200), Some(key("2024-05-01T10:00:00Z")));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn literals() {
        assert_eq!(literal("2024-05-01"), Some("2024-05-01T00:00:00".to_owned()));
        assert_eq!(literal("2024-05-01 12:00:00Z"), Some("2024-05-01 12:00:00Z".to_owned()));
        assert_eq!(literal("2024-02-30"), None);
        assert_eq!(literal("2024"), None);
    }

    #[test]
    fn time_zones() {
        assert_eq!(parse_timezone("UTC"), Some(0));
        assert_eq!(parse_timezone("+05:30"), Some(19_800));
        assert_eq!(parse_timezone("-0800"), Some(-28_800));
        assert_eq!(parse_timezone("Europe/Paris"), None);
        assert_eq!(parse_timezone("+24:00"), None);
    }
}
