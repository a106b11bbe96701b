//! Event-source-mapping filters for the hot function: the union of every per-record rule's
//! patterns, or none when any rule cannot be expressed or the union exceeds Lambda's limits
//! (then the handler sees every record — filters are only an optimisation).

use crate::expr::filter;
use crate::ir::Pipeline;

/// Filters per mapping (Lambda's default quota).
pub const MAX_FILTERS: usize = 5;
/// Characters per pattern.
pub const MAX_PATTERN_CHARS: usize = 4096;

/// The filter patterns as JSON texts, or `None` for "no filter".
#[must_use]
pub fn record_filters(p: &Pipeline) -> Option<Vec<String>> {
    let mut texts: Vec<String> = Vec::new();
    for rule in p.record_rules() {
        for pattern in filter::filter_patterns(&rule.when, &p.stream.schema)? {
            let text = pattern.to_string();
            if !texts.contains(&text) {
                texts.push(text);
            }
        }
    }
    let fits = texts.len() <= MAX_FILTERS && texts.iter().all(|t| t.chars().count() <= MAX_PATTERN_CHARS);
    (!texts.is_empty() && fits).then_some(texts)
}
