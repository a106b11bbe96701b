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
    let mut attributes: Vec<(&str, &str)> = std::iter::once(&store.partition)
        .chain(store.sort.as_ref())
        .map(|k| (k.name.as_str(), attribute_type(k.ty)))
        .collect();
    let index = crate::target::aws::index::viewer_sort(p);
    if let Some((field, ty, _)) = index {
        attributes.push((crate::target::aws::index::PARTITION, "S"));
        if !attributes.iter().any(|(name, _)| *name == field) {
            attributes.push((field, ty));
        }
    }
    for (name, ty) in attributes {
        b = b.add_block(Block::builder("attribute").add_attribute(("name", name)).add_attribute(("type", ty)).build());
    }
    if let Some((field, _, _)) = index {
        b = b.add_block(block(
            "global_secondary_index",
            Body::builder()
                .add_attribute(("name", crate::target::aws::index::NAME))
                .add_attribute(("hash_key", crate::target::aws::index::PARTITION))
                .add_attribute(("range_key", field))
                .add_attribute(("projection_type", "ALL"))
                .build(),
        ));
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
