//! Wall-clock time in Unix milliseconds and UTC calendar parts (for archive keys).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// UTC calendar parts, shared with the expression language's `now()` formatting.
pub use crate::expr::value::civil;

#[cfg(test)]
mod tests {
    #[test]
    fn civil_parts() {
        assert_eq!(super::civil(1_714_564_800_123), (2024, 5, 1, 12, 0, 0));
        assert_eq!(super::civil(951_782_400_000 + 3_723_000), (2000, 2, 29, 1, 2, 3));
    }
}
