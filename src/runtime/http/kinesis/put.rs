//! `PutRecord` and `PutRecords`: each record's `Data` (decoded) is appended to the local log;
//! the answer is sent once the append returned, so an acknowledged record survives a crash.
//!
//! Limits, as AWS documents them: a record (data and partition key together) is at most
//! 1 MiB, a PutRecords call at most 500 records and 5 MiB (data and partition keys); a call
//! that breaks one of them is refused whole (`InvalidArgumentException`), nothing of it is
//! stored. An `ExplicitHashKey` must be below 2^128. `SequenceNumberForOrdering` is checked
//! for its pattern only: the local stream has one shard, whose order is already strict.

use serde_json::{Map, Value as Json, json};

use super::{ApiError, App, SHARD_ID, shape, shard};
use crate::runtime::MAX_RECORD_BYTES;

/// Largest PutRecords call (data and partition keys).
const MAX_CALL_BYTES: usize = 5 << 20;

/// One checked entry: its decoded data.
fn entry(entry: &Map<String, Json>) -> Result<Vec<u8>, ApiError> {
    if let Some(hash) = entry.get("ExplicitHashKey").and_then(Json::as_str)
        && hash.parse::<u128>().is_err()
    {
        return Err(ApiError::invalid_argument(format!(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {hash}"
        )));
    }
    let data = shape::blob(entry.get("Data").and_then(Json::as_str).unwrap_or(""))?;
    let key = entry.get("PartitionKey").and_then(Json::as_str).unwrap_or("");
    if data.len() + key.len() > MAX_RECORD_BYTES {
        return Err(ApiError::invalid_argument(format!(
            "The record is {} bytes (data and partition key), over Kinesis' limit of {MAX_RECORD_BYTES} bytes (1 MiB)",
            data.len() + key.len()
        )));
    }
    Ok(data)
}

async fn ingest(app: &App, records: Vec<Vec<u8>>) -> Result<std::ops::Range<u64>, ApiError> {
    let handle = app.handle.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let slices: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        handle.ingest(&slices)
    })
    .await;
    match outcome {
        Ok(Ok(report)) if report.rejected.is_empty() => Ok(report.seqs),
        // Checked above against the same limit; the engine's own check is a second line.
        Ok(Ok(report)) => Err(ApiError::invalid_argument(report.rejected[0].1.clone())),
        Ok(Err(e)) => Err(ApiError::append_failed(&e)),
        Err(e) => Err(ApiError::internal(&e.to_string())),
    }
}

pub(super) async fn put_record(app: &App, input: &Map<String, Json>) -> Result<Json, ApiError> {
    app.kinesis.named(input)?;
    let data = entry(input)?;
    let seqs = ingest(app, vec![data]).await?;
    Ok(json!({
        "ShardId": SHARD_ID,
        "SequenceNumber": shard::sequence_number(seqs.start),
        "EncryptionType": app.kinesis.encryption(),
    }))
}

pub(super) async fn put_records(app: &App, input: &Map<String, Json>) -> Result<Json, ApiError> {
    app.kinesis.named(input)?;
    let entries = input.get("Records").and_then(Json::as_array).map_or(&[][..], Vec::as_slice);
    let mut records = Vec::with_capacity(entries.len());
    let mut total = 0;
    for e in entries {
        let data = entry(e.as_object().unwrap_or(&Map::new()))?;
        total += data.len() + e.get("PartitionKey").and_then(Json::as_str).map_or(0, str::len);
        records.push(data);
    }
    if total > MAX_CALL_BYTES {
        return Err(ApiError::invalid_argument(format!(
            "The PutRecords call carries {total} bytes (data and partition keys), over Kinesis' limit of {MAX_CALL_BYTES} bytes (5 MiB)"
        )));
    }
    let seqs = ingest(app, records).await?;
    let results: Vec<Json> =
        seqs.map(|seq| json!({ "ShardId": SHARD_ID, "SequenceNumber": shard::sequence_number(seq) })).collect();
    Ok(json!({ "FailedRecordCount": 0, "Records": results, "EncryptionType": app.kinesis.encryption() }))
}
