//! The local evaluation: a case's events through the runtime's decision core
//! ([`crate::runtime::decide::Decider`]), in arrival order with the case's pinned `now`, so a
//! test decides exactly what `pipec run --local` decides. Every open window is decided at the
//! end, as when a run stops. The store's part is kept as the runtime's store keeps it: one row
//! per table key (the first flagged record wins; a later one with the same key is not stored
//! again and sends no alert), compared as DynamoDB compares keys (numbers by value).

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::model::Case;
use super::outcome::{Alert, Outcome, Window};
use super::value::same;
use crate::expr::value::format_timestamp_millis;
use crate::ir::Pipeline;
use crate::runtime::decide::{At, Decider, Decision, Verdict, WindowClose};
use crate::runtime::notify;

/// What the case's events do locally.
#[must_use]
pub fn evaluate(pipeline: &Pipeline, case: &Case) -> Outcome {
    let mut decider = Decider::new(Arc::new(pipeline.clone()));
    let mut outcome = Outcome {
        flagged: vec![Vec::new(); case.events.len()],
        dead_letters: vec![None; case.events.len()],
        ..Outcome::default()
    };
    let keys = pipeline.store_key_names();
    let key_of = |item: &Map<String, Json>| -> Vec<Json> {
        keys.iter().map(|k| item.get(*k).cloned().unwrap_or(Json::Null)).collect()
    };
    let mut stored_keys: Vec<Vec<Json>> = Vec::new();
    for (i, event) in case.events.iter().enumerate() {
        let seq = i as u64;
        let at = At { arrival_ms: event.arrival_ms, seq, offset: 0 };
        let Decision { verdict, closed, late } = decider.decide(&event.bytes, at, case.now_ms);
        outcome.dead_letters[i] = late;
        windows(pipeline, &decider, closed, &mut outcome);
        let names = |rules: &[usize]| rules.iter().map(|&r| pipeline.rules[r].name.clone()).collect::<Vec<_>>();
        match verdict {
            Verdict::Invalid { reason } => outcome.dead_letters[i] = Some(reason),
            Verdict::Passed => {}
            Verdict::Refused { rules, reason } => {
                outcome.flagged[i] = names(&rules);
                outcome.dead_letters[i] = Some(reason);
            }
            Verdict::Flagged { rules, item } => {
                outcome.flagged[i] = names(&rules);
                if pipeline.store.is_some() {
                    let key = key_of(&item);
                    if stored_keys.iter().any(|k| k.iter().zip(&key).all(|(a, b)| same(a, b))) {
                        continue;
                    }
                    stored_keys.push(key);
                    outcome.stored.push(item.clone());
                }
                for alert in decider.record_alerts(seq, &rules, &item) {
                    alerts(pipeline, &alert, &mut outcome);
                }
            }
        }
    }
    let last = decider.close_windows(i64::MAX);
    windows(pipeline, &decider, last, &mut outcome);
    outcome
}

fn windows(pipeline: &Pipeline, decider: &Decider, closed: Vec<WindowClose>, outcome: &mut Outcome) {
    for close in closed {
        for group in &close.fired {
            outcome.windows.push(Window {
                rule: pipeline.rules[close.rule].name.clone(),
                start: format_timestamp_millis(close.start),
                end: format_timestamp_millis(close.end),
                group: group.group.clone(),
                aggregates: group.aggregates.clone(),
            });
            if let Some(alert) = decider.window_alert(&close, group) {
                alerts(pipeline, &alert, outcome);
            }
        }
    }
}

/// One [`Alert`] per topic the runtime's alert goes to.
fn alerts(pipeline: &Pipeline, alert: &notify::Alert, outcome: &mut Outcome) {
    let message: Json = serde_json::from_str(&alert.body).unwrap_or(Json::Null);
    for topic in &alert.topics {
        outcome.alerts.push(Alert {
            topic: pipeline.topics[topic.0].name.clone(),
            subject: alert.subject.clone(),
            message: message.clone(),
        });
    }
}
