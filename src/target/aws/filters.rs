//! Event-source-mapping filters for the hot function: the union of every per-record rule's
//! patterns, or none when any rule cannot be expressed or the union exceeds Lambda's limits
//! (then the handler sees every record — filters are only an optimisation). `check` warns
//! with the same union and limits.

use crate::expr::filter;
use crate::expr::patterns::{union, within_limits};
use crate::ir::Pipeline;

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
