//! What one test case's events did on a target, in one shape for every target: the local
//! evaluation and the generated Lambda handlers under moto both fill it, and [`super::compare`]
//! checks it against the expectations.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Per event (in the case's order): the names of the rules that flagged it, in spec order.
    pub flagged: Vec<Vec<String>>,
    /// Per event: the reason it was dead-lettered, if it was.
    pub dead_letters: Vec<Option<String>>,
    /// The rows of the table (without pipec's `_pipec_*` bookkeeping), in the order stored.
    pub stored: Vec<Map<String, Json>>,
    /// Every alert published, in the order sent.
    pub alerts: Vec<Alert>,
    /// Every window decision that flagged.
    pub windows: Vec<Window>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub topic: String,
    pub subject: String,
    /// The message body (JSON, see `crate::alert`).
    pub message: Json,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub rule: String,
    pub start: String,
    pub end: String,
    pub group: Map<String, Json>,
    /// `[{"aggregate": "count(*)", "value": 101}]`, as in the alert.
    pub aggregates: Vec<Json>,
}

impl Window {
    /// The aggregates as a mapping `count(*) → 101` (how a test file writes them).
    #[must_use]
    pub fn aggregate_map(&self) -> Map<String, Json> {
        self.aggregates
            .iter()
            .filter_map(|a| Some((a.get("aggregate")?.as_str()?.to_owned(), a.get("value")?.clone())))
            .collect()
    }
}
