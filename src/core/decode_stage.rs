//! Stage one of the pipeline: datagrams in, batches of flow records out.
//!
//! Decoding is about half of the per-record cost, so it runs as its own task and the counting
//! stage (summaries, dump lines, health) runs beside it on the other core. This task owns the
//! decoder (templates, held data, sampling rates); the allowlist and pause flag are checked
//! here so refused and paused datagrams never reach the decoder.

use crate::decode::{Decoder, Outcome, TemplateStats, canonical_ip};
use crate::flow::FlowRecord;
use crate::receive::Datagram;
use crate::settings::Network;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

/// Datagrams taken per wake-up.
const BATCH: usize = 256;
/// Exporters idle this long lose their templates.
const PRUNE_IDLE: Duration = Duration::from_secs(24 * 3600);

/// What became of one datagram.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fate {
    Decoded(Outcome),
    Paused,
    Refused,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Item {
    pub ip: IpAddr,
    pub port: u16,
    pub received: SystemTime,
    pub len: usize,
    pub fate: Fate,
}

/// Records of up to [`BATCH`] datagrams, in arrival order, and what each datagram gave.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub records: Vec<FlowRecord>,
    pub items: Vec<Item>,
    /// Sent once, last, when the stage ends: its template figures (held and lost data).
    pub final_stats: Option<HashMap<IpAddr, TemplateStats>>,
}

pub(super) enum Control {
    SetAllowed(Vec<Network>),
}

/// The decoder's template figures, republished at most every [`STATS_EVERY`] while traffic
/// flows (the counting stage reads them for status snapshots without waiting on this task).
pub(super) type SharedStats = Arc<Mutex<HashMap<IpAddr, TemplateStats>>>;
const STATS_EVERY: Duration = Duration::from_secs(1);

pub(super) struct DecodeStage {
    pub rx: mpsc::Receiver<Datagram>,
    pub out: mpsc::Sender<Batch>,
    pub control: mpsc::UnboundedReceiver<Control>,
    pub paused: Arc<AtomicBool>,
    pub allowed: Vec<Network>,
    pub stats: SharedStats,
}

impl DecodeStage {
    /// Run until every datagram sender is gone and the queue is drained.
    pub async fn run(mut self) {
        let mut decoder = Decoder::new();
        let mut datagrams = Vec::with_capacity(BATCH);
        let mut last_prune = SystemTime::now();
        let mut published = tokio::time::Instant::now();
        let mut dirty = false;
        loop {
            let publish_at = published + STATS_EVERY;
            tokio::select! {
                biased;
                Some(c) = self.control.recv() => match c {
                    Control::SetAllowed(a) => self.allowed = a,
                },
                _ = tokio::time::sleep_until(publish_at), if dirty => {
                    self.publish(&decoder);
                    published = tokio::time::Instant::now();
                    dirty = false;
                }
                n = self.rx.recv_many(&mut datagrams, BATCH) => {
                    if n == 0 {
                        // All listeners stopped and the queue is empty.
                        let last = Batch { final_stats: Some(decoder.template_stats()), ..Batch::default() };
                        let _ = self.out.send(last).await;
                        return;
                    }
                    let batch = self.decode(&mut decoder, &mut datagrams);
                    dirty = true;
                    if self.out.send(batch).await.is_err() {
                        return;
                    }
                    let now = SystemTime::now();
                    if now.duration_since(last_prune).unwrap_or_default() > Duration::from_secs(3600) {
                        last_prune = now;
                        let n = decoder.prune(PRUNE_IDLE);
                        if n > 0 {
                            log::info!("forgot the templates of {n} exporter scope(s) idle for a day");
                        }
                    }
                }
            }
        }
    }

    fn publish(&self, decoder: &Decoder) {
        let stats = decoder.template_stats();
        if let Ok(mut s) = self.stats.lock() {
            *s = stats;
        }
    }

    fn decode(&self, decoder: &mut Decoder, datagrams: &mut Vec<Datagram>) -> Batch {
        let paused = self.paused.load(Ordering::Relaxed);
        let mut batch = Batch {
            records: Vec::with_capacity(datagrams.len() * 24),
            items: Vec::with_capacity(datagrams.len()),
            final_stats: None,
        };
        for d in datagrams.drain(..) {
            let ip = canonical_ip(d.from.ip());
            let fate = if !crate::settings::exporter_allowed(&self.allowed, ip) {
                Fate::Refused
            } else if paused {
                Fate::Paused
            } else {
                let received_ms = d
                    .received
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis() as u64;
                Fate::Decoded(decoder.decode(d.from, &d.data, received_ms, &mut batch.records))
            };
            batch.items.push(Item {
                ip,
                port: d.from.port(),
                received: d.received,
                len: d.data.len(),
                fate,
            });
        }
        batch
    }
}
