//! A CloudFormation template under construction, and the intrinsic functions as values.

use serde_json::{Map, Value, json};

use crate::target::Target;
use crate::target::aws::skips::{self, Skip, written_by};

#[derive(Default)]
pub struct Template {
    pub description: String,
    pub parameters: Map<String, Value>,
    pub resources: Map<String, Value>,
    pub outputs: Map<String, Value>,
}

impl Template {
    /// Adds a resource; `retain` sets DeletionPolicy and UpdateReplacePolicy.
    pub fn add(&mut self, id: &str, kind: &str, properties: Value) -> &mut Map<String, Value> {
        let mut resource = Map::new();
        resource.insert("Type".into(), kind.into());
        resource.insert("Properties".into(), properties);
        self.resources.insert(id.into(), Value::Object(resource));
        match self.resources.get_mut(id) {
            Some(Value::Object(map)) => map,
            _ => unreachable!("inserted above"),
        }
    }

    pub fn output(&mut self, id: &str, description: &str, value: Value) {
        let mut output = Map::new();
        output.insert("Description".into(), description.into());
        output.insert("Value".into(), value);
        self.outputs.insert(id.into(), Value::Object(output));
    }

    /// The finished template, keys in CloudFormation's customary order.
    #[must_use]
    pub fn into_value(self) -> Value {
        let mut root = Map::new();
        root.insert("AWSTemplateFormatVersion".into(), "2010-09-09".into());
        root.insert("Description".into(), self.description.into());
        if !self.parameters.is_empty() {
            root.insert("Parameters".into(), Value::Object(self.parameters));
        }
        root.insert("Resources".into(), Value::Object(self.resources));
        root.insert("Outputs".into(), Value::Object(self.outputs));
        Value::Object(root)
    }
}

/// Sets DeletionPolicy/UpdateReplacePolicy on a data store.
pub fn retain(resource: &mut Map<String, Value>, keep: bool) {
    let policy = if keep { "Retain" } else { "Delete" };
    resource.insert("DeletionPolicy".into(), policy.into());
    resource.insert("UpdateReplacePolicy".into(), policy.into());
}

/// Records the checkov skips `CloudFormation` writes of `skips` in the resource's Metadata, each
/// with its reason (no Metadata when there are none).
pub fn skip(resource: &mut Map<String, Value>, skips: &[Skip]) {
    let list: Vec<Value> = written_by(skips, Target::Cfn).map(|s| json!({ "id": s.id, "comment": s.reason })).collect();
    if !list.is_empty() {
        resource.insert("Metadata".into(), json!({ "checkov": { "skip": list } }));
    }
}

pub fn depends_on(resource: &mut Map<String, Value>, ids: &[&str]) {
    resource.insert("DependsOn".into(), ids.iter().map(|s| Value::from(*s)).collect());
}

#[must_use]
pub fn r#ref(id: &str) -> Value {
    json!({ "Ref": id })
}

#[must_use]
pub fn get_att(id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attribute] })
}

#[must_use]
pub fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

/// One of pipec's SQS queues (AWS-managed key, 14 days' retention, deleted with the stack) and
/// an output `output` with its URL: the failed-batches queue and the dead-letter queue.
pub fn queue(t: &mut Template, id: &str, output: &str, description: &str) {
    let queue =
        t.add(id, "AWS::SQS::Queue", json!({ "KmsMasterKeyId": "alias/aws/sqs", "MessageRetentionPeriod": 1_209_600 }));
    retain(queue, false);
    skip(queue, skips::QUEUE);
    t.output(output, description, r#ref(id));
}
