//! The data stores: the Kinesis stream, the archive bucket (+ TLS-only policy) and the table.

use serde_json::json;

use super::iam::policy;
use super::refs::{BUCKET, STREAM, TABLE};
use super::template::{Template, get_att, r#ref, retain, skip, sub};
use crate::ir::{Capacity, Pipeline};
use crate::target::aws::skips;

pub fn stream(t: &mut Template, p: &Pipeline) {
    let s = &p.stream;
    let mut props = json!({ "Name": s.name, "RetentionPeriodHours": s.kinesis().retention_hours });
    match s.kinesis().capacity {
        Capacity::Shards(n) => {
            props["ShardCount"] = n.into();
            props["StreamModeDetails"] = json!({ "StreamMode": "PROVISIONED" });
        }
        Capacity::OnDemand => props["StreamModeDetails"] = json!({ "StreamMode": "ON_DEMAND" }),
    }
    if s.kinesis().encrypted {
        props["StreamEncryption"] = json!({ "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis" });
    }
    let resource = t.add(STREAM, "AWS::Kinesis::Stream", props);
    retain(resource, p.retain_data);
    if !s.kinesis().encrypted {
        skip(resource, skips::UNENCRYPTED_STREAM);
    }
    t.output("StreamName", "Name of the source stream; producers put records here", r#ref(STREAM));
    t.output("StreamArn", "ARN of the source stream", get_att(STREAM, "Arn"));
}

pub fn bucket(t: &mut Template, p: &Pipeline) {
    let resource = t.add(
        BUCKET,
        "AWS::S3::Bucket",
        crate::target::aws::bucket::properties(&json!({
            "Id": "expire-noncurrent-versions",
            "Status": "Enabled",
            "NoncurrentVersionExpiration": { "NoncurrentDays": 30 },
            "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 }
        })),
    );
    retain(resource, p.retain_data);
    skip(resource, skips::BUCKET);
    t.add(
        "ArchiveBucketPolicy",
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": r#ref(BUCKET),
            "PolicyDocument": policy(&[crate::target::aws::bucket::tls_only(
                &get_att(BUCKET, "Arn"),
                &sub("${ArchiveBucket.Arn}/*"),
            )])
        }),
    );
    t.output("ArchiveBucketName", "Bucket holding the raw archive", r#ref(BUCKET));
}

pub fn table(t: &mut Template, p: &Pipeline) {
    let Some(store) = &p.store else { return };
    let attr = |name: &str, ty| json!({ "AttributeName": name, "AttributeType": ty });
    let ty = |ty| if matches!(ty, crate::expr::ValueType::Int | crate::expr::ValueType::Float) { "N" } else { "S" };
    let mut attributes = vec![attr(&store.partition.name, ty(store.partition.ty))];
    let mut keys = vec![json!({ "AttributeName": store.partition.name, "KeyType": "HASH" })];
    if let Some(sort) = &store.sort {
        attributes.push(attr(&sort.name, ty(sort.ty)));
        keys.push(json!({ "AttributeName": sort.name, "KeyType": "RANGE" }));
    }
    let index = crate::target::aws::index::viewer_sort(p).map(|(field, ty, _)| {
        attributes.push(attr(crate::target::aws::index::PARTITION, "S"));
        if !attributes.iter().any(|a| a["AttributeName"] == field) {
            attributes.push(attr(field, ty));
        }
        json!([{
            "IndexName": crate::target::aws::index::NAME,
            "KeySchema": [
                { "AttributeName": crate::target::aws::index::PARTITION, "KeyType": "HASH" },
                { "AttributeName": field, "KeyType": "RANGE" }
            ],
            "Projection": { "ProjectionType": "ALL" }
        }])
    });
    let mut properties = json!({
        "TableName": store.table,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": keys,
        "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
        "SSESpecification": { "SSEEnabled": true }
    });
    if let Some(index) = index {
        properties["GlobalSecondaryIndexes"] = index;
    }
    let resource = t.add(TABLE, "AWS::DynamoDB::Table", properties);
    retain(resource, p.retain_data);
    skip(resource, skips::TABLE);
    t.output("TableName", "Table of flagged records", r#ref(TABLE));
}
