//! `alarms:`: the topic resolves, and the thresholds are within what is useful.

use crate::diagnostic::{Code, Diagnostic};
use crate::spec::keys::{ALARMS_ARCHIVE_FRESHNESS, ALARMS_ITERATOR_AGE, Range};
use crate::spec::units::Duration;
use crate::spec::{Spanned, Spec};

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
    range(alarms.iterator_age.as_ref(), ALARMS_ITERATOR_AGE.allowed(), "the iterator age threshold", "5m", d);
    range(
        alarms.archive_freshness.as_ref(),
        ALARMS_ARCHIVE_FRESHNESS.allowed(),
        "the archive freshness threshold",
        "15m",
        d,
    );
}

fn range(value: Option<&Spanned<Duration>>, allowed: Range, what: &str, example: &str, d: &mut Vec<Diagnostic>) {
    let Some(value) = value else { return };
    if !allowed.allows(value.value.0) {
        d.push(
            Diagnostic::error(Code::OutOfRange, value.span, format!("{what} is out of range"))
                .with_label(format!("allowed: {} to {}, in whole seconds", allowed.min, allowed.max))
                .with_help(format!("write for example `{example}`")),
        );
    }
}
