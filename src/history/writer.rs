//! The writer thread: the only code that writes the history file. It takes jobs from a
//! bounded queue — a finished minute, the top conversations of five minutes, an incident,
//! the exporters' figures — and writes each in one transaction, so the counting task never
//! waits on the disk. Between jobs, once at start and then daily, it prunes by age and size,
//! a few hours of data per transaction.
//!
//! Rows are added to what is there (`ON CONFLICT … DO UPDATE SET bytes = bytes + …`): a minute
//! written in two parts (a restart, new settings) adds up instead of overwriting.

mod waiting;

use super::minute::MinuteRows;
use super::store::rate_parts;
use super::unix;
use crate::alerts::{Direction, Incident, Phase};
use crate::health::ExporterHealth;
use crate::names::Known;
use crate::sink::gone::Presence;
use crate::summary::Summary;
use crate::words::protocols::{ethertype_name, l4_proto_name};
use rusqlite::{Connection, params};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Jobs queued at most; a full queue means the disk is behind.
pub const QUEUE: usize = 16;
/// Pruning deletes this much of the oldest data per transaction.
const PRUNE_BATCH_SECS: i64 = 6 * 3600;
/// How often pruning runs once it has nothing left to do.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// What the writer is asked to store.
pub enum Job {
    Minute(MinuteRows),
    /// The top conversations of one period (the five-minute summary).
    Conversations(Arc<Summary>),
    Incident(Arc<Incident>),
    Exporters(Vec<ExporterHealth>),
    /// Names learned since the last (address, what is known).
    Names(Vec<(std::net::IpAddr, Known)>),
    /// Answered once everything queued before it is written (tests, and `sync`).
    Sync(mpsc::Sender<()>),
    /// Copy what can be read of the damaged store set aside at this path.
    Salvage(PathBuf),
}

/// How much history to keep.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub keep_days: u32,
    pub max_bytes: u64,
}

pub struct Writer {
    tx: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    problems: Receiver<String>,
}

impl Writer {
    /// The writer of `conn`, the store at `path` (opened again if it is deleted).
    pub fn spawn(
        conn: Connection,
        path: Option<PathBuf>,
        retention: Retention,
    ) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let (ptx, problems) = mpsc::channel();
        let store = path.map(|p| (Presence::new(&p), p));
        let thread = std::thread::Builder::new()
            .name("nf-svc-history".into())
            .spawn(move || run(conn, store, rx, ptx, retention))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            problems,
        })
    }

    /// Queue a job without waiting; `Err` gives it back when the queue is full.
    pub fn try_send(&self, job: Job) -> Result<(), Job> {
        match &self.tx {
            Some(tx) => tx.try_send(job).map_err(|e| match e {
                TrySendError::Full(j) | TrySendError::Disconnected(j) => j,
            }),
            None => Err(job),
        }
    }

    /// Queue a job, waiting up to `timeout` for room (never on the counting path).
    pub fn send_within(&self, mut job: Job, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            match self.try_send(job) {
                Ok(()) => return true,
                Err(j) if Instant::now() < end && self.tx.is_some() => {
                    job = j;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
    }

    /// Wait until everything queued so far is written (at most `timeout`).
    pub fn sync(&self, timeout: Duration) -> bool {
        let (tx, rx) = mpsc::channel();
        self.send_within(Job::Sync(tx), timeout) && rx.recv_timeout(timeout).is_ok()
    }

    /// Problems the writer ran into since the last call.
    pub fn problems(&self) -> Vec<String> {
        self.problems.try_iter().collect()
    }

    /// Write what is queued, then stop.
    pub fn stop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Copy the readable rows of the damaged store at `aside` in, and say how it went.
fn salvage(conn: &Connection, aside: &std::path::Path) {
    match super::salvage::salvage(conn, aside) {
        Ok(s) => log::warn!(
            "history: {} row(s) recovered from the damaged {}{}; that file stays for you to delete",
            s.rows,
            aside.display(),
            if s.damaged_tables > 0 {
                format!(
                    " (the rows behind bad pages in {} table(s) could not be read)",
                    s.damaged_tables
                )
            } else {
                String::new()
            }
        ),
        Err(e) => log::warn!("history: nothing recovered: {e}"),
    }
}

/// How often jobs the disk refused are tried again.
const RETRY_EVERY: Duration = Duration::from_secs(10);

/// When the store's file is gone (the log folder deleted or replaced), a new store is opened
/// in its place and that is said; what the old file held is gone with it.
fn reopen_if_gone(conn: &mut Connection, store: &mut Option<(Presence, PathBuf)>) {
    let Some((presence, path)) = store else {
        return;
    };
    if !presence.gone() {
        return;
    }
    let what = format!("the history {}", path.display());
    match super::store::open_for_writing(path) {
        Ok(o) => {
            *conn = o.conn;
            log::warn!("{}", crate::sink::gone::line(&what));
        }
        Err(e) => log::error!("{what} is gone and cannot be made again: {e}"),
    }
}

fn run(
    mut conn: Connection,
    mut store: Option<(Presence, PathBuf)>,
    rx: Receiver<Job>,
    problems: mpsc::Sender<String>,
    keep: Retention,
) {
    let mut next_prune = Instant::now();
    let mut waiting = waiting::Waiting::default();
    // A failing write is reported once, and its recovery once.
    let mut failing = false;
    let mut report = |r: Result<(), String>| match r {
        Ok(()) if failing => {
            failing = false;
            log::info!("history: writing works again; what waited in memory is written");
        }
        Ok(()) => {}
        Err(e) if !failing => {
            failing = true;
            let _ = problems.send(format!("history: {e}"));
        }
        Err(_) => {}
    };
    loop {
        // Awake at least every few seconds to see that the store is still there.
        let wake = match waiting.is_empty() {
            true => next_prune,
            false => next_prune.min(Instant::now() + RETRY_EVERY),
        }
        .min(Instant::now() + crate::sink::gone::EVERY);
        let next = rx.recv_timeout(wake.saturating_duration_since(Instant::now()));
        reopen_if_gone(&mut conn, &mut store);
        match next {
            Ok(Job::Sync(reply)) => {
                let _ = reply.send(());
            }
            Ok(Job::Salvage(aside)) => salvage(&conn, &aside),
            Ok(job) => report(waiting.write(&mut conn, Some(job))),
            Err(RecvTimeoutError::Timeout) if !waiting.is_empty() => {
                report(waiting.write(&mut conn, None));
            }
            Err(RecvTimeoutError::Timeout) if Instant::now() < next_prune => {}
            Err(RecvTimeoutError::Timeout) => {
                let step = prune_step(&conn, unix(SystemTime::now()), keep);
                next_prune = Instant::now()
                    + match &step {
                        Ok(true) => Duration::from_millis(200),
                        Ok(false) => PRUNE_EVERY,
                        Err(_) => Duration::from_secs(3600),
                    };
                report(step.map(|_| ()).map_err(|e| format!("cannot prune: {e}")));
            }
            Err(RecvTimeoutError::Disconnected) => {
                if !waiting.is_empty() && waiting.write(&mut conn, None).is_err() {
                    waiting.give_up();
                }
                return;
            }
        }
    }
}

/// Write one job in one transaction (all of it, or nothing).
pub fn write(conn: &mut Connection, job: &Job) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    match job {
        Job::Minute(m) => write_minute(&tx, m)?,
        Job::Conversations(r) => write_conversations(&tx, r)?,
        Job::Incident(i) => write_incident(&tx, i)?,
        Job::Exporters(e) => write_exporters(&tx, e)?,
        Job::Names(n) => write_names(&tx, n)?,
        Job::Sync(reply) => {
            let _ = reply.send(());
        }
        Job::Salvage(_) => {}
    }
    tx.commit()
}

fn host_text(h: Option<std::net::IpAddr>) -> String {
    h.map(|h| h.to_string()).unwrap_or_else(|| "*".into())
}

fn write_minute(tx: &rusqlite::Transaction, m: &MinuteRows) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO collector_minutes (minute) VALUES (?1)",
        [m.start],
    )?;
    let mut s = tx.prepare_cached(
        "INSERT INTO sensor_minutes (minute, sensor, bytes, packets, flows, sampling_rate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (minute, sensor) DO UPDATE SET bytes = bytes + excluded.bytes,
           packets = packets + excluded.packets, flows = flows + excluded.flows,
           sampling_rate = excluded.sampling_rate",
    )?;
    for (sensor, c) in &m.sensors {
        s.execute(params![
            m.start,
            sensor.to_string(),
            c.bytes as i64,
            c.packets as i64,
            c.flows as i64,
            c.sampling_rate as i64
        ])?;
    }
    let mut h = tx.prepare_cached(
        "INSERT INTO host_minutes (host, minute, sensor, sent_bytes, sent_packets,
           received_bytes, received_packets, flows)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (host, minute, sensor) DO UPDATE SET
           sent_bytes = sent_bytes + excluded.sent_bytes,
           sent_packets = sent_packets + excluded.sent_packets,
           received_bytes = received_bytes + excluded.received_bytes,
           received_packets = received_packets + excluded.received_packets,
           flows = flows + excluded.flows",
    )?;
    for (sensor, host, c) in &m.hosts {
        h.execute(params![
            host_text(*host),
            m.start,
            sensor.to_string(),
            c.sent_bytes as i64,
            c.sent_packets as i64,
            c.received_bytes as i64,
            c.received_packets as i64,
            c.flows as i64
        ])?;
    }
    Ok(())
}

fn write_conversations(tx: &rusqlite::Transaction, r: &Summary) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO conversations (period_start, period_end, sensor, l3, l4, src, dst, port,
           port_role, bytes, packets)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (period_start, sensor, l3, l4, src, dst, port, port_role) DO UPDATE SET
           period_end = max(period_end, excluded.period_end),
           bytes = bytes + excluded.bytes, packets = packets + excluded.packets",
    )?;
    for e in &r.exporters {
        let sensor = e.exporter.addr.to_string();
        for row in &e.rows {
            st.execute(params![
                r.start.timestamp(),
                r.end.timestamp(),
                sensor,
                ethertype_name(row.etype),
                l4_proto_name(row.proto),
                row.src.to_string(),
                row.dst.to_string(),
                row.port,
                if row.reply { "SrcPort" } else { "DstPort" },
                row.bytes as i64,
                row.packets as i64
            ])?;
        }
    }
    Ok(())
}

fn write_incident(tx: &rusqlite::Transaction, i: &Incident) -> rusqlite::Result<()> {
    let (unit, peak) = rate_parts(i.peak);
    let end = match i.phase {
        Phase::Ended { end } => Some(unix(end)),
        Phase::Started => None,
    };
    let direction = match i.direction {
        Direction::From => "sent",
        Direction::To => "received",
        Direction::Sensor => "sensor total",
    };
    tx.execute(
        "INSERT INTO incidents (rule, direction, sensor, host, label, start, end, unit, peak,
           usual, limit_value, total_bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (rule, direction, sensor, host, start) DO UPDATE SET
           end = excluded.end, peak = max(peak, excluded.peak),
           total_bytes = excluded.total_bytes, label = excluded.label",
        params![
            i.rule.name(),
            direction,
            i.sensor.to_string(),
            i.host.to_string(),
            i.label,
            unix(i.start),
            end,
            unit,
            peak,
            i.usual.map(|u| rate_parts(u).1),
            rate_parts(i.limit).1,
            i.bytes as i64
        ],
    )?;
    Ok(())
}

fn write_exporters(tx: &rusqlite::Transaction, all: &[ExporterHealth]) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO exporters (sensor, protocol, first_seen, last_seen, sampling_rate,
           datagrams, records, sequence_lost, decode_errors)
         VALUES (?1, ?2, ?3, ?4,
           (SELECT sampling_rate FROM sensor_minutes WHERE sensor = ?1
            ORDER BY minute DESC LIMIT 1), ?5, ?6, ?7, ?8)
         ON CONFLICT (sensor) DO UPDATE SET protocol = excluded.protocol,
           first_seen = min(first_seen, excluded.first_seen), last_seen = excluded.last_seen,
           sampling_rate = coalesce(excluded.sampling_rate, sampling_rate),
           datagrams = excluded.datagrams, records = excluded.records,
           sequence_lost = excluded.sequence_lost, decode_errors = excluded.decode_errors",
    )?;
    for e in all {
        st.execute(params![
            e.addr.to_string(),
            e.kind.map(|k| k.as_str()),
            unix(e.first_seen),
            unix(e.last_seen),
            e.datagrams as i64,
            e.records as i64,
            e.sequence_lost as i64,
            e.decode_errors() as i64
        ])?;
    }
    Ok(())
}

fn write_names(
    tx: &rusqlite::Transaction,
    all: &[(std::net::IpAddr, Known)],
) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO names (address, name, source, mac, vendor, first_seen, last_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (address) DO UPDATE SET name = coalesce(excluded.name, name),
           source = coalesce(excluded.source, source), mac = coalesce(excluded.mac, mac),
           vendor = coalesce(excluded.vendor, vendor), last_seen = excluded.last_seen",
    )?;
    let now = unix(SystemTime::now());
    for (addr, k) in all {
        st.execute(params![
            addr.to_string(),
            k.name.as_ref().map(|(n, _)| n.as_str()),
            k.name.as_ref().map(|(_, s)| s.as_str()),
            k.mac.map(crate::words::units::mac),
            k.vendor.as_deref(),
            now
        ])?;
    }
    Ok(())
}

/// Bytes the data takes in the file (free pages not counted).
pub fn used_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok(((pages - free).max(0) * size) as u64)
}

/// Delete one batch of what is too old (`KeepDays`) or too much (`MaxSizeMB`, oldest first),
/// at `now` (Unix seconds). Returns whether there may be more to delete.
pub fn prune_step(conn: &Connection, now: i64, keep: Retention) -> rusqlite::Result<bool> {
    let oldest: Option<i64> = conn.query_row(
        "SELECT min(m) FROM (SELECT min(minute) AS m FROM collector_minutes
           UNION ALL SELECT min(minute) FROM sensor_minutes
           UNION ALL SELECT min(minute) FROM host_minutes
           UNION ALL SELECT min(period_start) FROM conversations)",
        [],
        |r| r.get(0),
    )?;
    let Some(oldest) = oldest else {
        return Ok(false);
    };
    let cutoff = now - keep.keep_days as i64 * 86400;
    let before = if oldest < cutoff {
        cutoff.min(oldest + PRUNE_BATCH_SECS)
    } else if used_bytes(conn)? > keep.max_bytes {
        // Never the last hour: that is what is being collected.
        (oldest + PRUNE_BATCH_SECS).min(now - 3600)
    } else {
        return Ok(false);
    };
    if before <= oldest {
        return Ok(false);
    }
    conn.execute_batch("BEGIN")?;
    let deleted = (|| -> rusqlite::Result<()> {
        conn.execute("DELETE FROM collector_minutes WHERE minute < ?1", [before])?;
        conn.execute("DELETE FROM sensor_minutes WHERE minute < ?1", [before])?;
        conn.execute("DELETE FROM host_minutes WHERE minute < ?1", [before])?;
        conn.execute(
            "DELETE FROM conversations WHERE period_start < ?1",
            [before],
        )?;
        conn.execute(
            "DELETE FROM incidents WHERE start < ?1 AND end IS NOT NULL",
            [cutoff],
        )?;
        Ok(())
    })();
    match deleted {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    // Give the freed pages back to the file system (one page per step of the pragma).
    let mut vacuum = conn.prepare("PRAGMA incremental_vacuum")?;
    let mut steps = vacuum.query([])?;
    while steps.next()?.is_some() {}
    Ok(true)
}

#[cfg(test)]
pub(crate) mod tests;
