//! Monthly cost: each billed quantity of a month at the planned capacity, times its price from
//! the region's table. A quantity whose price the table does not know stays in the plan with no
//! amount, and the totals say they leave it out.

// Sizes are at most 1 MiB and counts small: every cast to f64 here is exact.
#![allow(clippy::cast_precision_loss)]

use serde::Serialize;

use super::Inputs;
use super::capacity::{Capacity, INVOCATION_SECONDS};
use super::prices::PriceTable;

/// Hours in the month the plan prices (AWS's calculators use 730).
pub const HOURS_PER_MONTH: f64 = 730.0;
const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;
/// Billing's gigabyte.
const GB: f64 = 1_073_741_824.0;
const KINESIS: &str = "Kinesis Data Streams";
const LAMBDA: &str = "Lambda";
const FLINK: &str = "Managed Flink";

#[derive(Clone, Debug, Serialize)]
pub struct Cost {
    pub currency: String,
    /// The most recent `date` among the prices used.
    pub prices_dated: String,
    pub lines: Vec<Line>,
    pub services: Vec<ServiceTotal>,
    /// The sum of every priced line.
    pub total: f64,
    /// Whether some line has no price (then `total` leaves it out).
    pub incomplete: bool,
}

/// One billed quantity.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub service: &'static str,
    pub item: &'static str,
    /// Per month.
    pub quantity: f64,
    pub unit: String,
    /// The table's figure: `usd` for `per` units (`None` when the table has none).
    pub usd: Option<f64>,
    pub per: f64,
    pub monthly: Option<f64>,
    /// The price's key in the table.
    pub price: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceTotal {
    pub service: &'static str,
    pub monthly: f64,
    pub incomplete: bool,
}

/// The month's bill for `capacity` at `prices`.
#[must_use]
pub fn cost(c: &Capacity, inputs: &Inputs, prices: &PriceTable) -> Cost {
    let mut lines = Vec::new();
    let mut add = |service, item, quantity: f64, key: &'static str| {
        let price = &prices.prices[key];
        let per_unit = price.per_unit();
        lines.push(Line {
            service,
            item,
            quantity,
            unit: price.unit.clone(),
            usd: price.usd,
            per: price.per,
            monthly: per_unit.map(|p| p * quantity),
            price: key,
        });
    };
    let records = inputs.rate * SECONDS_PER_MONTH;
    let size = inputs.record_bytes;
    if let Some(shards) = c.stream.declared_shards {
        add(KINESIS, "shard-hours", f64::from(shards) * HOURS_PER_MONTH, "kinesis_shard_hour");
        let units = size.div_ceil(25 * 1024) as f64;
        add(KINESIS, "PUT payload units", records * units, "kinesis_put_payload_units");
    } else {
        add(KINESIS, "stream-hours", HOURS_PER_MONTH, "kinesis_on_demand_stream_hour");
        let written = records * (size.div_ceil(1024) * 1024) as f64 / GB;
        add(KINESIS, "data written", written, "kinesis_on_demand_gb_in");
        let read = c.stream.read_bytes_per_second * SECONDS_PER_MONTH / GB;
        add(KINESIS, "data read", read, "kinesis_on_demand_gb_out");
    }
    if let Some(a) = &c.alerts_stream {
        add(KINESIS, "alerts shard-hours", f64::from(a.shards) * HOURS_PER_MONTH, "kinesis_shard_hour");
        let units = a.alert_bytes.div_ceil(25 * 1024) as f64;
        let puts = a.alerts_per_second * SECONDS_PER_MONTH * units;
        add(KINESIS, "alerts PUT payload units", puts, "kinesis_put_payload_units");
    }
    if let Some(f) = &c.flink {
        add(FLINK, "KPU-hours", f64::from(f.billed_kpus) * HOURS_PER_MONTH, "flink_kpu_hour");
        add(FLINK, "running application storage", f64::from(f.running_storage_gb), "flink_running_storage_gb_month");
    }
    let invocations: f64 = c.functions.iter().map(|f| f.invocations_per_second).sum::<f64>() * SECONDS_PER_MONTH;
    if !c.functions.is_empty() {
        let gb_seconds: f64 = c
            .functions
            .iter()
            .map(|f| f.invocations_per_second * INVOCATION_SECONDS * f64::from(f.memory_mb) / 1024.0)
            .sum::<f64>()
            * SECONDS_PER_MONTH;
        add(LAMBDA, "requests", invocations, "lambda_requests");
        add(LAMBDA, "compute", gb_seconds, "lambda_arm_gb_second");
    }
    if let Some(a) = &c.archive {
        let ingested = records * (size.div_ceil(5 * 1024) * 5 * 1024) as f64 / GB;
        add("Data Firehose", "data ingested", ingested, "firehose_gb_ingested");
        add("S3", "PUT requests", a.objects_per_hour * HOURS_PER_MONTH, "s3_put_requests");
        let stored = c.stream.write_bytes_per_second * a.compression_ratio * SECONDS_PER_MONTH / GB;
        add("S3", "storage (one month of archive)", stored, "s3_standard_gb_month");
    }
    if let Some(t) = &c.table {
        add(
            "DynamoDB",
            "write request units",
            t.write_units_per_second * SECONDS_PER_MONTH,
            "dynamodb_write_request_units",
        );
        let stored = t.writes_per_second * t.item_bytes as f64 * SECONDS_PER_MONTH / GB;
        add("DynamoDB", "storage (one month of items)", stored, "dynamodb_gb_month");
    }
    let n = &c.notifications;
    if n.publishes_per_second > 0.0 {
        add("SNS", "publishes", n.publishes_per_second * SECONDS_PER_MONTH, "sns_publishes");
    }
    if n.emails_per_second > 0.0 {
        add("SNS", "e-mail deliveries", n.emails_per_second * SECONDS_PER_MONTH, "sns_email_deliveries");
    }
    let mut services: Vec<ServiceTotal> = Vec::new();
    for line in &lines {
        if !services.iter().any(|s| s.service == line.service) {
            services.push(ServiceTotal { service: line.service, monthly: 0.0, incomplete: false });
        }
        let total = services.iter_mut().find(|s| s.service == line.service).expect("added above");
        match line.monthly {
            Some(amount) => total.monthly += amount,
            None => total.incomplete = true,
        }
    }
    let prices_dated = lines.iter().map(|l| prices.prices[l.price].date.clone()).max().unwrap_or_default();
    Cost {
        currency: prices.currency.clone(),
        prices_dated,
        total: services.iter().map(|s| s.monthly).sum(),
        incomplete: services.iter().any(|s| s.incomplete),
        lines,
        services,
    }
}
