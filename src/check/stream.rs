//! The stream's capacity, retention and encryption against Kinesis limits, and its time zone.

use crate::diagnostic::{Code, Diagnostic};
use crate::spec::keys::{STREAM_RETENTION, STREAM_SHARDS};
use crate::spec::{Encryption, Spec};

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let stream = &spec.stream;
    let on_demand = stream.on_demand.as_ref().filter(|o| o.value);
    if let (Some(shards), Some(on_demand)) = (&stream.shards, on_demand) {
        d.push(
            Diagnostic::error(Code::CapacityConflict, shards.span, "`shards` and `on_demand: true` exclude each other")
                .with_label("fixed shard count")
                .with_secondary(on_demand.span, "on-demand capacity")
                .with_help("remove `shards` for on-demand capacity, or remove `on_demand` for provisioned shards"),
        );
    }
    let allowed = STREAM_SHARDS.allowed();
    if let Some(shards) = &stream.shards
        && !allowed.allows(u64::from(shards.value))
    {
        d.push(
                Diagnostic::error(Code::OutOfRange, shards.span, "the shard count is out of range")
                    .with_label(format!("Kinesis needs {} to {} shards (the default account quota)", allowed.min, allowed.max))
                    .with_help("each shard takes 1 MB/s or 1,000 records/s; for more, use `on_demand: true` or ask AWS for a higher quota"),
            );
    }
    if let Some(retention) = &stream.retention {
        let allowed = STREAM_RETENTION.allowed();
        if !allowed.allows(retention.value.0) {
            d.push(
                Diagnostic::error(Code::OutOfRange, retention.span, "the retention is out of range")
                    .with_label(format!(
                        "Kinesis keeps records for {} to {} ({}), in whole hours",
                        allowed.min,
                        allowed.max,
                        allowed.max.duration()
                    ))
                    .with_help("write for example `24h` or `7d`"),
            );
        }
    }
    if let Some(enc) = stream.encryption.as_ref().filter(|e| e.value == Encryption::None) {
        d.push(
            Diagnostic::warning(Code::EncryptionDisabled, enc.span, "the stream is not encrypted at rest")
                .with_label("records stored in plain text")
                .with_help("remove `encryption: none` to use KMS (the default)"),
        );
    }
    if let Some(tz) = &stream.timezone
        && crate::expr::timestamp::parse_timezone(&tz.value).is_none()
    {
        let named = tz.value.contains('/');
        d.push(
            Diagnostic::error(Code::InvalidValue, tz.span, format!("`{}` is not a time zone pipec accepts", tz.value))
                .with_label("`UTC` or a fixed offset such as `+02:00`")
                .with_help(if named {
                    "named zones change offset with daylight saving time, which makes some local times ambiguous: \
                     write the offset the producers use (e.g. `+01:00`), or better, send timestamps with a zone"
                } else {
                    "write `UTC`, or an offset `+HH:MM` / `-HH:MM` (hours up to 23)"
                }),
        );
    }
}
