//! Jobs the disk refused (full, read-only, a file gone bad): kept in memory, oldest first,
//! and written before anything newer once the disk takes them again — a full disk for a few
//! minutes costs the history nothing. Past [`MAX_WAITING`] the oldest go, counted and said
//! (at most once a minute); what is still waiting when nf-svc stops is said as lost.

use super::{Job, write};
use rusqlite::Connection;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Jobs kept at most: two hours of minutes (a minute holds at most 1,000 hosts, ≈ 100 kB).
pub(super) const MAX_WAITING: usize = 120;
const SAID_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(super) struct Waiting {
    jobs: VecDeque<Job>,
    /// Dropped since last said: minutes, other jobs.
    dropped: (u64, u64),
    said: Option<Instant>,
}

fn counts(jobs: impl Iterator<Item = bool>) -> (u64, u64) {
    jobs.fold(
        (0, 0),
        |(m, o), minute| {
            if minute { (m + 1, o) } else { (m, o + 1) }
        },
    )
}

fn what(minutes: u64, other: u64) -> String {
    format!("{minutes} minute(s) of history and {other} other record(s)")
}

impl Waiting {
    /// Write what waits, then `job`. On the first failure that job and everything after it
    /// wait; the error is returned.
    pub(super) fn write(&mut self, conn: &mut Connection, job: Option<Job>) -> Result<(), String> {
        if let Some(j) = job {
            self.push(j);
        }
        while let Some(j) = self.jobs.front() {
            match write(conn, j) {
                Ok(()) => {
                    self.jobs.pop_front();
                }
                Err(e) => {
                    return Err(format!(
                        "cannot write: {e}; {} kept in memory and written when the disk takes them ({} at most)",
                        self.jobs.len(),
                        MAX_WAITING
                    ));
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, j: Job) {
        if self.jobs.len() >= MAX_WAITING
            && let Some(old) = self.jobs.pop_front()
        {
            let (m, o) = counts(std::iter::once(matches!(old, Job::Minute(_))));
            self.dropped.0 += m;
            self.dropped.1 += o;
        }
        self.jobs.push_back(j);
        if self.dropped != (0, 0) && self.said.is_none_or(|t| t.elapsed() >= SAID_EVERY) {
            log::warn!(
                "history: the disk still refuses writes; {} kept longest were dropped to keep the newest {MAX_WAITING}",
                what(self.dropped.0, self.dropped.1)
            );
            self.dropped = (0, 0);
            self.said = Some(Instant::now());
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// At the stop: what could not be written, said (nothing is kept past the stop).
    pub(super) fn give_up(&mut self) {
        let (m, o) = counts(self.jobs.drain(..).map(|j| matches!(j, Job::Minute(_))));
        let (m, o) = (m + self.dropped.0, o + self.dropped.1);
        if m + o > 0 {
            log::error!(
                "history: {} could not be written before stopping (the disk refused them) and are lost",
                what(m, o)
            );
        }
    }
}
