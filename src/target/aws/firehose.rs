//! What both cloud targets tell Firehose, the archive's delivery stream.

use crate::ir::{Archive, Layout};

/// Prefix and error prefix as Firehose wants them. The hourly layout is Firehose's default
/// (`YYYY/MM/dd/HH/` after the prefix); the daily one needs a timestamp expression, and then
/// the error prefix must carry `!{firehose:error-output-type}`.
#[must_use]
pub fn prefixes(a: &Archive) -> (String, String) {
    match a.layout {
        Layout::Hourly => (a.prefix.clone(), a.error_prefix.clone()),
        Layout::Daily => (
            format!("{}!{{timestamp:yyyy/MM/dd}}/", a.prefix),
            format!("{}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/", a.error_prefix),
        ),
    }
}
