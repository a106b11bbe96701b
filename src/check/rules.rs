//! Hot rules: the engine, windows, `group_by` fields and the topics they notify.

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::spec::keys::WINDOW_TUMBLING;
use crate::spec::{Spanned, Spec};

const RETIRED_ENGINES: &[&str] =
    &["kinesis-analytics", "kinesis_analytics", "kinesis-analytics-sql", "kinesisanalytics", "kda", "kda-sql", "sql"];

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let Some(hot) = &spec.hot else { return };
    if let Some(engine) = &hot.engine {
        engine_check(engine, d);
    }
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
        if let Some(window) = &rule.window {
            let allowed = WINDOW_TUMBLING.allowed();
            if !allowed.allows(window.tumbling.value.0) {
                d.push(
                    Diagnostic::error(
                        Code::OutOfRange,
                        window.tumbling.span,
                        "the window length is out of range",
                    )
                    .with_label(format!(
                        "a tumbling window lasts {} to {} ({}s), in whole seconds",
                        allowed.min,
                        allowed.max,
                        allowed.max.duration().seconds()
                    ))
                    .with_help(format!(
                        "Lambda tumbling windows end at {} seconds; for longer windows aggregate in the table instead",
                        allowed.max.duration().seconds()
                    )),
                );
            }
        } else if let Some(first) = rule.group_by.first() {
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

fn engine_check(engine: &Spanned<String>, d: &mut Vec<Diagnostic>) {
    let name = engine.value.to_ascii_lowercase();
    if name == "lambda" {
        return;
    }
    if RETIRED_ENGINES.contains(&name.as_str()) {
        d.push(
            Diagnostic::error(Code::KinesisAnalyticsRetired, engine.span, "Kinesis Data Analytics for SQL is retired")
                .with_label("no new applications since 2025-10-15; AWS deletes them from 2026-01-27")
                .with_help("use `engine: lambda` (the default): rules run in Lambda behind filters and tumbling windows; see `pipec explain kinesis_analytics_retired`"),
        );
    } else if name == "flink" {
        d.push(
            Diagnostic::error(Code::UnsupportedEngine, engine.span, "the Flink engine is not supported yet")
                .with_label("needs a packaged application artifact pipec does not build")
                .with_help("use `engine: lambda` (the default)"),
        );
    } else {
        d.push(
            Diagnostic::error(Code::InvalidValue, engine.span, format!("`{}` is not an engine", engine.value))
                .with_label("expected `lambda`")
                .with_help("use `engine: lambda` (the default)"),
        );
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
