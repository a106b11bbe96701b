//! The diagnostic of a stream too small for the expected traffic, pointing at the spec's
//! `shards:` (or `on_demand:`, or the `stream:` that sets neither) with the shard count to use.

use super::capacity::{self, Capacity};
use super::trim;
use crate::diagnostic::{Code, Diagnostic};
use crate::spec::Spec;

/// `Some` when the stream cannot carry the planned traffic.
#[must_use]
pub fn under_provisioned(spec: &Spec, c: &Capacity, region: &str) -> Option<Diagnostic> {
    let s = &c.stream;
    if s.enough {
        return None;
    }
    let traffic = format!(
        "{} MiB/s written and {} MiB/s read by {} consumer{}",
        trim(s.write_bytes_per_second / 1_048_576.0),
        trim(s.read_bytes_per_second / 1_048_576.0),
        s.consumers,
        if s.consumers == 1 { "" } else { "s" }
    );
    let stream = &spec.stream;
    let diagnostic = match (s.declared_shards, &stream.shards, &stream.on_demand) {
        (Some(declared), shards, _) => {
            let span = shards.as_ref().map_or(stream.span, |n| n.span);
            let label = if shards.is_some() {
                format!("{declared} shard{} declared here", if declared == 1 { "" } else { "s" })
            } else {
                "no `shards:` here, so the stream has 1 shard".to_string()
            };
            Diagnostic::error(
                Code::UnderProvisioned,
                span,
                format!("the stream needs {} shards for the expected traffic, not {declared}", s.needed_shards),
            )
            .with_label(label)
            .with_help(format!(
                "write `shards: {}` (the {} limit decides it; {traffic}), or `on_demand: true`",
                s.needed_shards, s.deciding_limit
            ))
        }
        (None, _, on_demand) => {
            let span = on_demand.as_ref().map_or(stream.span, |o| o.span);
            Diagnostic::error(
                Code::UnderProvisioned,
                span,
                format!("an on-demand stream in {region} cannot carry the expected traffic"),
            )
            .with_label(format!(
                "on demand scales to {} MB/s of writes in {region}",
                trim(capacity::on_demand_max_bytes(region) / 1e6)
            ))
            .with_help(format!(
                "the plan needs {} shards ({traffic}): split the traffic over several streams, or ask AWS for a higher limit",
                s.needed_shards
            ))
        }
    };
    Some(diagnostic)
}
