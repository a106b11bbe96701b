//! The stream-level operations, answered for the spec's stream (one shard, `ACTIVE` from the
//! start of the run): `CreateStream`, `DescribeStream`, `DescribeStreamSummary`,
//! `ListStreams`, `ListShards`, `ListTagsForStream`, `AddTagsToStream`.

use serde_json::{Map, Value as Json, json};

use super::{ACCOUNT, ApiError, SHARD_ID, Stream, shard};

/// The stream's only shard.
fn shard() -> Json {
    json!({
        "ShardId": SHARD_ID,
        "HashKeyRange": { "StartingHashKey": "0", "EndingHashKey": u128::MAX.to_string() },
        "SequenceNumberRange": { "StartingSequenceNumber": shard::sequence_number(0) },
    })
}

fn mode(stream: &Stream) -> Json {
    json!({ "StreamMode": if stream.on_demand { "ON_DEMAND" } else { "PROVISIONED" } })
}

fn key_id(stream: &Stream) -> Option<&'static str> {
    stream.encrypted.then_some("alias/aws/kinesis")
}

pub(super) fn call(
    stream: &Stream,
    operation: &str,
    input: &Map<String, Json>,
    region: &str,
) -> Result<Json, ApiError> {
    match operation {
        "CreateStream" => {
            let name = input.get("StreamName").and_then(Json::as_str).unwrap_or("");
            if name == stream.name {
                return Err(ApiError::new(
                    "ResourceInUseException",
                    format!("Stream {name} under account {ACCOUNT} already exists."),
                ));
            }
            Err(ApiError::new(
                "LimitExceededException",
                format!(
                    "This local endpoint serves only the spec's stream `{}`; stream {name} cannot be created here",
                    stream.name
                ),
            ))
        }
        "DescribeStream" => {
            stream.named(input)?;
            let start = input.get("ExclusiveStartShardId").and_then(Json::as_str).unwrap_or("");
            let shards: Vec<Json> = if start < SHARD_ID { vec![shard()] } else { Vec::new() };
            let mut description = json!({
                "StreamName": stream.name,
                "StreamARN": stream.arn(region),
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": mode(stream),
                "Shards": shards,
                "HasMoreShards": false,
                "RetentionPeriodHours": stream.retention_hours,
                "StreamCreationTimestamp": stream.created,
                "EnhancedMonitoring": [{ "ShardLevelMetrics": [] }],
                "EncryptionType": stream.encryption(),
            });
            if let Some(key) = key_id(stream) {
                description["KeyId"] = json!(key);
            }
            Ok(json!({ "StreamDescription": description }))
        }
        "DescribeStreamSummary" => {
            stream.named(input)?;
            let mut summary = json!({
                "StreamName": stream.name,
                "StreamARN": stream.arn(region),
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": mode(stream),
                "RetentionPeriodHours": stream.retention_hours,
                "StreamCreationTimestamp": stream.created,
                "EnhancedMonitoring": [{ "ShardLevelMetrics": [] }],
                "EncryptionType": stream.encryption(),
                "OpenShardCount": 1,
                "ConsumerCount": 0,
            });
            if let Some(key) = key_id(stream) {
                summary["KeyId"] = json!(key);
            }
            Ok(json!({ "StreamDescriptionSummary": summary }))
        }
        "ListStreams" => {
            let after = input.get("ExclusiveStartStreamName").and_then(Json::as_str).unwrap_or("");
            if input.contains_key("NextToken") {
                return Err(ApiError::invalid_argument("Invalid NextToken (this endpoint never hands one out)."));
            }
            let listed = after < stream.name.as_str();
            Ok(json!({
                "StreamNames": if listed { vec![stream.name.clone()] } else { Vec::new() },
                "HasMoreStreams": false,
                "StreamSummaries": if listed { vec![json!({
                    "StreamName": stream.name,
                    "StreamARN": stream.arn(region),
                    "StreamStatus": "ACTIVE",
                    "StreamModeDetails": mode(stream),
                    "StreamCreationTimestamp": stream.created,
                })] } else { Vec::new() },
            }))
        }
        "ListShards" => {
            match (input.contains_key("StreamName"), input.contains_key("NextToken")) {
                (false, false) => {
                    return Err(ApiError::invalid_argument("Either NextToken or StreamName should be provided."));
                }
                (true, true) => {
                    return Err(ApiError::invalid_argument("NextToken and StreamName cannot be provided together."));
                }
                (false, true) => {
                    return Err(ApiError::invalid_argument("Invalid NextToken (this endpoint never hands one out)."));
                }
                (true, false) => stream.named(input)?,
            }
            let start = input.get("ExclusiveStartShardId").and_then(Json::as_str).unwrap_or("");
            let shards: Vec<Json> = if start < SHARD_ID { vec![shard()] } else { Vec::new() };
            Ok(json!({ "Shards": shards }))
        }
        "ListTagsForStream" => {
            stream.named(input)?;
            let after = input.get("ExclusiveStartTagKey").and_then(Json::as_str).unwrap_or("");
            let limit = input
                .get("Limit")
                .and_then(Json::as_u64)
                .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
            let tags = stream.tags.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let after_start: Vec<(&String, &String)> = tags.iter().filter(|(k, _)| k.as_str() > after).collect();
            let listed: Vec<Json> =
                after_start.iter().take(limit).map(|(k, v)| json!({ "Key": k, "Value": v })).collect();
            Ok(json!({ "Tags": listed, "HasMoreTags": after_start.len() > limit }))
        }
        "AddTagsToStream" => {
            stream.named(input)?;
            let mut tags = stream.tags.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let new = input.get("Tags").and_then(Json::as_object).cloned().unwrap_or_default();
            let after = tags.keys().chain(new.keys()).collect::<std::collections::BTreeSet<_>>().len();
            if after > 50 {
                return Err(ApiError::invalid_argument(format!(
                    "Failed to add tags to stream {} under account {ACCOUNT} because a given stream cannot have more than 50 tags.",
                    stream.name
                )));
            }
            for (k, v) in new {
                tags.insert(k, v.as_str().unwrap_or("").to_owned());
            }
            Ok(json!({}))
        }
        other => Err(ApiError::new("UnknownOperationException", format!("{other} is not served here"))),
    }
}
