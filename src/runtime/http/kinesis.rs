//! A Kinesis Data Streams endpoint on `POST /` (AWS JSON 1.1 protocol), enough for an
//! unmodified producer (boto3, the AWS SDKs, the Kinesis Agent) pointed at it with
//! `endpoint_url`:
//!
//! * `PutRecord`, `PutRecords` (1–500 records): `Data` is base64; each record is appended to
//!   the local log as its decoded bytes. `SequenceNumber` is the record's log sequence number,
//!   `ShardId` always `shardId-000000000000`. A record over the engine's limit (1 MiB) is
//!   dead-lettered: `PutRecord` answers `ValidationException`; in `PutRecords` it gets a
//!   per-record `ErrorCode: ValidationException` and counts in `FailedRecordCount`, the other
//!   records are stored (AWS would refuse the whole call instead).
//! * `DescribeStream`, `DescribeStreamSummary`, `ListStreams`, `ListShards`: the spec's stream,
//!   `ACTIVE`, one shard.
//! * The stream is named by `StreamName` or `StreamARN` (any account and region); another name
//!   is `ResourceNotFoundException`. Bad input is `ValidationException` (unparsable JSON:
//!   `SerializationException`), an unknown operation `UnknownOperationException`; all as HTTP
//!   400 `{"__type": ..., "message": ...}`.
//! * Credentials are not checked: SigV4 signatures are ignored, any access key works. The
//!   region in ARNs is the one the client signed for (default `us-east-1`).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value as Json, json};

use super::App;
use crate::ir::{Capacity, Pipeline};

const TARGET_PREFIX: &str = "Kinesis_20131202.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub const SHARD_ID: &str = "shardId-000000000000";
const MAX_RECORDS: usize = 500;
const ACCOUNT: &str = "000000000000";

/// What the API says about the spec's stream.
pub struct Stream {
    name: String,
    on_demand: bool,
    retention_hours: u32,
    created: f64,
}

impl Stream {
    #[must_use]
    pub fn new(pipeline: &Pipeline, created: SystemTime) -> Self {
        Self {
            name: pipeline.stream.name.clone(),
            on_demand: pipeline.stream.kinesis().capacity == Capacity::OnDemand,
            retention_hours: pipeline.stream.kinesis().retention_hours,
            created: created.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64().floor()),
        }
    }

    fn arn(&self, region: &str) -> String {
        format!("arn:aws:kinesis:{region}:{ACCOUNT}:stream/{}", self.name)
    }

    fn mode(&self) -> Json {
        json!({ "StreamMode": if self.on_demand { "ON_DEMAND" } else { "PROVISIONED" } })
    }

    fn shard() -> Json {
        json!({
            "ShardId": SHARD_ID,
            "HashKeyRange": { "StartingHashKey": "0", "EndingHashKey": u128::MAX.to_string() },
            "SequenceNumberRange": { "StartingSequenceNumber": "0" },
        })
    }
}

/// An API error as the JSON protocol sends it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, kind, message: message.into() }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = reply(self.status, &json!({ "__type": self.kind, "message": self.message }));
        if let Ok(kind) = HeaderValue::from_str(self.kind) {
            response.headers_mut().insert("x-amzn-ErrorType", kind);
        }
        response
    }
}

fn reply(status: StatusCode, body: &Json) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// `POST /`: dispatches on `X-Amz-Target`.
pub(super) async fn api(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    match call(&app, &headers, &body).await {
        Ok(out) => reply(StatusCode::OK, &out),
        Err(e) => e.into_response(),
    }
}

async fn call(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<Json, ApiError> {
    let target = headers.get("x-amz-target").and_then(|t| t.to_str().ok()).unwrap_or("");
    let Some(operation) = target.strip_prefix(TARGET_PREFIX) else {
        return Err(ApiError::new(
            "UnknownOperationException",
            format!("`X-Amz-Target: {target}` is not a Kinesis operation (expected {TARGET_PREFIX}<Operation>)"),
        ));
    };
    let input: Json = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::new("SerializationException", format!("bad JSON: {e}")))?
    };
    let region = region(headers);
    let stream = &app.kinesis;
    match operation {
        "PutRecord" => {
            named(stream, &input, true)?;
            put_record(app, &input).await
        }
        "PutRecords" => {
            named(stream, &input, true)?;
            put_records(app, &input).await
        }
        "DescribeStream" => {
            named(stream, &input, true)?;
            Ok(json!({ "StreamDescription": {
                "StreamName": stream.name,
                "StreamARN": stream.arn(&region),
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": stream.mode(),
                "Shards": [Stream::shard()],
                "HasMoreShards": false,
                "RetentionPeriodHours": stream.retention_hours,
                "StreamCreationTimestamp": stream.created,
                "EnhancedMonitoring": [{ "ShardLevelMetrics": [] }],
                "EncryptionType": "NONE",
            }}))
        }
        "DescribeStreamSummary" => {
            named(stream, &input, true)?;
            Ok(json!({ "StreamDescriptionSummary": {
                "StreamName": stream.name,
                "StreamARN": stream.arn(&region),
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": stream.mode(),
                "RetentionPeriodHours": stream.retention_hours,
                "StreamCreationTimestamp": stream.created,
                "EnhancedMonitoring": [{ "ShardLevelMetrics": [] }],
                "EncryptionType": "NONE",
                "OpenShardCount": 1,
                "ConsumerCount": 0,
            }}))
        }
        "ListStreams" => Ok(json!({
            "StreamNames": [stream.name],
            "HasMoreStreams": false,
            "StreamSummaries": [{
                "StreamName": stream.name,
                "StreamARN": stream.arn(&region),
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": stream.mode(),
                "StreamCreationTimestamp": stream.created,
            }],
        })),
        "ListShards" => {
            // With a NextToken the stream is implied; this API never hands one out.
            named(stream, &input, input.get("NextToken").is_none())?;
            Ok(json!({ "Shards": [Stream::shard()] }))
        }
        other => Err(ApiError::new(
            "UnknownOperationException",
            format!("`{other}` is not supported by pipec's local Kinesis endpoint"),
        )),
    }
}

/// Checks that the request names the spec's stream.
fn named(stream: &Stream, input: &Json, required: bool) -> Result<(), ApiError> {
    let by_name = input.get("StreamName").and_then(Json::as_str);
    let by_arn = input.get("StreamARN").and_then(Json::as_str);
    let name = match (by_name, by_arn) {
        (Some(name), _) => name,
        (None, Some(arn)) => match arn.split_once(":stream/") {
            Some((head, name)) if head.starts_with("arn:") => name,
            _ => return Err(ApiError::validation(format!("`{arn}` is not a Kinesis stream ARN"))),
        },
        (None, None) if required => {
            return Err(ApiError::validation("either StreamName or StreamARN must be given"));
        }
        (None, None) => return Ok(()),
    };
    if name == stream.name {
        Ok(())
    } else {
        Err(ApiError::new(
            "ResourceNotFoundException",
            format!(
                "Stream {name} under account {ACCOUNT} not found (this local endpoint serves only the spec's stream `{}`)",
                stream.name
            ),
        ))
    }
}

/// The region the client signed for (`Credential=KEY/DATE/REGION/kinesis/aws4_request`).
fn region(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|a| a.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(2))
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or("us-east-1")
        .to_owned()
}

/// Decodes one `{Data, PartitionKey}` entry.
fn record(entry: &Json, at: &str) -> Result<Vec<u8>, ApiError> {
    let Some(data) = entry.get("Data").and_then(Json::as_str) else {
        return Err(ApiError::validation(format!("{at}: member Data (base64 string) is missing")));
    };
    if let Some(key) = entry.get("PartitionKey") {
        let len = key.as_str().map(|k| k.chars().count());
        if !matches!(len, Some(1..=256)) {
            return Err(ApiError::validation(format!("{at}: PartitionKey must be a string of 1 to 256 characters")));
        }
    }
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| ApiError::validation(format!("{at}: Data is not valid base64 ({e})")))
}

async fn ingest(app: &App, records: Vec<Vec<u8>>) -> Result<crate::runtime::IngestReport, ApiError> {
    let handle = app.handle.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let slices: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        handle.ingest(&slices)
    })
    .await;
    match outcome {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(e)) => Err(internal(&e.to_string())),
        Err(e) => Err(internal(&e.to_string())),
    }
}

fn internal(message: &str) -> ApiError {
    ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        kind: "InternalFailure",
        message: format!("could not append to the local log: {message}"),
    }
}

async fn put_record(app: &App, input: &Json) -> Result<Json, ApiError> {
    let data = record(input, "PutRecord")?;
    let report = ingest(app, vec![data]).await?;
    if let Some((_, reason)) = report.rejected.first() {
        return Err(ApiError::validation(format!("Data: {reason} (dead-lettered)")));
    }
    Ok(json!({ "ShardId": SHARD_ID, "SequenceNumber": report.seqs.start.to_string(), "EncryptionType": "NONE" }))
}

async fn put_records(app: &App, input: &Json) -> Result<Json, ApiError> {
    let Some(entries) = input.get("Records").and_then(Json::as_array) else {
        return Err(ApiError::validation("member Records (a list of records) is missing"));
    };
    if entries.is_empty() || entries.len() > MAX_RECORDS {
        return Err(ApiError::validation(format!(
            "Records has {} entries; PutRecords takes 1 to {MAX_RECORDS}",
            entries.len()
        )));
    }
    let records =
        entries.iter().enumerate().map(|(i, e)| record(e, &format!("Records[{i}]"))).collect::<Result<Vec<_>, _>>()?;
    let report = ingest(app, records).await?;
    let mut seqs = report.seqs.clone();
    let mut rejected = report.rejected.iter().peekable();
    let results: Vec<Json> = (0..entries.len())
        .map(|i| match rejected.next_if(|(r, _)| *r == i) {
            Some((_, reason)) => {
                json!({ "ErrorCode": "ValidationException", "ErrorMessage": format!("{reason} (dead-lettered)") })
            }
            None => json!({ "ShardId": SHARD_ID, "SequenceNumber": seqs.next().unwrap_or_default().to_string() }),
        })
        .collect();
    Ok(json!({ "FailedRecordCount": report.rejected.len(), "Records": results, "EncryptionType": "NONE" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> Stream {
        Stream { name: "transactions".into(), on_demand: false, retention_hours: 24, created: 0.0 }
    }

    #[test]
    fn stream_by_name_or_arn() {
        let s = stream();
        assert!(named(&s, &json!({ "StreamName": "transactions" }), true).is_ok());
        assert!(named(&s, &json!({ "StreamARN": "arn:aws:kinesis:eu-west-1:123:stream/transactions" }), true).is_ok());
        assert_eq!(named(&s, &json!({ "StreamName": "other" }), true).unwrap_err().kind, "ResourceNotFoundException");
        assert_eq!(named(&s, &json!({}), true).unwrap_err().kind, "ValidationException");
        assert_eq!(named(&s, &json!({ "StreamARN": "nope" }), true).unwrap_err().kind, "ValidationException");
        assert!(named(&s, &json!({}), false).is_ok());
    }

    #[test]
    fn region_from_signature() {
        let mut headers = HeaderMap::new();
        assert_eq!(region(&headers), "us-east-1");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20261126/eu-central-1/kinesis/aws4_request, SignedHeaders=host, Signature=x",
            ),
        );
        assert_eq!(region(&headers), "eu-central-1");
    }

    #[test]
    fn records_are_validated() {
        assert_eq!(record(&json!({ "Data": "aGk=", "PartitionKey": "k" }), "r").unwrap(), b"hi");
        assert!(record(&json!({ "Data": "not base64!" }), "r").is_err());
        assert!(record(&json!({ "PartitionKey": "k" }), "r").is_err());
        assert!(record(&json!({ "Data": "aGk=", "PartitionKey": "" }), "r").is_err());
        assert!(record(&json!({ "Data": "aGk=", "PartitionKey": "k".repeat(257) }), "r").is_err());
    }
}
