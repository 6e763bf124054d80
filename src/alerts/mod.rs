//! Alerts: tell the user when a device's traffic spikes or passes a limit.
//!
//! Flows are counted per (sensor, host, direction) into the current *bucket*; every
//! `window / 6` the buckets move into a ring that spans the window, rates are computed
//! (bit/s and packets/s over the window) and every rule is evaluated ([`engine`]):
//!
//! * fixed limits — any source host, any destination host, each sensor's total, named hosts
//!   (`Host.192.168.0.82 = 2 Mbit/s, Printer`: what it sends and what it receives, each);
//!   which apply to a host is decided in one place, [`limits`], for the engine and the pages;
//! * a spike — a host sending more than `SpikeFactor` × its usual rate and more than
//!   `SpikeFloor`. "Usual" is an exponential moving average over `Baseline` (1 h); a host is
//!   learned for that long before its spikes count, so a quiet printer that suddenly floods is
//!   caught, but a host seen for the first time mid-flood is left to the fixed limits.
//!
//! What comes out is data: an [`Incident`] when a rule is first exceeded and again when the
//! rate falls back below it, with duration, total bytes, peak and usual rate ([`incident`]).
//! The outputs word it (`output::wording`). Silent sensors are not alerts here:
//! they are exporter events (`health`).

mod engine;
mod hosts;
mod incident;
pub mod limits;

pub use engine::{AlertEngine, Usual};
pub use incident::{Direction, Incident, Peer, Phase, Rule};

#[cfg(test)]
mod tests;
