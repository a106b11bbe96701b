//! Names that become AWS resource names or logical ids: their characters, lengths and
//! uniqueness (also after the normalisation that logical ids need).

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::spec::{Spanned, Spec};

/// Pipeline, rule and topic names: they prefix resource names and form logical ids.
#[must_use]
pub fn is_identifier(name: &str) -> bool {
    is_identifier_within(name, 64)
}

/// The pipeline name prefixes function names (64 characters at most), so it is kept shorter.
pub const MAX_PIPELINE_NAME: usize = 40;

fn is_identifier_within(name: &str, max: usize) -> bool {
    let mut chars = name.chars();
    (1..=max).contains(&name.len())
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The stream and table names as AWS allows them: `[A-Za-z0-9_.-]`.
fn is_resource_name(name: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// The logical-id form of a name: alphanumerics only, case-folded (two names that differ only
/// in punctuation or case would collide).
pub fn logical_key(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase()
}

fn identifier(name: &Spanned<String>, what: &str, max: usize, d: &mut Vec<Diagnostic>) {
    if !is_identifier_within(&name.value, max) {
        d.push(
            Diagnostic::error(Code::InvalidName, name.span, format!("`{}` is not a valid {what} name", name.value))
                .with_label(format!("1–{max} of `a-z A-Z 0-9 - _`, starting with a letter"))
                .with_help(format!("rename it, for example `{}`", suggest(&name.value))),
        );
    }
}

fn suggest(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    let trimmed = cleaned.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    let mut out: String = if trimmed.is_empty() { format!("p{cleaned}") } else { trimmed.to_string() };
    out.truncate(MAX_PIPELINE_NAME);
    out.trim_end_matches(['-', '_']).to_string()
}

fn unique<'a>(names: impl IntoIterator<Item = &'a Spanned<String>>, what: &str, d: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<String, &Spanned<String>> = HashMap::new();
    for name in names {
        match seen.get(&logical_key(&name.value)) {
            Some(first) if first.value == name.value => d.push(
                Diagnostic::error(Code::DuplicateName, name.span, format!("{what} `{}` is defined twice", name.value))
                    .with_label("second definition")
                    .with_secondary(first.span, "first defined here")
                    .with_help(format!("{what} names must be unique; rename one of them")),
            ),
            Some(first) => d.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    name.span,
                    format!("{what} `{}` and `{}` would get the same resource id", name.value, first.value),
                )
                .with_label("collides after removing punctuation and case")
                .with_secondary(first.span, "with this one")
                .with_help("resource ids keep only letters and digits, case-insensitively; rename one of them"),
            ),
            None => {
                seen.insert(logical_key(&name.value), name);
            }
        }
    }
}

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    identifier(&spec.name, "pipeline", MAX_PIPELINE_NAME, d);
    if let Some(name) = &spec.stream.name
        && !is_resource_name(&name.value, 1, 128)
    {
        d.push(
            Diagnostic::error(Code::InvalidName, name.span, format!("`{}` is not a valid stream name", name.value))
                .with_label("Kinesis allows 1–128 of `a-z A-Z 0-9 _ . -`")
                .with_help("rename the stream, or remove `name` to use the pipeline's name"),
        );
    }
    if let Some(table) = spec.hot.as_ref().and_then(|h| h.store.as_ref()).and_then(|s| s.table.as_ref())
        && !is_resource_name(&table.value, 3, 255)
    {
        d.push(
            Diagnostic::error(Code::InvalidName, table.span, format!("`{}` is not a valid table name", table.value))
                .with_label("DynamoDB allows 3–255 of `a-z A-Z 0-9 _ . -`")
                .with_help("rename the table, or remove `table` to use `<name>-flagged`"),
        );
    }
    let rules = spec.hot.iter().flat_map(|h| &h.rules);
    for rule in rules.clone() {
        identifier(&rule.name, "rule", 64, d);
    }
    unique(rules.map(|r| &r.name), "rule", d);
    for topic in &spec.notifications {
        identifier(&topic.name, "topic", 64, d);
    }
    unique(spec.notifications.iter().map(|t| &t.name), "topic", d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("high-transaction_2"));
        assert!(!is_identifier("2fast"));
        assert!(!is_identifier("has space"));
        assert!(!is_identifier(&"a".repeat(65)));
        assert_eq!(suggest("2 fast!"), "fast");
        assert_eq!(logical_key("High-Value"), logical_key("high_value"));
    }
}
