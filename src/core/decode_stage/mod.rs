//! Stage one of the pipeline: the sockets read, datagrams decoded, batches of flow records out.
//!
//! Receiving and decoding are about half of the per-record cost, so they run as their own task
//! and the counting stage (summaries, dump lines, health) runs beside it on the other core.
//! This task reads the sockets itself ([`crate::receive::Sockets`]) and decodes each datagram
//! where it landed, so no datagram is copied or queued. It owns the decoder (templates, held
//! data, sampling rates); the allowlist and pause flag are checked here so refused and paused
//! datagrams never reach the decoder. Accepted datagrams are also handed to the forwarder
//! (copied into its queues, never waited for), paused or not. Batches go over and come back (`Spares`), and the
//! records waiting between the stages are bounded in bytes (`Room`); while there is no room
//! the sockets are not read and their receive buffers take the burst.

mod batch;
mod forgotten;
mod keep_templates;

pub(super) use batch::{Batch, Fate, Room, Spares};

use crate::decode::{Decoder, SensorStats, canonical_ip};
use crate::forward::Forwarder;
use crate::output::service_log::LIFECYCLE;
use crate::receive::{Landing, SLOTS, Sockets};
use crate::settings::Network;
use batch::Item;
use forgotten::Forgotten;
use keep_templates::TemplateKeeper;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, oneshot};

/// Datagrams read into one batch at most.
const BATCH: usize = 256;
/// Batches read at most when stopping, until the sockets are empty: 16,384 datagrams, more
/// than a 16 MiB receive buffer holds of full-size Ethernet datagrams.
const STOP_BATCHES: usize = 64;
/// How long a stop waits for the sockets to say they hold more.
const STOP_WAIT: Duration = Duration::from_millis(50);
/// How long a stop waits for the forwarders to send what they hold.
const FORWARD_WAIT: Duration = Duration::from_secs(2);
/// Exporters idle this long lose their templates.
const PRUNE_IDLE: Duration = Duration::from_secs(24 * 3600);

pub(super) enum Control {
    SetAllowed(Vec<Network>),
    /// Forward with these senders from now on (the old ones finish what they hold).
    SetForward(Forwarder),
    /// Read these sockets from now on (those before are closed).
    Listen(Sockets),
    /// Close the sockets (others are about to be bound, often on the same ports); answered
    /// once they are closed.
    Close(oneshot::Sender<()>),
    /// Read what the sockets still hold, hand it over, then the template figures, and end.
    Stop,
}

/// The decoder's template figures, republished at most every [`STATS_EVERY`] while traffic
/// flows (the counting stage reads them for status snapshots without waiting on this task).
pub(super) type SharedStats = Arc<Mutex<SensorStats>>;
const STATS_EVERY: Duration = Duration::from_secs(1);

pub(super) struct DecodeStage {
    pub sockets: Sockets,
    pub out: mpsc::Sender<Batch>,
    pub control: mpsc::UnboundedReceiver<Control>,
    pub paused: Arc<AtomicBool>,
    pub allowed: Vec<Network>,
    pub forward: Forwarder,
    pub stats: SharedStats,
    pub spares: Spares,
    pub room: Room,
    /// The history store, where the exporters' templates are kept across restarts.
    pub templates: Option<std::path::PathBuf>,
}

impl DecodeStage {
    /// Run until told to stop (or until the pipeline is gone).
    pub async fn run(mut self) {
        let mut decoder = Decoder::new();
        let mut landing = Landing::default();
        let mut last_prune = SystemTime::now();
        // As if published a while ago: the first batch after a quiet spell is published at
        // once, so a stop right after it sees its figures (held data, templates).
        let start = tokio::time::Instant::now();
        let mut published = start.checked_sub(STATS_EVERY).unwrap_or(start);
        let mut dirty = false;
        let mut forgotten = Forgotten::default();
        let mut keeper = TemplateKeeper::new(self.templates.take());
        keeper.restore(&mut decoder).await;
        loop {
            let publish_at = published + STATS_EVERY;
            tokio::select! {
                biased;
                c = self.control.recv() => match c {
                    Some(Control::SetAllowed(a)) => self.allowed = a,
                    Some(Control::SetForward(f)) => {
                        let old = std::mem::replace(&mut self.forward, f);
                        std::thread::spawn(move || old.close(FORWARD_WAIT));
                    }
                    Some(Control::Listen(s)) => self.sockets = s,
                    Some(Control::Close(done)) => {
                        self.sockets = Sockets::default();
                        let _ = done.send(());
                    }
                    Some(Control::Stop) | None => {
                        self.stop(&mut decoder, &mut landing, &mut forgotten).await;
                        keeper.finish(&mut decoder).await;
                        return;
                    }
                },
                _ = tokio::time::sleep_until(publish_at), if dirty => {
                    self.publish(&decoder);
                    published = tokio::time::Instant::now();
                    dirty = false;
                }
                _ = self.sockets.readable() => {
                    let Some(batch) = self.read(&mut decoder, &mut landing) else {
                        continue;
                    };
                    dirty = true;
                    if !self.hand_over(batch).await {
                        return;
                    }
                    let now = SystemTime::now();
                    forgotten.add(&mut decoder);
                    for line in forgotten.take_lines(now, false) {
                        log::warn!("{line}");
                    }
                    keeper.tick(&mut decoder).await;
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

    /// The end: what the sockets hold is read and handed over (so a stop loses nothing the
    /// system had received, up to [`STOP_BATCHES`]), the sockets closed, then the last batch
    /// with the template figures.
    async fn stop(
        &mut self,
        decoder: &mut Decoder,
        landing: &mut Landing,
        forgotten: &mut Forgotten,
    ) {
        for _ in 0..STOP_BATCHES {
            // A datagram is seen once the runtime has been told the socket has some, on its
            // next turn: wait that long, no more.
            let ready = tokio::time::timeout(STOP_WAIT, self.sockets.readable()).await;
            if ready.is_err() {
                break;
            }
            if let Some(batch) = self.read(decoder, landing)
                && !self.hand_over(batch).await
            {
                break;
            }
        }
        self.sockets = Sockets::default();
        let forward = std::mem::take(&mut self.forward);
        let closed = tokio::task::spawn_blocking(move || forward.close(FORWARD_WAIT)).await;
        for line in closed.unwrap_or_default() {
            log::info!(target: LIFECYCLE, "{line}");
        }
        forgotten.add(decoder);
        for line in forgotten.take_lines(SystemTime::now(), true) {
            log::warn!("{line}");
        }
        let last = Batch {
            final_stats: Some(decoder.sensor_stats()),
            ..Batch::default()
        };
        let _ = self.out.send(last).await;
    }

    /// Wait for room for the batch's records, then hand it to the counting stage (false:
    /// the counting stage is gone).
    async fn hand_over(&self, mut batch: Batch) -> bool {
        match self.room.take(batch.records.len()).await {
            Some(p) => batch.room = Some(p),
            None => return false,
        }
        self.out.send(batch).await.is_ok()
    }

    fn publish(&self, decoder: &Decoder) {
        let stats = decoder.sensor_stats();
        if let Ok(mut s) = self.stats.lock() {
            *s = stats;
        }
    }

    /// Read up to [`BATCH`] datagrams (fewer when the sockets run empty) into a batch; none
    /// when there was nothing to read (the batch goes back to the spares).
    fn read(&mut self, decoder: &mut Decoder, landing: &mut Landing) -> Option<Batch> {
        let paused = self.paused.load(Ordering::Relaxed);
        // Room for one read's worth of 30-record datagrams; a busy batch grows, and the spares
        // that come back keep what it grew to.
        let mut batch = self.spares.take(BATCH + SLOTS, SLOTS * 30);
        let (allowed, forward) = (&self.allowed, &self.forward);
        self.sockets.read(landing, BATCH, |from, data, received| {
            if take(decoder, allowed, paused, &mut batch, from, data, received) {
                forward.put(from, data);
            }
        });
        if batch.items.is_empty() {
            self.spares.give(batch);
            return None;
        }
        Some(batch)
    }
}

/// Decode one datagram into the batch (unless its exporter is refused or counting paused),
/// and note what became of it; false when its exporter is refused.
fn take(
    decoder: &mut Decoder,
    allowed: &[Network],
    paused: bool,
    batch: &mut Batch,
    from: SocketAddr,
    data: &[u8],
    received: SystemTime,
) -> bool {
    let ip = canonical_ip(from.ip());
    let first = batch.records.len();
    let fate = if !crate::settings::exporter_allowed(allowed, ip) {
        Fate::Refused
    } else if paused {
        Fate::Paused
    } else {
        let received_ms = crate::flow::unix_ms(received);
        Fate::Decoded(decoder.decode(from, data, received_ms, &mut batch.records))
    };
    let accepted = !matches!(fate, Fate::Refused);
    batch.items.push(Item {
        ip,
        port: from.port(),
        received,
        len: data.len(),
        fate,
        records: first..batch.records.len(),
    });
    accepted
}

#[cfg(test)]
mod tests;
