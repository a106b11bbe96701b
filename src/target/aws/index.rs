//! The flagged table's index that serves the viewer's sort, the same on every cloud target: a
//! global secondary index whose partition key is pipec's constant `_pipec_view` attribute
//! (every stored item carries it, see [`crate::limits::BOOKKEEPING`]) and whose sort key is the
//! viewer's sort field. The viewer then queries one partition in the spec's order, a page at a
//! time, instead of scanning and sorting a cut of the table. Items without the sort field are
//! not in the index: the viewer lists them after the sorted rows, by a scan for them (as the
//! local viewer lists them last). The index's key ([`viewer_sort`]) is decided in `ir`: every
//! target checks a stored value against it (`crate::limits::item_problem`).

pub use crate::ir::viewer_sort;

/// The index's name.
pub const NAME: &str = "by-sort";
/// The index's partition key (a string attribute with one value for every item).
pub const PARTITION: &str = "_pipec_view";
