//! `alarms:`: the topic resolves, and the thresholds are within what is useful.

use crate::diagnostic::{Code, Diagnostic};
use crate::spec::units::Duration;
use crate::spec::{Spanned, Spec};

const MINUTE: u64 = 60_000;
/// `iterator_age`: 1 minute to the longest stream retention (7 days is far past any use).
pub const ITERATOR_AGE_MS: std::ops::RangeInclusive<u64> = MINUTE..=7 * 24 * 60 * MINUTE;
/// `archive_freshness`: 1 minute to 1 day (Firehose gives up retrying after 24 hours).
pub const FRESHNESS_MS: std::ops::RangeInclusive<u64> = MINUTE..=24 * 60 * MINUTE;

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let Some(alarms) = &spec.alarms else { return };
    if let Some(topic) = &alarms.topic
        && !spec.notifications.iter().any(|t| t.name.value == topic.value)
    {
        let names = spec.notifications.iter().map(|t| t.name.value.as_str());
        let hint = crate::diagnostic::did_you_mean(&topic.value, names)
            .map_or_else(|| "add it under `notifications`".to_string(), |n| format!("did you mean `{n}`?"));
        d.push(
            Diagnostic::error(Code::UnknownTopic, topic.span, format!("alarms notify unknown topic `{}`", topic.value))
                .with_label("not under `notifications`")
                .with_help(hint),
        );
    }
    range(alarms.iterator_age.as_ref(), &ITERATOR_AGE_MS, "the iterator age threshold", "1m to 7d", "5m", d);
    range(alarms.archive_freshness.as_ref(), &FRESHNESS_MS, "the archive freshness threshold", "1m to 1d", "15m", d);
}

fn range(
    value: Option<&Spanned<Duration>>,
    allowed: &std::ops::RangeInclusive<u64>,
    what: &str,
    bounds: &str,
    example: &str,
    d: &mut Vec<Diagnostic>,
) {
    let Some(value) = value else { return };
    let ms = value.value.0;
    if ms % 1000 != 0 || !allowed.contains(&ms) {
        d.push(
            Diagnostic::error(Code::OutOfRange, value.span, format!("{what} is out of range"))
                .with_label(format!("allowed: {bounds}, in whole seconds"))
                .with_help(format!("write for example `{example}`")),
        );
    }
}
