//! What to watch on a deployed pipeline, independent of the target: the metrics, one alarm on
//! each (when `alarms.enabled`), and the dashboard that graphs them with their thresholds. The
//! cloud targets only render names ([`Name`]) into their own reference syntax, so both write the
//! same alarms by construction.

use serde_json::{Value, json};

use super::function::functions;
use super::names;
use crate::ir::Pipeline;

/// A dimension value or dashboard field that only the deployment knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    Literal(String),
    /// The on-failure queue's name (generated).
    Queue,
    /// The dead-letter queue's name (generated).
    DeadLetters,
    /// The archive's Firehose delivery stream name.
    DeliveryStream,
    /// The region deployed to (dashboard widgets name it).
    Region,
}

/// One watched metric and its alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct Watch {
    /// Logical id suffix (`CloudFormation` `<id>Alarm`, Terraform `<snake id>_alarm`).
    pub id: String,
    /// The alarm's name: `<pipeline>-<what>`.
    pub name: String,
    pub description: String,
    pub namespace: &'static str,
    pub metric: &'static str,
    pub dimensions: Vec<(&'static str, Name)>,
    pub statistic: &'static str,
    pub period: u32,
    pub evaluation_periods: u32,
    pub datapoints: u32,
    pub threshold: f64,
    pub comparison: &'static str,
    /// No data means healthy for every metric here: an idle pipeline is not failing.
    pub missing: &'static str,
}

const FIVE_MINUTES: u32 = 300;

/// Everything watched, in a fixed order: stream, the Flink application (flink engine), functions (the webhook fanout included), the
/// on-failure and dead-letter queues, archive, tables (the store's and the window decisions').
#[must_use]
pub fn watches(p: &Pipeline) -> Vec<Watch> {
    let a = &p.alarms;
    let stream = || vec![("StreamName", Name::Literal(p.stream.name.clone()))];
    let mut list = vec![
        watch(p, "StreamIteratorAge", "stream-iterator-age", "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds")
            .describe(format!(
                "Records wait more than {} in stream {} before a function reads them: processing lags behind",
                human(a.iterator_age_seconds),
                p.stream.name
            ))
            .on(stream())
            .stat("Maximum", 60, 5, 3)
            .above(seconds_f64(a.iterator_age_seconds) * 1000.0),
        watch(p, "StreamWriteThrottles", "stream-write-throttles", "AWS/Kinesis", "WriteProvisionedThroughputExceeded")
            .describe(format!(
                "Producers are throttled writing to stream {}: add shards or use on-demand",
                p.stream.name
            ))
            .on(stream())
            .stat("Sum", FIVE_MINUTES, 1, 1)
            .at_least(1.0),
    ];
    if super::flink::on_flink(p) {
        let application = super::flink::application_name(p);
        let dims = || vec![("Application", Name::Literal(application.clone()))];
        list.push(
            watch(p, "FlinkDowntime", "flink-downtime", "AWS/KinesisAnalytics", "downtime")
                .describe(format!(
                    "The Flink application {application} is down (restarting or failing): no rule is decided meanwhile"
                ))
                .on(dims())
                .stat("Maximum", 60, 5, 3)
                .above(0.0),
        );
        list.push(
            watch(p, "FlinkCheckpointFailures", "flink-checkpoint-failures", "AWS/KinesisAnalytics", "numberOfFailedCheckpoints")
                .describe(format!(
                    "Checkpoints of the Flink application {application} failed: after a restart it would reread more of the stream"
                ))
                .on(dims())
                .stat("Maximum", FIVE_MINUTES, 1, 1)
                .at_least(1.0),
        );
    }
    for f in functions(p) {
        let name = f.name(p);
        let base = f.id().trim_end_matches("Function").to_string();
        let dims = || vec![("FunctionName", Name::Literal(name.clone()))];
        list.push(
            watch(p, &format!("{base}FunctionErrors"), &format!("{}-errors", short(p, &name)), "AWS/Lambda", "Errors")
                .describe(format!("Function {name} failed at least {} time(s) in 5 minutes", a.function_errors))
                .on(dims())
                .stat("Sum", FIVE_MINUTES, 1, 1)
                .at_least(f64::from(a.function_errors)),
        );
        list.push(
            watch(
                p,
                &format!("{base}FunctionThrottles"),
                &format!("{}-throttles", short(p, &name)),
                "AWS/Lambda",
                "Throttles",
            )
            .describe(format!("Function {name} was throttled: the account's concurrency is exhausted"))
            .on(dims())
            .stat("Sum", FIVE_MINUTES, 1, 1)
            .at_least(1.0),
        );
    }
    if p.record_rules().next().is_some() || p.window_rules().next().is_some() {
        list.push(
            watch(p, "FailedBatches", "failed-batches", "AWS/SQS", "ApproximateNumberOfMessagesVisible")
                .describe("Batches failed after every retry and wait in the on-failure queue: their records were not processed".into())
                .on(vec![("QueueName", Name::Queue)])
                .stat("Maximum", FIVE_MINUTES, 1, 1)
                .at_least(1.0),
        );
    }
    if !p.rules.is_empty() {
        list.push(
            watch(p, "DeadLetters", "dead-letters", "AWS/SQS", "ApproximateNumberOfMessagesVisible")
                .describe(
                    "Records or alerts were dead-lettered (invalid, refused by DynamoDB, or not taken by a webhook) and wait in the dead-letter queue with the reason"
                        .into(),
                )
                .on(vec![("QueueName", Name::DeadLetters)])
                .stat("Maximum", FIVE_MINUTES, 1, 1)
                .at_least(1.0),
        );
    }
    if p.archive.is_some() {
        let firehose = || vec![("DeliveryStreamName", Name::DeliveryStream)];
        list.push(
            watch(p, "ArchiveFreshness", "archive-freshness", "AWS/Firehose", "DeliveryToS3.DataFreshness")
                .describe(format!(
                    "The oldest record not yet archived is over {} old: delivery to S3 is late or failing",
                    human(a.archive_freshness_seconds)
                ))
                .on(firehose())
                .stat("Maximum", FIVE_MINUTES, 1, 1)
                .above(seconds_f64(a.archive_freshness_seconds)),
        );
        list.push(
            watch(p, "ArchiveDeliveryFailures", "archive-delivery", "AWS/Firehose", "DeliveryToS3.Success")
                .describe("Some deliveries to the archive bucket failed in 15 minutes (success ratio below 1)".into())
                .on(firehose())
                .stat("Minimum", FIVE_MINUTES, 3, 3)
                .below(1.0),
        );
    }
    let mut tables = Vec::new();
    if let Some(store) = &p.store {
        tables.push(("Table", "table", store.table.clone()));
    }
    if p.window_rules().next().is_some() {
        tables.push(("WindowsTable", "windows-table", names::windows_table(p)));
    }
    for (id, what, table) in tables {
        for (kind, metric) in [("write", "WriteThrottleEvents"), ("read", "ReadThrottleEvents")] {
            list.push(
                watch(
                    p,
                    &format!("{id}{}Throttles", names::pascal(kind)),
                    &format!("{what}-{kind}-throttles"),
                    "AWS/DynamoDB",
                    metric,
                )
                .describe(format!("Table {table} throttled {kind} requests"))
                .on(vec![("TableName", Name::Literal(table.clone()))])
                .stat("Sum", FIVE_MINUTES, 1, 1)
                .at_least(1.0),
            );
        }
    }
    list
}

/// `transactions-hot` → `hot` (alarm names already start with the pipeline's name).
fn short<'a>(p: &Pipeline, function: &'a str) -> &'a str {
    function.strip_prefix(&p.name).and_then(|s| s.strip_prefix('-')).unwrap_or(function)
}

fn watch(p: &Pipeline, id: &str, what: &str, namespace: &'static str, metric: &'static str) -> Watch {
    Watch {
        id: id.to_string(),
        name: format!("{}-{what}", p.name),
        description: String::new(),
        namespace,
        metric,
        dimensions: Vec::new(),
        statistic: "Sum",
        period: FIVE_MINUTES,
        evaluation_periods: 1,
        datapoints: 1,
        threshold: 0.0,
        comparison: "GreaterThanThreshold",
        missing: "notBreaching",
    }
}

impl Watch {
    fn describe(mut self, text: String) -> Self {
        self.description = text;
        self
    }

    fn on(mut self, dimensions: Vec<(&'static str, Name)>) -> Self {
        self.dimensions = dimensions;
        self
    }

    fn stat(mut self, statistic: &'static str, period: u32, evaluation_periods: u32, datapoints: u32) -> Self {
        self.statistic = statistic;
        self.period = period;
        self.evaluation_periods = evaluation_periods;
        self.datapoints = datapoints;
        self
    }

    fn above(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self.comparison = "GreaterThanThreshold";
        self
    }

    fn at_least(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self.comparison = "GreaterThanOrEqualToThreshold";
        self
    }

    fn below(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self.comparison = "LessThanThreshold";
        self
    }
}

#[allow(clippy::cast_precision_loss)] // thresholds are at most days in seconds: exact in f64
fn seconds_f64(seconds: u64) -> f64 {
    seconds as f64
}

/// `300` → `5m`, `90` → `90s`.
fn human(seconds: u64) -> String {
    match seconds {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The dashboard's widgets: one graph per watched metric with its alarm threshold, two per row.
/// Deployment-only names are left as [`Name`]s for the target to write (see [`placeholder`]).
#[must_use]
pub fn dashboard(p: &Pipeline) -> Value {
    let widgets: Vec<Value> = watches(p)
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut metric = vec![json!(w.namespace), json!(w.metric)];
            for (key, value) in &w.dimensions {
                metric.push(json!(key));
                metric.push(placeholder(value));
            }
            let mut properties = json!({
                "title": w.name,
                "region": placeholder(&Name::Region),
                "view": "timeSeries",
                "stat": w.statistic,
                "period": w.period,
                "metrics": [metric]
            });
            if p.alarms.enabled {
                properties["annotations"] = json!({ "horizontal": [{ "label": "alarm", "value": w.threshold }] });
            }
            json!({ "type": "metric", "x": (i % 2) * 12, "y": (i / 2) * 6, "width": 12, "height": 6, "properties": properties })
        })
        .collect();
    json!({ "widgets": widgets })
}

/// How a [`Name`] sits in the dashboard body until a target replaces it: literal names as
/// themselves, the others as `${queue}`, `${dead_letters}`, `${delivery_stream}`, `${region}` (pipeline names
/// cannot contain `$`, so nothing else looks like one).
#[must_use]
pub fn placeholder(name: &Name) -> Value {
    match name {
        Name::Literal(text) => json!(text),
        Name::Queue => json!("${queue}"),
        Name::DeadLetters => json!("${dead_letters}"),
        Name::DeliveryStream => json!("${delivery_stream}"),
        Name::Region => json!("${region}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(super::human(300), "5m");
        assert_eq!(super::human(90), "90s");
        assert_eq!(super::human(7200), "2h");
    }
}
