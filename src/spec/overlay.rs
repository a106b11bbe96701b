//! Per-environment overrides: the top-level `environments:` mapping holds partial specs that
//! `--env NAME` merges over the base. Mappings merge key by key; lists and scalars replace.

use crate::diagnostic::{Code, Diagnostic, Span, did_you_mean};
use crate::yaml::{Node, NodeKind};

/// Removes `environments:` from the root and returns it (name → overlay), keeping the order.
pub fn split(root: &mut Node) -> Option<(Span, Node)> {
    let NodeKind::Map(entries) = &mut root.kind else { return None };
    let index = entries.iter().position(|e| e.key == "environments")?;
    let entry = entries.remove(index);
    Some((entry.key_span, entry.value))
}

/// Merges environment `name` from `environments` into `root`.
///
/// # Errors
/// `unknown_environment` when the name is not defined (or `environments` is not a mapping).
pub fn apply(root: &mut Node, environments: Option<&(Span, Node)>, name: &str) -> Result<(), Diagnostic> {
    let names: Vec<&str> = match environments {
        Some((_, Node { kind: NodeKind::Map(entries), .. })) => entries.iter().map(|e| e.key.as_str()).collect(),
        _ => Vec::new(),
    };
    let overlay = environments.and_then(|(_, envs)| envs.get(name));
    let Some(overlay) = overlay else {
        let span = environments.map_or(Span::default(), |(key, _)| *key);
        let help = match (did_you_mean(name, names.iter().copied()), names.is_empty()) {
            (Some(close), _) => format!("did you mean `{close}`?"),
            (None, true) => "add an `environments:` mapping with this name to the spec".to_string(),
            (None, false) => format!("defined environments: {}", names.join(", ")),
        };
        let label =
            if names.is_empty() { "the spec defines no environments" } else { "the environments are defined here" };
        return Err(Diagnostic::error(
            Code::UnknownEnvironment,
            span,
            format!("environment `{name}` is not defined in the spec"),
        )
        .with_label(label)
        .with_help(help));
    };
    if !overlay.value.is_null() {
        merge(root, overlay.value.clone());
    }
    Ok(())
}

/// Deep merge: `over` wins; mappings merge recursively.
pub fn merge(base: &mut Node, over: Node) {
    match (&mut base.kind, over.kind) {
        (NodeKind::Map(base_entries), NodeKind::Map(over_entries)) => {
            for entry in over_entries {
                match base_entries.iter_mut().find(|e| e.key == entry.key) {
                    Some(existing) => merge(&mut existing.value, entry.value),
                    None => base_entries.push(entry),
                }
            }
        }
        (_, kind) => *base = Node { kind, span: over.span },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn merges_selected_environment() {
        let mut root =
            parse("stream:\n  shards: 1\n  retention: 24h\nenvironments:\n  prod:\n    stream: { shards: 4 }\n")
                .unwrap();
        let envs = split(&mut root);
        apply(&mut root, envs.as_ref(), "prod").unwrap();
        let stream = &root.get("stream").unwrap().value;
        let shards = &stream.get("shards").unwrap().value;
        assert!(matches!(&shards.kind, NodeKind::Scalar { value, .. } if value == "4"));
        assert!(stream.get("retention").is_some());
        assert!(root.get("environments").is_none());
        let err = apply(&mut root, envs.as_ref(), "prd").unwrap_err();
        assert_eq!(err.code, Code::UnknownEnvironment);
        assert_eq!(err.help.as_deref(), Some("did you mean `prod`?"));
    }
}
