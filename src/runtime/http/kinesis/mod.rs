//! A Kinesis Data Streams endpoint on `POST /`, for unmodified producers and consumers (boto3,
//! the AWS CLI, the AWS SDKs for Java, Node and others, the KPL) pointed at it with
//! `endpoint_url`. It serves the spec's stream only, as one shard (`shardId-000000000000`).
//!
//! * Protocols: AWS JSON 1.1 (`application/x-amz-json-1.1`) and CBOR 1.1
//!   (`application/x-amz-cbor-1.1`, see [`cbor`]), over HTTP/1.1 or HTTP/2 (the server's).
//! * Operations: `PutRecord`, `PutRecords` (see [`put`]); `CreateStream` (the spec's stream
//!   exists already: `ResourceInUseException`), `DescribeStream`, `DescribeStreamSummary`,
//!   `ListStreams`, `ListShards`, `ListTagsForStream`, `AddTagsToStream` (see [`streams`]);
//!   `GetShardIterator` and `GetRecords`, read from the durable log (see [`shard`]).
//! * Requests are checked in Kinesis' order, as kinesalite 3.3.3 reproduces it: body and
//!   content type, `X-Amz-Target`, the presence of a SigV4 `Authorization` (its signature is
//!   not checked: any credentials work), member types ([`shape::typed`]:
//!   `SerializationException`), member constraints ([`shape::check`]: `ValidationException`,
//!   `1 validation error detected: ...`), then the operation's own rules. Where AWS's
//!   documentation and kinesalite differ this follows AWS (`StreamARN` is accepted, a record's
//!   1 MiB includes its partition key, a PutRecords call is at most 5 MiB); the README lists
//!   each difference.
//! * Every answer carries `x-amzn-RequestId`; errors also `x-amzn-ErrorType`.

pub mod cbor;
mod error;
mod put;
pub mod shape;
mod shard;
mod streams;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json, json};

pub use error::ApiError;

use super::App;
use crate::ir::{Capacity, Pipeline};

const SERVICE: &str = "Kinesis_20131202";
pub const JSON_11: &str = "application/x-amz-json-1.1";
pub const CBOR_11: &str = "application/x-amz-cbor-1.1";
pub const SHARD_ID: &str = "shardId-000000000000";
const ACCOUNT: &str = "000000000000";
/// Largest request body (as kinesalite; a full 5 MiB PutRecords call in base64 fits).
pub const BODY_LIMIT: usize = 7 << 20;

/// What the API says about the spec's stream.
pub struct Stream {
    name: String,
    on_demand: bool,
    retention_hours: u32,
    encrypted: bool,
    created: f64,
    /// `AddTagsToStream` tags (kept for the life of the run).
    tags: Mutex<BTreeMap<String, String>>,
}

impl Stream {
    #[must_use]
    pub fn new(pipeline: &Pipeline, created: SystemTime) -> Self {
        Self {
            name: pipeline.stream.name.clone(),
            on_demand: pipeline.stream.kinesis().capacity == Capacity::OnDemand,
            retention_hours: pipeline.stream.kinesis().retention_hours,
            encrypted: pipeline.stream.kinesis().encrypted,
            created: created.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64().floor()),
            tags: Mutex::new(BTreeMap::new()),
        }
    }

    fn arn(&self, region: &str) -> String {
        format!("arn:aws:kinesis:{region}:{ACCOUNT}:stream/{}", self.name)
    }

    /// `KMS` when the spec encrypts the stream (`encryption: kms`), else `NONE`.
    fn encryption(&self) -> &'static str {
        if self.encrypted { "KMS" } else { "NONE" }
    }

    /// Checks that the request names the spec's stream (`StreamName`, filled from `StreamARN`).
    fn named(&self, input: &Map<String, Json>) -> Result<(), ApiError> {
        let name = input.get("StreamName").and_then(Json::as_str).unwrap_or("");
        if name == self.name {
            Ok(())
        } else {
            Err(ApiError::new(
                "ResourceNotFoundException",
                format!(
                    "Stream {name} under account {ACCOUNT} not found. (This local endpoint serves only the spec's stream `{}`.)",
                    self.name
                ),
            ))
        }
    }
}

/// The wire format of a request (and of its answer).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Protocol {
    Json,
    Cbor,
    /// `application/json`: Kinesis parses it and then answers every call with a Coral error.
    Plain,
}

/// `POST /`: the Kinesis API.
pub(super) async fn api(State(app): State<App>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let mut response = if body.len() > BODY_LIMIT {
        (StatusCode::PAYLOAD_TOO_LARGE, format!("request body over {BODY_LIMIT} bytes\n")).into_response()
    } else {
        answer(&app, &uri, &headers, &body).await
    };
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        response.headers_mut().insert("x-amzn-RequestId", id);
    }
    response
}

async fn answer(app: &App, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    let protocol = match content_type {
        JSON_11 => Some(Protocol::Json),
        CBOR_11 => Some(Protocol::Cbor),
        "application/json" => Some(Protocol::Plain),
        _ => None,
    };
    let target = headers.get("x-amz-target").and_then(|t| t.to_str().ok()).unwrap_or("");
    let mut parts = target.split('.');
    let (service, operation) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let shape = if service == SERVICE { shape::of(operation) } else { None };
    if body.is_empty() {
        let protocol = if protocol == Some(Protocol::Json) { Protocol::Json } else { Protocol::Cbor };
        let kind = if shape.is_some() { "SerializationException" } else { "UnknownOperationException" };
        return error(protocol, &ApiError::new(kind, "the request has no body"));
    }
    let Some(protocol) = protocol else {
        return if service.is_empty() || operation.is_empty() {
            xml(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                "Unable to determine service/operation name to be authorized",
            )
        } else {
            xml(StatusCode::NOT_FOUND, "UnknownOperationException", "")
        };
    };
    let decoded = match protocol {
        Protocol::Cbor => cbor::decode(body),
        Protocol::Json | Protocol::Plain => serde_json::from_slice(body).ok(),
    };
    let input = match decoded {
        Some(Json::Object(input)) => input,
        // A list is an object without members to Kinesis (kinesalite agrees).
        Some(Json::Array(_)) => Map::new(),
        _ if protocol == Protocol::Plain => return coral(StatusCode::BAD_REQUEST, "SerializationException"),
        _ => {
            return error(
                protocol,
                &ApiError::new("SerializationException", "the body is not one JSON (or CBOR) object"),
            );
        }
    };
    if protocol == Protocol::Plain {
        return coral(StatusCode::NOT_FOUND, "UnknownOperationException");
    }
    let Some(shape) = shape else {
        return error(
            protocol,
            &ApiError::new(
                "UnknownOperationException",
                format!("`X-Amz-Target: {target}` is not an operation of pipec's local Kinesis endpoint"),
            ),
        );
    };
    if let Err(e) = signed(uri, headers) {
        return error(protocol, &e);
    }
    match call(app, operation, shape, input, &region(headers)).await {
        Ok(out) => reply(protocol, StatusCode::OK, &out),
        Err(e) => error(protocol, &e),
    }
}

/// Validates `input` against the operation's shape, then runs the operation.
async fn call(
    app: &App,
    operation: &str,
    shape: &[shape::Member],
    input: Map<String, Json>,
    region: &str,
) -> Result<Json, ApiError> {
    let mut input = shape::typed(input, shape)?;
    // AWS accepts `StreamARN` in place of `StreamName` (kinesalite 3.3.3 predates it).
    if !input.contains_key("StreamName")
        && let Some(name) = input.get("StreamARN").and_then(Json::as_str).and_then(shape::stream_arn)
        && shape.iter().any(|m| m.name == "StreamName")
    {
        input.insert("StreamName".into(), Json::String(name.to_owned()));
    }
    shape::check(&input, shape)?;
    let stream = &app.kinesis;
    match operation {
        "PutRecord" => put::put_record(app, &input).await,
        "PutRecords" => put::put_records(app, &input).await,
        "GetShardIterator" => shard::get_shard_iterator(app, &input).await,
        "GetRecords" => shard::get_records(app, &input).await,
        other => streams::call(stream, other, &input, region),
    }
}

/// Kinesis needs a SigV4 signature, in the `Authorization` header or the query string; its
/// presence is checked (as Kinesis and kinesalite do), not its value.
fn signed(uri: &Uri, headers: &HeaderMap) -> Result<(), ApiError> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let query: Vec<&str> =
        uri.query().unwrap_or("").split('&').filter_map(|kv| kv.split('=').next()).filter(|k| !k.is_empty()).collect();
    let by_query = query.contains(&"X-Amz-Algorithm");
    let mut missing = String::new();
    match auth {
        Some(_) if by_query => {
            return Err(ApiError::new(
                "InvalidSignatureException",
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
            ));
        }
        None if !by_query => {
            return Err(ApiError::new("MissingAuthenticationTokenException", "Missing Authentication Token"));
        }
        Some(auth) => {
            let params: Vec<&str> = auth
                .split([',', ' '])
                .skip(1)
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.trim().split('=').next())
                .collect();
            for param in ["Credential", "Signature", "SignedHeaders"] {
                if !params.contains(&param) {
                    missing.push_str(&format!("Authorization header requires '{param}' parameter. "));
                }
            }
            if !headers.contains_key("x-amz-date") && !headers.contains_key(header::DATE) {
                missing
                    .push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
            }
            if !missing.is_empty() {
                missing.push_str(&format!("Authorization={auth}"));
            }
        }
        None => {
            for param in ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"]
            {
                if !query.contains(&param) {
                    missing.push_str(&format!("AWS query-string parameters must include '{param}'. "));
                }
            }
            if !missing.is_empty() {
                missing.push_str("Re-examine the query-string parameters.");
            }
        }
    }
    if missing.is_empty() { Ok(()) } else { Err(ApiError::new("IncompleteSignatureException", missing)) }
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

/// A fresh request id in the UUID shape AWS uses (unique within the process and across runs).
fn request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mixed = u128::from(std::process::id()) << 96 ^ nanos ^ u128::from(n).rotate_left(64);
    let hex = format!("{mixed:032x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

fn reply(protocol: Protocol, status: StatusCode, body: &Json) -> Response {
    let (content_type, bytes) = match protocol {
        Protocol::Cbor => (CBOR_11, cbor::encode(body)),
        Protocol::Json | Protocol::Plain => (JSON_11, serde_json::to_vec(body).unwrap_or_default()),
    };
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn error(protocol: Protocol, e: &ApiError) -> Response {
    let mut response = reply(protocol, e.status, &json!({ "__type": e.kind, "message": e.message }));
    response.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static(e.kind));
    if let Some(seconds) = e.retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// What Kinesis answers to a request whose content type it does not take.
fn xml(status: StatusCode, kind: &'static str, message: &str) -> Response {
    let body = if message.is_empty() {
        format!("<{kind}/>\n")
    } else {
        format!("<{kind}>\n  <Message>{message}</Message>\n</{kind}>\n")
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
    response
}

/// What Kinesis answers to `application/json` (the Coral envelope).
fn coral(status: StatusCode, kind: &str) -> Response {
    let body = json!({ "Output": { "__type": format!("com.amazon.coral.service#{kind}") }, "Version": "1.0" });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> Stream {
        Stream {
            name: "transactions".into(),
            on_demand: false,
            retention_hours: 24,
            encrypted: true,
            created: 0.0,
            tags: Mutex::default(),
        }
    }

    #[test]
    fn stream_by_name() {
        let s = stream();
        let input = |v: Json| v.as_object().unwrap().clone();
        assert!(s.named(&input(json!({ "StreamName": "transactions" }))).is_ok());
        assert_eq!(s.named(&input(json!({ "StreamName": "other" }))).unwrap_err().kind, "ResourceNotFoundException");
        assert_eq!(s.encryption(), "KMS");
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
    fn a_signature_must_be_present() {
        let uri: Uri = "/".parse().unwrap();
        let mut headers = HeaderMap::new();
        assert_eq!(signed(&uri, &headers).unwrap_err().kind, "MissingAuthenticationTokenException");
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=a/b"));
        assert_eq!(signed(&uri, &headers).unwrap_err().kind, "IncompleteSignatureException");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=x"),
        );
        headers.insert("x-amz-date", HeaderValue::from_static("20261126T000000Z"));
        assert!(signed(&uri, &headers).is_ok());
        let both: Uri = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256".parse().unwrap();
        assert_eq!(signed(&both, &headers).unwrap_err().kind, "InvalidSignatureException");
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
