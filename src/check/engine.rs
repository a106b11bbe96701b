//! The engine that runs the hot rules, and what each one can run: `lambda` (per shard, arrival
//! time, tumbling windows up to 15m) or `flink` (event time over the whole stream: tumbling,
//! sliding and session windows, `event_time`, `allowed_lateness`). Every refusal points at the
//! key the engine cannot run.

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::expr::{Expr, RecordSchema, ValueType};
use crate::spec::keys::{FLINK_WINDOW, HOT_ALLOWED_LATENESS, HOT_ENGINE, WINDOW_TUMBLING};
use crate::spec::units::Duration;
use crate::spec::{ExprText, Hot, Spanned, Spec, Window};

const RETIRED_ENGINES: &[&str] =
    &["kinesis-analytics", "kinesis_analytics", "kinesis-analytics-sql", "kinesisanalytics", "kda", "kda-sql", "sql"];

/// The engines pipec lowers hot rules to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineName {
    Lambda,
    Flink,
}

/// The engine a `hot` section names (`None` for a name that is refused).
#[must_use]
pub fn engine_of(hot: &Hot) -> Option<EngineName> {
    let name =
        hot.engine.as_ref().map_or_else(|| HOT_ENGINE.default_text().to_owned(), |e| e.value.to_ascii_lowercase());
    match name.as_str() {
        "lambda" => Some(EngineName::Lambda),
        "flink" => Some(EngineName::Flink),
        _ => None,
    }
}

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let Some(hot) = &spec.hot else { return };
    match engine_of(hot) {
        Some(EngineName::Lambda) => lambda(hot, d),
        Some(EngineName::Flink) => flink(spec, hot, d),
        None => {
            if let Some(engine) = &hot.engine {
                unknown_engine(engine, d);
            }
        }
    }
}

fn unknown_engine(engine: &Spanned<String>, d: &mut Vec<Diagnostic>) {
    let name = engine.value.to_ascii_lowercase();
    if RETIRED_ENGINES.contains(&name.as_str()) {
        d.push(
            Diagnostic::error(Code::KinesisAnalyticsRetired, engine.span, "Kinesis Data Analytics for SQL is retired")
                .with_label("no new applications since 2025-10-15; AWS deletes them from 2026-01-27")
                .with_help("use `engine: flink` (Managed Service for Apache Flink, its successor) or `engine: lambda` (the default); see `pipec explain kinesis_analytics_retired`"),
        );
    } else {
        d.push(
            Diagnostic::error(Code::InvalidValue, engine.span, format!("`{}` is not an engine", engine.value))
                .with_label("expected `lambda` or `flink`")
                .with_help("use `engine: lambda` (the default) or `engine: flink`"),
        );
    }
}

fn not_on_lambda(span: Span, what: &str, label: &str, d: &mut Vec<Diagnostic>) {
    d.push(
        Diagnostic::error(Code::UnsupportedEngine, span, format!("the lambda engine cannot run {what}"))
            .with_label(label.to_owned())
            .with_help("add `engine: flink` (with `event_time`) under `hot`, or remove it; see `pipec explain unsupported_engine`"),
    );
}

fn lambda(hot: &Hot, d: &mut Vec<Diagnostic>) {
    if let Some(field) = &hot.event_time {
        not_on_lambda(field.span, "`event_time`", "Lambda windows count in arrival time, per shard", d);
    }
    if let Some(lateness) = &hot.allowed_lateness {
        not_on_lambda(lateness.span, "`allowed_lateness`", "Lambda windows count in arrival time: nothing is late", d);
    }
    for window in hot.rules.iter().filter_map(|r| r.window.as_ref()) {
        if let Some(sliding) = &window.sliding {
            not_on_lambda(sliding.span, "a sliding window", "Lambda has tumbling windows only", d);
        }
        if let Some(session) = &window.session {
            not_on_lambda(session.span, "a session window", "Lambda has tumbling windows only", d);
        }
        if let Some(tumbling) = &window.tumbling {
            let allowed = WINDOW_TUMBLING.allowed();
            if !allowed.allows(tumbling.value.0) {
                d.push(
                    Diagnostic::error(Code::OutOfRange, tumbling.span, "the window length is out of range")
                        .with_label(format!(
                            "a tumbling window lasts {} to {} ({}s), in whole seconds",
                            allowed.min,
                            allowed.max,
                            allowed.max.duration().seconds()
                        ))
                        .with_help(format!(
                            "Lambda tumbling windows end at {} seconds; for longer windows use `engine: flink`",
                            allowed.max.duration().seconds()
                        )),
                );
            }
        }
    }
}

fn flink(spec: &Spec, hot: &Hot, d: &mut Vec<Diagnostic>) {
    event_time(spec, hot, d);
    let allowed = HOT_ALLOWED_LATENESS.allowed();
    if let Some(lateness) = &hot.allowed_lateness
        && !allowed.allows(lateness.value.0)
    {
        d.push(
            Diagnostic::error(Code::OutOfRange, lateness.span, "the allowed lateness is out of range")
                .with_label(format!("{} to {}, in whole seconds", allowed.min, allowed.max))
                .with_help("windows stay open this long after they end; keep it short, e.g. `30s`"),
        );
    }
    for window in hot.rules.iter().filter_map(|r| r.window.as_ref()) {
        flink_window(window, d);
    }
}

fn event_time(spec: &Spec, hot: &Hot, d: &mut Vec<Diagnostic>) {
    let Some(name) = &hot.event_time else {
        let at = hot.engine.as_ref().map_or(hot.span, |e| e.span);
        d.push(
            Diagnostic::error(Code::InvalidEventTime, at, "the flink engine needs `event_time`")
                .with_label("which field says when an event happened?")
                .with_help("add `event_time: FIELD` under `hot`, naming a required timestamp field of `stream.record`"),
        );
        return;
    };
    if !super::rules::record_field(spec, name, "event_time", d) {
        return;
    }
    let Some(field) = spec.stream.record.iter().find(|f| f.name.value == name.value) else { return };
    if field.ty.value != ValueType::Timestamp {
        d.push(
            Diagnostic::error(Code::InvalidEventTime, name.span, format!("`{}` is not a timestamp", name.value))
                .with_label(format!("declared as {}", field.ty.value))
                .with_help("name a field of type `timestamp`"),
        );
    } else if !field.required {
        d.push(
            Diagnostic::error(Code::InvalidEventTime, name.span, format!("`{}` is optional", name.value))
                .with_label("a record without an event time belongs to no window")
                .with_help("declare it required (`timestamp`, without `?`)"),
        );
    }
}

fn length(value: &Spanned<Duration>, what: &str, d: &mut Vec<Diagnostic>) -> Option<u64> {
    if FLINK_WINDOW.allows(value.value.0) {
        return Some(value.value.seconds());
    }
    d.push(
        Diagnostic::error(Code::OutOfRange, value.span, format!("the {what} is out of range"))
            .with_label(format!("{} to {}, in whole seconds", FLINK_WINDOW.min, FLINK_WINDOW.max))
            .with_help(format!(
                "Flink keeps a window's records until it closes; use whole seconds up to {}",
                FLINK_WINDOW.max
            )),
    );
    None
}

fn flink_window(w: &Window, d: &mut Vec<Diagnostic>) {
    if let Some(t) = &w.tumbling {
        length(t, "window length", d);
    }
    if let Some(s) = &w.session {
        length(s, "session gap", d);
    }
    if let (Some(size), Some(slide)) = (&w.sliding, &w.slide) {
        let (size_s, slide_s) = (length(size, "window length", d), length(slide, "slide", d));
        if let (Some(size_s), Some(slide_s)) = (size_s, slide_s)
            && (slide_s > size_s || !size_s.is_multiple_of(slide_s))
        {
            d.push(
                Diagnostic::error(Code::OutOfRange, slide.span, "the slide does not divide the window length")
                    .with_label(format!("{size_s}s is not a whole multiple of {slide_s}s"))
                    .with_help("Flink's HOP windows need the length to be a whole multiple of the slide, e.g. `sliding: 10m, slide: 1m`"),
            );
        }
    }
}

/// Reports the first part of a rule's condition that has no exact Flink SQL spelling.
pub fn flink_sql(parsed: &Expr, schema: &RecordSchema, text: &ExprText, d: &mut Vec<Diagnostic>) {
    if let Err(refusal) = crate::expr::sql::lower(parsed, schema) {
        d.push(
            Diagnostic::error(Code::NotInFlinkSql, text.file_span(refusal.span), "no exact Flink SQL for this")
                .with_label(refusal.reason)
                .with_help(
                    "rewrite the condition without it, or use `engine: lambda`; see `pipec explain not_in_flink_sql`",
                ),
        );
    }
}
