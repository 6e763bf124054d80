//! Flow records: the one normalized shape every decoder produces and every later stage reads.
//! How they are printed is the outputs' business.

mod bounded;
mod prefetch;
mod record;

pub use bounded::{BoundedMap, hash_table_bytes};
pub use prefetch::IndexLines;
pub use record::{Addr, ETYPE_IPV4, ETYPE_IPV6, FlowKind, FlowRecord};

/// Unix milliseconds of `t` (0 before 1970): the clock the flow record's times use.
pub fn unix_ms(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
