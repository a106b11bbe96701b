//! Hot rules: `group_by` fields and the topics they notify (the engine and windows: `engine.rs`).

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::spec::{Spanned, Spec};

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let Some(hot) = &spec.hot else { return };
    let topics: Vec<&str> = spec.notifications.iter().map(|t| t.name.value.as_str()).collect();
    for rule in &hot.rules {
        for topic in &rule.notify {
            if !topics.contains(&topic.value.as_str()) {
                let help = match did_you_mean(&topic.value, topics.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if topics.is_empty() => format!(
                        "define it under `notifications:`, e.g. `{}: {{ email: [ops@example.com] }}`",
                        topic.value
                    ),
                    None => format!("defined topics: {}", topics.join(", ")),
                };
                d.push(
                    Diagnostic::error(
                        Code::UnknownTopic,
                        topic.span,
                        format!("rule `{}` notifies unknown topic `{}`", rule.name.value, topic.value),
                    )
                    .with_label("not defined under `notifications`")
                    .with_help(help),
                );
            }
        }
        if rule.window.is_none()
            && let Some(first) = rule.group_by.first()
        {
            d.push(
                Diagnostic::error(Code::InvalidValue, first.span, "`group_by` needs a window")
                    .with_label("grouping without a window")
                    .with_help("add `window: { tumbling: 1m }` to the rule, or remove `group_by`"),
            );
        }
        for field in &rule.group_by {
            record_field(spec, field, "group_by", d);
        }
    }
}

/// Reports a name that is not a record field.
pub fn record_field(spec: &Spec, name: &Spanned<String>, role: &str, d: &mut Vec<Diagnostic>) -> bool {
    if spec.stream.record.iter().any(|f| f.name.value == name.value) {
        return true;
    }
    let fields = spec.stream.record.iter().map(|f| f.name.value.as_str());
    let help = did_you_mean(&name.value, fields).map_or_else(
        || "use a field declared under `stream.record`".to_string(),
        |close| format!("did you mean `{close}`?"),
    );
    d.push(
        Diagnostic::error(
            Code::UnknownRecordField,
            name.span,
            format!("`{}` in `{role}` is not a record field", name.value),
        )
        .with_label("not declared under `stream.record`")
        .with_help(help),
    );
    false
}
