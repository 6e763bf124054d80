//! Words and units in one place: how nf-svc says a number, a time, a protocol or a service to
//! a person. Logs, toasts, the tooltip and report pages all print through here.
//!
//! * [`units`] — bytes, bit/s, pps, counts, durations, intervals, local time;
//! * [`protocols`] — ethertypes, IP protocols and well-known services (`mdns`, `netbios-ns`);
//! * [`append`] — the allocation-free forms of the same for the hot path (dump lines).
//!
//! This module depends on nothing but [`crate::flow`]'s address type, so every other module
//! may use it.

pub mod append;
pub mod protocols;
pub mod units;
