//! A collector's status, served to processes that do not own it.
//!
//! The Windows service, a systemd unit or a console collector has no icon of its own. Each
//! serves a small local endpoint ([`serve`]): a named pipe on Windows that users logged in at
//! the machine may use, a Unix socket on Linux. A tray started while such a collector runs
//! does not bind the same port a second time: it finds the endpoint ([`attach::find`]) and
//! becomes its companion, showing the collector's state, toasting its alerts and summaries,
//! and asking it to pause, resume or make a report. `nf-svc status` prints the same snapshot.
//! The messages are JSON lines ([`wire`]); the transports are in [`crate::os`].

pub mod attach;
pub mod serve;
pub mod wire;

pub use serve::{Endpoint, serve};

use std::time::Duration;

/// A watching client gets a fresh snapshot at least this often (notices as they happen).
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(5);
