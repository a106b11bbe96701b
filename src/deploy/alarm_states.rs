//! The states of a stack's `CloudWatch` alarms, for `pipec status`: one `DescribeAlarms` call
//! per 100 alarms through `CloudWatch`'s JSON protocol, signed with [`super::sign`] (a second SDK
//! crate for one read-only call would add more build time than this file has lines).

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::aws::Aws;
use super::error::Error;
use super::sign::{Signer, Unsigned};

/// `DescribeAlarms` takes at most 100 names.
const PAGE: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AlarmState {
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub reason: Option<String>,
}

/// The states of the alarms named, in the order `CloudWatch` gives them.
pub(crate) async fn states(aws: &Aws, names: &[String]) -> Result<Vec<AlarmState>, Error> {
    let url = aws.endpoint_url.as_ref().map_or_else(
        || {
            let domain = if aws.region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
            format!("https://monitoring.{}.{domain}/", aws.region)
        },
        |u| format!("{}/", u.trim_end_matches('/')),
    );
    let signer = Signer { credentials: aws.credentials.clone(), region: aws.region.clone() };
    let mut found = Vec::new();
    for chunk in names.chunks(PAGE) {
        let body = serde_json::to_vec(&json!({ "AlarmNames": chunk, "MaxRecords": PAGE }))
            .map_err(|e| Error::failed(format!("internal error: {e}")))?;
        let authority = url.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_default().to_string();
        let headers = vec![
            ("content-type".to_string(), "application/x-amz-json-1.0".to_string()),
            ("host".to_string(), authority),
            ("x-amz-target".to_string(), "GraniteServiceVersion20100801.DescribeAlarms".to_string()),
        ];
        let unsigned = Unsigned { method: "POST", url: &url, headers: &headers, body: &body };
        let mut all = headers.clone();
        all.extend(signer.sign("monitoring", &unsigned, SystemTime::now()).await?);
        all.retain(|(k, _)| k != "host");
        let url2 = url.clone();
        let answer = tokio::task::spawn_blocking(move || post(&url2, &all, body))
            .await
            .map_err(|e| Error::failed(format!("the request for alarm states failed: {e}")))??;
        found.extend(parse(&answer));
    }
    Ok(found)
}

fn post(url: &str, headers: &[(String, String)], body: Vec<u8>) -> Result<Value, Error> {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(TIMEOUT)).build().into();
    let mut request = axum::http::Request::builder().method("POST").uri(url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(body).map_err(|e| Error::failed(format!("internal error: {e}")))?;
    let response =
        agent.run(request).map_err(|e| Error::failed(format!("cannot reach {url} to read the alarm states: {e}")))?;
    let status = response.status().as_u16();
    let text = response
        .into_body()
        .read_to_string()
        .map_err(|e| Error::failed(format!("cannot read the alarm states from {url}: {e}")))?;
    if status != 200 {
        return Err(Error::failed(format!(
            "CloudWatch answered {status} to DescribeAlarms: {}\nhelp: the caller needs cloudwatch:DescribeAlarms",
            text.chars().take(300).collect::<String>()
        )));
    }
    serde_json::from_str(&text).map_err(|e| Error::failed(format!("CloudWatch's answer is not JSON ({e})")))
}

/// The alarms of a `DescribeAlarms` answer.
fn parse(answer: &Value) -> Vec<AlarmState> {
    let text = |a: &Value, key: &str| a.get(key).and_then(Value::as_str).map(str::to_string);
    answer
        .get("MetricAlarms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| AlarmState {
            name: text(a, "AlarmName").unwrap_or_default(),
            state: text(a, "StateValue").unwrap_or_else(|| "UNKNOWN".into()),
            reason: text(a, "StateReason"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_states_and_reasons() {
        let answer = json!({ "MetricAlarms": [
            { "AlarmName": "p-hot-errors", "StateValue": "ALARM", "StateReason": "Threshold Crossed" },
            { "AlarmName": "p-failed-batches", "StateValue": "OK" }
        ] });
        let states = parse(&answer);
        assert_eq!(states.len(), 2);
        assert_eq!(
            states[0],
            AlarmState { name: "p-hot-errors".into(), state: "ALARM".into(), reason: Some("Threshold Crossed".into()) }
        );
        assert_eq!(states[1].reason, None);
        assert!(parse(&json!({})).is_empty());
    }
}
