//! The cold archive: S3 prefixes and Firehose buffering limits.

use crate::diagnostic::{Code, Diagnostic};
use crate::spec::keys::{BUFFER_INTERVAL, BUFFER_SIZE};
use crate::spec::{Spanned, Spec};

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let Some(cold) = &spec.cold else { return };
    for prefix in [&cold.prefix, &cold.error_prefix].into_iter().flatten() {
        prefix_check(prefix, d);
    }
    if let (Some(p), Some(e)) = (&cold.prefix, &cold.error_prefix)
        && p.value == e.value
    {
        d.push(
            Diagnostic::error(Code::InvalidValue, e.span, "the error prefix equals the archive prefix")
                .with_label("failed deliveries would mix with the archive")
                .with_secondary(p.span, "archive prefix")
                .with_help("use a separate prefix such as `errors/`"),
        );
    }
    let Some(buffer) = &cold.buffer else { return };
    let sizes = BUFFER_SIZE.allowed();
    if let Some(size) = &buffer.size
        && !sizes.allows(size.value.0)
    {
        let bytes = size.value.0;
        // `64MB` is a size (decimal units are documented) but not a whole number of MiB.
        let mb = bytes / 1_000_000;
        let help = if bytes.is_multiple_of(1_000_000) && (sizes.min.number..=sizes.max.number).contains(&mb) {
            format!("{mb}MB is {bytes} bytes, not a whole number of MiB; write `{mb}MiB`")
        } else {
            "write for example `64MiB`".to_string()
        };
        d.push(
            Diagnostic::error(Code::OutOfRange, size.span, "the buffer size is out of range")
                .with_label(format!("Firehose buffers {} to {}, in whole MiB", sizes.min, sizes.max))
                .with_help(help),
        );
    }
    if let Some(interval) = &buffer.interval {
        let allowed = BUFFER_INTERVAL.allowed();
        if !allowed.allows(interval.value.0) {
            d.push(
                Diagnostic::error(Code::OutOfRange, interval.span, "the buffer interval is out of range")
                    .with_label(format!("Firehose flushes every {} to {}, in whole seconds", allowed.min, allowed.max))
                    .with_help("write for example `60s`"),
            );
        }
    }
}

fn prefix_check(prefix: &Spanned<String>, d: &mut Vec<Diagnostic>) {
    let p = &prefix.value;
    let problem = if p.is_empty() {
        Some("an empty prefix mixes the archive with everything else in the bucket")
    } else if p.starts_with('/') {
        Some("S3 keys do not start with `/`")
    } else if !p.ends_with('/') {
        Some("the prefix must end with `/`")
    } else if p.len() > 512 {
        Some("prefixes are at most 512 characters")
    } else if p.contains("//") || p.chars().any(|c| c.is_control() || "\\{}^%`[]\"<>~#|".contains(c)) {
        Some("use letters, digits and `! - _ . * ' ( ) /` (S3's safe characters)")
    } else {
        None
    };
    if let Some(problem) = problem {
        let fixed = format!("{}/", p.trim_matches('/'));
        d.push(
            Diagnostic::error(Code::InvalidName, prefix.span, format!("`{p}` is not a valid S3 prefix"))
                .with_label(problem)
                .with_help(format!("write for example `{}`", if fixed == "/" { "raw/" } else { &fixed })),
        );
    }
}
