//! Flow records: the one normalized shape every decoder produces, and the small text helpers
//! shared by the logs that print them.

mod names;
mod record;
pub mod text;

pub use names::{ethertype_name, l4_proto_name, service_name};
pub use record::{Addr, ETYPE_IPV4, ETYPE_IPV6, FlowKind, FlowRecord};
