//! Text for people: the change-set diff, stack events, outputs, status. Pure functions of
//! plain data, so the exact wording is unit-tested.

use std::fmt::Write as _;
use std::time::Duration;

use super::alarm_states::AlarmState;
use super::event::{Event, Outcome};
use super::plan::{self, Action, Change, Replacement};
use super::stack::{Output, StackInfo};

/// The diff of a change set, one line per resource (data loss on its own line), and a summary.
pub(crate) fn plan(changes: &[Change]) -> String {
    let rank = |a: Action| match a {
        Action::Add => 0,
        Action::Modify => 1,
        Action::Remove => 2,
        Action::Import | Action::Dynamic | Action::Other => 3,
    };
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by(|a, b| (rank(a.action), &a.logical_id).cmp(&(rank(b.action), &b.logical_id)));
    let id_width = sorted.iter().map(|c| c.logical_id.len()).max().unwrap_or(0);
    let type_width = sorted.iter().map(|c| c.resource_type.len()).max().unwrap_or(0);
    let mut text = String::new();
    for c in sorted {
        let (mark, what) = match (c.action, c.replacement) {
            (Action::Add, _) => ('+', "add".to_string()),
            (Action::Modify, Replacement::Yes) => ('!', "REPLACE".to_string()),
            (Action::Modify, Replacement::Conditional) => ('!', "MAY REPLACE".to_string()),
            (Action::Modify, Replacement::No) => ('~', "modify".to_string()),
            (Action::Remove, _) if c.retained => ('-', "remove from the stack (kept by its Retain policy)".to_string()),
            (Action::Remove, _) => ('-', "remove".to_string()),
            (Action::Import, _) => ('>', "import".to_string()),
            (Action::Dynamic, _) => ('?', "dynamic (decided during the update)".to_string()),
            (Action::Other, _) => ('?', "change".to_string()),
        };
        let props = if c.properties.is_empty() { String::new() } else { format!(": {}", c.properties.join(", ")) };
        let _ = writeln!(text, "  {mark} {:id_width$}  {:type_width$}  {what}{props}", c.logical_id, c.resource_type);
        if let Some(loss) = c.data_loss() {
            let _ = writeln!(text, "      DATA LOSS: {loss}");
        }
    }
    let s = plan::summary(changes);
    let replaced = if s.replace > 0 { format!(" ({} replaced)", s.replace) } else { String::new() };
    let other = if s.other > 0 { format!(", {} other", s.other) } else { String::new() };
    let _ = write!(text, "{} to add, {} to modify{replaced}, {} to remove{other}", s.add, s.modify, s.remove);
    if s.data_loss > 0 {
        let _ = write!(text, "; {} with DATA LOSS", s.data_loss);
    }
    text.push('\n');
    text
}

/// One stack event: time, status, resource, reason.
pub(crate) fn event(e: &Event) -> String {
    let time = e.time.get(11..19).unwrap_or(&e.time);
    let reason = e.reason.as_deref().filter(|r| !r.is_empty()).map_or_else(String::new, |r| format!(" — {r}"));
    format!("  {time}  {:<28} {} ({}){reason}", e.status, e.logical_id, e.resource_type)
}

pub(crate) fn outputs(outputs: &[Output]) -> String {
    if outputs.is_empty() {
        return "outputs: none\n".into();
    }
    let width = outputs.iter().map(|o| o.key.len()).max().unwrap_or(0);
    let mut text = String::from("outputs:\n");
    for o in outputs {
        let _ = writeln!(text, "  {:width$}  {}", o.key, o.value);
    }
    text
}

pub(crate) fn status(info: &StackInfo) -> String {
    let mut text = format!("stack {}: {}\n", info.name, info.status);
    if let Some(reason) = info.reason.as_deref().filter(|r| !r.is_empty()) {
        let _ = writeln!(text, "  reason: {reason}");
    }
    if let Some(description) = &info.description {
        let _ = writeln!(text, "  description: {description}");
    }
    if let Some(created) = &info.created {
        let _ = writeln!(text, "  created: {created}");
    }
    if let Some(updated) = &info.updated {
        let _ = writeln!(text, "  last updated: {updated}");
    }
    let _ = writeln!(text, "  id: {}", info.id);
    text.push_str(&outputs(&info.outputs));
    text
}

/// The warning for alarms that tell nobody, when they do.
pub(crate) fn silent_alarms(p: &crate::ir::Pipeline) -> Option<String> {
    (p.alarms.enabled && p.alarms.topic.is_none()).then(|| {
        let example = p.topics.first().map_or("ops", |t| t.name.as_str());
        format!(
            "warning: the pipeline's alarms notify nobody: they show in `pipec status` and the CloudWatch console \
             only\nhelp: name a topic under `notifications` in the spec, e.g. `alarms: {{ topic: {example} }}`"
        )
    })
}

/// The alarms, those firing first; `expected` is how many the stack has (`CloudWatch` may not
/// know some yet).
pub(crate) fn alarms(states: &[AlarmState], expected: usize) -> String {
    let rank = |s: &str| match s {
        "ALARM" => 0,
        "INSUFFICIENT_DATA" => 1,
        "OK" => 2,
        _ => 3,
    };
    let mut sorted: Vec<&AlarmState> = states.iter().collect();
    sorted.sort_by(|a, b| (rank(&a.state), &a.name).cmp(&(rank(&b.state), &b.name)));
    let firing = states.iter().filter(|s| s.state == "ALARM").count();
    let mut text = format!("alarms: {firing} of {} firing\n", states.len());
    let width = sorted.iter().map(|s| s.state.len()).max().unwrap_or(0);
    for s in sorted {
        let reason = match (&s.reason, s.state.as_str()) {
            (Some(r), "ALARM") if !r.is_empty() => format!(" — {r}"),
            _ => String::new(),
        };
        let _ = writeln!(text, "  {:width$}  {}{reason}", s.state, s.name);
    }
    if states.len() < expected {
        let _ = writeln!(text, "  ({} alarm(s) of the stack unknown to CloudWatch)", expected - states.len());
    }
    text
}

/// Why an operation failed: the final status explained, and each failing event with its reason.
pub(crate) fn failure(stack: &str, doing: &str, outcome: &Outcome) -> String {
    let status = outcome.status.as_str();
    let state = match status {
        "ROLLBACK_COMPLETE" => format!(
            "the creation failed and was rolled back; the stack holds no resources and cannot be updated\nhelp: \
             fix the cause below, delete the stack with `pipec destroy --stack {stack}`, then deploy again"
        ),
        "UPDATE_ROLLBACK_COMPLETE" => {
            "the update failed and was rolled back: the stack runs its previous template\nhelp: fix the cause \
             below and deploy again"
                .to_string()
        }
        "ROLLBACK_FAILED" | "UPDATE_ROLLBACK_FAILED" => format!(
            "the {doing} failed and so did the rollback\nhelp: fix the cause below, then continue the rollback \
             (`aws cloudformation continue-update-rollback --stack-name {stack}`) or delete the stack"
        ),
        "DELETE_FAILED" => format!(
            "some resources could not be deleted\nhelp: fix the cause below (e.g. empty a bucket) and run `pipec \
             destroy --stack {stack}` again"
        ),
        _ => format!("the {doing} did not complete"),
    };
    let mut text = format!("the {doing} of stack {stack} failed: it is now {status}: {state}");
    if let Some(reason) = outcome.reason.as_deref().filter(|r| !r.is_empty()) {
        let _ = write!(text, "\nstack status reason: {reason}");
    }
    let failed: Vec<&Event> = outcome.events.iter().filter(|e| e.failed()).collect();
    if failed.is_empty() {
        text.push_str("\nno failing resource event was reported");
    } else {
        text.push_str("\nfailing events:");
        for e in failed {
            let _ = write!(text, "\n{}", event(e));
        }
    }
    text
}

/// `90s` → `1m30s`; whole seconds.
pub(crate) fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: Action, id: &str, ty: &str, replacement: Replacement, props: &[&str]) -> Change {
        Change {
            action,
            logical_id: id.into(),
            resource_type: ty.into(),
            replacement,
            properties: props.iter().map(|p| (*p).to_string()).collect(),
            retained: false,
        }
    }

    #[test]
    fn plan_lists_changes_by_action_and_calls_out_data_loss() {
        let text = plan(&[
            change(Action::Remove, "OldQueue", "AWS::SQS::Queue", Replacement::No, &[]),
            change(Action::Modify, "FlaggedTable", "AWS::DynamoDB::Table", Replacement::Yes, &["KeySchema"]),
            change(Action::Modify, "Stream", "AWS::Kinesis::Stream", Replacement::No, &["RetentionPeriodHours"]),
            change(Action::Add, "Rule2", "AWS::Lambda::Function", Replacement::No, &[]),
        ]);
        let expected = "  + Rule2         AWS::Lambda::Function  add
  ! FlaggedTable  AWS::DynamoDB::Table   REPLACE: KeySchema
      DATA LOSS: the table is replaced by a new, empty one and the old one deleted with its data
  ~ Stream        AWS::Kinesis::Stream   modify: RetentionPeriodHours
  - OldQueue      AWS::SQS::Queue        remove
1 to add, 2 to modify (1 replaced), 1 to remove; 1 with DATA LOSS
";
        assert_eq!(text, expected);
    }

    #[test]
    fn event_line() {
        let e = Event {
            id: "1".into(),
            time: "2026-11-26T12:03:04Z".into(),
            logical_id: "Stream".into(),
            resource_type: "AWS::Kinesis::Stream".into(),
            status: "CREATE_FAILED".into(),
            reason: Some("Invalid shard count".into()),
        };
        assert_eq!(
            event(&e),
            "  12:03:04  CREATE_FAILED                Stream (AWS::Kinesis::Stream) — Invalid shard count"
        );
    }

    #[test]
    fn outputs_table() {
        let o = vec![
            Output { key: "StreamName".into(), value: "s".into() },
            Output { key: "ViewerUrl".into(), value: "https://x".into() },
        ];
        assert_eq!(outputs(&o), "outputs:\n  StreamName  s\n  ViewerUrl   https://x\n");
        assert_eq!(outputs(&[]), "outputs: none\n");
    }

    #[test]
    fn alarms_firing_first() {
        let state = |name: &str, state: &str, reason: Option<&str>| AlarmState {
            name: name.into(),
            state: state.into(),
            reason: reason.map(str::to_string),
        };
        let text = alarms(
            &[
                state("p-stream-iterator-age", "OK", Some("fine")),
                state("p-hot-errors", "ALARM", Some("Threshold Crossed: 1 datapoint [3.0]")),
                state("p-failed-batches", "INSUFFICIENT_DATA", None),
            ],
            4,
        );
        let expected = "alarms: 1 of 3 firing
  ALARM              p-hot-errors — Threshold Crossed: 1 datapoint [3.0]
  INSUFFICIENT_DATA  p-failed-batches
  OK                 p-stream-iterator-age
  (1 alarm(s) of the stack unknown to CloudWatch)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(Duration::from_secs(45)), "45s");
        assert_eq!(duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(duration(Duration::from_mins(30)), "30m");
        assert_eq!(duration(Duration::from_mins(62)), "1h2m");
    }
}
