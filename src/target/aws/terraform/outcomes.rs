//! Where the hot path's other outcomes go on AWS, as in the `CloudFormation` target: the
//! dead-letter queue (records that are invalid or that DynamoDB would refuse, with the reason)
//! and the table of window decisions.

use hcl::{Block, Body, Expression};

use super::module::{Module, block, prevent_destroy, resource};
use crate::ir::Pipeline;
use crate::target::aws::{names, skips};

pub const DEAD_LETTERS: &str = "dead_letter_queue";
pub const WINDOWS: &str = "windows_table";

/// `aws_sqs_queue.dead_letter_queue.<attribute>`.
#[must_use]
pub fn dead_letters(attribute: &str) -> Expression {
    resource("aws_sqs_queue", DEAD_LETTERS, attribute)
}

/// `aws_dynamodb_table.windows_table.<attribute>`.
#[must_use]
pub fn windows_table(attribute: &str) -> Expression {
    resource("aws_dynamodb_table", WINDOWS, attribute)
}

pub fn add_outcomes(m: &mut Module, p: &Pipeline) {
    if !p.rules.is_empty() {
        m.queue(
            DEAD_LETTERS,
            "dead_letter_queue_url",
            "Queue receiving records that are invalid or cannot be stored, with the reason",
        );
    }
    if p.window_rules().next().is_some() {
        let mut b = Body::builder()
            .add_attribute(("name", names::windows_table(p)))
            .add_attribute(("billing_mode", "PAY_PER_REQUEST"))
            .add_attribute(("hash_key", "rule"))
            .add_attribute(("range_key", "window"));
        for key in ["rule", "window"] {
            b = b.add_block(
                Block::builder("attribute").add_attribute(("name", key)).add_attribute(("type", "S")).build(),
            );
        }
        b = b
            .add_block(block("point_in_time_recovery", Body::builder().add_attribute(("enabled", true)).build()))
            .add_block(block("server_side_encryption", Body::builder().add_attribute(("enabled", true)).build()));
        if p.retain_data {
            b = b.add_block(prevent_destroy());
        }
        m.resource("aws_dynamodb_table", WINDOWS, b.build(), skips::TABLE);
        m.output("windows_table_name", "Table of window decisions", windows_table("name"));
    }
}
