//! Checks one case's [`Outcome`] against its expectations. Every section is complete: what it
//! does not list must not have happened; inside one row, message or window only the fields
//! written are checked (see [`super::value`]). Each failure is a diagnostic on the expectation
//! it breaks, with the expected and actual values (a `-`/`+` diff in its help).

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use super::model::{Case, Section};
use super::outcome::{Alert, Outcome, Window};
use super::value::{Mismatch, mismatches, same, show, to_json};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::ir::Pipeline;
use crate::yaml::Node;

/// One expectation that did not hold.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    #[serde(skip)]
    pub diagnostic: Diagnostic,
    /// What the test file expects and what happened, as JSON (`null` when absent).
    pub expected: Json,
    pub got: Json,
}

/// Every failure of `case` given what happened.
#[must_use]
pub fn compare(pipeline: &Pipeline, case: &Case, outcome: &Outcome) -> Vec<Failure> {
    let mut out = Vec::new();
    let cx = Cx { case, outcome };
    if let Some(section) = &case.expect.flagged {
        cx.flagged(section, &mut out);
    }
    if let Some(section) = &case.expect.stored {
        cx.stored(pipeline, section, &mut out);
    }
    if let Some(section) = &case.expect.alerts {
        cx.alerts(section, &mut out);
    }
    if let Some(section) = &case.expect.dead_letters {
        cx.dead_letters(section, &mut out);
    }
    if let Some(section) = &case.expect.windows {
        cx.windows(section, &mut out);
    }
    out.sort_by_key(|f| f.diagnostic.span());
    out
}

struct Cx<'a> {
    case: &'a Case,
    outcome: &'a Outcome,
}

fn failure(span: Span, message: String, expected: Json, got: Json) -> Failure {
    Failure { diagnostic: Diagnostic::error(Code::TestFailed, span, message), expected, got }
}

/// `- expected` / `+ got` lines, one pair per mismatch.
fn diff(found: &[Mismatch]) -> String {
    let mut text = String::from("expected (-) vs got (+):");
    for m in found {
        let name = if m.path.is_empty() { String::new() } else { format!("{}: ", m.path) };
        text.push_str(&format!("\n- {name}{}\n+ {name}{}", show(Some(&m.expected)), show(m.got.as_ref())));
    }
    text
}

/// A diagnostic with one label per mismatch, the first primary.
fn mismatch_failure(found: &[Mismatch], message: String, expected: Json, got: Json) -> Failure {
    let mut f = failure(found[0].span, message, expected, got);
    let label = |m: &Mismatch| format!("got {}", show(m.got.as_ref()));
    f.diagnostic = f.diagnostic.with_label(label(&found[0]));
    for m in &found[1..] {
        f.diagnostic = f.diagnostic.with_secondary(m.span, label(m));
    }
    f.diagnostic = f.diagnostic.with_help(diff(found));
    f
}

fn alerts(n: usize) -> String {
    format!("{n} alert{}", if n == 1 { "" } else { "s" })
}

fn names(list: &[String]) -> String {
    if list.is_empty() { "no rule".to_owned() } else { format!("`{}`", list.join("`, `")) }
}

impl Cx<'_> {
    fn copies(&self, reference: &str) -> &[usize] {
        self.case.refs.get(reference).map_or(&[], Vec::as_slice)
    }

    fn flagged(&self, section: &Section<super::model::Flagged>, out: &mut Vec<Failure>) {
        let mut listed = vec![false; self.case.events.len()];
        for item in &section.items {
            let mut want = item.rules.clone();
            want.sort();
            for &i in self.copies(&item.event) {
                listed[i] = true;
                let mut got = self.outcome.flagged[i].clone();
                got.sort();
                if got != want {
                    let f = failure(
                        item.rules_span,
                        format!("event `{}` was flagged by {}, expected {}", item.event, names(&got), names(&want)),
                        json!(want),
                        json!(got),
                    );
                    let diagnostic = f
                        .diagnostic
                        .with_label(format!("got {}", show(Some(&json!(got)))))
                        .with_secondary(item.span, "this event")
                        .with_help(format!(
                            "expected (-) vs got (+):\n- {}\n+ {}",
                            show(Some(&json!(want))),
                            show(Some(&json!(got)))
                        ));
                    out.push(Failure { diagnostic, ..f });
                    break;
                }
            }
        }
        self.unlisted(
            section.span,
            &listed,
            |i| !self.outcome.flagged[i].is_empty(),
            "flagged",
            out,
            |i| format!("by {}", names(&self.outcome.flagged[i])),
        );
    }

    /// One failure per event reference that happened but is not listed.
    fn unlisted(
        &self,
        span: Span,
        listed: &[bool],
        happened: impl Fn(usize) -> bool,
        what: &str,
        out: &mut Vec<Failure>,
        detail: impl Fn(usize) -> String,
    ) {
        let mut seen = Vec::new();
        for (i, event) in self.case.events.iter().enumerate() {
            if listed[i] || !happened(i) || seen.contains(&&event.reference) {
                continue;
            }
            seen.push(&event.reference);
            let f = failure(
                span,
                format!("event `{}` was {what} {}, but `{what}:` does not list it", event.reference, detail(i)),
                Json::Null,
                json!(detail(i)),
            );
            let diagnostic =
                f.diagnostic.with_label(format!("event `{}` is missing here", event.reference)).with_help(format!(
                    "list it under `{what}:` if that is right, or fix the rule; every `{what}` event must be listed"
                ));
            out.push(Failure { diagnostic, ..f });
        }
    }

    fn stored(&self, pipeline: &Pipeline, section: &Section<Node>, out: &mut Vec<Failure>) {
        let Some(store) = &pipeline.store else { return };
        let keys: Vec<&str> = std::iter::once(store.partition.name.as_str())
            .chain(store.sort.as_ref().map(|k| k.name.as_str()))
            .collect();
        let key_of = |row: &Map<String, Json>| -> Vec<Json> {
            keys.iter().map(|k| row.get(*k).cloned().unwrap_or(Json::Null)).collect()
        };
        let key_text = |values: &[Json]| -> String {
            keys.iter().zip(values).map(|(k, v)| format!("{k}={}", show(Some(v)))).collect::<Vec<_>>().join(", ")
        };
        let mut used = vec![false; self.outcome.stored.len()];
        for row in &section.items {
            let Ok(Json::Object(expected)) = to_json(row) else { continue };
            let want = key_of(&expected);
            let found =
                self.outcome.stored.iter().position(|got| key_of(got).iter().zip(&want).all(|(a, b)| same(a, b)));
            let Some(index) = found else {
                let stored: Vec<String> = self.outcome.stored.iter().map(|r| key_text(&key_of(r))).collect();
                let f = failure(
                    row.span,
                    format!("no row was stored with {}", key_text(&want)),
                    Json::Object(expected),
                    Json::Null,
                );
                let help = if stored.is_empty() {
                    "nothing was stored".to_owned()
                } else {
                    format!("stored rows: {}", stored.join("; "))
                };
                out.push(Failure { diagnostic: f.diagnostic.with_label("expected this row").with_help(help), ..f });
                continue;
            };
            used[index] = true;
            let got = Json::Object(self.outcome.stored[index].clone());
            let found = mismatches(row, Some(&got));
            if !found.is_empty() {
                let fields: Vec<&str> = found.iter().map(|m| m.path.as_str()).collect();
                out.push(mismatch_failure(
                    &found,
                    format!("the row {} differs in `{}`", key_text(&want), fields.join("`, `")),
                    Json::Object(expected),
                    got,
                ));
            }
        }
        for (row, _) in self.outcome.stored.iter().zip(&used).filter(|(_, used)| !**used) {
            let f = failure(
                section.span,
                format!("the row {} was stored, but `stored:` does not list it", key_text(&key_of(row))),
                Json::Null,
                Json::Object(row.clone()),
            );
            let diagnostic =
                f.diagnostic.with_label("a row is missing here").with_help(format!("stored: {}", show(Some(&f.got))));
            out.push(Failure { diagnostic, ..f });
        }
    }

    fn alerts(&self, section: &Section<super::model::TopicAlerts>, out: &mut Vec<Failure>) {
        let with_subject = |a: &Alert| {
            let mut message = a.message.clone();
            if let Json::Object(map) = &mut message {
                map.insert("subject".into(), Json::String(a.subject.clone()));
            }
            message
        };
        for expected in &section.items {
            let got: Vec<&Alert> = self.outcome.alerts.iter().filter(|a| a.topic == expected.topic).collect();
            if got.len() != expected.count {
                let subjects: Vec<String> = got.iter().take(5).map(|a| a.subject.clone()).collect();
                let f = failure(
                    expected.count_span,
                    format!("topic `{}` received {}, expected {}", expected.topic, alerts(got.len()), expected.count),
                    json!(expected.count),
                    json!(got.len()),
                );
                let help = if subjects.is_empty() {
                    "no alert was sent to it".to_owned()
                } else {
                    format!("sent: {}", subjects.join("; "))
                };
                out.push(Failure {
                    diagnostic: f
                        .diagnostic
                        .with_label(format!("got {}", got.len()))
                        .with_secondary(expected.span, "this topic")
                        .with_help(help),
                    ..f
                });
            }
            let mut used = vec![false; got.len()];
            for node in &expected.messages {
                let candidates: Vec<(usize, Json, Vec<Mismatch>)> = got
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !used[*i])
                    .map(|(i, a)| {
                        let message = with_subject(a);
                        let found = mismatches(node, Some(&message));
                        (i, message, found)
                    })
                    .collect();
                if let Some((i, _, _)) = candidates.iter().find(|(_, _, found)| found.is_empty()) {
                    used[*i] = true;
                    continue;
                }
                let expected_json = to_json(node).unwrap_or(Json::Null);
                if let Some((i, message, found)) = candidates.into_iter().min_by_key(|(_, _, found)| found.len()) {
                    used[i] = true;
                    out.push(mismatch_failure(
                        &found,
                        format!("no alert on `{}` matches this message (the closest is shown)", expected.topic),
                        expected_json,
                        message,
                    ));
                } else {
                    let f = failure(
                        node.span,
                        format!("no alert on `{}` is left for this message", expected.topic),
                        expected_json,
                        Json::Null,
                    );
                    out.push(Failure {
                        diagnostic: f
                            .diagnostic
                            .with_label("expected this message")
                            .with_help("every alert sent is matched by one message above"),
                        ..f
                    });
                }
            }
        }
        let mut topics: Vec<&str> = self.outcome.alerts.iter().map(|a| a.topic.as_str()).collect();
        topics.dedup();
        topics.sort_unstable();
        topics.dedup();
        for topic in topics.into_iter().filter(|t| !section.items.iter().any(|e| e.topic == *t)) {
            let count = self.outcome.alerts.iter().filter(|a| a.topic == topic).count();
            let f = failure(
                section.span,
                format!("topic `{topic}` received {}, but `alerts:` does not list it", alerts(count)),
                Json::Null,
                json!(count),
            );
            let diagnostic = f
                .diagnostic
                .with_label(format!("`{topic}` is missing here"))
                .with_help(format!("add `{topic}: {count}` if that is right"));
            out.push(Failure { diagnostic, ..f });
        }
    }

    fn dead_letters(&self, section: &Section<super::model::DeadLetter>, out: &mut Vec<Failure>) {
        let mut listed = vec![false; self.case.events.len()];
        for item in &section.items {
            for &i in self.copies(&item.event) {
                listed[i] = true;
                let got = self.outcome.dead_letters[i].as_deref();
                let problem = match (got, &item.reason) {
                    (None, _) => Some((item.span, format!("event `{}` was not dead-lettered", item.event))),
                    (Some(got), Some((want, span))) if !got.starts_with(want.as_str()) => {
                        Some((*span, format!("event `{}` was dead-lettered for another reason", item.event)))
                    }
                    _ => None,
                };
                if let Some((span, message)) = problem {
                    let want = item.reason.as_ref().map_or(Json::Null, |(r, _)| json!(r));
                    let f = failure(span, message, want.clone(), json!(got));
                    let diagnostic = f.diagnostic.with_label(format!("got {}", show(Some(&json!(got))))).with_help(format!(
                        "expected (-) vs got (+):\n- {}\n+ {}\na reason matches when the actual reason starts with it",
                        show(Some(&want)),
                        show(Some(&json!(got)))
                    ));
                    out.push(Failure { diagnostic, ..f });
                    break;
                }
            }
        }
        self.unlisted(
            section.span,
            &listed,
            |i| self.outcome.dead_letters[i].is_some(),
            "dead_letters",
            out,
            |i| format!("({})", self.outcome.dead_letters[i].as_deref().unwrap_or_default()),
        );
    }

    fn windows(&self, section: &Section<super::model::WindowDecision>, out: &mut Vec<Failure>) {
        let as_json = |w: &Window| json!({ "rule": w.rule, "group": w.group, "start": w.start, "end": w.end, "aggregates": w.aggregate_map() });
        let mut used = vec![false; self.outcome.windows.len()];
        for item in &section.items {
            let fits = |w: &Window| {
                w.rule == item.rule
                    && mismatches(&item.group, Some(&Json::Object(w.group.clone()))).is_empty()
                    && item.start.as_ref().is_none_or(|s| mismatches(s, Some(&json!(w.start))).is_empty())
                    && item.end.as_ref().is_none_or(|e| mismatches(e, Some(&json!(w.end))).is_empty())
            };
            let group = to_json(&item.group).unwrap_or(Json::Null);
            let found = self.outcome.windows.iter().enumerate().position(|(i, w)| !used[i] && fits(w));
            let Some(index) = found else {
                let decided: Vec<String> = self
                    .outcome
                    .windows
                    .iter()
                    .filter(|w| w.rule == item.rule)
                    .map(|w| format!("{} [{}, {})", show(Some(&Json::Object(w.group.clone()))), w.start, w.end))
                    .collect();
                let f = failure(
                    item.span,
                    format!("no window of `{}` flagged the group {}", item.rule, show(Some(&group))),
                    json!({ "rule": item.rule, "group": group }),
                    Json::Null,
                );
                let help = if decided.is_empty() {
                    format!("no window of `{}` flagged", item.rule)
                } else {
                    format!("windows that flagged: {}", decided.join("; "))
                };
                out.push(Failure {
                    diagnostic: f.diagnostic.with_label("expected this decision").with_help(help),
                    ..f
                });
                continue;
            };
            used[index] = true;
            let window = &self.outcome.windows[index];
            if let Some(aggregates) = &item.aggregates {
                let got = Json::Object(window.aggregate_map());
                let found = mismatches(aggregates, Some(&got));
                if !found.is_empty() {
                    out.push(mismatch_failure(
                        &found,
                        format!("the window of `{}` for {} has other aggregates", item.rule, show(Some(&group))),
                        to_json(aggregates).unwrap_or(Json::Null),
                        got,
                    ));
                }
            }
        }
        for (w, _) in self.outcome.windows.iter().zip(&used).filter(|(_, used)| !**used) {
            let f = failure(
                section.span,
                format!(
                    "a window of `{}` flagged {}, but `windows:` does not list it",
                    w.rule,
                    show(Some(&Json::Object(w.group.clone())))
                ),
                Json::Null,
                as_json(w),
            );
            let diagnostic = f
                .diagnostic
                .with_label("a decision is missing here")
                .with_help(format!("decided: {}", show(Some(&f.got))));
            out.push(Failure { diagnostic, ..f });
        }
    }
}
