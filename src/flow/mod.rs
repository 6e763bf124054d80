//! Flow records: the one normalized shape every decoder produces and every later stage reads.
//! How they are printed is the outputs' business.

mod record;

pub use record::{Addr, ETYPE_IPV4, ETYPE_IPV6, FlowKind, FlowRecord};
