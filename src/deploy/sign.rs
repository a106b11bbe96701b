//! SigV4 for plain HTTP requests (the viewer proxy, `CloudWatch`'s JSON API), with the caller's
//! credentials from aws-config's chain and the `aws-sigv4` crate. Credentials are asked for on
//! every request: the provider caches them and refreshes the ones that expire (SSO, roles).

use std::time::SystemTime;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::error::{self, Error};

#[derive(Clone, Debug)]
pub(crate) struct Signer {
    pub credentials: SharedCredentialsProvider,
    pub region: String,
}

/// A request to sign: method, full URL (already percent-encoded), headers and body.
pub(crate) struct Unsigned<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Signer {
    /// The headers to add to `request` (`authorization`, `x-amz-date`, `x-amz-content-sha256`,
    /// and `x-amz-security-token` for temporary credentials) for `service` at `time`.
    pub(crate) async fn sign(
        &self,
        service: &str,
        request: &Unsigned<'_>,
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, Error> {
        let credentials =
            self.credentials.provide_credentials().await.map_err(|e| error::no_credentials(&error::chain(&e)))?;
        let identity: Identity = credentials.into();
        headers(&identity, &self.region, service, request, time)
    }
}

/// The signing itself, a pure function of its inputs (so it is unit-tested with a fixed time).
pub(crate) fn headers(
    identity: &Identity,
    region: &str,
    service: &str,
    request: &Unsigned<'_>,
    time: SystemTime,
) -> Result<Vec<(String, String)>, Error> {
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| Error::failed(format!("cannot sign the request: {e}")))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| Error::failed(format!("cannot sign a request to {}: {e}", request.url)))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| Error::failed(format!("cannot sign a request to {}: {e}", request.url)))?
        .into_parts();
    Ok(instructions.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_credential_types::Credentials;

    use super::*;

    #[test]
    fn signs_with_the_date_the_key_and_the_payload_hash() {
        let identity: Identity = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test").into();
        let headers_in = vec![("host".to_string(), "example.lambda-url.eu-west-1.on.aws".to_string())];
        let request = Unsigned {
            method: "GET",
            url: "https://example.lambda-url.eu-west-1.on.aws/?q=1",
            headers: &headers_in,
            body: b"",
        };
        let time = SystemTime::UNIX_EPOCH + Duration::from_hours(490_176); // 2025-12-02T00:00:00Z
        let out = headers(&identity, "eu-west-1", "lambda", &request, time).unwrap();
        let get = |name: &str| out.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
        assert_eq!(get("x-amz-date"), "20251202T000000Z");
        assert_eq!(get("x-amz-content-sha256"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let auth = get("authorization");
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251202/eu-west-1/lambda/aws4_request"),
            "{auth}"
        );
        assert!(auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date"), "{auth}");
    }
}
