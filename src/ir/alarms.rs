//! The alarm thresholds of a pipeline, resolved: what the spec's `alarms:` says, else the
//! defaults derived from the pipeline (its windows and its archive's buffer interval).

use super::{Archive, Rule, RuleKind, TopicId};
use crate::spec::{self, keys};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alarms {
    /// Emit the alarms (the dashboard is always there).
    pub enabled: bool,
    /// Told when an alarm fires and when it clears.
    pub topic: Option<TopicId>,
    pub iterator_age_seconds: u64,
    pub archive_freshness_seconds: u64,
    pub function_errors: u32,
}

/// Resolves `alarms:`; `topic_id` looks a topic up by name.
pub fn lower(
    spec: Option<&spec::Alarms>,
    rules: &[Rule],
    archive: Option<&Archive>,
    topic_id: impl Fn(&str) -> Result<TopicId, String>,
) -> Result<Alarms, String> {
    let longest_window = rules
        .iter()
        .filter_map(|r| match r.kind {
            RuleKind::Windowed { seconds, .. } => Some(u64::from(seconds)),
            RuleKind::PerRecord => None,
        })
        .max()
        .unwrap_or(0);
    let interval = archive.map_or(0, |a| u64::from(a.interval_seconds));
    let seconds = |d: Option<&spec::Spanned<spec::units::Duration>>| d.map(|d| d.value.0 / 1000);
    Ok(Alarms {
        enabled: spec
            .and_then(|a| a.enabled.as_ref())
            .map_or(const { keys::ALARMS_ENABLED.default_bool() }, |e| e.value),
        topic: spec.and_then(|a| a.topic.as_ref()).map(|t| topic_id(&t.value)).transpose()?,
        iterator_age_seconds: seconds(spec.and_then(|a| a.iterator_age.as_ref()))
            .unwrap_or(keys::ITERATOR_AGE_FLOOR.duration().seconds().max(2 * longest_window)),
        archive_freshness_seconds: seconds(spec.and_then(|a| a.archive_freshness.as_ref()))
            .unwrap_or(2 * interval + keys::FRESHNESS_MARGIN.duration().seconds()),
        function_errors: spec
            .and_then(|a| a.function_errors.as_ref())
            .map_or(const { keys::ALARMS_FUNCTION_ERRORS.default_amount().count() }, |n| n.value),
    })
}
