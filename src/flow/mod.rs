//! Flow records: the one normalized shape every decoder produces and every later stage reads.
//! How they are printed is the outputs' business.

mod bounded;
mod prefetch;
mod record;

pub use bounded::{BoundedMap, hash_table_bytes};
pub use prefetch::IndexLines;
pub use record::{Addr, ETYPE_IPV4, ETYPE_IPV6, FlowKind, FlowRecord};
