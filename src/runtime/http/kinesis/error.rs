//! A Kinesis API error: HTTP status, `__type` and message (written in the request's protocol
//! by [`super::protocol`]).

use axum::http::StatusCode;

/// An error answer of the Kinesis endpoint.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
}

impl ApiError {
    /// A client error (HTTP 400).
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, kind, message: message.into() }
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
        }
    }
}
