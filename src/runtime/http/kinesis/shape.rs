//! Input shapes of the Kinesis operations and their validation, in Kinesis' order (as
//! kinesalite 3.3.3 reproduces it): first every member's *type* (a wrong type is
//! `SerializationException`: a number where a string goes, bad base64), then the constraints
//! of every member in declaration order, up to 10 messages in one `ValidationException`
//! (`1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: ...`).
//!
//! Members a shape does not declare, and `null` members, are dropped, as Kinesis does.

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use super::error::ApiError;

/// A member's type.
pub enum Ty {
    String,
    Integer,
    /// Base64 in JSON (a byte string in CBOR, which arrives here already re-encoded).
    Blob,
    /// Seconds since the epoch (a number; a CBOR tag 1 arrives here as its number).
    Timestamp,
    /// A list of structures.
    List(&'static [Member], &'static str),
    /// String keys to string values.
    Map,
}

/// A constraint, checked in the order written.
pub enum Rule {
    NotNull,
    Min(i64),
    Max(i64),
    LenMin(usize),
    LenMax(usize),
    /// `[a-zA-Z0-9_.-]+`
    Name,
    /// `0|([1-9]\d{0,N})`
    Digits(usize),
    /// `arn:aws.*:kinesis:.*:\d{12}:stream/\S+`
    StreamArn,
    OneOf(&'static [&'static str]),
    KeyLen(usize, usize),
    ValueLen(usize, usize),
}

/// One member of an input shape.
pub struct Member {
    pub name: &'static str,
    pub ty: Ty,
    pub rules: &'static [Rule],
}

const fn m(name: &'static str, ty: Ty, rules: &'static [Rule]) -> Member {
    Member { name, ty, rules }
}

const NAME: &[Rule] = &[Rule::Name, Rule::LenMin(1), Rule::LenMax(128)];
const STREAM: &[Rule] = &[Rule::NotNull, Rule::Name, Rule::LenMin(1), Rule::LenMax(128)];
const ARN: &[Rule] = &[Rule::LenMin(1), Rule::LenMax(2048), Rule::StreamArn];
const KEY: &[Rule] = &[Rule::NotNull, Rule::LenMin(1), Rule::LenMax(256)];
const HASH: &[Rule] = &[Rule::Digits(38)];
const DATA: &[Rule] = &[Rule::NotNull, Rule::LenMax(1 << 20)];

const ENTRY: &[Member] =
    &[m("PartitionKey", Ty::String, KEY), m("ExplicitHashKey", Ty::String, HASH), m("Data", Ty::Blob, DATA)];

/// The input shape of `operation` (`None`: not an operation this endpoint serves).
#[must_use]
pub fn of(operation: &str) -> Option<&'static [Member]> {
    Some(match operation {
        "PutRecord" => {
            const SHAPE: &[Member] = &[
                m("SequenceNumberForOrdering", Ty::String, &[Rule::Digits(128)]),
                m("PartitionKey", Ty::String, KEY),
                m("ExplicitHashKey", Ty::String, HASH),
                m("Data", Ty::Blob, DATA),
                m("StreamName", Ty::String, STREAM),
                m("StreamARN", Ty::String, ARN),
            ];
            SHAPE
        }
        "PutRecords" => {
            const SHAPE: &[Member] = &[
                m(
                    "Records",
                    Ty::List(ENTRY, "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry"),
                    &[Rule::NotNull, Rule::LenMin(1), Rule::LenMax(500)],
                ),
                m("StreamName", Ty::String, STREAM),
                m("StreamARN", Ty::String, ARN),
            ];
            SHAPE
        }
        "CreateStream" => {
            const SHAPE: &[Member] = &[
                m("ShardCount", Ty::Integer, &[Rule::Min(1), Rule::Max(100_000)]),
                m("StreamName", Ty::String, STREAM),
                m("StreamModeDetails", Ty::Map, &[]),
            ];
            SHAPE
        }
        "DescribeStream" => {
            const SHAPE: &[Member] = &[
                m("Limit", Ty::Integer, &[Rule::Min(1), Rule::Max(10_000)]),
                m("ExclusiveStartShardId", Ty::String, NAME),
                m("StreamName", Ty::String, STREAM),
                m("StreamARN", Ty::String, ARN),
            ];
            SHAPE
        }
        "DescribeStreamSummary" | "ListTagsForStream" => {
            const SHAPE: &[Member] = &[
                m("Limit", Ty::Integer, &[Rule::Min(1), Rule::Max(50)]),
                m("ExclusiveStartTagKey", Ty::String, &[Rule::LenMin(1), Rule::LenMax(128)]),
                m("StreamName", Ty::String, STREAM),
                m("StreamARN", Ty::String, ARN),
            ];
            SHAPE
        }
        "AddTagsToStream" => {
            const SHAPE: &[Member] = &[
                m(
                    "Tags",
                    Ty::Map,
                    &[Rule::NotNull, Rule::LenMin(1), Rule::LenMax(50), Rule::KeyLen(1, 128), Rule::ValueLen(0, 256)],
                ),
                m("StreamName", Ty::String, STREAM),
                m("StreamARN", Ty::String, ARN),
            ];
            SHAPE
        }
        "ListStreams" => {
            const SHAPE: &[Member] = &[
                m("Limit", Ty::Integer, &[Rule::Min(1), Rule::Max(10_000)]),
                m("ExclusiveStartStreamName", Ty::String, NAME),
                m("NextToken", Ty::String, &[Rule::LenMin(1), Rule::LenMax(1048)]),
            ];
            SHAPE
        }
        "ListShards" => {
            const SHAPE: &[Member] = &[
                m("ExclusiveStartShardId", Ty::String, NAME),
                m("MaxResults", Ty::Integer, &[Rule::Min(1), Rule::Max(10_000)]),
                m("NextToken", Ty::String, &[Rule::LenMin(1), Rule::LenMax(1048)]),
                m("StreamCreationTimestamp", Ty::Timestamp, &[]),
                m("StreamName", Ty::String, NAME),
                m("StreamARN", Ty::String, ARN),
            ];
            SHAPE
        }
        "GetShardIterator" => {
            const SHAPE: &[Member] = &[
                m("ShardId", Ty::String, &[Rule::NotNull, Rule::Name, Rule::LenMin(1), Rule::LenMax(128)]),
                m(
                    "ShardIteratorType",
                    Ty::String,
                    &[
                        Rule::NotNull,
                        Rule::OneOf(&[
                            "AFTER_SEQUENCE_NUMBER",
                            "LATEST",
                            "AT_TIMESTAMP",
                            "AT_SEQUENCE_NUMBER",
                            "TRIM_HORIZON",
                        ]),
                    ],
                ),
                m("StartingSequenceNumber", Ty::String, &[Rule::Digits(128)]),
                m("StreamName", Ty::String, STREAM),
                m("StreamARN", Ty::String, ARN),
                m("Timestamp", Ty::Timestamp, &[]),
            ];
            SHAPE
        }
        "GetRecords" => {
            const SHAPE: &[Member] = &[
                m("Limit", Ty::Integer, &[Rule::Min(1), Rule::Max(10_000)]),
                m("ShardIterator", Ty::String, &[Rule::NotNull, Rule::LenMin(1), Rule::LenMax(512)]),
                m("StreamARN", Ty::String, ARN),
            ];
            SHAPE
        }
        _ => return None,
    })
}

fn serialization(message: impl Into<String>) -> ApiError {
    ApiError::new("SerializationException", message)
}

/// Type-checks `input` against `shape`: the members it declares, with their types.
/// Works on the map in place (members it does not declare and nulls are dropped), so a
/// PutRecords call of 500 entries builds no second set of maps.
pub fn typed(input: Map<String, Json>, shape: &[Member]) -> Result<Map<String, Json>, ApiError> {
    let mut input = input;
    input.retain(|name, value| !value.is_null() && shape.iter().any(|m| m.name == name));
    for member in shape {
        if let Some(value) = input.get_mut(member.name) {
            *value = typed_value(std::mem::take(value), &member.ty)?;
        }
    }
    Ok(input)
}

fn wrong(value: &Json, target: &str) -> ApiError {
    serialization(match value {
        Json::Bool(_) => format!("class java.lang.Boolean can not be converted to {target}"),
        Json::Number(_) => {
            format!("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to {target}")
        }
        Json::String(_) => format!("class java.lang.String can not be converted to {target}"),
        Json::Array(_) => "Start of list found where not expected".to_owned(),
        _ => "Start of structure or map found where not expected.".to_owned(),
    })
}

thread_local! {
    /// Where [`typed_value`] decodes a blob to check it (the bytes are decoded again where they
    /// are used): one buffer per thread instead of one allocation per record.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn typed_value(value: Json, ty: &Ty) -> Result<Json, ApiError> {
    match ty {
        Ty::String => match value {
            Json::String(_) => Ok(value),
            other => Err(wrong(&other, "an String")),
        },
        Ty::Integer => match &value {
            Json::Number(n) => {
                #[allow(clippy::cast_possible_truncation)]
                let floor = n.as_i64().unwrap_or_else(|| n.as_f64().unwrap_or(0.0).floor() as i64);
                Ok(Json::from(floor.min(i64::from(i32::MAX))))
            }
            _ => Err(wrong(&value, "an Integer")),
        },
        Ty::Timestamp => match &value {
            Json::Number(_) => Ok(value),
            _ => Err(wrong(&value, "milliseconds since epoch")),
        },
        Ty::Blob => match &value {
            Json::String(text) => {
                SCRATCH.with_borrow_mut(|scratch| decode_blob(text, scratch))?;
                Ok(value)
            }
            _ => Err(wrong(&value, "a Blob")),
        },
        Ty::List(members, _) => match value {
            Json::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Json::Object(map) => typed(map, members).map(Json::Object),
                    Json::Array(_) => Err(serialization("Start of list found where not expected")),
                    Json::Null => Ok(Json::Null),
                    _ => Err(serialization("Expected null")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Json::Array),
            Json::Object(_) => Err(serialization("Start of structure or map found where not expected.")),
            _ => Err(serialization("Expected list or null")),
        },
        Ty::Map => match value {
            Json::Object(map) => map
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| typed_value(v, &Ty::String).map(|v| (k, v)))
                .collect::<Result<Map<_, _>, _>>()
                .map(Json::Object),
            Json::Array(_) => Err(serialization("Start of list found where not expected")),
            _ => Err(serialization("Expected map or null")),
        },
    }
}

/// Decodes a base64 blob as Kinesis' JSON protocol reads it (length a multiple of 4, the
/// standard alphabet, canonical padding).
pub fn blob(text: &str) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    decode_blob(text, &mut out)?;
    Ok(out)
}

/// [`blob`] into `out` (cleared first): the decoder checks the alphabet and the padding itself,
/// so a valid blob costs one pass; the reason of an invalid one is worked out afterwards, in the
/// order Kinesis reports it (length, then the first character outside the alphabet, then the
/// padding).
pub fn decode_blob(text: &str, out: &mut Vec<u8>) -> Result<(), ApiError> {
    let bad = |why: String| serialization(format!("'{text}' can not be converted to a Blob: {why}"));
    if !text.len().is_multiple_of(4) {
        return Err(bad(format!("Base64 encoded length is expected a multiple of 4 bytes but found: {}", text.len())));
    }
    out.clear();
    if base64::engine::general_purpose::STANDARD.decode_vec(text, out).is_ok() {
        return Ok(());
    }
    if let Some(c) = text.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))) {
        return Err(bad(format!("Invalid Base64 character: '{c}'")));
    }
    Err(bad("Invalid last non-pad Base64 character dectected".to_owned()))
}

/// Checks the constraints of every member (after [`typed`]); all failures in one error.
pub fn check(input: &Map<String, Json>, shape: &[Member]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    members(input, shape, "", &mut errors);
    if errors.is_empty() {
        return Ok(());
    }
    errors.truncate(10);
    let s = if errors.len() > 1 { "s" } else { "" };
    Err(ApiError::validation(format!("{} validation error{s} detected: {}", errors.len(), errors.join("; "))))
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn members(input: &Map<String, Json>, shape: &[Member], parent: &str, errors: &mut Vec<String>) {
    for member in shape {
        // Built only for a failing member or a list's items: a valid call allocates no paths.
        let path = || format!("{parent}{}", lower_first(member.name));
        let value = input.get(member.name);
        for rule in member.rules {
            if errors.len() >= 10 {
                return;
            }
            if let Some(message) = failed(rule, value, &member.ty) {
                errors.push(format!(
                    "Value {} at '{}' failed to satisfy constraint: {message}",
                    shown(value, &member.ty),
                    path()
                ));
            }
        }
        if let (Ty::List(children, _), Some(Json::Array(items))) = (&member.ty, value) {
            let path = path();
            let mut prefix = String::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Json::Object(map) => {
                        prefix.clear();
                        let _ = write!(prefix, "{path}.{}.member.", i + 1);
                        members(map, children, &prefix, errors);
                    }
                    _ => errors.push(format!(
                        "Value null at '{path}.{}.member' failed to satisfy constraint: Member must not be null",
                        i + 1
                    )),
                }
            }
        }
    }
}

fn length(value: &Json, ty: &Ty) -> usize {
    match (value, ty) {
        // Checked by `typed` already: the decoded length follows from the text's.
        (Json::String(text), Ty::Blob) => text.len() / 4 * 3 - text.bytes().rev().take_while(|&b| b == b'=').count(),
        (Json::String(text), _) => text.encode_utf16().count(),
        (Json::Array(items), _) => items.len(),
        (Json::Object(map), _) => map.len(),
        _ => 0,
    }
}

fn digits(text: &str, max_tail: usize) -> bool {
    text == "0"
        || (text.len() <= max_tail + 1
            && text.starts_with(|c: char| ('1'..='9').contains(&c))
            && text.bytes().all(|b| b.is_ascii_digit()))
}

/// `arn:aws.*:kinesis:.*:\d{12}:stream/\S+`
pub fn stream_arn(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws")?;
    let (_, rest) = rest.split_once(":kinesis:")?;
    let (head, name) = rest.rsplit_once(":stream/")?;
    let account = head.rsplit(':').next()?;
    let ok = account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && !name.chars().any(char::is_whitespace);
    ok.then_some(name)
}

fn failed(rule: &Rule, value: Option<&Json>, ty: &Ty) -> Option<String> {
    let Some(value) = value else {
        return matches!(rule, Rule::NotNull).then(|| "Member must not be null".to_owned());
    };
    let text = value.as_str().unwrap_or("");
    let number = value.as_i64().unwrap_or(0);
    let ok = match rule {
        Rule::NotNull => true,
        Rule::Min(min) => number >= *min,
        Rule::Max(max) => number <= *max,
        Rule::LenMin(min) => length(value, ty) >= *min,
        Rule::LenMax(max) => length(value, ty) <= *max,
        Rule::Name => {
            !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        }
        Rule::Digits(n) => digits(text, *n),
        Rule::StreamArn => stream_arn(text).is_some(),
        Rule::OneOf(set) => set.contains(&text),
        Rule::KeyLen(lo, hi) => {
            value.as_object().is_none_or(|map| map.keys().all(|k| (*lo..=*hi).contains(&k.encode_utf16().count())))
        }
        Rule::ValueLen(lo, hi) => value.as_object().is_none_or(|map| {
            map.values().all(|v| (*lo..=*hi).contains(&v.as_str().map_or(0, |s| s.encode_utf16().count())))
        }),
    };
    if ok {
        return None;
    }
    Some(match rule {
        Rule::NotNull => unreachable!("checked above"),
        Rule::Min(min) => format!("Member must have value greater than or equal to {min}"),
        Rule::Max(max) => format!("Member must have value less than or equal to {max}"),
        Rule::LenMin(min) => format!("Member must have length greater than or equal to {min}"),
        Rule::LenMax(max) => format!("Member must have length less than or equal to {max}"),
        Rule::Name => "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+".to_owned(),
        Rule::Digits(n) => format!("Member must satisfy regular expression pattern: 0|([1-9]\\d{{0,{n}}})"),
        Rule::StreamArn => {
            "Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+".to_owned()
        }
        Rule::OneOf(set) => format!("Member must satisfy enum value set: [{}]", set.join(", ")),
        Rule::KeyLen(lo, hi) => format!(
            "Map keys must satisfy constraint: [Member must have length less than or equal to {hi}, Member must have length greater than or equal to {lo}]"
        ),
        Rule::ValueLen(lo, hi) => format!(
            "Map value must satisfy constraint: [Member must have length less than or equal to {hi}, Member must have length greater than or equal to {lo}]"
        ),
    })
}

/// How a failing value is quoted in a message (Kinesis shows blobs as Java byte buffers).
fn shown(value: Option<&Json>, ty: &Ty) -> String {
    let Some(value) = value else { return "null".to_owned() };
    let text = match (value, ty) {
        (_, Ty::Blob) => {
            let n = length(value, ty);
            format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]")
        }
        (Json::Array(items), Ty::List(_, class)) => {
            format!("[{}]", vec![format!("{class}@c965e310"); items.len()].join(", "))
        }
        (Json::Object(map), _) => {
            format!(
                "{{{}}}",
                map.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(", ")
            )
        }
        (Json::String(text), _) => text.clone(),
        (other, _) => other.to_string(),
    };
    format!("'{text}'")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn validate(operation: &str, input: Json) -> Result<Map<String, Json>, ApiError> {
        let Json::Object(input) = input else { panic!("an object") };
        let shape = of(operation).unwrap();
        let input = typed(input, shape)?;
        check(&input, shape).map(|()| input)
    }

    #[test]
    fn messages_in_kinesis_shape() {
        let e = validate("PutRecord", json!({ "StreamName": "s", "Data": "aGk=", "PartitionKey": "" })).unwrap_err();
        assert_eq!(e.kind, "ValidationException");
        assert_eq!(
            e.message,
            "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: \
             Member must have length greater than or equal to 1"
        );
        let e = validate("PutRecord", json!({})).unwrap_err();
        assert!(e.message.starts_with("3 validation errors detected: Value null at 'partitionKey'"), "{}", e.message);
        let e = validate("PutRecords", json!({ "StreamName": "s", "Records": [{ "Data": "aGk=" }] })).unwrap_err();
        assert!(e.message.contains("at 'records.1.member.partitionKey'"), "{}", e.message);
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        for input in [
            json!({ "StreamName": "s", "Data": "aGk=", "PartitionKey": 5 }),
            json!({ "StreamName": "s", "Data": "not base64!", "PartitionKey": "k" }),
            json!({ "StreamName": "s", "Data": "aGk", "PartitionKey": "k" }),
            json!({ "StreamName": ["s"], "Data": "aGk=", "PartitionKey": "k" }),
        ] {
            assert_eq!(validate("PutRecord", input.clone()).unwrap_err().kind, "SerializationException", "{input}");
        }
    }

    #[test]
    fn blob_reasons_in_kinesis_order() {
        let reason = |text: &str| blob(text).unwrap_err().message;
        assert_eq!(blob("aGk=").unwrap(), b"hi");
        assert_eq!(blob("").unwrap(), b"");
        assert!(reason("aGk").ends_with("Base64 encoded length is expected a multiple of 4 bytes but found: 3"));
        assert!(reason("a!k=").ends_with("Invalid Base64 character: '!'"));
        assert!(reason("aGé").ends_with("Invalid Base64 character: 'é'"), "4 bytes, one character outside");
        for text in ["aGl=", "a=Gk", "===="] {
            assert!(reason(text).ends_with("Invalid last non-pad Base64 character dectected"), "{text}");
        }
        let mut out = b"left over".to_vec();
        decode_blob("aGk=", &mut out).unwrap();
        assert_eq!(out, b"hi", "the buffer is cleared first");
    }

    #[test]
    fn patterns_and_limits() {
        let ok = json!({ "StreamName": "a.b-c_1", "Data": "aGk=", "PartitionKey": "k", "ExplicitHashKey": "0" });
        assert!(validate("PutRecord", ok).is_ok());
        for (key, value) in [
            ("StreamName", json!("bad name")),
            ("ExplicitHashKey", json!("01")),
            ("ExplicitHashKey", json!("1".repeat(40))),
            ("SequenceNumberForOrdering", json!("-1")),
            ("PartitionKey", json!("k".repeat(257))),
        ] {
            let mut input = json!({ "StreamName": "s", "Data": "aGk=", "PartitionKey": "k" });
            input[key] = value;
            assert_eq!(validate("PutRecord", input).unwrap_err().kind, "ValidationException", "{key}");
        }
        assert_eq!(stream_arn("arn:aws:kinesis:eu-west-1:123456789012:stream/t"), Some("t"));
        assert_eq!(stream_arn("arn:aws:kinesis:eu-west-1:123:stream/t"), None);
    }
}
