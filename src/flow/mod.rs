//! Flow records: the one normalized shape every decoder produces and every later stage reads.
//! How they are printed lives with the words ([`crate::words`]) and the outputs.

mod record;

pub use record::{Addr, ETYPE_IPV4, ETYPE_IPV6, FlowKind, FlowRecord};
