//! AWS's limits on what a flagged record may hold ([`crate::limits`]): a warning when a declared
//! `string(N)` lets a record exceed DynamoDB's key or item limits, or SNS's message limit.
//! Such records are not an error — every target dead-letters (or truncates) them the same way
//! — but the spec promises them a place it cannot give.

use crate::diagnostic::{Code, Diagnostic};
use crate::expr::ValueType;
use crate::limits::{ITEM_BYTES, MESSAGE_BYTES, PARTITION_KEY_BYTES, SORT_KEY_BYTES};
use crate::spec::{Field, Spec};

/// The most UTF-8 bytes a `string(N)` value can take (4 bytes a character).
fn worst_bytes(field: &Field) -> Option<usize> {
    field.max_length.filter(|_| field.ty.value == ValueType::String).map(|n| 4 * n as usize)
}

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let Some(store) = spec.hot.as_ref().and_then(|h| h.store.as_ref()) else { return };
    let keys = std::iter::once((&store.key.partition, "partition", PARTITION_KEY_BYTES))
        .chain(store.key.sort.as_ref().map(|s| (s, "sort", SORT_KEY_BYTES)));
    for (key, role, limit) in keys {
        let field = spec.stream.record.iter().find(|f| f.name.value == key.value);
        if let Some((field, worst)) = field.and_then(|f| worst_bytes(f).map(|w| (f, w))).filter(|(_, w)| *w > limit) {
            d.push(
                Diagnostic::warning(
                    Code::StoreLimit,
                    field.ty.span,
                    format!("`{}` can be {worst} bytes, over DynamoDB's {limit}-byte {role} key limit", key.value),
                )
                .with_label("up to 4 bytes of UTF-8 a character")
                .with_help(format!(
                    "declare at most `string({})`; flagged records with a longer key are dead-lettered",
                    limit / 4
                )),
            );
        }
    }
    // The largest record the declared bounds allow (unbounded strings are left out: they are
    // bounded only by Kinesis' 1 MiB record).
    let bounded: Vec<(&Field, usize)> =
        spec.stream.record.iter().filter_map(|f| worst_bytes(f).map(|w| (f, w + f.name.value.len()))).collect();
    let total: usize = bounded.iter().map(|(_, w)| w).sum();
    let Some((largest, _)) = bounded.iter().max_by_key(|(_, w)| *w) else { return };
    if total > ITEM_BYTES {
        d.push(
            Diagnostic::warning(
                Code::StoreLimit,
                largest.ty.span,
                format!("a record can hold {total} bytes of strings, over DynamoDB's 400 KB item limit"),
            )
            .with_label("the largest declared string")
            .with_help("lower the `string(N)` bounds; flagged records over 400 KB are dead-lettered on every target"),
        );
    } else if total > MESSAGE_BYTES {
        d.push(
            Diagnostic::warning(
                Code::StoreLimit,
                largest.ty.span,
                format!("a record can hold {total} bytes of strings, over SNS's 256 KB message limit"),
            )
            .with_label("the largest declared string")
            .with_help("alerts for records this large carry only the table key (`\"truncated\": true`)"),
        );
    }
}
