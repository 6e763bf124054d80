//! Stage two of the pipeline, and its driver: batches of flow records in; summaries, alerts
//! and exporter health counted; everything handed to the outputs.
//!
//! Data path: sockets → [`super::decode_stage`] (reads and decodes) → (batch queue) → here
//! → [`crate::sink`]. This task owns the counting state (summaries, alerts, health) and the
//! outputs, tells the decode stage which sockets to read, and answers the handle's commands,
//! so nothing on the hot path is locked. It wakes for a batch, a command, the end of a summary
//! period, an alert evaluation, or a housekeeping tick every few seconds; with no traffic it
//! sleeps.

mod apply;
mod naming;

use super::decode_stage::{Batch, Control, DecodeStage, Fate, Room, SharedStats, Spares};
use super::{Command, StartError, Status};
use crate::alerts::{AlertEngine, Incident};
use crate::core::outputs;
use crate::flow::{Addr, FlowRecord};
use crate::forward::Forwarder;
use crate::health::{ErrorLimiter, ExporterEvent, Health};
use crate::history;
use crate::output::service_log::LIFECYCLE;
use crate::receive::{self, Bound, Sockets};
use crate::settings::Settings;
use crate::sink::{Event, Outputs, Written};
use crate::summary::{Summaries, Summary};
use chrono::{DateTime, Local};
use naming::Naming;
use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};
use tokio::sync::{broadcast, mpsc};

/// Batches queued between the decode stage and this one.
const BATCH_QUEUE: usize = 64;
/// Housekeeping: error summaries, silent exporters, flushing the outputs.
const TICK: Duration = Duration::from_secs(2);
/// Decode-error summaries per exporter at most this often.
const ERROR_PERIOD: Duration = Duration::from_secs(60);
/// Refused exporters named in the service log (each once).
const REFUSED_NAMED: usize = 1024;
/// Flows between the one whose memory is fetched ahead (its summary index lines, its alert
/// entries: [`crate::flow::IndexLines`]) and the one counted: enough for a trip to memory to
/// overlap the counting of those between.
const PREFETCH_AHEAD: usize = 4;
/// Exporter figures go to the outputs (the history) this often.
const HEALTH_REPORT: Duration = Duration::from_secs(60);

pub(super) struct Pipeline {
    settings: Settings,
    /// Names for the hosts of incidents and sensor events, and the name finder.
    naming: Naming,
    /// The addresses the decode stage reads (none while ports change).
    listening: Vec<SocketAddr>,
    batches: mpsc::Receiver<Batch>,
    /// Emptied batches go back to the decode stage through these; `batch_since_tick` says
    /// whether traffic came since the last housekeeping (none: the spares are freed).
    spares: Spares,
    batch_since_tick: bool,
    decode_control: mpsc::UnboundedSender<Control>,
    template_stats: SharedStats,
    events: broadcast::Sender<Event>,
    paused: Arc<AtomicBool>,
    summaries: Summaries,
    alerts: AlertEngine,
    health: Health,
    errors: ErrorLimiter,
    outputs: Outputs,
    /// The newest summary of each interval.
    latest: BTreeMap<Duration, Written>,
    last_summary: Option<DateTime<Local>>,
    refused_logged: HashSet<IpAddr>,
    next_health_report: SystemTime,
    /// The summary table's being full was said (again once it had room).
    table_full_said: bool,
}

fn tracking(s: &Settings) -> Vec<Addr> {
    s.summary
        .tracking_clients
        .iter()
        .map(|a| Addr::from(*a))
        .collect()
}

/// The intervals counted: the user's, and five minutes for the history's conversations.
fn counted_intervals(s: &Settings) -> Vec<Duration> {
    let mut v = s.summary.intervals.clone();
    if s.history.enabled && !v.contains(&history::CONVERSATION_PERIOD) {
        v.push(history::CONVERSATION_PERIOD);
    }
    v
}

impl Pipeline {
    /// Open the outputs, start the decode stage reading the sockets (on the current runtime).
    pub(super) fn new(
        settings: Settings,
        bound: Vec<Bound>,
        events: broadcast::Sender<Event>,
        paused: Arc<AtomicBool>,
    ) -> Result<Self, StartError> {
        let outputs = outputs::assemble(&settings, events.clone()).map_err(StartError::Logs)?;
        let (batch_tx, batches) = mpsc::channel(BATCH_QUEUE);
        let (decode_control, control) = mpsc::unbounded_channel();
        let template_stats = SharedStats::default();
        let spares = Spares::default();
        receive::warn_small_buffers(settings.receive.buffer_bytes, &bound);
        let sockets = Sockets::open(bound).map_err(StartError::Runtime)?;
        let listening = sockets.addrs().to_vec();
        for a in &listening {
            log::info!(target: LIFECYCLE, "{}", listening_line(*a, &settings));
        }
        let (forward, said) = Forwarder::start(&settings.forward.to, settings.forward.keep_source);
        for line in said {
            log::info!(target: LIFECYCLE, "{line}");
        }
        tokio::spawn(
            DecodeStage {
                forward,
                sockets,
                out: batch_tx,
                control,
                paused: paused.clone(),
                allowed: settings.receive.allowed_exporters.clone(),
                stats: template_stats.clone(),
                spares: spares.clone(),
                room: Room::default(),
                templates: settings
                    .history
                    .enabled
                    .then(|| settings.history.path.clone()),
            }
            .run(),
        );
        Ok(Pipeline {
            summaries: Summaries::new(
                &counted_intervals(&settings),
                settings.summary.top_count,
                tracking(&settings),
                Local::now(),
            ),
            alerts: {
                let mut a = AlertEngine::new(settings.alerts.clone());
                if settings.history.enabled && a.enabled() {
                    a.seed(&history::baselines(
                        &settings.history,
                        settings.alerts.baseline,
                    ));
                }
                a
            },
            naming: Naming::start(&settings),
            settings,
            listening,
            batches,
            spares,
            batch_since_tick: false,
            decode_control,
            template_stats,
            events,
            paused,
            health: Health::default(),
            errors: ErrorLimiter::new(ERROR_PERIOD),
            outputs,
            latest: BTreeMap::new(),
            last_summary: None,
            refused_logged: HashSet::new(),
            next_health_report: SystemTime::now() + HEALTH_REPORT,
            table_full_said: false,
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

    /// Count a batch and hand its records to the outputs.
    fn process(&mut self, batch: Batch) {
        // Periods may have ended while the batch queued: close them first.
        if self.summaries.next_due().is_some_and(|d| d <= Local::now()) {
            self.write_due_summaries(Local::now());
        }
        let logged = Local::now();
        for (item, records) in batch.datagrams() {
            let ip = item.ip;
            let outcome = match &item.fate {
                Fate::Refused => {
                    self.health.refused_datagrams += 1;
                    if self.refused_logged.len() < REFUSED_NAMED && self.refused_logged.insert(ip) {
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
            let flow_bytes = self.count(records, batch.after(item), item.received);
            if !records.is_empty() {
                self.outputs.flows(&logged, records);
            }
            let seen = self.health.record(ip, item.received, outcome, flow_bytes);
            if seen.first_seen {
                self.naming.want(ip);
                self.outputs.exporter(ExporterEvent::Seen {
                    addr: ip,
                    kind: outcome.kind,
                    port: item.port,
                });
            }
            if seen.returned {
                let label = self.naming.names.name(ip).map(str::to_string);
                self.outputs
                    .exporter(ExporterEvent::Back { addr: ip, label });
            }
            if seen.first_implausible {
                log::warn!(
                    "exporter {ip}: a record with impossible values (over 2^48 bytes or packets, or times that cannot be) — such records are left out of the totals or lose their times, and are counted in the exporter's figures"
                );
            }
            if let Some(err) = outcome.error
                && let Some(line) = self.errors.note(ip, err, item.len)
            {
                log::warn!("{line}");
            }
        }
        self.outputs.flush(false);
        self.batch_since_tick = true;
        self.spares.give(batch);
    }

    /// Add one datagram's records to the summaries and the alert counters; returns their bytes.
    /// `after` are the batch's records that follow them (to fetch ahead).
    #[inline]
    fn count(&mut self, records: &[FlowRecord], after: &[FlowRecord], received: SystemTime) -> u64 {
        let alerts = self.alerts.enabled();
        let mut bytes = 0u64;
        for (i, r) in records.iter().enumerate() {
            // What counting the flow a few places on (in the next datagram, near the end)
            // reads first, so it arrives while the flows between are counted.
            let j = i + PREFETCH_AHEAD;
            if let Some(ahead) = records.get(j).or_else(|| after.get(j - records.len())) {
                self.summaries.prefetch(ahead);
                if alerts {
                    self.alerts.prefetch(ahead);
                }
            }
            self.summaries.add(r);
            self.naming.note_macs(r);
            if alerts {
                self.alerts.add(r, received);
            }
            bytes = bytes.saturating_add(r.bytes);
        }
        bytes
    }

    fn write_due_summaries(&mut self, now: DateTime<Local>) {
        let rows = self.summaries.rows();
        let reports = self.summaries.due(now);
        let freed = self.summaries.take_freed();
        if freed > 0 {
            log::info!(
                "the full summary table made room: {freed} conversation(s) quiet for the last {} gave up their rows; what they counted is in \"other conversations\"",
                crate::words::units::duration(self.summaries.intervals()[0])
            );
        }
        let wrote = !reports.is_empty();
        self.write_reports(reports, now);
        if wrote || self.summaries.rows() < rows {
            // The reports' rows and texts are freed, and rows may have gone (the longest
            // interval ended, or a full table made room): give that memory back to the
            // system now, before the next period's flows fill the holes, so the report pages
            // made meanwhile do not add to it.
            crate::os::release_free_memory();
        }
    }

    fn write_reports(&mut self, reports: Vec<Summary>, now: DateTime<Local>) {
        if reports.is_empty() {
            return;
        }
        let mut new = Vec::new();
        for r in reports.into_iter().map(Arc::new) {
            self.naming.want_summary(&r);
            if r.interval == history::CONVERSATION_PERIOD {
                self.outputs.conversations(&r);
            }
            // The five-minute period counted for the history alone reaches no log.
            if self.settings.summary.intervals.contains(&r.interval) {
                new.push(Written {
                    summary: r,
                    at: now,
                });
            }
        }
        if new.is_empty() {
            return;
        }
        for w in &new {
            self.latest.insert(w.summary.interval, w.clone());
        }
        self.last_summary = Some(now);
        let latest: Vec<Written> = self.latest.values().cloned().collect();
        self.outputs.summaries(&new, &latest);
    }

    fn housekeeping(&mut self) {
        if !std::mem::take(&mut self.batch_since_tick) {
            self.spares.release();
        }
        let now = SystemTime::now();
        for line in self.errors.flush(now) {
            log::warn!("{line}");
        }
        let silent_after = self.settings.alerts.silent_after;
        if !silent_after.is_zero() {
            for (addr, last_seen) in self.health.newly_silent(now, silent_after) {
                let label = self.naming.names.name(addr).map(str::to_string);
                self.outputs.exporter(ExporterEvent::Silent {
                    addr,
                    label,
                    last_seen,
                });
            }
        }
        if let Some((flows, rows)) = self.summaries.take_full() {
            if !self.table_full_said {
                self.table_full_said = true;
                log::warn!(
                    "the summary table is full ({rows} conversations, all sensors together): {flows} flow(s) of new conversations counted as \"other conversations\" so far; the totals stay right, and each time the shortest interval ends the smaller conversations that were quiet in it give up their rows"
                );
            }
        } else if self.table_full_said && self.summaries.rows() < crate::summary::table::MAX_ROWS {
            self.table_full_said = false;
        }
        if self.next_health_report <= now {
            // At most once a minute, however many exporters a flood brings.
            if let Some(line) = self.health.take_evictions() {
                log::warn!("{line}");
            }
            let unchecked = self.alerts.take_unchecked();
            if unchecked > 0 {
                log::warn!(
                    "{unchecked} flow(s) in the last minute were not checked against the alert rules: {} hosts are tracked already; room returns as quiet hosts are forgotten",
                    AlertEngine::MAX_HOSTS,
                );
            }
            self.outputs.exporter_health(&self.health.snapshot());
            self.next_health_report = now + HEALTH_REPORT;
        }
        if let Some((all, changed)) = self.naming.pick_up() {
            self.outputs.names(&all, &changed);
        }
        self.outputs.flush(true);
    }

    /// An incident with its host's name ([`crate::names`]): the engine leaves it unnamed.
    fn named(&self, mut i: Incident) -> Incident {
        self.naming.want(i.host);
        i.label = self.naming.names.name(i.host).map(str::to_string);
        i
    }

    /// Evaluate the alert rules when their tick is due.
    fn evaluate_alerts(&mut self) {
        let now = SystemTime::now();
        if self.alerts.next_tick().is_some_and(|t| t <= now) {
            for incident in self.alerts.tick(now) {
                let incident = self.named(incident);
                self.outputs.incident(incident);
            }
        }
    }

    fn status(&mut self) -> Status {
        if let Ok(stats) = self.template_stats.lock() {
            self.health.set_sensor_stats(&stats);
        }
        let now = SystemTime::now();
        Status {
            listening: self.listening.clone(),
            paused: self.paused.load(Ordering::Relaxed),
            exporters: self.health.snapshot(),
            flows_per_minute: self.health.flows_per_minute(now),
            refused_datagrams: self.health.refused_datagrams,
            last_summary: self.last_summary,
            latest: self.latest.values().map(|w| w.summary.clone()).collect(),
            active_incidents: self
                .alerts
                .active()
                .into_iter()
                .map(|i| self.named(i))
                .collect(),
            settings: self.settings.clone(),
            names: self.naming.names.clone(),
        }
    }

    /// Stop listening, count what the sockets still held, write the partial summaries, flush.
    async fn shutdown(&mut self) {
        // The decode stage reads the sockets empty, closes them, and sends its figures last.
        let _ = self.decode_control.send(Control::Stop);
        self.listening.clear();
        let mut final_stats = None;
        while let Some(batch) = self.batches.recv().await {
            if let Some(stats) = batch.final_stats {
                // For the stop lines: the figures published last may be a second old.
                self.health.set_sensor_stats(&stats);
                final_stats = Some(stats);
                break;
            }
            self.process(batch);
        }
        for line in self.errors.flush_now(SystemTime::now()) {
            log::warn!("{line}");
        }
        if let Some(line) = self.health.take_evictions() {
            log::warn!("{line}");
        }
        let now = Local::now();
        self.write_due_summaries(now);
        let partial = self.summaries.finish_all(now);
        self.write_reports(partial, now);
        self.outputs.exporter_health(&self.health.snapshot());
        if let Some((all, changed)) = self.naming.stop() {
            self.outputs.names(&all, &changed);
        }
        self.outputs.flush(true);
        let lost: u64 = final_stats
            .unwrap_or_default()
            .templates
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

/// What a socket is for, in the service log.
pub(super) fn listening_line(a: std::net::SocketAddr, s: &Settings) -> String {
    if a.port() == s.receive.sflow_port && !s.receive.ports.contains(&a.port()) {
        format!("listening on UDP {a} (sFlow)")
    } else {
        format!("listening on UDP {a}")
    }
}
