//! History: every minute of traffic in an embedded SQLite store (`nf-svc-history.sqlite` in
//! the log folder) that survives restarts, gives the spike rule its baselines back at start,
//! and answers `nf-svc export`.
//!
//! * [`minute`] — the counting side: one minute's totals per sensor and host, bounded;
//! * [`output`] — the [`History`] output: hands each finished minute (and the five-minute
//!   conversations, incidents, exporter figures) to the writer without waiting;
//! * [`writer`] — the writer thread: one transaction per minute, pruning by age and size;
//! * [`store`] — the file: schema, checks, a damaged file moved aside;
//! * [`read`] — series per host and sensor, baselines; [`export`] — the command line.
//!
//! After `kill -9` at most the current minute and the one being written are missing.

pub mod export;
pub mod minute;
pub mod outbox;
pub mod output;
pub mod query;
pub mod salvage;
pub mod store;
pub mod templates;
pub mod writer;

pub use output::{CONVERSATION_PERIOD, History};

use crate::settings::HistorySettings;
use std::time::SystemTime;

/// Unix seconds of `t` (0 before 1970), as the store keeps times.
pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The usual rate of every recently seen host, for the spike rule at start (none when there
/// is no readable store yet).
/// The names the store learned in earlier runs (none when it cannot be read).
pub fn stored_names(
    s: &HistorySettings,
) -> std::collections::HashMap<std::net::IpAddr, crate::names::Known> {
    store::open_for_reading(&s.path)
        .ok()
        .and_then(|conn| query::names(&conn).ok())
        .unwrap_or_default()
}

pub fn baselines(s: &HistorySettings, baseline: std::time::Duration) -> Vec<crate::alerts::Usual> {
    let now = unix(SystemTime::now());
    let Ok(conn) = store::open_for_reading(&s.path) else {
        return Vec::new();
    };
    match query::baselines(&conn, now, baseline) {
        Ok(seeds) => {
            if !seeds.is_empty() {
                log::info!(
                    "history: usual rates of {} host(s) restored for the spike rule",
                    seeds.len()
                );
            }
            seeds
        }
        Err(e) => {
            log::warn!("history: cannot read the usual rates ({e}); the spike rule learns anew");
            Vec::new()
        }
    }
}
