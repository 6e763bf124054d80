//! A finished summary's rows: each exporter's top conversations and its totals, ranked.

use super::Table;
use super::arena::Counts;
use super::key::RowKey;
use crate::flow::{Addr, FlowKind};

/// One exporter block of the summary: `NETFLOW_V9(192.168.255.10)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExporterKey {
    pub kind: FlowKind,
    pub addr: Addr,
}

impl std::fmt::Display for ExporterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.kind, self.addr)
    }
}

/// One row of a finished summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub etype: u16,
    pub proto: u8,
    pub src: Addr,
    pub dst: Addr,
    /// The service port: the destination port of a request, the source port of a reply.
    pub port: u16,
    pub reply: bool,
    pub bytes: u64,
    pub packets: u64,
}

impl Row {
    /// The summary's order: largest first; ties in a stable, readable order.
    fn rank(&self, other: &Row) -> std::cmp::Ordering {
        other
            .bytes
            .cmp(&self.bytes)
            .then(other.packets.cmp(&self.packets))
            .then(self.src.cmp(&other.src))
            .then(self.dst.cmp(&other.dst))
            .then(self.port.cmp(&other.port))
            .then(self.etype.cmp(&other.etype))
            .then(self.proto.cmp(&other.proto))
            .then(self.reply.cmp(&other.reply))
    }
}

/// A row in the top-rows heap: the heap's greatest is the row ranked last.
struct Ranked(Row);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.rank(&other.0)
    }
}

/// One exporter's rows, sorted by bytes (largest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExporterRows {
    pub exporter: ExporterKey,
    /// How many non-empty rows there were before cutting to the top count.
    pub total_rows: usize,
    pub total_bytes: u64,
    pub total_packets: u64,
    pub rows: Vec<Row>,
    /// Traffic of conversations that found the table full (see [`MAX_ROWS`]); included in
    /// the totals.
    pub other: Option<Other>,
}

/// The "other conversations" line of an exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Other {
    pub bytes: u64,
    pub packets: u64,
}

impl Table {
    /// The rows of slot `slot` for every exporter, top `top` per exporter, exporters in
    /// address order. Only the top rows are gathered (a heap of `top`), not every row.
    pub fn rows_for(&self, slot: usize, top: usize) -> Vec<ExporterRows> {
        let n = self.slots;
        let mut out: Vec<ExporterRows> = self
            .exporters
            .iter()
            .filter_map(|(exporter, t)| {
                let o = t.other[slot];
                let other = (o.bytes != 0).then_some(Other {
                    bytes: o.bytes,
                    packets: o.packets,
                });
                let (mut total_rows, mut total_bytes, mut total_packets) = (0, o.bytes, o.packets);
                let mut heap = std::collections::BinaryHeap::with_capacity(top.min(4096) + 1);
                for (w, r) in t.records(n) {
                    let c = Counts(&r[w.key_words()..]).get(slot);
                    if c.bytes == 0 {
                        continue;
                    }
                    total_rows += 1;
                    total_bytes = u64::saturating_add(total_bytes, c.bytes);
                    total_packets = u64::saturating_add(total_packets, c.packets);
                    if top == 0 {
                        continue;
                    }
                    let (k, reply) = RowKey::unpack(r, w);
                    let row = Ranked(Row {
                        etype: k.etype,
                        proto: k.proto,
                        src: k.src,
                        dst: k.dst,
                        port: k.port,
                        reply,
                        bytes: c.bytes,
                        packets: c.packets,
                    });
                    if heap.len() < top {
                        heap.push(row);
                    } else if heap.peek().is_some_and(|last| row < *last) {
                        heap.pop();
                        heap.push(row);
                    }
                }
                if total_rows == 0 && other.is_none() {
                    return None;
                }
                let rows = heap.into_sorted_vec().into_iter().map(|r| r.0).collect();
                Some(ExporterRows {
                    exporter: *exporter,
                    total_rows,
                    total_bytes,
                    total_packets,
                    rows,
                    other,
                })
            })
            .collect();
        out.sort_by_key(|s| s.exporter);
        out
    }
}
