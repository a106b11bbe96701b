//! Where the hot path's other outcomes go on AWS: the dead-letter queue (records that are
//! invalid or that DynamoDB would refuse, with the reason — the local `dead-letter/`) and the
//! table of window decisions (the local `_pipec_window_alerts`).

use serde_json::json;

use super::template::{Template, queue, r#ref, retain, skip};
use crate::ir::Pipeline;
use crate::target::aws::{names, skips};

pub const DEAD_LETTERS: &str = "DeadLetterQueue";
pub const WINDOWS: &str = "WindowsTable";

/// Whether any function reads the stream (and so may dead-letter).
#[must_use]
pub fn dead_letters(p: &Pipeline) -> bool {
    !p.rules.is_empty()
}

pub fn outcomes(t: &mut Template, p: &Pipeline) {
    if dead_letters(p) {
        queue(
            t,
            DEAD_LETTERS,
            "DeadLetterQueueUrl",
            "Queue receiving records that are invalid or cannot be stored, with the reason",
        );
    }
    if p.window_rules().next().is_some() {
        let attr = |name: &str| json!({ "AttributeName": name, "AttributeType": "S" });
        let table = t.add(
            WINDOWS,
            "AWS::DynamoDB::Table",
            json!({
                "TableName": names::windows_table(p),
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [attr("rule"), attr("window")],
                "KeySchema": [
                    { "AttributeName": "rule", "KeyType": "HASH" },
                    { "AttributeName": "window", "KeyType": "RANGE" }
                ],
                "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
                "SSESpecification": { "SSEEnabled": true }
            }),
        );
        retain(table, p.retain_data);
        skip(table, skips::TABLE);
        t.output("WindowsTableName", "Table of window decisions", r#ref(WINDOWS));
    }
}
