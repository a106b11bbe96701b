//! The key of the index that serves the viewer's sort: the viewer's sort field and the type
//! DynamoDB declares for it. The cloud targets declare the index with it
//! (`target::aws::index`), and every target refuses a flagged record whose value the index
//! would refuse (`crate::limits::item_problem`), so such a record is dead-lettered on every
//! target instead of failing its batch on AWS.

use super::Pipeline;
use crate::expr::{Context, Type, ValueType, check};

/// The viewer's sort key: field, DynamoDB attribute type (`S` or `N`) and whether descending;
/// `None` when there is no viewer, it has no sort, or it sorts by a boolean (not a valid key
/// type) or by an enrichment that is always NULL.
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
