//! A test file as read: cases, their expanded input events and their expectations. Every
//! expectation keeps its YAML node, so a failure points at the line that expected it.

use std::collections::BTreeMap;

use crate::diagnostic::Span;
use crate::source::Source;
use crate::yaml::Node;

/// One test file (`*.tests.yaml`).
#[derive(Debug)]
pub struct TestFile {
    pub source: Source,
    pub cases: Vec<Case>,
}

/// One test case: events in, expectations out.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    /// The case's `name:` value (where a failing case is shown).
    pub name_span: Span,
    /// `now()` for every record of the case, in ms since the epoch.
    pub now_ms: i64,
    /// The events in arrival order, each `repeat` expanded.
    pub events: Vec<Event>,
    /// Event reference (its `name`, else its 1-based position or line) → indices in `events`.
    pub refs: BTreeMap<String, Vec<usize>>,
    pub expect: Expect,
}

/// One input event as the stream would receive it.
#[derive(Clone, Debug)]
pub struct Event {
    /// The record's bytes (a JSON object, or any text for a `raw:` event).
    pub bytes: Vec<u8>,
    /// Arrival time in ms since the epoch (the log's append time: windows follow it).
    pub arrival_ms: i64,
    /// The reference expectations use for it.
    pub reference: String,
}

/// What must happen. A section left out is not checked.
#[derive(Debug, Default)]
pub struct Expect {
    /// Event reference → the rules that must flag it (exactly), with the reference's span.
    pub flagged: Option<Section<Flagged>>,
    /// Stored rows (each a mapping holding at least the table key).
    pub stored: Option<Section<Node>>,
    /// Topic → what it receives.
    pub alerts: Option<Section<TopicAlerts>>,
    pub dead_letters: Option<Section<DeadLetter>>,
    pub windows: Option<Section<WindowDecision>>,
}

/// A list of expectations that is complete: what it does not list must not happen.
#[derive(Debug)]
pub struct Section<T> {
    /// The section's key (`stored:`), where "unexpected" failures point.
    pub span: Span,
    pub items: Vec<T>,
}

#[derive(Debug)]
pub struct Flagged {
    pub event: String,
    pub span: Span,
    pub rules: Vec<String>,
    pub rules_span: Span,
}

#[derive(Debug)]
pub struct TopicAlerts {
    pub topic: String,
    pub span: Span,
    /// Only a count, or messages (each a partial message; the count is their number).
    pub count: usize,
    pub count_span: Span,
    pub messages: Vec<Node>,
}

#[derive(Debug)]
pub struct DeadLetter {
    pub event: String,
    pub span: Span,
    /// Matches a reason that starts with it (`not JSON` matches every parser's wording).
    pub reason: Option<(String, Span)>,
}

#[derive(Debug)]
pub struct WindowDecision {
    pub rule: String,
    pub span: Span,
    /// The group's values (a partial mapping), the window's bounds and aggregates, as written.
    pub group: Node,
    pub start: Option<Node>,
    pub end: Option<Node>,
    /// `count(*): 101` … (a partial mapping).
    pub aggregates: Option<Node>,
}
