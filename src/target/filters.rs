//! Event-source-mapping filters for the hot function: the union of every per-record rule's
//! patterns, or none when any rule cannot be expressed or the union exceeds Lambda's limits
//! (then the handler sees every record — filters are only an optimisation). `check` warns
//! with the same union and limits.

use serde_json::Value as Json;

use crate::expr::filter;
pub use crate::expr::filter::{MAX_PATTERN_CHARS, MAX_PATTERNS};
use crate::ir::Pipeline;

/// The patterns as JSON texts, duplicates removed, in first-seen order.
pub fn union(patterns: impl IntoIterator<Item = Json>) -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    for pattern in patterns {
        let text = pattern.to_string();
        if !texts.contains(&text) {
            texts.push(text);
        }
    }
    texts
}

/// Whether one mapping can carry these patterns.
#[must_use]
pub fn within_limits(texts: &[String]) -> bool {
    texts.len() <= MAX_PATTERNS && texts.iter().all(|t| t.chars().count() <= MAX_PATTERN_CHARS)
}

/// The filter patterns as JSON texts, or `None` for "no filter".
#[must_use]
pub fn record_filters(p: &Pipeline) -> Option<Vec<String>> {
    let mut patterns = Vec::new();
    for rule in p.record_rules() {
        patterns.extend(filter::filter_patterns(&rule.when, &p.stream.schema)?);
    }
    let texts = union(patterns);
    (!texts.is_empty() && within_limits(&texts)).then_some(texts)
}
