//! The pipeline task: datagrams in; dump lines, summaries, health and events out.
//!
//! One task owns all mutable state (decoder, summaries, health, logs), so nothing is locked on
//! the hot path. It wakes for a batch of datagrams, a command from the handle, the end of a
//! summary period, or a housekeeping tick every few seconds; with no traffic it sleeps.

use super::{Command, DEFAULT_SILENT_AFTER, Event, StartError, Status};
use crate::decode::{Decoder, canonical_ip};
use crate::dump;
use crate::flow::text::{LINE_END, push_log_time};
use crate::flow::{Addr, FlowRecord};
use crate::health::{ErrorLimiter, Health};
use crate::output::logs::DataLog;
use crate::output::{self, logs};
use crate::receive::{self, Bound, Datagram, Listeners};
use crate::settings::Settings;
use crate::summary::{Summaries, SummaryReport};
use chrono::{DateTime, Local};
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};
use tokio::sync::{broadcast, mpsc};

/// Datagrams queued between the listeners and the pipeline.
const QUEUE: usize = 8192;
/// Datagrams taken per wake-up.
const BATCH: usize = 256;
/// Housekeeping: error summaries, silent exporters, flushing the dump log.
const TICK: Duration = Duration::from_secs(2);
/// Decode-error summaries per exporter at most this often.
const ERROR_PERIOD: Duration = Duration::from_secs(60);
/// Exporters idle this long lose their templates.
const PRUNE_IDLE: Duration = Duration::from_secs(24 * 3600);

pub(super) struct Pipeline {
    settings: Settings,
    listeners: Option<Listeners>,
    tx: mpsc::Sender<Datagram>,
    rx: mpsc::Receiver<Datagram>,
    events: broadcast::Sender<Event>,
    paused: Arc<AtomicBool>,
    decoder: Decoder,
    summaries: Summaries,
    health: Health,
    errors: ErrorLimiter,
    dump_log: Option<DataLog>,
    summary_log: Option<DataLog>,
    records: Vec<FlowRecord>,
    dump_buf: String,
    latest: BTreeMap<Duration, (Arc<SummaryReport>, DateTime<Local>)>,
    last_summary: Option<DateTime<Local>>,
    refused_logged: HashSet<IpAddr>,
    last_prune: SystemTime,
}

fn open_logs(s: &Settings) -> Result<(Option<DataLog>, Option<DataLog>), String> {
    let stem = crate::settings::locate::exe_stem();
    let [_, netflow, summary] = logs::log_names(&stem);
    let base = |n: &str| n.trim_end_matches(".log").to_string();
    let dump = s
        .netflow_log
        .then(|| DataLog::open(s, &base(&netflow), true))
        .transpose()?;
    let sum = s
        .summary_log
        .then(|| DataLog::open(s, &base(&summary), false))
        .transpose()?;
    Ok((dump, sum))
}

fn tracking(s: &Settings) -> Vec<Addr> {
    s.tracking_clients.iter().map(|a| Addr::from(*a)).collect()
}

impl Pipeline {
    pub(super) fn new(
        settings: Settings,
        bound: Vec<Bound>,
        events: broadcast::Sender<Event>,
        paused: Arc<AtomicBool>,
    ) -> Result<Self, StartError> {
        let (dump_log, summary_log) = open_logs(&settings).map_err(StartError::Logs)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        for b in &bound {
            let asked = settings.receive_buffer_bytes;
            if b.recv_buffer < asked / 2 {
                log::warn!(
                    "UDP {}: asked for a {} KB receive buffer, the system granted {} KB; bursts may be dropped (Linux: raise net.core.rmem_max)",
                    b.addr,
                    asked / 1024,
                    b.recv_buffer / 1024
                );
            }
        }
        let listeners = Listeners::spawn(bound, tx.clone()).map_err(StartError::Runtime)?;
        for a in &listeners.addrs {
            log::info!("listening on UDP {a}");
        }
        let now = Local::now();
        Ok(Pipeline {
            summaries: Summaries::new(
                &settings.intervals,
                settings.top_count,
                tracking(&settings),
                now,
            ),
            settings,
            listeners: Some(listeners),
            tx,
            rx,
            events,
            paused,
            decoder: Decoder::new(),
            health: Health::default(),
            errors: ErrorLimiter::new(ERROR_PERIOD),
            dump_log,
            summary_log,
            records: Vec::with_capacity(1024),
            dump_buf: String::with_capacity(256 * 1024),
            latest: BTreeMap::new(),
            last_summary: None,
            refused_logged: HashSet::new(),
            last_prune: SystemTime::now(),
        })
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut batch: Vec<Datagram> = Vec::with_capacity(BATCH);
        let mut next_tick = tokio::time::Instant::now() + TICK;
        loop {
            let due = self.summaries.next_due();
            let until_due = due
                .map(|d| (d - Local::now()).to_std().unwrap_or(Duration::ZERO))
                .unwrap_or(TICK);
            let wake = next_tick.min(tokio::time::Instant::now() + until_due);
            tokio::select! {
                biased;
                cmd = commands.recv() => match cmd {
                    Some(Command::Status(reply)) => { let _ = reply.send(self.status()); }
                    Some(Command::Apply(s, reply)) => { let _ = reply.send(self.apply(*s).await); }
                    Some(Command::Shutdown(reply)) => {
                        self.shutdown(&mut batch).await;
                        let _ = reply.send(());
                        return;
                    }
                    None => {
                        self.shutdown(&mut batch).await;
                        return;
                    }
                },
                n = self.rx.recv_many(&mut batch, BATCH) => {
                    if n > 0 {
                        self.process(&mut batch);
                    }
                }
                _ = tokio::time::sleep_until(wake) => {
                    self.write_due_summaries(Local::now());
                    if tokio::time::Instant::now() >= next_tick {
                        self.housekeeping();
                        next_tick = tokio::time::Instant::now() + TICK;
                    }
                }
            }
        }
    }

    /// Decode a batch, count it, and write its dump lines in one go.
    fn process(&mut self, batch: &mut Vec<Datagram>) {
        // Periods may have ended while datagrams queued: count these in the next period.
        if self.summaries.next_due().is_some_and(|d| d <= Local::now()) {
            self.write_due_summaries(Local::now());
        }
        let paused = self.paused.load(Ordering::Relaxed);
        let log_time = Local::now();
        for d in batch.drain(..) {
            let ip = canonical_ip(d.from.ip());
            if !self.settings.exporter_allowed(ip) {
                self.health.refused_datagrams += 1;
                if self.refused_logged.len() < 1024 && self.refused_logged.insert(ip) {
                    log::warn!(
                        "exporter {ip}: datagrams refused, it is not in AllowedExporters ({})",
                        self.settings.ini_path.display()
                    );
                }
                continue;
            }
            if paused {
                self.health.record_paused(ip, d.received);
                continue;
            }
            self.records.clear();
            let received_ms = d
                .received
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis() as u64;
            let outcome = self
                .decoder
                .decode(d.from, &d.data, received_ms, &mut self.records);
            let mut flow_bytes = 0u64;
            for r in &self.records {
                self.summaries.add(r);
                flow_bytes = flow_bytes.saturating_add(r.bytes);
            }
            if self.dump_log.is_some() && !self.records.is_empty() {
                for r in &self.records {
                    push_log_time(&mut self.dump_buf, &log_time);
                    self.dump_buf.push(' ');
                    dump::push_record(&mut self.dump_buf, r);
                    self.dump_buf.push_str(LINE_END);
                }
            }
            let seen = self.health.record(ip, d.received, &outcome, flow_bytes);
            if seen.first_seen {
                let kind = outcome.kind.map(|k| k.as_str()).unwrap_or("unknown format");
                log::info!(
                    "exporter {ip} first seen ({kind}, from UDP port {})",
                    d.from.port()
                );
                let _ = self.events.send(Event::ExporterSeen {
                    addr: ip,
                    kind: kind.to_string(),
                });
            }
            if seen.returned {
                log::info!("exporter {ip} sends again");
                let _ = self.events.send(Event::ExporterBack { addr: ip });
            }
            if let Some(err) = outcome.error
                && let Some(line) = self.errors.note(ip, err, d.data.len())
            {
                log::warn!("{line}");
            }
        }
        self.flush_dump(false);
    }

    fn flush_dump(&mut self, to_disk: bool) {
        if let Some(log) = self.dump_log.as_mut() {
            if !self.dump_buf.is_empty() {
                if let Err(e) = log.write(&self.dump_buf) {
                    log::error!(
                        "cannot write the flow dump log {}: {e}",
                        log.path().display()
                    );
                }
                self.dump_buf.clear();
            }
            if to_disk {
                let _ = log.flush();
            }
        }
    }

    fn write_due_summaries(&mut self, now: DateTime<Local>) {
        let reports = self.summaries.due(now);
        self.write_reports(reports, now);
    }

    fn write_reports(&mut self, reports: Vec<SummaryReport>, now: DateTime<Local>) {
        if reports.is_empty() {
            return;
        }
        for r in reports {
            let text = r.to_text(&now);
            if let Some(log) = self.summary_log.as_mut()
                && let Err(e) = log.write(&text)
            {
                let msg = format!("cannot write the summary log {}: {e}", log.path().display());
                log::error!("{msg}");
                let _ = self.events.send(Event::Error(msg));
            }
            let r = Arc::new(r);
            self.latest.insert(r.interval, (r.clone(), now));
            let _ = self.events.send(Event::SummaryReady(r));
        }
        self.last_summary = Some(now);
        let latest: Vec<(SummaryReport, DateTime<Local>)> = self
            .latest
            .values()
            .map(|(r, t)| ((**r).clone(), *t))
            .collect();
        if let Err(e) = output::write_latest(&self.settings.log_dir, &latest) {
            log::error!(
                "cannot write {}: {e}",
                self.settings.log_dir.join(output::LATEST_SUMMARY).display()
            );
        }
    }

    fn housekeeping(&mut self) {
        let now = SystemTime::now();
        for line in self.errors.flush(now) {
            log::warn!("{line}");
        }
        for (addr, last_seen) in self.health.newly_silent(now, DEFAULT_SILENT_AFTER) {
            let ago = now.duration_since(last_seen).unwrap_or_default().as_secs() / 60;
            log::warn!("exporter {addr}: nothing received for {ago} minutes");
            let _ = self.events.send(Event::ExporterSilent { addr, last_seen });
        }
        if now.duration_since(self.last_prune).unwrap_or_default() > Duration::from_secs(3600) {
            self.last_prune = now;
            let n = self.decoder.prune(PRUNE_IDLE);
            if n > 0 {
                log::info!("forgot the templates of {n} exporter(s) idle for a day");
            }
        }
        self.flush_dump(true);
    }

    fn status(&mut self) -> Status {
        self.health
            .set_template_stats(self.decoder.template_stats());
        let now = SystemTime::now();
        Status {
            listening: self
                .listeners
                .as_ref()
                .map(|l| l.addrs.clone())
                .unwrap_or_default(),
            paused: self.paused.load(Ordering::Relaxed),
            exporters: self.health.snapshot(),
            flows_per_minute: self.health.flows_per_minute(now),
            refused_datagrams: self.health.refused_datagrams,
            last_summary: self.last_summary,
            latest: self.latest.values().map(|(r, _)| r.clone()).collect(),
            settings: self.settings.clone(),
        }
    }

    async fn apply(&mut self, new: Settings) -> Result<(), String> {
        let rebind = new.ports != self.settings.ports
            || new.listen != self.settings.listen
            || new.receive_buffer_bytes != self.settings.receive_buffer_bytes;
        let relog = new.log_dir != self.settings.log_dir
            || new.netflow_log != self.settings.netflow_log
            || new.summary_log != self.settings.summary_log
            || new.keep_days != self.settings.keep_days
            || new.max_file_size_mb != self.settings.max_file_size_mb;
        // Prepare everything that can fail before changing anything.
        let logs = if relog { Some(open_logs(&new)?) } else { None };
        if rebind {
            // Close the old sockets first: the new set usually reuses some of their ports.
            if let Some(old) = self.listeners.take() {
                old.stop().await;
            }
            match receive::bind_all(&new.listen, &new.ports, new.receive_buffer_bytes) {
                Ok(b) => {
                    for (addr, why) in &b.skipped {
                        log::warn!("not listening on {addr}: {why}");
                    }
                    let l =
                        Listeners::spawn(b.bound, self.tx.clone()).map_err(|e| e.to_string())?;
                    for a in &l.addrs {
                        log::info!("listening on UDP {a}");
                    }
                    self.listeners = Some(l);
                }
                Err(e) => {
                    // Back to the running settings' sockets.
                    let old = receive::bind_all(
                        &self.settings.listen,
                        &self.settings.ports,
                        self.settings.receive_buffer_bytes,
                    );
                    if let Ok(b) = old {
                        self.listeners = Listeners::spawn(b.bound, self.tx.clone()).ok();
                    }
                    return Err(e.to_string());
                }
            }
        }
        if let Some((dump, sum)) = logs {
            self.flush_dump(true);
            self.dump_log = dump;
            self.summary_log = sum;
        }
        self.summaries
            .reconfigure(&new.intervals, new.top_count, tracking(&new), Local::now());
        self.latest.retain(|iv, _| new.intervals.contains(iv));
        self.settings = new;
        for line in self.settings.describe() {
            log::info!("settings applied: {line}");
        }
        let _ = self.events.send(Event::SettingsApplied);
        Ok(())
    }

    /// Stop listening, decode what is still queued, write the partial summaries, flush.
    async fn shutdown(&mut self, batch: &mut Vec<Datagram>) {
        if let Some(l) = self.listeners.take() {
            l.stop().await;
        }
        while let Ok(d) = self.rx.try_recv() {
            batch.push(d);
            if batch.len() >= BATCH {
                self.process(batch);
            }
        }
        if !batch.is_empty() {
            self.process(batch);
        }
        for line in self.errors.flush_now(SystemTime::now()) {
            log::warn!("{line}");
        }
        let now = Local::now();
        self.write_due_summaries(now);
        let partial = self.summaries.finish_all(now);
        self.write_reports(partial, now);
        self.flush_dump(true);
        if let Some(l) = self.summary_log.as_mut() {
            let _ = l.flush();
        }
        let lost: u64 = self
            .decoder
            .template_stats()
            .values()
            .map(|s| s.lost_sets + s.held_sets as u64)
            .sum();
        if lost > 0 {
            log::warn!(
                "{lost} data set(s) were never decoded because their template did not arrive in time"
            );
        }
    }
}
