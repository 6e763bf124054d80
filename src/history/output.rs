//! The history as an output: on the counting path it only adds records to the current
//! [`Minute`]; when the minute is over, the finished minute goes to the writer thread over a
//! bounded queue without waiting. A full queue (the disk is behind) drops that minute, counts
//! it, and says so in one line; a second line tells how many were lost once the writer keeps
//! up again. Problems opening or writing the file come back as messages for the user, and
//! collecting goes on regardless.

use super::minute::{Minute, minute_of};
use super::store;
use super::writer::{Job, Retention, Writer};
use crate::alerts::Incident;
use crate::flow::FlowRecord;
use crate::health::ExporterHealth;
use crate::settings::HistorySettings;
use crate::sink::Output;
use crate::summary::Summary;
use chrono::{DateTime, Local};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often the per-minute host bound may be reported.
const BOUND_WARNING: Duration = Duration::from_secs(3600);

/// The summary interval whose top conversations are kept.
pub const CONVERSATION_PERIOD: Duration = Duration::from_secs(300);

pub struct History {
    live: Option<Live>,
    /// Told once: why history is off, or that a damaged file was moved aside.
    notice: Option<String>,
}

struct Live {
    minute: Minute,
    writer: Writer,
    /// Jobs dropped since the queue was last found full.
    dropped: u64,
    /// Jobs dropped since the collector started (said when it stops).
    dropped_in_run: u64,
    /// Host counts beyond the per-minute key bound since the last warning, and when that was.
    beyond_bound: u64,
    warned_bound: Option<std::time::Instant>,
}

fn now_unix_ms() -> u64 {
    crate::flow::unix_ms(SystemTime::now())
}

impl History {
    /// Open the store the settings name (history on), or an output that only says why
    /// history is off (the folder cannot be written).
    pub fn open(s: &HistorySettings) -> History {
        let path = s.path.clone();
        let opened = store::open_for_writing(&path).and_then(|o| {
            let retention = Retention {
                keep_days: s.keep_days,
                max_bytes: s.max_size_mb.saturating_mul(1024 * 1024),
            };
            let writer = Writer::spawn(o.conn, Some(path.clone()), retention)
                .map_err(|e| format!("cannot start the history writer: {e}"))?;
            if let Some(aside) = o.aside {
                // First in the queue: the old rows are in before the first new minute.
                let _ = writer.try_send(Job::Salvage(aside));
            }
            Ok((writer, o.notice))
        });
        match opened {
            Ok((writer, notice)) => History {
                live: Some(Live {
                    minute: Minute::new(minute_of(now_unix_ms())),
                    writer,
                    dropped: 0,
                    dropped_in_run: 0,
                    beyond_bound: 0,
                    warned_bound: None,
                }),
                notice,
            },
            Err(e) => History {
                live: None,
                notice: Some(format!(
                    "history is off: {e}; collecting goes on without it"
                )),
            },
        }
    }

    /// Wait until everything handed over so far is in the file (tests; at most `timeout`).
    pub fn sync(&mut self, timeout: Duration) -> bool {
        self.live.as_ref().is_some_and(|l| l.writer.sync(timeout))
    }

    fn send(&mut self, job: Job) {
        let Some(l) = self.live.as_mut() else {
            return;
        };
        match l.writer.try_send(job) {
            Ok(()) if l.dropped > 0 => {
                log::warn!(
                    "history: the disk keeps up again; {} minute(s) or record(s) of history were not stored",
                    l.dropped
                );
                l.dropped = 0;
            }
            Ok(()) => {}
            Err(_) => {
                if l.dropped == 0 {
                    log::warn!(
                        "history: the disk is behind; what cannot be queued is dropped and counted"
                    );
                }
                l.dropped += 1;
                l.dropped_in_run += 1;
            }
        }
    }

    /// Hand the current minute over when `now_ms` lies in a later one.
    fn roll(&mut self, now_ms: u64) {
        let next = minute_of(now_ms);
        let Some(l) = self.live.as_mut() else {
            return;
        };
        if next > l.minute.start() {
            let rows = l.minute.take(next);
            l.beyond_bound += rows.beyond_bound;
            // Said at most once an hour, with the count since the last time.
            if l.beyond_bound > 0 && l.warned_bound.is_none_or(|t| t.elapsed() >= BOUND_WARNING) {
                log::warn!(
                    "history: more than {} hosts in a minute; {} host count(s) beyond that were stored as \"other\"",
                    super::minute::MAX_KEYS,
                    l.beyond_bound
                );
                l.beyond_bound = 0;
                l.warned_bound = Some(std::time::Instant::now());
            }
            self.send(Job::Minute(rows));
        }
    }
}

impl Output for History {
    fn flows(&mut self, _logged: &DateTime<Local>, records: &[FlowRecord]) -> Result<(), String> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        // All records of a datagram arrived together.
        self.roll(first.time_received_ms);
        if let Some(l) = self.live.as_mut() {
            for r in records {
                l.minute.add(r);
            }
        }
        Ok(())
    }

    fn conversations(&mut self, summary: &Arc<Summary>) -> Result<(), String> {
        self.send(Job::Conversations(summary.clone()));
        Ok(())
    }

    fn incident(&mut self, incident: &Arc<Incident>) -> Result<(), String> {
        self.send(Job::Incident(incident.clone()));
        Ok(())
    }

    fn exporter_health(&mut self, all: &[ExporterHealth]) -> Result<(), String> {
        if !all.is_empty() {
            self.send(Job::Exporters(all.to_vec()));
        }
        Ok(())
    }

    fn names(
        &mut self,
        _all: &crate::names::Names,
        changed: &[(std::net::IpAddr, crate::names::Known)],
    ) -> Result<(), String> {
        if !changed.is_empty() {
            self.send(Job::Names(changed.to_vec()));
        }
        Ok(())
    }

    fn flush(&mut self, to_disk: bool) -> Result<(), String> {
        if to_disk {
            // Minutes end while nothing arrives too: a quiet minute is still a minute
            // nf-svc was collecting.
            self.roll(now_unix_ms());
        }
        let mut problems: Vec<String> = self.notice.take().into_iter().collect();
        if let Some(l) = &self.live {
            problems.extend(l.writer.problems());
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(problems.join("; ")),
        }
    }
}

impl Drop for History {
    /// Stopping: the minute so far is written (partial), then everything queued.
    fn drop(&mut self) {
        if let Some(mut l) = self.live.take() {
            let start = l.minute.start();
            let rows = l.minute.take(start + 60);
            if !l
                .writer
                .send_within(Job::Minute(rows), Duration::from_secs(5))
            {
                log::warn!("history: the last minute could not be stored (the disk is behind)");
            }
            l.writer.stop();
            if l.dropped_in_run > 0 {
                log::warn!(
                    "history: {} minute(s) or record(s) of history were not stored in this run (the disk was behind)",
                    l.dropped_in_run
                );
            }
            // Nobody asks for problems after this: the service log gets them.
            for p in l.writer.problems() {
                log::error!("{p}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Addr, FlowKind};

    fn record(minute: u64) -> FlowRecord {
        FlowRecord {
            kind: FlowKind::NetflowV5,
            exporter: Addr::V4([127, 0, 0, 1]),
            src_addr: Addr::V4([10, 0, 0, 1]),
            dst_addr: Addr::V4([10, 0, 0, 2]),
            bytes: 100,
            packets: 1,
            time_received_ms: minute * 60_000 + 500,
            ..Default::default()
        }
    }

    #[test]
    fn a_disk_that_falls_behind_drops_minutes_and_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let s = crate::settings::Settings::defaults(&dir.path().join("nf-svc.ini")).history;
        let mut h = History::open(&s);
        assert!(h.notice.is_none() && h.live.is_some());
        // Another program holds the file: the writer waits (busy timeout) on the first minute
        // it takes, the queue fills behind it and the rest is dropped. When the writer takes
        // that minute is up to the scheduler: before the queue is full, once drops have begun
        // (then one more fits, and the count since the queue was found full starts again), or
        // only after the last minute was handed over (then the queue alone was taken).
        // The writer's pruning at start is done first (it would wait on the lock too).
        assert!(h.sync(Duration::from_secs(20)));
        let locker = rusqlite::Connection::open(s.path.clone()).unwrap();
        locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let first = now_unix_ms() / 60_000 + 1;
        let now = Local::now();
        for m in 0..40 {
            h.flows(&now, &[record(first + m)]).unwrap();
        }
        let queue = super::super::writer::QUEUE as u64;
        let live = h.live.as_ref().unwrap();
        let dropped = live.dropped_in_run;
        assert!(
            (40 - 1 - queue..=40 - queue).contains(&dropped),
            "{dropped}"
        );
        assert!(live.dropped <= dropped);
        locker.execute_batch("ROLLBACK").unwrap();
        drop(locker);
        assert!(h.sync(Duration::from_secs(20)), "the writer catches up");
        h.flows(&now, &[record(first + 41)]).unwrap();
        assert_eq!(
            h.live.as_ref().unwrap().dropped,
            0,
            "counted, reported, reset"
        );
        // What was taken is stored, and the minutes after; the blocked write too, unless it
        // waited past its busy timeout (a very slow machine), which is reported once.
        let problems = h.flush(false).err().unwrap_or_default();
        let timed_out = problems.contains("database is locked");
        assert!(problems.is_empty() || timed_out, "{problems}");
        drop(h);
        let conn = store::open_for_reading(&s.path).unwrap();
        let stored: i64 = conn
            .query_row("SELECT count(*) FROM collector_minutes", [], |r| r.get(0))
            .unwrap();
        // Every minute handed over was either taken or dropped; first + 39 (rolled over by
        // first + 41) and first + 41 itself (written when history stops) come after.
        assert_eq!(stored as u64, 40 - dropped + 2 - timed_out as u64);
    }
}
