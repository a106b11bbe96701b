//! Reading the stream: `GetShardIterator` and `GetRecords`, served from the durable log (the
//! same records the pipeline reads, including those sent before this run started).
//!
//! * Sequence numbers have Kinesis' shape (56 decimal digits, starting `49`): `49` followed by
//!   the record's log sequence number, zero-padded to 54 digits, so they sort as the log does.
//! * An iterator names a position in the log (sequence number and a byte offset at or before
//!   it), signed with a key of this run: it is opaque, expires after 5 minutes
//!   (`ExpiredIteratorException`, as on AWS), and an edited one is `Invalid ShardIterator.`.
//! * `GetRecords` returns up to `Limit` records (default and maximum 10,000) and at most
//!   10 MiB, with `NextShardIterator` (always: the local stream never closes) and
//!   `MillisBehindLatest`. The log keeps each record's data and arrival time, not its
//!   partition key: records come back with `PartitionKey` [`PARTITION_KEY`].

use std::io;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use super::{ACCOUNT, ApiError, App, SHARD_ID};
use crate::runtime::log::Log;

/// The partition key `GetRecords` reports (the log does not keep the producer's).
pub const PARTITION_KEY: &str = "pipec-local";
/// An iterator's lifetime, as on AWS.
const ITERATOR_TTL: Duration = Duration::from_mins(5);
/// Most data one `GetRecords` returns, as on AWS.
const MAX_READ_BYTES: usize = 10 << 20;
const MAX_LIMIT: usize = 10_000;

/// The Kinesis-shaped sequence number of log record `seq`.
#[must_use]
pub fn sequence_number(seq: u64) -> String {
    // As `format!("49{seq:054}")`, without the formatter's padding loop (one per record of
    // every PutRecords answer).
    let mut digits = [b'0'; 56];
    digits[..2].copy_from_slice(b"49");
    let (mut n, mut at) = (seq, digits.len());
    loop {
        at -= 1;
        digits[at] = b'0' + u8::try_from(n % 10).expect("a digit");
        n /= 10;
        if n == 0 {
            break;
        }
    }
    String::from_utf8(digits.to_vec()).expect("ASCII digits")
}

/// The log sequence number in a Kinesis-shaped one of this stream.
#[must_use]
pub fn parse_sequence_number(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("49").filter(|d| d.len() == 54 && d.bytes().all(|b| b.is_ascii_digit()))?;
    digits.parse().ok()
}

/// A position in the log: the next record to return and a frame offset at or before it.
#[derive(Debug, PartialEq, Eq)]
struct Position {
    seq: u64,
    offset: u64,
}

/// The key iterators are signed with (new in each run).
fn key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        let seed = format!("{:?}{}{:p}", SystemTime::now(), std::process::id(), &KEY);
        Sha256::digest(seed.as_bytes()).into()
    })
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn signature(payload: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key());
    hasher.update(payload.as_bytes());
    let digest = hasher.finalize();
    digest[..12].iter().fold(String::new(), |mut hex, b| {
        hex.push_str(&format!("{b:02x}"));
        hex
    })
}

fn iterator(stream: &str, at: &Position, created_ms: u64) -> String {
    let payload = format!("{stream}/{}/{}/{created_ms}", at.seq, at.offset);
    let sig = signature(&payload);
    base64::engine::general_purpose::STANDARD.encode(format!("{payload}/{sig}"))
}

/// `(stream, position, created ms)` of an iterator this run handed out.
fn parse_iterator(text: &str) -> Option<(String, Position, u64)> {
    let raw = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(text).ok()?).ok()?;
    let (payload, sig) = raw.rsplit_once('/')?;
    if signature(payload) != sig {
        return None;
    }
    let mut parts = payload.split('/');
    let stream = parts.next()?.to_owned();
    let seq = parts.next()?.parse().ok()?;
    let offset = parts.next()?.parse().ok()?;
    let created = parts.next()?.parse().ok()?;
    Some((stream, Position { seq, offset }, created))
}

/// Where the first record at or after `ms` (arrival time) is; the end of the log if none.
fn at_time(log: &Log, ms: i64) -> io::Result<Position> {
    let mut reader = log.reader(0);
    loop {
        let start = reader.position();
        let Some(frame) = reader.next_frame()? else { break };
        if frame.arrival_ms >= ms {
            return Ok(Position { seq: frame.first_seq, offset: start });
        }
    }
    Ok(Position { seq: log.next_seq(), offset: reader.position() })
}

fn missing_shard(shard: &str, stream: &str) -> ApiError {
    ApiError::new(
        "ResourceNotFoundException",
        format!("Shard {shard} in stream {stream} under account {ACCOUNT} does not exist"),
    )
}

pub(super) async fn get_shard_iterator(app: &App, input: &Map<String, Json>) -> Result<Json, ApiError> {
    let stream = &app.kinesis;
    stream.named(input)?;
    let shard = input.get("ShardId").and_then(Json::as_str).unwrap_or("");
    if shard != SHARD_ID {
        return Err(missing_shard(shard, &stream.name));
    }
    let kind = input.get("ShardIteratorType").and_then(Json::as_str).unwrap_or("");
    let starting = input.get("StartingSequenceNumber").and_then(Json::as_str);
    let log = app.handle.log.clone();
    let position = match (kind, starting) {
        ("TRIM_HORIZON" | "LATEST", Some(_)) | ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", None) => {
            let also = if starting.is_some() { "also a" } else { "no" };
            return Err(ApiError::invalid_argument(format!(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or \
                 (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {kind} and {also} \
                 StartingSequenceNumber."
            )));
        }
        ("TRIM_HORIZON", None) => Position { seq: 0, offset: 0 },
        ("LATEST", None) => {
            // Offset first: records appended in between are then skipped by sequence number.
            let offset = log.committed();
            Position { seq: log.next_seq(), offset }
        }
        ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", Some(text)) => {
            let Some(seq) = parse_sequence_number(text) else {
                return Err(ApiError::invalid_argument(format!(
                    "StartingSequenceNumber {text} used in GetShardIterator on shard {SHARD_ID} in stream {} under \
                     account {ACCOUNT} is invalid because it did not come from this stream.",
                    stream.name
                )));
            };
            Position { seq: if kind == "AT_SEQUENCE_NUMBER" { seq } else { seq + 1 }, offset: 0 }
        }
        _ => {
            // AT_TIMESTAMP (the enum was checked by the shape).
            let Some(seconds) = input.get("Timestamp").and_then(Json::as_f64) else {
                return Err(ApiError::invalid_argument(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has \
                     no timestamp parameter.",
                ));
            };
            #[allow(clippy::cast_possible_truncation)]
            let ms = (seconds * 1000.0).floor() as i64;
            let now = now_ms();
            if ms > i64::try_from(now).unwrap_or(i64::MAX) {
                return Err(ApiError::invalid_argument(format!(
                    "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. \
                     timestampInMillis: {ms}, currentTimestampInMillis: {now}"
                )));
            }
            tokio::task::spawn_blocking(move || at_time(&log, ms))
                .await
                .map_err(|e| ApiError::internal(&e.to_string()))?
                .map_err(|e| ApiError::internal(&e.to_string()))?
        }
    };
    Ok(json!({ "ShardIterator": iterator(&stream.name, &position, now_ms()) }))
}

/// Records read from the log: `(seq, arrival ms, data)`, where to go on, and whether the
/// reader reached the end of the log.
struct Read {
    records: Vec<(u64, i64, Vec<u8>)>,
    next: Position,
    caught_up: bool,
}

fn read(log: &Log, from: &Position, limit: usize) -> io::Result<Read> {
    let mut reader = log.reader(from.offset);
    let mut records = Vec::new();
    let mut bytes = 0;
    let mut next = Position { seq: from.seq, offset: from.offset };
    let mut full = false;
    'frames: loop {
        let start = reader.position();
        let Some(frame) = reader.next_frame()? else { break };
        for (seq, data) in frame.records() {
            if seq < from.seq {
                continue;
            }
            if records.len() >= limit || (bytes + data.len() > MAX_READ_BYTES && !records.is_empty()) {
                next = Position { seq, offset: start };
                full = true;
                break 'frames;
            }
            bytes += data.len();
            records.push((seq, frame.arrival_ms, data.to_vec()));
        }
        next = Position { seq: from.seq.max(frame.first_seq + frame.count()), offset: frame.end };
    }
    Ok(Read { records, next, caught_up: !full && reader.caught_up() })
}

pub(super) async fn get_records(app: &App, input: &Map<String, Json>) -> Result<Json, ApiError> {
    let text = input.get("ShardIterator").and_then(Json::as_str).unwrap_or("");
    let Some((stream, from, created)) = parse_iterator(text) else {
        return Err(ApiError::invalid_argument("Invalid ShardIterator."));
    };
    if stream != app.kinesis.name {
        return Err(missing_shard(SHARD_ID, &stream));
    }
    let now = now_ms();
    if now.saturating_sub(created) > u64::try_from(ITERATOR_TTL.as_millis()).unwrap_or(u64::MAX) {
        return Err(ApiError::new(
            "ExpiredIteratorException",
            format!(
                "Iterator expired. The iterator was created at {created} ms while right now it is {now} ms, which is \
                 further in the future than the tolerated delay of 300000 milliseconds."
            ),
        ));
    }
    let limit =
        input.get("Limit").and_then(Json::as_u64).map_or(MAX_LIMIT, |l| usize::try_from(l).unwrap_or(MAX_LIMIT));
    let log = app.handle.log.clone();
    let read = tokio::task::spawn_blocking(move || read(&log, &from, limit))
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    let behind = match read.records.last() {
        Some((_, arrival, _)) if !read.caught_up => now.saturating_sub(u64::try_from(*arrival).unwrap_or(0)),
        _ => 0,
    };
    #[allow(clippy::cast_precision_loss)]
    let records: Vec<Json> = read
        .records
        .iter()
        .map(|(seq, arrival, data)| {
            json!({
                "SequenceNumber": sequence_number(*seq),
                "ApproximateArrivalTimestamp": *arrival as f64 / 1000.0,
                "Data": base64::engine::general_purpose::STANDARD.encode(data),
                "PartitionKey": PARTITION_KEY,
            })
        })
        .collect();
    Ok(json!({
        "Records": records,
        "NextShardIterator": iterator(&stream, &read.next, now),
        "MillisBehindLatest": behind,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::log::{Batch, Fsync};

    #[test]
    fn sequence_numbers_have_kinesis_shape() {
        let s = sequence_number(42);
        assert_eq!(s.len(), 56);
        assert!(s.starts_with("49") && s.ends_with("42"));
        assert_eq!(parse_sequence_number(&s), Some(42));
        assert_eq!(parse_sequence_number("42"), None);
        assert!(sequence_number(9) < sequence_number(10));
        for seq in [0, 1, 9, 10, 42, 1_000_000, 12_345_678_901_234_567_890, u64::MAX] {
            assert_eq!(sequence_number(seq), format!("49{seq:054}"));
        }
    }

    #[test]
    fn iterators_are_signed() {
        let it = iterator("s", &Position { seq: 3, offset: 40 }, 7);
        assert_eq!(parse_iterator(&it), Some(("s".to_owned(), Position { seq: 3, offset: 40 }, 7)));
        let forged = base64::engine::general_purpose::STANDARD.encode("s/3/0/7/000000000000000000000000");
        assert_eq!(parse_iterator(&forged), None);
        assert_eq!(parse_iterator("not base64"), None);
    }

    #[test]
    fn reads_resume_inside_a_frame() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path(), Fsync::Always, 1 << 20).unwrap();
        let mut batch = Batch::default();
        for i in 0..5 {
            batch.push(format!("r{i}").as_bytes());
        }
        log.append(&mut batch, None).unwrap();
        batch.push(b"r5");
        log.append(&mut batch, None).unwrap();
        let first = read(&log, &Position { seq: 1, offset: 0 }, 2).unwrap();
        let seqs: Vec<u64> = first.records.iter().map(|r| r.0).collect();
        assert_eq!(seqs, [1, 2]);
        assert!(!first.caught_up);
        let rest = read(&log, &first.next, 100).unwrap();
        let seqs: Vec<u64> = rest.records.iter().map(|r| r.0).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert!(rest.caught_up);
        let none = read(&log, &rest.next, 100).unwrap();
        assert!(none.records.is_empty());
        assert_eq!(none.next, rest.next);
        assert_eq!(at_time(&log, i64::MAX).unwrap().seq, 6);
        assert_eq!(at_time(&log, 0).unwrap(), Position { seq: 0, offset: 0 });
    }
}
