//! The traffic table shared by every summary interval, with the old service's pairing rule.
//!
//! One row per conversation holds a counter slot per interval (20 min, 1 h, …), so a flow is
//! classified and looked up once, not once per interval, and the same conversation is listed
//! the same way in every summary.
//!
//! # The pairing rule (kept from the Go nf-svc)
//!
//! A conversation is two flows: the request `A:random → B:service` and the reply
//! `B:service → A:random`. Listing both by destination port would show the reply under a random
//! port, so a row is keyed by the port that names the service:
//!
//! * A flow is a **reply** when its mirror request is already in the table: a group
//!   `(L3, L4, src = this dst, dst = this src, port = this src port)` exists. It is then
//!   recorded as `Src=B, Dst=A, SrcPort=service`.
//! * A **multicast or broadcast request** (`A → 224.0.0.251:5353`, `A → 192.168.0.255:137`)
//!   opens a group whose destination is "any multicast", so unicast answers from any host
//!   (`C:5353 → A`) are recognised as replies too. Its rows are still one per destination.
//! * A flow *from* a service port (below 1024, or a well-known one like 1900 or 5353) *to*
//!   a port that is neither is a **reply** even when it is seen first. Exporters often send the
//!   reply before the request (softflowd sorts by address; routers by flow end), and without
//!   this the old rule listed a web download as `DstPort=40001`. When both or neither port is a
//!   service port, the old rule alone decides.
//! * Anything else is a **request**, keyed `Src, Dst, DstPort=port`.
//!
//! Whichever direction is seen first decides; rows are per exporter. At the end of an interval
//! its counters are cleared but the rows stay, so a reply that arrives just after the boundary
//! still finds its request. Rows that stayed empty for a whole period of the longest interval
//! are dropped then.
//!
//! Keys are small `Copy` structs hashed with foldhash: adding a flow allocates nothing once
//! its row exists.
//!
//! The table holds at most [`MAX_ROWS`] rows, all exporters together. A flood of made-up
//! conversations cannot grow it further: once full, a flow that would need a new row is
//! counted in its exporter's "other conversations" line, so totals stay right and the top rows
//! (the conversations that already had rows) stay right too. Room returns when the longest
//! interval ends and drops the rows it saw nothing for.

use crate::flow::{Addr, FlowKind, FlowRecord};
use std::collections::HashMap;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A port that names a service: the system range, or one nf-svc knows by name.
fn is_service_port(proto: u8, port: u16) -> bool {
    (port != 0 && port < 1024) || crate::words::names::service_name(proto, port).is_some()
}

/// One exporter block of the summary: `NETFLOW_V9(192.168.255.10)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SamplerKey {
    pub kind: FlowKind,
    pub addr: Addr,
}

impl std::fmt::Display for SamplerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.kind, self.addr)
    }
}

/// A conversation group: who talks to whom on which service port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GroupKey {
    etype: u16,
    proto: u8,
    src: Addr,
    /// `None` stands for "any multicast or broadcast destination".
    dst: Option<Addr>,
    port: u16,
}

/// One printed row: a group and the actual destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RowKey {
    group: GroupKey,
    dst: Addr,
}

/// Few writes into the hasher: the small fields packed in one word, then the addresses.
impl std::hash::Hash for GroupKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(
            (self.etype as u64) << 40
                | (self.proto as u64) << 32
                | (self.port as u64) << 16
                | self.dst.is_some() as u64,
        );
        self.src.hash(h);
        if let Some(d) = self.dst {
            d.hash(h);
        }
    }
}

/// The most intervals one table counts for: the user's, and the history's five minutes.
pub const MAX_SLOTS: usize = crate::settings::values::MAX_INTERVALS + 1;

/// Rows of all exporters together.
pub const MAX_ROWS: usize = 100_000;

#[derive(Debug, Clone, Copy, Default)]
struct Count {
    bytes: u64,
    packets: u64,
}

#[derive(Debug, Clone, Copy)]
struct Counters {
    reply: bool,
    slots: [Count; MAX_SLOTS],
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

/// One exporter's rows, sorted by bytes (largest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplerRows {
    pub sampler: SamplerKey,
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

#[derive(Default)]
struct SamplerTable {
    /// Group → number of rows in it (a group exists while it has rows). Groups whose
    /// destination is "any multicast" are kept apart in `multicast`: a few, always in cache,
    /// so the second mirror lookup of every flow costs no miss.
    groups: FastMap<GroupKey, u32>,
    multicast: FastMap<GroupKey, u32>,
    rows: FastMap<RowKey, Counters>,
    /// Flows that found the table full, per slot.
    other: [Count; MAX_SLOTS],
}

/// The map that holds group `g`: the multicast one for "any multicast" destinations.
fn groups_of<'a>(
    unicast: &'a mut FastMap<GroupKey, u32>,
    multicast: &'a mut FastMap<GroupKey, u32>,
    g: &GroupKey,
) -> &'a mut FastMap<GroupKey, u32> {
    if g.dst.is_none() { multicast } else { unicast }
}

/// The traffic table: rows with a counter slot per interval.
pub struct Table {
    samplers: FastMap<SamplerKey, SamplerTable>,
    /// Rows of all samplers together.
    rows: usize,
    max_rows: usize,
    /// Flows that found the table full since [`Table::take_full`] was last asked.
    refused: u64,
    /// Hosts whose flows always count as replies (the old `TrackingClients`).
    tracking: Vec<Addr>,
    /// Counter slots in use (one per interval).
    slots: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table::with_slots(1, Vec::new())
    }
}

impl Table {
    /// A table for one interval.
    pub fn new() -> Self {
        Self::default()
    }

    /// A table counting for `slots` intervals (at most [`MAX_SLOTS`]), where flows from
    /// `tracking` hosts are always replies, listed by source port (the old service's
    /// `TrackingClients`, for servers whose clients use random ports).
    pub fn with_slots(slots: usize, tracking: Vec<Addr>) -> Self {
        Table {
            samplers: FastMap::default(),
            rows: 0,
            max_rows: MAX_ROWS,
            refused: 0,
            tracking,
            slots: slots.clamp(1, MAX_SLOTS),
        }
    }

    /// The same table with room for `max` rows (tests).
    pub fn with_max_rows(mut self, max: usize) -> Self {
        self.max_rows = max.max(1);
        self
    }

    /// Rows now, all exporters together.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Flows that found the table full since the last call (none: `None`).
    pub fn take_full(&mut self) -> Option<u64> {
        (self.refused > 0).then(|| std::mem::take(&mut self.refused))
    }

    /// Change the hosts treated as tracking clients (future flows only).
    pub fn set_tracking(&mut self, tracking: Vec<Addr>) {
        self.tracking = tracking;
    }

    /// Rearrange the counter slots: new slot `j` takes old slot `map[j]`, or starts empty.
    pub fn remap_slots(&mut self, map: &[Option<usize>]) {
        let n = map.len().clamp(1, MAX_SLOTS);
        for t in self.samplers.values_mut() {
            for slots in t
                .rows
                .values_mut()
                .map(|c| &mut c.slots)
                .chain(std::iter::once(&mut t.other))
            {
                let old = *slots;
                for (j, m) in map.iter().take(n).enumerate() {
                    slots[j] = m.map(|i| old[i]).unwrap_or_default();
                }
                for s in slots.iter_mut().skip(n) {
                    *s = Count::default();
                }
            }
        }
        self.slots = n;
    }

    /// Count one flow.
    pub fn add(&mut self, r: &FlowRecord) {
        let sampler = SamplerKey {
            kind: r.kind,
            addr: r.sampler,
        };
        let tracked = !self.tracking.is_empty() && self.tracking.contains(&r.src_addr);
        let t = self.samplers.entry(sampler).or_default();

        let mirror = GroupKey {
            etype: r.etype,
            proto: r.proto,
            src: r.dst_addr,
            dst: Some(r.src_addr),
            port: r.src_port,
        };
        let mirror_multicast = GroupKey {
            dst: None,
            ..mirror
        };
        let reply = t.groups.contains_key(&mirror)
            || t.multicast.contains_key(&mirror_multicast)
            || tracked
            || (is_service_port(r.proto, r.src_port) && !is_service_port(r.proto, r.dst_port));

        let group = if reply {
            GroupKey {
                etype: r.etype,
                proto: r.proto,
                src: r.src_addr,
                dst: Some(r.dst_addr),
                port: r.src_port,
            }
        } else {
            GroupKey {
                etype: r.etype,
                proto: r.proto,
                src: r.src_addr,
                dst: (!r.dst_addr.is_multicast_or_broadcast()).then_some(r.dst_addr),
                port: r.dst_port,
            }
        };
        let key = RowKey {
            group,
            dst: r.dst_addr,
        };
        let slots = match t.rows.get_mut(&key) {
            Some(row) => &mut row.slots,
            None if self.rows >= self.max_rows => {
                self.refused += 1;
                &mut t.other
            }
            None => {
                self.rows += 1;
                *groups_of(&mut t.groups, &mut t.multicast, &group)
                    .entry(group)
                    .or_insert(0) += 1;
                &mut t
                    .rows
                    .entry(key)
                    .or_insert(Counters {
                        reply,
                        slots: [Count::default(); MAX_SLOTS],
                    })
                    .slots
            }
        };
        for c in &mut slots[..self.slots] {
            c.bytes = c.bytes.saturating_add(r.bytes);
            c.packets = c.packets.saturating_add(r.packets);
        }
    }

    /// True when no flow with bytes was counted in slot 0 since its last reset.
    pub fn is_empty(&self) -> bool {
        self.samplers
            .values()
            .all(|t| t.other[0].bytes == 0 && t.rows.values().all(|c| c.slots[0].bytes == 0))
    }

    /// Slot 0's rows (a one-interval table).
    pub fn rows(&self, top: usize) -> Vec<SamplerRows> {
        self.rows_for(0, top)
    }

    /// The rows of slot `slot` for every exporter, top `top` per exporter, exporters in
    /// address order.
    pub fn rows_for(&self, slot: usize, top: usize) -> Vec<SamplerRows> {
        let mut out: Vec<SamplerRows> = self
            .samplers
            .iter()
            .filter_map(|(sampler, t)| {
                let mut rows: Vec<Row> = t
                    .rows
                    .iter()
                    .filter(|(_, c)| c.slots[slot].bytes != 0)
                    .map(|(k, c)| Row {
                        etype: k.group.etype,
                        proto: k.group.proto,
                        src: k.group.src,
                        dst: k.dst,
                        port: k.group.port,
                        reply: c.reply,
                        bytes: c.slots[slot].bytes,
                        packets: c.slots[slot].packets,
                    })
                    .collect();
                let other = t.other[slot];
                let other = (other.bytes != 0).then_some(Other {
                    bytes: other.bytes,
                    packets: other.packets,
                });
                if rows.is_empty() && other.is_none() {
                    return None;
                }
                let total_rows = rows.len();
                let o = other.unwrap_or_default();
                let total_bytes = rows
                    .iter()
                    .map(|r| r.bytes)
                    .fold(o.bytes, u64::saturating_add);
                let total_packets = rows
                    .iter()
                    .map(|r| r.packets)
                    .fold(o.packets, u64::saturating_add);
                // Largest first; ties in a stable, readable order.
                rows.sort_unstable_by(|a, b| {
                    b.bytes
                        .cmp(&a.bytes)
                        .then(b.packets.cmp(&a.packets))
                        .then(a.src.cmp(&b.src))
                        .then(a.dst.cmp(&b.dst))
                        .then(a.port.cmp(&b.port))
                });
                rows.truncate(top);
                Some(SamplerRows {
                    sampler: *sampler,
                    total_rows,
                    total_bytes,
                    total_packets,
                    rows,
                    other,
                })
            })
            .collect();
        out.sort_by_key(|s| s.sampler);
        out
    }

    /// Start a new period of a one-interval table (see [`Table::reset_slot`]).
    pub fn reset(&mut self) {
        self.reset_slot(0, true);
    }

    /// Start a new period for `slot`: clear its counters. With `evict` (the longest interval),
    /// rows it saw no traffic for during the whole period are dropped; the others stay (empty)
    /// so replies still pair.
    pub fn reset_slot(&mut self, slot: usize, evict: bool) {
        let mut dropped = 0;
        for t in self.samplers.values_mut() {
            t.other[slot] = Count::default();
            if !evict {
                for c in t.rows.values_mut() {
                    c.slots[slot] = Count::default();
                }
                continue;
            }
            let (unicast, multicast) = (&mut t.groups, &mut t.multicast);
            t.rows.retain(|k, c| {
                if c.slots[slot].bytes == 0 {
                    let groups = groups_of(unicast, multicast, &k.group);
                    if let Some(n) = groups.get_mut(&k.group) {
                        *n -= 1;
                        if *n == 0 {
                            groups.remove(&k.group);
                        }
                    }
                    dropped += 1;
                    false
                } else {
                    c.slots[slot] = Count::default();
                    true
                }
            });
        }
        self.rows -= dropped;
        for t in self.samplers.values_mut() {
            // Give back the memory of a flood once its rows are gone.
            if t.rows.capacity() > 4 * t.rows.len() + 1024 {
                t.rows.shrink_to_fit();
                t.groups.shrink_to_fit();
                t.multicast.shrink_to_fit();
            }
        }
        self.samplers
            .retain(|_, t| !t.rows.is_empty() || t.other.iter().any(|c| c.bytes != 0));
    }
}

#[cfg(test)]
mod tests;
