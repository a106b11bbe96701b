//! Resource names and logical ids derived from the pipeline, shared by every cloud target so
//! that CloudFormation and Terraform name things the same way.

use crate::ir::Pipeline;

/// `high-transactions` → `HighTransactions` (CloudFormation logical ids are alphanumeric).
#[must_use]
pub fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars.next().map_or_else(String::new, |c| c.to_ascii_uppercase().to_string() + chars.as_str())
        })
        .collect()
}

/// `high-transactions` → `high_transactions` (Terraform resource labels).
#[must_use]
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('_') {
            out.push('_');
        }
        out.push(if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' });
    }
    out
}

/// Function names: `<pipeline>-hot`, `<pipeline>-win-<n>`, `<pipeline>-viewer` (≤ 64 chars,
/// since pipeline names are ≤ 40).
#[must_use]
pub fn hot_function(p: &Pipeline) -> String {
    format!("{}-hot", p.name)
}

#[must_use]
pub fn window_function(p: &Pipeline, index: usize) -> String {
    format!("{}-window-{}", p.name, index + 1)
}

#[must_use]
pub fn viewer_function(p: &Pipeline) -> String {
    format!("{}-viewer", p.name)
}

/// The table of window decisions.
#[must_use]
pub fn windows_table(p: &Pipeline) -> String {
    format!("{}-windows", p.name)
}

#[must_use]
pub fn topic(p: &Pipeline, topic: &str) -> String {
    format!("{}-{topic}", p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casing() {
        assert_eq!(pascal("high-transactions"), "HighTransactions");
        assert_eq!(pascal("a_b-c9"), "ABC9");
        assert_eq!(snake("highTransactions-x"), "high_transactions_x");
    }
}
