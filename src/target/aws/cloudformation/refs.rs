//! The logical ids other resources refer to, and references to them: the one list the resource
//! builders share, so none of them imports another.

use serde_json::Value;

use super::template::get_att;

pub const STREAM: &str = "Stream";
pub const BUCKET: &str = "ArchiveBucket";
pub const TABLE: &str = "FlaggedTable";
pub const QUEUE: &str = "FailedBatchesQueue";
/// The parameter naming the bucket of the code assets.
pub const ARTIFACT_BUCKET: &str = "ArtifactBucket";
/// `hot.engine: flink`: the stream of the Flink application's alerts.
pub const ALERTS_STREAM: &str = "AlertsStream";

/// The stream's ARN as a value.
#[must_use]
pub fn stream_arn() -> Value {
    get_att(STREAM, "Arn")
}
