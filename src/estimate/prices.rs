//! The dated price tables, `targets/prices/<region>.json`, built into the binary. Each price
//! names its unit, where it was read (`source`), the AWS page to check it against and the day it
//! was read; a price the stored pages did not give is `null` with a `note` saying so, and the
//! plan shows that line as unpriced instead of guessing.
//!
//! Adding a region: a file beside the others and one line in [`TABLES`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Every price a plan uses, by key. A table must hold exactly these.
pub const KEYS: &[&str] = &[
    "kinesis_shard_hour",
    "kinesis_put_payload_units",
    "kinesis_on_demand_stream_hour",
    "kinesis_on_demand_gb_in",
    "kinesis_on_demand_gb_out",
    "lambda_requests",
    "lambda_arm_gb_second",
    "firehose_gb_ingested",
    "s3_standard_gb_month",
    "s3_put_requests",
    "dynamodb_write_request_units",
    "dynamodb_gb_month",
    "sns_publishes",
    "sns_email_deliveries",
    "flink_kpu_hour",
    "flink_running_storage_gb_month",
];

/// The built-in tables: region and JSON text.
pub const TABLES: &[(&str, &str)] = &[
    ("eu-west-1", include_str!("../../targets/prices/eu-west-1.json")),
    ("us-east-1", include_str!("../../targets/prices/us-east-1.json")),
];

/// One region's prices.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    pub region: String,
    /// The region's name, e.g. `US East (N. Virginia)`.
    pub name: String,
    pub currency: String,
    pub prices: BTreeMap<String, Price>,
}

/// One price: `usd` for `per` units of `unit`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// `None` when no stored source gave it (then `note` says so).
    pub usd: Option<f64>,
    pub per: f64,
    pub unit: String,
    /// Where the figure was read.
    pub source: String,
    /// The AWS pricing page to check it against when updating.
    pub aws_page: String,
    /// The day it was read, `YYYY-MM-DD`.
    pub date: String,
    pub note: Option<String>,
}

impl Price {
    /// The price of one unit, when known.
    #[must_use]
    pub fn per_unit(&self) -> Option<f64> {
        self.usd.map(|usd| usd / self.per)
    }
}

/// The regions with a table, sorted.
#[must_use]
pub fn regions() -> Vec<&'static str> {
    TABLES.iter().map(|(region, _)| *region).collect()
}

/// The table of `region`.
///
/// # Errors
/// An unknown region (the message lists the known ones) or a table that does not validate.
pub fn load(region: &str) -> Result<PriceTable, String> {
    let Some((_, text)) = TABLES.iter().find(|(r, _)| *r == region) else {
        return Err(format!(
            "no price table for region `{region}`; known regions: {} (add one under targets/prices/)",
            regions().join(", ")
        ));
    };
    parse(region, text)
}

/// Parses and validates one table.
///
/// # Errors
/// What is wrong with the table, naming the price.
pub fn parse(region: &str, text: &str) -> Result<PriceTable, String> {
    let table: PriceTable =
        serde_json::from_str(text).map_err(|e| format!("targets/prices/{region}.json does not parse: {e}"))?;
    let mut problems = Vec::new();
    if table.region != region {
        problems.push(format!("`region` is `{}`, not `{region}`", table.region));
    }
    if table.currency != "USD" {
        problems.push(format!("`currency` is `{}`; pipec prices in USD", table.currency));
    }
    for key in KEYS {
        if !table.prices.contains_key(*key) {
            problems.push(format!("`{key}` is missing"));
        }
    }
    for (key, price) in &table.prices {
        if !KEYS.contains(&key.as_str()) {
            problems.push(format!("`{key}` is not a price pipec uses"));
        }
        problems.extend(check(price).into_iter().map(|p| format!("`{key}`: {p}")));
    }
    if problems.is_empty() { Ok(table) } else { Err(format!("targets/prices/{region}.json: {}", problems.join("; "))) }
}

/// What is wrong with one price.
fn check(price: &Price) -> Vec<String> {
    let mut problems = Vec::new();
    if !price.source.starts_with("https://") {
        problems.push("`source` must be an https:// URL".to_string());
    }
    if !price.aws_page.starts_with("https://aws.amazon.com/") {
        problems.push("`aws_page` must be an https://aws.amazon.com/ page".to_string());
    }
    if !is_date(&price.date) {
        problems.push(format!("`date` `{}` is not YYYY-MM-DD", price.date));
    }
    if price.unit.trim().is_empty() {
        problems.push("`unit` is empty".to_string());
    }
    if !(price.per.is_finite() && price.per >= 1.0) {
        problems.push("`per` must be 1 or more".to_string());
    }
    match price.usd {
        Some(usd) if !(usd.is_finite() && usd >= 0.0) => problems.push("`usd` must be 0 or more".to_string()),
        None if price.note.as_deref().is_none_or(|n| n.trim().is_empty()) => {
            problems.push("a price without `usd` needs a `note` saying why".to_string());
        }
        _ => {}
    }
    problems
}

fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d.parse::<u32>().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_parses_and_every_price_has_a_source_and_date() {
        assert!(regions().contains(&"us-east-1"));
        for (region, text) in TABLES {
            let table = parse(region, text).unwrap_or_else(|e| panic!("{e}"));
            for (key, price) in &table.prices {
                assert!(price.source.starts_with("https://"), "{region} {key}");
                assert!(is_date(&price.date), "{region} {key}");
            }
        }
    }

    #[test]
    fn a_bad_table_is_refused_with_every_problem() {
        let text = r#"{"region": "us-east-1", "name": "x", "currency": "EUR", "prices": {
            "kinesis_shard_hour": {"usd": null, "per": 1, "unit": "shard-hour", "source": "http://x",
                "aws_page": "https://aws.amazon.com/kinesis/", "date": "2026-13-01"},
            "made_up": {"usd": 1, "per": 1, "unit": "u", "source": "https://x",
                "aws_page": "https://aws.amazon.com/x", "date": "2026-01-01"}}}"#;
        let error = parse("us-east-1", text).unwrap_err();
        for expected in [
            "`currency` is `EUR`",
            "`lambda_requests` is missing",
            "`made_up` is not a price pipec uses",
            "`kinesis_shard_hour`: `source` must be an https:// URL",
            "`date` `2026-13-01` is not YYYY-MM-DD",
            "a price without `usd` needs a `note`",
        ] {
            assert!(error.contains(expected), "{expected} not in {error}");
        }
    }

    #[test]
    fn an_unknown_region_lists_the_known_ones() {
        let error = load("mars-north-1").unwrap_err();
        assert!(error.contains("`mars-north-1`") && error.contains("eu-west-1, us-east-1"), "{error}");
    }
}
