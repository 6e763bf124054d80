//! Every read of the history store, typed: the one place that knows the schema's columns on
//! the way out (the writer, `store` and `writer`, on the way in). Pages, exports and the
//! alert engine's start ask here and get rows as structs; none of them writes SQL.
//!
//! [`minutes`]: a host's or the sensors' minutes over a period, and each host's usual rate.
//! [`pages`]: what the report pages show — gaps, top hosts with their services, peers,
//! conversations, the sensors' lines, daily totals, incidents and exporters.
//! [`names`]: what devices are called.

pub mod minutes;
pub mod names;
pub mod pages;

pub use minutes::*;
pub use names::*;
pub use pages::*;
