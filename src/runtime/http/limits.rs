//! The HTTP server's protective limits (`pipec run` flags, with these defaults):
//!
//! | flag | default | what happens past it |
//! |---|---|---|
//! | `--http-header-timeout` | 10 s | an HTTP/1.1 request's head (request line and headers) not complete once it started: the connection is closed |
//! | `--http-body-timeout` | 30 s | a request's body not complete: `408 Request Timeout` |
//! | `--http-idle-timeout` | 60 s | no byte read or written on a connection (HTTP/1.1 or HTTP/2, also one that never sent a byte): it is closed |
//! | `--http-max-connections` | 512 | more connections open at once: `503 Service Unavailable` with `Retry-After: 1`, then closed |
//!
//! The bound on connections keeps the process under the common limit of 1,024 open files
//! (the log, store and archive need some), so the server answers, also `/healthz`, when
//! too many clients connect.

use std::time::Duration;

/// Timeouts and the connection bound of the HTTP server.
#[derive(clap::Args, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Close an HTTP/1.1 connection whose request head (request line and headers), once
    /// started, is not complete within this time.
    #[arg(long = "http-header-timeout", value_name = "D", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// Answer 408 to a request whose body is not complete within this time.
    #[arg(long = "http-body-timeout", value_name = "D", default_value = "30s", value_parser = parse_duration)]
    pub body_timeout: Duration,
    /// Close a connection on which nothing was read or written for this long.
    #[arg(long = "http-idle-timeout", value_name = "D", default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Connections open at once; one more is answered 503 and closed.
    #[arg(long = "http-max-connections", value_name = "N", default_value = "512", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_connections: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_mins(1),
            max_connections: 512,
        }
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    match crate::spec::units::Duration::parse(text) {
        Some(d) if d.0 > 0 => Ok(Duration::from_millis(d.0)),
        _ => Err(format!("`{text}` is not a positive duration such as 500ms, 30s or 5m")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        limits: Limits,
    }

    #[test]
    fn flags_and_defaults_agree() {
        assert_eq!(Cli::parse_from(["x"]).limits, Limits::default());
        let cli = Cli::parse_from(["x", "--http-header-timeout", "500ms", "--http-max-connections", "8"]);
        assert_eq!(cli.limits.header_timeout, Duration::from_millis(500));
        assert_eq!(cli.limits.max_connections, 8);
        assert!(Cli::try_parse_from(["x", "--http-body-timeout", "0s"]).is_err());
        assert!(Cli::try_parse_from(["x", "--http-max-connections", "0"]).is_err());
    }
}
