//! The AWS clients: aws-config's default chain (environment, profiles, SSO), `--profile`,
//! `--region`, `--endpoint-url` / `AWS_ENDPOINT_URL`; a short connect timeout and a retry budget
//! that fails fast when the endpoint is unreachable and still rides out throttling.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudformation::config::{ProvideCredentials, Region};

use super::error::{self, Call, Error};
use super::{Connection, Report};

/// Attempts per call (the SDK backs off between them; throttling needs a few).
pub(crate) const ATTEMPTS: u32 = 6;
/// Attempts for the first call of a command: an unreachable endpoint fails in seconds.
pub(crate) const PROBE_ATTEMPTS: u32 = 2;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPT_TIMEOUT: Duration = Duration::from_mins(1);

pub(crate) struct Aws {
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub region: String,
    /// The caller's credentials, for requests pipec signs itself.
    pub credentials: aws_credential_types::provider::SharedCredentialsProvider,
    /// `--endpoint-url` / `AWS_ENDPOINT_URL`, when set.
    pub endpoint_url: Option<String>,
    /// The `CloudFormation` endpoint, for messages.
    pub endpoint: String,
    /// Where progress, results and questions go (the connection's [`Report`]).
    pub report: Arc<dyn Report>,
}

impl Aws {
    /// Describes a call for error messages.
    pub(crate) fn call<'a>(&'a self, what: &'a str) -> Call<'a> {
        Call { what, endpoint: &self.endpoint, attempts: ATTEMPTS }
    }

    /// The same, for a call made with the probe's small retry budget.
    pub(crate) fn probe_call<'a>(&'a self, what: &'a str) -> Call<'a> {
        Call { what, endpoint: &self.endpoint, attempts: PROBE_ATTEMPTS }
    }

    /// Per-call override: the probe's retry budget.
    pub(crate) fn probe_config() -> aws_sdk_cloudformation::config::Builder {
        aws_sdk_cloudformation::config::Builder::default()
            .retry_config(RetryConfig::standard().with_max_attempts(PROBE_ATTEMPTS))
    }
}

/// Loads the configuration and checks that a region and credentials are there.
pub(crate) async fn connect(c: &Connection) -> Result<Aws, Error> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(ATTEMPTS));
    if let Some(profile) = &c.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &c.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &c.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    let Some(region) = config.region().map(ToString::to_string) else {
        let profile = c.profile.as_ref().map_or_else(String::new, |p| format!(" (profile `{p}` has none)"));
        return Err(Error::config(format!(
            "no AWS region is set{profile}\nhelp: pass --region, set AWS_REGION, or set `region` in the profile \
             (~/.aws/config)"
        )));
    };
    let Some(credentials) = config.credentials_provider() else {
        return Err(error::no_credentials("no credentials provider is configured"));
    };
    if let Err(e) = credentials.provide_credentials().await {
        return Err(error::no_credentials(&error::chain(&e)));
    }
    let endpoint = config
        .endpoint_url()
        .map_or_else(|| format!("https://cloudformation.{region}.amazonaws.com"), ToString::to_string);
    // A custom endpoint (an emulator, a VPC endpoint) rarely serves virtual-hosted buckets.
    let s3 = aws_sdk_s3::config::Builder::from(&config).force_path_style(config.endpoint_url().is_some()).build();
    Ok(Aws {
        cfn: aws_sdk_cloudformation::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3),
        region,
        credentials: credentials.clone(),
        endpoint_url: config.endpoint_url().map(str::to_string),
        endpoint,
        report: Arc::clone(&c.report),
    })
}
