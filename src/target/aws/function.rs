//! The Lambda functions a pipeline needs, independent of the target: what each one is called and
//! described as, and how long it may run. Its permissions are in [`super::permissions`].

use crate::ir::{Pipeline, Rule, TopicId};
use crate::target::aws::names::{hot_function, viewer_function, window_function};

/// Lambda's runtime for generated handlers.
pub const RUNTIME: &str = "python3.13";
/// Memory of every generated function, in MB (it also sets the function's share of CPU).
pub const MEMORY_MB: u32 = 256;
/// Records per invocation at most (each stream mapping's `BatchSize`).
pub const BATCH_SIZE: u32 = 100;
/// How long a stream mapping gathers records before it invokes (`MaximumBatchingWindowInSeconds`).
pub const BATCHING_WINDOW_SECONDS: u32 = 1;
/// Batches of one shard processed at once (`ParallelizationFactor`).
pub const PARALLELIZATION_FACTOR: u32 = 1;

/// A generated Lambda function, by what it does.
#[derive(Clone, Copy, Debug)]
pub enum Function<'a> {
    /// All per-record rules.
    Hot,
    /// One windowed rule; `index` counts the windowed rules from 0.
    Window { index: usize, rule: &'a Rule },
    /// The viewer of flagged records.
    Viewer,
    /// Posts each alert of the topics with webhooks to their URLs (see [`fanout_topics`]).
    Fanout,
    /// `hot.engine: flink`: reads the Flink application's alerts stream, and enriches, stores
    /// and notifies each alert as the hot and window functions do (the flink module of the AWS targets).
    Alerts,
}

/// The topics whose alerts the fanout function posts to webhooks: those with an HTTPS webhook
/// that some rule notifies.
#[must_use]
pub fn fanout_topics(p: &Pipeline) -> Vec<TopicId> {
    notified(p.rules.iter()).into_iter().filter(|id| !p.topics[id.0].webhooks.is_empty()).collect()
}

/// The fanout function's `WEBHOOKS` environment: `{"<SNS topic name>": ["topic", ["url", ...]]}`
/// as JSON text (plain text in both targets, so a URL is never read as a template).
#[must_use]
pub fn webhooks_env(p: &Pipeline, topics: &[TopicId]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = topics
        .iter()
        .map(|id| {
            let t = &p.topics[id.0];
            (super::names::topic(p, &t.name), serde_json::json!([t.name, t.webhooks]))
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

impl Function<'_> {
    /// The `CloudFormation` logical id (Terraform labels are its snake case).
    #[must_use]
    pub fn id(self) -> String {
        match self {
            Function::Hot => "HotFunction".into(),
            Function::Window { index, .. } => format!("Window{}Function", index + 1),
            Function::Viewer => "ViewerFunction".into(),
            Function::Fanout => "FanoutFunction".into(),
            Function::Alerts => "AlertsFunction".into(),
        }
    }

    /// The deployed function name.
    #[must_use]
    pub fn name(self, p: &Pipeline) -> String {
        match self {
            Function::Hot => hot_function(p),
            Function::Window { index, .. } => window_function(p, index),
            Function::Viewer => viewer_function(p),
            Function::Fanout => format!("{}-fanout", p.name),
            Function::Alerts => format!("{}-alerts", p.name),
        }
    }

    #[must_use]
    pub fn description(self, p: &Pipeline) -> String {
        match self {
            Function::Hot => {
                format!("pipec {}: evaluates per-record rules, stores and notifies flagged records", p.name)
            }
            Function::Window { rule, .. } => format!("pipec {}: windowed rule {}", p.name, rule.name),
            Function::Viewer => format!("pipec {}: web viewer of flagged records", p.name),
            Function::Fanout => format!("pipec {}: posts alerts to webhooks", p.name),
            Function::Alerts => {
                format!("pipec {}: enriches, stores and notifies the alerts of the Flink application", p.name)
            }
        }
    }

    /// How long one invocation may run, in seconds.
    #[must_use]
    pub fn timeout(self) -> u32 {
        match self {
            Function::Hot | Function::Window { .. } | Function::Fanout | Function::Alerts => 60,
            Function::Viewer => 30,
        }
    }

    /// Whether an event-source mapping feeds it from a stream (the source stream, or the alerts
    /// stream for [`Function::Alerts`]).
    #[must_use]
    pub fn reads_stream(self) -> bool {
        !matches!(self, Function::Viewer | Function::Fanout)
    }
}

/// Every generated function of a pipeline (the bucket emptier aside), in a fixed order: hot,
/// windows (or, on the flink engine, the alerts function in their place), fanout, viewer.
#[must_use]
pub fn functions(p: &Pipeline) -> Vec<Function<'_>> {
    let mut list = Vec::new();
    // On the flink engine the application decides every rule.
    if matches!(p.engine, crate::ir::Engine::Flink(_)) {
        if !p.rules.is_empty() {
            list.push(Function::Alerts);
        }
    } else {
        if p.record_rules().next().is_some() {
            list.push(Function::Hot);
        }
        list.extend(p.window_rules().enumerate().map(|(index, rule)| Function::Window { index, rule }));
    }
    if !fanout_topics(p).is_empty() {
        list.push(Function::Fanout);
    }
    if p.store.as_ref().is_some_and(|s| s.viewer.is_some()) {
        list.push(Function::Viewer);
    }
    list
}

/// The topics the rules notify, sorted, each once.
pub fn notified<'a>(rules: impl Iterator<Item = &'a Rule>) -> Vec<TopicId> {
    let mut ids: Vec<TopicId> = rules.flat_map(|r| r.notify.iter().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
