//! A change set as plain data: what happens to each resource, and which changes lose data
//! (a Kinesis stream, S3 bucket or `DynamoDB` table replaced or removed).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Add,
    Modify,
    Remove,
    Import,
    Dynamic,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replacement {
    No,
    /// `CloudFormation` decides during the update (it depends on a value not known before).
    Conditional,
    Yes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub action: Action,
    pub logical_id: String,
    pub resource_type: String,
    pub replacement: Replacement,
    /// Changed properties (names), in the change set's order, without repeats.
    pub properties: Vec<String>,
    /// The Retain policy that applies to this change keeps the old resource.
    pub retained: bool,
}

/// The kind of data a resource type holds, for data stores.
#[must_use]
pub(crate) fn data_store(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "AWS::Kinesis::Stream" => Some("stream"),
        "AWS::S3::Bucket" => Some("bucket"),
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => Some("table"),
        _ => None,
    }
}

impl Change {
    /// Replaced (or possibly replaced) when executed.
    pub(crate) fn replaces(&self) -> bool {
        self.action == Action::Modify && self.replacement != Replacement::No
    }

    /// What a data-loss warning says, when this change loses or may lose stored data.
    pub(crate) fn data_loss(&self) -> Option<String> {
        let what = data_store(&self.resource_type)?;
        let may = if self.replacement == Replacement::Conditional { "may be" } else { "is" };
        match self.action {
            Action::Remove if self.retained => None,
            Action::Remove => Some(format!("the {what} is deleted with its data")),
            Action::Modify if self.replaces() && self.retained => Some(format!(
                "the {what} {may} replaced by a new, empty one (the old one is kept, detached, by its \
                 UpdateReplacePolicy)"
            )),
            Action::Modify if self.replaces() => {
                Some(format!("the {what} {may} replaced by a new, empty one and the old one deleted with its data"))
            }
            _ => None,
        }
    }
}

/// Counts for the summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub add: usize,
    pub modify: usize,
    pub replace: usize,
    pub remove: usize,
    pub other: usize,
    pub data_loss: usize,
}

pub(crate) fn summary(changes: &[Change]) -> Summary {
    let mut s = Summary::default();
    for c in changes {
        match c.action {
            Action::Add => s.add += 1,
            Action::Modify => s.modify += 1,
            Action::Remove => s.remove += 1,
            Action::Import | Action::Dynamic | Action::Other => s.other += 1,
        }
        s.replace += usize::from(c.replaces());
        s.data_loss += usize::from(c.data_loss().is_some());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn change(action: Action, id: &str, ty: &str, replacement: Replacement, retained: bool) -> Change {
        Change { action, logical_id: id.into(), resource_type: ty.into(), replacement, properties: vec![], retained }
    }

    #[test]
    fn replacing_a_table_loses_data() {
        let c = change(Action::Modify, "T", "AWS::DynamoDB::Table", Replacement::Yes, false);
        assert!(c.data_loss().unwrap().contains("table is replaced"));
        let c = change(Action::Modify, "T", "AWS::DynamoDB::Table", Replacement::Conditional, true);
        assert!(c.data_loss().unwrap().contains("may be replaced"));
    }

    #[test]
    fn removing_a_retained_bucket_keeps_it() {
        assert_eq!(change(Action::Remove, "B", "AWS::S3::Bucket", Replacement::No, true).data_loss(), None);
        assert!(change(Action::Remove, "B", "AWS::S3::Bucket", Replacement::No, false).data_loss().is_some());
    }

    #[test]
    fn modifying_in_place_or_other_types_is_safe() {
        assert_eq!(change(Action::Modify, "S", "AWS::Kinesis::Stream", Replacement::No, false).data_loss(), None);
        assert_eq!(change(Action::Remove, "Q", "AWS::SQS::Queue", Replacement::No, false).data_loss(), None);
    }

    #[test]
    fn summary_counts() {
        let s = summary(&[
            change(Action::Add, "A", "AWS::SQS::Queue", Replacement::No, false),
            change(Action::Modify, "S", "AWS::Kinesis::Stream", Replacement::Yes, false),
            change(Action::Remove, "B", "AWS::S3::Bucket", Replacement::No, false),
        ]);
        assert_eq!(s, Summary { add: 1, modify: 1, replace: 1, remove: 1, other: 0, data_loss: 2 });
    }
}
