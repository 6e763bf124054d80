//! What goes between the decode stage and the counting stage: batches of records with what
//! each datagram gave, the spare batches that come back, and the room the waiting records may
//! take (bounded in bytes).

use crate::decode::{Outcome, SensorStats};
use crate::flow::FlowRecord;
use std::net::IpAddr;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Emptied batches kept for reuse, and the most records one may hold to be kept: a full
/// batch of 30-record datagrams fits (a record vector of 16,384 is ≈ 3.5 MB).
pub(super) const SPARES: usize = 2;
pub(super) const SPARE_RECORDS: usize = 16_384;
/// Decoded records waiting for the counting stage, in bytes at most: beyond it this stage
/// waits, and datagrams wait in the sockets' receive buffers (`ReceiveBufferMB`). Without it the
/// batch queue held up to 64 batches whatever their size: 100 MB when counting fell behind.
const DECODED_BYTES: usize = 16 * 1024 * 1024;
/// [`DECODED_BYTES`] in records (a semaphore's permits).
const DECODED_RECORDS: usize = DECODED_BYTES / std::mem::size_of::<FlowRecord>();

/// What became of one datagram.
#[derive(Debug, Clone, Copy)]
pub(in crate::core) enum Fate {
    Decoded(Outcome),
    Paused,
    Refused,
}

/// One datagram: who sent it, when, and what became of it.
#[derive(Debug, Clone)]
pub(in crate::core) struct Item {
    pub ip: IpAddr,
    pub port: u16,
    pub received: SystemTime,
    pub len: usize,
    pub fate: Fate,
    /// Its records in [`Batch::records`], taken from the vector as it grew.
    pub(super) records: Range<usize>,
}

/// Records of up to [`super::BATCH`] datagrams, in arrival order, and what each datagram gave.
#[derive(Debug, Default)]
pub(in crate::core) struct Batch {
    pub(super) records: Vec<FlowRecord>,
    pub(super) items: Vec<Item>,
    /// Sent once, last, when the stage ends: its template figures (held and lost data).
    pub final_stats: Option<SensorStats>,
    /// The records' share of [`DECODED_RECORDS`], given back when the batch is emptied.
    pub(super) room: Option<OwnedSemaphorePermit>,
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
pub(in crate::core) struct Spares(Arc<Mutex<Vec<Batch>>>);

impl Spares {
    /// An empty batch with room for `datagrams` datagrams of `records` records.
    pub(super) fn take(&self, datagrams: usize, records: usize) -> Batch {
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
    pub(super) fn len(&self) -> usize {
        self.0.lock().map(|v| v.len()).unwrap_or(0)
    }
}

/// Room for decoded records waiting to be counted (see [`DECODED_BYTES`]): a batch holds
/// its records' share until the counting stage has emptied it.
pub(in crate::core) struct Room {
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
    pub(super) async fn take(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        let n = n.clamp(1, self.records) as u32;
        self.permits.clone().acquire_many_owned(n).await.ok()
    }
}

impl Default for Room {
    fn default() -> Room {
        Room::new(DECODED_RECORDS)
    }
}
