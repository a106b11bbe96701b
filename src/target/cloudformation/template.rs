//! A CloudFormation template under construction, and the intrinsic functions as values.

use serde_json::{Map, Value, json};

#[derive(Default)]
pub struct Template {
    pub description: String,
    pub parameters: Map<String, Value>,
    pub resources: Map<String, Value>,
    pub outputs: Map<String, Value>,
}

/// A checkov check answered with a written reason instead of a change.
pub struct Skip {
    pub id: &'static str,
    pub comment: &'static str,
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
        self.outputs.insert(id.into(), json!({ "Description": description, "Value": value }));
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

/// Records checkov skips in the resource's Metadata, each with its reason.
pub fn skip(resource: &mut Map<String, Value>, skips: &[Skip]) {
    let list: Vec<Value> = skips.iter().map(|s| json!({ "id": s.id, "comment": s.comment })).collect();
    resource.insert("Metadata".into(), json!({ "checkov": { "skip": list } }));
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

/// An IAM policy document from statements.
#[must_use]
pub fn policy(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

#[must_use]
pub fn allow(sid: &str, actions: &[&str], resources: Vec<Value>) -> Value {
    json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources })
}

/// A role that `service` (e.g. `lambda.amazonaws.com`) assumes, with one inline policy.
#[must_use]
pub fn role(service: &str, policy_name: &str, statements: Vec<Value>) -> Value {
    json!({
        "AssumeRolePolicyDocument": policy(vec![json!({
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole"
        })]),
        "Policies": [{ "PolicyName": policy_name, "PolicyDocument": policy(statements) }]
    })
}

/// KMS use through one AWS service only (for AWS-managed keys, whose ARNs are not known here).
#[must_use]
pub fn kms_via(sid: &str, actions: &[&str], service: &str) -> Value {
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"),
        "Condition": { "StringEquals": { "kms:ViaService": sub(&format!("{service}.${{AWS::Region}}.amazonaws.com")) } }
    })
}
