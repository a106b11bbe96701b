//! The flagged table's index that serves the viewer's sort, the same on every cloud target: a
//! global secondary index whose partition key is pipec's constant `_pipec_view` attribute
//! (every stored item carries it, see [`crate::limits::BOOKKEEPING`]) and whose sort key is the
//! viewer's sort field. The viewer then queries one partition in the spec's order, a page at a
//! time, instead of scanning and sorting a cut of the table. Items without the sort field are
//! not in the index: the viewer lists them after the sorted rows, by a scan for them (as the
//! local viewer lists them last).

use crate::expr::{Context, Type, ValueType, check};
use crate::ir::Pipeline;

/// The index's name.
pub const NAME: &str = "by-sort";
/// The index's partition key (a string attribute with one value for every item).
pub const PARTITION: &str = "_pipec_view";

/// The viewer's sort key: field, DynamoDB attribute type (`S` or `N`) and whether descending;
/// `None` when the viewer has no sort or sorts by a boolean (not a valid key type).
#[must_use]
pub fn viewer_sort(p: &Pipeline) -> Option<(&str, &'static str, bool)> {
    let store = p.store.as_ref()?;
    let (field, descending) = store.viewer.as_ref()?.sort.as_ref()?;
    let ty = if let Some(f) = p.stream.schema.fields.iter().find(|f| &f.name == field) {
        f.ty
    } else {
        let e = store.enrich.iter().find(|e| &e.name == field)?;
        match check(&e.expr, &p.stream.schema, Context::Enrichment).0? {
            Type::Of(ty) => ty,
            Type::Null => return None,
        }
    };
    let attribute = match ty {
        ValueType::Int | ValueType::Float => "N",
        ValueType::String | ValueType::Timestamp => "S",
        ValueType::Bool => return None,
    };
    Some((field.as_str(), attribute, *descending))
}
