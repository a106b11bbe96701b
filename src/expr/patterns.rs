//! One event-source mapping's filter list: the union of the rules' patterns (from
//! [`super::filter`]) and Lambda's limits on it. `check` warns with it and the AWS targets emit
//! it, so both count the same patterns.

use serde_json::Value as Json;

pub use super::filter::{MAX_PATTERN_CHARS, MAX_PATTERNS};

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
