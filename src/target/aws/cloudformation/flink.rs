//! `hot.engine: flink` in `CloudFormation`: the Managed Service for Apache Flink application
//! (its code from the artifact bucket, checkpoints, parallelism, monitoring), its role, log
//! group and stream, the logging option that ties them together, and the encrypted alerts
//! stream the application writes (read by the alerts function, see `functions`).

use serde_json::json;

use super::functions::artifact_bucket;
use super::iam;
use super::refs::ALERTS_STREAM;
use super::template::{Template, get_att, r#ref, retain, skip, sub};
use crate::ir::Pipeline;
use crate::target::Artifact;
use crate::target::aws::flink::{
    ALERTS_RETENTION_HOURS, ALERTS_SHARDS, CHECKPOINT_INTERVAL_MS, LOG_STREAM, MIN_PAUSE_BETWEEN_CHECKPOINTS_MS,
    PROPERTIES, PROPERTY_GROUP_ID, Property, RUN_OPTIONS, RUNTIME, alerts_stream_name, application_name,
    log_group_name, on_flink, parallelism, run_options,
};
use crate::target::aws::{permissions, skips};
use crate::target::flink::program::application_zip;

pub const APPLICATION: &str = "FlinkApplication";
pub const LOG_GROUP: &str = "FlinkApplicationLogGroup";
const LOG_STREAM_ID: &str = "FlinkApplicationLogStream";
const ROLE: &str = "FlinkApplicationRole";

pub fn flink(t: &mut Template, p: &Pipeline, assets: &mut Vec<Artifact>) -> Result<(), String> {
    if !on_flink(p) {
        return Ok(());
    }
    let alerts = t.add(
        ALERTS_STREAM,
        "AWS::Kinesis::Stream",
        json!({
            "Name": alerts_stream_name(p),
            "RetentionPeriodHours": ALERTS_RETENTION_HOURS,
            "ShardCount": ALERTS_SHARDS,
            "StreamModeDetails": { "StreamMode": "PROVISIONED" },
            "StreamEncryption": { "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis" }
        }),
    );
    retain(alerts, false);
    t.output(
        "AlertsStreamName",
        "Stream of the Flink application's alerts (read by the alerts function)",
        r#ref(ALERTS_STREAM),
    );

    let logs =
        t.add(LOG_GROUP, "AWS::Logs::LogGroup", json!({ "LogGroupName": log_group_name(p), "RetentionInDays": 365 }));
    retain(logs, false);
    skip(logs, skips::LOG_GROUP);
    t.add(
        LOG_STREAM_ID,
        "AWS::Logs::LogStream",
        json!({ "LogGroupName": r#ref(LOG_GROUP), "LogStreamName": LOG_STREAM }),
    );
    let name = application_name(p);
    let role = iam::role(
        p,
        "kinesisanalytics.amazonaws.com",
        &format!("{name}-policy"),
        LOG_GROUP,
        &permissions::flink_application(p),
    );
    t.add(ROLE, "AWS::IAM::Role", role);

    let (file, zip) = application_zip(p)?;
    artifact_bucket(t);
    let key = format!("pipec/{}/{file}", p.name);
    assets.push(Artifact {
        path: format!("assets/{file}"),
        bytes: zip,
        role: "Flink application code (`pipec deploy` adds the connector jars, then uploads it)",
    });
    let properties: serde_json::Map<String, serde_json::Value> = PROPERTIES
        .iter()
        .map(|(key, property)| {
            let value = match property {
                Property::Region => r#ref("AWS::Region"),
                Property::InputStreamArn => super::refs::stream_arn(),
                Property::OutputStreamArn => get_att(ALERTS_STREAM, "Arn"),
            };
            ((*key).to_owned(), value)
        })
        .collect();
    let options: serde_json::Map<String, serde_json::Value> =
        run_options().into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect();
    t.add(
        APPLICATION,
        "AWS::KinesisAnalyticsV2::Application",
        json!({
            "ApplicationName": name,
            "ApplicationDescription": format!("pipec {}: the hot rules in Flink SQL, in event time", p.name),
            "RuntimeEnvironment": RUNTIME,
            "ServiceExecutionRole": get_att(ROLE, "Arn"),
            "ApplicationConfiguration": {
                "ApplicationCodeConfiguration": {
                    "CodeContent": { "S3ContentLocation": {
                        "BucketARN": sub(&format!("arn:${{AWS::Partition}}:s3:::${{{}}}", super::refs::ARTIFACT_BUCKET)),
                        "FileKey": key
                    } },
                    "CodeContentType": "ZIPFILE"
                },
                "ApplicationSnapshotConfiguration": { "SnapshotsEnabled": true },
                "EnvironmentProperties": { "PropertyGroups": [
                    { "PropertyGroupId": RUN_OPTIONS, "PropertyMap": options },
                    { "PropertyGroupId": PROPERTY_GROUP_ID, "PropertyMap": properties }
                ] },
                "FlinkApplicationConfiguration": {
                    "CheckpointConfiguration": {
                        "ConfigurationType": "CUSTOM",
                        "CheckpointingEnabled": true,
                        "CheckpointInterval": CHECKPOINT_INTERVAL_MS,
                        "MinPauseBetweenCheckpoints": MIN_PAUSE_BETWEEN_CHECKPOINTS_MS
                    },
                    "MonitoringConfiguration": {
                        "ConfigurationType": "CUSTOM",
                        "LogLevel": "INFO",
                        "MetricsLevel": "APPLICATION"
                    },
                    "ParallelismConfiguration": {
                        "ConfigurationType": "CUSTOM",
                        "Parallelism": parallelism(p),
                        "ParallelismPerKPU": 1,
                        "AutoScalingEnabled": false
                    }
                }
            }
        }),
    );
    t.add(
        "FlinkApplicationLogging",
        "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption",
        json!({
            "ApplicationName": r#ref(APPLICATION),
            "CloudWatchLoggingOption": { "LogStreamARN": sub(&format!(
                "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{LOG_GROUP}}}:log-stream:${{{LOG_STREAM_ID}}}"
            )) }
        }),
    );
    t.output(
        "FlinkApplicationName",
        "The Flink application: start it with `aws kinesisanalyticsv2 start-application --application-name NAME`",
        r#ref(APPLICATION),
    );
    Ok(())
}
