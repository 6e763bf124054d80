//! Stage two of the pipeline, and its driver: batches of flow records in; dump lines,
//! summaries, health and events out.
//!
//! Data path: listeners → (datagram queue) → [`super::decode_stage`] → (batch queue) → here.
//! This task owns the counting state (summaries, health, logs) and the listeners, and answers
//! the handle's commands, so nothing on the hot path is locked. It wakes for a batch, a
//! command, the end of a summary period, or a housekeeping tick every few seconds; with no
//! traffic it sleeps.

use super::decode_stage::{Batch, Control, DecodeStage, Fate, SharedStats};
use super::{Command, Event, StartError, Status};
use crate::alerts::{self, Alert, AlertEngine, AlertKind};
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

/// Datagrams queued between the listeners and the decode stage.
const QUEUE: usize = 8192;
/// Batches queued between the decode stage and this one.
const BATCH_QUEUE: usize = 64;
/// Housekeeping: error summaries, silent exporters, flushing the dump log.
const TICK: Duration = Duration::from_secs(2);
/// Decode-error summaries per exporter at most this often.
const ERROR_PERIOD: Duration = Duration::from_secs(60);

pub(super) struct Pipeline {
    settings: Settings,
    listeners: Option<Listeners>,
    /// Cloned into each listener; dropped at shutdown so the decode stage drains and ends.
    tx: Option<mpsc::Sender<Datagram>>,
    batches: mpsc::Receiver<Batch>,
    decode_control: mpsc::UnboundedSender<Control>,
    template_stats: SharedStats,
    events: broadcast::Sender<Event>,
    paused: Arc<AtomicBool>,
    summaries: Summaries,
    alerts: AlertEngine,
    health: Health,
    errors: ErrorLimiter,
    dump_log: Option<DataLog>,
    summary_log: Option<DataLog>,
    dump_buf: String,
    latest: BTreeMap<Duration, (Arc<SummaryReport>, DateTime<Local>)>,
    last_summary: Option<DateTime<Local>>,
    refused_logged: HashSet<IpAddr>,
}

fn open_logs(s: &Settings) -> Result<(Option<DataLog>, Option<DataLog>), String> {
    let stem = crate::settings::exe_stem();
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
    /// Open the logs, start the listeners and the decode stage (on the current runtime).
    pub(super) fn new(
        settings: Settings,
        bound: Vec<Bound>,
        events: broadcast::Sender<Event>,
        paused: Arc<AtomicBool>,
    ) -> Result<Self, StartError> {
        let (dump_log, summary_log) = open_logs(&settings).map_err(StartError::Logs)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let (batch_tx, batches) = mpsc::channel(BATCH_QUEUE);
        let (decode_control, control) = mpsc::unbounded_channel();
        let template_stats = SharedStats::default();
        warn_small_buffers(&settings, &bound);
        let listeners = Listeners::spawn(bound, tx.clone()).map_err(StartError::Runtime)?;
        for a in &listeners.addrs {
            log::info!("listening on UDP {a}");
        }
        tokio::spawn(
            DecodeStage {
                rx,
                out: batch_tx,
                control,
                paused: paused.clone(),
                allowed: settings.allowed_exporters.clone(),
                stats: template_stats.clone(),
            }
            .run(),
        );
        let now = Local::now();
        Ok(Pipeline {
            summaries: Summaries::new(
                &settings.intervals,
                settings.top_count,
                tracking(&settings),
                now,
            ),
            alerts: AlertEngine::new(settings.alerts.clone()),
            settings,
            listeners: Some(listeners),
            tx: Some(tx),
            batches,
            decode_control,
            template_stats,
            events,
            paused,
            health: Health::default(),
            errors: ErrorLimiter::new(ERROR_PERIOD),
            dump_log,
            summary_log,
            dump_buf: String::with_capacity(256 * 1024),
            latest: BTreeMap::new(),
            last_summary: None,
            refused_logged: HashSet::new(),
        })
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut next_tick = tokio::time::Instant::now() + TICK;
        loop {
            let until_due = self
                .summaries
                .next_due()
                .map(|d| (d - Local::now()).to_std().unwrap_or(Duration::ZERO))
                .unwrap_or(TICK);
            let until_alerts = self
                .alerts
                .next_tick()
                .map(|t| {
                    t.duration_since(SystemTime::now())
                        .unwrap_or(Duration::ZERO)
                })
                .unwrap_or(TICK);
            let wake = next_tick.min(tokio::time::Instant::now() + until_due.min(until_alerts));
            tokio::select! {
                biased;
                cmd = commands.recv() => match cmd {
                    Some(Command::Status(reply)) => { let _ = reply.send(self.status()); }
                    Some(Command::Apply(s, reply)) => { let _ = reply.send(self.apply(*s).await); }
                    Some(Command::Shutdown(reply)) => {
                        self.shutdown().await;
                        let _ = reply.send(());
                        return;
                    }
                    None => {
                        self.shutdown().await;
                        return;
                    }
                },
                Some(batch) = self.batches.recv() => self.process(batch),
                _ = tokio::time::sleep_until(wake) => {
                    self.write_due_summaries(Local::now());
                    self.evaluate_alerts();
                    if tokio::time::Instant::now() >= next_tick {
                        self.housekeeping();
                        next_tick = tokio::time::Instant::now() + TICK;
                    }
                }
            }
        }
    }

    /// Count a batch and write its dump lines in one go.
    fn process(&mut self, batch: Batch) {
        // Periods may have ended while the batch queued: close them first.
        if self.summaries.next_due().is_some_and(|d| d <= Local::now()) {
            self.write_due_summaries(Local::now());
        }
        let log_time = Local::now();
        let mut records = batch.records.as_slice();
        for item in &batch.items {
            let ip = item.ip;
            let outcome = match item.fate {
                Fate::Refused => {
                    self.health.refused_datagrams += 1;
                    if self.refused_logged.len() < 1024 && self.refused_logged.insert(ip) {
                        log::warn!(
                            "exporter {ip}: datagrams refused, it is not in AllowedExporters ({})",
                            self.settings.ini_path.display()
                        );
                    }
                    continue;
                }
                Fate::Paused => {
                    self.health.record_paused(ip, item.received);
                    continue;
                }
                Fate::Decoded(o) => o,
            };
            let (mine, rest) = records.split_at(outcome.records.min(records.len()));
            records = rest;
            let flow_bytes = self.count(mine, &log_time);
            if self.alerts.enabled() {
                for r in mine {
                    self.alerts.add(r, item.received);
                }
            }
            let seen = self.health.record(ip, item.received, &outcome, flow_bytes);
            if seen.first_seen {
                let kind = outcome.kind.map(|k| k.as_str()).unwrap_or("unknown format");
                log::info!(
                    "exporter {ip} first seen ({kind}, from UDP port {})",
                    item.port
                );
                let _ = self.events.send(Event::ExporterSeen {
                    addr: ip,
                    kind: kind.to_string(),
                });
            }
            if seen.returned {
                log::info!("exporter {ip} sends again");
                let _ = self.events.send(Event::ExporterBack { addr: ip });
                let back = alerts::sensor_back(ip, &self.settings.alerts);
                self.raise(back);
            }
            if let Some(err) = outcome.error
                && let Some(line) = self.errors.note(ip, err, item.len)
            {
                log::warn!("{line}");
            }
        }
        self.flush_dump(false);
    }

    /// Add one datagram's records to the summaries and the dump buffer; returns their bytes.
    #[inline]
    fn count(&mut self, records: &[FlowRecord], log_time: &DateTime<Local>) -> u64 {
        let mut bytes = 0u64;
        for r in records {
            self.summaries.add(r);
            bytes = bytes.saturating_add(r.bytes);
        }
        if self.dump_log.is_some() && !records.is_empty() {
            // Every line of a datagram carries the same time, as in the old log.
            let mut stamp = String::with_capacity(24);
            push_log_time(&mut stamp, log_time);
            for r in records {
                self.dump_buf.push_str(&stamp);
                self.dump_buf.push(' ');
                dump::push_record(&mut self.dump_buf, r);
                self.dump_buf.push_str(LINE_END);
            }
        }
        bytes
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
        let silent_after = self.settings.alerts.silent_after;
        if !silent_after.is_zero() {
            for (addr, last_seen) in self.health.newly_silent(now, silent_after) {
                let _ = self.events.send(Event::ExporterSilent { addr, last_seen });
                let alert = alerts::sensor_silent(addr, last_seen, &self.settings.alerts);
                self.raise(alert);
            }
        }
        self.flush_dump(true);
    }

    /// Evaluate the alert rules when their tick is due.
    fn evaluate_alerts(&mut self) {
        let now = SystemTime::now();
        if self.alerts.next_tick().is_some_and(|t| t <= now) {
            for a in self.alerts.tick(now) {
                self.raise(a);
            }
        }
    }

    /// Record an alert: a line in the summary log and the service log, and an event.
    fn raise(&mut self, a: Alert) {
        let line = a.log_line();
        match a.kind {
            AlertKind::Started | AlertKind::SensorSilent { .. } => log::warn!("{line}"),
            _ => log::info!("{line}"),
        }
        if let Some(log) = self.summary_log.as_mut() {
            let mut text = String::with_capacity(line.len() + 32);
            push_log_time(&mut text, &Local::now());
            text.push(' ');
            text.push_str(&line);
            text.push_str(LINE_END);
            text.push_str(LINE_END);
            if let Err(e) = log.write(&text) {
                log::error!("cannot write the summary log {}: {e}", log.path().display());
            }
        }
        let _ = self.events.send(Event::Alert(Arc::new(a)));
    }

    fn status(&mut self) -> Status {
        if let Ok(stats) = self.template_stats.lock() {
            self.health.set_template_stats(stats.clone());
        }
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
            active_alerts: self.alerts.active(),
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
            self.rebind(&new).await?;
        }
        if let Some((dump, sum)) = logs {
            self.flush_dump(true);
            self.dump_log = dump;
            self.summary_log = sum;
        }
        if new.allowed_exporters != self.settings.allowed_exporters {
            let _ = self
                .decode_control
                .send(Control::SetAllowed(new.allowed_exporters.clone()));
            self.refused_logged.clear();
        }
        self.summaries
            .reconfigure(&new.intervals, new.top_count, tracking(&new), Local::now());
        self.latest.retain(|iv, _| new.intervals.contains(iv));
        self.alerts.reconfigure(new.alerts.clone());
        self.settings = new;
        for line in self.settings.describe() {
            log::info!("settings applied: {line}");
        }
        let _ = self.events.send(Event::SettingsApplied);
        Ok(())
    }

    /// Listen on the new addresses; on failure, go back to the running ones.
    async fn rebind(&mut self, new: &Settings) -> Result<(), String> {
        let Some(tx) = self.tx.clone() else {
            return Err("the collector is stopping".into());
        };
        // Close the old sockets first: the new set usually reuses some of their ports.
        if let Some(old) = self.listeners.take() {
            old.stop().await;
        }
        match receive::bind_all(&new.listen, &new.ports, new.receive_buffer_bytes) {
            Ok(b) => {
                for (addr, why) in &b.skipped {
                    log::warn!("not listening on {addr}: {why}");
                }
                warn_small_buffers(new, &b.bound);
                let l = Listeners::spawn(b.bound, tx).map_err(|e| e.to_string())?;
                for a in &l.addrs {
                    log::info!("listening on UDP {a}");
                }
                self.listeners = Some(l);
                Ok(())
            }
            Err(e) => {
                let s = &self.settings;
                match receive::bind_all(&s.listen, &s.ports, s.receive_buffer_bytes) {
                    Ok(b) => self.listeners = Listeners::spawn(b.bound, tx).ok(),
                    Err(again) => log::error!("cannot listen again on the previous ports: {again}"),
                }
                Err(e.to_string())
            }
        }
    }

    /// Stop listening, count what is still queued, write the partial summaries, flush.
    async fn shutdown(&mut self) {
        if let Some(l) = self.listeners.take() {
            l.stop().await;
        }
        // With every datagram sender gone, the decode stage drains its queue and ends.
        self.tx = None;
        let mut final_stats = None;
        while let Some(batch) = self.batches.recv().await {
            if batch.final_stats.is_some() {
                final_stats = batch.final_stats;
                break;
            }
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
        let lost: u64 = final_stats
            .unwrap_or_default()
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

fn warn_small_buffers(s: &Settings, bound: &[Bound]) {
    for b in bound {
        let asked = s.receive_buffer_bytes;
        if b.recv_buffer < asked / 2 {
            log::warn!(
                "UDP {}: asked for a {} KB receive buffer, the system granted {} KB; bursts may be dropped (Linux: raise net.core.rmem_max)",
                b.addr,
                asked / 1024,
                b.recv_buffer / 1024
            );
        }
    }
}
