//! A stack event and how an operation ended: what [`super::events`] collects and
//! [`super::render`] shows.

#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub id: String,
    /// RFC 3339.
    pub time: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

impl Event {
    pub(crate) fn is_stack(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }

    pub(crate) fn failed(&self) -> bool {
        self.status.ends_with("_FAILED")
    }
}

/// How an operation ended.
pub(crate) struct Outcome {
    pub status: String,
    pub reason: Option<String>,
    /// The events of this operation, oldest first.
    pub events: Vec<Event>,
}
