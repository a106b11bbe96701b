//! `application/x-amz-cbor-1.1`, the Kinesis protocol of the AWS Java SDK v2 and the KPL:
//! the JSON 1.1 shapes in CBOR, with `Data` as a byte string and timestamps as CBOR tag 1
//! (seconds since the epoch). Requests are turned into the JSON value the JSON protocol
//! would have carried (a byte string becomes its base64), so one validation serves both.

use base64::Engine as _;
use ciborium::Value as Cbor;
use serde_json::{Map, Value as Json};

/// Members whose values are timestamps (written as tag 1).
const TIMESTAMPS: &[&str] = &["ApproximateArrivalTimestamp", "StreamCreationTimestamp", "Timestamp"];

/// Decodes a request body: `None` when it is not one whole CBOR item.
#[must_use]
pub fn decode(body: &[u8]) -> Option<Json> {
    let mut rest = body;
    let value: Cbor = ciborium::de::from_reader(&mut rest).ok()?;
    rest.is_empty().then(|| to_json(value))?
}

fn to_json(value: Cbor) -> Option<Json> {
    Some(match value {
        Cbor::Integer(i) => {
            let i = i128::from(i);
            i64::try_from(i).map(Json::from).or_else(|_| u64::try_from(i).map(Json::from)).ok()?
        }
        Cbor::Float(f) => serde_json::Number::from_f64(f).map(Json::Number)?,
        Cbor::Bytes(bytes) => Json::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        Cbor::Text(text) => Json::String(text),
        Cbor::Bool(b) => Json::Bool(b),
        Cbor::Null => Json::Null,
        Cbor::Tag(_, inner) => to_json(*inner)?,
        Cbor::Array(items) => Json::Array(items.into_iter().map(to_json).collect::<Option<_>>()?),
        Cbor::Map(entries) => Json::Object(
            entries
                .into_iter()
                .map(|(k, v)| match k {
                    Cbor::Text(k) => Some((k, to_json(v)?)),
                    _ => None,
                })
                .collect::<Option<Map<_, _>>>()?,
        ),
        _ => return None,
    })
}

/// Encodes a response body.
#[must_use]
pub fn encode(value: &Json) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(&from_json(value, None), &mut out).expect("writing CBOR to a Vec cannot fail");
    out
}

fn from_json(value: &Json, key: Option<&str>) -> Cbor {
    match value {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(*b),
        Json::Number(n) if key.is_some_and(|k| TIMESTAMPS.contains(&k)) => {
            Cbor::Tag(1, Box::new(n.as_i64().map_or_else(|| Cbor::Float(n.as_f64().unwrap_or(0.0)), Cbor::from)))
        }
        Json::Number(n) => n.as_i64().map_or_else(|| Cbor::Float(n.as_f64().unwrap_or(0.0)), Cbor::from),
        Json::String(s) if key == Some("Data") => {
            Cbor::Bytes(base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_default())
        }
        Json::String(s) => Cbor::Text(s.clone()),
        Json::Array(items) => Cbor::Array(items.iter().map(|v| from_json(v, None)).collect()),
        Json::Object(map) => {
            Cbor::Map(map.iter().map(|(k, v)| (Cbor::Text(k.clone()), from_json(v, Some(k)))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bytes_and_tags_round_trip() {
        let request = Cbor::Map(vec![
            (Cbor::Text("Data".into()), Cbor::Bytes(b"hi".to_vec())),
            (Cbor::Text("Timestamp".into()), Cbor::Tag(1, Box::new(Cbor::Float(1.5)))),
        ]);
        let mut body = Vec::new();
        ciborium::ser::into_writer(&request, &mut body).unwrap();
        assert_eq!(decode(&body), Some(json!({ "Data": "aGk=", "Timestamp": 1.5 })));
        assert_eq!(decode(&body[..body.len() - 1]), None);
        let out: Cbor =
            ciborium::de::from_reader(&encode(&json!({ "Data": "aGk=", "StreamCreationTimestamp": 7 }))[..]).unwrap();
        assert_eq!(
            out,
            Cbor::Map(vec![
                (Cbor::Text("Data".into()), Cbor::Bytes(b"hi".to_vec())),
                (Cbor::Text("StreamCreationTimestamp".into()), Cbor::Tag(1, Box::new(Cbor::from(7)))),
            ])
        );
    }
}
