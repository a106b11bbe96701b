//! A Kinesis API error: HTTP status, `__type` and message (written in the request's protocol
//! by [`super::protocol`]).

use axum::http::StatusCode;

/// An error answer of the Kinesis endpoint.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    /// Seconds for a `Retry-After` header: set when intake is paused (disk full), so that a
    /// client waits before it retries instead of hammering a run that cannot take records.
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// A client error (HTTP 400).
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, kind, message: message.into(), retry_after: None }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new("InvalidArgumentException", message)
    }

    /// The log could not take the records (HTTP 500, the SDKs retry it).
    #[must_use]
    pub fn internal(message: &str) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "InternalFailure",
            message: format!("could not append to the local log: {message}"),
            retry_after: None,
        }
    }

    /// An append that failed: `InternalFailure` (HTTP 500, the SDKs retry it), with
    /// `Retry-After: 1` when the run is paused because a part cannot write
    /// ([`std::io::ErrorKind::StorageFull`]: nothing was appended, retry later).
    #[must_use]
    pub fn append_failed(error: &std::io::Error) -> Self {
        let paused = error.kind() == std::io::ErrorKind::StorageFull;
        Self { retry_after: paused.then_some(1), ..Self::internal(&error.to_string()) }
    }
}
