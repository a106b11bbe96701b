//! The data stores: the Kinesis stream and the table of flagged records.
//!
//! `retain_data: true` becomes `lifecycle { prevent_destroy = true }`, which is stricter than
//! `CloudFormation`'s `DeletionPolicy: Retain`: Terraform refuses to plan the deletion at all
//! (the main.tf header says so), where `CloudFormation` deletes the stack and leaves the resource.

use hcl::{Block, Body};

use super::module::{Module, block, prevent_destroy};
use super::refs::{STREAM, TABLE, stream, table};
use crate::expr::ValueType;
use crate::ir::{Capacity, Pipeline};
use crate::target::aws::skips;

pub fn add_stream(m: &mut Module, p: &Pipeline) {
    let s = &p.stream;
    let mut b = Body::builder().add_attribute(("name", s.name.as_str()));
    let mode = match s.kinesis().capacity {
        Capacity::Shards(shards) => {
            b = b.add_attribute(("shard_count", shards));
            "PROVISIONED"
        }
        Capacity::OnDemand => "ON_DEMAND",
    };
    b = b.add_attribute(("retention_period", s.kinesis().retention_hours));
    if s.kinesis().encrypted {
        b = b.add_attribute(("encryption_type", "KMS")).add_attribute(("kms_key_id", "alias/aws/kinesis"));
    }
    b = b.add_block(block("stream_mode_details", Body::builder().add_attribute(("stream_mode", mode)).build()));
    if p.retain_data {
        b = b.add_block(prevent_destroy());
    }
    let skips = if s.kinesis().encrypted { &[][..] } else { skips::UNENCRYPTED_STREAM };
    m.resource("aws_kinesis_stream", STREAM, b.build(), skips);
    m.output("stream_name", "Name of the source stream; producers put records here", stream("name"));
    m.output("stream_arn", "ARN of the source stream", stream("arn"));
}

fn attribute_type(ty: ValueType) -> &'static str {
    if matches!(ty, ValueType::Int | ValueType::Float) { "N" } else { "S" }
}

pub fn add_table(m: &mut Module, p: &Pipeline) {
    let Some(store) = &p.store else { return };
    let mut b = Body::builder()
        .add_attribute(("name", store.table.as_str()))
        .add_attribute(("billing_mode", "PAY_PER_REQUEST"))
        .add_attribute(("hash_key", store.partition.name.as_str()));
    if let Some(sort) = &store.sort {
        b = b.add_attribute(("range_key", sort.name.as_str()));
    }
    for key in std::iter::once(&store.partition).chain(store.sort.as_ref()) {
        b = b.add_block(
            Block::builder("attribute")
                .add_attribute(("name", key.name.as_str()))
                .add_attribute(("type", attribute_type(key.ty)))
                .build(),
        );
    }
    b = b
        .add_block(block("point_in_time_recovery", Body::builder().add_attribute(("enabled", true)).build()))
        .add_block(block("server_side_encryption", Body::builder().add_attribute(("enabled", true)).build()));
    if p.retain_data {
        b = b.add_block(prevent_destroy());
    }
    m.resource("aws_dynamodb_table", TABLE, b.build(), skips::TABLE);
    m.output("table_name", "Table of flagged records", table("name"));
}
