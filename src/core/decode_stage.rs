//! Stage one of the pipeline: datagrams in, batches of flow records out.
//!
//! Decoding is about half of the per-record cost, so it runs as its own task and the counting
//! stage (summaries, dump lines, health) runs beside it on the other core. This task owns the
//! decoder (templates, held data, sampling rates); the allowlist and pause flag are checked
//! here so refused and paused datagrams never reach the decoder. Batches go over and come
//! back (`Spares`), and the records waiting between the stages are bounded in bytes (`Room`).

use crate::decode::{Decoder, Outcome, TemplateStats, canonical_ip};
use crate::flow::FlowRecord;
use crate::receive::{Datagram, QueueBytes};
use crate::settings::Network;
use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Datagrams taken per wake-up.
const BATCH: usize = 256;
/// Emptied batches kept for reuse, and the most records one may hold to be kept: a full
/// batch of 30-record datagrams fits (a record vector of 16,384 is ≈ 3.5 MB).
const SPARES: usize = 2;
const SPARE_RECORDS: usize = 16_384;
/// Decoded records waiting for the counting stage, in bytes at most: beyond it this stage
/// waits, and datagrams wait in the receive queue (bounded in bytes too). Without it the
/// batch queue held up to 64 batches whatever their size: 100 MB when counting fell behind.
const DECODED_BYTES: usize = 16 * 1024 * 1024;
/// [`DECODED_BYTES`] in records (a semaphore's permits).
const DECODED_RECORDS: usize = DECODED_BYTES / std::mem::size_of::<FlowRecord>();
/// Exporters idle this long lose their templates.
const PRUNE_IDLE: Duration = Duration::from_secs(24 * 3600);

/// Exporters whose templates were forgotten for the bound on all templates: said at most
/// once a minute, naming a few.
#[derive(Default)]
struct TemplateEvictions {
    exporters: usize,
    templates: usize,
    named: Vec<(IpAddr, usize)>,
    said: Option<SystemTime>,
}

impl TemplateEvictions {
    const NAMED: usize = 4;
    const EVERY: Duration = Duration::from_secs(60);

    fn add(&mut self, evicted: Vec<(IpAddr, usize)>) {
        for (ip, n) in evicted {
            self.exporters += 1;
            self.templates += n;
            if self.named.len() < Self::NAMED {
                self.named.push((ip, n));
            }
        }
    }

    /// The line to log now, if any (`force` at the end).
    fn take_line(&mut self, now: SystemTime, force: bool) -> Option<String> {
        let due = self
            .said
            .is_none_or(|t| now.duration_since(t).unwrap_or_default() >= Self::EVERY);
        if self.exporters == 0 || !(due || force) {
            return None;
        }
        self.said = Some(now);
        let named: Vec<String> = self
            .named
            .iter()
            .map(|(ip, n)| format!("{ip} ({n})"))
            .collect();
        let more = self.exporters - self.named.len();
        let line = format!(
            "all exporters together held more than {} templates: forgot the templates of {} exporter(s), {} templates in all: {}{}; their data waits until they send their templates again",
            crate::decode::limits::MAX_TEMPLATES_TOTAL,
            self.exporters,
            self.templates,
            named.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
        *self = TemplateEvictions {
            said: self.said,
            ..TemplateEvictions::default()
        };
        Some(line)
    }
}

/// What became of one datagram.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fate {
    Decoded(Outcome),
    Paused,
    Refused,
}

/// One datagram: who sent it, when, and what became of it.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub ip: IpAddr,
    pub port: u16,
    pub received: SystemTime,
    pub len: usize,
    pub fate: Fate,
    /// Its records in [`Batch::records`], taken from the vector as it grew.
    records: Range<usize>,
}

/// Records of up to [`BATCH`] datagrams, in arrival order, and what each datagram gave.
#[derive(Debug, Default)]
pub(super) struct Batch {
    records: Vec<FlowRecord>,
    items: Vec<Item>,
    /// Sent once, last, when the stage ends: its template figures (held and lost data).
    pub final_stats: Option<HashMap<IpAddr, TemplateStats>>,
    /// The records' share of [`DECODED_RECORDS`], given back when the batch is emptied.
    room: Option<OwnedSemaphorePermit>,
}

impl Batch {
    /// Each datagram with its own records: the pairing is made where the records are
    /// appended, so counting can never hand one exporter's records to another.
    pub fn datagrams(&self) -> impl Iterator<Item = (&Item, &[FlowRecord])> {
        self.items
            .iter()
            .map(|i| (i, &self.records[i.records.clone()]))
    }

    /// The records after datagram `item`'s, to the end of the batch (to fetch ahead).
    pub fn after(&self, item: &Item) -> &[FlowRecord] {
        &self.records[item.records.end..]
    }
}

/// Batches the counting stage has emptied, handed back so the decode stage fills them again
/// instead of allocating (at 2 M flows/s a batch's records are megabytes, 60 times a
/// second). At most [`SPARES`] are kept, none over [`SPARE_RECORDS`]; the counting stage
/// empties the pool when traffic stops, so an idle collector keeps none.
#[derive(Clone, Default)]
pub(super) struct Spares(Arc<Mutex<Vec<Batch>>>);

impl Spares {
    /// An empty batch with room for `datagrams` datagrams of `records` records.
    fn take(&self, datagrams: usize, records: usize) -> Batch {
        let mut b = self
            .0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default();
        b.records.reserve(records);
        b.items.reserve(datagrams);
        b
    }

    /// Keep an emptied batch for the next `take`, if there is room for it.
    pub fn give(&self, mut b: Batch) {
        if b.records.capacity() > SPARE_RECORDS || b.final_stats.is_some() {
            return;
        }
        b.room = None;
        b.records.clear();
        b.items.clear();
        if let Ok(mut v) = self.0.lock()
            && v.len() < SPARES
        {
            v.push(b);
        }
    }

    /// Free the spares (traffic stopped).
    pub fn release(&self) {
        if let Ok(mut v) = self.0.lock() {
            *v = Vec::new();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().map(|v| v.len()).unwrap_or(0)
    }
}

/// Room for decoded records waiting to be counted (see [`DECODED_BYTES`]): a batch holds
/// its records' share until the counting stage has emptied it.
pub(super) struct Room {
    permits: Arc<Semaphore>,
    records: usize,
}

impl Room {
    pub fn new(records: usize) -> Room {
        Room {
            permits: Arc::new(Semaphore::new(records)),
            records,
        }
    }

    /// Wait for room for `n` records; a batch bigger than the whole room takes all of it.
    async fn take(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        let n = n.clamp(1, self.records) as u32;
        self.permits.clone().acquire_many_owned(n).await.ok()
    }
}

impl Default for Room {
    fn default() -> Room {
        Room::new(DECODED_RECORDS)
    }
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
    pub queued: Arc<QueueBytes>,
    pub control: mpsc::UnboundedReceiver<Control>,
    pub paused: Arc<AtomicBool>,
    pub allowed: Vec<Network>,
    pub stats: SharedStats,
    pub spares: Spares,
    pub room: Room,
}

impl DecodeStage {
    /// Run until every datagram sender is gone and the queue is drained.
    pub async fn run(mut self) {
        let mut decoder = Decoder::new();
        let mut datagrams = Vec::with_capacity(BATCH);
        let mut last_prune = SystemTime::now();
        let mut published = tokio::time::Instant::now();
        let mut dirty = false;
        let mut evictions = TemplateEvictions::default();
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
                        evictions.add(decoder.take_template_evictions());
                        if let Some(line) = evictions.take_line(SystemTime::now(), true) {
                            log::warn!("{line}");
                        }
                        let last = Batch { final_stats: Some(decoder.template_stats()), ..Batch::default() };
                        let _ = self.out.send(last).await;
                        return;
                    }
                    let mut batch = self.decode(&mut decoder, &mut datagrams);
                    dirty = true;
                    match self.room.take(batch.records.len()).await {
                        Some(p) => batch.room = Some(p),
                        None => return,
                    }
                    if self.out.send(batch).await.is_err() {
                        return;
                    }
                    let now = SystemTime::now();
                    evictions.add(decoder.take_template_evictions());
                    if let Some(line) = evictions.take_line(now, false) {
                        log::warn!("{line}");
                    }
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
        let mut batch = self.spares.take(datagrams.len(), datagrams.len() * 24);
        for d in datagrams.drain(..) {
            self.queued.release(d.data.len());
            let ip = canonical_ip(d.from.ip());
            let first = batch.records.len();
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
                records: first..batch.records.len(),
            });
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Addr;

    /// A v5 datagram with `n` records of 100 bytes each.
    fn v5(n: u16) -> Vec<u8> {
        let mut d = vec![0, 5];
        d.extend_from_slice(&n.to_be_bytes());
        d.resize(24, 0);
        for i in 0..n {
            let mut rec = [0u8; 48];
            rec[0..4].copy_from_slice(&[10, 0, 0, i as u8]); // source address
            rec[20..24].copy_from_slice(&100u32.to_be_bytes()); // bytes
            rec[38] = 17;
            d.extend_from_slice(&rec);
        }
        d
    }

    /// A stage to call `decode` on (its queues are never used).
    fn stage(allowed: Vec<Network>, spares: Spares) -> DecodeStage {
        let (_tx, rx) = mpsc::channel(1);
        let (out, _out_rx) = mpsc::channel(1);
        queued_stage(rx, out, allowed, spares)
    }

    fn queued_stage(
        rx: mpsc::Receiver<Datagram>,
        out: mpsc::Sender<Batch>,
        allowed: Vec<Network>,
        spares: Spares,
    ) -> DecodeStage {
        let (_ctl, control) = mpsc::unbounded_channel();
        DecodeStage {
            rx,
            out,
            queued: QueueBytes::new(QueueBytes::LIMIT),
            control,
            paused: Arc::new(AtomicBool::new(false)),
            allowed,
            stats: SharedStats::default(),
            spares,
            room: Room::default(),
        }
    }

    #[test]
    fn each_datagram_keeps_its_own_records() {
        let stage = stage(
            crate::settings::values::parse_networks("127.0.0.0/8").unwrap(),
            Spares::default(),
        );
        let dg = |from: &str, data: Vec<u8>| Datagram {
            from: from.parse().unwrap(),
            received: SystemTime::now(),
            data,
        };
        let mut datagrams = vec![
            dg("127.0.0.1:2055", v5(2)),
            dg("127.0.0.2:2055", b"GET / HTTP/1.1".to_vec()),
            dg("192.0.2.1:2055", v5(3)),
            dg("127.0.0.3:2055", v5(1)),
        ];
        let batch = stage.decode(&mut Decoder::new(), &mut datagrams);
        let got: Vec<(IpAddr, usize, bool)> = batch
            .datagrams()
            .map(|(item, records)| {
                let own = records.iter().all(|r| r.sampler == Addr::from(item.ip));
                (item.ip, records.len(), own)
            })
            .collect();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            got,
            [
                (ip("127.0.0.1"), 2, true),
                (ip("127.0.0.2"), 0, true),
                (ip("192.0.2.1"), 0, true),
                (ip("127.0.0.3"), 1, true),
            ]
        );
        assert!(matches!(batch.items[2].fate, Fate::Refused));
        assert!(matches!(batch.items[1].fate, Fate::Decoded(o) if o.error.is_some()));
    }

    #[test]
    fn an_emptied_batch_is_filled_again_and_the_spares_are_bounded() {
        let spares = Spares::default();
        let stage = stage(Vec::new(), spares.clone());
        let datagrams = |n: u16| {
            vec![Datagram {
                from: "127.0.0.1:2055".parse().unwrap(),
                received: SystemTime::now(),
                data: v5(n),
            }]
        };
        let mut decoder = Decoder::new();
        let first = stage.decode(&mut decoder, &mut datagrams(30));
        let place = first.records.as_ptr();
        spares.give(first);
        assert_eq!(spares.len(), 1);
        // The next batch is the same vectors, emptied and filled anew.
        let second = stage.decode(&mut decoder, &mut datagrams(2));
        assert_eq!(second.records.as_ptr(), place);
        assert_eq!(
            second.datagrams().map(|(_, r)| r.len()).collect::<Vec<_>>(),
            [2]
        );
        assert_eq!(spares.len(), 0);
        // At most SPARES are kept; one grown past SPARE_RECORDS is freed, as is the last batch.
        for _ in 0..SPARES + 1 {
            spares.give(Batch::default());
        }
        assert_eq!(spares.len(), SPARES);
        spares.release();
        let mut big = Batch::default();
        big.records.reserve(SPARE_RECORDS + 1);
        spares.give(big);
        spares.give(Batch {
            final_stats: Some(HashMap::new()),
            ..Batch::default()
        });
        assert_eq!(spares.len(), 0);
        spares.give(second);
        spares.release();
        assert_eq!(spares.len(), 0, "released when traffic stops");
    }

    #[tokio::test]
    async fn decoded_records_wait_for_room_and_never_beyond_it() {
        let (tx, rx) = mpsc::channel(16);
        let (out, mut batches) = mpsc::channel(64);
        let stage = DecodeStage {
            room: Room::new(5),
            ..queued_stage(rx, out, Vec::new(), Spares::default())
        };
        let task = tokio::spawn(stage.run());
        let send = |n: u16| {
            tx.try_send(Datagram {
                from: "127.0.0.1:2055".parse().unwrap(),
                received: SystemTime::now(),
                data: v5(n),
            })
            .unwrap()
        };
        let wait = Duration::from_secs(10);
        let next = |b: Option<Batch>| b.unwrap().records.len();
        send(3);
        let first = tokio::time::timeout(wait, batches.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.records.len(), 3);
        // Three more records while three of five are not counted yet: the stage waits.
        send(3);
        let held = tokio::time::timeout(Duration::from_millis(300), batches.recv()).await;
        assert!(held.is_err(), "a batch beyond the room was handed over");
        drop(first);
        let second = tokio::time::timeout(wait, batches.recv()).await.unwrap();
        assert_eq!(next(second), 3);
        // A datagram bigger than the whole room still goes through, alone.
        send(8);
        let big = tokio::time::timeout(wait, batches.recv()).await.unwrap();
        assert_eq!(next(big), 8);
        drop(tx);
        let last = tokio::time::timeout(wait, batches.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(last.final_stats.is_some());
        task.await.unwrap();
    }
}
