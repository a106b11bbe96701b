//! The CloudFormation target's resources, read from the template the emitter wrote: one node
//! per logical id, an edge for each `Ref`, `Fn::GetAtt`, `${Id}` in `Fn::Sub` and `DependsOn`
//! (from the resource used to the one using it, labelled with the property it appears in),
//! and an event-source mapping's `FunctionName` drawn as the mapping invoking the function.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{Graph, Kind};

/// The graph of `template` (the emitted JSON template), titled `title`.
///
/// # Errors
/// When the template is not JSON or has no `Resources` object.
pub fn graph(title: &str, template: &[u8]) -> Result<Graph, String> {
    let template: Value = serde_json::from_slice(template).map_err(|e| format!("the template is not JSON: {e}"))?;
    let resources = template["Resources"].as_object().ok_or("the template has no Resources")?;
    let mut g = Graph::new(title);
    let mut clusters = BTreeMap::new();
    let mut index = BTreeMap::new();
    for (id, resource) in resources {
        let ty = resource["Type"].as_str().unwrap_or("?");
        let service = ty.split("::").nth(1).unwrap_or(ty).to_string();
        let next = clusters.len();
        let cluster = *clusters.entry(service.clone()).or_insert(next);
        if cluster == g.clusters.len() {
            g.cluster(service);
        }
        index.insert(id.as_str(), g.node(kind(ty), Some(cluster), id.clone(), vec![ty.to_string()]));
    }
    for (id, resource) in resources {
        let user = index[id.as_str()];
        let mapping = resource["Type"] == "AWS::Lambda::EventSourceMapping";
        if let Some(properties) = resource["Properties"].as_object() {
            for (property, value) in properties {
                let mut found = Vec::new();
                references(value, &mut found);
                for used in found.iter().filter_map(|r| index.get(r.as_str())) {
                    if mapping && property == "FunctionName" {
                        g.edge(user, *used, Some("invokes"));
                    } else {
                        g.edge(*used, user, Some(property));
                    }
                }
            }
        }
        let depends: Vec<&str> = match &resource["DependsOn"] {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for used in depends.iter().filter_map(|r| index.get(r)) {
            g.edge(*used, user, Some("DependsOn"));
        }
    }
    Ok(g)
}

/// The logical ids `value` refers to, in the order they appear.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("Ref", Value::String(id)) => out.push(id.clone()),
                    ("Fn::GetAtt", Value::Array(parts)) => {
                        out.extend(parts.first().and_then(Value::as_str).map(String::from));
                    }
                    ("Fn::GetAtt", Value::String(dotted)) => out.extend(dotted.split('.').next().map(String::from)),
                    ("Fn::Sub", Value::String(text)) => substitutions(text, out),
                    ("Fn::Sub", Value::Array(parts)) => {
                        if let Some(Value::String(text)) = parts.first() {
                            substitutions(text, out);
                        }
                        parts.iter().skip(1).for_each(|p| references(p, out));
                    }
                    _ => references(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

/// `${Id}` and `${Id.Attribute}` in a `Fn::Sub` string (`${!Literal}` is not a reference).
fn substitutions(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else { break };
        let name = &rest[start + 2..start + len];
        if !name.starts_with('!') {
            out.extend(name.split('.').next().map(String::from));
        }
        rest = &rest[start + len + 1..];
    }
}

fn kind(ty: &str) -> Kind {
    match ty {
        "AWS::Kinesis::Stream" => Kind::Stream,
        "AWS::Lambda::Function" => Kind::Rule,
        "AWS::DynamoDB::Table" => Kind::Store,
        "AWS::SNS::Topic" => Kind::Topic,
        "AWS::SNS::Subscription" => Kind::Subscriber,
        "AWS::KinesisFirehose::DeliveryStream" | "AWS::S3::Bucket" => Kind::Archive,
        "AWS::Lambda::Url" => Kind::Viewer,
        _ => Kind::Resource,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_reference_is_an_edge() {
        let template = serde_json::json!({"Resources": {
            "A": {"Type": "AWS::Kinesis::Stream"},
            "B": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["C", "Arn"]}}},
            "C": {"Type": "AWS::IAM::Role", "Properties": {"Policy": {"Fn::Sub": "${A.Arn}/x ${!Not} ${AWS::Region}"}}},
            "D": {"Type": "AWS::Lambda::EventSourceMapping", "DependsOn": "C",
                  "Properties": {"EventSourceArn": {"Fn::GetAtt": "A.Arn"}, "FunctionName": {"Ref": "B"}}},
        }});
        let g = graph("t", template.to_string().as_bytes()).unwrap();
        let edges: Vec<(String, String, String)> = g
            .edges
            .iter()
            .map(|e| (g.nodes[e.from].title.clone(), g.nodes[e.to].title.clone(), e.label.clone().unwrap()))
            .collect();
        let want = [
            ("C", "B", "Role"),
            ("A", "C", "Policy"),
            ("A", "D", "EventSourceArn"),
            ("D", "B", "invokes"),
            ("C", "D", "DependsOn"),
        ];
        let want: Vec<(String, String, String)> =
            want.iter().map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into())).collect();
        assert_eq!(edges, want);
        assert_eq!(g.clusters.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(), ["Kinesis", "Lambda", "IAM"]);
    }
}
