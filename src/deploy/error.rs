//! What can go wrong talking to AWS, as a message that says what to do, and an exit code:
//! 1 for an operation that failed or was refused, 2 for usage or configuration.

use std::fmt;

use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

#[derive(Debug)]
pub struct Error {
    message: String,
    exit: u8,
}

impl Error {
    /// An operation failed or was refused (exit 1).
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Error { message: message.into(), exit: 1 }
    }

    /// The command line or the local AWS configuration is wrong (exit 2).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error { message: message.into(), exit: 2 }
    }

    #[must_use]
    pub fn exit_code(&self) -> u8 {
        self.exit
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Where a failed call went, for the messages.
pub(crate) struct Call<'a> {
    /// What pipec was doing, e.g. "describe stack transactions".
    pub what: &'a str,
    /// The endpoint called (AWS's or `--endpoint-url`).
    pub endpoint: &'a str,
    /// How many attempts the SDK makes before giving up.
    pub attempts: u32,
}

const THROTTLED: &[&str] =
    &["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown"];
const DENIED: &[&str] = &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure"];
const BAD_CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
];

/// Turns an SDK error into a message that names the cause and the way out.
pub(crate) fn sdk<E>(call: &Call<'_>, err: &SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let Call { what, endpoint, attempts } = *call;
    match err {
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => Error::failed(format!(
            "cannot reach {endpoint} to {what}: {}\nhelp: the SDK gave up after {attempts} attempts; check the \
             network, --endpoint-url / AWS_ENDPOINT_URL and --region",
            chain(err)
        )),
        SdkError::TimeoutError(_) => Error::failed(format!(
            "{endpoint} did not answer in time to {what} (the SDK gave up after {attempts} attempts)\nhelp: check the \
             network, --endpoint-url / AWS_ENDPOINT_URL and --region"
        )),
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) if mentions_credentials(err) => {
            no_credentials(&chain(err))
        }
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let code = err.code().unwrap_or("");
            let message = err.message().unwrap_or("");
            if THROTTLED.contains(&code) {
                Error::failed(format!(
                    "AWS throttled the request to {what} and the SDK gave up after {attempts} attempts ({code}: \
                     {message})\nhelp: wait a minute and run the command again"
                ))
            } else if DENIED.contains(&code) {
                Error::failed(format!(
                    "access denied to {what} ({code}: {message})\nhelp: the credentials in use lack a permission: \
                     use --profile with a role that may manage CloudFormation stacks and their resources"
                ))
            } else if BAD_CREDENTIALS.contains(&code) {
                Error::config(format!(
                    "AWS rejected the credentials while trying to {what} ({code}: {message})\nhelp: refresh them \
                     (`aws sso login`, new keys) or choose others with --profile"
                ))
            } else if code.is_empty() {
                Error::failed(format!("could not {what}: {}{}", chain(err), response(err)))
            } else {
                Error::failed(format!("could not {what}: {code}: {message}"))
            }
        }
        _ => Error::failed(format!("could not {what}: {}", chain(err))),
    }
}

/// The HTTP status and the start of the body of an answer that could not be understood.
fn response<E>(err: &SdkError<E, HttpResponse>) -> String {
    let Some(raw) = err.raw_response() else { return String::new() };
    let body = raw.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
    let body: String = body.chars().take(300).collect();
    format!(" (HTTP {}: {})", raw.status().as_u16(), body.trim())
}

pub(crate) fn no_credentials(detail: &str) -> Error {
    Error::config(format!(
        "no usable AWS credentials: {detail}\nhelp: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose a \
         profile with --profile / AWS_PROFILE (for SSO run `aws sso login` first)"
    ))
}

/// True when the error is about `CloudFormation` saying the stack is not there.
pub(crate) fn is_missing_stack<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.code() == Some("ValidationError") && err.message().is_some_and(|m| m.contains("does not exist"))
}

fn mentions_credentials(err: &dyn std::error::Error) -> bool {
    chain(err).to_lowercase().contains("credential")
}

/// The error and its sources, joined with `: ` (repeats dropped).
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("dispatch failure")
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Connection refused (os error 111)")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    impl std::error::Error for Inner {}

    #[test]
    fn chain_joins_sources() {
        assert_eq!(chain(&Outer(Inner)), "dispatch failure: Connection refused (os error 111)");
    }

    type Sdk = SdkError<aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError, HttpResponse>;

    fn service(code: &str, message: &str) -> Sdk {
        use aws_sdk_cloudformation::error::ErrorMetadata;
        use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let status = 400u16.try_into().expect("status");
        SdkError::service_error(DescribeStacksError::generic(meta), HttpResponse::new(status, "".into()))
    }

    const CALL: Call<'static> = Call { what: "describe stack s", endpoint: "http://127.0.0.1:1", attempts: 6 };

    #[test]
    fn throttling_says_the_sdk_gave_up() {
        let e = sdk(&CALL, &service("Throttling", "Rate exceeded"));
        assert!(e.to_string().starts_with("AWS throttled the request to describe stack s and the SDK gave up after 6 attempts (Throttling: Rate exceeded)"), "{e}");
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn access_denied_and_bad_credentials() {
        let e = sdk(&CALL, &service("AccessDenied", "User: x is not authorized"));
        assert!(e.to_string().starts_with("access denied to describe stack s"), "{e}");
        let e = sdk(&CALL, &service("ExpiredToken", "The security token included in the request is expired"));
        assert!(e.to_string().contains("rejected the credentials"), "{e}");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn missing_stack() {
        assert!(is_missing_stack(&service("ValidationError", "Stack with id s does not exist")));
        assert!(!is_missing_stack(&service("ValidationError", "Template format error")));
    }

    #[test]
    fn unreachable_endpoint() {
        use aws_sdk_cloudformation::error::ConnectorError;
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let e = sdk(&CALL, &Sdk::dispatch_failure(ConnectorError::io(Box::new(refused))));
        assert!(e.to_string().starts_with("cannot reach http://127.0.0.1:1 to describe stack s: "), "{e}");
        assert!(e.to_string().contains("gave up after 6 attempts"), "{e}");
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Error::failed("x").exit_code(), 1);
        assert_eq!(Error::config("x").exit_code(), 2);
    }
}
